//! The server's flavour from its Hello: on ClickHouse the shell teaches no Proton (no streaming hint, live view or snake_case advice) and the Ed-Fi macros refuse plainly before trying.
//!
//! ClickHouse tests need `CLICKHOUSE_TEST_ADDR` (set by scripts/test.sh) and fail without it.

use crate::support::demo::{run_to_end, Macro};
use crate::support::fixture::ProtonFixture;
use crate::support::pty::*;
use crate::support::{batch, clickhouse_args, connect_fixture, run, text, TempDir};
use proton_shell::demos::DemoConfig;

const MACROS: [&str; 4] = [":school-count", ":new-docs", ":validate", ":demo-load"];
const NOT_PROTON: &str = ", not Proton: the Ed-Fi macros need Proton's external streams";

/// Each macro on ClickHouse: one plain sentence naming the server, no statement tried, and no
/// Kafka advice (the tester saw a syntax error followed by a broker hint).
#[test]
fn clickhouse_demo_macros_say_the_server_is_not_proton() {
    for mac in MACROS {
        let home = TempDir::new("ch-macro");
        let out = run(batch(home.path()).args(clickhouse_args()).args(["-q", mac]));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{mac}: {stderr}");
        assert!(
            stderr.contains("this server is ClickHouse "),
            "{mac}: {stderr}"
        );
        assert!(stderr.contains(NOT_PROTON), "{mac}: {stderr}");
        assert!(!stderr.contains("Kafka brokers"), "{mac}: {stderr}");
        assert!(!stderr.contains("Code: 62"), "{mac}: {stderr}");
        assert!(!stdout.contains("EXTERNAL STREAM"), "{mac}: {stdout}");
    }
}

/// A server that calls itself ClickHouse gets no statement from a macro at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_macro_sends_nothing_to_a_server_that_is_not_proton() {
    let fx = ProtonFixture::builder().server_name("ClickHouse").start();
    let mut conn = connect_fixture(&fx).await;
    for mac in MACROS {
        let name = mac.trim_start_matches(':');
        let ran = run_to_end(
            &mut conn,
            &DemoConfig::default(),
            &Macro::parse(name, &[]),
            false,
        )
        .await;
        let err = ran.summary.as_ref().expect_err("refused").to_string();
        assert!(
            err.starts_with("this server is ClickHouse ") && err.ends_with(NOT_PROTON),
            "{mac}: {err}"
        );
        assert!(!ran.text().contains("EXTERNAL STREAM"), "{}", ran.text());
    }
    assert!(fx.queries().is_empty(), "{:?}", fx.queries());
}

/// A plain table on ClickHouse is a table: no streaming hint on its first SELECT, an aggregate
/// in a table (not the live view), and camelCase function names are not called wrong.
#[test]
fn clickhouse_gets_no_proton_teaching() {
    let dir = TempDir::new("ch-flavour");
    let mut sh = spawn_on_clickhouse(dir.path());
    sh.expect(CH_PROMPT);
    // A temporary table lives in this connection only: nothing to clean up on the server.
    sh.line("CREATE TEMPORARY TABLE flavour_t (x UInt8);");
    sh.expect(CH_PROMPT);
    sh.line("SELECT * FROM flavour_t;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("0 rows in"), "{out}");
    assert!(!out.contains("streaming query"), "{out}");
    sh.line("SELECT count() FROM flavour_t;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("1 row in"), "{out}");
    assert!(!out.contains("emit #"), "{out}");
    sh.line("SELECT toStrin(1);");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("Code: 46."), "{out}");
    assert!(!out.contains("snake_case"), "{out}");
    sh.line("SELECT to_string(1);");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("camelCase: toString"), "{out}");
    sh.line("SELECT * FROM flavour_missing;");
    let out = sh.expect(CH_PROMPT);
    assert!(out.contains("SHOW TABLES"), "{out}");
    assert!(!out.contains("SHOW STREAMS"), "{out}");
}
