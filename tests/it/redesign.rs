//! PTY and batch tests of the behaviour issue 8 (the core redesign) requires; they fail on the shell before the redesign.
//!
//! Each test types into the real binary exactly what a user would and asserts what the issue's
//! "Behaviour this must show" section promises: pasted statements all run, the SQL sent and
//! stored is what was typed, command words act on Enter, macro help works, Ctrl-C in a macro
//! is clean, and batch and shell print the same thing.

use crate::support::fixture::{FValue, ProtonFixture, Response, Step};
use crate::support::pty::*;
use crate::support::{batch, run, text, TempDir, WAIT};

/// `SELECT <n> AS <name>` (what these tests type) split into `n` and `name`.
fn number_query(sql: &str) -> Option<(u64, &str)> {
    let rest = sql.trim().strip_prefix("SELECT ")?;
    let (n, name) = rest.split_once(" AS ")?;
    let n = n.trim().parse().ok()?;
    let name = name.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric())).then_some((n, name))
}

/// A fixture that answers `SELECT <n> AS <name>` with one `uint8` column `<name>` holding `n`.
fn numbers_fixture() -> ProtonFixture {
    ProtonFixture::builder()
        .handler(|q| {
            let (n, name) = number_query(&q.sql)?;
            Some(Response::table(
                &[(name, "uint8")],
                vec![vec![FValue::UInt(n)]],
            ))
        })
        .start()
}

/// The SQL of every query the fixture received, trimmed, without the shell's own catalog
/// queries (completion asks for databases, tables and columns in the background).
fn sent(fx: &ProtonFixture) -> Vec<String> {
    const CATALOG: [&str; 3] = ["current_database()", "currentDatabase()", "system."];
    fx.queries()
        .iter()
        .map(|q| q.sql.trim().to_owned())
        .filter(|sql| !CATALOG.iter().any(|c| sql.contains(c)))
        .collect()
}

/// Waits until the fixture has received `n` queries typed by the user (the ceiling only bounds
/// a hang).
fn wait_for_queries(fx: &ProtonFixture, n: usize, sh: &Pty) {
    assert!(
        fx.wait_until(WAIT, |f| sent(f).len() >= n),
        "expected {n} queries, the fixture got {:?}; screen:\n{}",
        sent(fx),
        sh.all()
    );
}

/// The three statements of the paste tests, as one block of text.
const THREE: &str = "SELECT 1 AS a;\nSELECT 2 AS b;\nSELECT 3 AS c;\n";

/// After a paste of [`THREE`]: all three ran, in order, and their columns are on screen.
fn assert_three_ran(fx: &ProtonFixture, sh: &mut Pty) {
    wait_for_queries(fx, 3, sh);
    assert_eq!(
        sent(fx),
        ["SELECT 1 AS a", "SELECT 2 AS b", "SELECT 3 AS c"],
        "every pasted statement, in order, exactly as pasted"
    );
    // The third result and the prompt after it.
    sh.expect("3\n");
    sh.expect(FX_PROMPT);
    let screen = sh.all();
    for column in ["a", "b", "c"] {
        assert!(
            // The header line; a status line wiped in place may precede it on the capture.
            screen
                .lines()
                .any(|l| l.trim() == column || l.ends_with(&format!("  {column}"))),
            "column {column} not on screen:\n{screen}"
        );
    }
    assert_eq!(screen.matches("1 row in").count(), 3, "{screen}");
}

/// A paste without bracketed paste (tmux `paste-buffer` without `-p`, screen, many ssh
/// setups): the three lines arrive in one write, each ended by CR as a terminal sends Enter.
#[test]
fn redesign_paste_without_bracketed_paste_runs_every_statement() {
    let fx = numbers_fixture();
    let dir = TempDir::new("redesign-paste");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(THREE.replace('\n', "\r").as_bytes());
    assert_three_ran(&fx, &mut sh);
}

/// Lines typed ahead while a statement runs: the terminal is in cooked mode then, where the
/// kernel would turn each Enter (CR) into LF unless the shell keeps it a CR. All of them run
/// once the first statement ends.
#[test]
fn redesign_typed_ahead_lines_run_every_statement() {
    let fx = ProtonFixture::builder()
        .handler(|q| {
            let (n, name) = number_query(&q.sql)?;
            let mut steps = Vec::new();
            if n == 1 {
                // Long enough for the next lines to be typed while it runs.
                steps.push(Step::Sleep(std::time::Duration::from_millis(800)));
            }
            steps.push(Step::header(&[(name, "uint8")]));
            steps.push(Step::Rows(vec![vec![FValue::UInt(n)]]));
            Some(Response::new(steps))
        })
        .start();
    let dir = TempDir::new("redesign-typeahead");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(b"SELECT 1 AS a;\r");
    wait_for_queries(&fx, 1, &sh);
    sh.send(b"SELECT 2 AS b;\rSELECT 3 AS c;\r");
    assert_three_ran(&fx, &mut sh);
}

/// A bracketed paste (`ESC [200~ … ESC [201~`) of the same three lines, then Enter.
#[test]
fn redesign_bracketed_paste_runs_every_statement() {
    let fx = numbers_fixture();
    let dir = TempDir::new("redesign-bracketed");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.send(format!("\x1b[200~{THREE}\x1b[201~").as_bytes());
    sh.send(b"\r");
    assert_three_ran(&fx, &mut sh);
}

/// The entries of a history file: rustyline's `#V2` format (one entry per line, `\n` and `\\`
/// escaped) or plain lines.
fn history_entries(file: &str) -> Vec<String> {
    let mut lines = file.lines();
    if file.starts_with("#V2") {
        lines.next();
        lines
            .map(|l| {
                let mut out = String::new();
                let mut chars = l.chars();
                while let Some(c) = chars.next() {
                    match (c, chars.clone().next()) {
                        ('\\', Some('n')) => {
                            chars.next();
                            out.push('\n');
                        }
                        ('\\', Some('\\')) => {
                            chars.next();
                            out.push('\\');
                        }
                        (c, _) => out.push(c),
                    }
                }
                out
            })
            .collect()
    } else {
        lines.map(str::to_owned).collect()
    }
}

/// `SELECT 1 AS a,⏎2 AS b⏎;⏎`: the continuation marker is drawn by the prompt, never put in the
/// buffer, so the server gets and the history keeps exactly what was typed.
#[test]
fn redesign_continuation_lines_are_sent_and_stored_as_typed() {
    let fx = numbers_fixture();
    let dir = TempDir::new("redesign-continuation");
    let history = dir.join("history");
    {
        let mut sh = spawn_on_fixture(&fx, dir.path());
        sh.expect(FX_PROMPT);
        sh.line("SELECT 1 AS a,");
        sh.expect("-> ");
        sh.line("2 AS b");
        sh.expect("-> ");
        sh.line(";");
        wait_for_queries(&fx, 1, &sh);
        sh.expect(FX_PROMPT);
        sh.send(CTRL_D);
        assert_eq!(sh.wait_exit(WAIT), Some(0), "{}", sh.all());
    }
    let typed = "SELECT 1 AS a,\n2 AS b\n";
    assert_eq!(
        sent(&fx),
        [typed.trim_end()],
        "the server gets what was typed, no padding"
    );
    let file = std::fs::read_to_string(&history).expect("history file written");
    let entries = history_entries(&file);
    assert_eq!(
        entries.last().map(String::as_str),
        Some("SELECT 1 AS a,\n2 AS b\n;"),
        "history file:\n{file}"
    );
}

/// On ClickHouse, an error in a token typed at column 1 of line 2 is reported there (line 2,
/// col 1; position 16 of `SELECT 1 AS a,⏎,2`), not shifted by continuation padding.
#[test]
fn redesign_clickhouse_error_position_matches_what_was_typed() {
    let dir = TempDir::new("redesign-ch-position");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    sh.line("SELECT 1 AS a,");
    sh.expect("-> ");
    sh.line(",2;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("Code: 62."), "{out}");
    assert!(out.contains("(line 2, col 1)"), "{out}");
    assert_eq!(
        reported_position(&out),
        Some("SELECT 1 AS a,\n".len() + 1),
        "{out}"
    );
}

/// `help` on Enter, without `;`: the help, no continuation line.
#[test]
fn redesign_help_acts_on_enter_without_semicolon() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("redesign-help");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("help");
    let out = sh.expect(FX_PROMPT);
    assert!(
        out.contains(":format") && out.contains(":help"),
        "the help (command table) expected:\n{out}"
    );
    assert!(
        !out.lines().any(|l| l.trim_start().starts_with("->")),
        "no continuation line: {out}"
    );
    assert!(sent(&fx).is_empty(), "nothing sent: {:?}", sent(&fx));
}

/// `logout`, `\q`, `exit`, `quit` on Enter, without `;`: the shell exits with status 0.
#[test]
fn redesign_exit_words_act_on_enter_without_semicolon() {
    for word in ["logout", "\\q", "exit", "quit"] {
        let fx = ProtonFixture::start();
        let dir = TempDir::new("redesign-exit");
        let mut sh = spawn_on_fixture(&fx, dir.path());
        sh.expect(FX_PROMPT);
        sh.line(word);
        assert_eq!(sh.wait_exit(WAIT), Some(0), "{word}:\n{}", sh.all());
        assert!(sent(&fx).is_empty(), "{word}: nothing sent");
    }
}

/// `:school-count --help` prints its usage (with `--distinct`), runs nothing and is no error.
#[test]
fn redesign_macro_help_flag_prints_usage() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("redesign-macro-help");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":school-count --help");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("--distinct"), "usage expected:\n{out}");
    assert!(!out.contains("unknown option"), "{out}");
    assert!(!out.to_lowercase().contains("error"), "{out}");
    assert!(sent(&fx).is_empty(), "--help runs nothing: {:?}", sent(&fx));
}

/// `:help validate` shows the macro's full usage, options included.
#[test]
fn redesign_help_for_a_macro_shows_its_options() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("redesign-help-validate");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":help validate");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("--resume"), "options expected:\n{out}");
}

/// Ctrl-C during `:school-count`: no literal `^C` on screen, a summary line, the prompt back.
#[test]
fn redesign_ctrl_c_in_a_macro_leaves_no_caret_c_and_prints_a_summary() {
    let (fx, _) = crate::demos_fixture::start_fixture();
    let dir = TempDir::new("redesign-macro-ctrl-c");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":school-count");
    sh.expect("School messages: 20");
    sh.send(CTRL_C);
    let out = sh.expect(FX_PROMPT);
    assert!(
        out.contains("(the count changed") || out.contains("cancelled ("),
        "a summary line expected after Ctrl-C:\n{out}"
    );
    assert!(!sh.all().contains("^C"), "{}", sh.all());
}

/// A macro's status and its echoed SQL are separate lines on the terminal, not run together.
#[test]
fn redesign_macro_status_and_echoed_sql_are_whole_lines() {
    let (fx, _) = crate::demos_fixture::start_fixture();
    let dir = TempDir::new("redesign-macro-lines");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":school-count");
    sh.expect("School messages: 20");
    sh.send(CTRL_C);
    sh.expect(FX_PROMPT);
    let raw = sh.raw();
    // A terminal line is what lies between newlines; a carriage return starts it over.
    for line in raw.split('\n') {
        for segment in line.split('\r') {
            let visible = strip_ansi(segment);
            assert!(
                !(visible.contains("waiting for the first") && visible.contains("SELECT")),
                "status and SQL on one line: {visible:?}"
            );
        }
    }
}

/// The same statement in tsv: batch (`-q --format tsv`) and the shell (`:format tsv`) print
/// the same rows (the shell may add its `N rows in …` status line).
#[test]
fn redesign_batch_and_shell_print_the_same_tsv() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("redesign-same-tsv");
    let statement = "SELECT * FROM profile_demo";
    let out = run(batch(dir.path())
        .args(["--host", "127.0.0.1", "--port", &fx.port().to_string()])
        .args(["--format", "tsv", "-q", statement]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let from_batch = text(&out.stdout);
    assert!(from_batch.lines().count() >= 4, "{from_batch}");

    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":format tsv");
    sh.expect(FX_PROMPT);
    sh.line(&format!("{statement};"));
    let shown = sh.expect(FX_PROMPT);
    let from_shell: String = shown
        .strip_suffix(FX_PROMPT)
        .unwrap_or(&shown)
        .lines()
        .filter(|l| !l.contains(" in ") || l.contains('\t'))
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(from_shell, from_batch, "shell screen:\n{shown}");
}
