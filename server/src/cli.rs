//! The command line: `serve` (default), `migrate`, `create-user`, `create-link`.
use crate::{telemetry, Application, Config};
use anyhow::Context;
use clap::{Parser, Subcommand};
use hype::services::links::NewLink;
use hype::types::{Email, Identifier, Password, Username};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hype-server",
    version,
    about = "hype: self-hosted referral links"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: crate::config::Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site on HYPE_ADDR (the default command).
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Create an account. The password comes from HYPE_PASSWORD, else it is asked for.
    CreateUser {
        username: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        email: Option<String>,
    },
    /// Fill the database with demo data: users, links, hits over the last 30 days, referrals.
    SeedDemo {
        #[arg(long, default_value_t = 100)]
        users: usize,
        #[arg(long, default_value_t = 200)]
        links: usize,
        #[arg(long, default_value_t = 100_000)]
        hits: usize,
    },
    /// Create a referral link for a user (random identifier when none is given).
    CreateLink {
        username: String,
        identifier: Option<String>,
        #[arg(long, default_value = "")]
        label: String,
        /// Create the link disabled.
        #[arg(long)]
        disabled: bool,
        /// Where it sends visitors without a `next`: a URL on one of
        /// HYPE_ALLOWED_REDIRECT_HOSTS.
        #[arg(long)]
        destination: Option<String>,
    },
    /// Add a webhook endpoint; its signing secret (whsec_…) is printed on the last line, the
    /// only time it is shown.
    CreateWebhook {
        url: String,
        /// The events it gets, comma-separated (default: every event).
        #[arg(long, default_value = "")]
        events: String,
    },
    /// Create a key for `/api/v1`; the key is printed on the last line, the only time it is
    /// shown.
    CreateApiKey {
        name: String,
        /// Its scopes, comma-separated (default: every scope).
        #[arg(long, default_value = "")]
        scopes: String,
    },
    /// Print a single-use link that sets a new password for USERNAME within an hour (for
    /// sites without SMTP; it is printed on the last line).
    ResetPassword { username: String },
}

pub async fn run() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_settings(cli.settings)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            tracing::info!(
                "hype listening on http://{}:{} (database {})",
                config.addr.ip(),
                app.port(),
                crate::redact(&config.database_url)
            );
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            hype::db::connect(&config.database_url, config.log_sql)
                .await
                .context("migrating the database")?;
            println!("database is up to date");
        }
        Command::CreateUser {
            username,
            admin,
            email,
        } => {
            let username = Username::parse(&username)?;
            let email = Email::parse_optional(email.as_deref())?;
            let password = match std::env::var("HYPE_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => rpassword::prompt_password(format!("Password for {}: ", username.as_str()))
                    .context("reading the password (or set HYPE_PASSWORD)")?,
            };
            let password = Password::parse(&password)?;
            let db = hype::db::connect(&config.database_url, config.log_sql).await?;
            let user =
                hype::services::users::create(&db, &username, email.as_ref(), &password, admin)
                    .await?;
            // The operator vouches for an address given here: no confirmation mail.
            if email.is_some() {
                hype::services::accounts::mark_email_confirmed(&db, user.id).await?;
            }
            println!(
                "created {}user {} (id {})",
                if admin { "admin " } else { "" },
                user.username,
                user.id
            );
        }
        Command::SeedDemo { users, links, hits } => {
            let db = hype::db::connect(&config.database_url, config.log_sql).await?;
            let started = std::time::Instant::now();
            let seeded = hype::demo::seed(&db, users, links, hits, |stored| {
                if stored % 100_000 == 0 {
                    eprintln!("  {stored} hits…");
                }
            })
            .await?;
            println!(
                "seeded {} users, {} links, {} hits, {} referrals in {:.1} s (demo password: {})",
                seeded.users,
                seeded.links,
                seeded.hits,
                seeded.referrals,
                started.elapsed().as_secs_f64(),
                hype::demo::DEMO_PASSWORD
            );
        }
        Command::CreateLink {
            username,
            identifier,
            label,
            disabled,
            destination,
        } => {
            let identifier = identifier.as_deref().map(Identifier::parse).transpose()?;
            let destination = match destination.as_deref() {
                Some(raw) => hype::services::links::destination(&config.hype, raw)?,
                None => None,
            };
            let db = hype::db::connect(&config.database_url, config.log_sql).await?;
            let user = hype::services::users::find_by_username(&db, &username)
                .await?
                .with_context(|| format!("there is no user named {username:?}"))?;
            let link = hype::services::links::create(
                &db,
                user.id,
                NewLink {
                    identifier,
                    label,
                    disabled,
                    destination,
                },
            )
            .await?;
            println!(
                "created link {}{}",
                config.hype.link_url(&link.identifier),
                if link.disabled { " (disabled)" } else { "" }
            );
        }
        Command::CreateWebhook { url, events } => {
            let db = hype::db::connect(&config.database_url, config.log_sql).await?;
            let endpoint = hype::outbox::endpoints::create(&db, None, &url, &events).await?;
            println!(
                "created webhook endpoint {} for {}",
                endpoint.url,
                hype::outbox::endpoints::describe_events(&endpoint.events)
            );
            println!("signing secret (shown only now):");
            println!("{}", endpoint.secret);
        }
        Command::CreateApiKey { name, scopes } => {
            let db = hype::db::connect(&config.database_url, config.log_sql).await?;
            let (stored, key) = hype::services::api_keys::create(&db, None, &name, &scopes).await?;
            println!(
                "created API key {} ({}) with scopes {}",
                stored.name, stored.prefix, stored.scopes
            );
            println!("the key (shown only now):");
            println!("{key}");
        }
        Command::ResetPassword { username } => {
            let db = hype::db::connect(&config.database_url, config.log_sql).await?;
            let secret = match &config.secret_key {
                Some(key) => key.expose().to_owned(),
                None => hype::services::settings::secret_key(&db).await?,
            };
            let key = hype::services::accounts::TokenKey::new(secret.as_bytes());
            let link =
                hype::services::accounts::reset_link(&db, &key, &config.hype.public_url, &username)
                    .await?;
            println!(
                "a single-use link that sets a new password for {username} within {} minutes:",
                hype::services::accounts::RESET_TTL.num_minutes()
            );
            println!("{link}");
        }
    }
    Ok(())
}
