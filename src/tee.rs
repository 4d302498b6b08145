//! Tee: every row shown is also appended to a file (JSON lines, CSV or TSV), flushed per block, with rotation by size or time.
//!
//! A [`Tee`] is opened once (`:tee FILE …` in the shell, `--tee FILE` in batch mode) and
//! lives across statements. While a statement runs, [`Tee::wrap`] puts a [`TeeSink`] around
//! the display sink: each row range the display renders is rendered again in the file's
//! format and appended, so the file holds exactly the rows that were shown, ends on a whole
//! line, and is flushed before the range goes to the screen. A write error (full disk,
//! unwritable path) is reported once, the tee stops, and the query keeps displaying.
//!
//! Rotation: with `--rotate 100MB` (or `1h`) the file is written in parts `NAME-0001.EXT`,
//! `NAME-0002.EXT`, …; a new part starts at a row boundary once the current one reached the
//! size or age; `--keep N` deletes the oldest parts beyond N.

use crate::render::{sink_for, Format, RenderOpts, Sink};
use crate::wire::Block;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// When a new part starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotate {
    /// Once the part holds this many bytes.
    Size(u64),
    /// Once the part is this old.
    Age(Duration),
}

/// What `:tee` / `--tee` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeeSpec {
    pub path: PathBuf,
    pub format: Format,
    pub rotate: Option<Rotate>,
    /// Parts kept when rotating (older ones are deleted); `None` keeps all.
    pub keep: Option<usize>,
}

/// The usage of `:tee`, for errors and help.
pub const USAGE: &str =
    ":tee FILE [--format jsonl|csv|tsv] [--rotate 100MB|1h] [--keep N] | :tee off";

impl TeeSpec {
    /// Parse `FILE [--format F] [--rotate R] [--keep N]` (words already split).
    pub fn parse(words: &[&str]) -> Result<TeeSpec, String> {
        let mut it = words.iter().copied();
        let path = it
            .next()
            .filter(|p| !p.starts_with("--"))
            .ok_or_else(|| format!("needs a file name\nusage: {USAGE}"))?;
        let mut spec = TeeSpec {
            path: PathBuf::from(path),
            format: format_for_path(Path::new(path)),
            rotate: None,
            keep: None,
        };
        while let Some(flag) = it.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (flag, None),
            };
            let mut value = || {
                inline
                    .or_else(|| it.next())
                    .ok_or_else(|| format!("{name} needs a value\nusage: {USAGE}"))
            };
            match name {
                "--format" => spec.format = parse_format(value()?)?,
                "--rotate" => spec.rotate = Some(parse_rotate(value()?)?),
                "--keep" => {
                    let v = value()?;
                    let n: usize = v
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("--keep wants a positive number, not `{v}`"))?;
                    spec.keep = Some(n);
                }
                other => return Err(format!("unknown option {other}\nusage: {USAGE}")),
            }
        }
        Ok(spec)
    }

    /// One line saying what is teed where.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "rows shown are also written to {} ({})",
            self.path.display(),
            match self.format {
                Format::Json => "JSON lines",
                Format::Csv => "CSV",
                _ => "TSV",
            }
        );
        match self.rotate {
            Some(Rotate::Size(b)) => s.push_str(&format!(", a new part every {b} bytes")),
            Some(Rotate::Age(d)) => s.push_str(&format!(", a new part every {} s", d.as_secs())),
            None => {}
        }
        if let Some(k) = self.keep {
            s.push_str(&format!(", keeping {k}"));
        }
        s
    }
}

/// The format a file name suggests: `.csv`, `.tsv`/`.tab`, else JSON lines.
fn format_for_path(path: &Path) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Format::Csv,
        Some("tsv") | Some("tab") => Format::Tsv,
        _ => Format::Json,
    }
}

fn parse_format(v: &str) -> Result<Format, String> {
    match v.to_ascii_lowercase().as_str() {
        "jsonl" | "json" | "jsoneachrow" | "ndjson" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        "tsv" | "tabseparated" => Ok(Format::Tsv),
        other => Err(format!("--format is jsonl, csv or tsv, not `{other}`")),
    }
}

/// `100MB`, `512kB`, `1GB`, `1000` (bytes) or `30s`, `5m`, `1h`, `1d`.
fn parse_rotate(v: &str) -> Result<Rotate, String> {
    let bad = || format!("--rotate wants a size (100MB) or an age (1h), not `{v}`");
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let n: u64 = v
        .get(..digits)
        .and_then(|d| d.parse().ok())
        .ok_or_else(bad)?;
    if n == 0 {
        return Err(bad());
    }
    let unit = v[digits..].trim().to_ascii_lowercase();
    let bytes = |m: u64| n.checked_mul(m).map(Rotate::Size).ok_or_else(bad);
    match unit.as_str() {
        "" | "b" => bytes(1),
        "kb" | "k" => bytes(1_000),
        "mb" | "m" if unit == "mb" => bytes(1_000_000),
        "gb" | "g" => bytes(1_000_000_000),
        "s" => Ok(Rotate::Age(Duration::from_secs(n))),
        "m" | "min" => Ok(Rotate::Age(Duration::from_secs(n.saturating_mul(60)))),
        "h" => Ok(Rotate::Age(Duration::from_secs(n.saturating_mul(3600)))),
        "d" => Ok(Rotate::Age(Duration::from_secs(n.saturating_mul(86_400)))),
        _ => Err(bad()),
    }
}

/// An open tee: the file (or current part) and its rotation state.
pub struct Tee {
    spec: TeeSpec,
    file: Option<File>,
    part: u64,
    part_bytes: u64,
    part_started: Instant,
    /// Set after the first write error; the tee has stopped.
    failed: Option<String>,
    /// JSON lines quote 64-bit and wider integers (`--json-quote-64bit`), as on screen.
    json_quote_64bit: bool,
}

impl Tee {
    /// Open (create or append to) the file, or the first free part when rotating.
    pub fn open(spec: TeeSpec) -> Result<Tee, String> {
        let mut tee = Tee {
            spec,
            file: None,
            part: 0,
            part_bytes: 0,
            part_started: Instant::now(),
            failed: None,
            json_quote_64bit: false,
        };
        if tee.spec.rotate.is_some() {
            // Continue after the parts a previous run left.
            while tee.part_path(tee.part + 1).exists() {
                tee.part += 1;
            }
            if tee.part == 0 {
                tee.part = 1;
            }
        }
        tee.open_current()
            .map_err(|e| format!("cannot write {}: {e}", tee.current_path().display()))?;
        Ok(tee)
    }

    /// Quote 64-bit and wider integers in JSON lines, as `--json-quote-64bit` does on screen.
    pub fn quoting_64bit(mut self, on: bool) -> Tee {
        self.json_quote_64bit = on;
        self
    }

    pub fn spec(&self) -> &TeeSpec {
        &self.spec
    }

    /// The file being written now.
    pub fn current_path(&self) -> PathBuf {
        if self.spec.rotate.is_some() {
            self.part_path(self.part)
        } else {
            self.spec.path.clone()
        }
    }

    /// `NAME-0003.EXT` for part 3.
    fn part_path(&self, n: u64) -> PathBuf {
        let p = &self.spec.path;
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("tee");
        let name = match p.extension().and_then(|e| e.to_str()) {
            Some(ext) => format!("{stem}-{n:04}.{ext}"),
            None => format!("{stem}-{n:04}"),
        };
        p.with_file_name(name)
    }

    fn open_current(&mut self) -> io::Result<()> {
        let path = self.current_path();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        self.part_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.part_started = Instant::now();
        self.file = Some(file);
        Ok(())
    }

    /// Start a new part if the current one is full or old enough (at a row boundary).
    fn rotate_if_due(&mut self) -> io::Result<()> {
        let due = match self.spec.rotate {
            Some(Rotate::Size(limit)) => self.part_bytes >= limit,
            Some(Rotate::Age(age)) => self.part_started.elapsed() >= age && self.part_bytes > 0,
            None => false,
        };
        if !due {
            return Ok(());
        }
        if let Some(f) = self.file.take() {
            f.sync_data()?;
        }
        self.part += 1;
        self.open_current()?;
        if let Some(keep) = self.spec.keep {
            let oldest_kept = self.part.saturating_sub(keep as u64 - 1);
            for n in (1..oldest_kept).rev() {
                let old = self.part_path(n);
                if !old.exists() {
                    break;
                }
                std::fs::remove_file(old)?;
            }
        }
        Ok(())
    }

    /// Append whole lines; on error report once and stop teeing.
    fn append(&mut self, bytes: &[u8]) {
        if self.failed.is_some() || bytes.is_empty() {
            return;
        }
        let result = self.rotate_if_due().and_then(|()| {
            let f = self
                .file
                .as_mut()
                .ok_or_else(|| io::Error::other("closed"))?;
            f.write_all(bytes)?;
            f.flush()
        });
        match result {
            Ok(()) => self.part_bytes += bytes.len() as u64,
            Err(e) => {
                let msg = format!(
                    "tee stopped: cannot write {}: {e}; the query goes on",
                    self.current_path().display()
                );
                eprintln!("{}", crate::style::paint(true, crate::style::error(), &msg));
                self.failed = Some(msg);
            }
        }
    }

    /// Whether a write failed (the tee then stopped).
    #[cfg(test)]
    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Append one line a macro showed (`:validate` findings, `:new-docs` documents): a JSON
    /// object `{"source":…,"time":…,"line":…}`, or `source,time,line` in CSV/TSV.
    pub fn append_line(&mut self, source: &str, line: &str) {
        let time = chrono::Local::now()
            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string();
        let mut out = Vec::with_capacity(line.len() + 64);
        match self.spec.format {
            Format::Csv => {
                for (i, field) in [source, &time, line].into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    crate::wire::value::csv_quote_into(field.as_bytes(), &mut out);
                }
            }
            Format::Tsv => {
                for (i, field) in [source, &time, line].into_iter().enumerate() {
                    if i > 0 {
                        out.push(b'\t');
                    }
                    crate::wire::value::tsv_escape_into(field.as_bytes(), &mut out);
                }
            }
            _ => {
                out.extend_from_slice(b"{\"source\":");
                crate::wire::value::json_escape_into(source.as_bytes(), &mut out);
                out.extend_from_slice(b",\"time\":");
                crate::wire::value::json_escape_into(time.as_bytes(), &mut out);
                out.extend_from_slice(b",\"line\":");
                crate::wire::value::json_escape_into(line.as_bytes(), &mut out);
                out.push(b'}');
            }
        }
        out.push(b'\n');
        self.append(&out);
    }

    /// A sink that renders like `inner` and appends every rendered row to this file.
    pub fn wrap<'a>(&'a mut self, inner: &'a mut dyn Sink) -> TeeSink<'a> {
        TeeSink {
            file_sink: sink_for(
                self.spec.format,
                &RenderOpts {
                    json_quote_64bit: self.json_quote_64bit,
                    ..RenderOpts::default()
                },
            ),
            inner,
            tee: self,
            buf: Vec::new(),
        }
    }
}

/// Renders through `inner` and appends the same rows to the tee's file.
pub struct TeeSink<'a> {
    inner: &'a mut dyn Sink,
    file_sink: Box<dyn Sink>,
    tee: &'a mut Tee,
    buf: Vec<u8>,
}

impl TeeSink<'_> {
    fn flush_buf(&mut self) {
        let bytes = std::mem::take(&mut self.buf);
        self.tee.append(&bytes);
        self.buf = bytes;
        self.buf.clear();
    }
}

impl Sink for TeeSink<'_> {
    fn header(&mut self, header: &Block, out: &mut Vec<u8>) {
        self.inner.header(header, out);
        self.file_sink.header(header, &mut self.buf);
        self.flush_buf();
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        self.block_rows(block, 0..block.rows, out);
    }

    fn block_rows(&mut self, block: &Block, rows: Range<usize>, out: &mut Vec<u8>) {
        let before = self.inner.rows();
        self.inner.block_rows(block, rows.clone(), out);
        // The rows the display rendered now (the live view renders a block at its last
        // range): the same rows go to the file.
        let shown = (self.inner.rows() - before) as usize;
        if shown > 0 {
            let end = rows.end.min(block.rows);
            let start = end.saturating_sub(shown);
            self.file_sink.block_rows(block, start..end, &mut self.buf);
            self.flush_buf();
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.inner.finish(out);
        self.file_sink.finish(&mut self.buf);
        self.flush_buf();
    }

    fn rows(&self) -> u64 {
        self.inner.rows()
    }

    fn wants_stop(&self) -> bool {
        self.inner.wants_stop()
    }

    fn switched_to_vertical(&self) -> bool {
        self.inner.switched_to_vertical()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;
    use crate::wire::{Column, Data, TypeDesc};
    use std::sync::Arc;

    fn block(from: u64, n: u64) -> Block {
        let bytes: Vec<u8> = (from..from + n).flat_map(u64::to_le_bytes).collect();
        Block {
            columns: vec![Column {
                name: "n".into(),
                type_name: "uint64".into(),
                ty: Arc::new(TypeDesc::parse("uint64").unwrap()),
                data: Data::Fixed { width: 8, bytes },
                rows: n as usize,
            }],
            rows: n as usize,
        }
    }

    #[test]
    fn specs_parse() {
        let s = TeeSpec::parse(&["out.csv"]).unwrap();
        assert_eq!(s.format, Format::Csv);
        let s = TeeSpec::parse(&["x", "--format", "tsv", "--rotate=100MB", "--keep", "3"]).unwrap();
        assert_eq!(s.format, Format::Tsv);
        assert_eq!(s.rotate, Some(Rotate::Size(100_000_000)));
        assert_eq!(s.keep, Some(3));
        assert_eq!(
            TeeSpec::parse(&["x", "--rotate", "1h"]).unwrap().rotate,
            Some(Rotate::Age(Duration::from_secs(3600)))
        );
        assert!(TeeSpec::parse(&[]).is_err());
        assert!(TeeSpec::parse(&["x", "--rotate", "lots"]).is_err());
        assert!(TeeSpec::parse(&["x", "--keep", "0"]).is_err());
        assert!(TeeSpec::parse(&["x", "--bogus"]).is_err());
        assert_eq!(TeeSpec::parse(&["x.jsonl"]).unwrap().format, Format::Json);
    }

    #[test]
    fn the_file_holds_exactly_the_rows_shown() {
        let dir = TempDir::new("tee-rows");
        let path = dir.0.join("rows.jsonl");
        let mut tee = Tee::open(TeeSpec::parse(&[path.to_str().unwrap()]).unwrap()).unwrap();
        let mut shown = sink_for(Format::Tsv, &RenderOpts::default());
        let mut out = Vec::new();
        {
            let mut t = tee.wrap(shown.as_mut());
            let b = block(0, 10);
            t.header(&b, &mut out);
            t.block_rows(&b, 0..4, &mut out);
            t.block_rows(&b, 4..7, &mut out);
            // Ctrl-C here: rows 7..10 were never shown
            t.finish(&mut out);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 7, "{text}");
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 7);
        assert!(text.starts_with("{\"n\":0}\n"), "{text}");
        assert!(text.ends_with("{\"n\":6}\n"), "{text}");
    }

    #[test]
    fn rotation_by_size_makes_parts_and_keeps_n() {
        let dir = TempDir::new("tee-rotate");
        let path = dir.0.join("out.tsv");
        let spec =
            TeeSpec::parse(&[path.to_str().unwrap(), "--rotate", "20", "--keep", "2"]).unwrap();
        let mut tee = Tee::open(spec).unwrap();
        let mut shown = sink_for(Format::Tsv, &RenderOpts::default());
        let mut out = Vec::new();
        for i in 0..6 {
            let b = block(i * 10, 10);
            let mut t = tee.wrap(shown.as_mut());
            t.block_rows(&b, 0..10, &mut out);
        }
        let mut parts: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        parts.sort();
        assert_eq!(parts, ["out-0005.tsv", "out-0006.tsv"]);
        let last = std::fs::read_to_string(dir.0.join("out-0006.tsv")).unwrap();
        assert_eq!(last.lines().count(), 10);
        assert!(last.starts_with("50\n"), "{last}");
    }

    #[test]
    fn a_write_error_stops_the_tee_not_the_query() {
        let dir = TempDir::new("tee-fail");
        let path = dir.0.join("f.tsv");
        let mut tee = Tee::open(TeeSpec::parse(&[path.to_str().unwrap()]).unwrap()).unwrap();
        // Replace the file handle with one opened read-only: writes fail.
        tee.file = Some(File::open(&path).unwrap());
        let mut shown = sink_for(Format::Tsv, &RenderOpts::default());
        let mut out = Vec::new();
        {
            let mut t = tee.wrap(shown.as_mut());
            t.block_rows(&block(0, 3), 0..3, &mut out);
        }
        assert!(tee.failed().is_some());
        assert_eq!(String::from_utf8(out).unwrap(), "0\n1\n2\n");
        assert!(Tee::open(TeeSpec::parse(&["/proc/no/such/dir/x.tsv"]).unwrap()).is_err());
    }
}
