//! History: where the file lives (flag > `PROTON_SHELL_HISTORY` > the data dir), what is kept (no blanks, no lines starting with a space, no secrets), and persistence that merges with other shells instead of clobbering them.
//!
//! Storage is rustyline's `FileHistory` (format `#V2`, newlines escaped, so a multi-line
//! statement is one entry and comes back as one). Every accepted entry is appended to the file
//! at once with `FileHistory::append`, under an `fd-lock` write lock: when another shell wrote
//! to the file since our last look, the file is re-read, our new entry added after its
//! entries, and the merged list written back. Nothing is rewritten from memory at exit, so two
//! shells running side by side keep each other's entries.

use crate::sql;
use rustyline::history::{FileHistory, History};
use rustyline::{Editor, Helper};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Environment variable naming the history file.
pub const HISTORY_ENV: &str = "PROTON_SHELL_HISTORY";

/// Entries kept (in memory and in the file).
pub const MAX_ENTRIES: usize = 10_000;

/// The history file: `flag` if given, else `$PROTON_SHELL_HISTORY`, else
/// `<data dir>/history` (the directory is created). None when no location can be found.
pub fn history_path(flag: Option<&Path>) -> Option<PathBuf> {
    let data_dir = directories::ProjectDirs::from("io", "timeplus", "proton-shell")
        .map(|d| d.data_dir().to_path_buf());
    let path = resolve_history_path(flag, std::env::var_os(HISTORY_ENV), data_dir.clone())?;
    if data_dir.is_some_and(|d| path.starts_with(&d)) {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
    }
    Some(path)
}

/// The precedence rule, without touching the environment or the disk.
pub fn resolve_history_path(
    flag: Option<&Path>,
    env: Option<OsString>,
    data_dir: Option<PathBuf>,
) -> Option<PathBuf> {
    if let Some(f) = flag.filter(|f| !f.as_os_str().is_empty()) {
        return Some(f.to_path_buf());
    }
    if let Some(e) = env.filter(|e| !e.is_empty()) {
        return Some(PathBuf::from(e));
    }
    data_dir.map(|d| d.join("history"))
}

/// Whether an entry may be saved: not blank, not starting with a space (the usual
/// `HISTCONTROL=ignorespace` escape hatch), and nothing that looks like a secret
/// (`PASSWORD` anywhere, `IDENTIFIED …`, `--password`).
pub fn should_save(entry: &str) -> bool {
    if entry.trim().is_empty() || entry.starts_with([' ', '\t']) {
        return false;
    }
    if entry.to_ascii_lowercase().contains("password") {
        return false;
    }
    !sql::analyze(entry).has_secret
}

/// A `FileHistory` with the shell's settings (no consecutive duplicates, leading-space lines
/// ignored, [`MAX_ENTRIES`]).
pub fn new_history() -> FileHistory {
    let config = rustyline::Config::builder()
        .max_history_size(MAX_ENTRIES)
        .and_then(|b| b.history_ignore_dups(true))
        .map(|b| b.history_ignore_space(true).build())
        .unwrap_or_default();
    FileHistory::with_config(config)
}

/// Load the file into `history`; a missing file is not an error.
pub fn load(history: &mut FileHistory, path: &Path) -> rustyline::Result<()> {
    match history.load(path) {
        Err(rustyline::error::ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(())
        }
        other => other,
    }
}

/// Add `entry` (if [`should_save`] allows it and it is not a repeat of the last entry) and
/// append it to the file at `path`, merging with entries other shells wrote meanwhile.
/// Returns whether the entry was added.
pub fn add(history: &mut FileHistory, path: Option<&Path>, entry: &str) -> rustyline::Result<bool> {
    if !should_save(entry) {
        return Ok(false);
    }
    let entry = entry.trim_end();
    if !history.add(entry)? {
        return Ok(false);
    }
    if let Some(p) = path {
        history.append(p)?;
    }
    Ok(true)
}

/// [`add`] for an editor's history.
pub fn record<H: Helper>(
    editor: &mut Editor<H, FileHistory>,
    path: Option<&Path>,
    entry: &str,
) -> rustyline::Result<bool> {
    add(editor.history_mut(), path, entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "proton-shell-history-{name}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(h: &FileHistory) -> Vec<String> {
        h.iter().cloned().collect()
    }

    #[test]
    fn path_precedence() {
        let flag = PathBuf::from("/f/h");
        let env = Some(OsString::from("/e/h"));
        let data = Some(PathBuf::from("/d"));
        assert_eq!(
            resolve_history_path(Some(&flag), env.clone(), data.clone()),
            Some(flag.clone())
        );
        assert_eq!(
            resolve_history_path(None, env.clone(), data.clone()),
            Some(PathBuf::from("/e/h"))
        );
        assert_eq!(
            resolve_history_path(None, Some(OsString::new()), data.clone()),
            Some(PathBuf::from("/d/history"))
        );
        assert_eq!(resolve_history_path(None, None, None), None);
        // never the working directory
        assert!(history_path(None).is_none_or(|p| p.is_absolute()));
    }

    #[test]
    fn save_policy() {
        assert!(should_save("SELECT 1;"));
        assert!(should_save("SELECT\n  1;"));
        assert!(should_save(":format live"));
        assert!(!should_save(""));
        assert!(!should_save("   \n"));
        assert!(!should_save(" SELECT 1;"));
        assert!(!should_save("\tSELECT 1;"));
        assert!(!should_save("ALTER USER x IDENTIFIED BY 'p';"));
        assert!(!should_save(
            "CREATE USER bob IDENTIFIED WITH sha256_password BY 'x';"
        ));
        assert!(!should_save(
            "CREATE EXTERNAL STREAM k (raw string) SETTINGS type='kafka', password='p';"
        ));
        assert!(!should_save(":connect db1 --password hunter2"));
        assert!(!should_save("select 'PassWord';"));
    }

    #[test]
    fn multi_line_entry_round_trips() {
        let dir = temp_dir("multiline");
        let path = dir.join("history");
        let stmt = "SELECT a,\n       b -- with a \\ backslash\nFROM s\\G";
        let mut h = new_history();
        load(&mut h, &path).unwrap(); // missing file is fine
        assert!(add(&mut h, Some(&path), stmt).unwrap());
        assert!(add(&mut h, Some(&path), "SELECT 2;").unwrap());
        let mut fresh = new_history();
        load(&mut fresh, &path).unwrap();
        assert_eq!(
            entries(&fresh),
            vec![stmt.to_string(), "SELECT 2;".to_string()]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn policy_and_duplicates() {
        let dir = temp_dir("dups");
        let path = dir.join("history");
        let mut h = new_history();
        assert!(add(&mut h, Some(&path), "SELECT 1;").unwrap());
        assert!(!add(&mut h, Some(&path), "SELECT 1;").unwrap());
        assert!(!add(&mut h, Some(&path), "SELECT 1;  ").unwrap());
        assert!(!add(&mut h, Some(&path), " SELECT secret_but_spaced;").unwrap());
        assert!(!add(&mut h, Some(&path), "ALTER USER x IDENTIFIED BY 'p';").unwrap());
        assert!(add(&mut h, Some(&path), "SELECT 2;").unwrap());
        assert!(add(&mut h, Some(&path), "SELECT 1;").unwrap());
        let mut fresh = new_history();
        load(&mut fresh, &path).unwrap();
        assert_eq!(entries(&fresh), vec!["SELECT 1;", "SELECT 2;", "SELECT 1;"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("IDENTIFIED") && !text.contains("secret"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn two_shells_merge_instead_of_clobbering() {
        let dir = temp_dir("merge");
        let path = dir.join("history");
        // an existing history both shells start from
        let mut seed = new_history();
        add(&mut seed, Some(&path), "SELECT 0;").unwrap();

        let mut a = new_history();
        let mut b = new_history();
        load(&mut a, &path).unwrap();
        load(&mut b, &path).unwrap();
        for i in 1..=3 {
            assert!(add(&mut a, Some(&path), &format!("SELECT 'a{i}';")).unwrap());
            // make sure the file's mtime moves between the two shells' writes
            std::thread::sleep(std::time::Duration::from_millis(15));
            assert!(add(
                &mut b,
                Some(&path),
                &format!("SELECT 'b{i}';\n  -- two lines")
            )
            .unwrap());
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
        let mut c = new_history();
        load(&mut c, &path).unwrap();
        let got = entries(&c);
        assert_eq!(got.len(), 7, "{got:#?}");
        assert_eq!(got[0], "SELECT 0;");
        for i in 1..=3 {
            assert!(got.contains(&format!("SELECT 'a{i}';")), "{got:#?}");
            assert!(
                got.contains(&format!("SELECT 'b{i}';\n  -- two lines")),
                "{got:#?}"
            );
        }
        // in the order they were typed
        let ia = got.iter().position(|e| e == "SELECT 'a1';").unwrap();
        let ib = got
            .iter()
            .position(|e| e.starts_with("SELECT 'b1';"))
            .unwrap();
        assert!(ia < ib);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn two_shells_without_pauses_lose_nothing() {
        let dir = temp_dir("merge-fast");
        let path = dir.join("history");
        let mut a = new_history();
        let mut b = new_history();
        for i in 0..50 {
            add(&mut a, Some(&path), &format!("SELECT {i}, 'a';")).unwrap();
            add(&mut b, Some(&path), &format!("SELECT {i}, 'b';")).unwrap();
        }
        let mut c = new_history();
        load(&mut c, &path).unwrap();
        let got = entries(&c);
        assert_eq!(got.len(), 100, "{got:#?}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
