//! Where the Ed-Fi demo macros read from: stream, view, brokers, topic and the checkpoint directory.
//!
//! [`DemoConfig`] holds what the macros need besides the connection. The shell
//! fills it from its config file and from `:set demo.<key>=<value>`
//! ([`DemoConfig::apply_setting`]); each macro also takes `--brokers`,
//! `--topic`, `--stream` and `--view` flags for one run (see
//! [`super::macros::parse_args`]).
//!
//! | key | default | used as |
//! |---|---|---|
//! | `demo.stream` | `document` | the Kafka external stream every macro reads (and `:demo-load` writes) |
//! | `demo.view` | `schools` | the materialized view `:validate` creates and reads |
//! | `demo.brokers` | `dms-kafka1:9092` | `brokers=` of the external stream, as Proton (not this shell) resolves it |
//! | `demo.topic` | `edfi.dms.document` | `topic=` of the external stream; with `brokers`, the key of the `:validate --resume` checkpoint |
//! | `demo.data_dir` | the platform data dir of `proton-shell` | where `:validate --resume` keeps its checkpoints |
//!
//! The defaults are those of the original demos, which run next to the Ed-Fi
//! DMS stack (broker `dms-kafka1:9092`). With this project's
//! `docker-compose.yml` (Proton + Redpanda), the broker carries the network
//! alias `dms-kafka1`, so the defaults work there too.
//!
//! Note that `CREATE EXTERNAL STREAM IF NOT EXISTS` keeps an existing stream
//! as it is: changing `demo.brokers` or `demo.topic` after the stream was
//! created needs `DROP STREAM document` (or another `demo.stream`).

use std::path::PathBuf;

/// The stream name of the original demos.
pub const DEFAULT_STREAM: &str = "document";
/// The materialized view of the original validation demo.
pub const DEFAULT_VIEW: &str = "schools";
/// The broker of the Ed-Fi DMS docker stack, as Proton sees it on the `dms` network.
pub const DEFAULT_BROKERS: &str = "dms-kafka1:9092";
/// The topic Debezium fills from `dms.document`.
pub const DEFAULT_TOPIC: &str = "edfi.dms.document";

/// What the demo macros read from and where they keep their state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// The Kafka external stream (`document`).
    pub stream: String,
    /// The materialized view `:validate` creates (`schools`).
    pub view: String,
    /// `brokers=` of the external stream (`dms-kafka1:9092`).
    pub brokers: String,
    /// `topic=` of the external stream (`edfi.dms.document`).
    pub topic: String,
    /// Where `:validate --resume` keeps its checkpoints.
    pub data_dir: PathBuf,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            stream: DEFAULT_STREAM.to_owned(),
            view: DEFAULT_VIEW.to_owned(),
            brokers: DEFAULT_BROKERS.to_owned(),
            topic: DEFAULT_TOPIC.to_owned(),
            data_dir: default_data_dir(),
        }
    }
}

/// The platform data directory of proton-shell (e.g.
/// `~/.local/share/proton-shell` on Linux), or `proton-shell` in the temporary
/// directory when the platform has none (no home directory).
pub fn default_data_dir() -> PathBuf {
    crate::dirs::data_dir().unwrap_or_else(|| std::env::temp_dir().join("proton-shell"))
}

/// The keys [`DemoConfig::apply_setting`] accepts, for completion and help.
pub const SETTING_KEYS: [&str; 5] = [
    "demo.stream",
    "demo.view",
    "demo.brokers",
    "demo.topic",
    "demo.data_dir",
];

impl DemoConfig {
    /// `CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string) SETTINGS type='kafka',
    /// brokers='dms-kafka1:9092', topic='edfi.dms.document', skip_ssl_cert_check='true'`,
    /// the first statement of every macro (on one line).
    pub fn create_stream_sql(&self) -> String {
        format!(
            "CREATE EXTERNAL STREAM IF NOT EXISTS {}(raw string) SETTINGS type='kafka', brokers={}, topic={}, skip_ssl_cert_check='true'",
            crate::sql::quote_name(&self.stream),
            crate::sql::sql_string(&self.brokers),
            crate::sql::sql_string(&self.topic)
        )
    }

    /// The stream name as it goes into SQL (backquoted if needed).
    pub fn stream_ident(&self) -> String {
        crate::sql::quote_name(&self.stream)
    }

    /// The view name as it goes into SQL (backquoted if needed).
    pub fn view_ident(&self) -> String {
        crate::sql::quote_name(&self.view)
    }

    /// Applies `:set demo.<key>=<value>`. Returns false when `key` is not a
    /// demo setting (the shell then treats it as a Proton setting). The value
    /// is trimmed and may be quoted (`'...'` or `"..."`); an empty value
    /// restores the default.
    /// Apply `(demo.<key>, value)` pairs (from the config file); returns the unknown keys.
    pub fn apply_settings(&mut self, pairs: &[(String, String)]) -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, v)| !self.apply_setting(k, v))
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn apply_setting(&mut self, key: &str, value: &str) -> bool {
        let value = unquote(value.trim());
        let key = key.trim().to_ascii_lowercase();
        let pick = |default: &str| {
            if value.is_empty() {
                default.to_owned()
            } else {
                value.to_owned()
            }
        };
        match key.as_str() {
            "demo.stream" => self.stream = pick(DEFAULT_STREAM),
            "demo.view" => self.view = pick(DEFAULT_VIEW),
            "demo.brokers" => self.brokers = pick(DEFAULT_BROKERS),
            "demo.topic" => self.topic = pick(DEFAULT_TOPIC),
            "demo.data_dir" | "demo.data-dir" => {
                self.data_dir = if value.is_empty() {
                    default_data_dir()
                } else {
                    PathBuf::from(value)
                }
            }
            _ => return false,
        }
        true
    }

    /// The demo settings as `(key, value)` pairs, for `:settings`.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("demo.stream", self.stream.clone()),
            ("demo.view", self.view.clone()),
            ("demo.brokers", self.brokers.clone()),
            ("demo.topic", self.topic.clone()),
            ("demo.data_dir", self.data_dir.display().to_string()),
        ]
    }
}

/// Strips one pair of matching outer quotes.
fn unquote(value: &str) -> &str {
    for quote in ['\'', '"'] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_create_statement_is_the_originals() {
        assert_eq!(
            DemoConfig::default().create_stream_sql(),
            "CREATE EXTERNAL STREAM IF NOT EXISTS document(raw string) SETTINGS type='kafka', \
             brokers='dms-kafka1:9092', topic='edfi.dms.document', skip_ssl_cert_check='true'"
        );
    }

    #[test]
    fn settings_apply_and_reset() {
        let mut cfg = DemoConfig::default();
        assert!(cfg.apply_setting("demo.brokers", "'redpanda:9092'"));
        assert!(cfg.apply_setting("DEMO.TOPIC", " t1 "));
        assert!(cfg.apply_setting("demo.stream", "my stream"));
        assert!(cfg.apply_setting("demo.data_dir", "/tmp/x"));
        assert!(!cfg.apply_setting("max_threads", "4"));
        assert_eq!(cfg.brokers, "redpanda:9092");
        assert_eq!(cfg.topic, "t1");
        assert_eq!(cfg.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(
            cfg.create_stream_sql(),
            "CREATE EXTERNAL STREAM IF NOT EXISTS `my stream`(raw string) SETTINGS type='kafka', \
             brokers='redpanda:9092', topic='t1', skip_ssl_cert_check='true'"
        );
        assert!(cfg.apply_setting("demo.brokers", ""));
        assert_eq!(cfg.brokers, DEFAULT_BROKERS);
        assert_eq!(cfg.settings().len(), SETTING_KEYS.len());
    }
}
