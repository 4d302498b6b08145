//! proton-shell: an interactive shell for Timeplus Proton over its native TCP protocol.
//!
//! The binary's `main` calls [`app::run`]. The modules are private; what the tests and the
//! binary need is re-exported here and in the few public modules (`wire`, `render`,
//! `demos`, `run`, `sql`, `commands`).

mod app;
mod batch;
mod cli;
mod commands;
mod config;
pub mod demos;
mod dirs;
mod errors;
pub mod render;
pub mod run;
mod shell;
mod snippets;
mod sql;
mod style;
pub mod tee;
#[cfg(test)]
mod testutil;
pub mod wire;

pub use app::main_exit_code;
