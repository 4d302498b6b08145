//! Command-line flags and environment variables.

use clap::Parser;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "proton-shell",
    version,
    about = "An interactive shell for Timeplus Proton (streaming SQL)"
)]
pub struct Args {
    /// Server host
    #[arg(long, env = "PROTON_HOST", default_value = "localhost")]
    pub host: String,
    /// Native TCP port (Proton: 8463)
    #[arg(long, env = "PROTON_PORT", default_value_t = 8463)]
    pub port: u16,
    #[arg(long, short = 'u', env = "PROTON_USER", default_value = "default")]
    pub user: String,
    /// Password (prefer the PROTON_PASSWORD environment variable: flags show up in `ps`)
    #[arg(long, env = "PROTON_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    #[arg(long, short = 'd', env = "PROTON_DATABASE", default_value = "")]
    pub database: String,
    /// Run this query and exit (repeatable)
    #[arg(long, short = 'q')]
    pub query: Vec<String>,
    /// Output format: table, vertical, tsv, csv, json, raw
    #[arg(long)]
    pub format: Option<String>,
    /// Ask the server for LZ4-compressed blocks
    #[arg(long)]
    pub compression: bool,
    /// Connect timeout in seconds
    #[arg(long, default_value_t = 10)]
    pub connect_timeout: u64,
}
