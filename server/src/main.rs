//! `hype-server`: see `cli` for the subcommands.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// At least two worker threads, even on a one-CPU host: Leptos 0.8 can stall a streamed SSR
/// page whose resource resolves on a runtime with a single worker (leptos-rs/leptos#4647).
fn main() -> std::process::ExitCode {
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
