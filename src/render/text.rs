//! Terminal text for the human views: display width, cutting with `…`, padding, ANSI attributes, the NULL glyph.

use crate::wire::value::plain_escape_into;
use crate::wire::Column;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Cells that changed since the previous emit (Live) use `HIGHLIGHT`.
pub(crate) use crate::style::{BOLD, DIM, HIGHLIGHT, RESET};

/// NULL in the human views (table, vertical, live), with or without colour: ClickHouse's
/// `ᴺᵁᴸᴸ`, so a NULL never looks like the string `'NULL'`. Dim when colour is on.
pub(crate) const NULL_GLYPH: &str = "ᴺᵁᴸᴸ";
/// Display columns of [`NULL_GLYPH`].
pub(crate) const NULL_WIDTH: usize = 4;

/// Columns `s` takes on a terminal.
#[inline]
pub(crate) fn width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        UnicodeWidthStr::width(s)
    }
}

/// A column name as it is safe to print (control characters and invalid UTF-8 escaped).
pub(crate) fn clean_name(name: &str) -> String {
    let mut out = Vec::with_capacity(name.len());
    plain_escape_into(name.as_bytes(), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Append cell `row` of `col` in `Style::Plain` to `buf`; returns `None` for NULL.
pub(crate) fn plain_cell(col: &Column, row: usize, buf: &mut Vec<u8>) -> Option<()> {
    if col.value(row).is_null() {
        return None;
    }
    col.write_cell(row, crate::wire::Style::Plain, buf);
    Some(())
}

/// `Style::Plain` output is valid UTF-8 by construction; this only guards against surprises.
#[inline]
pub(crate) fn as_text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("\u{fffd}")
}

/// Append `s` (which is `sw` columns wide) cut to at most `max` columns, ending in `…` when
/// cut. Returns the columns written, as [`width`] measures them, never more than `max`.
///
/// Per-character widths only estimate a string's width (`"❤\u{FE0F}"` is 1 + 0 per
/// character but 2 as a string), so the cut is measured whole and shortened until it fits.
pub(crate) fn push_cut(s: &str, sw: usize, max: usize, out: &mut Vec<u8>) -> usize {
    if sw <= max {
        out.extend_from_slice(s.as_bytes());
        return sw;
    }
    if max == 0 {
        return 0;
    }
    let start = out.len();
    // Columns for the text before `…`: when the cut measures wider than the characters
    // added up, the budget shrinks in proportion (by one at least); with none left the
    // output is `…` alone, 1 column, so this ends.
    let mut budget = max - 1;
    loop {
        let end = cut_end(s, budget);
        out.truncate(start);
        out.extend_from_slice(&s.as_bytes()[..end]);
        out.extend_from_slice("…".as_bytes());
        let used = width(as_text(&out[start..]));
        if used <= max || budget == 0 {
            return used;
        }
        budget = (budget.saturating_mul(max) / used).min(budget - 1);
    }
}

/// The byte length of the longest prefix of `s` whose characters sum to at most `budget`
/// columns. At most `8 × budget + 8` characters: zero-width ones (combining marks) can be
/// any number, and the caller measures the prefix again.
fn cut_end(s: &str, budget: usize) -> usize {
    let mut used = 0;
    let mut end = 0;
    for (i, ch) in s
        .char_indices()
        .take(budget.saturating_mul(8).saturating_add(8))
    {
        let cw = ch.width().unwrap_or(0);
        if used + cw > budget {
            break;
        }
        used += cw;
        end = i + ch.len_utf8();
    }
    end
}

#[inline]
pub(crate) fn pad(n: usize, out: &mut Vec<u8>) {
    out.extend(std::iter::repeat_n(b' ', n));
}

/// Append `s` wrapped in `attr` … reset when colour is on (and `attr` is not empty).
#[inline]
pub(crate) fn push_styled(s: &str, attr: &str, color: bool, out: &mut Vec<u8>) {
    if color && !attr.is_empty() {
        out.extend_from_slice(attr.as_bytes());
        out.extend_from_slice(s.as_bytes());
        out.extend_from_slice(RESET.as_bytes());
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(s: &str, max: usize) -> (String, usize) {
        let mut out = Vec::new();
        let w = push_cut(s, width(s), max, &mut out);
        (String::from_utf8(out).unwrap(), w)
    }

    #[test]
    fn cutting_counts_display_columns() {
        assert_eq!(cut("hello", 5), ("hello".into(), 5));
        assert_eq!(cut("hello world", 6), ("hello…".into(), 6));
        // Wide characters take two columns; a cut never splits one.
        assert_eq!(width("日本語"), 6);
        assert_eq!(cut("日本語テキスト", 6), ("日本…".into(), 5));
        assert_eq!(cut("héllo wörld", 4), ("hél…".into(), 4));
        assert_eq!(cut("abc", 0), ("".into(), 0));
        assert_eq!(cut("abc", 1), ("…".into(), 1));
    }

    #[test]
    fn a_cut_measures_as_width_does() {
        // "❤\u{FE0F}" is one column per character but two as a string (an emoji
        // presentation sequence); a cut must report, and stay within, the width `width`
        // gives its output, or a caller padding `max - used` underflows.
        let heart = "\u{2764}\u{FE0F}";
        for s in [
            format!("{heart}{}", "x".repeat(40)),
            heart.repeat(30),
            format!("ab{}", heart.repeat(30)),
            format!("👍🏽{}", "y".repeat(40)),
        ] {
            for max in 0..30 {
                let (text, used) = cut(&s, max);
                assert!(used <= max, "{s:?} cut to {max}: {text:?} claims {used}");
                assert_eq!(used, width(&text), "{s:?} cut to {max}: {text:?}");
            }
        }
        assert_eq!(cut(&heart.repeat(3), 4), (format!("{heart}…"), 3));
    }

    #[test]
    fn null_glyph_width_is_right() {
        assert_eq!(width(NULL_GLYPH), NULL_WIDTH);
    }

    #[test]
    fn names_are_escaped() {
        assert_eq!(clean_name("a\tb\x1b[31m"), "a\\tb\\x1b[31m");
    }
}
