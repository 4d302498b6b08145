//! Cell values: a borrowed `Value` view with typed accessors, and text formatting in several styles.

use super::column::{Column, Data};
use super::types::TypeDesc;
use chrono::{Offset, TimeZone};
use chrono_tz::Tz;
use std::borrow::Cow;
use std::fmt;

/// How a cell is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// For people: strings as they are (control characters and invalid UTF-8 escaped), NULL as `NULL`.
    Plain,
    /// ClickHouse TabSeparated: escaped strings, `\N` for NULL.
    Tsv,
    /// ClickHouse CSV: strings and composites in double quotes, `\N` for NULL.
    Csv,
    /// JSON values: strings quoted and escaped, NULL as `null`, arrays as arrays.
    Json,
    /// [`Style::Json`] with integers of 64 bits and more (and intervals, which are Int64) in
    /// quotes at any depth, as ClickHouse's `output_format_json_quote_64bit_integers` does.
    JsonQuote64,
}

impl Style {
    /// One of the JSON styles.
    pub fn is_json(self) -> bool {
        matches!(self, Style::Json | Style::JsonQuote64)
    }

    /// The JSON style that a JSON object inside a value in this style is written in.
    fn json(self) -> Style {
        if self.is_json() {
            self
        } else {
            Style::Json
        }
    }
}

/// One cell of a column, borrowed from its block.
#[derive(Clone, Copy)]
pub struct Value<'a> {
    ty: &'a TypeDesc,
    data: &'a Data,
    row: usize,
}

impl Column {
    pub fn value(&self, row: usize) -> Value<'_> {
        Value {
            ty: &self.ty,
            data: &self.data,
            row,
        }
    }

    /// Append the cell at `row` to `out` in `style`.
    pub fn write_cell(&self, row: usize, style: Style, out: &mut Vec<u8>) {
        write_value(&self.ty, &self.data, row, style, false, out)
    }
}

impl<'a> Value<'a> {
    /// Follow nullable and low_cardinality wrappers to the stored value (`None` for NULL).
    fn resolve(self) -> Option<Value<'a>> {
        match (self.ty, self.data) {
            (TypeDesc::Nullable(t), Data::Nullable { nulls, inner }) => {
                if nulls.get(self.row).copied().unwrap_or(1) != 0 {
                    None
                } else {
                    Value {
                        ty: t,
                        data: inner,
                        row: self.row,
                    }
                    .resolve()
                }
            }
            (TypeDesc::LowCardinality(t), Data::LowCard { dict, keys }) => {
                let key = *keys.get(self.row)? as usize;
                match t.as_ref() {
                    TypeDesc::Nullable(_) if key == 0 => None,
                    TypeDesc::Nullable(inner) => Some(Value {
                        ty: inner,
                        data: dict,
                        row: key,
                    }),
                    inner => Some(Value {
                        ty: inner,
                        data: dict,
                        row: key,
                    }),
                }
            }
            (
                TypeDesc::Variant(alts),
                Data::Variant {
                    discriminators,
                    index,
                    alternatives,
                },
            ) => {
                let d = *discriminators.get(self.row)? as usize;
                Value {
                    ty: alts.get(d)?,
                    data: alternatives.get(d)?,
                    row: *index.get(self.row)?,
                }
                .resolve()
            }
            (TypeDesc::Nothing, _) => None,
            _ => Some(self),
        }
    }

    pub fn is_null(&self) -> bool {
        self.resolve().is_none()
    }

    pub fn type_desc(&self) -> &'a TypeDesc {
        self.ty
    }

    fn fixed(&self) -> Option<&'a [u8]> {
        match self.data {
            Data::Fixed { width, bytes } => bytes.get(self.row * width..(self.row + 1) * width),
            _ => None,
        }
    }

    /// Raw bytes of a `string` or `fixed_string`.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        let v = self.resolve()?;
        match (v.ty, v.data) {
            (TypeDesc::String, Data::Str { offsets, bytes }) => {
                bytes.get(*offsets.get(v.row)?..*offsets.get(v.row + 1)?)
            }
            (TypeDesc::FixedString(_), _) => v.fixed(),
            _ => None,
        }
    }

    /// The name of an `enum8`/`enum16` value (`None` for NULL, another type, or a number
    /// the enum has no name for).
    pub fn enum_name(&self) -> Option<&'a str> {
        let v = self.resolve()?;
        let (TypeDesc::Enum8(items) | TypeDesc::Enum16(items)) = v.ty else {
            return None;
        };
        let n = int_le(v.fixed()?, true) as i16;
        items
            .iter()
            .find(|(_, x)| *x == n)
            .map(|(name, _)| name.as_str())
    }

    /// A `string` as text (invalid UTF-8 replaced).
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        self.as_bytes().map(String::from_utf8_lossy)
    }

    /// Any integer type (and bool, enum, datetime seconds) that fits in i128.
    pub fn as_i128(&self) -> Option<i128> {
        let v = self.resolve()?;
        let b = v.fixed()?;
        match v.ty {
            TypeDesc::Int { bits, signed } if *bits <= 128 => Some(int_le(b, *signed)),
            TypeDesc::Bool | TypeDesc::Date | TypeDesc::DateTime(_) => Some(int_le(b, false)),
            TypeDesc::Enum8(_)
            | TypeDesc::Enum16(_)
            | TypeDesc::Date32
            | TypeDesc::DateTime64 { .. } => Some(int_le(b, true)),
            TypeDesc::Interval(_) => Some(int_le(b, true)),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_i128().and_then(|v| i64::try_from(v).ok())
    }

    pub fn as_u64(&self) -> Option<u64> {
        self.as_i128().and_then(|v| u64::try_from(v).ok())
    }

    pub fn as_f64(&self) -> Option<f64> {
        let v = self.resolve()?;
        let b = v.fixed()?;
        match v.ty {
            TypeDesc::Float32 => Some(f32::from_le_bytes(b.try_into().ok()?) as f64),
            TypeDesc::Float64 => Some(f64::from_le_bytes(b.try_into().ok()?)),
            _ => v.as_i128().map(|i| i as f64),
        }
    }

    /// Elements of an array (or map entries as 2-tuples).
    pub fn array_items(&self) -> Option<Vec<Value<'a>>> {
        let v = self.resolve()?;
        let (item_ty, offsets, inner) = match (v.ty, v.data) {
            (TypeDesc::Array(t), Data::Array { offsets, inner }) => {
                (t.as_ref(), offsets, inner.as_ref())
            }
            _ => return None,
        };
        let (start, end) = array_bounds(offsets, v.row)?;
        Some(
            (start..end)
                .map(|row| Value {
                    ty: item_ty,
                    data: inner,
                    row,
                })
                .collect(),
        )
    }

    /// Append this value in `style`.
    pub fn write(&self, style: Style, out: &mut Vec<u8>) {
        write_value(self.ty, self.data, self.row, style, false, out)
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write(Style::Plain, &mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Value({self})")
    }
}

fn array_bounds(offsets: &[u64], row: usize) -> Option<(usize, usize)> {
    let end = *offsets.get(row)? as usize;
    let start = if row == 0 {
        0
    } else {
        *offsets.get(row - 1)? as usize
    };
    Some((start, end.max(start)))
}

fn int_le(b: &[u8], signed: bool) -> i128 {
    let mut buf = if signed && b.last().is_some_and(|x| x & 0x80 != 0) {
        [0xffu8; 16]
    } else {
        [0u8; 16]
    };
    let n = b.len().min(16);
    buf[..n].copy_from_slice(&b[..n]);
    i128::from_le_bytes(buf)
}

fn null_token(style: Style, nested: bool) -> &'static [u8] {
    match (style, nested) {
        (Style::Json | Style::JsonQuote64, _) => b"null",
        (Style::Tsv | Style::Csv, false) => b"\\N",
        _ => b"NULL",
    }
}

/// The one formatter every output path uses.
pub(crate) fn write_value(
    ty: &TypeDesc,
    data: &Data,
    row: usize,
    style: Style,
    nested: bool,
    out: &mut Vec<u8>,
) {
    let v = match (Value { ty, data, row }).resolve() {
        Some(v) => v,
        None => return out.extend_from_slice(null_token(style, nested)),
    };
    let (ty, data, row) = (v.ty, v.data, v.row);
    // Types whose text is built here in every style (CSV included: they quote for themselves).
    match ty {
        TypeDesc::JsonText => {
            let Some(b) = str_at(data, row) else { return };
            // The server's JSON text is shown as the object it is, like any json value.
            if style.is_json() && serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok() {
                out.extend_from_slice(b);
            } else {
                write_string(b, style, nested, out);
            }
            return;
        }
        TypeDesc::JsonObject(paths) => {
            let Data::Tuple(cols) = data else { return };
            let mut obj = Vec::new();
            write_json_object(paths, cols, row, style.json(), &mut obj);
            if style.is_json() {
                out.extend_from_slice(&obj);
            } else {
                write_string(&obj, style, nested, out);
            }
            return;
        }
        TypeDesc::SharedVariant => {
            let Some(b) = str_at(data, row) else { return };
            return write_shared_value(b, style, nested, out);
        }
        _ => {}
    }
    // A tuple in CSV is a field per element, nested tuples too, as in ClickHouse (its
    // serializeTextCSV, in 18.16 and Proton alike).
    if let (Style::Csv, false, TypeDesc::Tuple(items), Data::Tuple(cols)) =
        (style, nested, ty, data)
    {
        for (i, ((_, t), d)) in items.iter().zip(cols).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_value(t, d, row, Style::Csv, false, out);
        }
        return;
    }
    // CSV puts anything else that isn't a plain number in double quotes, composites included.
    if style == Style::Csv
        && !nested
        && !(ty.is_numeric() || matches!(ty, TypeDesc::Bool | TypeDesc::Interval(_)))
    {
        let mut inner = Vec::new();
        if ty.quoted_inside() {
            // Text as it is: CSV has its own quoting, no single quotes or TSV escapes.
            write_scalar_text(ty, data, row, &mut inner);
        } else {
            write_value(ty, data, row, Style::Tsv, true, &mut inner);
        }
        return csv_quote_into(&inner, out);
    }
    match ty {
        TypeDesc::Array(item) => {
            let Data::Array { offsets, inner } = data else {
                return;
            };
            let Some((start, end)) = array_bounds(offsets, row) else {
                return;
            };
            out.push(b'[');
            for (i, r) in (start..end).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, inner, r, style, true, out);
            }
            out.push(b']');
        }
        TypeDesc::Map(k, val) => {
            let Data::Array { offsets, inner } = data else {
                return;
            };
            let Data::Tuple(kv) = inner.as_ref() else {
                return;
            };
            let (Some(kd), Some(vd)) = (kv.first(), kv.get(1)) else {
                return;
            };
            let Some((start, end)) = array_bounds(offsets, row) else {
                return;
            };
            out.push(b'{');
            for (i, r) in (start..end).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if style.is_json() && !k.quoted_inside() {
                    // A JSON key is a string whatever its type: quoted here, so not again.
                    out.push(b'"');
                    write_value(k, kd, r, Style::Json, true, out);
                    out.push(b'"');
                } else {
                    write_value(k, kd, r, style, true, out);
                }
                out.push(b':');
                write_value(val, vd, r, style, true, out);
            }
            out.push(b'}');
        }
        TypeDesc::Tuple(items) => {
            let Data::Tuple(cols) = data else { return };
            let named = items.iter().all(|(n, _)| n.is_some());
            write_tuple(items, cols, row, style, named && style.is_json(), out);
        }
        TypeDesc::Nested(items) => {
            let Data::Array { offsets, inner } = data else {
                return;
            };
            let Data::Tuple(cols) = inner.as_ref() else {
                return;
            };
            let Some((start, end)) = array_bounds(offsets, row) else {
                return;
            };
            let items: Vec<(Option<String>, TypeDesc)> = items
                .iter()
                .map(|(n, t)| (Some(n.clone()), t.clone()))
                .collect();
            out.push(b'[');
            for (i, r) in (start..end).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_tuple(&items, cols, r, style, style.is_json(), out);
            }
            out.push(b']');
        }
        TypeDesc::JsonTuple(t) => {
            // A json value is shown as the JSON object it stands for, whatever the style.
            let TypeDesc::Tuple(items) = t.as_ref() else {
                return;
            };
            let Data::Tuple(cols) = data else { return };
            let mut obj = Vec::new();
            write_tuple(items, cols, row, style.json(), true, &mut obj);
            if style.is_json() {
                out.extend_from_slice(&obj);
            } else {
                write_string(&obj, style, nested, out);
            }
        }
        TypeDesc::String | TypeDesc::FixedString(_) => {
            if let Some(b) = v.as_bytes() {
                write_string(b, style, nested, out)
            }
        }
        TypeDesc::Enum8(_) | TypeDesc::Enum16(_) => {
            // Enum names are user text: written as strings are (quoted and escaped once).
            let mut name = Vec::new();
            write_scalar_text(ty, data, row, &mut name);
            write_string(&name, style, nested, out)
        }
        t if t.quoted_inside() => {
            let quote = match style {
                Style::Json | Style::JsonQuote64 => Some(b'"'),
                Style::Tsv | Style::Plain if nested => Some(b'\''),
                _ => None,
            };
            if let Some(q) = quote {
                out.push(q);
            }
            write_scalar_text(t, data, row, out);
            if let Some(q) = quote {
                out.push(q);
            }
        }
        TypeDesc::Int { bits: 64.., .. } | TypeDesc::Interval(_) if style == Style::JsonQuote64 => {
            out.push(b'"');
            write_scalar_text(ty, data, row, out);
            out.push(b'"');
        }
        TypeDesc::Float32 | TypeDesc::Float64 if style.is_json() => {
            let f = v.as_f64().unwrap_or(f64::NAN);
            if f.is_finite() {
                write_scalar_text(ty, data, row, out)
            } else {
                out.extend_from_slice(b"null")
            }
        }
        _ => write_scalar_text(ty, data, row, out),
    }
}

/// Row `row` of string data.
fn str_at(data: &Data, row: usize) -> Option<&[u8]> {
    match data {
        Data::Str { offsets, bytes } => bytes.get(*offsets.get(row)?..*offsets.get(row + 1)?),
        _ => None,
    }
}

/// What one path level of a [`JsonNode`] tree takes on the heap: a node with one child holds
/// a 4-slot children vector (4 × 120 bytes), a 4-bucket key index (~150 bytes) and two copies
/// of its key (measured: ~620 bytes a level for long chains, before allocator overhead).
/// Decoding charges a json column this per level of its largest row.
pub(crate) const JSON_LEVEL_COST: u64 = 768;

/// The tree levels `path` makes in [`JsonNode::set`]: one per `.`, at most `MAX_TYPE_DEPTH`
/// splits, plus the leaf.
pub(crate) fn json_path_levels(path: &[u8]) -> u64 {
    let dots = path.iter().filter(|&&b| b == b'.').count();
    dots.min(crate::wire::types::MAX_TYPE_DEPTH) as u64 + 1
}

/// A JSON object under construction: keys in first-seen order.
#[derive(Default)]
struct JsonNode {
    leaf: Option<Vec<u8>>,
    children: Vec<(String, JsonNode)>,
    /// Key → position in `children`, so a row with many paths costs linear time.
    index: std::collections::HashMap<String, usize>,
}

impl JsonNode {
    /// Set `value` (JSON text) at the dotted `path`. Paths split into at most
    /// `MAX_TYPE_DEPTH` levels (the rest stays one key), which bounds the recursion below.
    fn set(&mut self, path: &str, value: Vec<u8>) {
        let mut node = self;
        let mut rest = path;
        for _ in 0..crate::wire::types::MAX_TYPE_DEPTH {
            let Some((head, tail)) = rest.split_once('.') else {
                break;
            };
            node = node.child(head);
            rest = tail;
        }
        node.child(rest).leaf = Some(value);
    }

    fn child(&mut self, key: &str) -> &mut JsonNode {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.children.push((key.to_string(), JsonNode::default()));
                self.index.insert(key.to_string(), self.children.len() - 1);
                self.children.len() - 1
            }
        };
        &mut self.children[i].1
    }

    fn write(&self, out: &mut Vec<u8>) {
        // A path that is both a value and a prefix of others: the value wins, as a key can
        // hold one thing.
        if let Some(v) = &self.leaf {
            return out.extend_from_slice(v);
        }
        out.push(b'{');
        for (i, (k, n)) in self.children.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_escape_into(k.as_bytes(), out);
            out.push(b':');
            n.write(out);
        }
        out.push(b'}');
    }
}

/// A 3.x json object row: every non-NULL path (typed, dynamic, then shared data) set into
/// one object, paths split on `.`.
fn write_json_object(
    paths: &[(String, TypeDesc)],
    cols: &[Data],
    row: usize,
    style: Style,
    out: &mut Vec<u8>,
) {
    let mut root = JsonNode::default();
    for ((path, t), d) in paths.iter().zip(cols) {
        if (Value {
            ty: t,
            data: d,
            row,
        })
        .is_null()
        {
            continue;
        }
        let mut v = Vec::new();
        write_value(t, d, row, style, true, &mut v);
        root.set(path, v);
    }
    if let Some(Data::Array { offsets, inner }) = cols.get(paths.len()) {
        if let (Data::Tuple(kv), Some((start, end))) = (inner.as_ref(), array_bounds(offsets, row))
        {
            if let (Some(kd), Some(vd)) = (kv.first(), kv.get(1)) {
                for r in start..end {
                    let (Some(k), Some(b)) = (str_at(kd, r), str_at(vd, r)) else {
                        continue;
                    };
                    let mut v = Vec::new();
                    write_shared_value(b, style, true, &mut v);
                    root.set(&String::from_utf8_lossy(k), v);
                }
            }
        }
    }
    root.write(out);
}

/// A value in ClickHouse's binary value encoding (a type index byte, then the value), as
/// `dynamic`'s shared variant and json's shared data hold them. The common scalars are
/// decoded; anything else is shown as its bytes.
fn write_shared_value(b: &[u8], style: Style, nested: bool, out: &mut Vec<u8>) {
    let Some((&tag, v)) = b.split_first() else {
        return write_string(b, style, nested, out);
    };
    let int = |width: usize, signed: bool| -> Option<Vec<u8>> {
        (v.len() == width).then(|| {
            let n = int_le(v, signed);
            if width == 8 && style == Style::JsonQuote64 {
                format!("\"{n}\"").into_bytes()
            } else {
                n.to_string().into_bytes()
            }
        })
    };
    let text = match tag {
        0x00 => return out.extend_from_slice(null_token(style, nested)),
        0x01 => int(1, false),
        0x02 => int(2, false),
        0x03 => int(4, false),
        0x04 => int(8, false),
        0x07 => int(1, true),
        0x08 => int(2, true),
        0x09 => int(4, true),
        0x0A => int(8, true),
        0x0D => (v.len() == 4).then(|| {
            let mut t = Vec::new();
            let f = f32::from_le_bytes([v[0], v[1], v[2], v[3]]);
            write_float(f as f64, format!("{f:e}"), &mut t);
            t
        }),
        0x0E => v.try_into().ok().map(|a: [u8; 8]| {
            let mut t = Vec::new();
            let f = f64::from_le_bytes(a);
            write_float(f, format!("{f:e}"), &mut t);
            t
        }),
        0x15 => {
            // varuint length, then the bytes.
            let mut len = 0u64;
            let mut shift = 0;
            let mut i = 0;
            let mut ok = false;
            while i < v.len() && shift < 64 {
                len |= u64::from(v[i] & 0x7f) << shift;
                shift += 7;
                i += 1;
                if v[i - 1] & 0x80 == 0 {
                    ok = true;
                    break;
                }
            }
            if ok && v.len() - i == len as usize {
                return write_string(&v[i..], style, nested, out);
            }
            None
        }
        0x2D => (v.len() == 1).then(|| {
            if v[0] != 0 {
                b"true".to_vec()
            } else {
                b"false".to_vec()
            }
        }),
        _ => None,
    };
    match text {
        Some(t) => out.extend_from_slice(&t),
        None => write_string(b, style, nested, out),
    }
}

fn write_tuple(
    items: &[(Option<String>, TypeDesc)],
    cols: &[Data],
    row: usize,
    style: Style,
    as_object: bool,
    out: &mut Vec<u8>,
) {
    out.push(match (style.is_json(), as_object) {
        (true, true) => b'{',
        (true, false) => b'[',
        _ => b'(',
    });
    for (i, ((name, t), d)) in items.iter().zip(cols).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if as_object {
            json_escape_into(name.as_deref().unwrap_or("").as_bytes(), out);
            out.push(b':');
        }
        write_value(t, d, row, style, true, out);
    }
    out.push(match (style.is_json(), as_object) {
        (true, true) => b'}',
        (true, false) => b']',
        _ => b')',
    });
}

fn write_string(b: &[u8], style: Style, nested: bool, out: &mut Vec<u8>) {
    match style {
        Style::Json | Style::JsonQuote64 => json_escape_into(b, out),
        Style::Tsv | Style::Plain if nested => {
            out.push(b'\'');
            tsv_escape_into(b, out);
            out.push(b'\'');
        }
        Style::Tsv => tsv_escape_into(b, out),
        Style::Plain => plain_escape_into(b, out),
        Style::Csv => csv_quote_into(b, out),
    }
}

/// `b` in CSV double quotes, with `"` doubled.
pub(crate) fn csv_quote_into(b: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in b {
        if c == b'"' {
            out.push(b'"');
        }
        out.push(c);
    }
    out.push(b'"');
}

/// ClickHouse's escaping for TabSeparated (and for quoted strings inside composites).
pub fn tsv_escape_into(b: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\\' => b"\\\\",
            b'\'' => b"\\'",
            b'\0' => b"\\0",
            b'\r' => b"\\r",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
}

/// Text for a person: valid UTF-8 as is, control characters and invalid bytes escaped.
pub fn plain_escape_into(b: &[u8], out: &mut Vec<u8>) {
    let mut rest = b;
    while !rest.is_empty() {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(s) => (s, &[][..]),
            Err(e) => {
                let (ok, tail) = rest.split_at(e.valid_up_to());
                let bad_len = e.error_len().unwrap_or(tail.len());
                // SAFETY-free: `ok` is valid by construction; re-check instead of unsafe.
                (std::str::from_utf8(ok).unwrap_or(""), &tail[..bad_len])
            }
        };
        for ch in valid.chars() {
            match ch {
                '\n' => out.extend_from_slice(b"\\n"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\r' => out.extend_from_slice(b"\\r"),
                c if c.is_control() => {
                    out.extend_from_slice(format!("\\x{:02x}", c as u32).as_bytes())
                }
                c => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        for &x in bad {
            out.extend_from_slice(format!("\\x{x:02x}").as_bytes());
        }
        rest = &rest[valid.len() + bad.len()..];
    }
}

/// `b` as a JSON string, in quotes, escaped as ClickHouse's JSON formats escape it: `\"`, `\\`,
/// `\/`, `\b \f \n \r \t`, other control bytes as `\u00XX` (upper-case hex), and U+2028 and
/// U+2029 as `\u2028` and `\u2029` (JavaScript reads them as line ends). Bytes that are not
/// UTF-8 become U+FFFD, one per bad sequence, so the result is always valid JSON (ClickHouse
/// writes them as they are, unless `output_format_json_validate_utf8` is on).
pub fn json_escape_into(b: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for chunk in b.utf8_chunks() {
        let valid = chunk.valid().as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < valid.len() {
            let c = valid[i];
            let esc: &[u8] = match c {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'/' => b"\\/",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..0x20 => &[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    b'0' + (c >> 4),
                    b"0123456789ABCDEF"[(c & 0xf) as usize],
                ],
                0xe2 if matches!(valid.get(i + 1..i + 3), Some([0x80, 0xa8 | 0xa9])) => {
                    out.extend_from_slice(&valid[start..i]);
                    out.extend_from_slice(if valid[i + 2] == 0xa8 {
                        b"\\u2028"
                    } else {
                        b"\\u2029"
                    });
                    i += 3;
                    start = i;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            out.extend_from_slice(&valid[start..i]);
            out.extend_from_slice(esc);
            i += 1;
            start = i;
        }
        out.extend_from_slice(&valid[start..]);
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
    out.push(b'"');
}

/// Unquoted text of a scalar (numbers, dates, uuids, enum names, ...).
fn write_scalar_text(ty: &TypeDesc, data: &Data, row: usize, out: &mut Vec<u8>) {
    let v = Value { ty, data, row };
    if let TypeDesc::String | TypeDesc::FixedString(_) = ty {
        if let Some(b) = v.as_bytes() {
            out.extend_from_slice(b);
        }
        return;
    }
    let Some(b) = v.fixed() else { return };
    let mut ib = itoa::Buffer::new();
    match ty {
        TypeDesc::Int { bits: 256, signed } => {
            out.extend_from_slice(int256_to_string(b, *signed).as_bytes())
        }
        TypeDesc::Int { signed: true, .. } | TypeDesc::Interval(_) => {
            out.extend_from_slice(ib.format(int_le(b, true)).as_bytes())
        }
        TypeDesc::Int {
            bits: 128,
            signed: false,
        } => {
            let mut buf = [0u8; 16];
            buf.copy_from_slice(b);
            out.extend_from_slice(ib.format(u128::from_le_bytes(buf)).as_bytes())
        }
        TypeDesc::Int { signed: false, .. } => {
            out.extend_from_slice(ib.format(int_le(b, false)).as_bytes())
        }
        TypeDesc::Float32 => {
            if let Ok(a) = b.try_into() {
                write_float(
                    f32::from_le_bytes(a) as f64,
                    format!("{:e}", f32::from_le_bytes(a)),
                    out,
                )
            }
        }
        TypeDesc::Float64 => {
            if let Ok(a) = b.try_into() {
                let f = f64::from_le_bytes(a);
                write_float(f, format!("{f:e}"), out)
            }
        }
        TypeDesc::Bool => out.extend_from_slice(if b[0] != 0 { b"true" } else { b"false" }),
        TypeDesc::Decimal { scale, .. } => {
            let digits = if b.len() == 32 {
                int256_to_string(b, true)
            } else {
                int_le(b, true).to_string()
            };
            write_decimal(&digits, *scale as usize, out)
        }
        TypeDesc::Date => write_date(int_le(b, false) as i64, out),
        TypeDesc::Date32 => write_date(int_le(b, true) as i64, out),
        TypeDesc::DateTime(tz) => {
            write_datetime(int_le(b, false) as i64, 0, 0, tz.unwrap_or(Tz::UTC), out)
        }
        TypeDesc::DateTime64 { precision, tz } => {
            let ticks = int_le(b, true) as i64;
            let scale = 10i64.pow(*precision as u32);
            let (secs, frac) = (ticks.div_euclid(scale), ticks.rem_euclid(scale));
            write_datetime(secs, frac, *precision as usize, tz.unwrap_or(Tz::UTC), out)
        }
        TypeDesc::Uuid => {
            let hi = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
            let lo = u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8]));
            let h = format!("{hi:016x}{lo:016x}");
            out.extend_from_slice(
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                )
                .as_bytes(),
            );
        }
        TypeDesc::Ipv4 => {
            let v = u32::from_le_bytes(b.try_into().unwrap_or([0; 4]));
            out.extend_from_slice(std::net::Ipv4Addr::from(v).to_string().as_bytes())
        }
        TypeDesc::Ipv6 => {
            let a: [u8; 16] = b.try_into().unwrap_or([0; 16]);
            out.extend_from_slice(std::net::Ipv6Addr::from(a).to_string().as_bytes())
        }
        TypeDesc::Enum8(_) | TypeDesc::Enum16(_) => match v.enum_name() {
            Some(name) => out.extend_from_slice(name.as_bytes()),
            None => out.extend_from_slice(ib.format(int_le(b, true) as i16).as_bytes()),
        },
        _ => {}
    }
}

/// ClickHouse's float text: shortest round-trip digits, exponent form outside 1e-7..1e21.
fn write_float(f: f64, sci: String, out: &mut Vec<u8>) {
    if f.is_nan() {
        return out.extend_from_slice(b"nan");
    }
    if f.is_infinite() {
        return out.extend_from_slice(if f < 0.0 { b"-inf" } else { b"inf" });
    }
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    if neg {
        out.push(b'-');
    }
    if (-6..21).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-point) as usize));
            out.extend_from_slice(digits.as_bytes());
        } else if point as usize >= digits.len() {
            out.extend_from_slice(digits.as_bytes());
            out.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
        } else {
            out.extend_from_slice(&digits.as_bytes()[..point as usize]);
            out.push(b'.');
            out.extend_from_slice(&digits.as_bytes()[point as usize..]);
        }
    } else {
        out.extend_from_slice(&digits.as_bytes()[..1]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits.as_bytes()[1..]);
        }
        out.push(b'e');
        out.extend_from_slice(exp.to_string().as_bytes());
    }
}

fn write_decimal(digits: &str, scale: usize, out: &mut Vec<u8>) {
    let (neg, d) = match digits.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, digits),
    };
    if neg {
        out.push(b'-');
    }
    if scale == 0 {
        return out.extend_from_slice(d.as_bytes());
    }
    let padded = format!("{d:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    out.extend_from_slice(int.as_bytes());
    out.push(b'.');
    out.extend_from_slice(frac.as_bytes());
}

/// Decimal text of a 256-bit little-endian integer.
fn int256_to_string(b: &[u8], signed: bool) -> String {
    let mut limbs = [0u64; 4];
    for (i, l) in limbs.iter_mut().enumerate() {
        *l = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    }
    let neg = signed && limbs[3] >> 63 == 1;
    if neg {
        // Two's complement negate.
        let mut carry = 1u128;
        for l in limbs.iter_mut() {
            let v = (!*l) as u128 + carry;
            *l = v as u64;
            carry = v >> 64;
        }
    }
    let mut parts = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u128;
        for l in limbs.iter_mut().rev() {
            let cur = (rem << 64) | *l as u128;
            *l = (cur / 10_000_000_000_000_000_000) as u64;
            rem = cur % 10_000_000_000_000_000_000;
        }
        parts.push(rem as u64);
    }
    let mut s = String::from(if neg { "-" } else { "" });
    match parts.split_last() {
        None => s.push('0'),
        Some((first, rest)) => {
            s.push_str(&first.to_string());
            for p in rest.iter().rev() {
                s.push_str(&format!("{p:019}"));
            }
        }
    }
    s
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn write_date(days: i64, out: &mut Vec<u8>) {
    let (y, m, d) = civil_from_days(days);
    out.extend_from_slice(format!("{y:04}-{m:02}-{d:02}").as_bytes());
}

fn write_datetime(secs: i64, frac: i64, precision: usize, tz: Tz, out: &mut Vec<u8>) {
    let offset = if matches!(
        tz,
        Tz::UTC | Tz::Etc__UTC | Tz::GMT | Tz::Etc__GMT | Tz::Zulu
    ) {
        0
    } else {
        match chrono::DateTime::from_timestamp(secs, 0) {
            Some(utc) => tz
                .offset_from_utc_datetime(&utc.naive_utc())
                .fix()
                .local_minus_utc() as i64,
            None => 0,
        }
    };
    let local = secs + offset;
    let (days, sod) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    write_date(days, out);
    out.extend_from_slice(
        format!(" {:02}:{:02}:{:02}", sod / 3600, sod / 60 % 60, sod % 60).as_bytes(),
    );
    if precision > 0 {
        out.extend_from_slice(format!(".{frac:0precision$}").as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::strs;

    fn f(x: f64) -> String {
        let mut out = Vec::new();
        write_float(x, format!("{x:e}"), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_print_like_clickhouse() {
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(1.0), "1");
        assert_eq!(f(-0.25), "-0.25");
        assert_eq!(f(1e21), "1e21");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(1e-7), "1e-7");
        assert_eq!(f(1.5e-6), "0.0000015");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NAN), "nan");
        assert_eq!(f(0.0), "0");
    }

    #[test]
    fn big_integers_and_decimals_are_exact() {
        let mut b = [0xffu8; 32];
        assert_eq!(int256_to_string(&b, true), "-1");
        assert_eq!(
            int256_to_string(&b, false),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
        b = [0; 32];
        b[0] = 42;
        assert_eq!(int256_to_string(&b, true), "42");
        let mut out = Vec::new();
        write_decimal("-5", 2, &mut out);
        assert_eq!(out, b"-0.05");
    }

    #[test]
    fn dates_convert_from_days_and_seconds() {
        let mut out = Vec::new();
        write_date(19_724, &mut out);
        assert_eq!(out, b"2024-01-02");
        out.clear();
        write_datetime(1_700_000_000, 123, 3, chrono_tz::Asia::Tokyo, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "2023-11-15 07:13:20.123");
    }

    /// Row 0 of a value of type `type_name` held in `data`, in `style`.
    fn cell(type_name: &str, data: Data, style: Style) -> String {
        let ty = TypeDesc::parse(type_name).unwrap();
        let mut out = Vec::new();
        write_value(&ty, &data, 0, style, false, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn bytes(width: usize, b: &[u8]) -> Data {
        Data::Fixed {
            width,
            bytes: b.to_vec(),
        }
    }

    fn array(inner: Data, len: u64) -> Data {
        Data::Array {
            offsets: vec![len],
            inner: Box::new(inner),
        }
    }

    const ENUM: &str = "enum8('b' = 2, 'it\\'s \"q\"/\\\\' = -3)";

    #[test]
    fn enum_names_are_one_json_string() {
        assert_eq!(cell(ENUM, bytes(1, &[2]), Style::Json), "\"b\"");
        assert_eq!(
            cell(ENUM, bytes(1, &[(-3i8) as u8]), Style::Json),
            "\"it's \\\"q\\\"\\/\\\\\""
        );
        let nested = format!("array({ENUM})");
        assert_eq!(
            cell(&nested, array(bytes(1, &[2, 2]), 2), Style::Json),
            "[\"b\",\"b\"]"
        );
        let tuple = format!("tuple({ENUM}, uint8)");
        let t = Data::Tuple(vec![bytes(1, &[2]), bytes(1, &[1])]);
        assert_eq!(cell(&tuple, t, Style::Json), "[\"b\",1]");
        // A value without a name (ClickHouse refuses to write one) is its number, still a string.
        assert_eq!(cell(ENUM, bytes(1, &[7]), Style::Json), "\"7\"");
    }

    fn le(values: &[i64]) -> Data {
        Data::Fixed {
            width: 8,
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }

    #[test]
    fn quote_64bit_quotes_wide_integers_at_every_depth() {
        // As clickhouse-client 18.16 with output_format_json_quote_64bit_integers=1 (its
        // default): ["1","2"], ["5",6], an interval (an Int64) as "5".
        let q = Style::JsonQuote64;
        assert_eq!(cell("int64", le(&[-5]), q), "\"-5\"");
        assert_eq!(
            cell("array(uint64)", array(le(&[1, 2]), 2), q),
            "[\"1\",\"2\"]"
        );
        let t = Data::Tuple(vec![le(&[5]), bytes(4, &6i32.to_le_bytes())]);
        assert_eq!(cell("tuple(uint64, int32)", t, q), "[\"5\",6]");
        assert_eq!(cell("interval_second", le(&[5]), q), "\"5\"");
        assert_eq!(cell("interval_second", le(&[5]), Style::Json), "5");
        assert_eq!(
            cell("int128", bytes(16, &(-1i128).to_le_bytes()), q),
            "\"-1\""
        );
        let null = Data::Nullable {
            nulls: vec![1],
            inner: Box::new(le(&[0])),
        };
        assert_eq!(cell("nullable(int64)", null, q), "null");
        // Map keys are strings in JSON whatever their type: quoted once.
        let map = array(Data::Tuple(vec![le(&[7]), le(&[8])]), 1);
        assert_eq!(cell("map(int64, uint64)", map.clone(), q), "{\"7\":\"8\"}");
        assert_eq!(cell("map(int64, uint64)", map, Style::Json), "{\"7\":8}");
        // Narrower integers, floats and decimals stay numbers.
        assert_eq!(cell("int32", bytes(4, &(-2i32).to_le_bytes()), q), "-2");
        assert_eq!(cell("float64", bytes(8, &0.5f64.to_le_bytes()), q), "0.5");
        assert_eq!(cell("decimal(18, 2)", le(&[150]), q), "1.50");
    }

    #[test]
    fn a_top_level_tuple_is_csv_fields() {
        // As ClickHouse (18.16 and Proton alike): each element a CSV field of its own, nested
        // tuples too; a tuple inside an array stays part of the array's quoted text.
        let null = Data::Nullable {
            nulls: vec![1],
            inner: Box::new(strs(&[""])),
        };
        let t = Data::Tuple(vec![strs(&["a\"b"]), bytes(1, &[1]), null]);
        let ty = "tuple(string, uint8, nullable(string))";
        assert_eq!(cell(ty, t.clone(), Style::Csv), "\"a\"\"b\",1,\\N");
        assert_eq!(cell(ty, t.clone(), Style::Tsv), "('a\"b',1,NULL)");
        let nested = Data::Tuple(vec![strs(&["x"]), t.clone()]);
        let nested_ty = format!("tuple(string, {ty})");
        assert_eq!(
            cell(&nested_ty, nested, Style::Csv),
            "\"x\",\"a\"\"b\",1,\\N"
        );
        let arr = array(t, 1);
        assert_eq!(
            cell(&format!("array({ty})"), arr, Style::Csv),
            "\"[('a\"\"b',1,NULL)]\""
        );
    }

    fn json(b: &[u8]) -> String {
        let mut out = Vec::new();
        json_escape_into(b, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_strings_are_escaped_as_clickhouse_escapes_them() {
        // The bytes clickhouse-client 18.16 writes in JSONEachRow (writeJSONString).
        assert_eq!(json(b"tab\tnl\ncr\r"), r#""tab\tnl\ncr\r""#);
        assert_eq!(json(b"q\"b\\s/"), r#""q\"b\\s\/""#);
        assert_eq!(json(b"\x08\x0c"), r#""\b\f""#);
        assert_eq!(json(b"\0\x01\x1f\x7f"), "\"\\u0000\\u0001\\u001F\x7f\"");
        assert_eq!(
            json("a\u{2028}b\u{2029}c".as_bytes()),
            r#""a\u2028b\u2029c""#
        );
        assert_eq!(json("é東京 \u{2027}".as_bytes()), "\"é東京 \u{2027}\"");
        assert_eq!(json(b""), r#""""#);
    }

    #[test]
    fn json_strings_are_valid_utf8_whatever_the_bytes() {
        // ClickHouse writes invalid UTF-8 as it is (not JSON); each bad sequence is U+FFFD here,
        // as ClickHouse's output_format_json_validate_utf8 does.
        assert_eq!(json(b"ok\xff\xfe!"), "\"ok\u{fffd}\u{fffd}!\"");
        assert_eq!(json(b"\xe2\x80"), "\"\u{fffd}\"");
        assert_eq!(json(b"\xe2\x80\xa8\xe2"), "\"\\u2028\u{fffd}\"");
        assert_eq!(json(b"\xc3\xa9\x80/"), "\"é\u{fffd}\\/\"");
    }

    #[test]
    fn invalid_utf8_is_escaped_for_people() {
        let mut out = Vec::new();
        plain_escape_into(b"ok\xff\xfe\nz\xc3\xa9", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "ok\\xff\\xfe\\nzé");
    }
}
