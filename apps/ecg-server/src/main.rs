//! `ecg-server`: the ECG service's binary (serve, and API key administration).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ecg_server::config::{ServeOptions, StoreOptions};

#[derive(Parser)]
#[command(
    name = "ecg-server",
    version,
    about = "The ECG service: uploads, analysis tasks, reports, share links and webhooks over HTTP"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server: HTTP API and/or workers, per --role (the default command).
    Serve(Box<ServeOptions>),
    /// Creates or revokes API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Prints the OpenAPI document (as served at /api/v1/openapi.json).
    Openapi,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Creates an API key for a tenant (created when new); prints the key alone on stdout.
    Create {
        /// Tenant name.
        #[arg(long)]
        tenant: String,
        /// Where the metadata store is.
        #[command(flatten)]
        store: StoreOptions,
    },
    /// Revokes an API key.
    Revoke {
        /// The key.
        key: String,
        /// Where the metadata store is.
        #[command(flatten)]
        store: StoreOptions,
    },
}

/// Opens the metadata store named by the key commands' options.
fn admin_store(
    store: StoreOptions,
) -> anyhow::Result<std::sync::Arc<dyn ecg_server::store::MetadataStore>> {
    let mut config = ServeOptions {
        store,
        ..Default::default()
    }
    .resolve()?;
    config.node_id = "admin".into();
    ecg_server::app::open_metadata_store(&config)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        // No subcommand: `serve` with the environment and defaults.
        None => run(Cli::parse_from(["ecg-server", "serve"])),
        Some(Command::Serve(a)) => ecg_server::app::serve(a.resolve()?),
        Some(Command::Openapi) => {
            print!("{}", ecg_server::openapi::document_json());
            Ok(())
        }
        Some(Command::Keys { command }) => match command {
            KeysCommand::Create { tenant, store } => {
                let tenant = tenant.trim();
                anyhow::ensure!(!tenant.is_empty(), "--tenant must not be empty");
                let store = admin_store(store)?;
                println!("{}", ecg_server::auth::create_key(&*store, tenant)?);
                Ok(())
            }
            KeysCommand::Revoke { key, store } => {
                let store = admin_store(store)?;
                if ecg_server::auth::revoke_key(&*store, &key)? {
                    eprintln!("key revoked");
                    Ok(())
                } else {
                    anyhow::bail!("no active key matches")
                }
            }
        },
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ecg-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}
