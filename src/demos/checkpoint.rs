//! Per-partition Kafka offsets saved between runs of `:validate --resume`.
//!
//! The macro reads `_tp_shard` (partition) and `_tp_sn` (offset) with each
//! document, [`Checkpoint::record`]s them, and [`Checkpoint::save`]s after each
//! batch. On the next run it starts with `SETTINGS seek_to=<seek_to_setting>`,
//! the offset after the last processed one in each partition (Proton's start
//! offset is inclusive), so no document is checked twice and none is skipped.
//! A crash between processing and saving replays at most the unsaved batch:
//! at-least-once.
//!
//! One file per brokers + topic, in the data directory the caller passes:
//! `checkpoint-<16 hex digits>.json`, the hex being the 64-bit FNV-1a hash of
//! `"<brokers>|<topic>"`. The file is JSON and also names the brokers and
//! topic, for humans and to detect a hash collision:
//!
//! ```json
//! {
//!   "version": 1,
//!   "brokers": "dms-kafka1:9092",
//!   "topic": "edfi.dms.document",
//!   "updated_at": "2025-04-08T14:03:17.268384+00:00",
//!   "partitions": 2,
//!   "offsets": { "0": 41 }
//! }
//! ```
//!
//! `partitions` is the topic's partition count when the checkpoint was last
//! saved (absent in files written before it was kept): the next run says so
//! when the topic gained partitions, and falls back on it when the server does
//! not tell the count.
//!
//! Partition numbers and counts are bounded by [`MAX_PARTITIONS`] (100 000,
//! far above any real Kafka topic: Kafka's own guidance stops at a few
//! thousand per broker). A file or a server answer beyond it is rejected
//! before anything is allocated for it, so a corrupt or hostile number cannot
//! make the shell allocate gigabytes for a `seek_to` list.
//!
//! Saving is atomic: the JSON goes to a temporary file in the same directory,
//! which is synced and then renamed over the checkpoint.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// The version written in new checkpoint files.
const FORMAT_VERSION: u32 = 1;

/// The most partitions a topic may have for `:validate --resume`: partition
/// numbers are below it, counts at most it.
pub const MAX_PARTITIONS: u32 = 100_000;

/// Errors reading, writing or deleting a checkpoint file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("checkpoint {path} is unreadable ({reason}); delete it or run :validate --reset")]
    Corrupt { path: PathBuf, reason: String },
}

/// The highest processed offset of each partition of one topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// Partition (`_tp_shard`) → highest processed offset (`_tp_sn`).
    pub offsets: BTreeMap<i32, i64>,
    /// The topic's partition count when last saved, if known.
    pub partitions: Option<u32>,
}

#[derive(Serialize, Deserialize)]
struct CheckpointFile {
    version: u32,
    brokers: String,
    topic: String,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    partitions: Option<u32>,
    offsets: BTreeMap<i32, i64>,
}

/// 64-bit FNV-1a.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl Checkpoint {
    /// An empty checkpoint: nothing processed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether no offset has been recorded.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// The file name for brokers + topic: `checkpoint-<hex>.json`.
    pub fn file_name(brokers: &str, topic: &str) -> String {
        let key = format!("{brokers}|{topic}");
        format!("checkpoint-{:016x}.json", fnv1a64(key.as_bytes()))
    }

    /// The checkpoint file's path in `dir`.
    pub fn path(dir: &Path, brokers: &str, topic: &str) -> PathBuf {
        dir.join(Self::file_name(brokers, topic))
    }

    /// Forgets what was processed in `partition` (e.g. the topic was
    /// recreated): its documents are checked again from the earliest offset.
    pub fn forget(&mut self, partition: i32) -> Option<i64> {
        self.offsets.remove(&partition)
    }

    /// Records that the document at `offset` of `partition` was processed.
    /// Keeps the highest offset per partition; returns whether it advanced.
    pub fn record(&mut self, partition: i32, offset: i64) -> bool {
        match self.offsets.get_mut(&partition) {
            Some(highest) if *highest >= offset => false,
            Some(highest) => {
                *highest = offset;
                true
            }
            None => {
                self.offsets.insert(partition, offset);
                true
            }
        }
    }

    /// Whether the document at `offset` of `partition` was already processed,
    /// so a replayed message can be skipped.
    pub fn is_processed(&self, partition: i32, offset: i64) -> bool {
        self.offsets
            .get(&partition)
            .is_some_and(|highest| offset <= *highest)
    }

    /// The value for `SETTINGS seek_to=…`, as a quoted SQL string literal:
    /// `'<o0+1>,<o1+1>,…'`, one entry per partition `0..partitions` in
    /// partition order, `earliest` for a partition with no recorded offset.
    ///
    /// `None` when nothing was recorded (or `partitions` is 0): start the way
    /// the caller would without a checkpoint. Offsets recorded for partitions
    /// at or above `partitions` are not part of the setting.
    /// `partitions` above [`MAX_PARTITIONS`] gives `None` too: the caller
    /// validates counts first, and nothing is allocated for an absurd one.
    pub fn seek_to_setting(&self, partitions: usize) -> Option<String> {
        if self.offsets.is_empty() || partitions == 0 || partitions > MAX_PARTITIONS as usize {
            return None;
        }
        let entries: Vec<String> = (0..partitions)
            .map(|partition| {
                i32::try_from(partition)
                    .ok()
                    .and_then(|p| self.offsets.get(&p))
                    .map_or_else(
                        || "earliest".to_owned(),
                        |offset| offset.saturating_add(1).to_string(),
                    )
            })
            .collect();
        Some(format!("'{}'", entries.join(",")))
    }

    /// Loads the checkpoint of brokers + topic from `dir`. A missing file
    /// gives an empty checkpoint; an unreadable one is an error.
    pub fn load(dir: &Path, brokers: &str, topic: &str) -> Result<Self, CheckpointError> {
        let path = Self::path(dir, brokers, topic);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Self::new()),
            Err(source) => return Err(CheckpointError::Io { path, source }),
        };
        let corrupt = |reason: String| CheckpointError::Corrupt {
            path: path.clone(),
            reason,
        };
        let file: CheckpointFile =
            serde_json::from_str(&text).map_err(|err| corrupt(format!("bad JSON: {err}")))?;
        if file.version != FORMAT_VERSION {
            return Err(corrupt(format!(
                "format version {} is not supported (expected {FORMAT_VERSION})",
                file.version
            )));
        }
        if file.brokers != brokers || file.topic != topic {
            return Err(corrupt(format!(
                "it belongs to brokers '{}' and topic '{}', not '{brokers}' and '{topic}'",
                file.brokers, file.topic
            )));
        }
        if let Some((partition, offset)) = file.offsets.iter().find(|(p, o)| **p < 0 || **o < 0) {
            return Err(corrupt(format!(
                "negative partition or offset ({partition}: {offset})"
            )));
        }
        if let Some(partition) = file
            .offsets
            .keys()
            .find(|p| u32::try_from(**p).map_or(true, |p| p >= MAX_PARTITIONS))
        {
            return Err(corrupt(format!(
                "partition {partition} is out of range (at most {MAX_PARTITIONS} partitions are supported)"
            )));
        }
        if let Some(count) = file.partitions.filter(|n| *n == 0 || *n > MAX_PARTITIONS) {
            return Err(corrupt(format!(
                "partition count {count} is out of range (1 to {MAX_PARTITIONS})"
            )));
        }
        Ok(Self {
            offsets: file.offsets,
            partitions: file.partitions,
        })
    }

    /// Saves the checkpoint of brokers + topic into `dir` (created if needed),
    /// atomically. Returns the file's path.
    pub fn save(&self, dir: &Path, brokers: &str, topic: &str) -> Result<PathBuf, CheckpointError> {
        let path = Self::path(dir, brokers, topic);
        let file = CheckpointFile {
            version: FORMAT_VERSION,
            brokers: brokers.to_owned(),
            topic: topic.to_owned(),
            updated_at: Some(chrono::Utc::now().to_rfc3339()),
            partitions: self.partitions,
            offsets: self.offsets.clone(),
        };
        let mut json = serde_json::to_string_pretty(&file).map_err(|err| CheckpointError::Io {
            path: path.clone(),
            source: io::Error::other(err),
        })?;
        json.push('\n');
        write_atomically(&path, json.as_bytes()).map_err(|source| CheckpointError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// Deletes the checkpoint of brokers + topic. Returns whether a file was
    /// there.
    pub fn reset(dir: &Path, brokers: &str, topic: &str) -> Result<bool, CheckpointError> {
        let path = Self::path(dir, brokers, topic);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(CheckpointError::Io { path, source }),
        }
    }
}

/// Makes temporary file names unique within the process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` through a synced temporary file in the same
/// directory and a rename, so readers see the old or the new file, never a
/// partial one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp-{}-{unique}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        sync_dir(&dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Syncs a directory so a rename in it is durable. Best effort: not every
/// platform can open a directory.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROKERS: &str = "dms-kafka1:9092";
    const TOPIC: &str = "edfi.dms.document";

    use crate::testutil::TempDir;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn file_name_is_stable_hex() {
        let name = Checkpoint::file_name(BROKERS, TOPIC);
        assert_eq!(name, Checkpoint::file_name(BROKERS, TOPIC));
        assert!(name.starts_with("checkpoint-") && name.ends_with(".json"));
        assert_eq!(name.len(), "checkpoint-".len() + 16 + ".json".len());
        assert_ne!(name, Checkpoint::file_name(BROKERS, "other"));
        assert_ne!(
            name,
            Checkpoint::file_name("dms-kafka1:909", "2|edfi.dms.document")
        );
        // Known FNV-1a 64 values.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn round_trip() {
        let dir = TempDir::new("roundtrip");
        let mut checkpoint = Checkpoint::new();
        checkpoint.record(0, 41);
        checkpoint.record(2, 7);
        let path = checkpoint.save(&dir.0, BROKERS, TOPIC).expect("save");
        assert_eq!(path, Checkpoint::path(&dir.0, BROKERS, TOPIC));
        let loaded = Checkpoint::load(&dir.0, BROKERS, TOPIC).expect("load");
        assert_eq!(loaded, checkpoint);
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.contains("\"brokers\": \"dms-kafka1:9092\""), "{text}");
        assert!(text.contains("\"topic\": \"edfi.dms.document\""), "{text}");
        // Another topic has its own (empty) checkpoint.
        assert!(Checkpoint::load(&dir.0, BROKERS, "other")
            .expect("load other")
            .is_empty());
    }

    #[test]
    fn missing_dir_and_file() {
        let dir = TempDir::new("missing");
        let nested = dir.0.join("a").join("b");
        assert!(Checkpoint::load(&nested, BROKERS, TOPIC)
            .expect("load")
            .is_empty());
        let mut checkpoint = Checkpoint::new();
        checkpoint.record(0, 1);
        checkpoint
            .save(&nested, BROKERS, TOPIC)
            .expect("save creates dirs");
        assert_eq!(
            Checkpoint::load(&nested, BROKERS, TOPIC).expect("load"),
            checkpoint
        );
    }

    #[test]
    fn atomic_write_leaves_no_temp_files() {
        let dir = TempDir::new("atomic");
        let mut checkpoint = Checkpoint::new();
        for offset in 0..5 {
            checkpoint.record(0, offset);
            checkpoint.save(&dir.0, BROKERS, TOPIC).expect("save");
        }
        assert_eq!(entries(&dir.0), vec![Checkpoint::file_name(BROKERS, TOPIC)]);
        assert_eq!(
            Checkpoint::load(&dir.0, BROKERS, TOPIC)
                .expect("load")
                .offsets[&0],
            4
        );
    }

    #[test]
    fn record_keeps_the_max() {
        let mut checkpoint = Checkpoint::new();
        assert!(checkpoint.record(1, 10));
        assert!(!checkpoint.record(1, 3));
        assert!(!checkpoint.record(1, 10));
        assert!(checkpoint.record(1, 11));
        assert_eq!(checkpoint.offsets[&1], 11);
        assert!(checkpoint.is_processed(1, 11));
        assert!(checkpoint.is_processed(1, 0));
        assert!(!checkpoint.is_processed(1, 12));
        assert!(!checkpoint.is_processed(0, 0));
    }

    #[test]
    fn seek_to_formatting() {
        let mut checkpoint = Checkpoint::new();
        assert_eq!(checkpoint.seek_to_setting(1), None);
        assert_eq!(checkpoint.seek_to_setting(3), None);
        checkpoint.record(0, 36);
        assert_eq!(checkpoint.seek_to_setting(1).as_deref(), Some("'37'"));
        assert_eq!(
            checkpoint.seek_to_setting(3).as_deref(),
            Some("'37,earliest,earliest'")
        );
        checkpoint.record(2, 4);
        checkpoint.record(1, 0);
        assert_eq!(checkpoint.seek_to_setting(3).as_deref(), Some("'37,1,5'"));
        assert_eq!(checkpoint.seek_to_setting(0), None);
        checkpoint.record(0, i64::MAX);
        assert_eq!(
            checkpoint.seek_to_setting(1),
            Some(format!("'{}'", i64::MAX))
        );
    }

    #[test]
    fn reset_deletes_the_file() {
        let dir = TempDir::new("reset");
        assert!(!Checkpoint::reset(&dir.0, BROKERS, TOPIC).expect("reset nothing"));
        let mut checkpoint = Checkpoint::new();
        checkpoint.record(0, 5);
        checkpoint.save(&dir.0, BROKERS, TOPIC).expect("save");
        assert!(Checkpoint::reset(&dir.0, BROKERS, TOPIC).expect("reset"));
        assert!(entries(&dir.0).is_empty());
        assert!(Checkpoint::load(&dir.0, BROKERS, TOPIC)
            .expect("load")
            .is_empty());
    }

    #[test]
    fn corrupt_files_are_clear_errors() {
        let dir = TempDir::new("corrupt");
        let path = Checkpoint::path(&dir.0, BROKERS, TOPIC);
        let cases = [
            ("{not json", "bad JSON"),
            ("", "bad JSON"),
            (
                r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document"}"#,
                "bad JSON",
            ),
            (
                r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","offsets":{"x":1}}"#,
                "bad JSON",
            ),
            (
                r#"{"version":9,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","offsets":{}}"#,
                "format version 9",
            ),
            (
                r#"{"version":1,"brokers":"other:9092","topic":"edfi.dms.document","offsets":{}}"#,
                "belongs to brokers 'other:9092'",
            ),
            (
                r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","offsets":{"0":-4}}"#,
                "negative",
            ),
            (
                r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","offsets":{"2147483647":1}}"#,
                "partition 2147483647 is out of range",
            ),
            (
                r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","offsets":{"20000000":1}}"#,
                "partition 20000000 is out of range",
            ),
            (
                r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","offsets":{"100000":1}}"#,
                "partition 100000 is out of range",
            ),
            (
                r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","partitions":20000000,"offsets":{"0":1}}"#,
                "partition count 20000000 is out of range",
            ),
            (
                r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","partitions":0,"offsets":{}}"#,
                "partition count 0 is out of range",
            ),
        ];
        for (content, want) in cases {
            fs::write(&path, content).expect("write");
            match Checkpoint::load(&dir.0, BROKERS, TOPIC) {
                Err(err @ CheckpointError::Corrupt { .. }) => {
                    let message = err.to_string();
                    assert!(message.contains(want), "{content}: {message}");
                    assert!(message.contains("--reset"), "{message}");
                }
                other => panic!("{content}: expected corrupt, got {other:?}"),
            }
        }
    }

    #[test]
    fn load_accepts_its_own_output_without_updated_at() {
        let dir = TempDir::new("minimal");
        let path = Checkpoint::path(&dir.0, BROKERS, TOPIC);
        fs::write(
            &path,
            r#"{"version":1,"brokers":"dms-kafka1:9092","topic":"edfi.dms.document","offsets":{"0":3,"1":9}}"#,
        )
        .expect("write");
        let loaded = Checkpoint::load(&dir.0, BROKERS, TOPIC).expect("load");
        assert_eq!(loaded.seek_to_setting(2).as_deref(), Some("'4,10'"));
        assert_eq!(loaded.partitions, None);
    }

    #[test]
    fn the_partition_count_round_trips_and_the_highest_partition_loads() {
        let dir = TempDir::new("count");
        let mut checkpoint = Checkpoint::new();
        checkpoint.record(99_999, 3);
        checkpoint.partitions = Some(MAX_PARTITIONS);
        checkpoint.save(&dir.0, BROKERS, TOPIC).expect("save");
        let loaded = Checkpoint::load(&dir.0, BROKERS, TOPIC).expect("load");
        assert_eq!(loaded, checkpoint);
        assert!(loaded.seek_to_setting(MAX_PARTITIONS as usize).is_some());
        assert_eq!(loaded.seek_to_setting(MAX_PARTITIONS as usize + 1), None);
        assert_eq!(loaded.seek_to_setting(usize::MAX), None);
    }
}
