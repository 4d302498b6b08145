//! LZ4 compressed frames of the native protocol, with CityHash128 v1.0.2 checksums.

use super::limits::Budget;
use std::io::{self, BufRead, Read};

const METHOD_NONE: u8 = 0x02;
const METHOD_LZ4: u8 = 0x82;
const METHOD_ZSTD: u8 = 0x90;
const HEADER: usize = 9;
/// The server's own limit on one frame.
const MAX_FRAME: usize = 1 << 30;
/// LZ4 turns one input byte into at most 255 output bytes (a match length byte adds 255),
/// so a frame claiming more than this per compressed byte is lying; checked before allocating.
const LZ4_MAX_RATIO: usize = 256;

/// The most bytes an LZ4 payload of `len` bytes can decompress to (saturating: on a 32-bit
/// target a 1 GiB frame times the ratio does not fit a `usize`).
fn lz4_max_output(len: usize) -> usize {
    len.saturating_mul(LZ4_MAX_RATIO).saturating_add(64)
}

/// Marker carried inside an `io::Error` when a frame's checksum does not match.
#[derive(Debug)]
pub struct ChecksumMismatch;

impl std::fmt::Display for ChecksumMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("compressed frame checksum mismatch")
    }
}
impl std::error::Error for ChecksumMismatch {}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// CityHash128 v1.0.2 as ClickHouse writes it: the C++ pair's `first` (the crate's high 64 bits) first.
fn checksum(data: &[u8]) -> [u8; 16] {
    let h = cityhash_rs::cityhash_102_128(data);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&((h >> 64) as u64).to_le_bytes());
    out[8..].copy_from_slice(&(h as u64).to_le_bytes());
    out
}

/// Compress `data` into one LZ4 frame.
pub fn compress_frame(data: &[u8]) -> Vec<u8> {
    let compressed = lz4_flex::block::compress(data);
    let mut body = Vec::with_capacity(HEADER + compressed.len());
    body.push(METHOD_LZ4);
    body.extend_from_slice(&((HEADER + compressed.len()) as u32).to_le_bytes());
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(&compressed);
    let mut out = checksum(&body).to_vec();
    out.extend_from_slice(&body);
    out
}

/// Buffers that frames are read and decompressed into, kept by a connection between packets:
/// a frame then costs no allocation and no zero-filling (the decompressor overwrites every
/// byte it is given, and a frame must decompress to exactly its declared size).
#[derive(Default)]
pub struct FrameBuffers {
    body: Vec<u8>,
    out: Vec<u8>,
}

/// Buffers larger than this (a hostile or unusual frame) are not kept.
const KEEP: usize = 4 << 20;

impl FrameBuffers {
    fn trimmed(mut self) -> Self {
        for b in [&mut self.body, &mut self.out] {
            if b.capacity() > KEEP {
                *b = Vec::new();
            }
        }
        self
    }
}

/// Reads the decompressed contents of consecutive frames from an underlying reader.
/// It never reads past the frame it needs, so the raw stream stays in step.
pub struct FrameReader<'a, R: BufRead> {
    inner: &'a mut R,
    bufs: FrameBuffers,
    /// The current frame is `bufs.out[pos..end]`.
    pos: usize,
    end: usize,
    /// Charged with every decompressed byte before it is allocated.
    budget: Option<&'a Budget>,
}

impl<'a, R: BufRead> FrameReader<'a, R> {
    pub fn new(inner: &'a mut R) -> Self {
        FrameReader {
            inner,
            bufs: FrameBuffers::default(),
            pos: 0,
            end: 0,
            budget: None,
        }
    }

    /// A reader whose decompressed bytes count against `budget` (see [`super::limits`]),
    /// decompressing into `bufs` (give them back with [`FrameReader::into_buffers`]).
    pub fn with_budget(inner: &'a mut R, budget: &'a Budget, bufs: FrameBuffers) -> Self {
        FrameReader {
            budget: Some(budget),
            bufs,
            ..FrameReader::new(inner)
        }
    }

    /// The buffers, for the next packet (without any grown past [`KEEP`]).
    pub fn into_buffers(self) -> FrameBuffers {
        self.bufs.trimmed()
    }

    /// True when every decompressed byte has been consumed (a block ends at a frame boundary).
    pub fn is_drained(&self) -> bool {
        self.pos >= self.end
    }

    fn next_frame(&mut self) -> io::Result<()> {
        let mut head = [0u8; 16 + HEADER];
        self.inner.read_exact(&mut head)?;
        let method = head[16];
        let compressed = u32::from_le_bytes([head[17], head[18], head[19], head[20]]) as usize;
        let size = u32::from_le_bytes([head[21], head[22], head[23], head[24]]) as usize;
        if !(HEADER..=MAX_FRAME).contains(&compressed) || size > MAX_FRAME {
            return Err(invalid(format!(
                "compressed frame declares {compressed} → {size} bytes"
            )));
        }
        // The body grows as bytes arrive, so a lying length cannot make us allocate it up front.
        let FrameBuffers { body, out } = &mut self.bufs;
        body.clear();
        body.extend_from_slice(&head[16..]);
        (&mut *self.inner)
            .take((compressed - HEADER) as u64)
            .read_to_end(body)?;
        if body.len() != compressed {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "frame cut short",
            ));
        }
        if checksum(body) != head[..16] {
            return Err(io::Error::new(io::ErrorKind::InvalidData, ChecksumMismatch));
        }
        let payload = &body[HEADER..];
        if method == METHOD_LZ4 && size > lz4_max_output(payload.len()) {
            return Err(invalid(format!(
                "LZ4 frame of {compressed} bytes claims to decompress to {size} bytes, more than LZ4 can"
            )));
        }
        if let Some(b) = self.budget {
            b.charge_decompressed(size as u64)?;
        }
        if out.len() < size {
            out.resize(size, 0);
        }
        let out = &mut out[..size];
        let written = match method {
            METHOD_LZ4 => lz4_flex::block::decompress_into(payload, out)
                .map_err(|e| invalid(format!("LZ4 frame does not decompress: {e}")))?,
            METHOD_NONE if payload.len() == size => {
                out.copy_from_slice(payload);
                size
            }
            METHOD_NONE => 0,
            METHOD_ZSTD => return Err(invalid("ZSTD frames are not supported; use LZ4".into())),
            m => return Err(invalid(format!("unknown compression method 0x{m:02x}"))),
        };
        if written != size {
            return Err(invalid("frame decompressed to the wrong size".into()));
        }
        self.pos = 0;
        self.end = size;
        Ok(())
    }
}

impl<R: BufRead> Read for FrameReader<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for FrameReader<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.end {
            self.next_frame()?;
        }
        Ok(&self.bufs.out[self.pos..self.end])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_checksums_are_verified() {
        let data: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let mut frames = compress_frame(&data[..1000]);
        frames.extend(compress_frame(&data[1000..]));
        let mut raw = frames.as_slice();
        let mut r = FrameReader::new(&mut raw);
        let mut back = Vec::new();
        r.read_to_end(&mut back).ok();
        assert_eq!(back, data);

        let mut bad = compress_frame(b"hello hello hello");
        bad[3] ^= 1;
        let mut raw = bad.as_slice();
        let err = FrameReader::new(&mut raw)
            .fill_buf()
            .map(|_| ())
            .unwrap_err();
        assert!(err.get_ref().is_some_and(|e| e.is::<ChecksumMismatch>()));
    }

    #[test]
    fn frames_claiming_more_than_lz4_can_produce_are_refused() {
        let mut f = compress_frame(&[7u8; 100]);
        f[21..25].copy_from_slice(&(1u32 << 29).to_le_bytes());
        let body_csum = checksum(&f[16..]);
        f[..16].copy_from_slice(&body_csum);
        let mut raw = f.as_slice();
        let err = FrameReader::new(&mut raw)
            .fill_buf()
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().contains("more than LZ4 can"), "{err}");
    }

    #[test]
    fn the_lz4_output_bound_saturates_instead_of_overflowing() {
        // What a 1 GiB payload times the ratio is on a 32-bit target.
        assert_eq!(lz4_max_output(usize::MAX / 2), usize::MAX);
        assert_eq!(lz4_max_output(usize::MAX), usize::MAX);
        assert_eq!(lz4_max_output(100), 100 * 256 + 64);
    }

    #[test]
    fn lying_headers_are_errors() {
        let mut f = compress_frame(b"abc");
        f[17..21].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut raw = f.as_slice();
        assert!(FrameReader::new(&mut raw).fill_buf().is_err());
    }
}
