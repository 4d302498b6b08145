//! Command-line flags and environment variables, merged with the config file into one `Config`.
//!
//! Precedence is flags > environment > config file > built-in defaults. clap reads a flag or,
//! failing that, its environment variable; whatever is still unset comes from `config.toml`.

use crate::config::{FileConfig, Secret};
use crate::errors::AppError;
use crate::wire::ConnectOptions;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "proton-shell",
    version,
    about = "An interactive shell for Timeplus Proton, the streaming SQL database",
    after_help = "Without -q, -f or piped input, an interactive shell starts; type :help there.\n\
                  Settings are read from flags, then PROTON_* environment variables, then config.toml\n\
                  (see config.example.toml). PROTON_SHELL_HISTORY names the history file,\n\
                  PROTON_SHELL_CONFIG the config file, PROTON_SHELL_PROMPT the prompt.\n\
                  Exit codes: 0 ok, 1 query error, 2 usage, 3 connection or authentication error,\n\
                  130 interrupted (Ctrl-C / SIGINT)."
)]
pub struct Args {
    /// Server host [default: localhost]
    #[arg(long, env = "PROTON_HOST")]
    pub host: Option<String>,
    /// Native TCP port [default: 8463]
    #[arg(long, env = "PROTON_PORT")]
    pub port: Option<u16>,
    /// User name [default: default]
    #[arg(long, short = 'u', env = "PROTON_USER")]
    pub user: Option<String>,
    /// Password; `--password` with no value prompts for it without echo.
    /// Prefer PROTON_PASSWORD or the prompt: flag values show up in `ps`.
    #[arg(long, env = "PROTON_PASSWORD", hide_env_values = true, num_args = 0..=1, value_name = "PASSWORD")]
    pub password: Option<Option<Secret>>,
    /// Default database
    #[arg(long, short = 'd', env = "PROTON_DATABASE")]
    pub database: Option<String>,
    /// Run these statements and exit (repeatable; each may hold several `;`-separated statements)
    #[arg(long, short = 'q', value_name = "SQL")]
    pub query: Vec<String>,
    /// Run the statements in this file (`-` for stdin) and exit (repeatable; with -q, in the order given)
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Which of `query` and `file` came first on the command line, one entry per value (see
    /// [`Args::parse_noting_password`]); empty: every query, then every file.
    #[arg(skip)]
    pub input_order: Vec<InputKind>,
    /// Output format: table, vertical, json, csv, csvwithnames, tsv, tsvwithnames, raw, live, chart, null
    /// [default: table on a terminal, tsv otherwise]
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,
    /// Vertical output (same as --format vertical)
    #[arg(short = 'E', long = "vertical")]
    pub vertical: bool,
    /// History file [default: history in the user data dir]
    #[arg(long, env = "PROTON_SHELL_HISTORY", value_name = "FILE")]
    pub history_file: Option<PathBuf>,
    /// No colours (also when NO_COLOR is set or stdout is not a terminal)
    #[arg(long)]
    pub no_color: bool,
    /// Config file [default: config.toml in the user config dir]
    #[arg(long, env = "PROTON_SHELL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ask the server for LZ4-compressed blocks
    #[arg(long)]
    pub compression: bool,
    /// Connect timeout in seconds [default: 10]
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<u64>,
    /// Longest silence from the server while a query runs, in seconds; 0 waits forever
    /// (Progress heartbeats count as signs of life) [default: 300]
    #[arg(long, value_name = "SECONDS")]
    pub receive_timeout: Option<u64>,
    /// The prompt, with placeholders {user} {host} {port} {database} {display_name}
    /// [default: {user}@{host}:{database}]
    #[arg(long, env = "PROTON_SHELL_PROMPT", value_name = "TEMPLATE")]
    pub prompt: Option<String>,
    /// Also write every row shown to FILE (JSON lines, CSV or TSV by its extension)
    #[arg(long, value_name = "FILE")]
    pub tee: Option<PathBuf>,
    /// The --tee file's format: jsonl, csv or tsv
    #[arg(long, value_name = "FORMAT", requires = "tee")]
    pub tee_format: Option<String>,
    /// Start a new --tee part at this size or age (100MB, 1h): FILE-0001.EXT, …
    #[arg(long, value_name = "SIZE|AGE", requires = "tee")]
    pub tee_rotate: Option<String>,
    /// Keep this many --tee parts (the oldest are deleted)
    #[arg(long, value_name = "N", requires = "tee")]
    pub tee_keep: Option<String>,
    /// JSON output quotes 64-bit and wider integers, as ClickHouse's JSONEachRow does
    /// (default: plain JSON numbers)
    #[arg(long)]
    pub json_quote_64bit: bool,
    /// In batch mode, print each statement's elapsed time to stderr
    #[arg(long, short = 't')]
    pub time: bool,
}

/// Printed (to stderr) when `--password VALUE` is on the command line.
pub const ARGV_PASSWORD_WARNING: &str = "proton-shell: warning: a password given on the command line is visible to other users in `ps`; set PROTON_PASSWORD, or give `--password` alone to be prompted";

impl Args {
    /// The process's command line, as [`Parser::parse`] reads it (exiting on a usage error),
    /// and whether a password value was given on it, as opposed to `PROTON_PASSWORD` or a
    /// bare `--password`.
    pub fn parse_noting_password() -> (Args, bool) {
        let mut matches = Args::command().get_matches();
        let on_argv = password_on_argv(&matches);
        let order = input_order(&matches);
        let mut args = Args::from_arg_matches_mut(&mut matches)
            .unwrap_or_else(|e| e.format(&mut Args::command()).exit());
        args.input_order = order;
        (args, on_argv)
    }
}

/// The host as the connection wants it: an IPv6 address may come in brackets (`[::1]`, as
/// in URLs); a `host:port` is refused with a pointer to `--port`.
fn host_name(host: String) -> Result<String, AppError> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&host);
    if bare.contains(':') && bare.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(AppError::Usage(format!(
            "host `{host}` is not a host name or address; give the port with --port"
        )));
    }
    Ok(bare.to_string())
}

/// A batch input on the command line: `-q SQL` or `-f FILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Query,
    File,
}

/// The kinds of the `-q` and `-f` values, in their command-line order.
fn input_order(matches: &ArgMatches) -> Vec<InputKind> {
    let at = |id: &str, kind: InputKind| {
        matches
            .indices_of(id)
            .into_iter()
            .flatten()
            .map(move |i| (i, kind))
    };
    let mut all: Vec<(usize, InputKind)> = at("query", InputKind::Query)
        .chain(at("file", InputKind::File))
        .collect();
    all.sort_by_key(|&(i, _)| i);
    all.into_iter().map(|(_, kind)| kind).collect()
}

/// A batch input, in the order it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Query(String),
    File(PathBuf),
}

/// `queries` and `files` interleaved as `order` says (every query, then every file, for
/// what `order` does not cover).
fn ordered_inputs(queries: Vec<String>, files: Vec<PathBuf>, order: &[InputKind]) -> Vec<Input> {
    let mut queries = queries.into_iter();
    let mut files = files.into_iter();
    let mut inputs: Vec<Input> = order
        .iter()
        .filter_map(|kind| match kind {
            InputKind::Query => queries.next().map(Input::Query),
            InputKind::File => files.next().map(Input::File),
        })
        .collect();
    inputs.extend(queries.map(Input::Query));
    inputs.extend(files.map(Input::File));
    inputs
}

/// Whether `--password` came with a value from the command line itself.
fn password_on_argv(matches: &ArgMatches) -> bool {
    matches.value_source("password") == Some(ValueSource::CommandLine)
        && matches
            .get_raw("password")
            .is_some_and(|mut values| values.next().is_some())
}

/// The prompt unless `--prompt`, `PROTON_SHELL_PROMPT` or the config file say otherwise.
pub const DEFAULT_PROMPT: &str = "{user}@{host}:{database}";

/// Everything the run needs, after flags, environment and the config file are merged.
#[derive(Debug, Clone)]
pub struct Config {
    pub connect: ConnectOptions,
    /// `--password` was given without a value: prompt before connecting.
    pub password_prompt: bool,
    /// The format the user asked for (flag or file); `None` picks by terminal and query.
    pub format: Option<String>,
    pub history_file: Option<PathBuf>,
    /// The prompt template (`{user}@{host}:{database}` by default).
    pub prompt: String,
    /// JSON output quotes 64-bit integers (`--json-quote-64bit`, `json_quote_64bit = true`).
    pub json_quote_64bit: bool,
    /// `--tee FILE …`: rows shown also go to a file.
    pub tee: Option<crate::tee::TeeSpec>,
    /// Colour is allowed (not `--no-color`, not `NO_COLOR`, not `color = false`); the
    /// terminal check comes on top of this.
    pub color: bool,
    pub timing: bool,
    pub hints: bool,
    /// The status line and streaming strip (`status = false` in the file turns it off).
    pub status: bool,
    /// Session settings from the config file's `[settings]` table.
    pub settings: Vec<(String, String)>,
    /// Demo settings from the config file's `[demo]` table, keys with their `demo.` prefix.
    pub demo_settings: Vec<(String, String)>,
    /// `-q` and `-f`, in their command-line order.
    pub inputs: Vec<Input>,
    pub print_time: bool,
}

impl Args {
    /// Merge with the config file. Fails only on values that cannot be used.
    pub fn resolve(self, file: FileConfig) -> Result<Config, AppError> {
        let defaults = ConnectOptions::default();
        let (password, password_prompt) = match self.password {
            Some(Some(p)) => (p.expose().to_string(), false),
            Some(None) => (String::new(), true),
            None => (
                file.password
                    .as_ref()
                    .map(|p| p.expose().to_string())
                    .unwrap_or_default(),
                false,
            ),
        };
        let port = self.port.or(file.port).unwrap_or(defaults.port);
        if port == 0 {
            return Err(AppError::Usage(
                "port 0 is not a port to connect to (Proton's native port is 8463)".into(),
            ));
        }
        let connect = ConnectOptions {
            host: host_name(self.host.or(file.host).unwrap_or(defaults.host))?,
            port,
            user: self.user.or(file.user).unwrap_or(defaults.user),
            password,
            database: self.database.or(file.database).unwrap_or_default(),
            connect_timeout: self
                .connect_timeout
                .or(file.connect_timeout)
                .map(Duration::from_secs)
                .unwrap_or(defaults.connect_timeout),
            compression: self.compression || file.compression.unwrap_or(false),
            receive_timeout: match self.receive_timeout.or(file.receive_timeout) {
                Some(0) => None,
                Some(s) => Some(Duration::from_secs(s)),
                None => defaults.receive_timeout,
            },
        };
        let format = if self.vertical {
            Some("vertical".to_string())
        } else {
            self.format.or(file.format)
        };
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let tee = match &self.tee {
            None => None,
            Some(path) => {
                let mut words = vec![path.to_string_lossy().into_owned()];
                for (flag, v) in [
                    ("--format", &self.tee_format),
                    ("--rotate", &self.tee_rotate),
                    ("--keep", &self.tee_keep),
                ] {
                    if let Some(v) = v {
                        words.push(flag.to_string());
                        words.push(v.clone());
                    }
                }
                let refs: Vec<&str> = words.iter().map(String::as_str).collect();
                Some(crate::tee::TeeSpec::parse(&refs).map_err(AppError::Usage)?)
            }
        };
        Ok(Config {
            connect,
            password_prompt,
            format,
            history_file: self.history_file.or(file.history_file),
            json_quote_64bit: self.json_quote_64bit || file.json_quote_64bit.unwrap_or(false),
            tee,
            prompt: self
                .prompt
                .or(file.prompt)
                .unwrap_or_else(|| DEFAULT_PROMPT.to_string()),
            color: !self.no_color && !no_color_env && file.color.unwrap_or(true),
            timing: file.timing.unwrap_or(true),
            hints: file.hints.unwrap_or(true),
            status: file.status.unwrap_or(true),
            settings: file.settings,
            demo_settings: file
                .demo
                .into_iter()
                .map(|(k, v)| (format!("demo.{k}"), v))
                .collect(),
            inputs: ordered_inputs(self.query, self.file, &self.input_order),
            print_time: self.time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        let mut v = vec!["proton-shell"];
        v.extend_from_slice(args);
        Args::try_parse_from(v).unwrap()
    }

    #[test]
    fn password_without_value_prompts() {
        let a = parse(&["--password", "-q", "SELECT 1"]);
        assert_eq!(a.password, Some(None));
        let c = a.resolve(FileConfig::default()).unwrap();
        assert!(c.password_prompt);
        assert_eq!(c.inputs, vec![Input::Query("SELECT 1".into())]);
    }

    #[test]
    fn password_with_value_is_used_and_hidden_from_debug() {
        let a = parse(&["--password", "s3cret"]);
        assert!(!format!("{a:?}").contains("s3cret"));
        let c = a.resolve(FileConfig::default()).unwrap();
        assert_eq!(c.connect.password, "s3cret");
        assert!(!c.password_prompt);
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn only_a_password_value_on_the_command_line_is_noted() {
        let on_argv = |args: &[&str]| {
            let mut v = vec!["proton-shell"];
            v.extend_from_slice(args);
            password_on_argv(&Args::command().try_get_matches_from(v).unwrap())
        };
        assert!(on_argv(&["--password", "s3cret"]));
        assert!(on_argv(&["--password=s3cret", "-q", "SELECT 1"]));
        assert!(!on_argv(&["--password", "-q", "SELECT 1"]));
        assert!(!on_argv(&["-q", "SELECT 1"]));
        assert!(ARGV_PASSWORD_WARNING.contains("`ps`"));
        assert!(!ARGV_PASSWORD_WARNING.contains('\n'));
    }

    #[test]
    fn flags_override_the_config_file() {
        let file = FileConfig {
            host: Some("filehost".into()),
            port: Some(9000),
            user: Some("fileuser".into()),
            format: Some("csv".into()),
            ..FileConfig::default()
        };
        let c = parse(&["--host", "flaghost"]).resolve(file).unwrap();
        assert_eq!(c.connect.host, "flaghost");
        assert_eq!(c.connect.port, 9000);
        assert_eq!(c.connect.user, "fileuser");
        assert_eq!(c.format.as_deref(), Some("csv"));
    }

    #[test]
    fn defaults_without_anything() {
        let c = parse(&[]).resolve(FileConfig::default()).unwrap();
        assert_eq!(c.connect.port, 8463);
        assert_eq!(c.connect.host, "localhost");
        assert_eq!(c.connect.user, "default");
        assert!(c.timing && c.hints);
    }

    #[test]
    fn repeatable_queries_and_vertical() {
        let c = parse(&["-q", "SELECT 1", "-q", "SELECT 2", "-E"])
            .resolve(FileConfig::default())
            .unwrap();
        assert_eq!(c.inputs.len(), 2);
        assert_eq!(c.format.as_deref(), Some("vertical"));
    }

    #[test]
    fn hosts_in_brackets_ports_in_hosts_and_port_zero() {
        let host = |h: &str| parse(&["--host", h]).resolve(FileConfig::default());
        assert_eq!(host("[::1]").unwrap().connect.host, "::1");
        assert_eq!(host("::1").unwrap().connect.host, "::1");
        assert_eq!(host("proton.local").unwrap().connect.host, "proton.local");
        let e = host("localhost:8463").unwrap_err().to_string();
        assert!(e.contains("--port"), "{e}");
        assert!(host("[localhost]:8463").is_err());
        let e = parse(&["--port", "0"])
            .resolve(FileConfig::default())
            .unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }

    #[test]
    fn queries_and_files_keep_their_command_line_order() {
        let argv = [
            "proton-shell",
            "-f",
            "a.sql",
            "-q",
            "SELECT 2",
            "-f",
            "b.sql",
            "-q",
            "3",
        ];
        let matches = Args::command().try_get_matches_from(argv).unwrap();
        let order = input_order(&matches);
        use InputKind::{File as F, Query as Q};
        assert_eq!(order, [F, Q, F, Q]);
        let inputs = ordered_inputs(
            vec!["SELECT 2".into(), "3".into()],
            vec!["a.sql".into(), "b.sql".into()],
            &order,
        );
        assert_eq!(
            inputs,
            [
                Input::File("a.sql".into()),
                Input::Query("SELECT 2".into()),
                Input::File("b.sql".into()),
                Input::Query("3".into()),
            ]
        );
        // Without an order (parsed some other way): every query, then every file.
        let inputs = ordered_inputs(vec!["q".into()], vec!["f".into()], &[]);
        assert_eq!(inputs, [Input::Query("q".into()), Input::File("f".into())]);
    }
}
