//! `hype-server`: see `cli` for the subcommands.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// At least two worker threads, even on a one-CPU host: Leptos 0.8 can stall a streamed SSR
/// page whose resource resolves on a runtime with a single worker (leptos-rs/leptos#4647).
fn main() -> std::process::ExitCode {
    // `.env` in the working directory, before any thread starts; the real environment wins.
    if let Err(error) = dotenvy::dotenv() {
        if !error.not_found() {
            eprintln!("error: reading .env: {error}");
            return std::process::ExitCode::FAILURE;
        }
    }
    // A setting given but left blank (`HYPE_PUBLIC_URL=`) means its default, as it always has.
    for (name, value) in std::env::vars_os() {
        let ours = name.to_str().is_some_and(|n| {
            n.starts_with("HYPE_") || n.starts_with("LEPTOS_") || n == "DATABASE_URL"
        });
        if ours && value.to_str().is_some_and(|v| v.trim().is_empty()) {
            std::env::remove_var(name);
        }
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().max(2));
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(hype_server::cli::run()),
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
