//! Non-interactive runs (`-q`, `-f`, piped stdin): stream each statement's rows to stdout, stop at the first error.
//!
//! When stdout is not a terminal, output is plain: no colour, no status line, and the format
//! defaults to TSV, byte-identical to clickhouse-client's TabSeparated. On a terminal the
//! default is the table view, with colour and a status line on stderr. SIGINT cancels the
//! running query on the server and the process exits 130; a closed stdout (`| head`) cancels
//! it quietly.

use crate::errors::{self, AppError};
use crate::render::{sink_for, Format, RenderOpts};
use crate::shell::exec::{pump, Ended, Interrupts, Output};
use crate::shell::status::{self, StatusLine};
use crate::sql::{split_statements, Statement};
use crate::wire::{CancelOutcome, Connection};
use std::io::Write;
use std::time::{Duration, Instant};

/// How long to wait for the server to confirm a cancel before dropping the connection.
pub const CANCEL_DEADLINE: Duration = Duration::from_millis(400);

/// What batch mode runs, and how it prints.
pub struct Batch {
    pub statements: Vec<Statement>,
    pub format: Format,
    /// Colour and width for the table views (all off when stdout is not a terminal).
    pub render: RenderOpts,
    /// Show the status line on stderr while a statement runs.
    pub status_line: bool,
    pub settings: Vec<(String, String)>,
    /// Print each statement's summary (`-t`) to stderr.
    pub print_time: bool,
    /// Settings of the demo macros (`-q ':validate'`).
    pub demo: crate::demos::DemoConfig,
}

impl Batch {
    /// Split every source into statements, in order: all `-q` texts, then `-f` files, then stdin.
    pub fn statements_from(sources: &[String]) -> Vec<Statement> {
        sources.iter().flat_map(|s| split_statements(s)).collect()
    }
}

/// Run every statement; the first failure stops the run.
pub async fn run(
    conn: &mut Connection,
    batch: &Batch,
    interrupts: &mut Interrupts,
) -> Result<(), AppError> {
    for stmt in &batch.statements {
        if crate::sql::is_shell_command(&stmt.sql) {
            run_command(conn, batch, &stmt.sql, interrupts).await?;
            continue;
        }
        let format = if stmt.vertical {
            Format::Vertical
        } else {
            batch.format
        };
        let started = Instant::now();
        let mut stream = conn.query(&stmt.sql, &batch.settings, "").await?;
        let mut sink = sink_for(format, &batch.render);
        let mut status = StatusLine::new(
            batch.status_line,
            batch.render.color,
            crate::shell::term::width().unwrap_or(80),
        );
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        let mut output = Output {
            out: &mut lock,
            status: &mut status,
        };
        let ended = pump(&mut stream, sink.as_mut(), &mut output, interrupts).await;
        drop(lock);
        match ended {
            Ended::Done { rows, result_set } => {
                if batch.print_time {
                    let line = if result_set {
                        status::summary(rows, started.elapsed())
                    } else {
                        status::summary_ok(started.elapsed())
                    };
                    eprintln!("{line}");
                }
            }
            Ended::Interrupted { .. } | Ended::Aborted => {
                if stream.cancel_and_drain(CANCEL_DEADLINE).await == CancelOutcome::Dropped {
                    eprintln!(
                        "query cancelled; the server did not confirm in time, connection dropped"
                    );
                }
                return Err(AppError::Interrupted);
            }
            Ended::OutputClosed { .. } => {
                stream.cancel_and_drain(CANCEL_DEADLINE).await;
                return Ok(());
            }
            Ended::Failed { error, .. } => {
                if let crate::wire::Error::Server(ex) = &error {
                    eprintln!("{}", errors::format_exception(ex, Some(&stmt.sql), false));
                    for h in errors::exception_hints(ex) {
                        eprintln!("hint: {h}");
                    }
                    return Err(AppError::Reported(errors::code::QUERY));
                }
                return Err(error.into());
            }
        }
    }
    let _ = std::io::stdout().flush();
    Ok(())
}

/// A `:command` in batch input: the demo macros run (until SIGINT ends them with their
/// summary); the interactive commands are refused clearly.
async fn run_command(
    conn: &mut Connection,
    batch: &Batch,
    line: &str,
    interrupts: &mut Interrupts,
) -> Result<(), AppError> {
    use crate::shell::commands::{parse, Command};
    use crate::shell::demo_hook::{is_macro, run_macro};
    let usage = |msg: String| {
        eprintln!("{msg}");
        Err(AppError::Reported(errors::code::USAGE))
    };
    match parse(line.trim()) {
        Some(Ok(Command::Demo(d))) if is_macro(d.kind) => {
            let (tty, color) = (batch.render.is_tty, batch.render.color);
            match run_macro(conn, &batch.demo, &d, tty, color, interrupts).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    eprintln!("{e}");
                    Err(AppError::Reported(errors::code::QUERY))
                }
            }
        }
        Some(Err(e)) => usage(e),
        _ => usage(format!(
            "`{}` only works in the interactive shell; batch input runs SQL and the demo macros",
            line.trim()
        )),
    }
}
