//! Machine formats of the real binary against clickhouse-client 18.16 on the same queries: JSONEachRow, CSV, TabSeparated and TabSeparatedRaw byte for byte, every JSON line valid JSON.
//!
//! The battery covers every type 18.16 can return (no Map, IPv4/IPv6 types, DateTime64, Bool
//! or 128/256-bit integers there: those are held to ClickHouse's bytes by the unit tests and the
//! Proton vectors). Where ours differs, as the README documents, the battery leaves the value
//! out or maps it: DateTime 0 (18.16 prints `0000-00-00 00:00:00`, later versions 1970-01-01),
//! a top-level NULL in TabSeparatedRaw (18.16 prints `ᴺᵁᴸᴸ`, later versions and proton-shell
//! `\N`) and invalid UTF-8 in JSON (ours is valid JSON, see
//! [`json_replaces_invalid_utf8_where_clickhouse_writes_the_bytes`]).

use crate::support::{self, batch, run, text, TempDir};

/// Queries over every type, each value where its escaping can go wrong.
const BATTERY: &[&str] = &[
    // Integers of every width; 64-bit ones at the top level and nested (quoted by
    // --json-quote-64bit at any depth, as ClickHouse does), and an interval (an Int64).
    "SELECT toInt8(-1) AS i8, toInt16(-300) AS i16, toInt32(-70000) AS i32, \
     toInt64(-5000000000) AS i64, toUInt8(255) AS u8, toUInt16(65535) AS u16, \
     toUInt32(4294967295) AS u32, toUInt64(18446744073709551615) AS u64, \
     [toUInt64(1), 2] AS au64, [toInt64(-1)] AS ai64, (toUInt64(5), toInt32(6)) AS tu, \
     toNullable(toInt64(-7)) AS ni64, toIntervalSecond(5) AS iv",
    // Floats, with the values JSON has no number for.
    "SELECT toFloat32(1.5) AS f32, toFloat64(0.1) AS f64, 1e21 AS big, -1e-7 AS small, \
     1/0 AS inf, -1/0 AS ninf, 0/0 AS nan, 123456.789 AS x, toFloat32(0.1) AS f32b, \
     [1/0, 0/0, 2.5] AS af",
    // Strings with every byte JSON, CSV or TSV escapes; short ones (the fast path takes
    // them) and long ones.
    "SELECT 'tab\\there' AS a, 'nl\\nx' AS b, 'bs\\\\x' AS c, 'q\\'x' AS d, 'zero\\0x' AS e, \
     '' AS f, 'dq\"x' AS g, '\\x01\\x1f\\x7f' AS h, 'é東京' AS i, 'x/y' AS j, '\\x08\\x0c' AS k, \
     'a\u{2028}b\u{2029}c' AS l, 'a \"long\" string/with\\ttabs, over sixteen bytes' AS m, \
     ['x/y', 'q\"', 'it\\'s'] AS n",
    // Only UInt64 and String columns, many rows: the fast path, falling back per cell.
    "SELECT number AS n, arrayElement(['', 'plain', 'x/y', 'tab\\there', 'q\"uote', \
     'back\\\\slash', 'é', '\\x01\\x1f\\x7f', '\\x08\\x0c', 'it\\'s', \
     'sixteen bytes ok', 'seventeen bytes!!', 'long with / slash, over sixteen bytes', \
     'a\u{2028}b'], number % 14 + 1) AS s, toString(number * 1000003) AS t \
     FROM system.numbers LIMIT 60",
    // FixedString, padded with zero bytes.
    "SELECT toFixedString('ab', 4) AS a, toFixedString('', 3) AS b, \
     toFixedString('a\"\\\\/', 5) AS c, [toFixedString('x', 2)] AS d",
    // Dates and times, in UTC and a zone with summer time.
    "SELECT toDate('2024-02-29') AS d, toDateTime('2024-02-29 12:34:56', 'UTC') AS t, \
     toDateTime('2024-07-01 12:00:00', 'Europe/London') AS l, toDateTime(1700000000, 'UTC') AS e, \
     [toDate('2024-01-01')] AS ad, (toDate('2024-01-01'), toDateTime(86400, 'UTC')) AS td",
    // Decimals of every width.
    "SELECT toDecimal32(1.25, 2) AS a, toDecimal64(-12345.6789, 4) AS b, toDecimal128(1, 6) AS c, \
     CAST('-0.05' AS Decimal(9, 2)) AS d, toDecimal32(5, 0) AS e, [toDecimal32(1.5, 2)] AS f",
    // UUID, and the IPv4/IPv6 functions (18.16 has no IPv4/IPv6 types: a UInt32 and a
    // FixedString(16) of bytes, zero bytes included).
    "SELECT toUUID('123e4567-e89b-12d3-a456-426614174000') AS u, \
     [toUUID('00000000-0000-0000-0000-000000000001')] AS au, IPv4StringToNum('1.2.3.4') AS v4, \
     IPv4NumToString(toUInt32(16909060)) AS v4s, IPv6StringToNum('::1') AS v6",
    // Enum8 and Enum16, names that need escaping, nested and nullable.
    "SELECT CAST('a' AS Enum8('a' = 1, 'b' = 2)) AS a, CAST('b' AS Enum16('a' = 1, 'b' = 1000)) AS b, \
     CAST('it\\'s' AS Enum8('it\\'s' = 1)) AS c, CAST('q\"\\\\t' AS Enum8('q\"\\\\t' = -3)) AS d, \
     CAST('tab\\there' AS Enum8('tab\\there' = 1)) AS e, CAST('x/y' AS Enum8('x/y' = 1)) AS f, \
     [CAST('a' AS Enum8('a' = 1))] AS g, (CAST('a' AS Enum8('a' = 1)), 1) AS h, \
     CAST(CAST('x' AS Enum8('x' = 5)) AS Nullable(Enum8('x' = 5))) AS i, \
     [CAST(NULL AS Nullable(Enum8('x' = 5)))] AS j",
    // NULL everywhere it can be.
    "SELECT toNullable(number) AS a, if(number = 1, NULL, 'x') AS b, NULL AS c, \
     [1, NULL] AS d, (NULL, 'x') AS e FROM system.numbers LIMIT 3",
    // Arrays and tuples, nested.
    "SELECT [1, 2] AS a, ['a', 'b\\'c', 'd\"e'] AS b, [[1], [2, 3]] AS c, [] AS d, \
     (1, 'a') AS e, [(1, 'a')] AS f, (NULL, toUInt64(5), 'x\"y') AS g, ((1, 2), [3]) AS h, \
     [['a/b']] AS i",
    // LowCardinality, plain and nullable, and in an array.
    "SELECT CAST('a/b' AS LowCardinality(String)) AS a, \
     CAST(if(number = 1, NULL, 'lc') AS LowCardinality(Nullable(String))) AS b, \
     [CAST('x' AS LowCardinality(String))] AS c FROM system.numbers LIMIT 2",
    // Column names that need escaping.
    "SELECT toUInt64(5) AS `we\"ird\\tkey`, 1 AS `é`, 2 AS `a/b`",
];

/// The battery query `sql` as proton-shell writes it with `--format format` and `extra`.
fn ours(format: &str, extra: &[&str], sql: &str) -> Vec<u8> {
    let (host, port) = support::clickhouse();
    let home = TempDir::new("fidelity");
    let out = run(batch(home.path())
        .args([
            "--host",
            &host,
            "--port",
            &port.to_string(),
            "--format",
            format,
        ])
        .args(extra)
        .args(["-q", sql]));
    assert!(
        out.status.success(),
        "proton-shell --format {format}: {sql}\n{}",
        text(&out.stderr)
    );
    out.stdout
}

/// Every line of `out` parses as one JSON object; their number.
fn json_objects(out: &[u8], what: &str) -> usize {
    let lines = std::str::from_utf8(out).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{what}: invalid JSON ({e}): {line}"));
        assert!(v.is_object(), "{what}: {line}");
    }
    lines.lines().count()
}

#[test]
fn json_each_row_is_byte_identical_to_clickhouse_client_for_every_type() {
    for sql in BATTERY {
        let mine = ours("json", &["--json-quote-64bit"], sql);
        assert!(json_objects(&mine, sql) > 0, "{sql}: no rows");
        assert_eq!(
            text(&mine),
            text(&support::clickhouse_client("JSONEachRow", sql)),
            "--format json --json-quote-64bit vs JSONEachRow: {sql}"
        );
    }
}

/// `v` with every string that reads as an integer turned into that number.
fn unquote_integers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => match (s.parse::<i64>(), s.parse::<u64>()) {
            (Ok(i), _) => i.into(),
            (_, Ok(u)) => u.into(),
            _ => Value::String(s),
        },
        Value::Array(a) => a.into_iter().map(unquote_integers).collect(),
        Value::Object(o) => o
            .into_iter()
            .map(|(k, v)| (k, unquote_integers(v)))
            .collect(),
        v => v,
    }
}

#[test]
fn json_without_quoting_is_valid_json_with_the_same_values() {
    let parse = |out: &[u8]| -> Vec<serde_json::Value> {
        text(out)
            .lines()
            .map(|l| unquote_integers(serde_json::from_str(l).unwrap()))
            .collect()
    };
    for sql in BATTERY {
        let plain = ours("json", &[], sql);
        let quoted = ours("json", &["--json-quote-64bit"], sql);
        assert_eq!(json_objects(&plain, sql), json_objects(&quoted, sql));
        // Only the quotes around 64-bit integers differ.
        assert_eq!(parse(&plain), parse(&quoted), "{sql}");
    }
}

#[test]
fn csv_tsv_and_raw_are_byte_identical_to_clickhouse_client_for_every_type() {
    for sql in BATTERY {
        for (mine, reference) in [
            ("csv", "CSV"),
            ("tsv", "TabSeparated"),
            ("raw", "TabSeparatedRaw"),
        ] {
            let mut want = text(&support::clickhouse_client(reference, sql));
            if mine == "raw" {
                // A top-level NULL: 18.16 writes ᴺᵁᴸᴸ, later versions and we \N (module docs).
                want = want.replace("ᴺᵁᴸᴸ", "\\N");
            }
            assert_eq!(
                text(&ours(mine, &[], sql)),
                want,
                "--format {mine} vs {reference}: {sql}"
            );
        }
    }
}

#[test]
fn json_replaces_invalid_utf8_where_clickhouse_writes_the_bytes() {
    let sql = "SELECT 'ok\\xff\\xfe!' AS s, ['\\xc3'] AS a";
    let mine = ours("json", &[], sql);
    assert_eq!(json_objects(&mine, sql), 1);
    assert_eq!(
        text(&mine),
        "{\"s\":\"ok\u{fffd}\u{fffd}!\",\"a\":[\"\u{fffd}\"]}\n"
    );
    // ClickHouse writes the bytes as they are: not UTF-8, so not JSON.
    assert!(std::str::from_utf8(&support::clickhouse_client("JSONEachRow", sql)).is_err());
}

#[test]
fn enums_are_json_strings_in_every_json_output() {
    let sql =
        "SELECT CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS e, [CAST('a' AS Enum8('a' = 1))] AS ea";
    let want = "{\"e\":\"b\",\"ea\":[\"a\"]}\n";
    assert_eq!(text(&ours("json", &[], sql)), want, "--format json");
    let clause = format!("{sql} FORMAT JSONEachRow");
    assert_eq!(text(&ours("tsv", &[], &clause)), want, "FORMAT JSONEachRow");
    let home = TempDir::new("fidelity-tee");
    let file = home.join("x.jsonl");
    let (host, port) = support::clickhouse();
    let out = run(batch(home.path())
        .args(["--host", &host, "--port", &port.to_string()])
        .arg("--tee")
        .arg(&file)
        .args(["-q", sql]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        want,
        "--tee x.jsonl"
    );
}

#[test]
fn format_json_is_refused_as_clearly_as_xml() {
    let (host, port) = support::clickhouse();
    let home = TempDir::new("fidelity-refuse");
    for clause in ["JSON", "json", "XML", "Values", "JSONCompact"] {
        let out = run(batch(home.path())
            .args(["--host", &host, "--port", &port.to_string()])
            .args(["-q", &format!("SELECT 1 AS x FORMAT {clause}")]));
        assert_eq!(out.status.code(), Some(2), "FORMAT {clause}");
        assert_eq!(text(&out.stdout), "", "FORMAT {clause}: nothing runs");
        let err = text(&out.stderr);
        assert!(err.contains(&format!("FORMAT {clause}")), "{err}");
        assert!(
            err.contains("JSONEachRow"),
            "the formats it can write: {err}"
        );
    }
    // `--format json` stays JSON lines.
    assert_eq!(text(&ours("json", &[], "SELECT 1 AS x")), "{\"x\":1}\n");
}
