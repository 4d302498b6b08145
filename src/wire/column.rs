//! Blocks and typed columns decoded from the native format (column-oriented, as the server sends them).

use super::error::{Error, Result};
use super::io::{
    read_exact_vec, read_into, read_string, read_u64_le, read_u8, read_varint, MAX_ROWS,
};
use super::limits::{overflow, Budget, Counted, DecodeLimits};
use super::types::{decimal_width, TypeDesc, MAX_TYPE_DEPTH};
use super::value::{json_path_levels, JSON_LEVEL_COST};
use chrono_tz::Tz;
use std::io::BufRead;
use std::sync::Arc;

/// Column storage. Fixed-width values keep their little-endian wire bytes; formatting reads them in place.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Fixed {
        width: usize,
        bytes: Vec<u8>,
    },
    /// `offsets[i]..offsets[i + 1]` is row `i` in `bytes`; `offsets.len() == rows + 1`.
    Str {
        offsets: Vec<usize>,
        bytes: Vec<u8>,
    },
    Nullable {
        nulls: Vec<u8>,
        inner: Box<Data>,
    },
    /// Cumulative end offsets into `inner`, one per row.
    Array {
        offsets: Vec<u64>,
        inner: Box<Data>,
    },
    Tuple(Vec<Data>),
    /// Dictionary and one index per row. For nullable keys, index 0 means NULL.
    LowCard {
        dict: Box<Data>,
        keys: Vec<u64>,
    },
    Nothing,
    /// `variant`/`dynamic`: per row the alternative (255 = NULL) and the row's index within
    /// that alternative's column.
    Variant {
        discriminators: Vec<u8>,
        index: Vec<usize>,
        alternatives: Vec<Data>,
    },
}

impl Data {
    /// Bytes the decoded values hold (element bytes and 8 per offset, key or index): what a
    /// caller keeping many blocks accounts for.
    pub fn size_bytes(&self) -> u64 {
        let words = |n: usize| (n as u64).saturating_mul(8);
        match self {
            Data::Fixed { bytes, .. } => bytes.len() as u64,
            Data::Str { offsets, bytes } => words(offsets.len()).saturating_add(bytes.len() as u64),
            Data::Nullable { nulls, inner } => {
                (nulls.len() as u64).saturating_add(inner.size_bytes())
            }
            Data::Array { offsets, inner } => {
                words(offsets.len()).saturating_add(inner.size_bytes())
            }
            Data::Tuple(items) => items
                .iter()
                .fold(0, |n, d| n.saturating_add(d.size_bytes())),
            Data::LowCard { dict, keys } => words(keys.len()).saturating_add(dict.size_bytes()),
            Data::Nothing => 0,
            Data::Variant {
                discriminators,
                index,
                alternatives,
            } => alternatives.iter().fold(
                (discriminators.len() as u64).saturating_add(words(index.len())),
                |n, d| n.saturating_add(d.size_bytes()),
            ),
        }
    }
}

/// How `json` columns are laid out: it cannot be told from the bytes (both start with 0 or 1),
/// so the connection decides from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonLayout {
    /// Proton 1.x: `u8` kind, then a concrete tuple type (0) or JSON text (1).
    #[default]
    V1,
    /// Proton 3.x (ClickHouse's new JSON): `u64` version, then the object form
    /// (0, or 2 without `max_dynamic_paths`) or JSON text (1).
    V3,
}

/// One decoded column of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// The type name exactly as the server sent it.
    pub type_name: String,
    /// The parsed type, with `json` resolved to its concrete tuple and timezones filled in.
    pub ty: Arc<TypeDesc>,
    pub data: Data,
    pub rows: usize,
}

/// A block of rows (or, with zero rows, just a header).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub columns: Vec<Column>,
    pub rows: usize,
}

impl Block {
    /// The 0-column, 0-row block that marks the end of the data.
    pub fn is_end_marker(&self) -> bool {
        self.columns.is_empty() && self.rows == 0
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Bytes the block's column values hold (see [`Data::size_bytes`]).
    pub fn size_bytes(&self) -> u64 {
        self.columns
            .iter()
            .fold(0, |n, c| n.saturating_add(c.data.size_bytes()))
    }
}

/// Decoding context: what a column's type cannot say by itself.
#[derive(Debug, Clone, Copy)]
pub struct DecodeCtx {
    /// Timezone of `datetime` columns that name none.
    pub server_tz: Tz,
}

/// Most elements reserved ahead of the bytes that justify them; vectors grow past this as data arrives.
const RESERVE: usize = 1 << 16;

/// Read a block (BlockInfo, then columns) as it follows a Data packet's table name,
/// within the default [`DecodeLimits`] measured against the bytes read from `r`.
pub fn read_block<R: BufRead>(r: &mut R, ctx: &DecodeCtx) -> Result<Block> {
    let budget = Budget::new(DecodeLimits::default());
    read_block_within(&mut Counted::new(r, &budget), ctx, &budget)
}

/// Read a block, charging its cost to `budget` (whose wire count the caller's reader keeps).
/// `json` columns are read in the 1.x layout.
pub fn read_block_within<R: BufRead>(r: &mut R, ctx: &DecodeCtx, budget: &Budget) -> Result<Block> {
    read_block_layout(r, ctx, budget, JsonLayout::V1)
}

/// Read a block as [`read_block_within`] does, with `json` columns in `layout`.
pub fn read_block_layout<R: BufRead>(
    r: &mut R,
    ctx: &DecodeCtx,
    budget: &Budget,
    layout: JsonLayout,
) -> Result<Block> {
    // BlockInfo: field 1 is_overflows (u8), field 2 bucket_num (i32), 0 ends it.
    loop {
        match read_varint(r)? {
            0 => break,
            1 => {
                read_u8(r)?;
            }
            2 => {
                let mut b = [0u8; 4];
                std::io::Read::read_exact(r, &mut b).map_err(super::io::io_err)?;
            }
            n => return Err(Error::Protocol(format!("unknown BlockInfo field {n}"))),
        }
    }
    let ncols = read_varint(r)?;
    let nrows = read_varint(r)?;
    if ncols > 100_000 {
        return Err(Error::Protocol(format!("block declares {ncols} columns")));
    }
    if nrows > MAX_ROWS {
        return Err(Error::Protocol(format!("block declares {nrows} rows")));
    }
    let rows = nrows as usize;
    let mut columns = Vec::with_capacity((ncols as usize).min(1024));
    for _ in 0..ncols {
        let name = read_string(r)?;
        let type_name = read_string(r)?;
        let declared = TypeDesc::parse(&type_name)?;
        let (ty, data) = if rows > 0 {
            let ty = read_prefix(r, &declared, 0, layout)?;
            let ty = with_server_tz(ty, ctx.server_tz);
            let data = read_data(r, &ty, rows, budget)?;
            // JSON output repeats the column name on every row.
            budget.charge_mul(rows as u64, name.len() as u64)?;
            (ty, data)
        } else {
            (with_server_tz(declared, ctx.server_tz), empty_data())
        };
        columns.push(Column {
            name,
            type_name,
            ty: Arc::new(ty),
            data,
            rows,
        });
    }
    // Every row renders as at least a line, even with no columns (which cost no input);
    // charged last, when the wire count includes the rows' data.
    budget.charge(nrows)?;
    Ok(Block { columns, rows })
}

fn empty_data() -> Data {
    Data::Fixed {
        width: 0,
        bytes: Vec::new(),
    }
}

/// Fill in the server timezone where the type names none, so display needs no context.
fn with_server_tz(ty: TypeDesc, tz: Tz) -> TypeDesc {
    map_type(ty, &|t| match t {
        TypeDesc::DateTime(None) => TypeDesc::DateTime(Some(tz)),
        TypeDesc::DateTime64 {
            precision,
            tz: None,
        } => TypeDesc::DateTime64 {
            precision,
            tz: Some(tz),
        },
        other => other,
    })
}

fn map_type(ty: TypeDesc, f: &dyn Fn(TypeDesc) -> TypeDesc) -> TypeDesc {
    let b = |t: Box<TypeDesc>| Box::new(map_type(*t, f));
    f(match ty {
        TypeDesc::Nullable(t) => TypeDesc::Nullable(b(t)),
        TypeDesc::LowCardinality(t) => TypeDesc::LowCardinality(b(t)),
        TypeDesc::Array(t) => TypeDesc::Array(b(t)),
        TypeDesc::Map(k, v) => TypeDesc::Map(b(k), b(v)),
        TypeDesc::Tuple(items) => TypeDesc::Tuple(
            items
                .into_iter()
                .map(|(n, t)| (n, map_type(t, f)))
                .collect(),
        ),
        TypeDesc::Nested(items) => TypeDesc::Nested(
            items
                .into_iter()
                .map(|(n, t)| (n, map_type(t, f)))
                .collect(),
        ),
        TypeDesc::JsonTuple(t) => TypeDesc::JsonTuple(b(t)),
        TypeDesc::Variant(alts) => {
            TypeDesc::Variant(alts.into_iter().map(|t| map_type(t, f)).collect())
        }
        TypeDesc::JsonObject(paths) => TypeDesc::JsonObject(
            paths
                .into_iter()
                .map(|(n, t)| (n, map_type(t, f)))
                .collect(),
        ),
        other => other,
    })
}

/// Read the serialization prefixes that precede column data (low_cardinality key version,
/// json's concrete type), and return the type the data is then read with.
fn read_prefix<R: BufRead>(
    r: &mut R,
    ty: &TypeDesc,
    depth: usize,
    layout: JsonLayout,
) -> Result<TypeDesc> {
    if depth > MAX_TYPE_DEPTH {
        return Err(Error::Protocol(format!(
            "column type nests deeper than the limit of {MAX_TYPE_DEPTH} levels"
        )));
    }
    let d = depth + 1;
    Ok(match ty {
        TypeDesc::LowCardinality(inner) => {
            let version = read_u64_le(r)?;
            if version != 1 {
                return Err(Error::Protocol(format!(
                    "low_cardinality key version {version}, expected 1"
                )));
            }
            TypeDesc::LowCardinality(inner.clone())
        }
        TypeDesc::Nullable(t) => TypeDesc::Nullable(Box::new(read_prefix(r, t, d, layout)?)),
        TypeDesc::Array(t) => TypeDesc::Array(Box::new(read_prefix(r, t, d, layout)?)),
        TypeDesc::Map(k, v) => {
            let k = read_prefix(r, k, d, layout)?;
            TypeDesc::Map(Box::new(k), Box::new(read_prefix(r, v, d, layout)?))
        }
        TypeDesc::Tuple(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (n, t) in items {
                out.push((n.clone(), read_prefix(r, t, d, layout)?));
            }
            TypeDesc::Tuple(out)
        }
        TypeDesc::Nested(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (n, t) in items {
                out.push((n.clone(), read_prefix(r, t, d, layout)?));
            }
            TypeDesc::Nested(out)
        }
        TypeDesc::Json if layout == JsonLayout::V3 => read_json3_prefix(r, &[], d, layout)?,
        TypeDesc::Json3(typed) => read_json3_prefix(r, typed, d, layout)?,
        TypeDesc::Variant(alts) => {
            read_variant_mode(r)?;
            let mut out = Vec::with_capacity(alts.len());
            for t in alts {
                out.push(read_prefix(r, t, d, layout)?);
            }
            TypeDesc::Variant(out)
        }
        TypeDesc::Dynamic => read_dynamic_prefix(r, d, layout)?,
        TypeDesc::Json => match read_u8(r)? {
            0 => {
                let name = read_string(r)?;
                // Counts towards the same nesting limit as the type it sits in.
                let tuple = TypeDesc::parse_at_depth(&name, d)?;
                if !matches!(tuple, TypeDesc::Tuple(_)) {
                    return Err(Error::Protocol(format!(
                        "json column carries non-tuple type {name}"
                    )));
                }
                TypeDesc::JsonTuple(Box::new(read_prefix(r, &tuple, d, layout)?))
            }
            1 => TypeDesc::String,
            k => {
                return Err(Error::Protocol(format!(
                    "unknown json serialization kind {k}"
                )))
            }
        },
        other => other.clone(),
    })
}

/// Most types a `dynamic` column may name (discriminators are a byte; 255 is NULL and one
/// more is the shared variant).
const MAX_DYNAMIC_TYPES: u64 = 254;
/// Most dynamic paths a 3.x `json` column may declare in one block (ClickHouse caps
/// `max_dynamic_paths` at 10 000).
const MAX_JSON_PATHS: u64 = 100_000;

fn read_variant_mode<R: BufRead>(r: &mut R) -> Result<()> {
    match read_u64_le(r)? {
        0 => Ok(()),
        m => Err(Error::Protocol(format!(
            "variant discriminators mode {m}, expected 0 (basic)"
        ))),
    }
}

/// The `dynamic` prefix: structure version (1 with `max_types`, 2 without), the type names,
/// then the variant prefix over those types and the shared variant, sorted by name.
fn read_dynamic_prefix<R: BufRead>(
    r: &mut R,
    depth: usize,
    layout: JsonLayout,
) -> Result<TypeDesc> {
    if depth > MAX_TYPE_DEPTH {
        return Err(Error::Protocol(format!(
            "column type nests deeper than the limit of {MAX_TYPE_DEPTH} levels"
        )));
    }
    match read_u64_le(r)? {
        1 => {
            read_varint(r)?; // max_types
        }
        2 => {}
        v => {
            return Err(Error::Protocol(format!(
                "dynamic serialization version {v}, expected 1 or 2"
            )))
        }
    }
    let n = read_varint(r)?;
    if n > MAX_DYNAMIC_TYPES {
        return Err(Error::Protocol(format!("dynamic column of {n} types")));
    }
    let mut named = Vec::with_capacity(n as usize + 1);
    for _ in 0..n {
        let name = read_string(r)?;
        let ty = TypeDesc::parse_at_depth(&name, depth)?;
        named.push((name, ty));
    }
    // The shared variant in the server's spelling (ClickHouse: CamelCase, Proton: snake_case),
    // so that the sort below matches the server's own.
    let camel = named
        .iter()
        .any(|(n, _)| n.starts_with(|c: char| c.is_ascii_uppercase()));
    let shared = if camel {
        "SharedVariant"
    } else {
        "shared_variant"
    };
    named.push((shared.to_string(), TypeDesc::SharedVariant));
    named.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    read_variant_mode(r)?;
    let mut alts = Vec::with_capacity(named.len());
    for (_, t) in &named {
        alts.push(read_prefix(r, t, depth + 1, layout)?);
    }
    Ok(TypeDesc::Variant(alts))
}

/// The 3.x `json` prefix: `u64` version; 1 is the string form, 0 and 2 the object form:
/// [varuint max_dynamic_paths (0 only)], varuint P, P path names, the typed paths' prefixes,
/// P `dynamic` prefixes (the shared data, an array of string pairs, has none).
fn read_json3_prefix<R: BufRead>(
    r: &mut R,
    typed: &[(String, TypeDesc)],
    depth: usize,
    layout: JsonLayout,
) -> Result<TypeDesc> {
    let version = read_u64_le(r)?;
    match version {
        1 => return Ok(TypeDesc::JsonText),
        0 => {
            read_varint(r)?; // max_dynamic_paths
        }
        2 => {}
        v => {
            return Err(Error::Protocol(format!(
                "json serialization version {v}, expected 0, 1 or 2"
            )))
        }
    }
    let n = read_varint(r)?;
    if n > MAX_JSON_PATHS {
        return Err(Error::Protocol(format!("json column of {n} dynamic paths")));
    }
    let mut names = Vec::with_capacity((n as usize).min(1024));
    for _ in 0..n {
        names.push(read_string(r)?);
    }
    let mut paths = Vec::with_capacity(typed.len() + names.len());
    for (p, t) in typed {
        paths.push((p.clone(), read_prefix(r, t, depth, layout)?));
    }
    for p in names {
        paths.push((p, read_dynamic_prefix(r, depth, layout)?));
    }
    Ok(TypeDesc::JsonObject(paths))
}

/// Bytes per value for fixed-width types.
pub fn fixed_width(ty: &TypeDesc) -> Option<usize> {
    Some(match ty {
        TypeDesc::Int { bits, .. } => *bits as usize / 8,
        TypeDesc::Float32 => 4,
        TypeDesc::Float64 => 8,
        TypeDesc::Bool => 1,
        TypeDesc::Decimal { precision, .. } => decimal_width(*precision),
        TypeDesc::FixedString(n) => *n,
        TypeDesc::Date => 2,
        TypeDesc::Date32 => 4,
        TypeDesc::DateTime(_) => 4,
        TypeDesc::DateTime64 { .. } => 8,
        TypeDesc::Uuid => 16,
        TypeDesc::Ipv4 => 4,
        TypeDesc::Ipv6 => 16,
        TypeDesc::Enum8(_) => 1,
        TypeDesc::Enum16(_) => 2,
        TypeDesc::Interval(_) => 8,
        _ => return None,
    })
}

fn read_data<R: BufRead>(r: &mut R, ty: &TypeDesc, rows: usize, budget: &Budget) -> Result<Data> {
    if let Some(width) = fixed_width(ty) {
        // Zero-width types are refused when parsed; every row costs at least one input byte.
        let n = (rows as u64)
            .checked_mul(width as u64)
            .ok_or_else(overflow)?;
        let bytes = read_exact_vec(r, n, "column data")?;
        if let TypeDesc::Enum8(items) | TypeDesc::Enum16(items) = ty {
            // Each value is shown as its name.
            let longest = items.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            budget.charge_mul(rows as u64, longest as u64)?;
        }
        return Ok(Data::Fixed { width, bytes });
    }
    Ok(match ty {
        TypeDesc::String => read_strings(r, rows, budget)?,
        TypeDesc::Nothing => {
            read_exact_vec(r, rows as u64, "nothing column")?;
            Data::Nothing
        }
        TypeDesc::Nullable(t) => {
            let nulls = read_exact_vec(r, rows as u64, "null map")?;
            Data::Nullable {
                nulls,
                inner: Box::new(read_data(r, t, rows, budget)?),
            }
        }
        TypeDesc::Array(t) => read_array(r, rows, |r, n| read_data(r, t, n, budget))?,
        TypeDesc::Map(k, v) => read_array(r, rows, |r, n| {
            let keys = read_data(r, k, n, budget)?;
            Ok(Data::Tuple(vec![keys, read_data(r, v, n, budget)?]))
        })?,
        TypeDesc::Nested(items) => read_array(r, rows, |r, n| {
            let mut cols = Vec::with_capacity(items.len());
            for (name, t) in items {
                cols.push(read_data(r, t, n, budget)?);
                budget.charge_mul(n as u64, name.len() as u64)?;
            }
            Ok(Data::Tuple(cols))
        })?,
        TypeDesc::Tuple(items) => {
            let mut cols = Vec::with_capacity(items.len());
            for (name, t) in items {
                cols.push(read_data(r, t, rows, budget)?);
                // JSON output names a named tuple's elements on every row.
                let name_len = name.as_ref().map_or(0, |n| n.len());
                budget.charge_mul(rows as u64, name_len as u64)?;
            }
            Data::Tuple(cols)
        }
        TypeDesc::JsonTuple(t) => read_data(r, t, rows, budget)?,
        TypeDesc::Variant(alts) => read_variant(r, alts, rows, budget)?,
        TypeDesc::SharedVariant | TypeDesc::JsonText => read_strings(r, rows, budget)?,
        TypeDesc::JsonObject(paths) => {
            // Each row renders through a tree of its paths' levels (built and dropped one
            // row at a time): charged once, for the largest row a column can hold. A row
            // may set every typed and dynamic path.
            let levels = paths.iter().fold(0u64, |n, (name, _)| {
                n.saturating_add(json_path_levels(name.as_bytes()))
            });
            budget.charge_mul(levels, JSON_LEVEL_COST)?;
            let mut cols = Vec::with_capacity(paths.len() + 1);
            for (name, t) in paths {
                cols.push(read_data(r, t, rows, budget)?);
                // The object repeats each path on every row.
                budget.charge_mul(rows as u64, name.len() as u64 + 4)?;
            }
            // Shared data: array(tuple(path string, value string)).
            let shared = read_array(r, rows, |r, n| {
                let paths = read_strings(r, n, budget)?;
                Ok(Data::Tuple(vec![paths, read_strings(r, n, budget)?]))
            })?;
            budget.charge_mul(most_shared_levels(&shared), JSON_LEVEL_COST)?;
            cols.push(shared);
            Data::Tuple(cols)
        }
        TypeDesc::Dynamic | TypeDesc::Json3(_) => {
            return Err(Error::Protocol(format!("{ty} column without its prefix")))
        }
        TypeDesc::LowCardinality(t) => read_low_cardinality(r, t, rows, budget)?,
        TypeDesc::Json => return Err(Error::Protocol("json column without its prefix".into())),
        other => return Err(Error::UnknownType(other.to_string())),
    })
}

/// The most tree levels one row's json shared-data paths make.
fn most_shared_levels(shared: &Data) -> u64 {
    let Data::Array { offsets, inner } = shared else {
        return 0;
    };
    let Some(Data::Str {
        offsets: ends,
        bytes,
    }) = (match inner.as_ref() {
        Data::Tuple(kv) => kv.first(),
        _ => None,
    })
    else {
        return 0;
    };
    let path = |i: usize| -> &[u8] {
        match (ends.get(i), ends.get(i + 1)) {
            (Some(&a), Some(&b)) => bytes.get(a..b).unwrap_or_default(),
            _ => &[],
        }
    };
    let (mut start, mut most) = (0usize, 0u64);
    for &end in offsets {
        let end = end as usize;
        let row = (start..end).fold(0u64, |n, i| n.saturating_add(json_path_levels(path(i))));
        most = most.max(row);
        start = end;
    }
    most
}

/// Variant data: a discriminator byte per row, then each alternative's column holding
/// exactly the rows that chose it.
fn read_variant<R: BufRead>(
    r: &mut R,
    alts: &[TypeDesc],
    rows: usize,
    budget: &Budget,
) -> Result<Data> {
    let discriminators = read_exact_vec(r, rows as u64, "variant discriminators")?;
    // Each row keeps an index into its alternative for as little as one input byte.
    budget.charge_mul(rows as u64, std::mem::size_of::<usize>() as u64)?;
    let mut counts = vec![0usize; alts.len()];
    let mut index = Vec::with_capacity(rows.min(RESERVE));
    for &d in &discriminators {
        if d == NULL_DISCRIMINATOR {
            index.push(0);
            continue;
        }
        let c = counts.get_mut(d as usize).ok_or_else(|| {
            Error::Protocol(format!(
                "variant discriminator {d} for a variant of {} types",
                alts.len()
            ))
        })?;
        index.push(*c);
        *c += 1;
    }
    let mut alternatives = Vec::with_capacity(alts.len());
    for (t, &n) in alts.iter().zip(&counts) {
        alternatives.push(if n == 0 {
            empty_data()
        } else {
            read_data(r, t, n, budget)?
        });
    }
    Ok(Data::Variant {
        discriminators,
        index,
        alternatives,
    })
}

/// The discriminator of a NULL row in variant data.
pub const NULL_DISCRIMINATOR: u8 = 255;

/// Rows between budget checks in per-row loops (cheap, and bounds the overshoot).
const CHARGE_EVERY: usize = 4096;

fn read_strings<R: BufRead>(r: &mut R, rows: usize, budget: &Budget) -> Result<Data> {
    let mut offsets = Vec::with_capacity(rows.min(RESERVE) + 1);
    let mut bytes = Vec::new();
    offsets.push(0);
    let mut done = 0;
    while done < rows {
        // Each row keeps an 8-byte offset for as little as one input byte: charged a batch
        // of rows ahead, so the overshoot is bounded.
        let batch = (rows - done).min(CHARGE_EVERY);
        budget.charge_mul(batch as u64, std::mem::size_of::<usize>() as u64)?;
        let batch_end = done + batch;
        while done < batch_end {
            let buf = r.fill_buf().map_err(super::io::io_err)?;
            let (n, used) = strings_in(buf, batch_end - done, &mut offsets, &mut bytes);
            r.consume(used);
            done += n;
            if n == 0 {
                // The next string runs past the buffered bytes (or none are buffered).
                let len = read_varint(r)?;
                read_into(r, len, &mut bytes, "string column")?;
                offsets.push(bytes.len());
                done += 1;
            }
        }
    }
    Ok(Data::Str { offsets, bytes })
}

/// Decode up to `max` strings that lie wholly in `buf`, appending their bytes and end
/// offsets; returns how many were decoded and how many bytes of `buf` they used.
///
/// This is the hot loop of reading a string column: it works on the buffered slice, so
/// there is no per-row call into the reader, and copies a short string as one 16-byte
/// window (a constant-size copy, not a `memcpy` call) cut back to its length.
fn strings_in(
    buf: &[u8],
    max: usize,
    offsets: &mut Vec<usize>,
    bytes: &mut Vec<u8>,
) -> (usize, usize) {
    // The strings' bytes in `buf` are fewer than `buf` itself: one reservation per buffer,
    // but no more than `max` typical strings need, or a block of many short columns would
    // reserve the rest of the buffer (up to a whole decompressed frame) once per column.
    // Longer strings grow `bytes` as they are copied.
    bytes.reserve(buf.len().min(max.saturating_mul(RESERVE_PER_STRING)) + WINDOW);
    let mut pos = 0;
    let mut n = 0;
    while n < max {
        let Some((len, at)) = varint_at(buf, pos) else {
            break;
        };
        let Some(end) = at.checked_add(len).filter(|&e| e <= buf.len()) else {
            break;
        };
        if len <= WINDOW && at + WINDOW <= buf.len() {
            let kept = bytes.len() + len;
            let window: &[u8; WINDOW] = buf[at..at + WINDOW].try_into().unwrap_or(&[0; WINDOW]);
            bytes.extend_from_slice(window);
            bytes.truncate(kept);
        } else {
            bytes.extend_from_slice(&buf[at..end]);
        }
        offsets.push(bytes.len());
        pos = end;
        n += 1;
    }
    (n, pos)
}

/// Bytes copied at once for a short string.
const WINDOW: usize = 16;

/// Bytes reserved per string still to read in a batch, ahead of seeing them: a full batch
/// (`CHARGE_EVERY` rows) reserves a whole 1 MiB socket buffer, as large columns did before.
const RESERVE_PER_STRING: usize = 256;

/// The varint at `buf[pos..]` and the position after it, if it is wholly in `buf` and
/// fits a `usize`.
#[inline]
fn varint_at(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let first = *buf.get(pos)?;
    if first < 0x80 {
        return Some((first as usize, pos + 1));
    }
    let mut v = 0u64;
    for (i, &b) in buf.get(pos..)?.iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((usize::try_from(v).ok()?, pos + i + 1));
        }
    }
    None
}

fn read_array<R: BufRead>(
    r: &mut R,
    rows: usize,
    inner: impl FnOnce(&mut R, usize) -> Result<Data>,
) -> Result<Data> {
    let n = (rows as u64).checked_mul(8).ok_or_else(overflow)?;
    let raw = read_exact_vec(r, n, "array offsets")?;
    let offsets: Vec<u64> = raw
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect();
    let mut prev = 0;
    for &o in &offsets {
        if o < prev {
            return Err(Error::Protocol("array offsets go backwards".into()));
        }
        prev = o;
    }
    if prev > MAX_ROWS {
        return Err(Error::Protocol(format!("arrays declare {prev} elements")));
    }
    Ok(Data::Array {
        offsets,
        inner: Box::new(inner(r, prev as usize)?),
    })
}

const LC_HAS_ADDITIONAL_KEYS: u64 = 1 << 9;
const LC_NEED_GLOBAL_DICTIONARY: u64 = 1 << 8;

fn read_low_cardinality<R: BufRead>(
    r: &mut R,
    ty: &TypeDesc,
    rows: usize,
    budget: &Budget,
) -> Result<Data> {
    let key_ty = match ty {
        TypeDesc::Nullable(t) => t.as_ref(),
        t => t,
    };
    let mut dict: Option<Data> = None;
    let mut dict_len = 0u64;
    let mut base = 0u64;
    let mut keys = Vec::with_capacity(rows.min(RESERVE));
    while keys.len() < rows {
        let flags = read_u64_le(r)?;
        if flags & LC_NEED_GLOBAL_DICTIONARY != 0 {
            return Err(Error::Protocol(
                "low_cardinality global dictionaries are not supported".into(),
            ));
        }
        let width = match flags & 0xff {
            0 => 1,
            1 => 2,
            2 => 4,
            3 => 8,
            w => {
                return Err(Error::Protocol(format!(
                    "low_cardinality index width code {w}"
                )))
            }
        };
        if flags & LC_HAS_ADDITIONAL_KEYS != 0 {
            let n = read_u64_le(r)?;
            if n > MAX_ROWS {
                return Err(Error::Protocol(format!(
                    "low_cardinality dictionary of {n} keys"
                )));
            }
            let part = read_data(r, key_ty, n as usize, budget)?;
            base = dict_len;
            dict_len = dict_len.checked_add(n).ok_or_else(overflow)?;
            if dict_len > MAX_ROWS {
                return Err(Error::Protocol(format!(
                    "low_cardinality dictionary of {dict_len} keys"
                )));
            }
            dict = Some(match dict.take() {
                None => part,
                Some(d) => append_data(d, part)?,
            });
        }
        let n = read_u64_le(r)?;
        if n == 0 || n > (rows - keys.len()) as u64 {
            return Err(Error::Protocol(format!(
                "low_cardinality chunk of {n} rows"
            )));
        }
        let len = n.checked_mul(width as u64).ok_or_else(overflow)?;
        let raw = read_exact_vec(r, len, "low_cardinality indexes")?;
        // Each row keeps an 8-byte key for as little as one input byte.
        budget.charge_mul(n, 8)?;
        let mut shown = 0u64;
        for c in raw.chunks_exact(width) {
            let mut b = [0u8; 8];
            b[..width].copy_from_slice(c);
            // A wrong index is an error, never a wrong value.
            let k = u64::from_le_bytes(b)
                .checked_add(base)
                .filter(|k| *k < dict_len)
                .ok_or_else(|| {
                    Error::Protocol(format!(
                        "low_cardinality index {} out of range (dictionary of {dict_len})",
                        u64::from_le_bytes(b)
                    ))
                })?;
            // Each row is shown as its whole dictionary entry.
            shown = shown.saturating_add(dict.as_ref().map_or(0, |d| entry_len(d, k)));
            keys.push(k);
        }
        budget.charge(shown)?;
    }
    let dict = dict.ok_or_else(|| Error::Protocol("low_cardinality column without keys".into()))?;
    Ok(Data::LowCard {
        dict: Box::new(dict),
        keys,
    })
}

/// Stored byte length of dictionary entry `k`: strings and fixed-width keys are the only
/// dictionaries the type parser admits (`fits_low_cardinality`), so this is each row's cost.
fn entry_len(dict: &Data, k: u64) -> u64 {
    let k = k as usize;
    match dict {
        Data::Fixed { width, .. } => *width as u64,
        Data::Str { offsets, .. } => match (offsets.get(k), offsets.get(k + 1)) {
            (Some(a), Some(b)) => b.saturating_sub(*a) as u64,
            _ => 0,
        },
        _ => 0,
    }
}

fn append_data(a: Data, b: Data) -> Result<Data> {
    Ok(match (a, b) {
        (Data::Fixed { width, mut bytes }, Data::Fixed { bytes: more, .. }) => {
            bytes.extend_from_slice(&more);
            Data::Fixed { width, bytes }
        }
        (
            Data::Str {
                mut offsets,
                mut bytes,
            },
            Data::Str {
                offsets: o2,
                bytes: b2,
            },
        ) => {
            let shift = bytes.len();
            offsets.extend(o2.iter().skip(1).map(|o| o + shift));
            bytes.extend_from_slice(&b2);
            Data::Str { offsets, bytes }
        }
        _ => {
            return Err(Error::Protocol(
                "low_cardinality dictionary of an unsupported type".into(),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::io::{put_str, put_varint};

    fn block(type_name: &str, rows: u64, column: &[u8]) -> Vec<u8> {
        let mut b = vec![1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0];
        put_varint(&mut b, 1);
        put_varint(&mut b, rows);
        put_str(&mut b, "c");
        put_str(&mut b, type_name);
        b.extend_from_slice(column);
        b
    }

    fn read(bytes: &[u8], layout: JsonLayout) -> Result<Block> {
        let budget = Budget::new(DecodeLimits::default());
        let ctx = DecodeCtx { server_tz: Tz::UTC };
        let mut r = bytes;
        read_block_layout(&mut Counted::new(&mut r, &budget), &ctx, &budget, layout)
    }

    fn tsv(b: &Block, row: usize) -> String {
        let mut out = Vec::new();
        b.columns[0].write_cell(row, crate::wire::Style::Tsv, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// A low_cardinality column of `rows` one-byte keys, all naming entry 0 of a dictionary
    /// whose `dict` data holds one entry.
    fn lc_column(dict: &[u8], rows: u64) -> Vec<u8> {
        let mut col = 1u64.to_le_bytes().to_vec(); // key version
        col.extend_from_slice(&LC_HAS_ADDITIONAL_KEYS.to_le_bytes()); // u8 indexes
        col.extend_from_slice(&1u64.to_le_bytes());
        col.extend_from_slice(dict);
        col.extend_from_slice(&rows.to_le_bytes());
        col.extend(std::iter::repeat_n(0u8, rows as usize));
        col
    }

    #[test]
    fn low_cardinality_of_an_array_is_refused_not_repeated_per_row() {
        // One 100 000-element entry, shown by each of 1 000 rows: 100 MB of text from
        // ~100 kB, charged 8 bytes a row if it were decoded.
        let n = 100_000u64;
        let mut dict = n.to_le_bytes().to_vec(); // array offsets: one array of n
        dict.extend(std::iter::repeat_n(7u8, n as usize));
        let bytes = block(
            "low_cardinality(array(uint8))",
            1_000,
            &lc_column(&dict, 1_000),
        );
        let err = read(&bytes, JsonLayout::V1).unwrap_err().to_string();
        assert!(err.contains("can be low_cardinality"), "{err}");
        // The same shape with a string dictionary still decodes.
        let mut dict = Vec::new();
        put_str(&mut dict, "abc");
        let b = read(
            &block("low_cardinality(string)", 3, &lc_column(&dict, 3)),
            JsonLayout::V1,
        )
        .unwrap();
        assert_eq!(tsv(&b, 2), "abc");
    }

    #[test]
    fn short_string_columns_reserve_for_their_rows_not_the_whole_buffer() {
        // 2 000 one-row string columns: each used to reserve all the block bytes after it.
        let ncols = 2_000;
        let mut b = vec![1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0];
        put_varint(&mut b, ncols);
        put_varint(&mut b, 1);
        for _ in 0..ncols {
            put_str(&mut b, "c");
            put_str(&mut b, "string");
            put_str(&mut b, "x");
        }
        let block = read(&b, JsonLayout::V1).unwrap();
        let reserved: usize = block
            .columns
            .iter()
            .map(|c| match &c.data {
                Data::Str { bytes, .. } => bytes.capacity(),
                other => panic!("{other:?}"),
            })
            .sum();
        assert!(
            reserved <= ncols as usize * (RESERVE_PER_STRING + WINDOW),
            "{reserved} bytes reserved for {ncols} one-byte strings"
        );
        assert_eq!(tsv(&block, 0), "x");
    }

    #[test]
    fn variant_discriminators_must_name_an_alternative() {
        let mut col = 0u64.to_le_bytes().to_vec();
        col.extend_from_slice(&[0, 2]); // row 1 names a third alternative
        col.extend_from_slice(&[1, b'x']);
        let err = read(&block("variant(string, uint8)", 2, &col), JsonLayout::V3).unwrap_err();
        assert!(err.to_string().contains("discriminator 2"), "{err}");
        let mut col = 1u64.to_le_bytes().to_vec();
        col.extend_from_slice(&[255]);
        let err = read(&block("variant(string)", 1, &col), JsonLayout::V3).unwrap_err();
        assert!(err.to_string().contains("mode 1"), "{err}");
    }

    fn dynamic_prefix(names: &[&str]) -> Vec<u8> {
        let mut p = 1u64.to_le_bytes().to_vec();
        put_varint(&mut p, 32);
        put_varint(&mut p, names.len() as u64);
        for n in names {
            put_str(&mut p, n);
        }
        p.extend_from_slice(&0u64.to_le_bytes());
        p
    }

    #[test]
    fn dynamic_sorts_its_types_with_the_shared_variant_in_the_servers_spelling() {
        // Proton: ipv4 < shared_variant < uint8; ClickHouse: IPv4 < SharedVariant < UInt8
        // but Int64 < IPv4 only in CamelCase ('n' > 'P'): the order follows the names sent.
        let mut col = dynamic_prefix(&["uint8", "int64"]);
        col.extend_from_slice(&[0, 2, 255]); // int64, uint8, NULL
        col.extend_from_slice(&(-3i64).to_le_bytes());
        col.push(7);
        let b = read(&block("dynamic", 3, &col), JsonLayout::V3).unwrap();
        assert_eq!(
            (tsv(&b, 0), tsv(&b, 1), tsv(&b, 2)),
            ("-3".into(), "7".into(), "\\N".into())
        );
        let mut col = dynamic_prefix(&["UInt8", "IPv4"]);
        col.extend_from_slice(&[0, 2]); // IPv4, UInt8 (SharedVariant is 1)
        col.extend_from_slice(&[1, 0, 0, 127]);
        col.push(9);
        let b = read(&block("Dynamic", 2, &col), JsonLayout::V3).unwrap();
        assert_eq!((tsv(&b, 0), tsv(&b, 1)), ("127.0.0.1".into(), "9".into()));
    }

    #[test]
    fn dynamic_and_json_counts_are_bounded_before_allocation() {
        let mut col = 1u64.to_le_bytes().to_vec();
        put_varint(&mut col, 32);
        put_varint(&mut col, 255);
        let err = read(&block("dynamic", 1, &col), JsonLayout::V3).unwrap_err();
        assert!(err.to_string().contains("255 types"), "{err}");
        let mut col = 2u64.to_le_bytes().to_vec();
        put_varint(&mut col, u64::MAX >> 1);
        let err = read(&block("json", 1, &col), JsonLayout::V3).unwrap_err();
        assert!(err.to_string().contains("dynamic paths"), "{err}");
        let col = 3u64.to_le_bytes();
        let err = read(&block("json", 1, &col), JsonLayout::V3).unwrap_err();
        assert!(err.to_string().contains("version 3"), "{err}");
    }

    #[test]
    fn dynamic_types_nested_in_dynamic_stop_at_the_depth_limit() {
        // Each level names a variant holding the next: the prefix reader must refuse, not
        // overflow the stack.
        let deep = format!("{}uint8{}", "variant(".repeat(80), ")".repeat(80));
        let col = dynamic_prefix(&[&deep]);
        let err = read(&block("dynamic", 1, &col), JsonLayout::V3).unwrap_err();
        assert!(err.to_string().contains("64"), "{err}");
    }

    /// A one-row 3.x json column with no dynamic paths and `paths` in its shared data,
    /// each holding the uint8 7.
    fn json_shared_row(paths: &[String]) -> Vec<u8> {
        let mut col = 2u64.to_le_bytes().to_vec();
        put_varint(&mut col, 0);
        col.extend_from_slice(&(paths.len() as u64).to_le_bytes());
        for p in paths {
            put_str(&mut col, p);
        }
        for _ in paths {
            put_varint(&mut col, 2);
            col.extend_from_slice(&[0x01, 7]);
        }
        col
    }

    #[test]
    fn json_rows_are_charged_for_the_tree_their_paths_build() {
        // 20 000 distinct 65-level paths in one row: ~2.6 MB on the wire, but the row's
        // object tree would take ~800 MB to render.
        let deep = |i: usize| format!("k{i}{}", ".a".repeat(64));
        let paths: Vec<String> = (0..20_000).map(deep).collect();
        let err = read(&block("json", 1, &json_shared_row(&paths)), JsonLayout::V3)
            .unwrap_err()
            .to_string();
        assert!(err.contains("would expand"), "{err}");
        // Real shapes are far below that: 2 000 three-level paths in a row render.
        let paths: Vec<String> = (0..2_000).map(|i| format!("user.k{i}.v")).collect();
        let b = read(&block("json", 1, &json_shared_row(&paths)), JsonLayout::V3).unwrap();
        assert!(tsv(&b, 0).starts_with(r#"{"user":{"k0":{"v":7},"k1":{"v":7},"#));
    }

    #[test]
    fn json_paths_split_into_at_most_the_depth_limit_of_levels() {
        // A dynamic path of 10 000 dots renders without deep recursion.
        let path = "a.".repeat(10_000) + "z";
        let mut col = 2u64.to_le_bytes().to_vec();
        put_varint(&mut col, 1);
        put_str(&mut col, &path);
        col.extend_from_slice(&dynamic_prefix(&["string"]));
        col.push(1); // discriminator: string (shared_variant is 0)
        put_str(&mut col, "v");
        col.extend_from_slice(&0u64.to_le_bytes()); // shared data: no entries
        let b = read(&block("json", 1, &col), JsonLayout::V3).unwrap();
        let text = tsv(&b, 0);
        assert!(
            text.contains(r#".a.z":"v"}"#),
            "{}",
            &text[text.len() - 40..]
        );
        assert_eq!(
            text.matches('{').count(),
            65,
            "64 levels split, the rest one key"
        );
    }
}
