//! proton-shell: an interactive shell for Timeplus Proton over its native TCP protocol.

pub mod batch;
pub mod cli;
pub mod render;
pub mod wire;
