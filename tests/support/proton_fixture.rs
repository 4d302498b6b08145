//! A Proton-shaped fixture server for integration tests.
//!
//! It speaks the native TCP protocol the way Timeplus Proton v1.6.1 does
//! (see shared/proton-protocol.md part A). It is written from that spec and
//! is independent of the crate's own decoder: it has its own small encoder and
//! decoder. It uses std::net and std::thread only, so it works under any test
//! runtime.
//!
//! Usage from an integration test:
//!
//! ```ignore
//! #[path = "support/proton_fixture.rs"]
//! mod proton_fixture;
//! use proton_fixture::*;
//!
//! let fx = ProtonFixture::start();                 // defaults
//! let fx = ProtonFixture::builder()
//!     .display_name("demo")
//!     .password("secret")
//!     .handler(|q: &ReceivedQuery| {
//!         (q.sql == "SELECT 42").then(|| Response::table(&[("x", "uint8")], vec![vec![FValue::UInt(42)]]))
//!     })
//!     .start();
//! connect_to(fx.host(), fx.port());
//! ```
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------
// Protocol constants (§A.2, §A.5)
// ---------------------------------------------------------------------------

pub const SERVER_NAME: &str = "proton";
pub const VERSION_MAJOR: u64 = 1;
pub const VERSION_MINOR: u64 = 6;
pub const VERSION_PATCH: u64 = 1;
pub const SERVER_REVISION: u64 = 54459;

pub const REV_CLIENT_INFO: u64 = 54032;
pub const REV_SERVER_TIMEZONE: u64 = 54058;
pub const REV_SERVER_DISPLAY_NAME: u64 = 54372;
pub const REV_VERSION_PATCH: u64 = 54401;
pub const REV_SETTINGS_AS_STRINGS: u64 = 54429;
pub const REV_INTERSERVER_SECRET: u64 = 54441;
pub const REV_PROFILE_EVENTS: u64 = 54451;
pub const REV_ADDENDUM: u64 = 54458;
pub const REV_PARAMETERS: u64 = 54459;

// Server -> client packet types.
pub const SRV_HELLO: u64 = 0;
pub const SRV_DATA: u64 = 1;
pub const SRV_EXCEPTION: u64 = 2;
pub const SRV_PROGRESS: u64 = 3;
pub const SRV_PONG: u64 = 4;
pub const SRV_END_OF_STREAM: u64 = 5;
pub const SRV_PROFILE_INFO: u64 = 6;
pub const SRV_TOTALS: u64 = 7;
pub const SRV_EXTREMES: u64 = 8;
pub const SRV_LOG: u64 = 10;
pub const SRV_TABLE_COLUMNS: u64 = 11;
pub const SRV_PROFILE_EVENTS: u64 = 14;

// Client -> server packet types.
pub const CLI_HELLO: u64 = 0;
pub const CLI_QUERY: u64 = 1;
pub const CLI_DATA: u64 = 2;
pub const CLI_CANCEL: u64 = 3;
pub const CLI_PING: u64 = 4;

// Error codes used by the fixture.
pub const ERR_UNKNOWN_FUNCTION: i32 = 46;
pub const ERR_UNKNOWN_IDENTIFIER: i32 = 47;
pub const ERR_UNKNOWN_STREAM: i32 = 60;
pub const ERR_SYNTAX_ERROR: i32 = 62;
pub const ERR_UNEXPECTED_PACKET_FROM_CLIENT: i32 = 102;
pub const ERR_QUERY_WAS_CANCELLED: i32 = 394;
pub const ERR_AUTHENTICATION_FAILED: i32 = 516;
/// Not a Proton code: used when the fixture itself cannot run a script
/// (bad test data, panicking handler).
pub const ERR_FIXTURE: i32 = 1001;

/// The exact answer Proton gives when the first byte is 'G' or 'P' (§A.1).
pub const HTTP_PROBE_ANSWER: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nPort 8463 is for clickhouse-client program\r\n";

pub const PROFILE_EVENTS_TYPE: &str = "enum8('increment' = 1, 'gauge' = 2)";

/// Sanity cap for any length read from a client (strings, payloads).
const MAX_ALLOC: usize = 256 << 20;
/// Proton flushes compressed frames of at most its 1 MiB buffer.
const FRAME_CHUNK: usize = 1 << 20;

// ---------------------------------------------------------------------------
// Wire primitives
// ---------------------------------------------------------------------------

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

pub fn put_str(out: &mut Vec<u8>, s: impl AsRef<[u8]>) {
    let s = s.as_ref();
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s);
}

pub fn read_varint(r: &mut (impl Read + ?Sized)) -> io::Result<u64> {
    let mut v: u64 = 0;
    for i in 0..10 {
        let b = read_u8(r)?;
        v |= ((b & 0x7f) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(bad("varint longer than 10 bytes"))
}

pub fn read_u8(r: &mut (impl Read + ?Sized)) -> io::Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn read_arr<const N: usize>(r: &mut (impl Read + ?Sized)) -> io::Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

pub fn read_i32(r: &mut (impl Read + ?Sized)) -> io::Result<i32> {
    Ok(i32::from_le_bytes(read_arr(r)?))
}

pub fn read_u32(r: &mut (impl Read + ?Sized)) -> io::Result<u32> {
    Ok(u32::from_le_bytes(read_arr(r)?))
}

pub fn read_u64(r: &mut (impl Read + ?Sized)) -> io::Result<u64> {
    Ok(u64::from_le_bytes(read_arr(r)?))
}

/// Reads exactly `n` bytes without trusting `n` for a up-front allocation.
pub fn read_bytes(r: &mut (impl Read + ?Sized), n: usize) -> io::Result<Vec<u8>> {
    if n > MAX_ALLOC {
        return Err(bad("length too large"));
    }
    let mut out = Vec::with_capacity(n.min(64 * 1024));
    let got = r.take(n as u64).read_to_end(&mut out)?;
    if got < n {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short read"));
    }
    Ok(out)
}

pub fn read_str_bytes(r: &mut (impl Read + ?Sized)) -> io::Result<Vec<u8>> {
    let n = read_varint(r)?;
    read_bytes(r, usize::try_from(n).map_err(|_| bad("length too large"))?)
}

pub fn read_str(r: &mut (impl Read + ?Sized)) -> io::Result<String> {
    let b = read_str_bytes(r)?;
    Ok(String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

// ---------------------------------------------------------------------------
// Values and types
// ---------------------------------------------------------------------------

/// One cell. Encoding is lenient (e.g. `UInt` is accepted for `int64`,
/// `Str` for an enum name); decoding is canonical:
/// unsigned ints, `date`, `datetime` -> `UInt`; signed ints, `datetime64`
/// ticks -> `Int`; floats -> `Float`; `bool` -> `Bool`; `string` -> `Str`
/// (or `Bytes` if not UTF-8); `fixed_string` -> `Bytes`; enums -> `Str(name)`
/// (or `Int` if the value has no name); arrays -> `Array`; NULL -> `Null`.
#[derive(Debug, Clone, PartialEq)]
pub enum FValue {
    Null,
    UInt(u64),
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Bytes(Vec<u8>),
    Array(Vec<FValue>),
}

impl FValue {
    pub fn str(s: impl Into<String>) -> FValue {
        FValue::Str(s.into())
    }
}

macro_rules! fvalue_from {
    ($variant:ident, $as:ty, $($t:ty),*) => {
        $(impl From<$t> for FValue {
            fn from(v: $t) -> FValue { FValue::$variant(v as $as) }
        })*
    };
}
fvalue_from!(UInt, u64, u8, u16, u32, u64, usize);
fvalue_from!(Int, i64, i8, i16, i32, i64);
fvalue_from!(Float, f64, f32, f64);

impl From<bool> for FValue {
    fn from(v: bool) -> FValue {
        FValue::Bool(v)
    }
}
impl From<&str> for FValue {
    fn from(v: &str) -> FValue {
        FValue::Str(v.to_string())
    }
}
impl From<String> for FValue {
    fn from(v: String) -> FValue {
        FValue::Str(v)
    }
}
impl<T: Into<FValue>> From<Option<T>> for FValue {
    fn from(v: Option<T>) -> FValue {
        v.map_or(FValue::Null, Into::into)
    }
}
impl<T: Into<FValue>> From<Vec<T>> for FValue {
    fn from(v: Vec<T>) -> FValue {
        FValue::Array(v.into_iter().map(Into::into).collect())
    }
}

/// A parsed Proton type name (§A.9). Only what the fixture needs.
#[derive(Debug, Clone, PartialEq)]
pub enum FType {
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Bool,
    String,
    FixedString(usize),
    Date,
    Date32,
    DateTime,
    DateTime64(u32),
    Enum8(Vec<(String, i64)>),
    Enum16(Vec<(String, i64)>),
    Nullable(Box<FType>),
    Array(Box<FType>),
}

/// Parses a lowercase Proton type name such as `nullable(string)`,
/// `datetime64(3, 'UTC')` or `enum8('increment' = 1, 'gauge' = 2)`.
pub fn parse_type(name: &str) -> Result<FType, String> {
    let name = name.trim();
    let Some(open) = name.find('(') else {
        return Ok(match name {
            "uint8" => FType::UInt8,
            "uint16" => FType::UInt16,
            "uint32" => FType::UInt32,
            "uint64" => FType::UInt64,
            "int8" => FType::Int8,
            "int16" => FType::Int16,
            "int32" => FType::Int32,
            "int64" => FType::Int64,
            "float32" => FType::Float32,
            "float64" => FType::Float64,
            "bool" => FType::Bool,
            "string" => FType::String,
            "date" => FType::Date,
            "date32" => FType::Date32,
            "datetime" => FType::DateTime,
            "datetime64" => FType::DateTime64(3),
            _ => return Err(format!("fixture: unsupported type `{name}`")),
        });
    };
    let Some(args) = name[open + 1..].strip_suffix(')') else {
        return Err(format!("fixture: malformed type `{name}`"));
    };
    let family = name[..open].trim();
    match family {
        "nullable" => Ok(FType::Nullable(Box::new(parse_type(args)?))),
        "array" => Ok(FType::Array(Box::new(parse_type(args)?))),
        "fixed_string" => args
            .trim()
            .parse()
            .map(FType::FixedString)
            .map_err(|_| format!("fixture: bad fixed_string `{name}`")),
        "datetime" => Ok(FType::DateTime),
        "datetime64" => args
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .parse()
            .map(FType::DateTime64)
            .map_err(|_| format!("fixture: bad datetime64 `{name}`")),
        "enum8" => Ok(FType::Enum8(parse_enum_items(args)?)),
        "enum16" => Ok(FType::Enum16(parse_enum_items(args)?)),
        _ => Err(format!("fixture: unsupported type `{name}`")),
    }
}

/// Parses `'a' = 1, 'b' = 2` (quotes may be escaped with a backslash).
fn parse_enum_items(s: &str) -> Result<Vec<(String, i64)>, String> {
    let err = || format!("fixture: bad enum items `{s}`");
    let mut items = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('\'') {
            return Err(err());
        }
        let mut label = String::new();
        loop {
            match chars.next().ok_or_else(err)? {
                '\\' => label.push(chars.next().ok_or_else(err)?),
                '\'' => break,
                c => label.push(c),
            }
        }
        let rest: String = chars.by_ref().take_while(|&c| c != ',').collect();
        let num = rest.trim().strip_prefix('=').ok_or_else(err)?.trim();
        items.push((label, num.parse().map_err(|_| err())?));
        if chars.peek().is_none() {
            return Ok(items);
        }
    }
}

fn type_default(t: &FType) -> FValue {
    match t {
        FType::Float32 | FType::Float64 => FValue::Float(0.0),
        FType::String => FValue::Str(String::new()),
        FType::FixedString(n) => FValue::Bytes(vec![0; *n]),
        FType::Array(_) => FValue::Array(Vec::new()),
        FType::Nullable(_) => FValue::Null,
        FType::Bool => FValue::Bool(false),
        _ => FValue::Int(0),
    }
}

fn as_u64(v: &FValue) -> Result<u64, String> {
    match v {
        FValue::UInt(x) => Ok(*x),
        FValue::Int(x) => Ok(*x as u64),
        FValue::Bool(b) => Ok(*b as u64),
        other => Err(format!("fixture: expected an integer, got {other:?}")),
    }
}

fn as_i64(v: &FValue) -> Result<i64, String> {
    as_u64(v).map(|x| x as i64)
}

fn as_f64(v: &FValue) -> Result<f64, String> {
    match v {
        FValue::Float(x) => Ok(*x),
        FValue::UInt(x) => Ok(*x as f64),
        FValue::Int(x) => Ok(*x as f64),
        other => Err(format!("fixture: expected a float, got {other:?}")),
    }
}

fn as_bytes(v: &FValue) -> Result<&[u8], String> {
    match v {
        FValue::Str(s) => Ok(s.as_bytes()),
        FValue::Bytes(b) => Ok(b),
        other => Err(format!("fixture: expected a string, got {other:?}")),
    }
}

fn enum_value(items: &[(String, i64)], v: &FValue) -> Result<i64, String> {
    match v {
        FValue::Str(name) => items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, x)| *x)
            .ok_or_else(|| format!("fixture: unknown enum label `{name}`")),
        other => as_i64(other),
    }
}

/// Encodes column data (the part after name and type) per §A.10.
pub fn encode_column(t: &FType, vals: &[FValue], out: &mut Vec<u8>) -> Result<(), String> {
    for v in vals {
        if matches!(v, FValue::Null) && !matches!(t, FType::Nullable(_)) {
            return Err(format!("fixture: NULL in non-nullable column {t:?}"));
        }
    }
    match t {
        FType::UInt8 | FType::Bool => {
            for v in vals {
                out.push(as_u64(v)? as u8)
            }
        }
        FType::Int8 => {
            for v in vals {
                out.push(as_i64(v)? as i8 as u8)
            }
        }
        FType::UInt16 | FType::Date => {
            for v in vals {
                out.extend_from_slice(&(as_u64(v)? as u16).to_le_bytes())
            }
        }
        FType::Int16 => {
            for v in vals {
                out.extend_from_slice(&(as_i64(v)? as i16).to_le_bytes())
            }
        }
        FType::UInt32 | FType::DateTime => {
            for v in vals {
                out.extend_from_slice(&(as_u64(v)? as u32).to_le_bytes())
            }
        }
        FType::Int32 | FType::Date32 => {
            for v in vals {
                out.extend_from_slice(&(as_i64(v)? as i32).to_le_bytes())
            }
        }
        FType::UInt64 => {
            for v in vals {
                out.extend_from_slice(&as_u64(v)?.to_le_bytes())
            }
        }
        FType::Int64 | FType::DateTime64(_) => {
            for v in vals {
                out.extend_from_slice(&as_i64(v)?.to_le_bytes())
            }
        }
        FType::Float32 => {
            for v in vals {
                out.extend_from_slice(&(as_f64(v)? as f32).to_le_bytes())
            }
        }
        FType::Float64 => {
            for v in vals {
                out.extend_from_slice(&as_f64(v)?.to_le_bytes())
            }
        }
        FType::String => {
            for v in vals {
                put_str(out, as_bytes(v)?)
            }
        }
        FType::FixedString(n) => {
            for v in vals {
                let b = as_bytes(v)?;
                if b.len() > *n {
                    return Err(format!("fixture: value longer than fixed_string({n})"));
                }
                out.extend_from_slice(b);
                out.resize(out.len() + (n - b.len()), 0);
            }
        }
        FType::Enum8(items) => {
            for v in vals {
                out.push(enum_value(items, v)? as i8 as u8)
            }
        }
        FType::Enum16(items) => {
            for v in vals {
                out.extend_from_slice(&(enum_value(items, v)? as i16).to_le_bytes())
            }
        }
        FType::Nullable(inner) => {
            out.extend(vals.iter().map(|v| matches!(v, FValue::Null) as u8));
            let dense: Vec<FValue> = vals
                .iter()
                .map(|v| {
                    if matches!(v, FValue::Null) {
                        type_default(inner)
                    } else {
                        v.clone()
                    }
                })
                .collect();
            encode_column(inner, &dense, out)?;
        }
        FType::Array(inner) => {
            let mut flat = Vec::new();
            for v in vals {
                let FValue::Array(items) = v else {
                    return Err(format!("fixture: expected an array, got {v:?}"));
                };
                flat.extend(items.iter().cloned());
                out.extend_from_slice(&(flat.len() as u64).to_le_bytes());
            }
            encode_column(inner, &flat, out)?;
        }
    }
    Ok(())
}

/// Decodes `n` rows of column data.
pub fn decode_column(t: &FType, n: usize, r: &mut dyn Read) -> io::Result<Vec<FValue>> {
    fn fixed<const W: usize>(
        n: usize,
        r: &mut dyn Read,
        f: impl Fn([u8; W]) -> FValue,
    ) -> io::Result<Vec<FValue>> {
        let raw = read_bytes(r, n.checked_mul(W).ok_or_else(|| bad("too many rows"))?)?;
        Ok(raw
            .chunks_exact(W)
            .map(|c| f(c.try_into().unwrap()))
            .collect())
    }
    let enum_name = |items: &[(String, i64)], x: i64| {
        items
            .iter()
            .find(|(_, v)| *v == x)
            .map_or(FValue::Int(x), |(name, _)| FValue::Str(name.clone()))
    };
    Ok(match t {
        FType::UInt8 => fixed::<1>(n, r, |b| FValue::UInt(b[0] as u64))?,
        FType::Bool => fixed::<1>(n, r, |b| FValue::Bool(b[0] != 0))?,
        FType::Int8 => fixed::<1>(n, r, |b| FValue::Int(b[0] as i8 as i64))?,
        FType::UInt16 | FType::Date => {
            fixed::<2>(n, r, |b| FValue::UInt(u16::from_le_bytes(b) as u64))?
        }
        FType::Int16 => fixed::<2>(n, r, |b| FValue::Int(i16::from_le_bytes(b) as i64))?,
        FType::UInt32 | FType::DateTime => {
            fixed::<4>(n, r, |b| FValue::UInt(u32::from_le_bytes(b) as u64))?
        }
        FType::Int32 | FType::Date32 => {
            fixed::<4>(n, r, |b| FValue::Int(i32::from_le_bytes(b) as i64))?
        }
        FType::UInt64 => fixed::<8>(n, r, |b| FValue::UInt(u64::from_le_bytes(b)))?,
        FType::Int64 | FType::DateTime64(_) => {
            fixed::<8>(n, r, |b| FValue::Int(i64::from_le_bytes(b)))?
        }
        FType::Float32 => fixed::<4>(n, r, |b| FValue::Float(f32::from_le_bytes(b) as f64))?,
        FType::Float64 => fixed::<8>(n, r, |b| FValue::Float(f64::from_le_bytes(b)))?,
        FType::FixedString(w) => {
            let raw = read_bytes(r, n.checked_mul(*w).ok_or_else(|| bad("too many rows"))?)?;
            if *w == 0 {
                vec![FValue::Bytes(Vec::new()); n]
            } else {
                raw.chunks_exact(*w)
                    .map(|c| FValue::Bytes(c.to_vec()))
                    .collect()
            }
        }
        FType::String => {
            let mut out = Vec::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                let b = read_str_bytes(r)?;
                out.push(match String::from_utf8(b) {
                    Ok(s) => FValue::Str(s),
                    Err(e) => FValue::Bytes(e.into_bytes()),
                });
            }
            out
        }
        FType::Enum8(items) => fixed::<1>(n, r, |b| enum_name(items, b[0] as i8 as i64))?,
        FType::Enum16(items) => {
            fixed::<2>(n, r, |b| enum_name(items, i16::from_le_bytes(b) as i64))?
        }
        FType::Nullable(inner) => {
            let map = read_bytes(r, n)?;
            let mut vals = decode_column(inner, n, r)?;
            for (v, m) in vals.iter_mut().zip(map) {
                if m != 0 {
                    *v = FValue::Null;
                }
            }
            vals
        }
        FType::Array(inner) => {
            let mut offsets = Vec::with_capacity(n.min(1 << 16));
            let mut prev = 0u64;
            for _ in 0..n {
                let o = read_u64(r)?;
                if o < prev || o > (1 << 28) {
                    return Err(bad("bad array offsets"));
                }
                offsets.push(o);
                prev = o;
            }
            let mut flat = decode_column(inner, prev as usize, r)?.into_iter();
            let mut start = 0u64;
            offsets
                .into_iter()
                .map(|end| {
                    let items = flat.by_ref().take((end - start) as usize).collect();
                    start = end;
                    FValue::Array(items)
                })
                .collect()
        }
    })
}

// ---------------------------------------------------------------------------
// Blocks (§A.6)
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct FColumn {
    pub name: String,
    pub type_name: String,
    pub values: Vec<FValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FBlock {
    pub is_overflows: bool,
    pub bucket_num: i32,
    pub rows: usize,
    pub columns: Vec<FColumn>,
}

impl FBlock {
    /// Row-major view of the block.
    pub fn row_values(&self) -> Vec<Vec<FValue>> {
        (0..self.rows)
            .map(|i| self.columns.iter().map(|c| c.values[i].clone()).collect())
            .collect()
    }

    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    pub fn column_types(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.type_name.clone()).collect()
    }
}

fn put_block_info(out: &mut Vec<u8>) {
    put_varint(out, 1);
    out.push(0); // is_overflows
    put_varint(out, 2);
    out.extend_from_slice(&(-1i32).to_le_bytes()); // bucket_num
    put_varint(out, 0);
}

/// Encodes a block (BlockInfo, counts, columns; no custom-serialization
/// byte) from column-major data. Panics on inconsistent input (test bug).
pub fn encode_block(columns: &[(&str, &str, Vec<FValue>)]) -> Vec<u8> {
    let cols: Vec<(String, String)> = columns
        .iter()
        .map(|(n, t, _)| (n.to_string(), t.to_string()))
        .collect();
    let data: Vec<&[FValue]> = columns.iter().map(|(_, _, v)| v.as_slice()).collect();
    try_encode_columns(&cols, &data).unwrap_or_else(|e| panic!("{e}"))
}

/// Encodes a block from a header and row-major data.
pub fn try_encode_rows(
    columns: &[(String, String)],
    rows: &[Vec<FValue>],
) -> Result<Vec<u8>, String> {
    let mut data: Vec<Vec<FValue>> = vec![Vec::with_capacity(rows.len()); columns.len()];
    for (i, row) in rows.iter().enumerate() {
        if row.len() != columns.len() {
            return Err(format!(
                "fixture: row {i} has {} values but the header has {} columns",
                row.len(),
                columns.len()
            ));
        }
        for (c, v) in row.iter().enumerate() {
            data[c].push(v.clone());
        }
    }
    let refs: Vec<&[FValue]> = data.iter().map(Vec::as_slice).collect();
    try_encode_columns(columns, &refs)
}

fn try_encode_columns(columns: &[(String, String)], data: &[&[FValue]]) -> Result<Vec<u8>, String> {
    let rows = data.first().map_or(0, |d| d.len());
    if data.iter().any(|d| d.len() != rows) {
        return Err("fixture: columns have different lengths".into());
    }
    let mut out = Vec::new();
    put_block_info(&mut out);
    put_varint(&mut out, columns.len() as u64);
    put_varint(&mut out, rows as u64);
    for ((name, type_name), vals) in columns.iter().zip(data) {
        put_str(&mut out, name);
        put_str(&mut out, type_name);
        if rows > 0 {
            encode_column(&parse_type(type_name)?, vals, &mut out)?;
        }
    }
    Ok(out)
}

/// The end-of-data marker / empty block: 0 columns, 0 rows.
pub fn empty_block() -> Vec<u8> {
    try_encode_columns(&[], &[]).expect("empty block")
}

/// Decodes one block from a stream.
pub fn decode_block_from(r: &mut dyn Read) -> io::Result<FBlock> {
    let mut block = FBlock {
        is_overflows: false,
        bucket_num: -1,
        rows: 0,
        columns: Vec::new(),
    };
    loop {
        match read_varint(r)? {
            0 => break,
            1 => block.is_overflows = read_u8(r)? != 0,
            2 => block.bucket_num = read_i32(r)?,
            _ => return Err(bad("unknown BlockInfo field")),
        }
    }
    let ncols = read_varint(r)?;
    let nrows = read_varint(r)?;
    if ncols > 10_000 || nrows > (1 << 28) {
        return Err(bad("block too large"));
    }
    block.rows = nrows as usize;
    for _ in 0..ncols {
        let name = read_str(r)?;
        let type_name = read_str(r)?;
        let values = if nrows == 0 {
            Vec::new()
        } else {
            let t = parse_type(&type_name).map_err(|e| bad(&e))?;
            decode_column(&t, block.rows, r)?
        };
        block.columns.push(FColumn {
            name,
            type_name,
            values,
        });
    }
    Ok(block)
}

/// Decodes one block from bytes (trailing bytes are an error).
pub fn decode_block(bytes: &[u8]) -> io::Result<FBlock> {
    let mut cur = io::Cursor::new(bytes);
    let b = decode_block_from(&mut cur)?;
    if cur.position() as usize != bytes.len() {
        return Err(bad("trailing bytes after block"));
    }
    Ok(b)
}

// ---------------------------------------------------------------------------
// Compression (§A.8)
// ---------------------------------------------------------------------------

/// CityHash128 v1.0.2 as ClickHouse writes it. ClickHouse's `low64` is the
/// *high* half of `cityhash_rs`'s u128, so the bytes are `(h >> 64)` LE, then
/// `(h as u64)` LE (checked against a frame from a real server).
pub fn frame_checksum(data: &[u8]) -> [u8; 16] {
    let h = cityhash_rs::cityhash_102_128(data);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&((h >> 64) as u64).to_le_bytes());
    out[8..].copy_from_slice(&(h as u64).to_le_bytes());
    out
}

/// One LZ4 frame: checksum, 0x82, u32 compressed size (incl. 9-byte
/// header), u32 uncompressed size, payload.
pub fn compress_frame(raw: &[u8], corrupt_checksum: bool) -> Vec<u8> {
    let payload = lz4_flex::block::compress(raw);
    let mut body = Vec::with_capacity(payload.len() + 9);
    body.push(0x82);
    body.extend_from_slice(&((payload.len() + 9) as u32).to_le_bytes());
    body.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    body.extend_from_slice(&payload);
    let mut sum = frame_checksum(&body);
    if corrupt_checksum {
        sum[0] ^= 0xff;
    }
    let mut out = sum.to_vec();
    out.extend_from_slice(&body);
    out
}

/// A block body as Proton sends it with compression on: 1 MiB chunks, one
/// frame each.
pub fn compress_frames(raw: &[u8], corrupt_checksum: bool) -> Vec<u8> {
    if raw.is_empty() {
        return compress_frame(raw, corrupt_checksum);
    }
    raw.chunks(FRAME_CHUNK)
        .flat_map(|c| compress_frame(c, corrupt_checksum))
        .collect()
}

/// Reads one compressed frame and returns its decompressed bytes.
/// Accepts LZ4 (0x82) and NONE (0x02); verifies the checksum.
pub fn read_frame(r: &mut (impl Read + ?Sized)) -> io::Result<Vec<u8>> {
    let sum: [u8; 16] = read_arr(r)?;
    let header: [u8; 9] = read_arr(r)?;
    let method = header[0];
    let csize = u32::from_le_bytes(header[1..5].try_into().unwrap()) as usize;
    let usize_ = u32::from_le_bytes(header[5..9].try_into().unwrap()) as usize;
    if !(9..=MAX_ALLOC).contains(&csize) || usize_ > MAX_ALLOC {
        return Err(bad("bad compressed frame sizes"));
    }
    let payload = read_bytes(r, csize - 9)?;
    let mut checked = header.to_vec();
    checked.extend_from_slice(&payload);
    if frame_checksum(&checked) != sum {
        return Err(bad("compressed frame checksum mismatch"));
    }
    match method {
        0x82 => lz4_flex::block::decompress(&payload, usize_).map_err(|e| bad(&e.to_string())),
        0x02 if payload.len() == usize_ => Ok(payload),
        _ => Err(bad("unsupported compression method")),
    }
}

/// A `Read` over a sequence of compressed frames.
pub struct FrameReader<R> {
    inner: R,
    cur: Vec<u8>,
    pos: usize,
}

impl<R: Read> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            cur: Vec::new(),
            pos: 0,
        }
    }
}

impl<R: Read> Read for FrameReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.cur.len() {
            self.cur = read_frame(&mut self.inner)?;
            self.pos = 0;
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// Scripts
// ---------------------------------------------------------------------------

pub type RowFn = Arc<dyn Fn(u64) -> Vec<FValue> + Send + Sync>;
pub type Handler = Arc<dyn Fn(&ReceivedQuery) -> Option<Response> + Send + Sync>;

/// One step of a scripted answer to a query.
pub enum Step {
    /// A Data packet with 0 rows and these columns; sets the current header.
    Header(Vec<(String, String)>),
    /// A Data block with the current header's columns (row-major). An empty
    /// vector sends a 0-row block WITH columns (a streaming heartbeat).
    Rows(Vec<Vec<FValue>>),
    /// Pre-encoded block bytes, sent as a Data packet body (compressed if
    /// the query asked for compression).
    RawBlock(Vec<u8>),
    /// Raw bytes written to the socket unchanged (for malformed-server tests).
    Raw(Vec<u8>),
    /// A Progress packet with exactly these increments (resets the pending
    /// counters that the fixture accumulates from sent rows).
    Progress {
        read_rows: u64,
        read_bytes: u64,
        total_rows_to_read: u64,
        written_rows: u64,
        written_bytes: u64,
    },
    /// A ProfileEvents packet with a few sample rows (never compressed).
    ProfileEvents,
    /// A ProfileInfo packet computed from the rows/blocks sent so far.
    ProfileInfo,
    /// A Totals packet with the current header's columns.
    Totals(Vec<Vec<FValue>>),
    /// An Extremes packet with the current header's columns.
    Extremes(Vec<Vec<FValue>>),
    /// Wait (no heartbeats); Cancel and disconnects are still noticed.
    Sleep(Duration),
    /// An Exception packet. Ends the query (no EndOfStream); the connection
    /// stays usable.
    Exception { code: i32, message: String },
    /// Rows from `row_fn(0), row_fn(1), ...`, `rows_per_block` per Data block,
    /// one block per `interval` (zero = as fast as the socket allows), until
    /// `limit` rows (None = forever, until Cancel or disconnect). Sends the
    /// header first if none was sent. Progress every heartbeat interval.
    Endless {
        columns: Vec<(String, String)>,
        row_fn: RowFn,
        rows_per_block: usize,
        interval: Duration,
        limit: Option<u64>,
    },
    /// Nothing but heartbeats until Cancel or disconnect.
    Idle,
    /// Drop the connection abruptly (simulates a killed server).
    Close,
}

impl Step {
    pub fn header(columns: &[(&str, &str)]) -> Step {
        Step::Header(owned_columns(columns))
    }

    pub fn progress(read_rows: u64, read_bytes: u64) -> Step {
        Step::Progress {
            read_rows,
            read_bytes,
            total_rows_to_read: 0,
            written_rows: 0,
            written_bytes: 0,
        }
    }

    pub fn exception(code: i32, message: impl Into<String>) -> Step {
        Step::Exception {
            code,
            message: message.into(),
        }
    }

    pub fn endless(
        columns: &[(&str, &str)],
        rows_per_block: usize,
        interval: Duration,
        limit: Option<u64>,
        row_fn: impl Fn(u64) -> Vec<FValue> + Send + Sync + 'static,
    ) -> Step {
        Step::Endless {
            columns: owned_columns(columns),
            row_fn: Arc::new(row_fn),
            rows_per_block,
            interval,
            limit,
        }
    }
}

fn owned_columns(columns: &[(&str, &str)]) -> Vec<(String, String)> {
    columns
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
}

/// What follows the script when it did not end with Exception/Close (and
/// was not cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// ProfileInfo, Progress, ProfileEvents, Data(0 cols, 0 rows), Progress,
    /// EndOfStream (§A.7).
    Select,
    /// EndOfStream only (DDL, SET, USE, ...).
    EndOfStream,
    /// Nothing: the script is responsible for the end.
    Nothing,
}

pub struct Response {
    pub steps: Vec<Step>,
    pub ending: Ending,
}

impl Response {
    /// A script followed by the normal SELECT end sequence.
    pub fn new(steps: Vec<Step>) -> Response {
        Response {
            steps,
            ending: Ending::Select,
        }
    }

    pub fn with_ending(mut self, ending: Ending) -> Response {
        self.ending = ending;
        self
    }

    /// Header, one Data block (omitted if there are no rows), normal end.
    pub fn table(columns: &[(&str, &str)], rows: Vec<Vec<FValue>>) -> Response {
        let mut steps = vec![Step::header(columns)];
        if !rows.is_empty() {
            steps.push(Step::Rows(rows));
        }
        Response::new(steps)
    }

    /// EndOfStream only.
    pub fn ddl() -> Response {
        Response::new(Vec::new()).with_ending(Ending::EndOfStream)
    }

    /// INSERT ... VALUES: Progress (written rows) then EndOfStream.
    pub fn insert(written_rows: u64, written_bytes: u64) -> Response {
        Response::new(vec![Step::Progress {
            read_rows: 0,
            read_bytes: 0,
            total_rows_to_read: 0,
            written_rows,
            written_bytes,
        }])
        .with_ending(Ending::EndOfStream)
    }

    pub fn exception(code: i32, message: impl Into<String>) -> Response {
        Response::new(vec![Step::exception(code, message)])
    }
}

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/// A query as the fixture received it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReceivedQuery {
    pub query_id: String,
    pub sql: String,
    /// Settings in order (name, value); flags are dropped.
    pub settings: Vec<(String, String)>,
    pub compression: bool,
    /// Query parameters (client revision >= 54459), values as sent.
    pub parameters: Vec<(String, String)>,
    pub stage: u64,
    /// ClientInfo query_kind byte (0 = the short form).
    pub query_kind: u8,
    pub client_revision: u64,
    pub client_name: String,
    pub user: String,
    pub database: String,
}

impl ReceivedQuery {
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a query ended, from the server's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryEnd {
    /// The script ran to its end (EndOfStream sent, unless Ending::Nothing).
    Completed,
    /// Cancel received and answered (Data(empty), Progress, EndOfStream).
    Cancelled,
    /// An Exception packet ended the query.
    Exception,
    /// The client closed the connection (EOF or a failed write).
    ClientDisconnected,
    /// The client sent something other than Cancel during the query (e.g.
    /// Ping): the connection was dropped (UNKNOWN_PACKET_FROM_CLIENT).
    UnexpectedPacket,
    /// A `Step::Close` dropped the connection.
    ClosedByScript,
    /// The fixture was shut down.
    Shutdown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    pub query_id: String,
    pub sql: String,
    pub end: QueryEnd,
    /// Cancel packets received during this query (answered or ignored).
    pub cancels: usize,
}

// ---------------------------------------------------------------------------
// Configuration and the fixture itself
// ---------------------------------------------------------------------------

#[derive(Clone)]
pub struct FixtureConfig {
    pub display_name: String,
    pub timezone: String,
    /// Required user name (None = any non-empty user).
    pub user: Option<String>,
    /// Required password (None = any password).
    pub password: Option<String>,
    /// Never answer Cancel (it is still counted).
    pub ignore_cancel: bool,
    /// Delay between receiving Cancel and answering it.
    pub cancel_delay: Duration,
    /// When answering a Cancel during `Endless`, first send one more data
    /// block (as if it was already in flight).
    pub data_after_cancel: bool,
    /// Corrupt the checksum of every compressed frame we send.
    pub corrupt_checksums: bool,
    /// Proton's interactive_delay: idle Progress heartbeat period.
    pub heartbeat_interval: Duration,
    /// Every Nth heartbeat (Idle/Endless) also sends a 0-row Data block with
    /// columns. 0 = never.
    pub empty_block_every: u32,
    /// Every Nth heartbeat (Idle/Endless) also sends ProfileEvents. 0 = never.
    pub profile_events_every: u32,
    pub handler: Option<Handler>,
}

impl Default for FixtureConfig {
    fn default() -> Self {
        FixtureConfig {
            display_name: "fixture".into(),
            timezone: "UTC".into(),
            user: None,
            password: None,
            ignore_cancel: false,
            cancel_delay: Duration::ZERO,
            data_after_cancel: false,
            corrupt_checksums: false,
            heartbeat_interval: Duration::from_millis(100),
            empty_block_every: 5,
            profile_events_every: 10,
            handler: None,
        }
    }
}

pub struct FixtureBuilder {
    cfg: FixtureConfig,
}

impl FixtureBuilder {
    pub fn display_name(mut self, v: impl Into<String>) -> Self {
        self.cfg.display_name = v.into();
        self
    }
    pub fn timezone(mut self, v: impl Into<String>) -> Self {
        self.cfg.timezone = v.into();
        self
    }
    pub fn user(mut self, v: impl Into<String>) -> Self {
        self.cfg.user = Some(v.into());
        self
    }
    pub fn password(mut self, v: impl Into<String>) -> Self {
        self.cfg.password = Some(v.into());
        self
    }
    pub fn ignore_cancel(mut self, v: bool) -> Self {
        self.cfg.ignore_cancel = v;
        self
    }
    pub fn cancel_delay(mut self, v: Duration) -> Self {
        self.cfg.cancel_delay = v;
        self
    }
    pub fn data_after_cancel(mut self, v: bool) -> Self {
        self.cfg.data_after_cancel = v;
        self
    }
    pub fn corrupt_checksums(mut self, v: bool) -> Self {
        self.cfg.corrupt_checksums = v;
        self
    }
    pub fn heartbeat_interval(mut self, v: Duration) -> Self {
        self.cfg.heartbeat_interval = v;
        self
    }
    pub fn empty_block_every(mut self, n: u32) -> Self {
        self.cfg.empty_block_every = n;
        self
    }
    pub fn profile_events_every(mut self, n: u32) -> Self {
        self.cfg.profile_events_every = n;
        self
    }
    /// Tried before the built-in canned queries; return None to fall through.
    pub fn handler(
        mut self,
        f: impl Fn(&ReceivedQuery) -> Option<Response> + Send + Sync + 'static,
    ) -> Self {
        self.cfg.handler = Some(Arc::new(f));
        self
    }
    pub fn config(mut self, cfg: FixtureConfig) -> Self {
        self.cfg = cfg;
        self
    }
    pub fn start(self) -> ProtonFixture {
        ProtonFixture::start_with(self.cfg)
    }
}

struct Shared {
    cfg: FixtureConfig,
    shutdown: AtomicBool,
    queries: Mutex<Vec<ReceivedQuery>>,
    outcomes: Mutex<Vec<QueryOutcome>>,
    active: AtomicUsize,
    cancels: AtomicUsize,
    pings: AtomicUsize,
    connections: AtomicUsize,
    /// Clones of open connections (by id), shut down when the fixture stops.
    streams: Mutex<Vec<(usize, TcpStream)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fixture server on 127.0.0.1 (random port). Stops on drop.
pub struct ProtonFixture {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl ProtonFixture {
    /// Starts a fixture with the default configuration.
    pub fn start() -> ProtonFixture {
        Self::start_with(FixtureConfig::default())
    }

    pub fn builder() -> FixtureBuilder {
        FixtureBuilder {
            cfg: FixtureConfig::default(),
        }
    }

    pub fn start_with(cfg: FixtureConfig) -> ProtonFixture {
        let listener = TcpListener::bind("127.0.0.1:0").expect("fixture: bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("fixture: set_nonblocking");
        let addr = listener.local_addr().expect("fixture: local_addr");
        let shared = Arc::new(Shared {
            cfg,
            shutdown: AtomicBool::new(false),
            queries: Mutex::new(Vec::new()),
            outcomes: Mutex::new(Vec::new()),
            active: AtomicUsize::new(0),
            cancels: AtomicUsize::new(0),
            pings: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            streams: Mutex::new(Vec::new()),
        });
        let sh = shared.clone();
        let accept = thread::Builder::new()
            .name("proton-fixture-accept".into())
            .spawn(move || accept_loop(listener, sh))
            .expect("fixture: spawn");
        ProtonFixture {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    /// All queries received so far, in order.
    pub fn queries(&self) -> Vec<ReceivedQuery> {
        lock(&self.shared.queries).clone()
    }
    pub fn last_query(&self) -> Option<ReceivedQuery> {
        lock(&self.shared.queries).last().cloned()
    }
    /// Queries that finished, in order of finishing.
    pub fn outcomes(&self) -> Vec<QueryOutcome> {
        lock(&self.shared.outcomes).clone()
    }
    /// Queries currently running.
    pub fn active_queries(&self) -> usize {
        self.shared.active.load(Ordering::SeqCst)
    }
    /// Cancel packets received during queries (answered or ignored).
    pub fn cancels_received(&self) -> usize {
        self.shared.cancels.load(Ordering::SeqCst)
    }
    /// Pings answered with Pong (between queries).
    pub fn pings_received(&self) -> usize {
        self.shared.pings.load(Ordering::SeqCst)
    }
    /// TCP connections accepted.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
    /// Polls `cond` every 10 ms until it holds or `timeout` passes.
    pub fn wait_until(&self, timeout: Duration, cond: impl Fn(&ProtonFixture) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if cond(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
    /// Waits until no query is running.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |f| f.active_queries() == 0)
    }
    /// Stops accepting, closes every connection and joins the accept thread.
    pub fn stop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        for (_, s) in lock(&self.shared.streams).drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for ProtonFixture {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while !shared.shutdown.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let id = shared.connections.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_nodelay(true);
                if let Ok(clone) = stream.try_clone() {
                    lock(&shared.streams).push((id, clone));
                }
                let sh = shared.clone();
                let _ = thread::Builder::new()
                    .name("proton-fixture-conn".into())
                    .spawn(move || {
                        serve_connection(stream, sh.clone());
                        // Whatever happened, the socket is closed now.
                        let mut streams = lock(&sh.streams);
                        if let Some(i) = streams.iter().position(|(cid, _)| *cid == id) {
                            let (_, s) = streams.swap_remove(i);
                            let _ = s.shutdown(Shutdown::Both);
                        }
                    });
            }
            Err(ref e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

// ---------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------

/// A buffered socket: blocking reads that give up on shutdown, and a
/// non-blocking poll used while a query runs.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    pos: usize,
    shared: Arc<Shared>,
}

enum ClientEvent {
    Nothing,
    Cancel,
    Other,
    Eof,
}

impl Conn {
    fn shutting_down(&self) -> bool {
        self.shared.shutdown.load(Ordering::SeqCst)
    }

    /// Blocking fill; Err on EOF or shutdown.
    fn fill(&mut self) -> io::Result<()> {
        let mut tmp = [0u8; 64 * 1024];
        loop {
            if self.shutting_down() {
                return Err(io::Error::other("fixture shut down"));
            }
            match self.stream.read(&mut tmp) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "client closed",
                    ))
                }
                Ok(n) => {
                    self.buf.drain(..self.pos);
                    self.pos = 0;
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(());
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Non-blocking: what did the client send while a query runs?
    fn poll_event(&mut self) -> ClientEvent {
        if self.pos >= self.buf.len() {
            let mut tmp = [0u8; 4096];
            if self.stream.set_nonblocking(true).is_err() {
                return ClientEvent::Eof;
            }
            let r = self.stream.read(&mut tmp);
            let _ = self.stream.set_nonblocking(false);
            match r {
                Ok(0) => return ClientEvent::Eof,
                Ok(n) => {
                    self.buf.clear();
                    self.pos = 0;
                    self.buf.extend_from_slice(&tmp[..n]);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    return ClientEvent::Nothing
                }
                Err(_) => return ClientEvent::Eof,
            }
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        if b as u64 == CLI_CANCEL {
            ClientEvent::Cancel
        } else {
            ClientEvent::Other
        }
    }

    fn peek_byte(&mut self) -> io::Result<u8> {
        if self.pos >= self.buf.len() {
            self.fill()?;
        }
        Ok(self.buf[self.pos])
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        (&self.stream).write_all(bytes)?;
        (&self.stream).flush()
    }

    /// Half-close, then drain what the client still sends for a moment so
    /// the kernel sends FIN rather than RST (the client can read our answer).
    fn close_gracefully(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let _ = self
            .stream
            .set_read_timeout(Some(Duration::from_millis(50)));
        let deadline = Instant::now() + Duration::from_millis(500);
        let mut tmp = [0u8; 4096];
        while Instant::now() < deadline {
            match self.stream.read(&mut tmp) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    fn close_abruptly(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

impl Read for Conn {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pos >= self.buf.len() {
            self.fill()?;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

struct HelloInfo {
    client_name: String,
    revision: u64,
    database: String,
    user: String,
}

fn exception_packet(code: i32, message: &str) -> Vec<u8> {
    let mut p = Vec::new();
    put_varint(&mut p, SRV_EXCEPTION);
    p.extend_from_slice(&code.to_le_bytes());
    put_str(&mut p, "DB::Exception");
    // Proton writes displayText(), which carries the "DB::Exception: " prefix.
    if message.starts_with("DB::Exception") {
        put_str(&mut p, message);
    } else {
        put_str(&mut p, format!("DB::Exception: {message}"));
    }
    put_str(&mut p, ""); // stack trace
    p.push(0); // has_nested
    p
}

fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
        pos: 0,
        shared: shared.clone(),
    };

    // Wrong-port detection (§A.1).
    match conn.peek_byte() {
        Ok(b'G') | Ok(b'P') => {
            let _ = conn.send(HTTP_PROBE_ANSWER);
            conn.close_gracefully();
            return;
        }
        Ok(_) => {}
        Err(_) => return,
    }
    let hello = match handshake(&mut conn) {
        Ok(Some(h)) => h,
        Ok(None) => {
            conn.close_gracefully();
            return;
        }
        Err(_) => {
            conn.close_abruptly();
            return;
        }
    };

    while let Ok(packet) = read_varint(&mut conn) {
        match packet {
            CLI_QUERY => match run_query(&mut conn, &hello) {
                Ok(true) => {}
                Ok(false) | Err(_) => break,
            },
            CLI_PING => {
                shared.pings.fetch_add(1, Ordering::SeqCst);
                let mut p = Vec::new();
                put_varint(&mut p, SRV_PONG);
                if conn.send(&p).is_err() {
                    break;
                }
            }
            CLI_CANCEL => {} // silently ignored between queries (§A.7)
            _ => break,      // UNKNOWN / UNEXPECTED packet: drop the connection
        }
    }
    conn.close_abruptly();
}

/// Reads client Hello (and addendum), answers. Ok(None) = rejected with an
/// Exception packet already sent.
fn handshake(conn: &mut Conn) -> io::Result<Option<HelloInfo>> {
    if read_varint(conn)? != CLI_HELLO {
        return Err(bad("expected Hello"));
    }
    let client_name = read_str(conn)?;
    let _major = read_varint(conn)?;
    let _minor = read_varint(conn)?;
    let revision = read_varint(conn)?;
    let database = read_str(conn)?;
    let user = read_str(conn)?;
    let password = read_str(conn)?;
    let cfg = &conn.shared.cfg;
    if user.is_empty() {
        let p = exception_packet(
            ERR_UNEXPECTED_PACKET_FROM_CLIENT,
            "Unexpected packet from client (no user in Hello package)",
        );
        conn.send(&p)?;
        return Ok(None);
    }
    let user_ok = cfg.user.iter().all(|u| *u == user);
    let password_ok = cfg.password.iter().all(|p| *p == password);
    if !user_ok || !password_ok {
        let msg = format!("{user}: Authentication failed: password is incorrect, or there is no user with such name.");
        let p = exception_packet(ERR_AUTHENTICATION_FAILED, &msg);
        conn.send(&p)?;
        return Ok(None);
    }
    let mut p = Vec::new();
    put_varint(&mut p, SRV_HELLO);
    put_str(&mut p, SERVER_NAME);
    put_varint(&mut p, VERSION_MAJOR);
    put_varint(&mut p, VERSION_MINOR);
    put_varint(&mut p, SERVER_REVISION);
    if revision >= REV_SERVER_TIMEZONE {
        put_str(&mut p, &cfg.timezone);
    }
    if revision >= REV_SERVER_DISPLAY_NAME {
        put_str(&mut p, &cfg.display_name);
    }
    if revision >= REV_VERSION_PATCH {
        put_varint(&mut p, VERSION_PATCH);
    }
    conn.send(&p)?;
    if revision >= REV_ADDENDUM {
        let _quota_key = read_str(conn)?;
    }
    Ok(Some(HelloInfo {
        client_name,
        revision,
        database,
        user,
    }))
}

fn read_name_values(r: &mut Conn) -> io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    loop {
        let name = read_str(r)?;
        if name.is_empty() {
            return Ok(out);
        }
        let _flags = read_varint(r)?;
        let value = read_str(r)?;
        out.push((name, value));
        if out.len() > 10_000 {
            return Err(bad("too many settings"));
        }
    }
}

/// Parses the Query packet body (after the type varint) per §A.4.
fn read_query_packet(conn: &mut Conn, hello: &HelloInfo) -> io::Result<ReceivedQuery> {
    let rev = hello.revision;
    let mut q = ReceivedQuery {
        client_revision: rev,
        client_name: hello.client_name.clone(),
        user: hello.user.clone(),
        database: hello.database.clone(),
        ..Default::default()
    };
    q.query_id = read_str(conn)?;
    if rev >= REV_CLIENT_INFO {
        q.query_kind = read_u8(conn)?;
        if q.query_kind != 0 {
            let _initial_user = read_str(conn)?;
            let _initial_query_id = read_str(conn)?;
            let _initial_address = read_str(conn)?;
            let _start_time_us = read_u64(conn)?;
            let interface = read_u8(conn)?;
            match interface {
                1 => {
                    let _os_user = read_str(conn)?;
                    let _hostname = read_str(conn)?;
                    let _client_name = read_str(conn)?;
                    let _major = read_varint(conn)?;
                    let _minor = read_varint(conn)?;
                    let _revision = read_varint(conn)?;
                }
                2 => {
                    let _method = read_u8(conn)?;
                    let _user_agent = read_str(conn)?;
                    let _forwarded_for = read_str(conn)?;
                    let _referer = read_str(conn)?;
                }
                _ => return Err(bad("unknown ClientInfo interface")),
            }
            let _quota_key = read_str(conn)?;
            let _distributed_depth = read_varint(conn)?;
            if interface == 1 {
                let _patch = read_varint(conn)?;
            }
            if read_u8(conn)? != 0 {
                let _trace_and_span = read_bytes(conn, 24)?;
                let _tracestate = read_str(conn)?;
                let _flags = read_u8(conn)?;
            }
            let _collaborate_with_initiator = read_varint(conn)?;
            let _count_participating_replicas = read_varint(conn)?;
            let _number_of_current_replica = read_varint(conn)?;
        }
    }
    if rev < REV_SETTINGS_AS_STRINGS {
        // The legacy binary settings format cannot be parsed generically.
        return Err(bad("fixture: client revision below 54429 is not supported"));
    }
    q.settings = read_name_values(conn)?;
    if rev >= REV_INTERSERVER_SECRET {
        let _interserver_hash = read_str(conn)?;
    }
    q.stage = read_varint(conn)?;
    q.compression = match read_varint(conn)? {
        0 => false,
        1 => true,
        _ => return Err(bad("bad compression flag")),
    };
    q.sql = read_str(conn)?;
    if rev >= REV_PARAMETERS {
        q.parameters = read_name_values(conn)?;
    }
    // External tables, terminated by an empty block (the client always
    // sends at least that one).
    for _ in 0..64 {
        if read_varint(conn)? != CLI_DATA {
            return Err(bad("expected the client's empty Data block"));
        }
        let _table = read_str(conn)?;
        let block = if q.compression {
            decode_block_from(&mut FrameReader::new(&mut *conn))?
        } else {
            decode_block_from(conn)?
        };
        if block.columns.is_empty() {
            return Ok(q);
        }
    }
    Err(bad("too many external tables"))
}

/// Ok(true) = keep the connection, Ok(false) = close it.
fn run_query(conn: &mut Conn, hello: &HelloInfo) -> io::Result<bool> {
    let q = read_query_packet(conn, hello)?;
    let shared = conn.shared.clone();
    lock(&shared.queries).push(q.clone());
    shared.active.fetch_add(1, Ordering::SeqCst);

    struct ActiveGuard(Arc<Shared>);
    impl Drop for ActiveGuard {
        fn drop(&mut self) {
            self.0.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let _guard = ActiveGuard(shared.clone());

    let response = match &shared.cfg.handler {
        Some(h) => match catch_unwind(AssertUnwindSafe(|| h(&q))) {
            Ok(Some(r)) => r,
            Ok(None) => builtin_response(&q),
            Err(_) => Response::exception(ERR_FIXTURE, "fixture: the test handler panicked"),
        },
        None => builtin_response(&q),
    };

    let mut run = QueryRun {
        conn,
        shared: shared.clone(),
        compress: q.compression,
        revision: hello.revision,
        columns: None,
        pending_rows: 0,
        pending_bytes: 0,
        rows_sent: 0,
        blocks_sent: 0,
        bytes_sent: 0,
        last_progress: Instant::now(),
        heartbeats: 0,
        cancels: 0,
    };
    let end = run.run(response);
    let cancels = run.cancels;
    lock(&shared.outcomes).push(QueryOutcome {
        query_id: q.query_id.clone(),
        sql: q.sql.clone(),
        end,
        cancels,
    });
    Ok(matches!(
        end,
        QueryEnd::Completed | QueryEnd::Cancelled | QueryEnd::Exception
    ))
}

// ---------------------------------------------------------------------------
// Running a script
// ---------------------------------------------------------------------------

struct QueryRun<'a> {
    conn: &'a mut Conn,
    shared: Arc<Shared>,
    compress: bool,
    revision: u64,
    columns: Option<Vec<(String, String)>>,
    pending_rows: u64,
    pending_bytes: u64,
    rows_sent: u64,
    blocks_sent: u64,
    bytes_sent: u64,
    last_progress: Instant,
    heartbeats: u64,
    cancels: usize,
}

/// Why a script stopped early.
type Flow = Result<(), QueryEnd>;

impl From<io::Error> for QueryEnd {
    fn from(_: io::Error) -> QueryEnd {
        QueryEnd::ClientDisconnected
    }
}

impl QueryRun<'_> {
    fn run(&mut self, resp: Response) -> QueryEnd {
        let ends_itself = matches!(
            resp.steps.last(),
            Some(Step::Exception { .. } | Step::Close)
        );
        for step in resp.steps {
            if let Err(end) = self.step(step) {
                if end == QueryEnd::ClosedByScript || end == QueryEnd::UnexpectedPacket {
                    self.conn.close_abruptly();
                }
                return end;
            }
        }
        if ends_itself {
            return QueryEnd::Completed;
        }
        let r = match resp.ending {
            Ending::Select => self.select_ending(),
            Ending::EndOfStream => self.send_simple(SRV_END_OF_STREAM),
            Ending::Nothing => Ok(()),
        };
        match r {
            Ok(()) => QueryEnd::Completed,
            Err(e) => e,
        }
    }

    fn select_ending(&mut self) -> Flow {
        self.send_profile_info()?;
        self.send_progress()?;
        self.send_profile_events()?;
        self.send_block(SRV_DATA, &empty_block())?;
        self.send_progress()?;
        self.send_simple(SRV_END_OF_STREAM)
    }

    fn step(&mut self, step: Step) -> Flow {
        self.check(None)?;
        match step {
            Step::Header(cols) => {
                let body = self.encode(&cols, &[])?;
                self.columns = Some(cols);
                self.send_block(SRV_DATA, &body)
            }
            Step::Rows(rows) => self.send_rows(SRV_DATA, &rows),
            Step::RawBlock(bytes) => self.send_block(SRV_DATA, &bytes),
            Step::Raw(bytes) => Ok(self.conn.send(&bytes)?),
            Step::Progress {
                read_rows,
                read_bytes,
                total_rows_to_read,
                written_rows,
                written_bytes,
            } => {
                self.pending_rows = 0;
                self.pending_bytes = 0;
                self.send_progress_values([
                    read_rows,
                    read_bytes,
                    total_rows_to_read,
                    written_rows,
                    written_bytes,
                ])
            }
            Step::ProfileEvents => self.send_profile_events(),
            Step::ProfileInfo => self.send_profile_info(),
            Step::Totals(rows) => self.send_rows(SRV_TOTALS, &rows),
            Step::Extremes(rows) => self.send_rows(SRV_EXTREMES, &rows),
            Step::Sleep(d) => self.sleep(d, false),
            Step::Exception { code, message } => {
                self.conn.send(&exception_packet(code, &message))?;
                Err(QueryEnd::Exception)
            }
            Step::Endless {
                columns,
                row_fn,
                rows_per_block,
                interval,
                limit,
            } => self.endless(columns, row_fn, rows_per_block.max(1), interval, limit),
            Step::Idle => loop {
                self.sleep(Duration::from_secs(3600), true)?;
            },
            Step::Close => Err(QueryEnd::ClosedByScript),
        }
    }

    fn endless(
        &mut self,
        columns: Vec<(String, String)>,
        row_fn: RowFn,
        per_block: usize,
        interval: Duration,
        limit: Option<u64>,
    ) -> Flow {
        if self.columns.is_none() {
            self.step(Step::Header(columns))?;
        }
        let mut next_row = 0u64;
        let mut due = Instant::now();
        loop {
            let n = match limit {
                Some(l) if next_row >= l => return Ok(()),
                Some(l) => (per_block as u64).min(l - next_row),
                None => per_block as u64,
            };
            let make = |start: u64| (start..start + n).map(|i| row_fn(i)).collect::<Vec<_>>();
            self.check(Some(&|| make(next_row)))?;
            let now = Instant::now();
            if now >= due {
                self.send_rows(SRV_DATA, &make(next_row))?;
                next_row += n;
                due = if interval.is_zero() {
                    now
                } else {
                    (due + interval).max(now)
                };
            }
            self.maybe_heartbeat()?;
            if !interval.is_zero() {
                let until_due = due.saturating_duration_since(Instant::now());
                thread::sleep(until_due.min(Duration::from_millis(5)));
            }
        }
    }

    /// Waits `d`, watching for Cancel/disconnect; optionally heartbeating.
    fn sleep(&mut self, d: Duration, heartbeats: bool) -> Flow {
        let deadline = Instant::now() + d;
        loop {
            self.check(None)?;
            if heartbeats {
                self.maybe_heartbeat()?;
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            thread::sleep((deadline - now).min(Duration::from_millis(5)));
        }
    }

    /// Polls the client. `in_flight` produces the rows of one more block to
    /// send before answering a Cancel (if `data_after_cancel`).
    fn check(&mut self, in_flight: Option<&dyn Fn() -> Vec<Vec<FValue>>>) -> Flow {
        if self.shared.shutdown.load(Ordering::SeqCst) {
            return Err(QueryEnd::Shutdown);
        }
        match self.conn.poll_event() {
            ClientEvent::Nothing => Ok(()),
            ClientEvent::Eof => Err(QueryEnd::ClientDisconnected),
            ClientEvent::Other => Err(QueryEnd::UnexpectedPacket),
            ClientEvent::Cancel => {
                self.cancels += 1;
                self.shared.cancels.fetch_add(1, Ordering::SeqCst);
                let cfg = self.shared.cfg.clone();
                if cfg.ignore_cancel {
                    return Ok(());
                }
                let deadline = Instant::now() + cfg.cancel_delay;
                while Instant::now() < deadline {
                    if self.shared.shutdown.load(Ordering::SeqCst) {
                        return Err(QueryEnd::Shutdown);
                    }
                    thread::sleep(Duration::from_millis(5));
                }
                if cfg.data_after_cancel {
                    if let Some(f) = in_flight {
                        self.send_rows(SRV_DATA, &f())?;
                    }
                }
                self.send_block(SRV_DATA, &empty_block())?;
                self.send_progress()?;
                self.send_simple(SRV_END_OF_STREAM)?;
                Err(QueryEnd::Cancelled)
            }
        }
    }

    fn maybe_heartbeat(&mut self) -> Flow {
        let cfg = &self.shared.cfg;
        if self.last_progress.elapsed() < cfg.heartbeat_interval {
            return Ok(());
        }
        let (eb, pe) = (
            cfg.empty_block_every as u64,
            cfg.profile_events_every as u64,
        );
        self.send_progress()?;
        self.heartbeats += 1;
        if self.heartbeats.checked_rem(pe) == Some(0) {
            self.send_profile_events()?;
        }
        if self.heartbeats.checked_rem(eb) == Some(0) && self.columns.is_some() {
            self.send_rows(SRV_DATA, &[])?;
        }
        Ok(())
    }

    fn encode(&self, cols: &[(String, String)], rows: &[Vec<FValue>]) -> Result<Vec<u8>, QueryEnd> {
        match try_encode_rows(cols, rows) {
            Ok(b) => Ok(b),
            Err(msg) => {
                let _ = self.conn_send_exception(ERR_FIXTURE, &msg);
                Err(QueryEnd::Exception)
            }
        }
    }

    fn conn_send_exception(&self, code: i32, msg: &str) -> io::Result<()> {
        (&self.conn.stream).write_all(&exception_packet(code, msg))
    }

    fn send_rows(&mut self, ptype: u64, rows: &[Vec<FValue>]) -> Flow {
        let Some(cols) = self.columns.clone() else {
            let _ =
                self.conn_send_exception(ERR_FIXTURE, "fixture: rows sent before any Header step");
            return Err(QueryEnd::Exception);
        };
        let body = self.encode(&cols, rows)?;
        if ptype == SRV_DATA && !rows.is_empty() {
            self.pending_rows += rows.len() as u64;
            self.pending_bytes += body.len() as u64;
            self.rows_sent += rows.len() as u64;
            self.blocks_sent += 1;
            self.bytes_sent += body.len() as u64;
        }
        self.send_block(ptype, &body)
    }

    /// Data/Totals/Extremes/ProfileEvents packet: type, "" table name, block
    /// (compressed when asked, except ProfileEvents/Log).
    fn send_block(&mut self, ptype: u64, body: &[u8]) -> Flow {
        let mut p = Vec::with_capacity(body.len() + 64);
        put_varint(&mut p, ptype);
        put_str(&mut p, "");
        if self.compress && ptype != SRV_PROFILE_EVENTS && ptype != SRV_LOG {
            p.extend(compress_frames(body, self.shared.cfg.corrupt_checksums));
        } else {
            p.extend_from_slice(body);
        }
        Ok(self.conn.send(&p)?)
    }

    fn send_simple(&mut self, ptype: u64) -> Flow {
        let mut p = Vec::new();
        put_varint(&mut p, ptype);
        Ok(self.conn.send(&p)?)
    }

    /// Progress with the pending increments (all zero when idle).
    fn send_progress(&mut self) -> Flow {
        let v = [self.pending_rows, self.pending_bytes, 0, 0, 0];
        self.pending_rows = 0;
        self.pending_bytes = 0;
        self.send_progress_values(v)
    }

    fn send_progress_values(&mut self, v: [u64; 5]) -> Flow {
        let mut p = Vec::new();
        put_varint(&mut p, SRV_PROGRESS);
        for x in v {
            put_varint(&mut p, x);
        }
        self.last_progress = Instant::now();
        Ok(self.conn.send(&p)?)
    }

    fn send_profile_info(&mut self) -> Flow {
        let mut p = Vec::new();
        put_varint(&mut p, SRV_PROFILE_INFO);
        put_varint(&mut p, self.rows_sent);
        put_varint(&mut p, self.blocks_sent);
        put_varint(&mut p, self.bytes_sent);
        p.push(0); // applied_limit
        put_varint(&mut p, 0); // rows_before_limit
        p.push(0); // calculated_rows_before_limit
        Ok(self.conn.send(&p)?)
    }

    fn send_profile_events(&mut self) -> Flow {
        if self.revision < REV_PROFILE_EVENTS {
            return Ok(());
        }
        let body = profile_events_block(&self.shared.cfg.display_name, self.rows_sent);
        self.send_block(SRV_PROFILE_EVENTS, &body)
    }
}

/// A sample ProfileEvents block (§A.6 column layout).
pub fn profile_events_block(host: &str, selected_rows: u64) -> Vec<u8> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let n = 2;
    encode_block(&[
        ("host_name", "string", vec![FValue::str(host); n]),
        ("current_time", "datetime", vec![FValue::UInt(now); n]),
        ("thread_id", "uint64", vec![FValue::UInt(1); n]),
        (
            "type",
            PROFILE_EVENTS_TYPE,
            vec![FValue::str("increment"), FValue::str("gauge")],
        ),
        (
            "name",
            "string",
            vec![
                FValue::str("SelectedRows"),
                FValue::str("MemoryTrackerUsage"),
            ],
        ),
        (
            "value",
            "int64",
            vec![FValue::Int(selected_rows as i64), FValue::Int(4 << 20)],
        ),
    ])
}

// ---------------------------------------------------------------------------
// Built-in canned queries
// ---------------------------------------------------------------------------

/// Streams the built-in router knows.
pub const BUILTIN_STREAMS: &[&str] = &[
    "ticker",
    "idle",
    "numbers_fast",
    "profile_demo",
    "tp_stream",
];

const KEYWORDS: &[&str] = &[
    "select", "with", "show", "describe", "desc", "explain", "create", "drop", "insert", "set",
    "use", "alter", "optimize", "kill", "truncate", "system", "rename",
];

/// Trim, drop leading comments and trailing `;`, collapse whitespace.
/// (Case is kept; compare lowercase.)
pub fn normalize_sql(sql: &str) -> String {
    let mut s = sql.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    let mut s = s.trim_end();
    while let Some(x) = s.strip_suffix(';') {
        s = x.trim_end();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The name after FROM (without database prefix or quotes), if any.
fn from_target(lower: &str) -> Option<(String, String)> {
    let idx = lower.find(" from ")?;
    let rest = &lower[idx + 6..];
    if rest.starts_with('(') {
        return None;
    }
    let tok: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | ',' | ')'))
        .collect();
    let tok = tok.replace(['`', '"'], "");
    Some(match tok.split_once('.') {
        Some((db, name)) => (db.to_string(), name.to_string()),
        None => ("default".to_string(), tok),
    })
}

/// The built-in router (also usable from a custom handler as a fallback).
pub fn builtin_response(q: &ReceivedQuery) -> Response {
    let norm = normalize_sql(&q.sql);
    let lower = norm.to_lowercase();
    if lower.is_empty() {
        return Response::exception(ERR_SYNTAX_ERROR, "Empty query");
    }
    let first = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("");
    if !KEYWORDS.contains(&first) {
        let tok = norm.split_whitespace().next().unwrap_or("");
        return Response::exception(
            ERR_SYNTAX_ERROR,
            format!(
                "Syntax error: failed at position 1 ('{tok}'): {norm}. Expected one of: Query, SELECT query, \
                 WITH, SELECT, SHOW, DESCRIBE, CREATE, DROP, INSERT, SET, USE, ALTER, OPTIMIZE"
            ),
        );
    }
    match first {
        "create" | "drop" | "alter" | "set" | "use" | "optimize" | "kill" | "truncate"
        | "system" | "rename" => return Response::ddl(),
        "insert" => {
            let rows = lower
                .find(" values")
                .map_or(1, |i| count_tuples(&lower[i..]));
            return Response::insert(rows, rows * 8);
        }
        "explain" => {
            return Response::table(&[("explain", "string")], vec![vec!["fixture plan".into()]])
        }
        "show" => {
            let names: Vec<&str> = if lower.starts_with("show databases") {
                vec!["default", "system"]
            } else if lower.starts_with("show streams") || lower.starts_with("show tables") {
                BUILTIN_STREAMS.to_vec()
            } else {
                vec![]
            };
            return Response::table(
                &[("name", "string")],
                names.into_iter().map(|n| vec![n.into()]).collect(),
            );
        }
        _ => {}
    }
    // SELECT / WITH / DESCRIBE.
    if lower == "select 1" {
        return Response::table(&[("1", "uint8")], vec![vec![FValue::UInt(1)]]);
    }
    if lower == "select version()" {
        return Response::table(&[("version()", "string")], vec![vec!["1.6.1".into()]]);
    }
    if first == "describe" || first == "desc" {
        let name = lower
            .split_whitespace()
            .last()
            .unwrap_or("")
            .replace(['`', '"'], "");
        let name = name.rsplit('.').next().unwrap_or("").to_string();
        return match stream_columns(&name) {
            Some(cols) => Response::table(
                &[("name", "string"), ("type", "string")],
                cols.iter()
                    .map(|(n, t)| vec![(*n).into(), (*t).into()])
                    .collect(),
            ),
            None => unknown_stream("default", &name),
        };
    }
    if first == "select" {
        if let Some(r) = select_literal(norm["select ".len().min(norm.len())..].trim()) {
            return r;
        }
    }
    let Some((db, stream)) = from_target(&lower) else {
        return Response::exception(
            ERR_UNKNOWN_IDENTIFIER,
            format!("fixture: unsupported query: {norm}"),
        );
    };
    if (db != "default" && db != "system") || !BUILTIN_STREAMS.contains(&stream.as_str()) {
        return unknown_stream(&db, &stream);
    }
    // `SELECT * FROM [default.]<stream> [LIMIT n]`
    let prefix = format!("select * from {db}.{stream}");
    let canonical = lower.replacen(&format!("select * from {stream}"), &prefix, 1);
    let Some(rest) = canonical.strip_prefix(&prefix) else {
        return Response::exception(
            ERR_UNKNOWN_IDENTIFIER,
            format!("fixture: unsupported query: {norm}"),
        );
    };
    let limit = match rest.trim() {
        "" => None,
        r => match r
            .strip_prefix("limit ")
            .and_then(|n| n.trim().parse::<u64>().ok())
        {
            Some(n) => Some(n),
            None => {
                return Response::exception(
                    ERR_UNKNOWN_IDENTIFIER,
                    format!("fixture: unsupported query: {norm}"),
                )
            }
        },
    };
    canned_stream(&stream, limit)
}

fn unknown_stream(db: &str, name: &str) -> Response {
    Response::exception(
        ERR_UNKNOWN_STREAM,
        format!("Stream {db}.{name} doesn't exist"),
    )
}

fn count_tuples(s: &str) -> u64 {
    let (mut depth, mut n, mut quoted) = (0i32, 0u64, false);
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '\'' if prev != '\\' => quoted = !quoted,
            '(' if !quoted => {
                if depth == 0 {
                    n += 1;
                }
                depth += 1;
            }
            ')' if !quoted => depth -= 1,
            _ => {}
        }
        prev = c;
    }
    n.max(1)
}

fn select_literal(expr: &str) -> Option<Response> {
    if !expr.is_empty() && expr.bytes().all(|b| b.is_ascii_digit()) {
        let v: u64 = expr.parse().ok()?;
        let t = match v {
            0..=0xff => "uint8",
            0x100..=0xffff => "uint16",
            0x1_0000..=0xffff_ffff => "uint32",
            _ => "uint64",
        };
        return Some(Response::table(&[(expr, t)], vec![vec![FValue::UInt(v)]]));
    }
    let inner = expr.strip_prefix('\'')?.strip_suffix('\'')?;
    if inner.contains('\'') {
        return None;
    }
    Some(Response::table(
        &[(expr, "string")],
        vec![vec![inner.into()]],
    ))
}

fn stream_columns(name: &str) -> Option<Vec<(&'static str, &'static str)>> {
    Some(match name {
        "ticker" => vec![("n", "uint64"), ("s", "string")],
        "idle" => vec![("x", "string")],
        "numbers_fast" => vec![("number", "uint64")],
        "profile_demo" => vec![("id", "uint64"), ("name", "string")],
        "tp_stream" => vec![
            ("_tp_time", "datetime64(3, 'UTC')"),
            ("id", "int64"),
            ("v", "string"),
        ],
        _ => return None,
    })
}

fn canned_stream(name: &str, limit: Option<u64>) -> Response {
    let cols = stream_columns(name).unwrap_or_default();
    match name {
        "ticker" => Response::new(vec![Step::endless(
            &cols,
            1,
            Duration::from_millis(20),
            limit,
            |n| vec![FValue::UInt(n), FValue::Str(format!("row-{n}"))],
        )]),
        "idle" => Response::new(vec![Step::header(&cols), Step::Idle]),
        "numbers_fast" => Response::new(vec![Step::endless(
            &cols,
            65536,
            Duration::ZERO,
            limit,
            |n| vec![FValue::UInt(n)],
        )]),
        "profile_demo" => Response::new(vec![
            Step::header(&cols),
            Step::Rows(vec![
                vec![1u64.into(), "a".into()],
                vec![2u64.into(), "b".into()],
            ]),
            Step::Progress {
                read_rows: 2,
                read_bytes: 36,
                total_rows_to_read: 4,
                written_rows: 0,
                written_bytes: 0,
            },
            Step::ProfileEvents,
            Step::Rows(vec![
                vec![3u64.into(), "c".into()],
                vec![4u64.into(), "d".into()],
            ]),
            Step::progress(2, 36),
            Step::Totals(vec![vec![10u64.into(), "".into()]]),
            Step::Extremes(vec![
                vec![1u64.into(), "a".into()],
                vec![4u64.into(), "d".into()],
            ]),
        ]),
        "tp_stream" => {
            let base: i64 = 1_700_000_000_000;
            let rows = (0..3i64)
                .take(limit.unwrap_or(3) as usize)
                .map(|i| {
                    vec![
                        FValue::Int(base + i * 1000),
                        FValue::Int(i + 1),
                        FValue::Str(format!("v{}", i + 1)),
                    ]
                })
                .collect();
            Response::table(&cols, rows)
        }
        _ => unknown_stream("default", name),
    }
}
