//! Snippets and help at a real prompt (PTY): `:run`'s questions (Ctrl-C cancels), typed and quoted parameter values, `:save` keeping an existing file, `:help` wrapped to the terminal.
//!
//! ClickHouse tests need `CLICKHOUSE_TEST_ADDR` (set by scripts/test.sh) and fail without it.

use crate::support::fixture::ProtonFixture;
use crate::support::pty::*;
use crate::support::TempDir;
use std::path::{Path, PathBuf};

/// A snippet whose DateTime has no default: `:run dt` asks for it.
const DT: &str = "-- title: A time and a name\n-- params: t:DateTime, name:String\n\
                  SELECT {t:DateTime} AS t, {name:String} AS name, toTypeName({t:DateTime}) AS ty;\n";

/// A Date and a ClickHouse UUID, with their types.
const DU: &str = "-- title: A date and a UUID\n-- params: d:Date, u:UUID\n\
                  SELECT {d:Date} AS d, toTypeName({d:Date}) AS dty, toTypeName({u:UUID}) AS uty;\n";

/// Writes a user snippet where the hermetic shell looks for them (the XDG config dir).
fn user_snippet(home: &Path, name: &str, text: &str) -> PathBuf {
    let dir = home.join("config").join("proton-shell").join("snippets");
    std::fs::create_dir_all(&dir).expect("snippet dir");
    let path = dir.join(format!("{name}.sql"));
    std::fs::write(&path, text).expect("write snippet");
    path
}

/// The queries of the snippet `dt` (`… AS t, …`) the fixture received.
fn dt_queries(fx: &ProtonFixture) -> Vec<String> {
    fx.queries()
        .into_iter()
        .map(|q| q.sql)
        .filter(|sql| sql.contains(" AS t,"))
        .collect()
}

#[test]
fn ctrl_c_or_ctrl_d_at_a_parameter_question_cancels_the_run() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("run-ctrl-c");
    user_snippet(dir.path(), "dt", DT);
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);

    sh.line(":run dt");
    sh.expect("t (DateTime): ");
    sh.send(b"2024-01");
    sh.send(CTRL_C);
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains(":run dt cancelled; nothing ran"), "{out}");
    // What is typed next is a statement again, not the parameter's value.
    sh.line("SELECT 1;");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("1 row in"), "{out}");
    assert!(!out.contains("name (String)"), "{out}");

    sh.line(":run dt");
    sh.expect("t (DateTime): ");
    sh.send(CTRL_D);
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains(":run dt cancelled; nothing ran"), "{out}");

    // Like a cancelled statement, a cancelled :run skips the rest of what was pasted with it.
    sh.send(b"\x1b[200~:run dt\nSELECT 2 AS later;\x1b[201~\r");
    sh.expect("t (DateTime): ");
    sh.send(CTRL_C);
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains(":run dt cancelled; nothing ran"), "{out}");
    sh.line("SELECT 1;");
    sh.expect(FX_PROMPT);
    let sent: Vec<String> = fx.queries().into_iter().map(|q| q.sql).collect();
    assert!(
        !sent.iter().any(|q| q.contains("later")),
        "the pasted statement after :run did not run: {sent:?}"
    );

    // Both questions answered: it runs.
    sh.line(":run dt");
    sh.expect("t (DateTime): ");
    sh.line("2024-01-31 13:45:00");
    sh.expect("name (String): ");
    sh.line("ann");
    sh.expect(FX_PROMPT);
    let ran = dt_queries(&fx);
    assert_eq!(
        ran,
        [
            "SELECT CAST('2024-01-31 13:45:00' AS DateTime) AS t, 'ann' AS name, \
          toTypeName(CAST('2024-01-31 13:45:00' AS DateTime)) AS ty"
        ],
        "only the answered run reached the server; screen:\n{}",
        sh.all()
    );
}

#[test]
fn clickhouse_typed_parameters_are_checked_cast_and_quoted() {
    let dir = TempDir::new("run-typed");
    user_snippet(dir.path(), "dt", DT);
    user_snippet(dir.path(), "du", DU);
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);

    // Quotes keep a space in a value, double or single; the value arrives typed.
    sh.line(r#":run dt t="2024-01-31 13:45:00" name='a b'"#);
    let out = sh.expect(CH_PROMPT);
    assert!(
        out.lines().any(|l| l.contains("2024-01-31 13:45:00")
            && l.contains("a b")
            && l.trim_end().ends_with("DateTime")),
        "a DateTime row expected:\n{out}"
    );
    sh.line(r":run dt t=2024-01-31\ 13:45:00 name=x");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("1 row in"), "{out}");

    // A bad value names the parameter and the form expected, and nothing runs.
    for (line, wanted) in [
        (
            ":run dt t=banana name=x",
            "bad value for parameter t (DateTime): \"banana\": expected YYYY-MM-DD hh:mm:ss",
        ),
        (
            ":run du d=notadate u=123e4567-e89b-12d3-a456-426614174000",
            "bad value for parameter d (Date): \"notadate\": expected a date YYYY-MM-DD",
        ),
        (
            ":run du d=2024-02-30 u=123e4567-e89b-12d3-a456-426614174000",
            "2024-02-30 is not a date",
        ),
        (
            ":run du d=2024-01-31 u=notauuid",
            "bad value for parameter u (UUID): \"notauuid\": expected a UUID",
        ),
    ] {
        sh.line(line);
        let out = sh.expect(CH_PROMPT);
        assert!(out.contains(wanted), "{line}:\n{out}");
        assert!(!out.contains("-- SELECT"), "nothing runs: {line}:\n{out}");
    }

    sh.line(":run du d=2024-02-29 u=123E4567-E89B-12D3-A456-426614174000");
    let out = sh.expect(CH_PROMPT);
    assert!(
        out.lines()
            .any(|l| l.contains("2024-02-29") && l.contains("Date") && l.contains("UUID")),
        "a Date and a UUID expected:\n{out}"
    );
}

#[test]
fn save_keeps_an_existing_snippet_unless_forced() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("save-exists");
    let own = "-- title: Hand written\n-- params: n:UInt8=1\nSELECT {n:UInt8} AS n;\n";
    let path = user_snippet(dir.path(), "inj", own);
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line("SELECT 1;");
    sh.expect(FX_PROMPT);

    sh.line(":save inj");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("a snippet named inj already exists"), "{out}");
    assert!(out.contains("`:save inj --force` replaces it"), "{out}");
    assert!(!out.contains("saved to"), "{out}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), own);

    sh.line(":save inj --force");
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains("saved to"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "-- title: inj\n\nSELECT 1\n"
    );
}

/// Every line of `text` fits `width` columns, and `words` appear whole.
fn assert_wrapped(text: &str, width: usize, words: &[&str]) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= width,
            "wider than {width}: {line:?}\n{text}"
        );
    }
    for word in words {
        assert!(text.contains(word), "{word} split:\n{text}");
    }
}

#[test]
fn help_wraps_at_word_boundaries_to_the_terminal() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("help-wrap");
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    // The pty is 120 columns wide.
    sh.line(":help tee");
    let out = sh.expect(FX_PROMPT);
    let out = out.trim_end_matches(FX_PROMPT);
    assert_wrapped(out, 120, &["FILE-0002.EXT", "teed."]);

    sh.line(":help commands");
    let out = sh.expect(FX_PROMPT);
    let out = out.trim_end_matches(FX_PROMPT);
    assert_wrapped(out, 120, &["tsvwithnames,", "max_execution_time=30`"]);

    sh.resize(40, 60);
    sh.line(":help chart");
    let out = sh.expect(FX_PROMPT);
    let out = out.trim_end_matches(FX_PROMPT);
    assert_wrapped(out, 60, &["aggregates", "docs-per-resource`"]);
}

/// A String, a UInt16 and a Date, none with a default.
const NODEF: &str = "-- title: No defaults\n-- params: a:String, b:UInt16, c:Date\n\
                     SELECT {a:String} AS a, {b:UInt16} AS b, {c:Date} AS c;\n";

#[test]
fn a_bad_answer_is_refused_at_once_and_asked_again_and_quotes_are_stripped() {
    let fx = ProtonFixture::start();
    let dir = TempDir::new("run-reask");
    user_snippet(dir.path(), "nodef", NODEF);
    let mut sh = spawn_on_fixture(&fx, dir.path());
    sh.expect(FX_PROMPT);
    sh.line(":run nodef");
    sh.expect("a (String): ");
    sh.line("\"  padded  \"");
    sh.expect("b (UInt16): ");
    sh.line("abc");
    // Refused before the next question, and asked again.
    let out = sh.expect("bad value for parameter b (UInt16): \"abc\"");
    assert!(!out.contains("c (Date)"), "{out}");
    sh.expect("(Ctrl-C cancels)");
    sh.expect("b (UInt16): ");
    sh.line("70000");
    sh.expect("bad value for parameter b (UInt16)");
    sh.expect("(Ctrl-C cancels)");
    sh.expect("b (UInt16): ");
    sh.line("7");
    sh.expect("c (Date): ");
    sh.line("'2024-01-01'");
    sh.expect(FX_PROMPT);
    let ran: Vec<String> = fx
        .queries()
        .into_iter()
        .map(|q| q.sql)
        .filter(|sql| sql.contains(" AS a,"))
        .collect();
    assert_eq!(
        ran,
        ["SELECT '  padded  ' AS a, 7 AS b, CAST('2024-01-01' AS Date) AS c"],
        "{}",
        sh.all()
    );
    // Ctrl-C at a question asked again still cancels.
    sh.line(":run nodef");
    sh.expect("a (String): ");
    sh.line("x");
    sh.expect("b (UInt16): ");
    sh.line("-1");
    sh.expect("(Ctrl-C cancels)");
    sh.expect("b (UInt16): ");
    sh.send(CTRL_C);
    let out = sh.expect(FX_PROMPT);
    assert!(out.contains(":run nodef cancelled; nothing ran"), "{out}");
}
