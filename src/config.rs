//! The optional `config.toml` (in the user config dir): defaults that flags and env vars override.

use crate::errors::AppError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A password: never shown by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "String")]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The contents of `config.toml`. Every key is optional; unknown keys are an error, so typos show.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub database: Option<String>,
    pub format: Option<String>,
    pub history_file: Option<PathBuf>,
    /// The prompt template (`--prompt`).
    pub prompt: Option<String>,
    /// JSON output quotes 64-bit integers (`--json-quote-64bit`).
    pub json_quote_64bit: Option<bool>,
    pub color: Option<bool>,
    pub timing: Option<bool>,
    pub hints: Option<bool>,
    /// The status line and streaming strip (`:status`).
    pub status: Option<bool>,
    pub connect_timeout: Option<u64>,
    /// `--receive-timeout` in seconds (0: none).
    pub receive_timeout: Option<u64>,
    pub compression: Option<bool>,
    /// Session settings sent with every query, like `:set name=value`.
    #[serde(default, deserialize_with = "settings_table")]
    pub settings: Vec<(String, String)>,
    /// Settings of the demo commands, like `:set demo.name=value` (keys without `demo.`).
    #[serde(default, deserialize_with = "settings_table")]
    pub demo: Vec<(String, String)>,
}

fn settings_table<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<(String, String)>, D::Error> {
    let table = BTreeMap::<String, toml::Value>::deserialize(d)?;
    Ok(table
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                toml::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect())
}

/// `config.toml` in the platform config dir (`~/.config/proton-shell/` on Linux).
pub fn default_path() -> Option<PathBuf> {
    crate::dirs::config_dir().map(|d| d.join("config.toml"))
}

/// Load the config file. A missing default file is fine; a missing file named with `--config`,
/// or one that does not parse, is a usage error that names the file.
pub fn load(explicit: Option<&Path>) -> Result<FileConfig, AppError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match default_path() {
            Some(p) => p,
            None => return Ok(FileConfig::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            return Ok(FileConfig::default())
        }
        Err(e) => {
            return Err(AppError::Usage(format!(
                "cannot read config file {}: {e}",
                path.display()
            )))
        }
    };
    parse(&text).map_err(|e| AppError::Usage(format!("config file {}: {e}", path.display())))
}

/// Parse the text of a config file.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| e.message().to_string() + &location(text, e.span()))
}

fn location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(s) => {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_parses_and_is_all_comments() {
        let text = include_str!("../config.example.toml");
        assert_eq!(parse(text).unwrap(), FileConfig::default());
        // Uncommenting every `key = value` line must still parse.
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") || rest.starts_with('[') => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&uncommented).unwrap();
        assert_eq!(c.port, Some(8463));
        assert!(!c.settings.is_empty());
        assert!(c.demo.iter().any(|(k, _)| k == "brokers"));
    }

    #[test]
    fn settings_values_become_strings() {
        let c = parse("[settings]\nmax_threads = 4\nquery_mode = 'table'\n").unwrap();
        assert_eq!(
            c.settings,
            vec![
                ("max_threads".to_string(), "4".to_string()),
                ("query_mode".to_string(), "table".to_string())
            ]
        );
    }

    #[test]
    fn unknown_key_is_an_error_with_a_line() {
        let e = parse("host = 'a'\nprot = 1\n").unwrap_err();
        assert!(e.contains("prot"), "{e}");
        assert!(e.contains("line 2"), "{e}");
    }
}
