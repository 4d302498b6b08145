//! Machine formats on a terminal: the rows' bytes, with what could drive the terminal escaped.
//!
//! TSV, CSV, raw and JSON lines write values byte for byte as ClickHouse does (TSV escapes
//! only its own separators), so a value holding `ESC ]52;…` or `ESC [?1049h` would run as a
//! terminal command: write the clipboard, switch screens, retitle the window. Into a pipe or
//! a file that is what the user asked for; on a terminal [`TerminalSafe`] shows those bytes
//! the way the table does (`\x1b`), and leaves the lines' own tabs and newlines alone. JSON
//! lines stay JSON: there the escapes are JSON's own (`\u009B`).

use super::Sink;
use crate::wire::value::plain_escape_into;
use crate::wire::Block;
use std::io::Write;
use std::ops::Range;

/// A sink whose output goes to a terminal: `inner`'s bytes, with ESC and the other control
/// characters (but the tab and newline of the layout), DEL, C1 controls and invalid UTF-8
/// written as `\xNN`, and `\r` as `\r`.
pub struct TerminalSafe {
    inner: Box<dyn Sink>,
    json: bool,
    scratch: Vec<u8>,
}

impl TerminalSafe {
    /// `json`: `inner` writes JSON lines, whose strings take `\u00XX` escapes.
    pub fn new(inner: Box<dyn Sink>, json: bool) -> TerminalSafe {
        TerminalSafe {
            inner,
            json,
            scratch: Vec::new(),
        }
    }

    /// Escape what `inner` appended to `out` after `start`.
    fn clean(&mut self, out: &mut Vec<u8>, start: usize) {
        let Some(tail) = out.get(start..) else {
            return;
        };
        if !needs_escaping(tail) {
            return;
        }
        self.scratch.clear();
        escape_into(tail, self.json, &mut self.scratch);
        out.truncate(start);
        out.extend_from_slice(&self.scratch);
    }
}

/// Whether `b` holds anything [`escape_into`] changes.
fn needs_escaping(b: &[u8]) -> bool {
    b.iter()
        .any(|&c| (c < 0x20 && c != b'\t' && c != b'\n') || c == 0x7f)
        || (!b.is_ascii() && escape_needed_beyond_ascii(b))
}

fn escape_needed_beyond_ascii(b: &[u8]) -> bool {
    b.utf8_chunks()
        .any(|chunk| !chunk.invalid().is_empty() || chunk.valid().chars().any(is_c1))
}

/// C1 control characters (U+0080–U+009F): some terminals obey them as ESC sequences do.
fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

/// `b` with its control characters escaped, the lines' own tabs and newlines kept: each
/// piece between them as the table shows a cell ([`plain_escape_into`]: `\x1b`, `\r`); with
/// `json`, as JSON's `\u00XX` (a JSON writer has escaped C0 itself and replaced invalid
/// UTF-8; DEL and C1 are left to this).
fn escape_into(b: &[u8], json: bool, out: &mut Vec<u8>) {
    if json {
        json_controls_into(b, out);
        return;
    }
    for piece in b.split_inclusive(|&c| c == b'\t' || c == b'\n') {
        let (text, layout) = match piece.split_last() {
            Some((&sep, text)) if sep == b'\t' || sep == b'\n' => (text, Some(sep)),
            _ => (piece, None),
        };
        plain_escape_into(text, out);
        out.extend(layout);
    }
}

/// JSON lines with DEL and C1 controls as `\u00XX` escapes (still valid JSON).
fn json_controls_into(b: &[u8], out: &mut Vec<u8>) {
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() && c != '\n' && c != '\t' {
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        for &x in chunk.invalid() {
            let _ = write!(out, "\\x{x:02x}");
        }
    }
}

impl Sink for TerminalSafe {
    fn header(&mut self, header: &Block, out: &mut Vec<u8>) {
        let start = out.len();
        self.inner.header(header, out);
        self.clean(out, start);
    }

    fn block(&mut self, block: &Block, out: &mut Vec<u8>) {
        let start = out.len();
        self.inner.block(block, out);
        self.clean(out, start);
    }

    fn block_rows(&mut self, block: &Block, rows: Range<usize>, out: &mut Vec<u8>) {
        let start = out.len();
        self.inner.block_rows(block, rows, out);
        self.clean(out, start);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.inner.finish(out);
        self.clean(out, start);
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
    use crate::render::testutil::{block, str_col};
    use crate::render::{sink_for, Format, RenderOpts};

    fn shown(format: Format, is_tty: bool, values: &[&str]) -> String {
        let opts = RenderOpts {
            is_tty,
            ..RenderOpts::default()
        };
        let mut sink = sink_for(format, &opts);
        let b = block(vec![str_col("s", values)]);
        let mut out = Vec::new();
        sink.header(&b, &mut out);
        sink.block_rows(&b, 0..b.rows, &mut out);
        sink.finish(&mut out);
        assert_eq!(sink.rows(), values.len() as u64);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn values_cannot_drive_a_terminal_in_machine_formats() {
        let hostile = [
            "\x1b]52;c;cHduZWQ=\x07",
            "\x1b[2J\x1b[?1049h",
            "bell\x07 back\x08 cr\r del\x7f",
            "c1 \u{9b}31m",
        ];
        for format in [Format::Tsv, Format::Csv, Format::Raw, Format::Json] {
            let out = shown(format, true, &hostile);
            assert!(
                !out.bytes()
                    .any(|c| (c < 0x20 && c != b'\t' && c != b'\n') || c == 0x7f),
                "{format:?}: {out:?}"
            );
            assert!(!out.chars().any(is_c1), "{format:?}: {out:?}");
            assert!(out.contains("]52;c;cHduZWQ="), "{format:?}: {out:?}");
            assert_eq!(out.lines().count(), hostile.len(), "{format:?}: {out:?}");
            if format == Format::Json {
                for line in out.lines() {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    assert!(v["s"].is_string(), "{line}");
                }
                assert!(out.contains("c1 \\u009b31m"), "{out}");
            } else {
                assert!(out.contains("\\x1b]52;c;"), "{format:?}: {out:?}");
            }
        }
    }

    #[test]
    fn plain_rows_and_pipes_are_left_byte_for_byte() {
        let values = ["plain", "tab\there", "ünï\tcødé", "東京"];
        for format in [Format::Tsv, Format::Csv, Format::Raw, Format::Json] {
            assert_eq!(shown(format, true, &values), shown(format, false, &values));
        }
        // Into a pipe, what ClickHouse would write: the escape byte itself.
        assert!(shown(Format::Raw, false, &["\x1b[2J"]).contains('\x1b'));
    }

    #[test]
    fn invalid_utf8_is_shown_as_hex() {
        let mut out = Vec::new();
        escape_into(b"a\xffb\xc3", false, &mut out);
        assert_eq!(out, b"a\\xffb\\xc3");
    }
}
