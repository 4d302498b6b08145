//! Test helpers shared across modules' unit tests: a scratch directory removed on drop, and
//! string column data built from literals.

use crate::wire::Data;
use std::fs;
use std::path::PathBuf;

/// A fresh directory under the system temp dir, unique per process, tag and moment.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "proton-shell-demos-{tag}-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A string column's data holding `values`, in order.
pub(crate) fn strs(values: &[&str]) -> Data {
    let mut offsets = vec![0];
    let mut bytes = Vec::new();
    for v in values {
        bytes.extend_from_slice(v.as_bytes());
        offsets.push(bytes.len());
    }
    Data::Str { offsets, bytes }
}
