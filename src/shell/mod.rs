//! The interactive shell: the REPL loop, `:commands`, help topics, status line, config file.
//!
//! `repl` owns the loop (rustyline on the main thread, queries on the tokio runtime);
//! `session` owns the connection and runs statements; `exec` is the streaming loop it shares
//! with batch mode and the demos.

pub mod commands;
pub mod config;
pub mod demo_hook;
pub mod editor;
pub mod exec;
pub mod help;
pub mod repl;
pub mod session;
pub mod status;
pub mod term;
