//! The Ed-Fi demo macros end to end on a live Proton + Kafka, when PROTON_TEST_ADDR is set.
//!
//! With this project's `docker-compose.yml`:
//!
//! ```text
//! docker compose up -d
//! PROTON_TEST_ADDR=localhost:8463 cargo test --test it demos_live -- --nocapture
//! ```
//!
//! Environment:
//! * `PROTON_TEST_ADDR` (`host:port`, native protocol). Unset at build time: the
//!   test is reported as ignored (build.rs sets `cfg(proton_live)`). Set: it
//!   runs and must pass.
//! * `PROTON_TEST_USER`, `PROTON_TEST_PASSWORD` (default `default`, empty).
//! * `PROTON_TEST_BROKERS`: the Kafka brokers as Proton resolves them
//!   (default `redpanda:9092`, the compose service).
//! * `PROTON_TEST_TOPIC`: an existing topic (default `edfi.dms.document`,
//!   created by the compose's `redpanda-init`). The test writes the sample
//!   into it several times.
//!
//! The test uses its own external stream and view names (dropped at the end),
//! so it does not disturb a `document` stream or `schools` view already there.

use std::time::{Duration, Instant};

use crate::support::demo::{run_to_end, run_until, run_with, stop_when, Macro, Screen};
use crate::support::{proton_live_opts, SharedOut, TempDir};
use proton_shell::demos::{
    DemoConfig, DemoLoadOpts, DemoSummary, NewDocsOpts, SchoolCountOpts, ValidateOpts,
};
use proton_shell::wire::Connection;
use tokio::sync::watch;

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

/// `:demo-load` (paced or not) to its end; all 38 messages must be written.
async fn load(conn: &mut Connection, cfg: &DemoConfig, pace: Option<Duration>) {
    let ran = run_to_end(conn, cfg, &Macro::DemoLoad(DemoLoadOpts { pace }), false).await;
    let summary = ran
        .summary
        .unwrap_or_else(|e| panic!("demo-load: {e}\n{}", ran.out.text()));
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
#[cfg_attr(
    not(proton_live),
    ignore = "needs PROTON_TEST_ADDR (docker compose up -d; see build.rs)"
)]
async fn demo_load_then_each_macro() {
    let opts = proton_live_opts();
    let tag = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default()
    );
    let dir = TempDir::new("demos-live");
    let cfg = DemoConfig {
        stream: format!("pst_document_{tag}"),
        view: format!("pst_schools_{tag}"),
        brokers: std::env::var("PROTON_TEST_BROKERS").unwrap_or_else(|_| "redpanda:9092".into()),
        topic: std::env::var("PROTON_TEST_TOPIC").unwrap_or_else(|_| "edfi.dms.document".into()),
        data_dir: dir.path().to_path_buf(),
    };
    let mut conn = Connection::connect(opts.clone()).await.expect("connect");
    let mut loader = Connection::connect(opts)
        .await
        .expect("connect a second time");

    // :demo-load, all at once.
    load(&mut conn, &cfg, None).await;

    // :school-count --all: the whole topic, so at least this load's 20 School messages.
    {
        let mac = Macro::SchoolCount(SchoolCountOpts {
            all: true,
            distinct: false,
            chart: false,
        });
        let ran = run_until(
            &mut conn,
            &cfg,
            &mac,
            Screen::Plain,
            Duration::from_secs(30),
            |t| t.contains("School messages: ") && t.lines().any(|l| l.contains("(last change ")),
        )
        .await;
        let text = ran.text();
        assert!(ran.met, "no count within 30 s:\n{text}");
        match ran.summary() {
            DemoSummary::SchoolCount {
                count: Some(count), ..
            } => assert!(*count >= 20, "{count}\n{text}"),
            other => panic!("{other:?}\n{text}"),
        }
    }

    // :school-count --all --distinct: the sample has 17 schools once the delete counts.
    {
        let mac = Macro::parse("school-count", &["--all", "--distinct"]);
        let ran = run_until(
            &mut conn,
            &cfg,
            &mac,
            Screen::Plain,
            Duration::from_secs(30),
            |t| t.lines().any(|l| l.starts_with("distinct schools: ")),
        )
        .await;
        let text = ran.text();
        assert!(ran.met, "no distinct count within 30 s:\n{text}");
        match ran.summary() {
            DemoSummary::SchoolCount {
                count: Some(count), ..
            } => assert!(*count >= 17, "{count}\n{text}"),
            other => panic!("{other:?}\n{text}"),
        }
    }

    // :school-count from now on, ticking while a paced load runs.
    {
        let mac = Macro::SchoolCount(SchoolCountOpts::default());
        let (loader, cfg_ref) = (&mut loader, &cfg);
        let ran = run_with(&mut conn, &cfg, &mac, Screen::Plain, |out, tx| async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            load(loader, cfg_ref, Some(Duration::from_millis(50))).await;
            stop_when(&out, &tx, Duration::from_secs(15), |t| {
                t.contains("School messages: 20  (last change")
            })
            .await
        })
        .await;
        let text = ran.text();
        assert!(ran.met, "the live count did not reach 20:\n{text}");
        ran.summary();
        assert!(text.contains("from now on"), "{text}");
    }

    // :new-docs while a paced load runs.
    {
        let mac = Macro::NewDocs(NewDocsOpts::default());
        let (loader, cfg_ref) = (&mut loader, &cfg);
        let ran = run_with(&mut conn, &cfg, &mac, Screen::Plain, |out, tx| async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            load(loader, cfg_ref, Some(Duration::from_millis(20))).await;
            stop_when(&out, &tx, Duration::from_secs(15), |t| {
                t.lines().any(|l| l.ends_with("DELETED"))
                    && t.lines().filter(|l| !l.starts_with("-- ")).count() >= 38
            })
            .await
        })
        .await;
        let text = ran.text();
        assert!(ran.met, "not every document showed:\n{text}");
        match ran.summary() {
            DemoSummary::NewDocs { shown, unreadable } => {
                assert!(*shown >= 38, "{shown}");
                assert_eq!(*unreadable, 0);
            }
            other => panic!("{other:?}"),
        }
        assert!(text.contains("GradeLevelDescriptor  "), "{text}");
    }

    // :validate as the original: the view sees what is loaded after its creation.
    {
        let mac = Macro::Validate(ValidateOpts::default());
        let (loader, cfg_ref) = (&mut loader, &cfg);
        let ran = run_with(&mut conn, &cfg, &mac, Screen::Plain, |out, tx| async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            load(loader, cfg_ref, None).await;
            stop_when(&out, &tx, Duration::from_secs(20), |t| {
                count_lines(t, "❌ School ") >= 6 && count_lines(t, "⚠ School document") >= 2
            })
            .await
        })
        .await;
        let text = ran.text();
        assert!(ran.met, "the loaded schools were not all reported:\n{text}");
        let totals = totals(ran.summary());
        assert!(
            totals.invalid >= 6 && totals.unreadable >= 2,
            "{totals:?}\n{text}"
        );
        assert!(
            text.contains("❌ School 255901004 has invalid category uri://ed-fi.org/EducationOrganizationCategoryDescriptor#Local Education Agency"),
            "{text}"
        );
        // The view is this run's own: no stale-view warning, and the reason it is empty at first.
        assert!(!text.contains("is not the one :validate creates"), "{text}");
        assert!(text.contains("was just created"), "{text}");
    }

    // :validate --resume: the whole topic once, nothing again, then exactly one new load.
    {
        let resume = Macro::Validate(ValidateOpts {
            resume: true,
            verbose: true,
            ..Default::default()
        });
        let mut runs = Vec::new();
        for round in 0..3 {
            if round == 2 {
                load(&mut loader, &cfg, None).await;
            }
            let ran = run_with(
                &mut conn,
                &cfg,
                &resume,
                Screen::Plain,
                |out, tx| async move {
                    stop_when_quiet(
                        &out,
                        &tx,
                        Duration::from_secs(8),
                        Duration::from_secs(5),
                        Duration::from_secs(90),
                    )
                    .await;
                    true
                },
            )
            .await;
            runs.push((totals(ran.summary()), ran.text()));
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
        // The partition count came from Proton's refusal of partition 100000 (error 471), not
        // from a scan; the topic was not recreated.
        assert!(text.contains("Resuming after the checkpoint"), "{text}");
        assert!(!text.contains("max(_tp_shard)"), "{text}");
        assert!(!text.contains("past the end of topic"), "{text}");
        assert!(!text.contains("did not say how many partitions"), "{text}");
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
