//! Short cells written at constant size: a [`Cursor`] over a scratch buffer, strings of up to 16 bytes checked for special bytes all at once and copied as one window, numbers formatted eight digits to a word.
//!
//! Formatting 10 M rows of short numbers and strings is mostly the cost per cell: a
//! `memcpy` call for seven bytes costs more than the bytes, and so does keeping a vector's
//! length up to date after every one. A cursor writes by index into a slice (its position
//! stays in a register) and stores whole windows and words, moving on by the cell's real
//! length; the bytes past it are overwritten by the next cell. Every store is bounds-checked,
//! and the callers size the scratch so that none fails. The one `unsafe` is the call into
//! SSE2, which every x86_64 CPU has.

/// Bytes in a window.
pub(crate) const WINDOW: usize = 16;

/// A cell of at most [`WINDOW`] bytes and the window of its column's bytes it starts.
pub(crate) struct Short<'a> {
    window: &'a [u8; WINDOW],
    len: usize,
}

impl<'a> Short<'a> {
    /// `bytes[start..end]` as a short cell, if it is one and a whole window starts there
    /// (cells near the end of the column's bytes take the general path).
    #[inline]
    pub(crate) fn of(bytes: &'a [u8], start: usize, end: usize) -> Option<Short<'a>> {
        let len = end.checked_sub(start).filter(|&l| l <= WINDOW)?;
        let window = bytes
            .get(start..start.checked_add(WINDOW)?)?
            .try_into()
            .ok()?;
        Some(Short { window, len })
    }

    /// Whether any byte of the cell is `special`.
    #[inline(always)]
    pub(crate) fn has(&self, special: Special) -> bool {
        special_bytes(self.window, special) & ((1u32 << self.len) - 1) != 0
    }

    /// Write the cell at the cursor (16 bytes of room).
    #[inline(always)]
    pub(crate) fn write(&self, cur: &mut Cursor) {
        cur.window(self.window, self.len);
    }

    /// The cell with each `/` as `\/`, as JSON writes it, if `/` is the only byte of it that
    /// JSON escapes (a date, a path): its bytes and length.
    #[inline]
    pub(crate) fn json_slashes(&self) -> Option<Slashed> {
        let mut bytes = [0u8; 2 * WINDOW];
        let mut len = 0;
        for &c in self.window.iter().take(self.len) {
            if c == b'/' {
                bytes[len] = b'\\';
                len += 1;
            } else if Special::Json.has(c) {
                return None;
            }
            bytes[len] = c;
            len += 1;
        }
        Some(Slashed { bytes, len })
    }
}

/// A short cell with its slashes escaped: at most two windows.
pub(crate) struct Slashed {
    bytes: [u8; 2 * WINDOW],
    len: usize,
}

impl Slashed {
    /// Write it at the cursor (32 bytes of room).
    #[inline]
    pub(crate) fn write(&self, cur: &mut Cursor) {
        let (first, second) = self.bytes.split_at(WINDOW);
        if let (Some(first), Some(second)) = (first.first_chunk(), second.first_chunk()) {
            cur.window(first, self.len.min(WINDOW));
            if self.len > WINDOW {
                cur.window(second, self.len - WINDOW);
            }
        }
    }
}

/// Bytes a format cannot copy as they are. Each class may include bytes the format would
/// copy after all: those cells take the general path, which is exact.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Special {
    /// TabSeparated: every byte up to `\r` (its escapes are among them), `\\` and `'`.
    Tsv,
    /// CSV: `"`.
    Csv,
    /// JSON: control bytes, `"`, `\\`, `/`, DEL and every byte of a multi-byte character.
    Json,
}

impl Special {
    /// The class, one byte at a time (the reference for the SSE2 version).
    fn has(self, c: u8) -> bool {
        match self {
            Special::Tsv => c <= b'\r' || c == b'\\' || c == b'\'',
            Special::Csv => c == b'"',
            Special::Json => c < 0x20 || c == b'"' || c == b'\\' || c == b'/' || c >= 0x7f,
        }
    }
}

/// One bit per byte of `window` that is `special` (bit `i` for byte `i`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn special_bytes(window: &[u8; WINDOW], special: Special) -> u32 {
    // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 CPU has it.
    unsafe { sse2_special_bytes(window, special) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn special_bytes(window: &[u8; WINDOW], special: Special) -> u32 {
    window
        .iter()
        .enumerate()
        .fold(0, |m, (i, &c)| m | (u32::from(special.has(c)) << i))
}

/// [`special_bytes`] with SSE2: sixteen byte comparisons at once, gathered into a bit mask.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn sse2_special_bytes(window: &[u8; WINDOW], special: Special) -> u32 {
    use core::arch::x86_64::*;
    let (lo, hi) = window.split_at(WINDOW / 2);
    let lo = i64::from_le_bytes(lo.try_into().unwrap_or([0; 8]));
    let hi = i64::from_le_bytes(hi.try_into().unwrap_or([0; 8]));
    let v = _mm_set_epi64x(hi, lo);
    let is = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
    // Unsigned `v <= c` and `v >= c`, from min and max.
    let at_most = |c: u8| _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(c as i8)), v);
    let at_least = |c: u8| _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(c as i8)), v);
    let hits = match special {
        Special::Tsv => _mm_or_si128(at_most(b'\r'), _mm_or_si128(is(b'\\'), is(b'\''))),
        Special::Csv => is(b'"'),
        Special::Json => _mm_or_si128(
            _mm_or_si128(at_most(0x1f), at_least(0x7f)),
            _mm_or_si128(_mm_or_si128(is(b'"'), is(b'\\')), is(b'/')),
        ),
    };
    _mm_movemask_epi8(hits) as u32 & 0xffff
}

/// Writes by index into a scratch slice; see the module docs.
pub(crate) struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Forget what was written after `pos`.
    pub(crate) fn rewind(&mut self, pos: usize) {
        self.pos = pos.min(self.pos);
    }

    pub(crate) fn written(&self) -> &[u8] {
        &self.buf[..self.pos]
    }

    #[inline(always)]
    pub(crate) fn byte(&mut self, b: u8) {
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    /// The first `len` bytes of `window` (16 bytes of room).
    #[inline(always)]
    pub(crate) fn window(&mut self, window: &[u8; WINDOW], len: usize) {
        self.buf[self.pos..self.pos + WINDOW].copy_from_slice(window);
        self.pos += len;
    }

    /// Any bytes (their length of room).
    #[cfg(test)]
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }

    /// `v` in decimal ([`U64_ROOM`] bytes of room). Eight digits at a time are assembled in
    /// a register from two four-digit groups and stored as one word: no digit loop through
    /// memory, and the length comes from the bit length, so the next cell's position is
    /// known before this cell's digits are.
    #[inline(always)]
    pub(crate) fn u64(&mut self, v: u64) {
        const E8: u64 = 100_000_000;
        if v < E8 {
            self.lead(v);
            return;
        }
        let (top, low) = (v / E8, v % E8);
        if top < E8 {
            self.lead(top);
        } else {
            self.lead(top / E8);
            self.digits(eight_digits(top % E8), 8);
        }
        self.digits(eight_digits(low), 8);
    }

    /// `v` (< 10⁸) without leading zeros.
    #[inline(always)]
    fn lead(&mut self, v: u64) {
        let len = decimal_len(v);
        self.digits(eight_digits(v) >> (8 * (8 - len)), len);
    }

    /// The first `len` of the digit values in `digits`, as ASCII.
    #[inline(always)]
    fn digits(&mut self, digits: u64, len: usize) {
        let word = (digits + 0x3030_3030_3030_3030).to_le_bytes();
        self.buf[self.pos..self.pos + 8].copy_from_slice(&word);
        self.pos += len;
    }
}

/// Room [`Cursor::u64`] needs: the longest number has 20 digits, and every word it stores
/// lies within them.
pub(crate) const U64_ROOM: usize = 20;

/// Append `v` in decimal to a vector (the general path).
pub(crate) fn push_u64(out: &mut Vec<u8>, v: u64) {
    let mut room = [0u8; U64_ROOM];
    let mut cur = Cursor::new(&mut room);
    cur.u64(v);
    out.extend_from_slice(cur.written());
}

/// Decimal digits in `v` (< 10⁸; 1 for 0), from its bit length.
#[inline(always)]
fn decimal_len(v: u64) -> usize {
    // Digits of the smallest number of each bit length (index: bit length), and the powers
    // of ten that tell when a number has one digit more.
    const GUESS: [u8; 28] = [
        1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8,
    ];
    const POW10: [u64; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let bits = (64 - (v | 1).leading_zeros()) as usize;
    let guess = GUESS[bits.min(27)] as usize;
    guess + usize::from(v >= POW10[guess])
}

/// `v` (< 10⁸) as eight digit values (0–9) with leading zeros, the first digit in the
/// lowest byte: two lookups in a table of four-digit groups, one division.
#[inline(always)]
fn eight_digits(v: u64) -> u64 {
    let (hi, lo) = ((v / 10_000) as usize, (v % 10_000) as usize);
    u64::from(FOUR[hi % 10_000]) | (u64::from(FOUR[lo]) << 32)
}

/// The four digit values of every number below 10 000, the first in the lowest byte.
static FOUR: [u32; 10_000] = four_digit_table();

const fn four_digit_table() -> [u32; 10_000] {
    let mut t = [0u32; 10_000];
    let mut i = 0;
    while i < 10_000 {
        let d = [i / 1000, i / 100 % 10, i / 10 % 10, i % 10];
        t[i] = (d[0] | d[1] << 8 | d[2] << 16 | d[3] << 24) as u32;
        i += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_standard_formatting() {
        let mut edge = vec![
            0,
            1,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            43_699,
            9_999_999_999_999_999,
        ];
        edge.extend([
            u64::MAX,
            u64::MAX - 1,
            1_844_674_407_370_955_161,
            12_345_678_901_234_567,
        ]);
        // Every value below 10⁸ crosses each lane's division at some point; a stride through them.
        edge.extend((0..100_000_000).step_by(9_973));
        for p in 1..20 {
            let t = 10u64.pow(p);
            edge.extend([t - 1, t, t + 1]);
        }
        // Pseudo-random values of every magnitude.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..100_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            edge.push(x >> (i % 64));
        }
        for v in edge {
            let mut out = b"x".to_vec();
            push_u64(&mut out, v);
            assert_eq!(out, format!("x{v}").into_bytes());
            // At the very end of the room it needs.
            let mut room = [0u8; U64_ROOM + 3];
            let mut cur = Cursor::new(&mut room);
            cur.bytes(b"abc");
            cur.u64(v);
            assert_eq!(cur.written(), format!("abc{v}").as_bytes());
        }
    }

    const CLASSES: [Special; 3] = [Special::Tsv, Special::Csv, Special::Json];

    #[test]
    fn only_the_cells_own_bytes_count() {
        // Specials just past the cell, and at every position inside it.
        for special in CLASSES {
            let bad = (0..=255u8).find(|&c| special.has(c)).unwrap();
            for len in 0..=WINDOW {
                let mut bytes = vec![b'a'; len];
                bytes.extend(std::iter::repeat_n(bad, WINDOW));
                let short = Short::of(&bytes, 0, len).unwrap();
                assert!(!short.has(special), "{special:?} len {len}");
                let mut room = [0u8; WINDOW];
                let mut cur = Cursor::new(&mut room);
                short.write(&mut cur);
                assert_eq!(cur.written(), vec![b'a'; len]);
                for at in 0..len {
                    let mut b = bytes.clone();
                    b[at] = bad;
                    assert!(
                        Short::of(&b, 0, len).unwrap().has(special),
                        "len {len} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn byte_classes_are_exact_for_every_byte_at_every_position() {
        for special in CLASSES {
            for c in 0..=255u8 {
                for at in 0..WINDOW {
                    let mut window = [b'a'; WINDOW];
                    window[at] = c;
                    let short = Short::of(&window, 0, WINDOW).unwrap();
                    assert_eq!(
                        short.has(special),
                        special.has(c),
                        "{special:?} {c:#x} at {at}"
                    );
                    assert_eq!(
                        special_bytes(&window, special),
                        u32::from(special.has(c)) << at
                    );
                }
            }
        }
    }

    #[test]
    fn long_cells_and_cells_near_the_end_are_not_short() {
        let bytes = [b'a'; 40];
        assert!(Short::of(&bytes, 0, 17).is_none());
        assert!(Short::of(&bytes, 30, 35).is_none());
        assert!(Short::of(&bytes, 24, 30).is_some());
        assert!(Short::of(&bytes, 5, 4).is_none());
    }
}
