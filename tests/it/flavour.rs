//! The server's flavour from its Hello: on ClickHouse the shell teaches no Proton (no streaming hint, live view or snake_case advice).
//!
//! ClickHouse tests need `CLICKHOUSE_TEST_ADDR` (set by scripts/test.sh) and fail without it.

use crate::support::pty::*;
use crate::support::TempDir;

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
