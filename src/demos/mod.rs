//! The Ed-Fi demos: the macro table (`:school-count`, `:new-docs`, `:validate`, `:demo-load`), how a macro line is parsed and run, and the shipped sample.
//!
//! [`MACROS`] is the one declaration of the macros: name, summary, options (each macro's
//! own table, next to its parser) and parser. The command registry, help and completion
//! are made from it. Every macro runs its statements through `crate::run`, the shell's one
//! execution path, and writes only to a [`DemoOut`].
//!
//! The pure parts have their own files: [`mod@validate`] (a School document's categories),
//! [`checkpoint`] (per-partition offsets for `--resume`), `docs` (summaries of messages).

pub mod checkpoint;
mod common;
mod config;
mod demo_load;
mod docs;
mod new_docs;
mod school_count;
pub mod validate;
mod validate_run;

pub use common::{split_args, DemoError, DemoOut, DemoSummary, Opt, TeeLines, COMMON_OPTS};
pub use config::{DemoConfig, SETTING_KEYS};
pub use demo_load::{demo_load, DemoLoadOpts};
pub use new_docs::{new_docs, NewDocsOpts};
pub use school_count::{school_count, SchoolCountOpts};
pub use validate_run::{validate, ValidateOpts};

use crate::run::Interrupts;
use crate::wire::Connection;
use common::usage_line;

/// A macro's own parser: its options, and the common flags as `(demo.<key>, value)` pairs.
type ParseFn = fn(&[&str]) -> Result<(DemoMacro, Vec<(String, String)>), String>;

/// One macro: what the command registry, help and completion know of it, and its parser.
pub struct MacroSpec {
    /// The command name without the colon.
    pub name: &'static str,
    /// One line for the `:help` table.
    pub summary: &'static str,
    /// What it shows, for `:help NAME` and `:NAME --help`.
    pub detail: &'static str,
    /// Its own options (the [`COMMON_OPTS`] come on top).
    pub options: &'static [Opt],
    parse: ParseFn,
}

impl std::fmt::Debug for MacroSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MacroSpec(:{})", self.name)
    }
}

impl MacroSpec {
    /// `:validate [--resume] [--reset] …`
    pub fn usage(&self) -> String {
        usage_line(self.name, self.options)
    }

    /// What it does, and every option with its help (the usage line is the caller's).
    pub fn help(&self) -> String {
        let mut out = format!("{}\n\noptions:\n", self.detail);
        for o in self.options.iter().chain(COMMON_OPTS) {
            let flag = if o.value.is_empty() {
                o.flag.to_string()
            } else {
                format!("{} {}", o.flag, o.value)
            };
            out.push_str(&format!("  {flag:<18} {}\n", o.help));
        }
        out.push_str("  --help             this text");
        out
    }

    /// Every flag, for completion.
    pub fn flags(&self) -> impl Iterator<Item = &'static str> {
        self.options
            .iter()
            .chain(COMMON_OPTS)
            .map(|o| o.flag)
            .chain(std::iter::once("--help"))
    }

    /// Parse the text after the command name (`'…'` and `"…"` group words).
    pub fn parse(&self, args: &str) -> Result<DemoInvocation, String> {
        let words = split_args(args)?;
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let (demo, overrides) = (self.parse)(&refs)?;
        Ok(DemoInvocation { demo, overrides })
    }
}

/// The demo macros, in `:help` order.
pub static MACROS: [MacroSpec; 4] = [
    MacroSpec {
        name: "school-count",
        summary: "live count of Ed-Fi School documents",
        detail: "The running count of School messages on the topic (or of distinct School \
                 documents with --distinct), redrawn in place as Proton emits it. Ctrl-C stops \
                 and prints the last count.",
        options: school_count::OPTIONS,
        parse: |a| {
            school_count::SchoolCountOpts::parse_with_overrides(a)
                .map(|(o, v)| (DemoMacro::SchoolCount(o), v))
        },
    },
    MacroSpec {
        name: "new-docs",
        summary: "follow new Ed-Fi documents as they arrive",
        detail: "Every new document as one aligned line (resource, id, action), or as pretty \
                 JSON with --json. Unreadable messages are reported, not fatal.",
        options: new_docs::OPTIONS,
        parse: |a| {
            new_docs::NewDocsOpts::parse_with_overrides(a).map(|(o, v)| (DemoMacro::NewDocs(o), v))
        },
    },
    MacroSpec {
        name: "validate",
        summary: "check School documents' categories as they stream",
        detail:
            "Prints `❌ School <schoolId> has invalid category <descriptor>` for the snapshot, \
                 then live. Without --resume it keeps a materialized view, which sees only \
                 messages that arrive after its creation; --resume reads the topic with offsets \
                 and validates every document exactly once across runs.",
        options: validate_run::OPTIONS,
        parse: |a| {
            validate_run::ValidateOpts::parse_with_overrides(a)
                .map(|(o, v)| (DemoMacro::Validate(o), v))
        },
    },
    MacroSpec {
        name: "demo-load",
        summary: "load the shipped Ed-Fi sample into the topic",
        detail: "Writes the shipped 38-message sample into the Kafka topic through Proton \
                 (INSERT into the external stream), all at once or paced.",
        options: demo_load::OPTIONS,
        parse: |a| {
            demo_load::DemoLoadOpts::parse_with_overrides(a)
                .map(|(o, v)| (DemoMacro::DemoLoad(o), v))
        },
    },
];

/// The macro called `name` (without the colon, any case).
pub fn find(name: &str) -> Option<&'static MacroSpec> {
    let name = name.trim().trim_start_matches(':');
    MACROS.iter().find(|m| m.name.eq_ignore_ascii_case(name))
}

/// Parse a macro's arguments given as words (tests and callers that split themselves).
pub fn parse_args(command: &str, args: &[&str]) -> Result<DemoInvocation, String> {
    let spec = find(command).ok_or_else(|| format!("unknown demo macro `{command}`"))?;
    let (demo, overrides) = (spec.parse)(args)?;
    Ok(DemoInvocation { demo, overrides })
}

/// One macro with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoMacro {
    SchoolCount(SchoolCountOpts),
    NewDocs(NewDocsOpts),
    Validate(ValidateOpts),
    DemoLoad(DemoLoadOpts),
}

/// A parsed macro command line: the macro, its options, and the
/// `--stream/--view/--brokers/--topic` overrides for this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInvocation {
    pub demo: DemoMacro,
    /// `(demo.<key>, value)` pairs, applied with [`DemoConfig::apply_setting`]
    /// on a copy of the configuration.
    pub overrides: Vec<(String, String)>,
}

impl DemoInvocation {
    /// The macro's command name (`validate`).
    pub fn name(&self) -> &'static str {
        match self.demo {
            DemoMacro::SchoolCount(_) => "school-count",
            DemoMacro::NewDocs(_) => "new-docs",
            DemoMacro::Validate(_) => "validate",
            DemoMacro::DemoLoad(_) => "demo-load",
        }
    }

    /// The configuration for this run: `base` with the flags applied.
    pub fn config(&self, base: &DemoConfig) -> DemoConfig {
        let mut cfg = base.clone();
        for (key, value) in &self.overrides {
            cfg.apply_setting(key, value);
        }
        cfg
    }
}

/// Runs a parsed macro with `base` plus the invocation's overrides, until it ends or Ctrl-C.
pub async fn run(
    conn: &mut Connection,
    base: &DemoConfig,
    invocation: &DemoInvocation,
    io: DemoOut<'_>,
    stop: &mut Interrupts,
) -> Result<DemoSummary, DemoError> {
    let cfg = invocation.config(base);
    match &invocation.demo {
        DemoMacro::SchoolCount(opts) => school_count(conn, &cfg, opts.clone(), io, stop).await,
        DemoMacro::NewDocs(opts) => new_docs(conn, &cfg, opts.clone(), io, stop).await,
        DemoMacro::Validate(opts) => validate(conn, &cfg, opts.clone(), io, stop).await,
        DemoMacro::DemoLoad(opts) => demo_load(conn, &cfg, opts.clone(), io, stop).await,
    }
}

/// The shipped sample of topic `edfi.dms.document`: 38 Kafka message values,
/// one JSON object per line, in event order (`snippets/data/edfi-sample.jsonl`,
/// copied from `../shared/data/` by `scripts/make-sample.sh`).
///
/// Embedded so that `:demo-load` works from an installed binary.
pub const EDFI_SAMPLE_JSONL: &str = include_str!("../../snippets/data/edfi-sample.jsonl");

/// The lines of [`EDFI_SAMPLE_JSONL`] that hold a message (blank lines skipped).
pub fn sample_messages() -> impl Iterator<Item = &'static str> {
    EDFI_SAMPLE_JSONL
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Duration;

    #[test]
    fn sample_has_38_messages() {
        assert_eq!(sample_messages().count(), 38);
    }

    #[test]
    fn usage_and_help_come_from_the_options_tables() {
        let v = find("validate").unwrap();
        assert!(v
            .usage()
            .starts_with(":validate [--resume] [--reset] [--partitions N]"));
        assert!(v.usage().ends_with("[--topic T]"));
        let help = v.help();
        for flag in [
            "--resume",
            "--reset",
            "--partitions N",
            "--verbose",
            "--brokers B",
            "--help",
        ] {
            assert!(help.contains(flag), "{flag} in {help}");
        }
        assert!(find(":School-Count").is_some());
        assert!(find("nope").is_none());
        for m in &MACROS {
            assert!(m.flags().any(|f| f == "--help"));
            for o in m.options {
                // each declared option is accepted by the macro's own parser
                let args: Vec<&str> = if o.value.is_empty() {
                    vec![o.flag]
                } else {
                    vec![o.flag, "1"]
                };
                if o.flag == "--partitions" {
                    continue; // needs --resume
                }
                assert!(m.parse(&args.join(" ")).is_ok(), "{} {}", m.name, o.flag);
            }
        }
    }

    /// Compiles only if the macro futures are `Send`, so the shell may spawn them.
    #[allow(dead_code)]
    fn run_future_is_send(
        conn: &mut Connection,
        cfg: &DemoConfig,
        invocation: &DemoInvocation,
        out: &mut (dyn Write + Send),
        stop: &mut Interrupts,
    ) {
        fn is_send<T: Send>(_: T) {}
        is_send(run(conn, cfg, invocation, DemoOut::plain(out), stop));
    }

    #[test]
    fn parse_each_macro() {
        let inv = parse_args("school-count", &["--all", "--distinct"]).expect("parse");
        assert_eq!(
            inv.demo,
            DemoMacro::SchoolCount(SchoolCountOpts {
                all: true,
                distinct: true,
                chart: false
            })
        );
        let inv = parse_args(":new-docs", &["--json", "--resource", "School"]).expect("parse");
        assert_eq!(
            inv.demo,
            DemoMacro::NewDocs(NewDocsOpts {
                json: true,
                resource: Some("School".into()),
                all: false
            })
        );
        let inv =
            parse_args("validate", &["--resume", "--reset", "--partitions=3"]).expect("parse");
        assert_eq!(
            inv.demo,
            DemoMacro::Validate(ValidateOpts {
                resume: true,
                reset: true,
                partitions: Some(3),
                verbose: false
            })
        );
        let inv = parse_args("demo-load", &["--pace", "500ms"]).expect("parse");
        assert_eq!(
            inv.demo,
            DemoMacro::DemoLoad(DemoLoadOpts {
                pace: Some(Duration::from_millis(500))
            })
        );
    }

    #[test]
    fn common_flags_override_the_config() {
        let inv = find("validate")
            .unwrap()
            .parse("--brokers redpanda:9092 --topic=t2 --stream 'my doc' --view v --resume")
            .expect("parse");
        let cfg = inv.config(&DemoConfig::default());
        assert_eq!(cfg.brokers, "redpanda:9092");
        assert_eq!(cfg.topic, "t2");
        assert_eq!(cfg.stream, "my doc");
        assert_eq!(cfg.view, "v");
    }

    #[test]
    fn bad_arguments_are_clear() {
        let err = parse_args("school-count", &["--bogus"]).expect_err("bad flag");
        assert!(err.contains("unknown option --bogus"), "{err}");
        assert!(err.contains("usage: :school-count"), "{err}");
        let err = parse_args("new-docs", &["--resource"]).expect_err("no value");
        assert!(err.contains("--resource needs a value"), "{err}");
        let err = parse_args("demo-load", &["--pace", "fast"]).expect_err("bad pace");
        assert!(err.contains("fast"), "{err}");
        let err = parse_args("validate", &["extra"]).expect_err("positional");
        assert!(err.contains("unexpected argument `extra`"), "{err}");
        let err = parse_args("validate", &["--resume=yes"]).expect_err("switch value");
        assert!(err.contains("takes no value"), "{err}");
        assert!(parse_args("nope", &[]).is_err());
    }
}
