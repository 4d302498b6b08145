//! Keys typed ahead while a query ran, when there are too many for the line editor: turned into the entries they submit and the line they leave unfinished.
//!
//! The line editor's key reader takes at most 1 KiB per wake-up of the terminal, and the
//! editor asks the terminal for the cursor position before it reads any key. Behind more
//! than that of typed-ahead keys, the answer arrives after the question has timed out, and
//! every later prompt is drawn where an old answer says, over the output above it. So when
//! a query ends with much typed ahead, the shell takes the bytes itself ([`crate::run::EchoOff`])
//! and replays them here, as the editor would have: Enter submits complete input and
//! continues incomplete input on a new line, Backspace and Ctrl-U edit, a bracketed paste
//! is text (its line ends do not submit), and other keys (arrows, function keys, Alt-…,
//! control characters) are dropped, as they cannot be replayed without the editor.

/// Bytes of typed-ahead keys above which the shell replays them itself.
pub const TAKEOVER: usize = 512;

/// What typed-ahead `keys` amount to: the entries Enter submitted (by `complete`, the
/// editor's rule), in order, and the unfinished rest (to put on the next prompt).
pub fn replay(keys: &[u8], complete: impl Fn(&str) -> bool) -> (Vec<String>, String) {
    let mut entries = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let mut in_paste = false;
    let mut i = 0;
    while i < keys.len() {
        let b = keys[i];
        i += 1;
        match b {
            0x1b => {
                let (len, paste) = escape(&keys[i..]);
                i += len;
                if let Some(on) = paste {
                    in_paste = on;
                }
            }
            b'\r' | b'\n' if in_paste => line.push(b'\n'),
            b'\r' | b'\n' => {
                let text = String::from_utf8_lossy(&line).into_owned();
                if complete(&text) {
                    entries.push(text);
                    line.clear();
                } else {
                    line.push(b'\n');
                }
            }
            0x7f | 0x08 => crate::run::pop_char(&mut line),
            0x15 => line.clear(),
            b'\t' => line.push(b'\t'),
            0x00..=0x1f => {}
            _ => line.push(b),
        }
    }
    (entries, String::from_utf8_lossy(&line).into_owned())
}

/// The escape sequence after an ESC at the start of `rest`: its length, and whether it
/// starts (`Some(true)`) or ends (`Some(false)`) a bracketed paste.
fn escape(rest: &[u8]) -> (usize, Option<bool>) {
    match rest.first() {
        // CSI: parameters and intermediates, then one final byte.
        Some(b'[') => {
            let end = rest
                .iter()
                .skip(1)
                .position(|c| (0x40..=0x7e).contains(c))
                .map_or(rest.len(), |p| p + 2);
            let paste = match &rest[..end] {
                b"[200~" => Some(true),
                b"[201~" => Some(false),
                _ => None,
            };
            (end, paste)
        }
        // SS3 (F1–F4, keypad): one more byte.
        Some(b'O') => (rest.len().min(2), None),
        // Alt-key: the key.
        Some(_) => (1, None),
        None => (0, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends_in_semicolon(s: &str) -> bool {
        s.trim_end().ends_with(';')
    }

    fn run(keys: &[u8]) -> (Vec<String>, String) {
        replay(keys, ends_in_semicolon)
    }

    #[test]
    fn enter_submits_complete_input_and_continues_the_rest() {
        let (entries, rest) = run(b"SELECT 1;\rSELECT\r  2;\rSELECT 3");
        assert_eq!(entries, ["SELECT 1;", "SELECT\n  2;"]);
        assert_eq!(rest, "SELECT 3");
    }

    #[test]
    fn editing_keys_edit_and_other_keys_are_dropped() {
        let (entries, rest) = run("SELECT 'é\x7fe';\r".as_bytes());
        assert_eq!(entries, ["SELECT 'e';"]);
        assert_eq!(rest, "");
        let (entries, rest) = run(b"junk\x15SELECT\x1b[A 1\x1bOP\x1bb\x01;\r\tx");
        assert_eq!(entries, ["SELECT 1;"]);
        assert_eq!(rest, "\tx");
    }

    #[test]
    fn a_bracketed_paste_is_text_until_it_ends() {
        let (entries, rest) = run(b"\x1b[200~SELECT 1;\rSELECT 2;\x1b[201~\r");
        assert_eq!(entries, ["SELECT 1;\nSELECT 2;"]);
        assert_eq!(rest, "");
    }

    #[test]
    fn invalid_utf8_and_a_cut_escape_do_no_harm() {
        let (entries, rest) = run(b"SELECT '\xff';\r\x1b[");
        assert_eq!(entries, ["SELECT '\u{fffd}';"]);
        assert_eq!(rest, "");
        assert_eq!(run(b"\x1b"), (vec![], String::new()));
    }
}
