//! `hype-server`: see `cli` for the subcommands.
#[tokio::main]
async fn main() -> std::process::ExitCode {
    hype_server::cli::run().await
}
