//! proton-shell: an interactive shell for Timeplus Proton over its native TCP protocol.

pub mod batch;
pub mod cli;
pub mod demos;
pub mod errors;
pub mod render;
pub mod shell;
pub mod sql;
pub mod wire;
