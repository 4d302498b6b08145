//! The binary's flow: flags and config, connect, then the shell or a batch run; errors printed and mapped to exit codes once (`errors`).

use crate::batch::{self, Batch};
use crate::cli::{Args, Config, Input};
use crate::config;
use crate::demos::DemoConfig;
use crate::errors::{self, AppError};
use crate::render::{Format, RenderOpts};
use crate::run::{self, Interrupts, Terminal};
use crate::shell::{Repl, Session};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

/// Parse the command line, run, print any error and return the exit code.
pub fn main_exit_code() -> ExitCode {
    keep_freed_blocks();
    // clap prints usage errors itself and exits 2.
    let (args, password_on_argv) = Args::parse_noting_password();
    if password_on_argv {
        eprintln!("{}", crate::cli::ARGV_PASSWORD_WARNING);
    }
    let color = !args.no_color
        && !matches!(std::env::var_os("NO_COLOR"), Some(v) if !v.is_empty())
        && std::io::stderr().is_terminal();
    match run(args) {
        Ok(code) => code,
        Err(e) => errors::report(&e, color),
    }
}

/// Let the allocator reuse a decoded block's memory for the next block instead of handing it
/// back to the kernel and faulting it in again: glibc serves allocations of a block's size
/// (a column is up to a few MiB) with `mmap` and trims freed memory eagerly, which cost a
/// fifth of a large result's CPU time in page faults. Freed memory up to the trim threshold
/// stays with the process.
fn keep_freed_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets allocator parameters; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 8 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 32 << 20);
    }
}

fn run(args: Args) -> Result<ExitCode, AppError> {
    let file = config::load(args.config.as_deref())?;
    let mut cfg = args.resolve(file)?;
    let format = match cfg.format.as_deref() {
        None => None,
        Some(name) => Some(Format::parse(name).ok_or_else(|| {
            let all: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            AppError::Usage(format!(
                "unknown format `{name}`; choose one of {}",
                all.join(", ")
            ))
        })?),
    };
    let term = Terminal::detect(cfg.color);
    let batch_mode = !cfg.inputs.is_empty() || !term.stdin_tty;
    let sources = if batch_mode {
        read_sources(&cfg)?
    } else {
        Vec::new()
    };
    if cfg.password_prompt {
        cfg.connect.password = run::read_password("Password: ").map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                AppError::Interrupted
            } else {
                AppError::io("cannot read the password from the terminal", e)
            }
        })?;
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::io("cannot start the async runtime", e))?;
    let result = rt.block_on(async {
        let mut interrupts = Interrupts::install()
            .map_err(|e| AppError::io("cannot install the Ctrl-C handler", e))?;
        match run::connect(cfg.connect.clone(), &mut interrupts).await? {
            Some(conn) => Ok((conn, interrupts)),
            None => Err(AppError::Interrupted),
        }
    });
    let (mut conn, mut interrupts) = match result {
        Ok(v) => v,
        Err(e) => {
            rt.shutdown_timeout(Duration::from_millis(100));
            return Err(e);
        }
    };

    let outcome = if batch_mode {
        let on_tty = term.stdout_tty;
        let mut demo = DemoConfig::default();
        for k in demo.apply_settings(&cfg.demo_settings) {
            eprintln!("config file: unknown demo setting `{k}`");
        }
        let mut batch = Batch {
            sources,
            format: format.unwrap_or(if on_tty { Format::Table } else { Format::Tsv }),
            render: RenderOpts {
                color: term.out_color(),
                width: if on_tty { run::width().unwrap_or(0) } else { 0 },
                is_tty: on_tty,
                auto_vertical: format != Some(Format::Table),
                width_now: on_tty.then_some(run::width as fn() -> Option<usize>),
                json_quote_64bit: cfg.json_quote_64bit,
            },
            status_line: on_tty && term.stderr_tty,
            settings: run::SessionSettings::new(cfg.settings.clone()),
            print_time: cfg.print_time,
            demo,
            tee: match cfg.tee.clone() {
                Some(spec) => Some(
                    crate::tee::Tee::open(spec)
                        .map_err(AppError::Usage)?
                        .quoting_64bit(cfg.json_quote_64bit),
                ),
                None => None,
            },
        };
        rt.block_on(batch::run(&mut conn, &mut batch, &mut interrupts))
            .map(|()| ExitCode::SUCCESS)
    } else {
        run::restore_terminal_on_termination(&rt);
        let session = Session::new(conn, term, interrupts);
        Repl::new(&rt, session, &cfg)
            .run()
            .map(|()| ExitCode::SUCCESS)
    };
    rt.shutdown_timeout(Duration::from_millis(100));
    outcome
}

/// The input of a batch run: every `-q` and `-f` file in their command-line order, or stdin
/// if neither was given.
fn read_sources(cfg: &Config) -> Result<Vec<String>, AppError> {
    let mut sources = Vec::new();
    for input in &cfg.inputs {
        match input {
            Input::Query(sql) => sources.push(sql.clone()),
            // `-f -`: standard input, as other tools read it.
            Input::File(path) if path.as_os_str() == "-" => sources.push(read_stdin()?),
            Input::File(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| AppError::io(format!("cannot read {}", path.display()), e))?;
                sources.push(without_bom(text));
            }
        }
    }
    if cfg.inputs.is_empty() {
        sources.push(read_stdin()?);
    }
    Ok(sources)
}

/// All of standard input, as statements.
fn read_stdin() -> Result<String, AppError> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| AppError::io("cannot read statements from stdin", e))?;
    Ok(without_bom(text))
}

/// `text` without the byte-order mark some editors (Windows ones) put first: the server would
/// reject the invisible character as an unknown token.
fn without_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}
