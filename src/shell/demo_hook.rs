//! Where the snippet and Ed-Fi demo commands (`:run`, `:validate`, …) hand over to `crate::demos`.
//!
//! The commands are declared, parsed and listed in `:help` by `commands.rs`; their behaviour
//! lives in `crate::demos`. This function is the one place that connects the two: it gets the
//! parsed command (kind plus raw argument text) and the [`Session`], whose API covers what the
//! demos need:
//!
//! - `lease()`: the connected `wire::Connection` (behind `DerefMut`) for code that drives the
//!   wire client itself, such as `demos::run`; `interrupts().recv()` fires on Ctrl-C (turn it
//!   into the macros' `watch` stop signal with `tokio::select!`);
//! - `run_sql` (run and print like typed SQL), `query_blocks` (collect rows), `stream`
//!   (handle rows as they arrive; Ctrl-C cancels);
//! - `demo` (the `DemoConfig` from `:set demo.<key>=…` and the config file's `[demo]`),
//!   `snippets` (names for completion), `pending_input` (pre-fill the next prompt, for
//!   `:edit`), `last_sql` (for `:save`), `term` (colour, TTY), `note`/`notice`/`error`.

use super::commands::DemoCommand;
use super::session::Session;

/// Run a demo or snippet command.
pub async fn run(session: &mut Session, cmd: &DemoCommand) {
    session.notice(&format!(
        ":{} is not available yet",
        cmd.kind.command_name()
    ));
}
