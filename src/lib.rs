//! proton-shell: an interactive shell for Timeplus Proton over its native TCP protocol.
//!
//! The binary's `main` calls [`app::run`]. The modules are private; what the tests and the
//! binary need is re-exported here and in the few public modules (`wire`, `render`,
//! `demos`, `run`, `sql`, `commands`).

// Printing never panics here: std's `println!`/`eprintln!` panic when the stream cannot be
// written (stderr to a full disk, stdout closed), which would end a run with exit code 101
// and skip what was left to do. A message that cannot be written is dropped; exit codes and
// the rows' own writes (which are checked) still say what happened. Defined before the
// modules, so it is the `println!`/`eprintln!` every module sees.
macro_rules! println {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stdout(), $($arg)*);
    }};
}

macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

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
