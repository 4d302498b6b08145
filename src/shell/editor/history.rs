//! History: where the file lives (flag > `PROTON_SHELL_HISTORY` > the data dir), what is kept (no blanks, no lines starting with a space, no secrets), and persistence that merges with other shells instead of clobbering them.
//!
//! [`ShellHistory`] is the line editor's history: reedline's in-memory list behind a filter.
//! Every entry the editor submits goes through [`should_save`]; what passes is appended to
//! the file at once, under an exclusive `flock`, so two shells side by side keep each other's
//! entries and nothing is rewritten from memory at exit. The file format is one entry per
//! line after a `#V2` header, with `\` and newlines escaped, so a multi-line statement is one
//! entry and comes back as one (the format earlier versions wrote). The file is the user's
//! own (mode 0600): it is created so, and one readable by others (from an earlier version, or
//! copied in) is made owner-only the next time the shell writes to it.

use crate::sql;
use reedline::{
    FileBackedHistory, History, HistoryItem, HistoryItemId, HistorySessionId, SearchQuery,
};
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Environment variable naming the history file.
pub const HISTORY_ENV: &str = "PROTON_SHELL_HISTORY";

/// Entries kept (in memory and in the file).
pub const MAX_ENTRIES: usize = 10_000;

/// The history file: `flag` if given, else `$PROTON_SHELL_HISTORY`, else
/// `<data dir>/history` (the directory is created). None when no location can be found.
pub fn history_path(flag: Option<&Path>) -> Option<PathBuf> {
    let data_dir = crate::dirs::data_dir();
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
/// (the rule of `sql::has_secret`: credential-like names, `IDENTIFIED`, URLs with a password,
/// credential-taking functions, `--password`).
pub fn should_save(entry: &str) -> bool {
    if entry.trim().is_empty() || entry.starts_with([' ', '\t']) {
        return false;
    }
    !sql::has_secret(entry)
}

/// The editor's history: in memory, filtered by [`should_save`], appended to `path`.
pub struct ShellHistory {
    inner: FileBackedHistory,
    path: Option<PathBuf>,
    last: Option<String>,
    /// What went wrong with the file, for the REPL to say (once) outside the editor.
    problem: HistoryProblem,
    write_failed: bool,
}

/// A problem with the history file not yet shown. The editor saves history while it owns the
/// terminal (raw mode), so it cannot print there; the REPL takes it after each line.
#[derive(Clone, Default)]
pub struct HistoryProblem(Arc<Mutex<Option<String>>>);

impl HistoryProblem {
    /// The problem, if one is waiting to be shown.
    pub fn take(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn report(&self, message: String) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(message);
    }
}

impl ShellHistory {
    /// Load the file at `path` (a missing file gives an empty history; an unreadable one too,
    /// with a problem reported through `problem`).
    pub fn open(path: Option<PathBuf>, problem: HistoryProblem) -> ShellHistory {
        let mut inner = FileBackedHistory::new(MAX_ENTRIES).unwrap_or_default();
        let mut last = None;
        if let Some(p) = &path {
            match load(p) {
                Ok(entries) => {
                    for entry in entries {
                        last = Some(entry.clone());
                        let _ = inner.save(HistoryItem::from_command_line(entry));
                    }
                }
                Err(e) => problem.report(format!(
                    "history: cannot read {}: {e}; starting without it",
                    p.display()
                )),
            }
        }
        ShellHistory {
            inner,
            path,
            last,
            problem,
            write_failed: false,
        }
    }

    /// The entries, oldest first.
    #[cfg(test)]
    pub fn entries(&self) -> Vec<String> {
        self.inner
            .search(SearchQuery::everything(
                reedline::SearchDirection::Forward,
                None,
            ))
            .map(|items| items.into_iter().map(|i| i.command_line).collect())
            .unwrap_or_default()
    }
}

impl History for ShellHistory {
    fn save(&mut self, h: HistoryItem) -> reedline::Result<HistoryItem> {
        let entry = h.command_line.trim_end().to_string();
        if !should_save(&entry) || self.last.as_deref() == Some(entry.as_str()) {
            // Not kept: reedline still lets Up recall it once, like bash's ignorespace.
            return Ok(HistoryItem::from_command_line(entry));
        }
        if let Some(p) = &self.path {
            // A history file that cannot be written must not stop the shell; it is said once.
            if let Err(e) = append(p, &entry) {
                if !std::mem::replace(&mut self.write_failed, true) {
                    self.problem.report(format!(
                        "history: cannot write {}: {e}; statements are not saved to it",
                        p.display()
                    ));
                }
            }
        }
        self.last = Some(entry.clone());
        self.inner.save(HistoryItem::from_command_line(entry))
    }
    fn load(&self, id: HistoryItemId) -> reedline::Result<HistoryItem> {
        self.inner.load(id)
    }
    fn count(&self, query: SearchQuery) -> reedline::Result<i64> {
        self.inner.count(query)
    }
    fn search(&self, query: SearchQuery) -> reedline::Result<Vec<HistoryItem>> {
        self.inner.search(query)
    }
    fn update(
        &mut self,
        id: HistoryItemId,
        updater: &dyn Fn(HistoryItem) -> HistoryItem,
    ) -> reedline::Result<()> {
        self.inner.update(id, updater)
    }
    fn clear(&mut self) -> reedline::Result<()> {
        self.inner.clear()
    }
    fn delete(&mut self, h: HistoryItemId) -> reedline::Result<()> {
        self.inner.delete(h)
    }
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn session(&self) -> Option<HistorySessionId> {
        None
    }
}

const HEADER: &str = "#V2";

fn escape(entry: &str) -> String {
    let mut out = String::with_capacity(entry.len());
    for c in entry.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

fn unescape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The history file's mode: it holds every statement the user typed.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

/// `options` creating files owner-only (on Unix; elsewhere as they are).
fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, PRIVATE_MODE);
    options
}

/// Take group and other access away from `file` (creation modes do not apply to a file that
/// already exists). Best effort: a file the user does not own is left as it is.
fn tighten(file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = file.metadata() {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                let _ = file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// Holds an exclusive `flock` on the history file while it lives.
struct Locked(File);

impl Locked {
    fn open(path: &Path) -> io::Result<Locked> {
        let file =
            owner_only(OpenOptions::new().read(true).append(true).create(true)).open(path)?;
        tighten(&file);
        // SAFETY: flock on a file descriptor we own; released on close.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Locked(file))
    }
}

fn read_entries(file: &File) -> io::Result<Vec<String>> {
    let mut entries = Vec::new();
    for line in BufReader::new(file).split(b'\n') {
        // Bytes that are not UTF-8 (a foreign file) are replaced, never fatal.
        let line = String::from_utf8_lossy(&line?).into_owned();
        if line == HEADER || line.is_empty() {
            continue;
        }
        entries.push(unescape(&line));
    }
    Ok(entries)
}

/// The entries in the file at `path`, oldest first (the last [`MAX_ENTRIES`]); a missing
/// file is empty.
pub fn load(path: &Path) -> io::Result<Vec<String>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut entries = read_entries(&file)?;
    let excess = entries.len().saturating_sub(MAX_ENTRIES);
    entries.drain(..excess);
    Ok(entries)
}

/// Append `entry` to the file at `path` under an exclusive lock (creating the file with its
/// header). When the file has grown past twice [`MAX_ENTRIES`] it is rewritten with the
/// newest ones.
pub fn append(path: &Path, entry: &str) -> io::Result<()> {
    let locked = Locked::open(path)?;
    let mut file = &locked.0;
    let len = file.metadata()?.len();
    if len == 0 {
        writeln!(file, "{HEADER}")?;
    }
    writeln!(file, "{}", escape(entry))?;
    if len > (MAX_ENTRIES as u64) * 64 {
        let entries = read_entries(&File::open(path)?)?;
        if entries.len() > 2 * MAX_ENTRIES {
            let keep = &entries[entries.len() - MAX_ENTRIES..];
            let tmp = path.with_extension("tmp");
            // A stale temp file (a crash mid-rewrite) would keep its own mode, and could be a
            // symlink: start from a new file.
            match std::fs::remove_file(&tmp) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut out = owner_only(OpenOptions::new().write(true).create_new(true)).open(&tmp)?;
            writeln!(out, "{HEADER}")?;
            for e in keep {
                writeln!(out, "{}", escape(e))?;
            }
            out.sync_all()?;
            std::fs::rename(&tmp, path)?;
        }
    }
    Ok(())
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

    fn add(h: &mut ShellHistory, entry: &str) -> bool {
        let before = h.entries().len();
        h.save(HistoryItem::from_command_line(entry)).unwrap();
        h.entries().len() > before
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
        assert!(should_save("select 'PassWord';"));
        assert!(!should_save(
            "SELECT * FROM url('http://bob:PW@host/x', CSV);"
        ));
        assert!(!should_save("SETTINGS secret_access_key='k';"));
    }

    #[test]
    fn multi_line_entry_round_trips() {
        let dir = temp_dir("multiline");
        let path = dir.join("history");
        let stmt = "SELECT a,\n       b -- with a \\ backslash\\n\nFROM s\\G";
        let mut h = ShellHistory::open(Some(path.clone()), HistoryProblem::default()); // missing file is fine
        assert!(add(&mut h, stmt));
        assert!(add(&mut h, "SELECT 2;"));
        let fresh = ShellHistory::open(Some(path.clone()), HistoryProblem::default());
        assert_eq!(
            fresh.entries(),
            vec![stmt.to_string(), "SELECT 2;".to_string()]
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_file_that_cannot_be_read_or_written_is_said_once() {
        let dir = temp_dir("problems");
        // A directory where the file should be: neither readable as history nor writable.
        let path = dir.join("history");
        std::fs::create_dir(&path).unwrap();
        let problem = HistoryProblem::default();
        let mut h = ShellHistory::open(Some(path.clone()), problem.clone());
        let said = problem.take().expect("the read problem");
        assert!(said.contains("cannot read"), "{said}");
        assert!(problem.take().is_none(), "said once");
        assert!(add(&mut h, "SELECT 1;"));
        let said = problem.take().expect("the write problem");
        assert!(said.contains("cannot write"), "{said}");
        assert!(add(&mut h, "SELECT 2;"));
        assert!(problem.take().is_none(), "a write problem is said once");
        // Kept in memory all the same: Up still recalls them.
        assert_eq!(h.entries(), ["SELECT 1;", "SELECT 2;"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn reads_the_earlier_format() {
        let dir = temp_dir("v2");
        let path = dir.join("history");
        std::fs::write(&path, "#V2\nSELECT\\n  1;\nSELECT '\\\\';\n").unwrap();
        let h = ShellHistory::open(Some(path), HistoryProblem::default());
        assert_eq!(h.entries(), vec!["SELECT\n  1;", "SELECT '\\';"]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn policy_and_duplicates() {
        let dir = temp_dir("dups");
        let path = dir.join("history");
        let mut h = ShellHistory::open(Some(path.clone()), HistoryProblem::default());
        assert!(add(&mut h, "SELECT 1;"));
        assert!(!add(&mut h, "SELECT 1;"));
        assert!(!add(&mut h, "SELECT 1;  "));
        assert!(!add(&mut h, " SELECT secret_but_spaced;"));
        assert!(!add(&mut h, "ALTER USER x IDENTIFIED BY 'p';"));
        assert!(add(&mut h, "SELECT 2;"));
        assert!(add(&mut h, "SELECT 1;"));
        let fresh = ShellHistory::open(Some(path.clone()), HistoryProblem::default());
        assert_eq!(fresh.entries(), vec!["SELECT 1;", "SELECT 2;", "SELECT 1;"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("IDENTIFIED") && !text.contains("secret"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("mode");
        let path = dir.join("history");
        let mut h = ShellHistory::open(Some(path.clone()), HistoryProblem::default());
        assert!(add(&mut h, "SELECT 1;"));
        assert_eq!(mode(&path) & 0o077, 0, "new file: {:o}", mode(&path));
        // A file an earlier version left readable by everyone is tightened on the next write.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(add(&mut h, "SELECT 2;"));
        assert_eq!(mode(&path), 0o600);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn the_rewritten_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("rewrite-mode");
        let path = dir.join("history");
        let mut text = String::from("#V2\n");
        for i in 0..2 * MAX_ENTRIES {
            text.push_str(&format!(
                "SELECT {i:08}, 'padding padding padding padding';\n"
            ));
        }
        std::fs::write(&path, text).unwrap();
        // A temp file left by an interrupted rewrite, readable by everyone.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, "stale").unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).unwrap();
        append(&path, "SELECT 'last';").unwrap();
        let entries = load(&path).unwrap();
        assert_eq!(entries.len(), MAX_ENTRIES, "the file was rewritten");
        assert_eq!(entries.last().map(String::as_str), Some("SELECT 'last';"));
        assert_eq!(mode(&path), 0o600);
        assert!(!tmp.exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn two_shells_interleave_instead_of_clobbering() {
        let dir = temp_dir("merge");
        let path = dir.join("history");
        let mut a = ShellHistory::open(Some(path.clone()), HistoryProblem::default());
        let mut b = ShellHistory::open(Some(path.clone()), HistoryProblem::default());
        for i in 0..50 {
            add(&mut a, &format!("SELECT {i}, 'a';"));
            add(&mut b, &format!("SELECT {i}, 'b';\n  -- two lines"));
        }
        let c = ShellHistory::open(Some(path.clone()), HistoryProblem::default());
        let got = c.entries();
        assert_eq!(got.len(), 100, "{got:#?}");
        assert_eq!(got[0], "SELECT 0, 'a';");
        assert_eq!(got[1], "SELECT 0, 'b';\n  -- two lines");
        let _ = std::fs::remove_dir_all(dir);
    }
}
