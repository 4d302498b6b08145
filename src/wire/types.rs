//! Column type names (Proton's `nullable(string)` and ClickHouse's `Nullable(String)`) parsed into `TypeDesc`.

use super::error::{Error, Result};
use chrono_tz::Tz;

/// A parsed column type. Both spellings parse to the same value; `Display` gives Proton's spelling.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDesc {
    Int {
        bits: u16,
        signed: bool,
    },
    Float32,
    Float64,
    Bool,
    Decimal {
        precision: u8,
        scale: u8,
    },
    String,
    FixedString(usize),
    Date,
    Date32,
    /// Seconds; `None` means "the server's timezone".
    DateTime(Option<Tz>),
    DateTime64 {
        precision: u8,
        tz: Option<Tz>,
    },
    Uuid,
    Ipv4,
    Ipv6,
    Enum8(Vec<(String, i16)>),
    Enum16(Vec<(String, i16)>),
    Nullable(Box<TypeDesc>),
    LowCardinality(Box<TypeDesc>),
    Array(Box<TypeDesc>),
    Map(Box<TypeDesc>, Box<TypeDesc>),
    /// Element names are `Some` for named tuples.
    Tuple(Vec<(Option<String>, TypeDesc)>),
    Nested(Vec<(String, TypeDesc)>),
    Nothing,
    Interval(String),
    /// v1.6 `json` as declared; on the wire each column carries its concrete tuple type.
    Json,
    /// A `json` column after its wire prefix: the concrete (named) tuple type.
    JsonTuple(Box<TypeDesc>),
    /// `variant(T1, …)`: each row holds a value of one alternative (or NULL); the order is
    /// the type name's, which the discriminators index.
    Variant(Vec<TypeDesc>),
    /// `dynamic` / `dynamic(max_types=N)` as declared; its prefix names the types, after which
    /// the column is read as a `Variant` over them and the shared variant.
    Dynamic,
    /// `shared_variant`: values of other types in ClickHouse's binary value encoding.
    SharedVariant,
    /// The 3.x `json(…)` with arguments: typed paths (sorted by path, as the server
    /// serializes them). A bare `json` is `Json`, resolved by the connection's layout.
    Json3(Vec<(String, TypeDesc)>),
    /// A 3.x `json` column after its prefix, object form: typed paths then dynamic paths
    /// (each a `Variant`), in the order their data follows; the shared data comes last.
    JsonObject(Vec<(String, TypeDesc)>),
    /// A 3.x `json` column after its prefix, string form: one JSON text per row.
    JsonText,
}

/// Byte width of a decimal of this precision.
pub fn decimal_width(precision: u8) -> usize {
    match precision {
        0..=9 => 4,
        10..=18 => 8,
        19..=38 => 16,
        _ => 32,
    }
}

/// Deepest nesting of type constructors we accept (`array(array(…))`, tuples, maps, json).
/// Real schemas stay far below this; it keeps parsing, decoding and rendering (all recursive)
/// well within a thread's stack.
pub const MAX_TYPE_DEPTH: usize = 64;
/// Longest type name we parse (an `enum16` with thousands of long names still fits).
pub const MAX_TYPE_NAME: usize = 1 << 20;
/// How much of a type name an error message quotes.
const QUOTE_LIMIT: usize = 120;

/// `s` cut to at most `QUOTE_LIMIT` bytes (at a char boundary) with an ellipsis, for messages.
pub(crate) fn quote_short(s: &str) -> String {
    if s.len() <= QUOTE_LIMIT {
        return s.to_string();
    }
    let mut end = QUOTE_LIMIT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

impl TypeDesc {
    /// Parse a type name as the server sends it.
    pub fn parse(name: &str) -> Result<TypeDesc> {
        Self::parse_at_depth(name, 0)
    }

    /// Parse a type name that sits `depth` constructors deep inside another type
    /// (json's concrete tuple type arrives separately but counts towards the same limit).
    pub fn parse_at_depth(name: &str, depth: usize) -> Result<TypeDesc> {
        if name.len() > MAX_TYPE_NAME {
            return Err(Error::Protocol(format!(
                "column type name of {} bytes exceeds the {MAX_TYPE_NAME}-byte limit",
                name.len()
            )));
        }
        // Only the outermost call builds a message, so it stays short at any depth.
        Self::parse_inner(name, depth).map_err(|e| match e {
            Error::UnknownType(part) if part != name => Error::UnknownType(format!(
                "{}` (unknown part `{}`)",
                quote_short(name),
                quote_short(&part)
            )),
            Error::UnknownType(part) => Error::UnknownType(quote_short(&part)),
            Error::Protocol(m) if m.starts_with(NESTING) => {
                Error::Protocol(format!("{m}: `{}`", quote_short(name)))
            }
            other => other,
        })
    }

    fn parse_inner(name: &str, depth: usize) -> Result<TypeDesc> {
        if depth > MAX_TYPE_DEPTH {
            return Err(Error::Protocol(format!(
                "{NESTING} {MAX_TYPE_DEPTH} levels"
            )));
        }
        let parse = |t: &str| TypeDesc::parse_inner(t, depth + 1);
        let unknown = || Error::UnknownType(name.to_string());
        let s = name.trim();
        let (family, args) = match s.find('(') {
            Some(open) => {
                if !s.ends_with(')') {
                    return Err(unknown());
                }
                (&s[..open], Some(&s[open + 1..s.len() - 1]))
            }
            None => (s, None),
        };
        let fam: String = family
            .trim()
            .chars()
            .filter(|c| *c != '_')
            .flat_map(|c| c.to_lowercase())
            .collect();
        let args_list = match args {
            Some(a) => split_args(a).ok_or_else(unknown)?,
            None => Vec::new(),
        };
        let one_type = |list: &[&str]| -> Result<Box<TypeDesc>> {
            match list {
                [t] => Ok(Box::new(parse(t)?)),
                _ => Err(unknown()),
            }
        };
        let ty = match (fam.as_str(), args.is_some()) {
            ("int8", false) | ("tinyint", false) | ("byte", false) => int(8, true),
            ("int16", false) | ("smallint", false) => int(16, true),
            ("int32", false) | ("int", false) | ("integer", false) => int(32, true),
            ("int64", false) | ("bigint", false) => int(64, true),
            ("int128", false) => int(128, true),
            ("int256", false) => int(256, true),
            ("uint8", false) => int(8, false),
            ("uint16", false) => int(16, false),
            ("uint32", false) | ("uint", false) => int(32, false),
            ("uint64", false) => int(64, false),
            ("uint128", false) => int(128, false),
            ("uint256", false) => int(256, false),
            ("float32", false) | ("float", false) => TypeDesc::Float32,
            ("float64", false) | ("double", false) => TypeDesc::Float64,
            ("bool", false) | ("boolean", false) => TypeDesc::Bool,
            ("string", false) | ("varchar", false) => TypeDesc::String,
            ("fixedstring", true) => match num_arg(&args_list, 0).ok_or_else(unknown)? {
                // Zero-width values cost no input bytes, so any row count would be free.
                0 => {
                    return Err(Error::Protocol(
                        "fixed_string(0) has zero width, which no server sends".into(),
                    ))
                }
                n => TypeDesc::FixedString(n),
            },
            ("decimal", true) => {
                let p = num_arg(&args_list, 0).ok_or_else(unknown)?;
                let sc = if args_list.len() > 1 {
                    num_arg(&args_list, 1).ok_or_else(unknown)?
                } else {
                    0
                };
                decimal(p, sc).ok_or_else(unknown)?
            }
            ("decimal32", true) => {
                decimal(9, num_arg(&args_list, 0).ok_or_else(unknown)?).ok_or_else(unknown)?
            }
            ("decimal64", true) => {
                decimal(18, num_arg(&args_list, 0).ok_or_else(unknown)?).ok_or_else(unknown)?
            }
            ("decimal128", true) => {
                decimal(38, num_arg(&args_list, 0).ok_or_else(unknown)?).ok_or_else(unknown)?
            }
            ("decimal256", true) => {
                decimal(76, num_arg(&args_list, 0).ok_or_else(unknown)?).ok_or_else(unknown)?
            }
            ("date", false) => TypeDesc::Date,
            ("date32", false) => TypeDesc::Date32,
            ("datetime", _) => TypeDesc::DateTime(match args_list.as_slice() {
                [] => None,
                [tz] => Some(parse_tz(tz).ok_or_else(unknown)?),
                _ => return Err(unknown()),
            }),
            ("datetime64", true) => {
                let precision: usize = num_arg(&args_list, 0).ok_or_else(unknown)?;
                if precision > 9 {
                    return Err(unknown());
                }
                let tz = match args_list.get(1) {
                    Some(tz) => Some(parse_tz(tz).ok_or_else(unknown)?),
                    None => None,
                };
                TypeDesc::DateTime64 {
                    precision: precision as u8,
                    tz,
                }
            }
            ("uuid", false) => TypeDesc::Uuid,
            ("ipv4", false) | ("inet4", false) => TypeDesc::Ipv4,
            ("ipv6", false) | ("inet6", false) => TypeDesc::Ipv6,
            ("enum8", true) => TypeDesc::Enum8(enum_items(&args_list).ok_or_else(unknown)?),
            ("enum16", true) | ("enum", true) => {
                TypeDesc::Enum16(enum_items(&args_list).ok_or_else(unknown)?)
            }
            ("nullable", true) => TypeDesc::Nullable(one_type(&args_list)?),
            ("lowcardinality", true) => {
                let inner = one_type(&args_list)?;
                if !fits_low_cardinality(&inner) {
                    return Err(Error::Protocol(format!(
                        "low_cardinality({}) is not a type the server can send: only numbers, \
                         strings, fixed strings, dates, datetimes, UUIDs and IP addresses \
                         (or nullable of these) can be low_cardinality",
                        quote_short(&inner.to_string())
                    )));
                }
                TypeDesc::LowCardinality(inner)
            }
            ("array", true) => TypeDesc::Array(one_type(&args_list)?),
            ("map", true) => match args_list.as_slice() {
                [k, v] => TypeDesc::Map(Box::new(parse(k)?), Box::new(parse(v)?)),
                _ => return Err(unknown()),
            },
            ("tuple", true) => {
                let mut items = Vec::with_capacity(args_list.len());
                for a in &args_list {
                    items.push(match split_named(a) {
                        Some((n, t)) => (Some(n), parse(t)?),
                        None => (None, parse(a)?),
                    });
                }
                TypeDesc::Tuple(items)
            }
            ("nested", true) => {
                let mut items = Vec::with_capacity(args_list.len());
                for a in &args_list {
                    let (n, t) = split_named(a).ok_or_else(unknown)?;
                    items.push((n, parse(t)?));
                }
                TypeDesc::Nested(items)
            }
            ("nothing", false) => TypeDesc::Nothing,
            ("json", false) | ("object", true) => TypeDesc::Json,
            ("json", true) => TypeDesc::Json3(json_typed_paths(&args_list, &parse)?),
            ("variant", true) => {
                // Discriminators are a byte and 255 means NULL.
                if args_list.len() > 255 {
                    return Err(unknown());
                }
                let mut alts = Vec::with_capacity(args_list.len());
                for a in &args_list {
                    alts.push(parse(a)?);
                }
                TypeDesc::Variant(alts)
            }
            ("dynamic", false) => TypeDesc::Dynamic,
            ("dynamic", true) => match args_list.as_slice() {
                [a] if setting_arg(a, "max_types").is_some() => TypeDesc::Dynamic,
                _ => return Err(unknown()),
            },
            ("sharedvariant", false) => TypeDesc::SharedVariant,
            ("simpleaggregatefunction", true) => match args_list.as_slice() {
                [_f, t] => parse(t)?,
                _ => return Err(unknown()),
            },
            (f, false)
                if f.starts_with("interval")
                    && f.len() > 8
                    && f[8..].bytes().all(|b| b.is_ascii_alphabetic()) =>
            {
                TypeDesc::Interval(f[8..].to_string())
            }
            _ => return Err(unknown()),
        };
        Ok(ty)
    }

    /// True for types whose values are shown quoted inside arrays and tuples.
    pub fn quoted_inside(&self) -> bool {
        match self {
            TypeDesc::String
            | TypeDesc::FixedString(_)
            | TypeDesc::Date
            | TypeDesc::Date32
            | TypeDesc::DateTime(_)
            | TypeDesc::DateTime64 { .. }
            | TypeDesc::Uuid
            | TypeDesc::Ipv4
            | TypeDesc::Ipv6
            | TypeDesc::Enum8(_)
            | TypeDesc::Enum16(_) => true,
            TypeDesc::Nullable(t) | TypeDesc::LowCardinality(t) => t.quoted_inside(),
            _ => false,
        }
    }

    /// True for numeric types (right-aligned in tables).
    pub fn is_numeric(&self) -> bool {
        match self {
            TypeDesc::Int { .. }
            | TypeDesc::Float32
            | TypeDesc::Float64
            | TypeDesc::Decimal { .. } => true,
            TypeDesc::Nullable(t) | TypeDesc::LowCardinality(t) => t.is_numeric(),
            _ => false,
        }
    }

    /// A width hint for table layout, in characters, when the type bounds it.
    pub fn display_width_hint(&self) -> Option<usize> {
        Some(match self {
            TypeDesc::Bool => 5,
            TypeDesc::Date | TypeDesc::Date32 => 10,
            TypeDesc::DateTime(_) => 19,
            TypeDesc::DateTime64 { precision, .. } => 20 + *precision as usize,
            TypeDesc::Uuid => 36,
            TypeDesc::Ipv4 => 15,
            TypeDesc::Int { bits: 8, signed } => 3 + *signed as usize,
            TypeDesc::Int { bits: 16, signed } => 5 + *signed as usize,
            TypeDesc::Int { bits: 32, signed } => 10 + *signed as usize,
            TypeDesc::Nullable(t) => t.display_width_hint()?.max(4),
            TypeDesc::LowCardinality(t) => t.display_width_hint()?,
            _ => return None,
        })
    }
}

/// True for the dictionary types a low_cardinality column may have: what Proton's and
/// ClickHouse's `canBeInsideLowCardinality` accepts (`P: DataTypeLowCardinality.cpp`), a
/// scalar or a nullable scalar. Every such entry is a string or fixed-width value whose
/// rendered size the decoder charges per row; a composite entry (an array, a tuple) could be
/// repeated by every row for the cost of a one-byte key.
fn fits_low_cardinality(t: &TypeDesc) -> bool {
    let key = match t {
        TypeDesc::Nullable(inner) => inner.as_ref(),
        t => t,
    };
    matches!(
        key,
        TypeDesc::Int { .. }
            | TypeDesc::Float32
            | TypeDesc::Float64
            | TypeDesc::Bool
            | TypeDesc::String
            | TypeDesc::FixedString(_)
            | TypeDesc::Date
            | TypeDesc::Date32
            | TypeDesc::DateTime(_)
            | TypeDesc::Uuid
            | TypeDesc::Ipv4
            | TypeDesc::Ipv6
            | TypeDesc::Interval(_)
    )
}

/// How the nesting-limit error starts (the outermost parse appends the quoted name).
const NESTING: &str = "column type nests deeper than the limit of";

fn int(bits: u16, signed: bool) -> TypeDesc {
    TypeDesc::Int { bits, signed }
}

fn decimal(precision: usize, scale: usize) -> Option<TypeDesc> {
    if precision == 0 || precision > 76 || scale > precision {
        return None;
    }
    Some(TypeDesc::Decimal {
        precision: precision as u8,
        scale: scale as u8,
    })
}

/// `name = N` (or `name=N`) → N.
fn setting_arg(a: &str, name: &str) -> Option<u64> {
    let (k, v) = a.split_once('=')?;
    (k.trim().eq_ignore_ascii_case(name))
        .then(|| v.trim().parse().ok())
        .flatten()
}

/// The typed paths of `json(max_dynamic_paths=N, a.b T, SKIP x, SKIP REGEXP 'r', …)`,
/// sorted by path (ClickHouse's SerializationObject writes them in that order).
fn json_typed_paths(
    args: &[&str],
    parse: &dyn Fn(&str) -> Result<TypeDesc>,
) -> Result<Vec<(String, TypeDesc)>> {
    let mut typed = Vec::new();
    for a in args {
        let a = a.trim();
        let first = a.split_whitespace().next().unwrap_or("");
        if setting_arg(a, "max_dynamic_paths").is_some()
            || setting_arg(a, "max_dynamic_types").is_some()
            || first.eq_ignore_ascii_case("skip")
        {
            continue;
        }
        match split_named(a) {
            Some((path, t)) => typed.push((path, parse(t)?)),
            None => return Err(Error::UnknownType(a.to_string())),
        }
    }
    typed.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(typed)
}

fn num_arg(args: &[&str], i: usize) -> Option<usize> {
    args.get(i)?.trim().parse().ok()
}

fn unquote(s: &str) -> Option<String> {
    let s = s.trim();
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(match chars.next()? {
                'n' => '\n',
                't' => '\t',
                '0' => '\0',
                other => other,
            });
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn parse_tz(s: &str) -> Option<Tz> {
    unquote(s)?.parse().ok()
}

fn enum_items(args: &[&str]) -> Option<Vec<(String, i16)>> {
    args.iter()
        .map(|a| {
            // 'name' = value; the name may itself contain '='.
            let eq = a.rfind('=')?;
            Some((unquote(&a[..eq])?, a[eq + 1..].trim().parse().ok()?))
        })
        .collect()
}

/// Split `a, b(c, d), 'e,f'` at top-level commas.
fn split_args(s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let (mut depth, mut start, mut quote) = (0i32, 0usize, None::<u8>);
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'\'' | b'`' | b'"' => quote = Some(c),
                b'(' => depth += 1,
                b')' => depth -= 1,
                b',' if depth == 0 => {
                    out.push(s[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    if depth != 0 || quote.is_some() {
        return None;
    }
    out.push(s[start..].trim());
    Some(out)
}

/// `name type` (name possibly backquoted) → (name, type); `None` if the element is a bare type.
fn split_named(s: &str) -> Option<(String, &str)> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('`') {
        let end = rest.find('`')?;
        return Some((rest[..end].to_string(), rest[end + 1..].trim()));
    }
    let first_paren = s.find('(').unwrap_or(s.len());
    let space = s.find(' ')?;
    if space < first_paren {
        Some((s[..space].to_string(), s[space + 1..].trim()))
    } else {
        None
    }
}

/// A tuple or nested element name as `split_named` reads it back: bare when it is a plain
/// identifier, in backquotes otherwise (a name holding a backquote can only be bare).
struct ElementName<'a>(&'a str);

impl std::fmt::Display for ElementName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0;
        let plain = !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if plain || n.contains('`') {
            f.write_str(n)
        } else {
            write!(f, "`{n}`")
        }
    }
}

impl std::fmt::Display for TypeDesc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tz = |f: &mut std::fmt::Formatter<'_>, tz: &Option<Tz>| match tz {
            Some(t) => write!(f, "'{}'", t.name()),
            None => Ok(()),
        };
        match self {
            TypeDesc::Int { bits, signed } => {
                write!(f, "{}int{}", if *signed { "" } else { "u" }, bits)
            }
            TypeDesc::Float32 => f.write_str("float32"),
            TypeDesc::Float64 => f.write_str("float64"),
            TypeDesc::Bool => f.write_str("bool"),
            TypeDesc::Decimal { precision, scale } => write!(f, "decimal({precision}, {scale})"),
            TypeDesc::String => f.write_str("string"),
            TypeDesc::FixedString(n) => write!(f, "fixed_string({n})"),
            TypeDesc::Date => f.write_str("date"),
            TypeDesc::Date32 => f.write_str("date32"),
            TypeDesc::DateTime(None) => f.write_str("datetime"),
            TypeDesc::DateTime(t) => {
                f.write_str("datetime(")?;
                tz(f, t)?;
                f.write_str(")")
            }
            TypeDesc::DateTime64 { precision, tz: t } => {
                write!(f, "datetime64({precision}")?;
                if t.is_some() {
                    f.write_str(", ")?;
                    tz(f, t)?;
                }
                f.write_str(")")
            }
            TypeDesc::Uuid => f.write_str("uuid"),
            TypeDesc::Ipv4 => f.write_str("ipv4"),
            TypeDesc::Ipv6 => f.write_str("ipv6"),
            TypeDesc::Enum8(items) | TypeDesc::Enum16(items) => {
                f.write_str(if matches!(self, TypeDesc::Enum8(_)) {
                    "enum8("
                } else {
                    "enum16("
                })?;
                for (i, (n, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    // Escaped as `unquote` reads it back: backslashes first, then quotes.
                    write!(
                        f,
                        "'{}' = {v}",
                        n.replace('\\', "\\\\").replace('\'', "\\'")
                    )?;
                }
                f.write_str(")")
            }
            TypeDesc::Nullable(t) => write!(f, "nullable({t})"),
            TypeDesc::LowCardinality(t) => write!(f, "low_cardinality({t})"),
            TypeDesc::Array(t) => write!(f, "array({t})"),
            TypeDesc::Map(k, v) => write!(f, "map({k}, {v})"),
            TypeDesc::Tuple(items) => {
                f.write_str("tuple(")?;
                for (i, (n, t)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match n {
                        Some(n) => write!(f, "{} {t}", ElementName(n))?,
                        None => write!(f, "{t}")?,
                    }
                }
                f.write_str(")")
            }
            TypeDesc::Nested(items) => {
                f.write_str("nested(")?;
                for (i, (n, t)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} {t}", ElementName(n))?;
                }
                f.write_str(")")
            }
            TypeDesc::Nothing => f.write_str("nothing"),
            TypeDesc::Interval(k) => write!(f, "interval_{k}"),
            TypeDesc::Json
            | TypeDesc::JsonTuple(_)
            | TypeDesc::JsonObject(_)
            | TypeDesc::JsonText => f.write_str("json"),
            TypeDesc::Json3(typed) => {
                f.write_str("json(")?;
                for (i, (n, t)) in typed.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} {t}", ElementName(n))?;
                }
                f.write_str(")")
            }
            TypeDesc::Variant(alts) => {
                f.write_str("variant(")?;
                for (i, t) in alts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(")")
            }
            TypeDesc::Dynamic => f.write_str("dynamic"),
            TypeDesc::SharedVariant => f.write_str("shared_variant"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> TypeDesc {
        TypeDesc::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn both_spellings_parse_alike() {
        for (proton, ch) in [
            ("string", "String"),
            ("uint64", "UInt64"),
            ("nullable(uint8)", "Nullable(UInt8)"),
            (
                "low_cardinality(nullable(string))",
                "LowCardinality(Nullable(String))",
            ),
            ("fixed_string(4)", "FixedString(4)"),
            ("datetime('UTC')", "DateTime('UTC')"),
            ("decimal(9, 2)", "Decimal(9, 2)"),
            ("array(tuple(uint8, string))", "Array(Tuple(UInt8, String))"),
            ("interval_second", "IntervalSecond"),
            ("nothing", "Nothing"),
            ("map(string, int64)", "Map(String, Int64)"),
        ] {
            assert_eq!(p(proton), p(ch), "{proton} vs {ch}");
            assert_eq!(p(ch).to_string(), proton);
        }
    }

    #[test]
    fn parameters_are_read() {
        assert_eq!(
            p("datetime64(3, 'Asia/Tokyo')"),
            TypeDesc::DateTime64 {
                precision: 3,
                tz: Some(chrono_tz::Asia::Tokyo)
            }
        );
        assert_eq!(
            p("decimal128(6)"),
            TypeDesc::Decimal {
                precision: 38,
                scale: 6
            }
        );
        assert_eq!(
            p("enum8('a' = 1, 'b=c' = -2)"),
            TypeDesc::Enum8(vec![("a".into(), 1), ("b=c".into(), -2)])
        );
        assert_eq!(
            p("tuple(a int32, `b c` nullable(string))"),
            TypeDesc::Tuple(vec![
                (Some("a".into()), p("int32")),
                (Some("b c".into()), p("nullable(string)"))
            ])
        );
        assert_eq!(p("simple_aggregate_function(sum, uint64)"), p("uint64"));
    }

    #[test]
    fn enum_names_with_quotes_and_backslashes_round_trip() {
        // Found by the type_names fuzz target.
        let t = p(r"enum8('it\'s \\ \\\' x' = 1, 'a=b' = 2)");
        assert_eq!(p(&t.to_string()), t);
        let TypeDesc::Enum8(items) = &t else {
            panic!("{t:?}")
        };
        assert_eq!(items[0].0, r"it's \ \' x");
    }

    #[test]
    fn deep_or_degenerate_types_are_refused_briefly() {
        let deep = format!("{}int8{}", "array(".repeat(2450), ")".repeat(2450));
        let msg = TypeDesc::parse(&deep).unwrap_err().to_string();
        assert!(msg.contains("64") && msg.len() < 300, "{msg}");
        let at_limit = format!("{}int8{}", "array(".repeat(64), ")".repeat(64));
        assert!(TypeDesc::parse(&at_limit).is_ok());
        let unknown = format!("{}frob{}", "tuple(".repeat(60), ")".repeat(60));
        let msg = TypeDesc::parse(&unknown).unwrap_err().to_string();
        assert!(msg.contains("`frob`") && msg.len() < 400, "{msg}");
        assert!(TypeDesc::parse("fixed_string(0)").is_err());
    }

    #[test]
    fn the_3x_types_parse_in_both_spellings() {
        assert_eq!(
            p("variant(string, array(uint8))"),
            TypeDesc::Variant(vec![p("string"), p("array(uint8)")])
        );
        assert_eq!(
            p("Variant(String, Array(UInt8))"),
            p("variant(string, array(uint8))")
        );
        assert_eq!(p("dynamic"), TypeDesc::Dynamic);
        assert_eq!(p("dynamic(max_types=8)"), TypeDesc::Dynamic);
        assert_eq!(p("Dynamic(max_types = 8)"), TypeDesc::Dynamic);
        assert_eq!(p("shared_variant"), TypeDesc::SharedVariant);
        assert_eq!(p("SharedVariant"), TypeDesc::SharedVariant);
        assert_eq!(p("json"), TypeDesc::Json);
        // Typed paths, sorted; settings and SKIP clauses carry no data.
        assert_eq!(
            p("json(max_dynamic_paths=10, z uint8, a.b nullable(string), SKIP x.y, SKIP REGEXP 'q.*')"),
            TypeDesc::Json3(vec![
                ("a.b".into(), p("nullable(string)")),
                ("z".into(), p("uint8"))
            ])
        );
        assert_eq!(
            p("variant(string, uint64)").to_string(),
            "variant(string, uint64)"
        );
        for bad in [
            "dynamic(max_types=x)",
            "dynamic(8)",
            "variant(frob)",
            "json(a frob)",
        ] {
            assert!(TypeDesc::parse(bad).is_err(), "{bad}");
        }
        let many = format!("variant({})", vec!["uint8"; 256].join(", "));
        assert!(TypeDesc::parse(&many).is_err());
    }

    #[test]
    fn low_cardinality_holds_only_what_the_server_allows() {
        for ok in [
            "low_cardinality(string)",
            "low_cardinality(nullable(string))",
            "LowCardinality(Nullable(FixedString(2)))",
            "low_cardinality(uint64)",
            "low_cardinality(float32)",
            "low_cardinality(date)",
            "low_cardinality(datetime('UTC'))",
            "low_cardinality(uuid)",
            "low_cardinality(nullable(ipv6))",
            "array(low_cardinality(string))",
            "map(low_cardinality(string), uint8)",
        ] {
            p(ok);
        }
        // Composite or name-rendered dictionaries: one entry shown by every row would cost
        // far more than the key each row sends.
        for bad in [
            "low_cardinality(array(uint8))",
            "low_cardinality(tuple(uint8, string))",
            "low_cardinality(map(string, string))",
            "low_cardinality(nullable(array(uint8)))",
            "low_cardinality(low_cardinality(string))",
            "low_cardinality(nullable(low_cardinality(string)))",
            "low_cardinality(enum8('a' = 1))",
            "low_cardinality(decimal(9, 2))",
            "low_cardinality(json)",
            "low_cardinality(dynamic)",
            "low_cardinality(nothing)",
        ] {
            let err = TypeDesc::parse(bad).unwrap_err().to_string();
            assert!(err.contains("can be low_cardinality"), "{bad}: {err}");
        }
        let huge = format!(
            "low_cardinality(tuple({}))",
            vec!["uint8"; 10_000].join(", ")
        );
        let err = TypeDesc::parse(&huge).unwrap_err().to_string();
        assert!(err.len() < 400, "{err}");
    }

    #[test]
    fn unknown_types_are_named_in_the_error() {
        for bad in [
            "frobnicate",
            "AggregateFunction(uniq, UInt8)",
            "array(",
            "nullable()",
            "datetime('Not/AZone')",
            "decimal(99, 2)",
        ] {
            let err = TypeDesc::parse(bad).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
