//! The Ed-Fi demo macros against the Proton fixture serving an external stream `document` backed by the sample.
//!
//! The fixture's custom handler plays Proton's part: the sample's 38 messages
//! sit on a 2-partition topic (partition = `documentpartitionkey % 2`,
//! offsets counted per partition), `seek_to` is honoured for the resume
//! query, the materialized view `schools` holds the School documents'
//! `raw:edfidoc`, and streaming queries end in `Idle` (heartbeats until
//! Cancel), as Proton's do.
//!
//! The topic is a [`Topic`] a test can change between runs (more partitions,
//! empty ones, a raised low watermark, a recreated topic), answered the way
//! Proton v1.6.1 answers (`src/Storages/ExternalStream/Kafka/Kafka.cpp`,
//! `Consumer.cpp`, `src/Storages/Streaming/SeekToInfo.cpp`):
//! * `SETTINGS shards='k'` with k ≥ N: error 471 "Invalid topic partition k,
//!   the topic has only N partitions" (`getShardsToQuery`); `count()` of
//!   `table(document)` otherwise: high − low watermark (`Kafka::totalRows`);
//! * a historical read (`table(…)`) clamps a `seek_to` offset below the low
//!   watermark up to it and one past the high watermark to the end;
//!   an empty partition gives no rows (`Kafka::read`);
//! * a streaming read starts at the end for an offset past the high watermark
//!   (`Consumer::startConsume`) and at the low watermark for one below it
//!   (librdkafka's offset reset, `auto.offset.reset=earliest`, `Kafka.cpp`
//!   `createConfFromSettings`);
//! * a `seek_to` list of neither 1 nor N entries: error 36 "… It expected N
//!   timestamps or sequence numbers, but only found M was specified"
//!   (`replicateForShards`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::demo::{poll_until, run_to_end, run_until, run_with, Macro, Ran, Screen};
use crate::support::fixture::{
    normalize_sql, FValue, ProtonFixture, QueryEnd, ReceivedQuery, Response, Step,
};
use crate::support::{
    connect_fixture as connect, hermetic, text, wait_output, Capture, TempDir, WAIT,
};
use proton_shell::demos::checkpoint::Checkpoint;
use proton_shell::demos::validate::invalid_line;
use proton_shell::demos::{
    sample_messages, DemoConfig, DemoLoadOpts, DemoSummary, NewDocsOpts, SchoolCountOpts,
    ValidateOpts,
};
use proton_shell::wire::Connection;
use serde_json::Value;

// ---------------------------------------------------------------------------
// The topic behind the fixture
// ---------------------------------------------------------------------------

const PARTITIONS: i32 = 2;
/// School rows per data block of the resume query: one checkpoint per block.
const BATCH: usize = 3;
const BLOCK_PAUSE: Duration = Duration::from_millis(25);

#[derive(Debug, Clone)]
struct Message {
    partition: i32,
    offset: i64,
    raw: String,
    school: bool,
}

/// The sample as a 2-partition topic.
fn topic() -> Vec<Message> {
    Topic::sample(PARTITIONS).messages
}

/// The Kafka topic behind the stream `document`, as the fixture's Proton sees it.
#[derive(Debug, Clone)]
pub(crate) struct Topic {
    partitions: i32,
    /// Offsets are contiguous per partition, from 0.
    messages: Vec<Message>,
    /// Low watermarks above 0: offsets below were removed (retention).
    low: BTreeMap<i32, i64>,
    /// Replaces the answer to the partition probe: a 471 with this message.
    probe_message: Option<String>,
}

impl Topic {
    /// The sample spread over partitions 0 and 1 (`documentpartitionkey % 2`) of a topic with
    /// `partitions` partitions: those above 1 are empty.
    fn sample(partitions: i32) -> Topic {
        let mut topic = Topic {
            partitions,
            messages: Vec::new(),
            low: BTreeMap::new(),
            probe_message: None,
        };
        for raw in sample_messages() {
            let value: Value = serde_json::from_str(raw).expect("sample lines are JSON");
            let key = value["documentpartitionkey"]
                .as_i64()
                .expect("partition key");
            topic.append((key % 2) as i32, raw);
        }
        topic
    }

    /// Appends a message to `partition`.
    fn append(&mut self, partition: i32, raw: &str) {
        let value: Value = serde_json::from_str(raw).expect("JSON");
        let school = value["resourcename"] == "School" && value["__deleted"] == "false";
        let offset = self.high(partition);
        self.messages.push(Message {
            partition,
            offset,
            raw: raw.to_owned(),
            school,
        });
    }

    /// The next offset of `partition`.
    fn high(&self, partition: i32) -> i64 {
        self.messages
            .iter()
            .filter(|m| m.partition == partition)
            .map(|m| m.offset + 1)
            .max()
            .unwrap_or(0)
    }

    fn low(&self, partition: i32) -> i64 {
        self.low
            .get(&partition)
            .copied()
            .unwrap_or(0)
            .min(self.high(partition))
    }

    /// The messages still in the topic.
    fn present(&self) -> impl Iterator<Item = &Message> {
        self.messages
            .iter()
            .filter(|m| m.offset >= self.low(m.partition))
    }

    fn school_positions(&self) -> BTreeSet<(i32, i64)> {
        self.present()
            .filter(|m| m.school)
            .map(|m| (m.partition, m.offset))
            .collect()
    }
}

/// What Proton's `raw:edfidoc` gives: an object as JSON text, a string unquoted.
fn edfidoc(raw: &str) -> String {
    let value: Value = serde_json::from_str(raw).expect("JSON");
    match &value["edfidoc"] {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn school_positions() -> BTreeSet<(i32, i64)> {
    topic()
        .iter()
        .filter(|m| m.school)
        .map(|m| (m.partition, m.offset))
        .collect()
}

const CREATE_STREAM: &str = "CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string) SETTINGS type='kafka', brokers='dms-kafka1:9092', topic='edfi.dms.document', skip_ssl_cert_check='true'";
const CREATE_VIEW: &str = "CREATE MATERIALIZED VIEW IF NOT EXISTS schools AS SELECT raw:edfidoc AS edfidoc FROM document WHERE raw:resourcename='School' AND raw:__deleted='false'";
const COUNT: &str = "SELECT count() FROM document WHERE raw:resourcename='School'";
const PROBE: &str = "SELECT count() FROM table(document) SETTINGS shards='100000'";

/// The bounded one-message read that checks a checkpointed position.
fn position(partition: i32, offset: i64) -> String {
    format!("SELECT _tp_sn FROM table(document) LIMIT 1 SETTINGS shards='{partition}', seek_to='{offset}'")
}

/// No statement reads the whole topic: no `max(_tp_shard)`, and every `table(document)` is the
/// partition probe or a read of at most one message of one partition.
fn assert_no_scan(sqls: &[String]) {
    for sql in sqls {
        assert!(
            !sql.contains("_tp_shard)"),
            "a full-topic scan was sent: {sql}"
        );
        if sql.contains("table(document)") {
            let probe = sql.starts_with("SELECT count() FROM table(document) SETTINGS shards='");
            let one = sql.contains(" LIMIT 1 SETTINGS shards='");
            assert!(
                probe || one,
                "an unbounded read of the topic was sent: {sql}"
            );
        }
    }
}
const RESUME_PREFIX: &str = "SELECT _tp_shard, _tp_sn, raw FROM document WHERE raw:resourcename='School' AND raw:__deleted='false' SETTINGS seek_to='";
/// How many School documents the view holds at the snapshot; the rest come live.
const SNAPSHOT_ROWS: usize = 11;

/// Counts the count query emits: cumulative, one repeated (as `--distinct` can).
const COUNTS: [u64; 4] = [3, 7, 7, 20];

pub(crate) struct Served {
    inserted: Mutex<Vec<String>>,
    topic: Mutex<Topic>,
    /// What `SHOW CREATE schools` answers; `None`: the view does not exist.
    view: Mutex<Option<String>>,
}

/// The demo's view as Proton stores and shows it (`raw:x` parsed into `json_value`, names
/// with their database).
const STORED_VIEW: &str = "CREATE MATERIALIZED VIEW default.schools\n(\n  `edfidoc` string\n) AS\n\
SELECT\n  json_value(raw, '$.`edfidoc`') AS edfidoc\nFROM\n  default.document\nWHERE \
(json_value(raw, '$.`resourcename`') = 'School') AND (json_value(raw, '$.`__deleted`') = 'false')";

impl Default for Served {
    fn default() -> Self {
        Served {
            inserted: Mutex::default(),
            topic: Mutex::new(Topic::sample(PARTITIONS)),
            view: Mutex::new(Some(STORED_VIEW.to_owned())),
        }
    }
}

impl Served {
    fn topic(&self) -> Topic {
        self.topic.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the topic (between runs).
    fn change(&self, f: impl FnOnce(&mut Topic)) {
        f(&mut self.topic.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// The value of `name='…'` in a statement's SETTINGS.
fn setting<'a>(sql: &'a str, name: &str) -> Option<&'a str> {
    let at = sql.find(&format!("{name}='"))? + name.len() + 2;
    sql[at..].split('\'').next()
}

/// Proton's answers for the demo statements; `None` falls through to the
/// fixture's built-in router.
fn handle(q: &ReceivedQuery, served: &Served) -> Option<Response> {
    let sql = normalize_sql(&q.sql);
    let state = served.topic();
    let topic: Vec<Message> = state.present().cloned().collect();
    if sql.starts_with("CREATE EXTERNAL STREAM") || sql.starts_with("CREATE MATERIALIZED VIEW") {
        return Some(Response::ddl());
    }
    if sql.contains("max(_tp_shard)") {
        return Some(Response::exception(
            1001,
            "fixture: a full-topic scan is refused",
        ));
    }
    if let Some(response) = topic_metadata(&sql, &state) {
        return Some(response);
    }
    if sql == "SHOW CREATE schools" {
        let view = served
            .view
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        return Some(match view {
            Some(statement) => {
                Response::table(&[("statement", "string")], vec![vec![statement.into()]])
            }
            None => Response::exception(60, "Stream default.schools doesn't exist"),
        });
    }
    if sql == "SELECT * FROM table(schools)" {
        let rows = topic
            .iter()
            .filter(|m| m.school)
            .take(SNAPSHOT_ROWS)
            .map(|m| vec![FValue::from(edfidoc(&m.raw))])
            .collect();
        return Some(Response::table(&[("edfidoc", "string")], rows));
    }
    if sql == "SELECT * FROM schools" {
        let rows: Vec<Vec<FValue>> = topic
            .iter()
            .filter(|m| m.school)
            .skip(SNAPSHOT_ROWS)
            .map(|m| vec![FValue::from(edfidoc(&m.raw))])
            .collect();
        return Some(streaming(&[("edfidoc", "string")], rows, 4));
    }
    if sql.starts_with(COUNT) || sql.starts_with("SELECT unique_exact(") {
        let mut steps = vec![Step::header(&[("count()", "uint64")])];
        for count in COUNTS {
            steps.push(Step::Rows(vec![vec![FValue::UInt(count)]]));
            steps.push(Step::Sleep(Duration::from_millis(30)));
        }
        steps.push(Step::Idle);
        return Some(Response::new(steps));
    }
    if sql == "SELECT * FROM document" || sql.starts_with("SELECT * FROM document ") {
        let only_schools = sql.contains("raw:resourcename='School'");
        let rows = topic
            .iter()
            .filter(|m| !only_schools || m.raw.contains("\"resourcename\":\"School\""))
            .map(|m| vec![FValue::from(m.raw.clone())])
            .collect();
        return Some(streaming(&[("raw", "string")], rows, 10));
    }
    if let Some(rest) = sql.strip_prefix(RESUME_PREFIX) {
        let list = rest.strip_suffix('\'')?;
        let entries: Vec<&str> = list.split(',').collect();
        let n = state.partitions;
        if entries.len() != 1 && entries.len() != n as usize {
            return Some(Response::exception(
                36,
                format!(
                    "Invalid seek to. 'seek_to' supports to seek to a timestamp or a sequence number for each shard. \
                     It expected {n} timestamps or sequence numbers, but only found {} was specified",
                    entries.len()
                ),
            ));
        }
        let mut start = BTreeMap::new();
        for partition in 0..n {
            let entry = entries
                .get(partition as usize)
                .unwrap_or(&entries[0])
                .trim();
            let (low, high) = (state.low(partition), state.high(partition));
            let at = match entry {
                "earliest" => low,
                "latest" => high,
                number => {
                    let offset: i64 = number.parse().ok()?;
                    // Past the end: Consumer::startConsume seeks to the end. Below the low
                    // watermark: librdkafka resets to the earliest offset left.
                    if offset > high {
                        high
                    } else {
                        offset.max(low)
                    }
                }
            };
            start.insert(partition, at);
        }
        let rows = topic
            .iter()
            .filter(|m| m.school && m.offset >= start[&m.partition])
            .map(|m| {
                vec![
                    FValue::Int(i64::from(m.partition)),
                    FValue::Int(m.offset),
                    FValue::from(m.raw.clone()),
                ]
            })
            .collect();
        return Some(streaming(
            &[
                ("_tp_shard", "int32"),
                ("_tp_sn", "int64"),
                ("raw", "string"),
            ],
            rows,
            BATCH,
        ));
    }
    if sql.starts_with("INSERT INTO document(raw) VALUES ") {
        let values = sql_values(&q.sql);
        let n = values.len() as u64;
        served
            .inserted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(values);
        return Some(Response::insert(n, n * 100));
    }
    None
}

/// The partition probe and the one-message position read (`table(document)` with `shards`).
fn topic_metadata(sql: &str, state: &Topic) -> Option<Response> {
    let probe = sql.starts_with("SELECT count() FROM table(document) SETTINGS ");
    let position = sql.starts_with("SELECT _tp_sn FROM table(document) LIMIT 1 SETTINGS ");
    if !probe && !position {
        return None;
    }
    let shard: i64 = setting(sql, "shards")?.parse().ok()?;
    if let (true, Some(message)) = (probe, &state.probe_message) {
        return Some(Response::exception(471, message.clone()));
    }
    if shard >= i64::from(state.partitions) {
        return Some(Response::exception(
            471,
            format!(
                "Invalid topic partition {shard}, the topic has only {} partitions",
                state.partitions
            ),
        ));
    }
    let partition = shard as i32;
    let (low, high) = (state.low(partition), state.high(partition));
    if probe {
        return Some(Response::table(
            &[("count()", "uint64")],
            vec![vec![FValue::UInt((high - low) as u64)]],
        ));
    }
    let seek: i64 = setting(sql, "seek_to")?.parse().ok()?;
    // Kafka::read: an empty partition is a NullSource; an offset below the low watermark
    // starts there, one at or past the high watermark has nothing to read.
    let first = (low < high && seek < high).then(|| seek.max(low));
    Some(Response::table(
        &[("_tp_sn", "int64")],
        first.map(|o| vec![FValue::Int(o)]).into_iter().collect(),
    ))
}

/// A streaming answer: the rows in blocks of `per_block` with a pause after
/// each, then heartbeats until Cancel.
fn streaming(columns: &[(&str, &str)], rows: Vec<Vec<FValue>>, per_block: usize) -> Response {
    let mut steps = vec![Step::header(columns)];
    for chunk in rows.chunks(per_block) {
        steps.push(Step::Rows(chunk.to_vec()));
        steps.push(Step::Sleep(BLOCK_PAUSE));
    }
    steps.push(Step::Idle);
    Response::new(steps)
}

/// The string literals of `INSERT ... VALUES ('..'), ('..')`, unescaped.
fn sql_values(sql: &str) -> Vec<String> {
    let Some(at) = sql.find(" VALUES ") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut chars = sql[at..].chars();
    let mut current: Option<String> = None;
    while let Some(c) = chars.next() {
        match (&mut current, c) {
            (None, '\'') => current = Some(String::new()),
            (None, _) => {}
            (Some(text), '\\') => match chars.next() {
                Some('n') => text.push('\n'),
                Some('t') => text.push('\t'),
                Some('r') => text.push('\r'),
                Some('0') => text.push('\0'),
                Some(other) => text.push(other),
                None => {}
            },
            (Some(_), '\'') => out.extend(current.take()),
            (Some(text), other) => text.push(other),
        }
    }
    out
}

pub(crate) fn start_fixture() -> (ProtonFixture, Arc<Served>) {
    let served = Arc::new(Served::default());
    let state = served.clone();
    let fixture = ProtonFixture::builder()
        .handler(move |q| handle(q, &state))
        .start();
    (fixture, served)
}

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// One demo test's set-up: the fixture serving the topic, a scratch data dir, the config
/// pointing at it, and a connection.
struct Demo {
    fixture: ProtonFixture,
    served: Arc<Served>,
    cfg: DemoConfig,
    conn: Connection,
    _dir: TempDir,
}

impl Demo {
    async fn start(tag: &str) -> Demo {
        let (fixture, served) = start_fixture();
        Demo::on(fixture, served, tag).await
    }

    async fn on(fixture: ProtonFixture, served: Arc<Served>, tag: &str) -> Demo {
        let dir = TempDir::new(&format!("demos-{tag}"));
        let cfg = DemoConfig {
            data_dir: dir.path().to_path_buf(),
            ..DemoConfig::default()
        };
        let conn = connect(&fixture).await;
        Demo {
            fixture,
            served,
            cfg,
            conn,
            _dir: dir,
        }
    }

    /// Runs `mac` (plain output) until `cond` holds on its output, then stops it.
    async fn run_until(&mut self, mac: Macro, cond: impl Fn(&str) -> bool) -> Ran {
        run_until(&mut self.conn, &self.cfg, &mac, Screen::Plain, WAIT, cond).await
    }

    /// Runs `mac` to its end; `stopped` hands it a stop switch that is already flipped.
    async fn run_to_end(&mut self, mac: Macro, stopped: bool) -> Ran {
        run_to_end(&mut self.conn, &self.cfg, &mac, stopped).await
    }

    fn sqls(&self) -> Vec<String> {
        sqls(&self.fixture)
    }

    fn inserted(&self) -> Vec<String> {
        self.served
            .inserted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn sqls(fixture: &ProtonFixture) -> Vec<String> {
    fixture.queries().iter().map(|q| q.sql.clone()).collect()
}

fn expected_invalid_lines() -> Vec<String> {
    [
        ("255901004", "Local Education Agency"),
        ("255901005", "Other"),
        ("255901006", "Other"),
        ("255902008", "Local Education Agency"),
        ("255902009", "Other"),
        ("255902012", "Other"),
    ]
    .iter()
    .map(|(id, code)| {
        invalid_line(
            id,
            &format!("uri://ed-fi.org/EducationOrganizationCategoryDescriptor#{code}"),
        )
    })
    .collect()
}

/// `(partition, offset)` of every `--verbose` trace line.
fn traced(text: &str) -> Vec<(i32, i64)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.split(" at partition ").nth(1)?;
            let (partition, offset) = rest.split_once(" offset ")?;
            Some((partition.trim().parse().ok()?, offset.trim().parse().ok()?))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// :school-count
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn school_count_prints_each_change_and_stops_with_a_summary() {
    let mut demo = Demo::start("count").await;
    let ran = demo
        .run_until(Macro::SchoolCount(SchoolCountOpts::default()), |t| {
            t.contains("School messages: 20 ")
        })
        .await;
    assert!(ran.met, "the count never reached 20:\n{}", ran.text());
    assert_eq!(
        ran.summary(),
        &DemoSummary::SchoolCount {
            count: Some(20),
            changes: 3,
            distinct: false
        }
    );
    assert_eq!(demo.sqls(), vec![CREATE_STREAM, COUNT]);

    let lines = ran.out.lines();
    assert_eq!(lines[0], format!("-- {CREATE_STREAM}"));
    assert!(
        lines.iter().any(|l| l.contains("from now on")),
        "the start explains it counts new messages: {lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("about every 2 s")),
        "{lines:#?}"
    );
    assert!(lines.contains(&format!("-- {COUNT}")), "{lines:#?}");
    let counts: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("School messages: ") && l.contains("(last change "))
        .collect();
    assert_eq!(
        counts.len(),
        3,
        "one line per change, the repeat skipped: {counts:#?}"
    );
    for (line, want) in counts.iter().zip(["3", "7", "20"]) {
        assert!(
            line.starts_with(&format!("School messages: {want}  (last change ")),
            "{line}"
        );
        let time = line
            .trim_end_matches(')')
            .rsplit(' ')
            .next()
            .unwrap_or_default();
        assert_eq!(time.len(), 8, "HH:MM:SS in {line}");
    }
    assert_eq!(
        lines.last().map(String::as_str),
        Some("School messages: 20 (the count changed 3 times)")
    );
    // Stopped with Cancel, answered by the server.
    assert!(demo.fixture.wait_idle(WAIT));
    let outcome = demo
        .fixture
        .outcomes()
        .into_iter()
        .find(|o| o.sql == COUNT)
        .expect("count outcome");
    assert_eq!(outcome.end, QueryEnd::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn school_count_on_a_tty_rewrites_one_live_line() {
    let mut demo = Demo::start("count-tty").await;
    let ran = run_until(
        &mut demo.conn,
        &demo.cfg,
        &Macro::SchoolCount(SchoolCountOpts::default()),
        Screen::Tty,
        WAIT,
        |t| t.contains("School messages: \x1b[1;33m20\x1b[0m"),
    )
    .await;
    assert!(ran.met, "{:?}", ran.text());
    ran.summary();
    let text = ran.text();
    assert!(
        text.contains("\x1b[2mCREATE EXTERNAL STREAM"),
        "dimmed SQL: {text:?}"
    );
    assert!(
        text.contains("\r\x1b[KSchool messages: waiting for the first School message…"),
        "{text:?}"
    );
    // Each change highlighted, with the change since the previous count.
    for (want, change) in [("3", "first"), ("7", "+4"), ("20", "+13")] {
        assert!(
            text.contains(&format!(
                "\r\x1b[KSchool messages: \x1b[1;33m{want}\x1b[0m (\x1b[1;33m{change}\x1b[0m)  (last change "
            )),
            "{text:?}"
        );
    }
    // The live line is ended before the summary.
    assert!(
        text.ends_with(")\nSchool messages: 20 (the count changed 3 times)\n"),
        "{text:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn school_count_with_chart_draws_the_count_with_its_history() {
    let mut demo = Demo::start("count-chart").await;
    let opts = SchoolCountOpts {
        chart: true,
        ..SchoolCountOpts::default()
    };
    let ran = run_until(
        &mut demo.conn,
        &demo.cfg,
        &Macro::SchoolCount(opts),
        Screen::Tty,
        WAIT,
        // The last count, 20, in the chart's big digits.
        |t| t.contains("▀▀█ █▀█"),
    )
    .await;
    assert!(ran.met, "{:?}", ran.text());
    ran.summary();
    let text = ran.text();
    // The chart replaced the live line: no per-change count lines, a frame per change
    // redrawn in place (cursor up), and the summary after the last frame.
    assert!(!text.contains("(last change "), "{text:?}");
    assert!(text.contains("\x1b[") && text.contains('A'), "{text:?}");
    assert!(
        text.ends_with("School messages: 20 (the count changed 3 times)\n"),
        "{text:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn school_count_options_change_the_sql_exactly() {
    let mut demo = Demo::start("count-opts").await;
    let cases = [
        ("--all", "SELECT count() FROM document WHERE raw:resourcename='School' SETTINGS seek_to='earliest'"),
        ("--distinct", "SELECT unique_exact(raw:documentuuid) - unique_exact_if(raw:documentuuid, raw:__deleted='true') FROM document WHERE raw:resourcename='School'"),
        ("--all --distinct", "SELECT unique_exact(raw:documentuuid) - unique_exact_if(raw:documentuuid, raw:__deleted='true') FROM document WHERE raw:resourcename='School' SETTINGS seek_to='earliest'"),
    ];
    for (args, sql) in cases {
        let before = demo.fixture.queries().len();
        let mac = Macro::parse("school-count", &args.split_whitespace().collect::<Vec<_>>());
        let ran = demo.run_until(mac, |t| t.contains(": 20 ")).await;
        assert!(ran.met, "{args}: {}", ran.text());
        let summary = ran.summary();
        let sent: Vec<String> = demo.sqls().split_off(before);
        assert_eq!(
            sent,
            vec![CREATE_STREAM.to_owned(), sql.to_owned()],
            "{args}"
        );
        if args.contains("--distinct") {
            assert!(
                ran.text().contains("distinct schools: 20  (last change"),
                "{}",
                ran.text()
            );
            assert!(
                summary.to_string().starts_with("distinct schools: 20"),
                "{summary}"
            );
        }
        if args.contains("--all") {
            assert!(ran.text().contains("earliest offset"), "{}", ran.text());
        }
    }
}

// ---------------------------------------------------------------------------
// :new-docs
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_docs_prints_one_line_per_document() {
    let mut demo = Demo::start("docs").await;
    let ran = demo
        .run_until(Macro::NewDocs(NewDocsOpts::default()), |t| {
            t.lines().filter(|l| !l.starts_with("-- ")).count() >= 38
        })
        .await;
    assert!(ran.met, "{}", ran.text());
    assert_eq!(
        ran.summary(),
        &DemoSummary::NewDocs {
            shown: 38,
            unreadable: 0
        }
    );
    assert_eq!(demo.sqls(), vec![CREATE_STREAM, "SELECT * FROM document"]);
    let docs: Vec<String> = ran
        .out
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with("-- ") && !l.starts_with("shown "))
        .collect();
    assert_eq!(docs.len(), 38);
    assert_eq!(
        docs[0],
        "GradeLevelDescriptor    c06c3e0c-9ddf-49ac-b3a2-cab7b775f775"
    );
    let school = |id: &str| {
        docs.iter()
            .find(|l| l.starts_with("School ") && l.contains(id))
            .cloned()
            .unwrap_or_else(|| panic!("{id}: {docs:#?}"))
    };
    let line = school("90b3f4b1-52c8-4e39-b0f9-6bf318f2ae37");
    assert!(
        line.ends_with("  90b3f4b1-52c8-4e39-b0f9-6bf318f2ae37"),
        "{line}"
    );
    assert!(
        docs.iter().any(|l| l.starts_with("School ")
            && l.ends_with("  fb937fa1-4309-48a0-abd6-e954f37e8c58  DELETED")),
        "{docs:#?}"
    );
    // The ids line up: each resource name is padded to 22 characters or to the widest one so
    // far (the sample's descriptors reach 39).
    let mut width = 22;
    let mut widths = BTreeSet::new();
    for line in &docs {
        let resource = line.split(' ').next().unwrap_or_default();
        width = width.max(resource.len());
        widths.insert(width);
        let id_at = line[resource.len()..]
            .find(|c| c != ' ')
            .map(|i| i + resource.len());
        assert_eq!(id_at, Some(width + 2), "{line:?}");
    }
    assert!(widths.contains(&39), "{widths:?}");
    assert_eq!(docs.iter().filter(|l| l.ends_with("DELETED")).count(), 1);
    assert_eq!(
        ran.out.lines().last().map(String::as_str),
        Some("shown 38 documents")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_docs_json_and_resource_filter() {
    let mut demo = Demo::start("docs-json").await;
    let mac = Macro::parse("new-docs", &["--json", "--resource", "School"]);
    let ran = demo
        .run_until(mac, |t| {
            t.matches("\"resourcename\": \"School\"").count() >= 20
        })
        .await;
    assert!(ran.met, "{}", ran.text());
    assert_eq!(
        ran.summary(),
        &DemoSummary::NewDocs {
            shown: 20,
            unreadable: 0
        }
    );
    assert_eq!(
        demo.sqls(),
        vec![
            CREATE_STREAM,
            "SELECT * FROM document WHERE raw:resourcename='School'"
        ]
    );
    // The pretty documents parse back: split the output at top-level `}`.
    let text = ran.text();
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-- ") && !l.starts_with("shown "))
        .map(|l| format!("{l}\n"))
        .collect();
    let docs: Vec<Value> = serde_json::Deserializer::from_str(&body)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("pretty JSON documents");
    assert_eq!(docs.len(), 20);
    assert!(docs.iter().all(|d| d["resourcename"] == "School"));
    assert!(text.contains("\n  \"documentuuid\": "), "pretty, indented");
}

// ---------------------------------------------------------------------------
// :validate, as the original
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_reports_six_invalid_and_two_unreadable_without_crashing() {
    let mut demo = Demo::start("validate").await;
    // 19 School rows: 11 in the snapshot, 8 live in blocks of 4. The two
    // unreadable ones and the last (valid) school share the last block, which
    // is checked in one go before the stop is seen.
    let ran = demo
        .run_until(Macro::Validate(ValidateOpts::default()), |t| {
            t.matches("⚠ School document").count() == 2
        })
        .await;
    assert!(ran.met, "{}", ran.text());
    let summary = ran.summary();
    let DemoSummary::Validate { totals, checkpoint } = summary else {
        panic!("{summary:?}")
    };
    assert_eq!(checkpoint, &None);
    assert_eq!(totals.invalid, 6);
    assert_eq!(totals.unreadable, 2);
    assert_eq!(totals.checked, 19, "{totals:?}");

    assert_eq!(
        demo.sqls(),
        vec![
            CREATE_STREAM,
            "SHOW CREATE schools",
            CREATE_VIEW,
            "SELECT * FROM table(schools)",
            "SELECT * FROM schools"
        ]
    );
    assert!(
        !ran.text().contains("is not the one :validate creates"),
        "the demo's own view, reformatted by Proton, is not stale: {}",
        ran.text()
    );
    assert!(
        ran.text().contains("the view schools already existed"),
        "{}",
        ran.text()
    );
    let lines = ran.out.lines();
    let invalid: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with('❌'))
        .cloned()
        .collect();
    assert_eq!(invalid, expected_invalid_lines());
    let unreadable: Vec<&String> = lines.iter().filter(|l| l.starts_with('⚠')).collect();
    assert_eq!(unreadable.len(), 2, "{lines:#?}");
    assert!(unreadable[0].starts_with(
        "⚠ School document eb43bd5f-9f42-4494-89b3-62efc9dff524 is unreadable: School 255903016 has no educationOrganizationCategories"
    ), "{}", unreadable[0]);
    assert!(
        unreadable[1]
            .starts_with("⚠ School document b40645e4-1358-4a72-97d3-5f3bcb0b6083 is unreadable: "),
        "{}",
        unreadable[1]
    );
    assert!(lines.last().is_some_and(
        |l| l.starts_with("checked ") && l.ends_with(": 6 invalid categories, 2 unreadable")
    ));
    assert!(demo.fixture.wait_idle(WAIT));
    let follow = demo
        .fixture
        .outcomes()
        .into_iter()
        .find(|o| o.sql == "SELECT * FROM schools")
        .expect("follow outcome");
    assert_eq!(follow.end, QueryEnd::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_view_rows_are_all_checked_once() {
    let mut demo = Demo::start("validate-all").await;
    let opts = ValidateOpts {
        verbose: true,
        ..Default::default()
    };
    let ran = demo
        .run_until(Macro::Validate(opts), |t| {
            t.lines()
                .filter(|l| l.starts_with("-- ✓ ") || l.starts_with("-- ✗ "))
                .count()
                == 19
        })
        .await;
    assert!(ran.met, "{}", ran.text());
    assert_eq!(
        ran.summary().to_string(),
        "checked 19 schools: 6 invalid categories, 2 unreadable"
    );
    assert!(
        ran.text().contains("-- ✓ School 255903018 ok\n"),
        "{}",
        ran.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_on_a_tty_keeps_a_live_status_line_and_plain_output_has_none() {
    let mut demo = Demo::start("validate-tty").await;
    let ran = run_until(
        &mut demo.conn,
        &demo.cfg,
        &Macro::Validate(ValidateOpts::default()),
        Screen::Tty,
        WAIT,
        |t| t.contains("checked 19 schools · 6 invalid · 2 unreadable"),
    )
    .await;
    assert!(ran.met, "{:?}", ran.text());
    ran.summary();
    let text = ran.text();
    // Redrawn in place after each block: first the snapshot's 11, then the live ones.
    assert!(
        text.contains("\r\x1b[K\x1b[2mchecked 11 schools · "),
        "{text:?}"
    );
    // Erased (not kept) before each report line and before the summary.
    assert!(!text.contains("Ctrl-C stops\x1b[0m\n"), "{text:?}");
    let statuses = text.matches("Ctrl-C stops\x1b[0m").count();
    assert!(statuses >= 2, "{text:?}");
    assert_eq!(
        text.matches("Ctrl-C stops\x1b[0m\r\x1b[K").count(),
        statuses,
        "{text:?}"
    );
    assert!(
        text.ends_with("\r\x1b[Kchecked 19 schools: 6 invalid categories, 2 unreadable\n"),
        "{text:?}"
    );
    // Every report line is whole.
    let reports = text.matches("\x1b[31m❌ School").count();
    assert_eq!(reports, 6, "{text:?}");

    // Plain output (not a terminal) has no status line at all.
    let ran = demo
        .run_until(Macro::Validate(ValidateOpts::default()), |t| {
            t.matches("⚠ School document").count() == 2
        })
        .await;
    assert!(ran.met);
    assert!(!ran.text().contains("Ctrl-C stops\n"), "{}", ran.text());
    assert!(!ran.text().contains('\r'), "{}", ran.text());
    assert!(!ran.text().contains(" · "), "{}", ran.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_warns_when_the_existing_view_reads_another_stream() {
    let mut demo = Demo::start("stale-view").await;
    *demo.served.view.lock().unwrap() =
        Some(STORED_VIEW.replace("default.document", "default.old_document"));
    let ran = demo
        .run_until(Macro::Validate(ValidateOpts::default()), |t| {
            t.contains("❌")
        })
        .await;
    assert!(ran.met, "{}", ran.text());
    let text = ran.text();
    assert!(
        text.contains(
            "⚠ The view schools already exists and is not the one :validate creates: it reads \
             the stream old_document, not document. CREATE MATERIALIZED VIEW IF NOT EXISTS keeps it"
        ),
        "{text}"
    );
    assert!(
        text.contains("DROP VIEW schools, then :validate again"),
        "{text}"
    );
    assert!(text.contains(":validate --view NAME"), "{text}");
    assert!(
        text.contains("A materialized view sees only messages written after its creation"),
        "{text}"
    );
    assert!(
        text.contains(":validate --resume validates the existing data"),
        "{text}"
    );
    // The warning comes before the view is (not) created.
    let warn = text.find("⚠ The view").expect("warning");
    let create = text.find(&format!("-- {CREATE_VIEW}")).expect("echo");
    assert!(warn < create, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_on_a_new_view_says_it_sees_only_new_messages() {
    let mut demo = Demo::start("new-view").await;
    *demo.served.view.lock().unwrap() = None;
    let ran = demo
        .run_until(Macro::Validate(ValidateOpts::default()), |t| {
            t.contains("❌")
        })
        .await;
    assert!(ran.met, "{}", ran.text());
    let text = ran.text();
    assert!(!text.contains("⚠ The view"), "{text}");
    assert!(
        text.contains(
            "the view schools was just created, so it is empty until new School documents arrive"
        ),
        "{text}"
    );
    assert!(
        text.contains(":validate --resume validates the existing data"),
        "{text}"
    );
    assert_eq!(
        &demo.sqls()[1..3],
        &["SHOW CREATE schools".to_owned(), CREATE_VIEW.to_owned()]
    );
}

// ---------------------------------------------------------------------------
// :validate --resume
// ---------------------------------------------------------------------------

/// `:validate --resume --verbose`.
fn resume() -> Macro {
    Macro::Validate(ValidateOpts {
        resume: true,
        verbose: true,
        ..Default::default()
    })
}

/// One `:validate --resume --verbose` run, stopped once `stop_after(traced lines)` holds.
async fn resume_run(
    conn: &mut Connection,
    cfg: &DemoConfig,
    stop_after: impl Fn(usize) -> bool,
) -> (DemoSummary, Vec<(i32, i64)>, String) {
    let ran = run_until(conn, cfg, &resume(), Screen::Plain, WAIT, |t| {
        stop_after(traced(t).len())
    })
    .await;
    assert!(ran.met, "stop condition not met:\n{}", ran.text());
    let text = ran.text();
    (ran.summary().clone(), traced(&text), text)
}

fn highest(positions: &[(i32, i64)]) -> BTreeMap<i32, i64> {
    let mut map = BTreeMap::new();
    for (partition, offset) in positions {
        let entry = map.entry(*partition).or_insert(*offset);
        *entry = (*entry).max(*offset);
    }
    map
}

fn checked(summary: &DemoSummary) -> u64 {
    match summary {
        DemoSummary::Validate { totals, .. } => totals.checked,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_interruption_has_no_duplicates_and_no_gaps() {
    let mut demo = Demo::start("resume").await;
    let all = school_positions();
    assert_eq!(all.len(), 19);
    assert!(
        all.iter().any(|p| p.0 == 0) && all.iter().any(|p| p.0 == 1),
        "the sample spreads over both partitions"
    );

    // Run 1: no checkpoint, from the earliest offset; stopped midway.
    let (summary1, seen1, text1) = resume_run(&mut demo.conn, &demo.cfg, |n| n >= 7).await;
    assert!(
        seen1.len() >= 7 && seen1.len() < 19,
        "stopped midway: {}",
        seen1.len()
    );
    assert_eq!(checked(&summary1), seen1.len() as u64);
    assert!(
        text1.contains("checking the whole topic from its earliest offset"),
        "{text1}"
    );
    let after1 = demo.sqls();
    assert_eq!(
        after1,
        vec![
            CREATE_STREAM.to_owned(),
            PROBE.to_owned(),
            format!("{RESUME_PREFIX}earliest'")
        ]
    );
    // The checkpoint holds the highest offset per partition of what was printed.
    let cfg = demo.cfg.clone();
    let saved = Checkpoint::load(&cfg.data_dir, &cfg.brokers, &cfg.topic).expect("checkpoint");
    assert_eq!(saved.offsets, highest(&seen1));

    // Run 2: resumes after the checkpoint, until every School is through.
    let before = seen1.len();
    let (summary2, seen2, text2) = resume_run(&mut demo.conn, &cfg, |n| before + n >= 19).await;
    assert!(text2.contains("Resuming after the checkpoint"), "{text2}");
    let sent2: Vec<String> = demo.sqls().split_off(after1.len());
    let seek: Vec<String> = (0..PARTITIONS)
        .map(|p| {
            saved
                .offsets
                .get(&p)
                .map_or("earliest".to_owned(), |o| (o + 1).to_string())
        })
        .collect();
    let mut expected2 = vec![CREATE_STREAM.to_owned(), PROBE.to_owned()];
    expected2.extend(saved.offsets.iter().map(|(p, o)| position(*p, *o)));
    expected2.push(format!("{RESUME_PREFIX}{}'", seek.join(",")));
    assert_eq!(sent2, expected2);
    assert_no_scan(&demo.sqls());

    let mut union: Vec<(i32, i64)> = seen1.clone();
    union.extend(&seen2);
    let distinct: BTreeSet<(i32, i64)> = union.iter().copied().collect();
    assert_eq!(union.len(), distinct.len(), "no document validated twice");
    assert_eq!(distinct, all, "no document skipped");
    assert_eq!(checked(&summary1) + checked(&summary2), 19);

    // Every report line of the sample, once, across the two runs.
    let invalid: Vec<String> = format!("{text1}{text2}")
        .lines()
        .filter(|l| l.starts_with('❌'))
        .map(str::to_owned)
        .collect();
    let mut sorted = invalid.clone();
    sorted.sort();
    let mut expected = expected_invalid_lines();
    expected.sort();
    assert_eq!(sorted, expected);
    assert_eq!(
        format!("{text1}{text2}")
            .matches("⚠ School document")
            .count(),
        2
    );

    // Run 3: nothing new on the topic, nothing validated again.
    let end: Vec<String> = (0..PARTITIONS)
        .map(|p| (highest(&union)[&p] + 1).to_string())
        .collect();
    let resume3 = format!("{RESUME_PREFIX}{}'", end.join(","));
    let fixture = &demo.fixture;
    let ran = run_with(
        &mut demo.conn,
        &cfg,
        &resume(),
        Screen::Plain,
        |_, tx| async move {
            let sent =
                poll_until(WAIT, || fixture.queries().iter().any(|q| q.sql == resume3)).await;
            // Give a replayed row time to show up, if there were one.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = tx.send(true);
            sent
        },
    )
    .await;
    assert!(ran.met, "run 3 seeks past everything: {:?}", demo.sqls());
    assert!(traced(&ran.text()).is_empty(), "{}", ran.text());
    assert_eq!(checked(ran.summary()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_replays_at_most_its_last_batch() {
    let mut demo = Demo::start("kill").await;
    let cfg = demo.cfg.clone();

    // Run 1 is dropped mid-stream, like a killed process: no summary, no cancel.
    let out = crate::support::SharedOut::default();
    {
        let mut conn = connect(&demo.fixture).await;
        let mut writer = out.clone();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let mac = resume();
        let run = mac.call(
            &mut conn,
            &cfg,
            proton_shell::demos::DemoOut::plain(&mut writer),
            rx,
        );
        let killer = poll_until(WAIT, || traced(&out.text()).len() >= 2 * BATCH);
        tokio::select! {
            result = run => panic!("the run ended by itself: {result:?}"),
            _ = killer => {}
        }
        // The future and the connection are dropped here.
    }
    let seen1 = traced(&out.text());
    assert!(
        seen1.len() >= 2 * BATCH && seen1.len() < 19,
        "{}",
        seen1.len()
    );
    assert!(
        !out.text().contains("checked "),
        "a killed run prints no summary"
    );
    // Dropping between awaits loses nothing: what was printed was saved.
    let saved = Checkpoint::load(&cfg.data_dir, &cfg.brokers, &cfg.topic).expect("checkpoint");
    assert_eq!(saved.offsets, highest(&seen1));

    // A kill -9 can also land between printing a block and saving it: roll
    // the checkpoint back by that last block, as such a kill would leave it.
    let batches: Vec<&[(i32, i64)]> = seen1.chunks(BATCH).collect();
    let last_batch = *batches.last().expect("a batch");
    let kept = &seen1[..seen1.len() - last_batch.len()];
    let mut rolled_back = Checkpoint::new();
    for (partition, offset) in kept {
        rolled_back.record(*partition, *offset);
    }
    rolled_back
        .save(&cfg.data_dir, &cfg.brokers, &cfg.topic)
        .expect("save");

    let before = kept.len();
    let (summary2, seen2, _) = resume_run(&mut demo.conn, &cfg, |n| before + n >= 19).await;
    let replayed: BTreeSet<(i32, i64)> = seen2
        .iter()
        .copied()
        .filter(|p| seen1.contains(p))
        .collect();
    let last: BTreeSet<(i32, i64)> = last_batch.iter().copied().collect();
    assert_eq!(replayed, last, "only the unsaved batch is validated again");
    let distinct: BTreeSet<(i32, i64)> = seen1.iter().chain(&seen2).copied().collect();
    assert_eq!(distinct, school_positions(), "no gaps: at-least-once");
    assert_eq!(seen2.len(), seen2.iter().collect::<BTreeSet<_>>().len());
    assert_eq!(checked(&summary2), seen2.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_forgets_the_checkpoint() {
    let mut demo = Demo::start("reset").await;
    let cfg = demo.cfg.clone();
    let mut checkpoint = Checkpoint::new();
    checkpoint.record(0, 5);
    checkpoint
        .save(&cfg.data_dir, &cfg.brokers, &cfg.topic)
        .expect("save");
    let opts = ValidateOpts {
        reset: true,
        ..Default::default()
    };
    let ran = demo.run_to_end(Macro::Validate(opts), false).await;
    assert!(matches!(
        ran.summary(),
        DemoSummary::CheckpointReset { removed: true, .. }
    ));
    assert!(
        ran.text().starts_with("checkpoint forgotten ("),
        "{}",
        ran.text()
    );
    assert!(Checkpoint::load(&cfg.data_dir, &cfg.brokers, &cfg.topic)
        .expect("load")
        .is_empty());
    assert!(
        demo.fixture.queries().is_empty(),
        "--reset alone runs nothing"
    );

    // --reset --resume starts over from the earliest offset.
    let mac = Macro::parse("validate", &["--reset", "--resume", "--verbose"]);
    let ran = demo.run_until(mac, |t| traced(t).len() >= 19).await;
    assert!(ran.met, "{}", ran.text());
    let seen = traced(&ran.text());
    assert_eq!(seen.len(), 19);
    assert_eq!(checked(ran.summary()), 19);
    assert_eq!(
        demo.fixture.last_query().expect("query").sql,
        format!("{RESUME_PREFIX}earliest'")
    );
}

/// Saves a checkpoint for the demo's topic.
fn seed(cfg: &DemoConfig, offsets: &[(i32, i64)], partitions: Option<u32>) -> Checkpoint {
    let mut checkpoint = Checkpoint::new();
    for (partition, offset) in offsets {
        checkpoint.record(*partition, *offset);
    }
    checkpoint.partitions = partitions;
    checkpoint
        .save(&cfg.data_dir, &cfg.brokers, &cfg.topic)
        .expect("save");
    checkpoint
}

/// The `seek_to` list of the resume statement sent last.
fn last_seek_list(demo: &Demo) -> String {
    let sql = demo
        .sqls()
        .into_iter()
        .rev()
        .find(|s| s.starts_with(RESUME_PREFIX))
        .expect("a resume statement");
    sql[RESUME_PREFIX.len()..].trim_end_matches('\'').to_owned()
}

fn assert_once_each(seen: &[(i32, i64)], want: &BTreeSet<(i32, i64)>) {
    let distinct: BTreeSet<(i32, i64)> = seen.iter().copied().collect();
    assert_eq!(
        seen.len(),
        distinct.len(),
        "no document validated twice: {seen:?}"
    );
    assert_eq!(&distinct, want, "no document skipped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_is_right_with_an_empty_last_partition_and_scans_nothing() {
    let (fixture, served) = start_fixture();
    served.change(|t| *t = Topic::sample(3));
    let all = served.topic().school_positions();
    let mut demo = Demo::on(fixture, served, "empty-last").await;
    let cfg = demo.cfg.clone();

    let (_, seen1, _) = resume_run(&mut demo.conn, &cfg, |n| n >= 7).await;
    let saved = Checkpoint::load(&cfg.data_dir, &cfg.brokers, &cfg.topic).expect("checkpoint");
    assert_eq!(saved.partitions, Some(3), "the probe's count is kept");
    assert_eq!(saved.offsets, highest(&seen1));

    let before = seen1.len();
    let (_, seen2, text2) = resume_run(&mut demo.conn, &cfg, |n| before + n >= all.len()).await;
    assert!(text2.contains("(3 partitions)"), "{text2}");
    let want: Vec<String> = (0..3)
        .map(|p| {
            saved
                .offsets
                .get(&p)
                .map_or("earliest".to_owned(), |o| (o + 1).to_string())
        })
        .collect();
    assert_eq!(last_seek_list(&demo), want.join(","));
    assert!(
        want[2] == "earliest",
        "the empty partition 2 is in the list"
    );
    let union: Vec<(i32, i64)> = seen1.iter().chain(&seen2).copied().collect();
    assert_once_each(&union, &all);
    assert_no_scan(&demo.sqls());
    assert!(demo.sqls().contains(&PROBE.to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_added_between_runs_is_read_from_its_earliest_offset() {
    let mut demo = Demo::start("added").await;
    let cfg = demo.cfg.clone();
    let (_, seen1, _) = resume_run(&mut demo.conn, &cfg, |n| n >= 7).await;
    let saved = Checkpoint::load(&cfg.data_dir, &cfg.brokers, &cfg.topic).expect("checkpoint");
    assert_eq!(saved.partitions, Some(2));

    let school = topic()
        .into_iter()
        .find(|m| m.school)
        .expect("a school")
        .raw;
    demo.served.change(|t| {
        t.partitions = 3;
        t.append(2, &school);
    });
    let all = demo.served.topic().school_positions();
    assert!(all.contains(&(2, 0)));
    let before = seen1.len();
    let (_, seen2, text2) = resume_run(&mut demo.conn, &cfg, |n| before + n >= all.len()).await;
    assert!(
        text2.contains(
            "Topic edfi.dms.document has 3 partitions now (2 at the last run): \
             partition 2 starts at the earliest offset."
        ),
        "{text2}"
    );
    assert!(
        last_seek_list(&demo).ends_with(",earliest"),
        "{}",
        last_seek_list(&demo)
    );
    assert_eq!(last_seek_list(&demo).split(',').count(), 3);
    let union: Vec<(i32, i64)> = seen1.iter().chain(&seen2).copied().collect();
    assert_once_each(&union, &all);
    let saved = Checkpoint::load(&cfg.data_dir, &cfg.brokers, &cfg.topic).expect("checkpoint");
    assert_eq!(saved.partitions, Some(3));
    assert_no_scan(&demo.sqls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_topic_is_checked_again_from_its_start() {
    let mut demo = Demo::start("recreated").await;
    let cfg = demo.cfg.clone();
    // The checkpoint of an older, longer topic of the same name: its offsets are past the
    // new topic's end, where a streaming read would start at the end and the new messages'
    // low offsets would look checked.
    seed(&cfg, &[(0, 40), (1, 41)], Some(2));
    let all = school_positions();
    let (summary, seen, text) = resume_run(&mut demo.conn, &cfg, |n| n >= all.len()).await;
    for (partition, offset) in [(0, 40), (1, 41)] {
        assert!(
            text.contains(&format!(
                "Partition {partition}: the checkpoint's offset {offset} is past the end of topic \
                 edfi.dms.document (the topic was recreated or emptied); checking partition \
                 {partition} again from its earliest offset."
            )),
            "{text}"
        );
    }
    assert_eq!(last_seek_list(&demo), "earliest");
    assert_once_each(&seen, &all);
    assert_eq!(checked(&summary), all.len() as u64);
    let sent = demo.sqls();
    assert!(
        sent.contains(&position(0, 40)) && sent.contains(&position(1, 41)),
        "{sent:?}"
    );
    assert_no_scan(&sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_removed_before_they_were_checked_are_named() {
    let mut demo = Demo::start("retention").await;
    let cfg = demo.cfg.clone();
    demo.served.change(|t| {
        t.low.insert(0, 6);
    });
    let high1 = demo.served.topic().high(1);
    seed(&cfg, &[(0, 2), (1, high1 - 1)], Some(2));
    let want: BTreeSet<(i32, i64)> = demo
        .served
        .topic()
        .school_positions()
        .into_iter()
        .filter(|(p, _)| *p == 0)
        .collect();
    assert!(!want.is_empty());
    let (_, seen, text) = resume_run(&mut demo.conn, &cfg, |n| n >= want.len()).await;
    assert!(
        text.contains(
            "Partition 0: offsets 3 to 5 are no longer in topic edfi.dms.document (removed by \
             retention or compaction before they were checked); continuing at offset 6."
        ),
        "{text}"
    );
    assert!(
        !text.contains("Partition 1:"),
        "partition 1 is intact: {text}"
    );
    // Proton continues at the low watermark by itself (auto.offset.reset=earliest).
    assert_eq!(last_seek_list(&demo), format!("3,{high1}"));
    assert_once_each(&seen, &want);
    assert_no_scan(&demo.sqls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_the_server_does_not_say_is_corrected_by_its_seek_to_error() {
    let (fixture, served) = start_fixture();
    served.change(|t| {
        *t = Topic::sample(3);
        t.probe_message = Some("Setting shards is not supported here".to_owned());
    });
    let mut demo = Demo::on(fixture, served, "no-count").await;
    let cfg = demo.cfg.clone();
    seed(&cfg, &[(0, 0), (1, 0)], Some(2));
    let want: BTreeSet<(i32, i64)> = school_positions()
        .into_iter()
        .filter(|(_, o)| *o > 0)
        .collect();
    let (_, seen, text) = resume_run(&mut demo.conn, &cfg, |n| n >= want.len()).await;
    assert!(
        text.contains("Proton did not say how many partitions"),
        "{text}"
    );
    assert!(
        text.contains("Proton expects 3 seek_to entries, one per partition"),
        "{text}"
    );
    let resumes: Vec<String> = demo
        .sqls()
        .into_iter()
        .filter(|s| s.starts_with(RESUME_PREFIX))
        .collect();
    assert_eq!(
        resumes,
        vec![
            format!("{RESUME_PREFIX}1,1'"),
            format!("{RESUME_PREFIX}1,1,earliest'")
        ]
    );
    assert_once_each(&seen, &want);
    let saved = Checkpoint::load(&cfg.data_dir, &cfg.brokers, &cfg.topic).expect("checkpoint");
    assert_eq!(saved.partitions, Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_partition_count_from_the_server_is_a_clear_error() {
    for huge in ["2147483647", "20000000", "99999999999999999999999"] {
        let (fixture, served) = start_fixture();
        served.change(|t| {
            t.probe_message = Some(format!(
                "Invalid topic partition 100000, the topic has only {huge} partitions"
            ));
        });
        let mut demo = Demo::on(fixture, served, "huge-count").await;
        let cfg = demo.cfg.clone();
        for checkpoint in [false, true] {
            if checkpoint {
                seed(&cfg, &[(0, 1)], None);
            }
            let ran = demo.run_to_end(resume(), false).await;
            let err = ran.summary.expect_err("an absurd count is refused");
            let text = err.to_string();
            assert!(
                text.contains(&format!(
                    "the topic has {} partitions",
                    &huge[..huge.len().min(20)]
                )),
                "{text}"
            );
            assert!(text.contains("supports 1 to 100000"), "{text}");
            assert!(
                demo.sqls().iter().all(|s| !s.starts_with(RESUME_PREFIX)),
                "{:?}",
                demo.sqls()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_with_an_absurd_partition_is_a_clear_error() {
    let mut demo = Demo::start("absurd").await;
    let cfg = demo.cfg.clone();
    let path = Checkpoint::path(&cfg.data_dir, &cfg.brokers, &cfg.topic);
    std::fs::create_dir_all(&cfg.data_dir).expect("dir");
    for (offsets, partitions, want) in [
        (
            r#"{"2147483647":5}"#,
            "",
            "partition 2147483647 is out of range",
        ),
        (
            r#"{"20000000":5}"#,
            "",
            "partition 20000000 is out of range",
        ),
        (
            r#"{"0":5}"#,
            r#""partitions":2147483647,"#,
            "partition count 2147483647 is out of range",
        ),
    ] {
        std::fs::write(
            &path,
            format!(
                r#"{{"version":1,"brokers":"{}","topic":"{}",{partitions}"offsets":{offsets}}}"#,
                cfg.brokers, cfg.topic
            ),
        )
        .expect("write");
        let ran = demo.run_to_end(resume(), false).await;
        let err = ran.summary.expect_err("the checkpoint is refused");
        let text = err.to_string();
        assert!(text.contains(want), "{text}");
        assert!(text.contains("--reset"), "{text}");
    }
    assert!(
        demo.sqls().iter().all(|s| s == CREATE_STREAM),
        "nothing after the stream: {:?}",
        demo.sqls()
    );
}

// ---------------------------------------------------------------------------
// :demo-load
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_load_writes_the_sample_in_one_insert() {
    let mut demo = Demo::start("load").await;
    let ran = demo
        .run_to_end(Macro::DemoLoad(DemoLoadOpts::default()), false)
        .await;
    assert_eq!(
        ran.summary().to_string(),
        "wrote 38 of 38 sample messages to topic edfi.dms.document"
    );
    let queries = demo.sqls();
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[0], CREATE_STREAM);
    assert!(queries[1].starts_with("INSERT INTO document(raw) VALUES ('{\"id\":1,"));
    let sample: Vec<String> = sample_messages().map(str::to_owned).collect();
    assert_eq!(
        demo.inserted(),
        sample,
        "every message byte for byte, in order"
    );
    let text = ran.text();
    assert!(
        text.contains("-- INSERT INTO document(raw) VALUES ('{\"id\":1,"),
        "{text}"
    );
    assert!(text.contains("-- 38 rows"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_load_with_pace_drips_and_stops() {
    let mut demo = Demo::start("load-pace").await;
    let mac = Macro::parse("demo-load", &["--pace", "20ms"]);
    let fixture = &demo.fixture;
    let inserts = || {
        sqls(fixture)
            .iter()
            .filter(|s| s.starts_with("INSERT"))
            .count()
    };
    let ran = run_with(
        &mut demo.conn,
        &demo.cfg,
        &mac,
        Screen::Plain,
        |_, tx| async move {
            let met = poll_until(WAIT, || inserts() >= 5).await;
            let _ = tx.send(true);
            met
        },
    )
    .await;
    assert!(ran.met, "{}", ran.text());
    let summary = ran.summary();
    let DemoSummary::DemoLoad { written, total, .. } = *summary else {
        panic!("{summary:?}")
    };
    assert_eq!(total, 38);
    assert!((5..38).contains(&written), "{written}");
    let inserts: Vec<String> = demo
        .sqls()
        .into_iter()
        .filter(|s| s.starts_with("INSERT"))
        .collect();
    assert_eq!(inserts.len() as u64, written, "one statement per message");
    let sample: Vec<String> = sample_messages()
        .take(written as usize)
        .map(str::to_owned)
        .collect();
    assert_eq!(demo.inserted(), sample);
    assert!(ran
        .text()
        .contains("-- INSERT INTO document(raw) VALUES ('{\"id\":1,\"documentpartitionkey\""));
}

// ---------------------------------------------------------------------------
// Errors and early stops
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_topic_is_an_error_with_a_hint() {
    let fixture = ProtonFixture::builder()
        .handler(|q| {
            q.sql
                .starts_with("CREATE EXTERNAL STREAM")
                .then(|| Response::exception(2003, "Could not find topic edfi.dms.document"))
        })
        .start();
    let mut demo = Demo::on(fixture, Arc::default(), "missing").await;
    for command in ["school-count", "new-docs", "validate", "demo-load"] {
        let ran = demo.run_to_end(Macro::parse(command, &[]), false).await;
        let err = ran.summary.expect_err("the topic is missing");
        assert_eq!(err.server_code(), Some(2003), "{command}");
        let text = err.to_string();
        assert!(text.contains("Could not find topic"), "{text}");
        let hint = err.hint().expect("a hint");
        assert!(hint.contains("docker compose up -d"), "{hint}");
        assert!(hint.contains(":demo-load"), "{hint}");
    }
    // Nothing after the failed CREATE.
    assert!(demo
        .sqls()
        .iter()
        .all(|s| s.starts_with("CREATE EXTERNAL STREAM")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_exhaustion_is_an_error_with_a_hint() {
    let fixture = ProtonFixture::builder()
        .handler(|q| {
            q.sql.starts_with("SELECT ").then(|| {
                Response::exception(
                    2601,
                    "Reached consumers limit 50. Existing queries need to be stopped before running \
                     other queries. Or update external_stream.kafka.max_consumers_per_stream to a \
                     bigger number in the config file",
                )
            })
        })
        .start();
    let mut demo = Demo::on(fixture, Arc::default(), "consumers").await;
    for command in ["school-count", "new-docs"] {
        let ran = demo.run_to_end(Macro::parse(command, &[]), false).await;
        let err = ran.summary.expect_err("no consumer left");
        assert_eq!(err.server_code(), Some(2601), "{command}");
        let text = err.to_string();
        assert!(text.contains("Reached consumers limit 50"), "{text}");
        assert!(
            text.contains("\nhint: every query reading the external stream document holds one"),
            "{text}"
        );
        assert!(text.contains("KILL QUERY"), "{text}");
        assert!(text.contains("max_consumers_per_stream"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_stop_ends_cleanly() {
    let mut demo = Demo::start("early").await;
    for command in ["school-count", "new-docs", "validate", "demo-load"] {
        let ran = tokio::time::timeout(WAIT, demo.run_to_end(Macro::parse(command, &[]), true))
            .await
            .expect("returns without waiting for anything");
        let summary = ran.summary();
        let text = ran.text();
        assert!(text.ends_with(&format!("{summary}\n")), "{command}: {text}");
    }
    assert!(demo.fixture.queries().is_empty(), "{:?}", demo.sqls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_is_usable_after_a_stopped_macro() {
    let mut demo = Demo::start("reuse").await;
    let ran = demo
        .run_until(Macro::NewDocs(NewDocsOpts::default()), |t| {
            t.contains("School  ")
        })
        .await;
    assert!(ran.met);
    ran.summary();
    let result = demo
        .conn
        .execute("SELECT 1", &[])
        .await
        .expect("SELECT 1 after the macro");
    assert_eq!(result.rows, 1);
    assert_eq!(demo.fixture.connections(), 1, "no reconnect was needed");
}

/// The real binary in batch mode: `-q ':validate'` prints plain lines until SIGINT,
/// then its summary, and exits cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn batch_validate_runs_until_sigint_then_prints_its_summary() {
    let (fixture, _) = start_fixture();
    let home = TempDir::new("batch-validate");
    let mut child = hermetic(home.path())
        .args([
            "--host",
            &fixture.host(),
            "--port",
            &fixture.port().to_string(),
        ])
        .args(["-q", ":validate"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn proton-shell");
    // Wait until the live part has delivered everything (both unreadable reports and all six
    // invalid ones), then interrupt.
    let stdout = Capture::new(child.stdout.take().expect("stdout"));
    let delivered = poll_until(WAIT, || {
        let t = stdout.text();
        t.matches("⚠ School document").count() == 2 && t.matches('❌').count() == 6
    })
    .await;
    assert!(
        delivered,
        "not everything was reported: {:?}\n{}",
        sqls(&fixture),
        stdout.text()
    );
    crate::support::sigint(child.id());
    let out = tokio::task::spawn_blocking(move || wait_output(child, WAIT))
        .await
        .unwrap();
    let stdout = tokio::task::spawn_blocking(move || stdout.finish())
        .await
        .unwrap();
    let invalid: Vec<&str> = stdout.lines().filter(|l| l.starts_with("❌")).collect();
    assert_eq!(invalid, expected_invalid_lines(), "{stdout}");
    assert_eq!(stdout.matches("⚠ School document").count(), 2, "{stdout}");
    assert!(
        stdout.contains("checked 19 schools: 6 invalid categories, 2 unreadable"),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        text(&out.stderr)
    );
}

/// `--tee` with a macro: every result line it shows (the findings, the summary) also goes to
/// the file as a JSON line a validation service could read; notes and SQL do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_validate_with_tee_writes_its_findings_as_json_lines() {
    let (fixture, _) = start_fixture();
    let home = TempDir::new("batch-validate-tee");
    let file = home.path().join("findings.jsonl");
    let mut child = hermetic(home.path())
        .args([
            "--host",
            &fixture.host(),
            "--port",
            &fixture.port().to_string(),
        ])
        .arg("--tee")
        .arg(&file)
        .args(["-q", ":validate"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn proton-shell");
    let stdout = Capture::new(child.stdout.take().expect("stdout"));
    let delivered = poll_until(WAIT, || stdout.text().matches('❌').count() == 6).await;
    assert!(delivered, "{}", stdout.text());
    crate::support::sigint(child.id());
    let out = tokio::task::spawn_blocking(move || wait_output(child, WAIT))
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let teed = std::fs::read_to_string(&file).expect("the tee file");
    let lines: Vec<Value> = teed
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let findings: Vec<&str> = lines
        .iter()
        .filter_map(|v| v["line"].as_str())
        .filter(|l| l.starts_with('❌'))
        .collect();
    assert_eq!(findings, expected_invalid_lines(), "{teed}");
    assert!(lines.iter().all(|v| v["source"] == "validate"), "{teed}");
    assert!(
        lines
            .iter()
            .all(|v| v["time"].as_str().is_some_and(|t| t.len() > 18)),
        "{teed}"
    );
    assert!(
        !teed.contains("CREATE"),
        "no SQL echo in the findings: {teed}"
    );
    assert!(teed.ends_with("\n"));
}
