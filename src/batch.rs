//! Non-interactive runs (`-q`): stream each statement's rows to stdout, cancel on SIGINT.

use crate::render::tsv::write_rows;
use crate::wire::{CancelOutcome, Connection, Event, Style};
use std::io::Write;
use std::time::Duration;

/// How a batch statement ended.
pub enum Outcome {
    Done,
    Interrupted,
}

pub fn style_for(format: &str) -> Option<Style> {
    match format.to_ascii_lowercase().as_str() {
        "tsv" | "tabseparated" => Some(Style::Tsv),
        "csv" => Some(Style::Csv),
        _ => None,
    }
}

/// Run one statement, writing its rows to stdout as they arrive.
pub async fn run_statement(
    conn: &mut Connection,
    sql: &str,
    style: Style,
) -> crate::wire::Result<Outcome> {
    let stdout = std::io::stdout();
    let mut buf = Vec::with_capacity(1 << 20);
    let mut stream = conn.query(sql, &[], "").await?;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            ev = stream.next() => match ev? {
                None => break,
                Some(Event::Data(block)) => {
                    buf.clear();
                    write_rows(&block, style, &mut buf);
                    let mut out = stdout.lock();
                    if out.write_all(&buf).and_then(|_| out.flush()).is_err() {
                        // stdout closed (e.g. `| head`): stop the query on the server.
                        stream.cancel_and_drain(Duration::from_millis(400)).await;
                        return Ok(Outcome::Interrupted);
                    }
                }
                Some(_) => {}
            },
            _ = &mut ctrl_c => {
                let outcome = stream.cancel_and_drain(Duration::from_millis(400)).await;
                if outcome == CancelOutcome::Dropped {
                    eprintln!("query cancelled; the server did not confirm in time, connection dropped");
                }
                return Ok(Outcome::Interrupted);
            }
        }
    }
    Ok(Outcome::Done)
}
