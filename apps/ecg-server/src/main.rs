//! `ecg-server`: the ECG service's binary (serve, and API key administration).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ecg_server::state::ServerConfig;

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
    /// Runs the HTTP server (the default command).
    Serve(ServeArgs),
    /// Creates or revokes API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Prints the OpenAPI document (as served at /api/v1/openapi.json).
    Openapi,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Listen address (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Data directory: database, blobs.
    #[arg(long, default_value = "./data")]
    data: PathBuf,
    /// Base URL clients use to reach the server (for pre-signed and share URLs); default:
    /// taken from each request's Host header.
    #[arg(long)]
    public_url: Option<String>,
    /// Analysis worker threads (default: one per core).
    #[arg(long)]
    workers: Option<usize>,
    /// HTTP worker threads (default: one per core).
    #[arg(long)]
    http_workers: Option<usize>,
    /// Largest chunk (and one-request upload) in bytes.
    #[arg(long, default_value_t = 64 << 20)]
    max_chunk_bytes: usize,
    /// Largest upload in bytes.
    #[arg(long, default_value_t = 64 << 30)]
    max_upload_bytes: u64,
    /// Lifetime of an open upload session, in seconds.
    #[arg(long, default_value_t = 24 * 3600)]
    session_ttl_s: u64,
    /// Lifetime of a pre-signed upload URL, in seconds.
    #[arg(long, default_value_t = 3600)]
    presign_ttl_s: u64,
    /// First webhook retry delay in milliseconds (doubles per attempt).
    #[arg(long, default_value_t = 5000)]
    webhook_retry_base_ms: u64,
    /// Webhook attempts before giving up.
    #[arg(long, default_value_t = 8)]
    webhook_max_attempts: u32,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            bind: "127.0.0.1:8080".into(),
            data: PathBuf::from("./data"),
            public_url: None,
            workers: None,
            http_workers: None,
            max_chunk_bytes: 64 << 20,
            max_upload_bytes: 64 << 30,
            session_ttl_s: 24 * 3600,
            presign_ttl_s: 3600,
            webhook_retry_base_ms: 5000,
            webhook_max_attempts: 8,
        }
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Creates an API key for a tenant (created when new); prints the key alone on stdout.
    Create {
        /// Tenant name.
        #[arg(long)]
        tenant: String,
        /// Data directory.
        #[arg(long, default_value = "./data")]
        data: PathBuf,
    },
    /// Revokes an API key.
    Revoke {
        /// The key.
        key: String,
        /// Data directory.
        #[arg(long, default_value = "./data")]
        data: PathBuf,
    },
}

fn serve(a: ServeArgs) -> anyhow::Result<()> {
    let mut c = ServerConfig::new(a.data);
    c.bind = a.bind;
    c.public_url = a.public_url;
    if let Some(w) = a.workers {
        c.analysis_workers = w.max(1);
    }
    if let Some(w) = a.http_workers {
        c.http_workers = w.max(1);
    }
    c.max_chunk_bytes = a.max_chunk_bytes;
    c.max_upload_bytes = a.max_upload_bytes;
    c.session_ttl = std::time::Duration::from_secs(a.session_ttl_s);
    c.presign_ttl = std::time::Duration::from_secs(a.presign_ttl_s);
    c.webhook_retry_base = std::time::Duration::from_millis(a.webhook_retry_base_ms);
    c.webhook_max_attempts = a.webhook_max_attempts.max(1);
    ecg_server::app::serve(c)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(a) => serve(a),
        Command::Openapi => {
            print!("{}", ecg_server::openapi::document_json());
            Ok(())
        }
        Command::Keys { command } => match command {
            KeysCommand::Create { tenant, data } => {
                let tenant = tenant.trim();
                anyhow::ensure!(!tenant.is_empty(), "--tenant must not be empty");
                std::fs::create_dir_all(&data)?;
                let store = ecg_server::app::open_store(&data)?;
                println!("{}", ecg_server::auth::create_key(&store, tenant)?);
                Ok(())
            }
            KeysCommand::Revoke { key, data } => {
                let store = ecg_server::app::open_store(&data)?;
                if ecg_server::auth::revoke_key(&store, &key)? {
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
