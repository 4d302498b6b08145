//! Primitive reads and writes of the native protocol: varints, strings, little-endian integers.

use super::error::{Error, Result};
use std::io::BufRead;

/// Largest string or byte run we accept from the network (the server's own cap on frames).
pub const MAX_BYTES: u64 = 1 << 30;
/// Largest row count we accept in one block.
pub const MAX_ROWS: u64 = 1 << 28;

pub fn io_err(e: std::io::Error) -> Error {
    if e.get_ref()
        .is_some_and(|inner| inner.is::<super::compress::ChecksumMismatch>())
    {
        return Error::Checksum;
    }
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        Error::Protocol("connection closed in the middle of a packet".into())
    } else {
        Error::Protocol(e.to_string())
    }
}

pub fn read_u8<R: BufRead>(r: &mut R) -> Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b).map_err(io_err)?;
    Ok(b[0])
}

pub fn read_varint<R: BufRead>(r: &mut R) -> Result<u64> {
    // Fast path: the whole varint is in the buffer.
    let buf = r.fill_buf().map_err(io_err)?;
    let mut v = 0u64;
    for (i, &b) in buf.iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            r.consume(i + 1);
            return Ok(v);
        }
    }
    if buf.len() >= 10 {
        return Err(Error::Protocol("varint longer than 10 bytes".into()));
    }
    let mut v = 0u64;
    for i in 0..10 {
        let b = read_u8(r)?;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(Error::Protocol("varint longer than 10 bytes".into()))
}

/// Bytes reserved ahead of a declared length: a lying length costs no more than this (and
/// untouched reserved memory is never resident); a real column of up to this size is read
/// into one allocation, without growing and copying.
const RESERVE_BYTES: usize = 4 << 20;

pub fn read_exact_vec<R: BufRead>(r: &mut R, n: u64, what: &str) -> Result<Vec<u8>> {
    if n > MAX_BYTES {
        return Err(Error::Protocol(format!(
            "{what}: {n} bytes exceeds the {MAX_BYTES}-byte limit"
        )));
    }
    let mut v = Vec::with_capacity((n as usize).min(RESERVE_BYTES));
    copy_n(r, n as usize, &mut v, what)?;
    Ok(v)
}

/// Append `n` bytes to `out`.
pub fn read_into<R: BufRead>(r: &mut R, n: u64, out: &mut Vec<u8>, what: &str) -> Result<()> {
    if n > MAX_BYTES || out.len() as u64 + n > MAX_BYTES {
        return Err(Error::Protocol(format!(
            "{what}: {n} bytes exceeds the {MAX_BYTES}-byte limit"
        )));
    }
    copy_n(r, n as usize, out, what)
}

/// Append exactly `n` bytes from `r` to `out`, a buffered chunk at a time (the vector grows
/// only as bytes arrive).
fn copy_n<R: BufRead>(r: &mut R, mut n: usize, out: &mut Vec<u8>, what: &str) -> Result<()> {
    while n > 0 {
        let buf = match r.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(e)),
        };
        if buf.is_empty() {
            return Err(Error::Protocol(format!(
                "connection closed while reading {what}"
            )));
        }
        let k = buf.len().min(n);
        out.extend_from_slice(&buf[..k]);
        r.consume(k);
        n -= k;
    }
    Ok(())
}

pub fn read_bytes<R: BufRead>(r: &mut R) -> Result<Vec<u8>> {
    let n = read_varint(r)?;
    read_exact_vec(r, n, "string")
}

pub fn read_string<R: BufRead>(r: &mut R) -> Result<String> {
    let b = read_bytes(r)?;
    Ok(lossy(b))
}

/// A string of at most `max` bytes, refused by its declared length (before it is read) with
/// an error naming `what`.
pub fn read_string_max<R: BufRead>(r: &mut R, max: u64, what: &str) -> Result<String> {
    let n = read_varint(r)?;
    if n > max {
        return Err(Error::Protocol(format!(
            "{what} of {n} bytes exceeds the {max}-byte limit"
        )));
    }
    Ok(lossy(read_exact_vec(r, n, what)?))
}

fn lossy(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

pub fn read_u64_le<R: BufRead>(r: &mut R) -> Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).map_err(io_err)?;
    Ok(u64::from_le_bytes(b))
}

pub fn read_i32_le<R: BufRead>(r: &mut R) -> Result<i32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).map_err(io_err)?;
    Ok(i32::from_le_bytes(b))
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_across_buffer_edges() {
        for v in [0u64, 1, 127, 128, 300, 54453, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            // A one-byte buffer forces the slow path.
            let mut r = std::io::BufReader::with_capacity(1, out.as_slice());
            assert_eq!(read_varint(&mut r).unwrap(), v);
            let mut r = out.as_slice();
            assert_eq!(read_varint(&mut r).unwrap(), v);
        }
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let mut r: &[u8] = &[0xff; 12];
        assert!(read_varint(&mut r).is_err());
        let mut r: &[u8] = &[0x05, b'a'];
        assert!(read_bytes(&mut r).is_err());
        let mut huge = Vec::new();
        put_varint(&mut huge, u64::MAX / 2);
        assert!(read_bytes(&mut huge.as_slice()).is_err());
    }
}
