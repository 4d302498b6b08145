//! The Ed-Fi demos: the four demo macros, their pure helpers, and the shipped SQL snippets.
//!
//! These submodules do no network or terminal I/O, so they can be tested on
//! their own:
//!
//! * [`mod@validate`]: checks a School document's categories (`:validate`).
//! * [`checkpoint`]: per-partition Kafka offsets for `:validate --resume`.
//! * [`docs`]: one-line or pretty-JSON summaries of messages (`:new-docs`).
//! * [`snippets`]: the snippet store behind `:snippets`, `:run`, `:save`,
//!   `:show` and `:edit`.
//!
//! The macros, which talk to Proton through a [`crate::wire::Connection`]
//! and write only to a [`DemoOut`]:
//!
//! * [`school_count()`] (`:school-count`), [`new_docs()`] (`:new-docs`),
//!   [`validate()`] (`:validate`, resumable) and [`demo_load()`]
//!   (`:demo-load`), one file each;
//! * [`macros`]: their shared output, errors, summaries, argument parsing
//!   ([`parse_args`]) and the dispatcher [`run`];
//! * [`config`]: [`DemoConfig`], the stream, view, brokers, topic and data dir
//!   they use (`:set demo.<key>=...`).
//!
//! The shell's side is small:
//!
//! ```ignore
//! let invocation = demos::parse_command_line("validate", "--resume")?;   // Err: usage text
//! let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);           // stop_tx.send(true) on Ctrl-C
//! let io = demos::DemoOut { out: &mut stdout, tty, color };
//! match demos::run(&mut conn, &demo_config, &invocation, io, stop_rx).await {
//!     Ok(_summary) => {}                    // already printed by the macro
//!     Err(err) => eprintln!("{err}"),       // with a `hint:` line when there is one
//! }
//! ```

pub mod checkpoint;
pub mod config;
pub mod demo_load;
pub mod docs;
pub mod macros;
pub mod new_docs;
pub mod school_count;
pub mod snippets;
#[cfg(test)]
mod testutil;
pub mod validate;
pub mod validate_run;

pub use config::DemoConfig;
pub use demo_load::{demo_load, DemoLoadOpts};
pub use macros::{
    parse_args, parse_command_line, run, usage, DemoError, DemoInvocation, DemoMacro, DemoOut,
    DemoSummary, MACRO_NAMES,
};
pub use new_docs::{new_docs, NewDocsOpts};
pub use school_count::{school_count, SchoolCountOpts};
pub use validate_run::{validate, ValidateOpts};

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
    #[test]
    fn sample_has_38_messages() {
        assert_eq!(super::sample_messages().count(), 38);
    }
}
