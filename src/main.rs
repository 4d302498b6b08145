//! Entry point of the `proton-shell` binary: parse flags, run, map the result to an exit code.

use clap::Parser;
use proton_shell::batch::{run_statement, style_for, Outcome};
use proton_shell::cli::Args;
use proton_shell::wire::{ConnectOptions, Connection, Error};
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let opts = ConnectOptions {
        host: args.host.clone(),
        port: args.port,
        user: args.user.clone(),
        password: args.password.clone().unwrap_or_default(),
        database: args.database.clone(),
        connect_timeout: Duration::from_secs(args.connect_timeout),
        compression: args.compression,
    };
    let style = match style_for(args.format.as_deref().unwrap_or("tsv")) {
        Some(s) => s,
        None => {
            eprintln!("unknown format {:?}", args.format);
            return ExitCode::from(2);
        }
    };
    let mut conn = match Connection::connect(opts).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(3);
        }
    };
    for sql in &args.query {
        match run_statement(&mut conn, sql, style).await {
            Ok(Outcome::Done) => {}
            Ok(Outcome::Interrupted) => return ExitCode::from(130),
            Err(Error::Server(e)) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(3);
            }
        }
    }
    ExitCode::SUCCESS
}
