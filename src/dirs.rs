//! The one platform-directories lookup: where config (config.toml, user snippets) and data (history, checkpoints) live.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("io", "timeplus", "proton-shell")
}

/// `~/.config/proton-shell` on Linux; `None` without a home directory.
pub fn config_dir() -> Option<PathBuf> {
    project().map(|d| d.config_dir().to_path_buf())
}

/// `~/.local/share/proton-shell` on Linux; `None` without a home directory.
pub fn data_dir() -> Option<PathBuf> {
    project().map(|d| d.data_dir().to_path_buf())
}
