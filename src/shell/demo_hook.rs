//! Where the snippet and Ed-Fi demo commands (`:run`, `:validate`, …) hand over to `crate::demos`.
//!
//! The commands are declared, parsed and listed in `:help` by `commands.rs`; their behaviour
//! lives in `crate::demos`. This module connects the two, for the interactive shell
//! ([`run`]) and for batch mode ([`run_macro`], used by `-q ':validate'` and piped stdin).

use super::commands::{DemoCommand, DemoKind};
use super::exec::Interrupts;
use super::session::Session;
use crate::demos::snippets::SnippetStore;
use crate::demos::{self, DemoConfig, DemoOut};
use crate::sql::split_statements;
use crate::wire::Connection;
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use tokio::sync::watch;

/// Writes straight to stdout without holding its lock across awaits (the macros need `Send`).
struct StdoutWriter;

impl Write for StdoutWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stdout().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

/// True for the four Ed-Fi macros (as opposed to the snippet commands).
pub fn is_macro(kind: DemoKind) -> bool {
    matches!(
        kind,
        DemoKind::SchoolCount | DemoKind::NewDocs | DemoKind::Validate | DemoKind::DemoLoad
    )
}

/// Run one macro on `conn` until it ends or SIGINT stops it (it then prints its summary).
/// Returns the error text to show, if any.
pub async fn run_macro(
    conn: &mut Connection,
    cfg: &DemoConfig,
    cmd: &DemoCommand,
    tty: bool,
    color: bool,
    interrupts: &mut Interrupts,
) -> Result<(), String> {
    let name = cmd.kind.command_name();
    let invocation = demos::parse_command_line(name, &cmd.args)?;
    interrupts.clear().await;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut out = StdoutWriter;
    let io = DemoOut {
        out: &mut out,
        tty,
        color,
    };
    let fut = demos::run(conn, cfg, &invocation, io, stop_rx);
    tokio::pin!(fut);
    let result = loop {
        tokio::select! {
            r = &mut fut => break r,
            _ = interrupts.recv() => { let _ = stop_tx.send(true); }
        }
    };
    let _ = io::stdout().flush();
    result.map(|_| ()).map_err(|e| e.to_string())
}

fn snippet_store() -> SnippetStore {
    let user_dir = directories::ProjectDirs::from("io", "timeplus", "proton-shell")
        .map(|d| d.config_dir().join("snippets"));
    SnippetStore::new(user_dir)
}

/// Run a demo or snippet command in the interactive shell.
pub async fn run(session: &mut Session, cmd: &DemoCommand) {
    if is_macro(cmd.kind) {
        let cfg = session.demo.clone();
        let term = session.term;
        let mut lease = match session.lease().await {
            Ok(l) => l,
            Err(e) => return session.error(&e.to_string()),
        };
        let res = run_macro(
            &mut lease,
            &cfg,
            cmd,
            term.stdout_tty,
            term.out_color(),
            session.interrupts(),
        )
        .await;
        drop(lease);
        if let Err(e) = res {
            session.error(&e);
        }
        return;
    }
    let store = snippet_store();
    *session.snippets.write().unwrap_or_else(|p| p.into_inner()) = store.names();
    let name = cmd.args.split_whitespace().next().unwrap_or("");
    match cmd.kind {
        DemoKind::Snippets => {
            for e in store.list() {
                let note = match (&e.error, e.shadows_shipped) {
                    (Some(err), _) => format!("  (does not parse: {err})"),
                    (None, true) => "  (yours, hides the shipped one)".into(),
                    _ => String::new(),
                };
                println!("{:<22} {}{note}", e.name, e.title);
            }
            session.note("run one with `:run NAME key=value …`; `:show NAME` prints it");
        }
        DemoKind::Show => match store.source(name) {
            Ok(src) => println!("{}", src.text.trim_end()),
            Err(e) => session.error(&e.to_string()),
        },
        DemoKind::Save => {
            let Some(sql) = session.last_sql.clone() else {
                return session.error("nothing to save yet: run a statement first");
            };
            match store.save(name, &sql) {
                Ok(path) => session.note(&format!("saved to {}", path.display())),
                Err(e) => session.error(&e.to_string()),
            }
        }
        DemoKind::Edit => match store.prepare_edit(name) {
            Ok(path) => {
                let editor = std::env::var("VISUAL")
                    .or_else(|_| std::env::var("EDITOR"))
                    .unwrap_or_else(|_| "vi".into());
                match std::process::Command::new(&editor).arg(&path).status() {
                    Ok(s) if s.success() => session.note(&format!("saved {}", path.display())),
                    Ok(s) => session.error(&format!("{editor} exited with {s}")),
                    Err(e) => session.error(&format!("cannot start {editor}: {e}")),
                }
            }
            Err(e) => session.error(&e.to_string()),
        },
        DemoKind::Run => run_snippet(session, &store, &cmd.args).await,
        _ => {}
    }
}

/// `:run NAME key=value …`: fill the parameters (asking for missing ones) and run each statement.
async fn run_snippet(session: &mut Session, store: &SnippetStore, args: &str) {
    let mut words = args.split_whitespace();
    let Some(name) = words.next() else {
        return session.error("usage: :run NAME key=value …  (`:snippets` lists them)");
    };
    let snippet = match store.get(name) {
        Ok(s) => s,
        Err(e) => return session.error(&e.to_string()),
    };
    let mut values: BTreeMap<String, String> = match demos::snippets::parse_assignments(words) {
        Ok(v) => v,
        Err(e) => return session.error(&e.to_string()),
    };
    let missing: Vec<(String, String)> = snippet
        .missing_params(&values)
        .into_iter()
        .map(|p| (p.name.clone(), p.ty.clone()))
        .collect();
    for (param, ty) in missing {
        if !session.term.stdin_tty {
            return session.error(&format!(
                "missing parameter {param} ({ty}): pass {param}=VALUE"
            ));
        }
        eprint!("{param} ({ty}): ");
        let mut line = String::new();
        if io::stdin().lock().read_line(&mut line).is_err() || line.trim().is_empty() {
            return session.error(&format!("missing parameter {param}"));
        }
        values.insert(param, line.trim().to_string());
    }
    let sql = match snippet.render(&values) {
        Ok(s) => s,
        Err(e) => return session.error(&e.to_string()),
    };
    for stmt in split_statements(&sql) {
        session.note(&format!("-- {}", stmt.sql.trim()));
        if !matches!(
            session.run_sql(&stmt).await,
            super::session::StmtOutcome::Ok
        ) {
            break;
        }
    }
}
