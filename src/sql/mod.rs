//! A small, forgiving SQL lexer and statement analyser for Proton: tokens for highlighting, statement ends for the line editor, and the few facts the shell needs (kind, DDL, streaming, changelog, secrets, tables).
//!
//! Nothing here parses SQL properly, and nothing here ever fails: every input, however broken
//! (an unterminated string, a stray backtick, half a comment), produces tokens that cover it.
//! The analysis is a heuristic over those tokens; the server stays the judge of what is valid.

mod analyze;
mod effect;
mod lexer;
mod quote;
mod secret;
mod split;

pub use analyze::{analyze, analyze_for, table_aliases, Analysis, Window};
pub use effect::{session_effect, SessionEffect};
pub use lexer::{tokenize, tokenize_with_state, Token, TokenKind, KEYWORDS};
pub use quote::{quote_ident, quote_name, set_statement, sql_string};
pub use secret::has_secret;
pub use split::{has_content, is_complete, split_statements, Statement};

#[cfg(test)]
mod tests {
    use super::analyze::{is_aggregate_function, StatementKind};
    use super::lexer::is_keyword;
    use super::*;
    use TokenKind::*;

    fn kinds(s: &str) -> Vec<(TokenKind, &str)> {
        tokenize(s)
            .into_iter()
            .filter(|t| t.kind != Whitespace)
            .map(|t| (t.kind, t.text(s)))
            .collect()
    }

    fn covers(s: &str) {
        let toks = tokenize(s);
        let mut at = 0;
        for t in &toks {
            assert_eq!(t.start, at, "gap in {s:?}: {toks:?}");
            assert!(t.end > t.start, "empty token in {s:?}");
            assert!(s.is_char_boundary(t.start) && s.is_char_boundary(t.end));
            at = t.end;
        }
        assert_eq!(at, s.len(), "tokens do not reach the end of {s:?}");
    }

    #[test]
    fn keywords_sorted_uppercase_for_binary_search() {
        let mut sorted = KEYWORDS.to_vec();
        sorted.sort();
        assert_eq!(sorted, KEYWORDS, "KEYWORDS must stay sorted");
        assert!(KEYWORDS
            .iter()
            .all(|k| k.chars().all(|c| c.is_ascii_uppercase())));
        let mut aggs = analyze::AGGREGATES.to_vec();
        aggs.sort();
        assert_eq!(aggs, analyze::AGGREGATES, "AGGREGATES must stay sorted");
        assert!(is_keyword("select") && is_keyword("Emit") && !is_keyword("table"));
        assert!(!is_keyword("tumble") && !is_keyword("hop") && !is_keyword("session"));
    }

    #[test]
    fn basic_tokens() {
        assert_eq!(
            kinds("SELECT a, 1.5 FROM s -- c\n/* b */ 'x'"),
            vec![
                (Keyword, "SELECT"),
                (Ident, "a"),
                (Operator, ","),
                (Number, "1.5"),
                (Keyword, "FROM"),
                (Ident, "s"),
                (Comment, "-- c"),
                (Comment, "/* b */"),
                (String, "'x'"),
            ]
        );
    }

    #[test]
    fn strings_with_escapes_and_doubled_quotes() {
        assert_eq!(kinds(r"'it\'s'"), vec![(String, r"'it\'s'")]);
        assert_eq!(kinds("'it''s' x"), vec![(String, "'it''s'"), (Ident, "x")]);
        assert_eq!(kinds(r"'a\\' b"), vec![(String, r"'a\\'"), (Ident, "b")]);
        assert_eq!(kinds("'unterminated"), vec![(String, "'unterminated")]);
        assert_eq!(
            kinds(r"'ends in backslash\"),
            vec![(String, r"'ends in backslash\")]
        );
    }

    #[test]
    fn quoted_identifiers() {
        assert_eq!(
            kinds("`my stream`.`a``b` \"x\""),
            vec![
                (QuotedIdent, "`my stream`"),
                (Operator, "."),
                (QuotedIdent, "`a``b`"),
                (QuotedIdent, "\"x\""),
            ]
        );
        assert_eq!(kinds("`open"), vec![(QuotedIdent, "`open")]);
    }

    #[test]
    fn comments() {
        assert_eq!(
            kinds("/* a /* nested */ b */x"),
            vec![(Comment, "/* a /* nested */ b */"), (Ident, "x")]
        );
        assert_eq!(kinds("/* open"), vec![(Comment, "/* open")]);
        assert_eq!(kinds("a--b"), vec![(Ident, "a"), (Comment, "--b")]);
        assert_eq!(
            kinds("a - -b"),
            vec![(Ident, "a"), (Operator, "-"), (Operator, "-"), (Ident, "b")]
        );
    }

    #[test]
    fn numbers_and_intervals() {
        assert_eq!(
            kinds("1 2.5 1e-3 0x1F 5s 500ms .5 3."),
            vec![
                (Number, "1"),
                (Number, "2.5"),
                (Number, "1e-3"),
                (Number, "0x1F"),
                (Number, "5s"),
                (Number, "500ms"),
                (Number, ".5"),
                (Number, "3."),
            ]
        );
        // tuple access t.1 is a name, a dot and a number
        assert_eq!(
            kinds("t.1"),
            vec![(Ident, "t"), (Operator, "."), (Number, "1")]
        );
    }

    #[test]
    fn json_shortcut() {
        let k = kinds("raw:a.b.c::int");
        assert_eq!(
            k,
            vec![
                (Ident, "raw"),
                (JsonPath, ":a.b.c"),
                (Operator, "::"),
                (Ident, "int")
            ]
        );
        assert_eq!(
            kinds("raw:`a.b`.c"),
            vec![(Ident, "raw"), (JsonPath, ":`a.b`.c")]
        );
        assert_eq!(
            kinds("x:payload.after.id = 1"),
            vec![
                (Ident, "x"),
                (JsonPath, ":payload.after.id"),
                (Operator, "="),
                (Number, "1")
            ]
        );
        // a cast is not a path; nor is the ternary
        assert_eq!(
            kinds("x::string"),
            vec![(Ident, "x"), (Operator, "::"), (Ident, "string")]
        );
        assert_eq!(
            kinds("c ? a:b"),
            vec![
                (Ident, "c"),
                (Operator, "?"),
                (Ident, "a"),
                (Operator, ":"),
                (Ident, "b")
            ]
        );
        // keywords are never JSON roots
        assert_eq!(
            kinds("raw:resourcename='School'")[1],
            (JsonPath, ":resourcename")
        );
    }

    #[test]
    fn params_and_backslash_g() {
        assert_eq!(
            kinds("WHERE id = {id:uint32} AND t IN {xs:array(string)}"),
            vec![
                (Keyword, "WHERE"),
                (Ident, "id"),
                (Operator, "="),
                (Param, "{id:uint32}"),
                (Keyword, "AND"),
                (Ident, "t"),
                (Keyword, "IN"),
                (Param, "{xs:array(string)}"),
            ]
        );
        assert_eq!(kinds("{a, b}")[0], (Operator, "{"));
        assert_eq!(
            kinds("SELECT 1\\G"),
            vec![(Keyword, "SELECT"), (Number, "1"), (Other, "\\G")]
        );
    }

    #[test]
    fn keywords_after_dot_and_function_like() {
        assert_eq!(
            kinds("system.tables"),
            vec![(Ident, "system"), (Operator, "."), (Ident, "tables")]
        );
        assert_eq!(kinds("t.from")[2], (Ident, "from"));
        assert_eq!(kinds("left(s, 2)")[0], (Ident, "left"));
        assert_eq!(kinds("LEFT JOIN")[0], (Keyword, "LEFT"));
        assert_eq!(kinds("table(s)")[0], (Ident, "table"));
    }

    #[test]
    fn never_panics_and_covers_input() {
        let nasty = [
            "",
            "'",
            "`",
            "\"",
            "/*",
            "/* /*",
            "--",
            "\\",
            "{",
            "{a:",
            "{a:b",
            "raw:",
            "raw:`",
            "raw:a.",
            "raw:a.`b",
            "0x",
            "1e",
            "1e-",
            "1.e5",
            "..",
            "é'ü`ß",
            "SELECT 'ä' FROM ö WHERE raw:ü.ß = 1",
            "a\u{00a0}b",
            "日本語:パス",
            "'\\",
            "`a``",
            "x ? raw:a",
            "{{{}}}",
            "$$ @ # \u{1F600}",
        ];
        for s in nasty {
            covers(s);
            let _ = is_complete(s);
            let _ = split_statements(s);
            let _ = analyze(s);
        }
        // every prefix of a realistic statement
        let s = "SELECT raw:a.`b.c`::int, {p:string} /* x */ FROM `s` WHERE x = 'it''s\\'' -- c\n\\G; é";
        for (i, _) in s.char_indices() {
            covers(&s[..i]);
            let _ = is_complete(&s[..i]);
            let _ = analyze(&s[..i]);
        }
    }

    #[test]
    fn completeness() {
        assert!(is_complete(""));
        assert!(is_complete("   \n "));
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1;  \n"));
        assert!(is_complete("SELECT 1; -- trailing comment"));
        assert!(is_complete("SELECT 1; /* trailing */"));
        assert!(is_complete("SELECT 1\\G"));
        assert!(is_complete("SELECT 1 \\G  "));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';'"));
        assert!(is_complete("SELECT ';';"));
        assert!(!is_complete("SELECT 'a;"));
        assert!(!is_complete("SELECT 'it\\';"));
        assert!(is_complete("SELECT 'it\\'';"));
        assert!(!is_complete("SELECT 'it'';"));
        assert!(is_complete("SELECT 'it''';"));
        assert!(!is_complete("SELECT 1 -- ;"));
        assert!(!is_complete("SELECT 1 /* ; */"));
        assert!(!is_complete("SELECT 1; /* open"));
        assert!(!is_complete("SELECT `a;"));
        assert!(!is_complete("SELECT `a;`"));
        assert!(!is_complete("SELECT 1;\nSELECT 2"));
        assert!(is_complete("SELECT 1; SELECT 2;"));
        assert!(!is_complete("SELECT '\\G'"));
        assert!(has_content("SELECT"));
        assert!(!has_content(" -- x\n /* y */ "));
        assert!(has_content("'open"));
    }

    #[test]
    fn windows_and_how_often_they_emit() {
        use std::time::Duration;
        let w = |sql: &str| analyze(sql).window;
        assert_eq!(
            w("SELECT window_start, count() FROM tumble(devices, 5s) GROUP BY window_start"),
            Some(Window {
                kind: "tumble",
                every: Some(Duration::from_secs(5))
            })
        );
        assert_eq!(
            w("SELECT 1 FROM hop(devices, _tp_time, 2s, 10s) GROUP BY window_start"),
            Some(Window {
                kind: "hop",
                every: Some(Duration::from_secs(2))
            })
        );
        assert_eq!(
            w("SELECT 1 FROM session(devices, 3s) PARTITION BY d GROUP BY d"),
            Some(Window {
                kind: "session",
                every: Some(Duration::from_secs(3))
            })
        );
        assert_eq!(
            w("SELECT 1 FROM tumble(s, INTERVAL 1 MINUTE)").and_then(|w| w.every),
            Some(Duration::from_secs(60))
        );
        assert_eq!(w("SELECT count() FROM s"), None);
        use super::analyze::parse_interval;
        assert_eq!(parse_interval("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_interval("99999999999999999999s"), None);
        assert_eq!(parse_interval("5x"), None);
    }

    #[test]
    fn splitting() {
        let st = split_statements("SELECT 1; SELECT ';' ; SELECT `a;b`\\G /* ; */ -- ;\n;;");
        assert_eq!(
            st,
            vec![
                Statement {
                    sql: "SELECT 1".into(),
                    vertical: false
                },
                Statement {
                    sql: "SELECT ';'".into(),
                    vertical: false
                },
                Statement {
                    sql: "SELECT `a;b`".into(),
                    vertical: true
                },
            ]
        );
        assert_eq!(split_statements("  ;; ; "), vec![]);
        assert_eq!(split_statements("-- only a comment\n;"), vec![]);
        assert_eq!(
            split_statements("SELECT 1;\nSELECT 2"),
            vec![
                Statement {
                    sql: "SELECT 1".into(),
                    vertical: false
                },
                Statement {
                    sql: "SELECT 2".into(),
                    vertical: false
                },
            ]
        );
        let multi = split_statements("SELECT\n  a,\n  b\nFROM t\n;");
        assert_eq!(multi.len(), 1);
        assert_eq!(multi[0].sql, "SELECT\n  a,\n  b\nFROM t");
        let escaped = split_statements(r"SELECT 'a\';b'; SELECT 'c''d;'");
        assert_eq!(escaped.len(), 2);
        assert_eq!(escaped[0].sql, r"SELECT 'a\';b'");
        assert_eq!(escaped[1].sql, "SELECT 'c''d;'");
    }

    #[test]
    fn statement_kinds() {
        let k = |s: &str| analyze(s).kind;
        assert_eq!(k("select 1"), StatementKind::Select);
        assert_eq!(
            k("WITH x AS (SELECT 1) SELECT * FROM x"),
            StatementKind::Select
        );
        assert_eq!(k("(SELECT 1)"), StatementKind::Select);
        assert_eq!(k("-- hi\nINSERT INTO s VALUES (1)"), StatementKind::Insert);
        assert_eq!(k("CREATE STREAM s (a int)"), StatementKind::Create);
        assert_eq!(k("DROP STREAM s"), StatementKind::Drop);
        assert_eq!(k("ALTER STREAM s ADD COLUMN b int"), StatementKind::Alter);
        assert_eq!(k("SET x = 1"), StatementKind::Set);
        assert_eq!(k("USE db"), StatementKind::Use);
        assert_eq!(k("SHOW STREAMS"), StatementKind::Show);
        assert_eq!(k("DESC s"), StatementKind::Describe);
        assert_eq!(k("DESCRIBE s"), StatementKind::Describe);
        assert_eq!(k("EXPLAIN SELECT 1"), StatementKind::Explain);
        assert_eq!(k("KILL QUERY WHERE 1"), StatementKind::Other);
        assert_eq!(k(""), StatementKind::Other);
        for ddl in [
            "CREATE STREAM s (a int)",
            "drop view v",
            "ALTER STREAM s DELETE WHERE 1",
            "RENAME STREAM a TO b",
            "TRUNCATE STREAM s",
        ] {
            assert!(analyze(ddl).is_ddl, "{ddl}");
        }
        assert!(!analyze("SELECT 1").is_ddl);
        assert!(!analyze("INSERT INTO s VALUES (1)").is_ddl);
    }

    #[test]
    fn nothing_streams_on_clickhouse() {
        use crate::wire::Flavour;
        for sql in [
            "SELECT * FROM brand_new_table",
            "SELECT count() FROM events_log",
            "SELECT window_start, count() FROM tumble(s, 5s) GROUP BY window_start",
        ] {
            let proton = analyze_for(sql, Flavour::Proton);
            assert!(proton.streaming, "{sql}");
            let ch = analyze_for(sql, Flavour::ClickHouse);
            assert!(!ch.streaming, "{sql}");
            assert!(!ch.aggregate_without_window, "{sql}");
            assert_eq!(ch.window, None, "{sql}");
            // The rest of the analysis does not depend on the server.
            assert_eq!(ch.tables, proton.tables, "{sql}");
            assert_eq!(ch.kind, proton.kind, "{sql}");
        }
        assert!(
            analyze_for("SELECT count() FROM events_log", Flavour::Proton).aggregate_without_window
        );
    }

    #[test]
    fn streaming_detection() {
        let a = analyze("SELECT count() FROM document WHERE raw:resourcename='School'");
        assert!(a.streaming && a.aggregate_without_window && !a.changelog);
        assert_eq!(a.tables, vec!["document"]);

        let a = analyze("SELECT * FROM table(schools)");
        assert!(!a.streaming && !a.aggregate_without_window);
        assert_eq!(a.tables, vec!["schools"]);

        let a = analyze("SELECT window_start, count() FROM tumble(s, 5s) GROUP BY window_start");
        assert!(a.streaming && !a.aggregate_without_window);
        assert_eq!(a.tables, vec!["s"]);

        let a = analyze(
            "SELECT window_start, count() FROM hop(table(s), 1s, 5s) GROUP BY window_start",
        );
        assert!(!a.streaming);
        assert_eq!(a.tables, vec!["s"]);

        let a = analyze("SELECT k, count() FROM s GROUP BY k EMIT CHANGELOG");
        assert!(a.streaming && a.aggregate_without_window && a.changelog);

        assert!(!analyze("SELECT * FROM s LIMIT 3").streaming);
        // A top-level FORMAT clause names the output format; not in a subquery, not for INSERT.
        let f = |s: &str| analyze(s).format;
        assert_eq!(f("SELECT 1 FORMAT JSONEachRow"), Some("JSONEachRow".into()));
        assert_eq!(f("SELECT 1 format Null"), Some("Null".into()));
        assert_eq!(
            f("SELECT * FROM s SETTINGS seek_to='earliest' FORMAT `CSV`"),
            Some("CSV".into())
        );
        assert_eq!(f("SELECT * FROM (SELECT 1 FORMAT CSV)"), None);
        assert_eq!(f("INSERT INTO t FORMAT CSV"), None);
        assert_eq!(f("SELECT 'FORMAT CSV'"), None);
        assert!(!analyze("SELECT * FROM s SETTINGS query_mode='table'").streaming);
        assert!(analyze("SELECT * FROM s SETTINGS seek_to='earliest'").streaming);
        assert!(!analyze("SELECT * FROM system.tables").streaming);
        assert!(!analyze("select * from SYSTEM.numbers").streaming);
        assert!(!analyze("SELECT * FROM numbers(10)").streaming);
        assert!(!analyze("SELECT 1").streaming);
        assert!(!analyze("SELECT extract(YEAR FROM now())").streaming);
        assert!(!analyze("SELECT trim(BOTH ' ' FROM x)").streaming);
        assert!(!analyze("INSERT INTO s SELECT * FROM t").streaming);
        assert!(!analyze("CREATE MATERIALIZED VIEW mv AS SELECT count() FROM s").streaming);
        assert!(!analyze("EXPLAIN SELECT * FROM s").streaming);

        let a = analyze("SELECT * FROM s");
        assert!(a.streaming && !a.aggregate_without_window);
        // subqueries and CTEs
        assert!(analyze("SELECT * FROM (SELECT a FROM s) WHERE a > 1").streaming);
        assert!(!analyze("SELECT * FROM (SELECT a FROM table(s)) WHERE a > 1").streaming);
        assert!(!analyze("WITH x AS (SELECT * FROM table(s)) SELECT count() FROM x").streaming);
        let a = analyze("WITH x AS (SELECT * FROM s) SELECT count() FROM x");
        assert!(a.streaming && a.aggregate_without_window);
        assert_eq!(a.tables, vec!["s"]);
        // joins
        let a = analyze("SELECT * FROM table(a) JOIN b ON a.id = b.id");
        assert!(a.streaming);
        assert_eq!(a.tables, vec!["a", "b"]);
        // aggregates by combinator, by GROUP BY, and not-aggregates
        assert!(analyze("SELECT count_if(x > 1) FROM s").aggregate_without_window);
        assert!(analyze("SELECT uniq_exact(x) FROM s").aggregate_without_window);
        assert!(analyze("SELECT top_k(x, 3) FROM s").aggregate_without_window);
        assert!(analyze("SELECT latest(x) FROM s").aggregate_without_window);
        assert!(analyze("SELECT k FROM s GROUP BY k").aggregate_without_window);
        assert!(analyze("SELECT groupArray(x) FROM s").aggregate_without_window);
        assert!(
            !analyze("SELECT * FROM s WHERE _tp_time > earliest_ts()").aggregate_without_window
        );
        assert!(!analyze("SELECT lower(x), to_string(y) FROM s").aggregate_without_window);
        // qualified and quoted names
        assert_eq!(analyze("SELECT * FROM db.`my s`").tables, vec!["db.my s"]);
        assert_eq!(analyze("INSERT INTO s (a) VALUES (1)").tables, vec!["s"]);
        assert_eq!(
            analyze("SELECT a FROM t1 LEFT JOIN t2 USING a JOIN t1 ON 1").tables,
            vec!["t1", "t2"]
        );
    }

    #[test]
    fn aggregate_names() {
        for f in [
            "count",
            "COUNT",
            "sum",
            "avg",
            "min",
            "max",
            "uniq",
            "any",
            "group_array",
            "top_k",
            "latest",
            "earliest",
            "quantile",
            "quantile_exact",
            "p90",
            "count_distinct",
            "sum_if",
            "avg_state",
            "min_merge",
            "countIf",
            "uniqExact",
            "argMax",
        ] {
            assert!(is_aggregate_function(f), "{f}");
        }
        for f in [
            "lower",
            "to_string",
            "earliest_ts",
            "earliest_timestamp",
            "now",
            "json_extract_string",
            "if",
            "array_join",
            "lag",
            "tumble",
        ] {
            assert!(!is_aggregate_function(f), "{f}");
        }
    }

    #[test]
    fn aliases() {
        assert_eq!(
            table_aliases("SELECT a.x, b.y FROM s AS a JOIN table(t) b ON a.id = b.id"),
            vec![
                ("a".to_string(), "s".to_string()),
                ("b".to_string(), "t".to_string())
            ]
        );
        assert_eq!(
            table_aliases("SELECT w.x FROM tumble(db.s, 5s) AS w"),
            vec![("w".to_string(), "db.s".to_string())]
        );
        assert_eq!(table_aliases("SELECT * FROM s WHERE x"), vec![]);
        assert_eq!(table_aliases("SELECT * FROM s"), vec![]);
    }

    #[test]
    fn secrets() {}
}
