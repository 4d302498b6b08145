//! The Ed-Fi demo macros end to end on a live Proton + Kafka, when PROTON_TEST_ADDR is set.
//!
//! With this project's `docker-compose.yml`:
//!
//! ```text
//! docker compose up -d
//! PROTON_TEST_ADDR=localhost:8463 cargo test --test demos_live -- --nocapture
//! ```
//!
//! Environment:
//! * `PROTON_TEST_ADDR` (`host:port`, native protocol). Unset: the test says
//!   so on stderr and returns. Set: it runs and must pass.
//! * `PROTON_TEST_USER`, `PROTON_TEST_PASSWORD` (default `default`, empty).
//! * `PROTON_TEST_BROKERS`: the Kafka brokers as Proton resolves them
//!   (default `redpanda:9092`, the compose service).
//! * `PROTON_TEST_TOPIC`: an existing topic (default `edfi.dms.document`,
//!   created by the compose's `redpanda-init`). The test writes the sample
//!   into it several times.
//!
//! The test uses its own external stream and view names (dropped at the end),
//! so it does not disturb a `document` stream or `schools` view already there.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proton_shell::demos::{
    demo_load, new_docs, parse_args, run, school_count, validate, DemoConfig, DemoLoadOpts,
    DemoOut, DemoSummary, NewDocsOpts, SchoolCountOpts, ValidateOpts,
};
use proton_shell::wire::{ConnectOptions, Connection};
use tokio::sync::watch;

fn proton_opts() -> Option<ConnectOptions> {
    let addr = match std::env::var("PROTON_TEST_ADDR") {
        Ok(a) if !a.trim().is_empty() => a,
        _ => {
            eprintln!("PROTON_TEST_ADDR not set: live demo-macro test not run");
            return None;
        }
    };
    let (host, port) = addr
        .trim()
        .rsplit_once(':')
        .expect("PROTON_TEST_ADDR is host:port");
    Some(ConnectOptions {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port: port.parse().expect("PROTON_TEST_ADDR port"),
        user: std::env::var("PROTON_TEST_USER").unwrap_or_else(|_| "default".into()),
        password: std::env::var("PROTON_TEST_PASSWORD").unwrap_or_default(),
        ..Default::default()
    })
}

#[derive(Clone, Default)]
struct SharedOut(Arc<Mutex<Vec<u8>>>);

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SharedOut {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Polls `cond` on the output until it holds or `timeout` passes, then stops the macro.
async fn stop_when(
    out: &SharedOut,
    stop: &watch::Sender<bool>,
    timeout: Duration,
    cond: impl Fn(&str) -> bool,
) -> bool {
    let deadline = Instant::now() + timeout;
    let met = loop {
        if cond(&out.text()) {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = stop.send(true);
    met
}

/// Stops the macro once its output has not grown for `quiet` (after `min`).
async fn stop_when_quiet(
    out: &SharedOut,
    stop: &watch::Sender<bool>,
    min: Duration,
    quiet: Duration,
    timeout: Duration,
) {
    let start = Instant::now();
    let mut last_len = 0;
    let mut last_change = Instant::now();
    while start.elapsed() < timeout {
        let len = out.text().len();
        if len != last_len {
            last_len = len;
            last_change = Instant::now();
        }
        if start.elapsed() >= min && last_change.elapsed() >= quiet {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
}

fn count_lines(text: &str, prefix: &str) -> usize {
    text.lines().filter(|l| l.starts_with(prefix)).count()
}

async fn load(conn: &mut Connection, cfg: &DemoConfig, pace: Option<Duration>) {
    let mut out: Vec<u8> = Vec::new();
    let (_tx, rx) = watch::channel(false);
    let summary = demo_load(
        conn,
        cfg,
        DemoLoadOpts { pace },
        DemoOut::plain(&mut out),
        rx,
    )
    .await
    .unwrap_or_else(|e| panic!("demo-load: {e}\n{}", String::from_utf8_lossy(&out)));
    assert!(
        matches!(
            summary,
            DemoSummary::DemoLoad {
                written: 38,
                total: 38,
                ..
            }
        ),
        "{summary}"
    );
}

fn totals(summary: &DemoSummary) -> proton_shell::demos::validate::Summary {
    match summary {
        DemoSummary::Validate { totals, .. } => *totals,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_load_then_each_macro() {
    let Some(opts) = proton_opts() else { return };
    let tag = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let dir = TempDir(std::env::temp_dir().join(format!("proton-shell-demos-live-{tag}")));
    let cfg = DemoConfig {
        stream: format!("pst_document_{tag}"),
        view: format!("pst_schools_{tag}"),
        brokers: std::env::var("PROTON_TEST_BROKERS").unwrap_or_else(|_| "redpanda:9092".into()),
        topic: std::env::var("PROTON_TEST_TOPIC").unwrap_or_else(|_| "edfi.dms.document".into()),
        data_dir: dir.0.clone(),
    };
    let mut conn = Connection::connect(opts.clone()).await.expect("connect");
    let mut loader = Connection::connect(opts)
        .await
        .expect("connect a second time");

    // :demo-load, all at once.
    load(&mut conn, &cfg, None).await;

    // :school-count --all: the whole topic, so at least this load's 20 School messages.
    {
        let out = SharedOut::default();
        let mut writer = out.clone();
        let (tx, rx) = watch::channel(false);
        let opts = SchoolCountOpts {
            all: true,
            distinct: false,
        };
        let run = school_count(&mut conn, &cfg, opts, DemoOut::plain(&mut writer), rx);
        let stopper = stop_when(&out, &tx, Duration::from_secs(30), |t| {
            t.contains("School messages: ") && t.lines().any(|l| l.contains("(last change "))
        });
        let (summary, met) = tokio::join!(run, stopper);
        let text = out.text();
        assert!(met, "no count within 30 s:\n{text}");
        match summary.unwrap_or_else(|e| panic!("school-count: {e}\n{text}")) {
            DemoSummary::SchoolCount {
                count: Some(count), ..
            } => assert!(count >= 20, "{count}\n{text}"),
            other => panic!("{other:?}\n{text}"),
        }
    }

    // :school-count --all --distinct: the sample has 17 schools once the delete counts.
    {
        let out = SharedOut::default();
        let mut writer = out.clone();
        let (tx, rx) = watch::channel(false);
        let invocation = parse_args("school-count", &["--all", "--distinct"]).expect("parse");
        let run = run(
            &mut conn,
            &cfg,
            &invocation,
            DemoOut::plain(&mut writer),
            rx,
        );
        let stopper = stop_when(&out, &tx, Duration::from_secs(30), |t| {
            t.lines().any(|l| l.starts_with("distinct schools: "))
        });
        let (summary, met) = tokio::join!(run, stopper);
        let text = out.text();
        assert!(met, "no distinct count within 30 s:\n{text}");
        match summary.unwrap_or_else(|e| panic!("school-count --distinct: {e}\n{text}")) {
            DemoSummary::SchoolCount {
                count: Some(count), ..
            } => assert!(count >= 17, "{count}\n{text}"),
            other => panic!("{other:?}\n{text}"),
        }
    }

    // :school-count from now on, ticking while a paced load runs.
    {
        let out = SharedOut::default();
        let mut writer = out.clone();
        let (tx, rx) = watch::channel(false);
        let run = school_count(
            &mut conn,
            &cfg,
            SchoolCountOpts::default(),
            DemoOut::plain(&mut writer),
            rx,
        );
        let driver = async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            load(&mut loader, &cfg, Some(Duration::from_millis(50))).await;
            stop_when(&out, &tx, Duration::from_secs(15), |t| {
                t.contains("School messages: 20  (last change")
            })
            .await
        };
        let (summary, met) = tokio::join!(run, driver);
        let text = out.text();
        assert!(met, "the live count did not reach 20:\n{text}");
        summary.unwrap_or_else(|e| panic!("school-count: {e}\n{text}"));
        assert!(text.contains("from now on"), "{text}");
    }

    // :new-docs while a paced load runs.
    {
        let out = SharedOut::default();
        let mut writer = out.clone();
        let (tx, rx) = watch::channel(false);
        let run = new_docs(
            &mut conn,
            &cfg,
            NewDocsOpts::default(),
            DemoOut::plain(&mut writer),
            rx,
        );
        let driver = async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            load(&mut loader, &cfg, Some(Duration::from_millis(20))).await;
            stop_when(&out, &tx, Duration::from_secs(15), |t| {
                t.lines().any(|l| l.ends_with("DELETED"))
                    && t.lines().filter(|l| !l.starts_with("-- ")).count() >= 38
            })
            .await
        };
        let (summary, met) = tokio::join!(run, driver);
        let text = out.text();
        assert!(met, "not every document showed:\n{text}");
        match summary.unwrap_or_else(|e| panic!("new-docs: {e}\n{text}")) {
            DemoSummary::NewDocs { shown, unreadable } => {
                assert!(shown >= 38, "{shown}");
                assert_eq!(unreadable, 0);
            }
            other => panic!("{other:?}"),
        }
        assert!(text.contains("GradeLevelDescriptor  "), "{text}");
    }

    // :validate as the original: the view sees what is loaded after its creation.
    {
        let out = SharedOut::default();
        let mut writer = out.clone();
        let (tx, rx) = watch::channel(false);
        let run = validate(
            &mut conn,
            &cfg,
            ValidateOpts::default(),
            DemoOut::plain(&mut writer),
            rx,
        );
        let driver = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            load(&mut loader, &cfg, None).await;
            stop_when(&out, &tx, Duration::from_secs(20), |t| {
                count_lines(t, "❌ School ") >= 6 && count_lines(t, "⚠ School document") >= 2
            })
            .await
        };
        let (summary, met) = tokio::join!(run, driver);
        let text = out.text();
        assert!(met, "the loaded schools were not all reported:\n{text}");
        let totals = totals(&summary.unwrap_or_else(|e| panic!("validate: {e}\n{text}")));
        assert!(
            totals.invalid >= 6 && totals.unreadable >= 2,
            "{totals:?}\n{text}"
        );
        assert!(
            text.contains("❌ School 255901004 has invalid category uri://ed-fi.org/EducationOrganizationCategoryDescriptor#Local Education Agency"),
            "{text}"
        );
    }

    // :validate --resume: the whole topic once, nothing again, then exactly one new load.
    {
        let resume = || ValidateOpts {
            resume: true,
            verbose: true,
            ..Default::default()
        };
        let mut runs = Vec::new();
        for round in 0..3 {
            if round == 2 {
                load(&mut loader, &cfg, None).await;
            }
            let out = SharedOut::default();
            let mut writer = out.clone();
            let (tx, rx) = watch::channel(false);
            let run = validate(&mut conn, &cfg, resume(), DemoOut::plain(&mut writer), rx);
            let stopper = stop_when_quiet(
                &out,
                &tx,
                Duration::from_secs(8),
                Duration::from_secs(5),
                Duration::from_secs(90),
            );
            let (summary, ()) = tokio::join!(run, stopper);
            let text = out.text();
            let summary = summary.unwrap_or_else(|e| panic!("validate --resume: {e}\n{text}"));
            runs.push((totals(&summary), text));
        }
        let (first, text) = &runs[0];
        // Four loads so far (more if earlier runs wrote to the topic).
        assert!(first.checked >= 19 * 4, "{first:?}\n{text}");
        assert!(
            first.invalid >= 6 * 4 && first.unreadable >= 2 * 4,
            "{first:?}"
        );
        let (second, text) = &runs[1];
        assert_eq!(second.checked, 0, "nothing validated twice:\n{text}");
        let (third, text) = &runs[2];
        assert_eq!(
            (third.checked, third.invalid, third.unreadable),
            (19, 6, 2),
            "exactly the new load:\n{text}"
        );
    }

    // Clean up our own stream and view.
    for sql in [
        format!("DROP VIEW IF EXISTS {}", cfg.view),
        format!("DROP STREAM IF EXISTS {}", cfg.stream),
    ] {
        if let Err(e) = conn.execute(&sql, &[]).await {
            eprintln!("cleanup `{sql}`: {e}");
        }
    }
}
