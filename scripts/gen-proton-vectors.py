#!/usr/bin/env python3
"""Generate native-protocol block test vectors for proton-shell with Timeplus's own encoder (proton-driver).

Every vector is one native block: BlockInfo, varuint num_columns, varuint
num_rows, then for the single column `c`: name, type, column data. These are
the bytes that follow the packet-type varint and the table-name string of a
Data packet.

The bytes come only from proton-driver's own block-writing code
(`proton_driver.block.ColumnOrientedBlock` written by
`proton_driver.streams.native.BlockOutputStream`). They are never hand-assembled.
The expected TabSeparated rendering of each row ("tsv" in manifest.json) is
computed here from the Python input values by simple, independent rules that
copy ClickHouse/Proton's text serialization. It is NOT computed by decoding the
bytes.

Regenerate with:

    pip install proton-driver==0.3.0 && python3 scripts/gen-proton-vectors.py

The output is deterministic: running it again produces byte-identical files.
"""

import copy
import datetime as dt
import json
import math
import os
import re
import struct
import sys
import uuid
from decimal import Decimal, localcontext
from ipaddress import IPv4Address, IPv6Address
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import proton_driver
from proton_driver import errors as driver_errors
from proton_driver.block import ColumnOrientedBlock
from proton_driver.bufferedreader import BufferedSocketReader
from proton_driver.bufferedwriter import BufferedSocketWriter
from proton_driver.context import Context
from proton_driver.streams.native import BlockInputStream, BlockOutputStream

EXPECTED_DRIVER_VERSION = (0, 3, 0)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "tests", "data", "proton-vectors")
COLUMN_NAME = "c"
UTC = dt.timezone.utc


# --------------------------------------------------------------------------
# Driver plumbing: a fake socket and a fake connection context.
# --------------------------------------------------------------------------


class _CollectingSocket:
    """Stands in for the TCP socket. BufferedSocketWriter calls sendall()."""

    def __init__(self):
        self.data = bytearray()

    def sendall(self, chunk):
        self.data += chunk


class _ReplaySocket:
    """Stands in for the TCP socket. BufferedSocketReader calls recv_into()."""

    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def recv_into(self, buf, nbytes=0):
        n = min(len(buf) if not nbytes else nbytes, len(self.data) - self.pos)
        buf[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


def make_context():
    """The minimum that the driver's column code reads from a Connection."""
    ctx = Context()
    ctx.server_info = SimpleNamespace(
        name="Proton", version_major=1, version_minor=6, version_patch=1,
        revision=54453,          # proton_driver.defines.CLIENT_REVISION
        used_revision=54453,
        timezone="UTC",          # server timezone assumed by the vectors
        display_name="proton",
    )
    ctx.settings = {}            # use_client_time_zone unset -> server tz wins
    ctx.client_settings = {
        "insert_block_size": 1048576,
        "strings_as_bytes": False,
        "strings_encoding": "utf-8",
        "use_numpy": False,
        "opentelemetry_traceparent": None,
        "opentelemetry_tracestate": "",
        "quota_key": "",
        "namedtuple_as_json": False,
    }
    return ctx


def encode_block(type_name, values):
    """Bytes of one native block with a single column `c`, from the driver."""
    sock = _CollectingSocket()
    writer = BufferedSocketWriter(sock, 1 << 20)
    block = ColumnOrientedBlock(
        columns_with_types=[(COLUMN_NAME, type_name)],
        # The driver rewrites the item list in place, so give it a copy.
        data=[copy.deepcopy(list(values))],
    )
    BlockOutputStream(writer, make_context()).write(block)
    return bytes(sock.data)


def decode_block(data):
    """Read the vector back with the driver's reader (sanity check only)."""
    sock = _ReplaySocket(data)
    reader = BufferedSocketReader(sock, 1 << 20)
    block = BlockInputStream(reader, make_context()).read()
    return block.columns_with_types, block.get_columns()


# --------------------------------------------------------------------------
# Expected TabSeparated rendering, from the Python values (independent rules).
# --------------------------------------------------------------------------


def split_top_level(s):
    """Split on commas that are not inside parentheses or single quotes."""
    parts, depth, cur, i, in_quote = [], 0, [], 0, False
    while i < len(s):
        ch = s[i]
        if in_quote:
            cur.append(ch)
            if ch == "\\" and i + 1 < len(s):
                cur.append(s[i + 1])
                i += 1
            elif ch == "'":
                in_quote = False
        elif ch == "'":
            in_quote = True
            cur.append(ch)
        elif ch == "(":
            depth += 1
            cur.append(ch)
        elif ch == ")":
            depth -= 1
            cur.append(ch)
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if cur or parts:
        parts.append("".join(cur).strip())
    return parts


def parse_type(s):
    """'array(nullable(uint8))' -> ('array', [('nullable', [('uint8', [])])])."""
    s = s.strip()
    m = re.match(r"^([a-z_0-9]+)\((.*)\)$", s, re.S)
    if not m:
        return (s, [])
    name, inner = m.group(1), m.group(2)
    if name in ("array", "nullable", "low_cardinality", "map"):
        return (name, [parse_type(a) for a in split_top_level(inner)])
    if name in ("tuple", "nested"):
        elems = []
        for a in split_top_level(inner):
            # "a int32" is a named element; "int32" / "array(int32)" are not.
            nm = re.match(r"^([A-Za-z_][A-Za-z0-9_]*) (.+)$", a, re.S)
            elems.append(parse_type(nm.group(2) if nm else a))
        return (name, elems)
    # fixed_string(N), decimal(P, S), datetime('tz'), datetime64(p, 'tz'),
    # enum8(...): keep raw parameter strings.
    return (name, split_top_level(inner))


_ESCAPES = {
    "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
    "\0": "\\0", "\\": "\\\\", "'": "\\'",
}


def escape(s):
    """ClickHouse writeAnyEscapedString<'\\''> (TSV fields, quoted strings)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in s)


def quote(s):
    return "'" + escape(s) + "'"


def _shortest_digits_f32(x):
    """Shortest decimal (digits, exponent) that round-trips as float32."""
    packed = struct.pack("<f", x)
    for prec in range(1, 10):
        s = "%.*e" % (prec - 1, x)
        try:
            if struct.pack("<f", float(s)) == packed:
                return Decimal(s)
        except OverflowError:  # rounded up past FLT_MAX
            continue
    raise AssertionError(x)


def render_float(x, bits):
    """ClickHouse writeFloatText: integer fast path (itoa) or shortest digits.

    Decimal notation when the scientific exponent e is in [-4, 15], scientific
    ('1e21', '1e-7', '3.4028235e38') when e <= -7 or e >= 21. The notation for
    -6 <= e <= -5 and 16 <= e <= 20 is not verified, so such values
    (and -0.0) are refused rather than guessed.
    """
    if math.isnan(x):
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        if math.copysign(1.0, x) < 0:
            raise ValueError("-0.0 rendering not verified")
        return "0"
    mantissa_bits = 52 if bits == 64 else 23
    if x == int(x) and abs(x) < 2 ** (mantissa_bits + 1):
        return str(int(x))
    d = Decimal(repr(x)) if bits == 64 else _shortest_digits_f32(x)
    sign, digits, exp = d.normalize().as_tuple()
    digits = "".join(map(str, digits))
    e = len(digits) - 1 + exp
    prefix = "-" if sign else ""
    if e <= -7 or e >= 21:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return "%s%se%d" % (prefix, mant, e)
    if not -4 <= e <= 15:
        raise ValueError("float notation for exponent %d not verified" % e)
    if exp >= 0:
        return prefix + digits + "0" * exp
    point = len(digits) + exp
    if point > 0:
        return prefix + digits[:point] + "." + digits[point:]
    return prefix + "0." + "0" * (-point) + digits


def render_decimal(value, scale, trailing_zeros):
    """ClickHouse writeText(Decimal, scale, trailing_zeros)."""
    with localcontext() as ctx:
        ctx.prec = 200  # exact: the default 28 digits would round decimal256
        scaled = Decimal(str(value)).scaleb(scale)
        unscaled = int(scaled)
        assert Decimal(unscaled) == scaled, (value, scale)
    digits = str(abs(unscaled)).rjust(scale + 1, "0")
    whole = digits[:len(digits) - scale] if scale else digits
    frac = digits[len(digits) - scale:] if scale else ""
    sign = "-" if unscaled < 0 else ""
    if not trailing_zeros:
        frac = frac.rstrip("0")
    return sign + whole + ("." + frac if frac else "")


def render_ipv6(packed):
    """ClickHouse formatIPv6 (BSD inet_ntop rules, lowercase, no zero pad)."""
    words = [(packed[i] << 8) | packed[i + 1] for i in range(0, 16, 2)]
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i, w in enumerate(words):
        if w == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    out = []
    for i, w in enumerate(words):
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out.append(":")
            continue
        if i != 0:
            out.append(":")
        if i == 6 and best_base == 0 and (
                best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            out.append(".".join(str(b) for b in packed[12:16]))
            return "".join(out)
        out.append("%x" % w)
    if best_base != -1 and best_base + best_len == len(words):
        out.append(":")
    return "".join(out)


def _tz_param(params, index):
    if len(params) > index:
        return ZoneInfo(params[index].strip().strip("'"))
    return UTC  # no explicit timezone: the server's (assumed UTC)


def render(node, v, nested, trailing_zeros=True):
    """Text of one value: top-level TSV field (nested=False) or an element
    inside array/tuple/map (nested=True, i.e. serializeTextQuoted)."""
    name, args = node

    def text_or_quoted(s):
        return quote(s) if nested else escape(s)

    if name == "nullable":
        if v is None:
            return "NULL" if nested else "\\N"
        return render(args[0], v, nested, trailing_zeros)
    if name == "low_cardinality":
        return render(args[0], v, nested, trailing_zeros)
    if re.match(r"^u?int(8|16|32|64|128|256)$", name) or \
            name.startswith("interval_"):
        return str(int(v))
    if name == "float32":
        return render_float(struct.unpack("<f", struct.pack("<f", v))[0], 32)
    if name == "float64":
        return render_float(float(v), 64)
    if name == "bool":
        return "true" if v else "false"
    if name == "decimal":
        return render_decimal(v, int(args[1]), trailing_zeros)
    if name == "string":
        return text_or_quoted(v)
    if name == "fixed_string":
        n = int(args[0])
        raw = v.encode("utf-8")
        assert len(raw) <= n
        return text_or_quoted((raw + b"\0" * (n - len(raw))).decode("utf-8"))
    if name in ("date", "date32"):
        return text_or_quoted(v.isoformat())
    if name == "datetime":
        local = v.astimezone(_tz_param(args, 0))
        return text_or_quoted(local.strftime("%Y-%m-%d %H:%M:%S"))
    if name == "datetime64":
        precision = int(args[0])
        assert 0 <= precision <= 6
        local = v.astimezone(_tz_param(args, 1))
        s = local.strftime("%Y-%m-%d %H:%M:%S")
        if precision:
            s += "." + ("%06d" % local.microsecond)[:precision]
        return text_or_quoted(s)
    if name == "uuid":
        return text_or_quoted(str(uuid.UUID(v)))
    if name == "ipv4":
        return text_or_quoted(str(IPv4Address(v)))
    if name == "ipv6":
        return text_or_quoted(render_ipv6(IPv6Address(v).packed))
    if name in ("enum8", "enum16"):
        return text_or_quoted(v)
    if name == "array":
        return "[" + ",".join(
            render(args[0], x, True, trailing_zeros) for x in v) + "]"
    if name == "nested":
        tup = ("tuple", args)
        return "[" + ",".join(
            render(tup, x, True, trailing_zeros) for x in v) + "]"
    if name == "tuple":
        assert len(v) == len(args)
        return "(" + ",".join(
            render(t, x, True, trailing_zeros) for t, x in zip(args, v)) + ")"
    if name == "map":
        k_t, v_t = args
        return "{" + ",".join(
            render(k_t, k, True, trailing_zeros) + ":" +
            render(v_t, x, True, trailing_zeros)
            for k, x in v.items()) + "}"
    if name == "json":
        # Raw JSON text as the driver sends it (see the note in VECTORS).
        return text_or_quoted(v)
    raise ValueError("no TSV rule for type %r" % (name,))


def contains_decimal(node):
    name, args = node
    return name == "decimal" or any(
        isinstance(a, tuple) and contains_decimal(a) for a in args)


# --------------------------------------------------------------------------
# The vectors.
# --------------------------------------------------------------------------


def utc(*a):
    return dt.datetime(*a, tzinfo=UTC)


D = Decimal

VECTORS = [
    # integers
    ("int8", [-128, -1, 0, 127]),
    ("int16", [-32768, 0, 1, 32767]),
    ("int32", [-2147483648, 0, 42, 2147483647]),
    ("int64", [-9223372036854775808, 0, 1, 9223372036854775807]),
    ("int128", [-(2 ** 127), -1, 0, 2 ** 127 - 1]),
    ("int256", [-(2 ** 255), -1, 1, 2 ** 255 - 1]),
    ("uint8", [0, 1, 255]),
    ("uint16", [0, 65535, 258]),
    ("uint32", [0, 4294967295, 123]),
    ("uint64", [0, 18446744073709551615, 1]),
    ("uint128", [0, 2 ** 128 - 1, 1 << 64]),
    ("uint256", [0, 2 ** 256 - 1, 1 << 128]),
    # floats (more than 4 rows, to cover the notation rules and specials)
    ("float32", [1.5, 0.1, -3.25, 16777215.0, 1e-07, 3.4028234663852886e38,
                 float("inf"), float("nan")]),
    ("float64", [1.5, 0.0, -2.5, 0.1, 1e21, 1e-07, 9007199254740991.0,
                 123456.789, 0.001, float("inf"), float("-inf"),
                 float("nan")]),
    ("bool", [True, False]),
    # decimals
    ("decimal(9, 2)", [D("1.5"), D("0"), D("-0.01"), D("9999999.99")]),
    ("decimal(18, 4)", [D("3"), D("-12345678901234.5678"),
                        D("99999999999999.9999"), D("0.0001")]),
    ("decimal(38, 10)", [D("-1.5"),
                         D("9999999999999999999999999999.9999999999"),
                         D("0.0000000001"), D("42")]),
    ("decimal(76, 20)", [
        D("0"),
        D("-123456789012345678901234567890.12345678901234567890"),
        D("9" * 56 + "." + "9" * 20),
        D("1.1")]),
    # strings
    ("string", ["", "plain", "tab\there", "new\nline", "back\\slash",
                "quote'single", 'double"quote', "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c",
                "nul\0byte", "cr\r bs\b ff\f"]),
    ("fixed_string(4)", ["abcd", "ab", "", "\u00e9", "a'\t"]),
    # dates and times
    ("date", [dt.date(1970, 1, 1), dt.date(2024, 2, 29), dt.date(2149, 6, 6)]),
    ("date32", [dt.date(1925, 1, 1), dt.date(1969, 12, 31),
                dt.date(2024, 2, 29), dt.date(2283, 11, 11)]),
    ("datetime", [utc(1970, 1, 1), utc(2024, 2, 29, 23, 59, 59),
                  utc(2106, 2, 7, 6, 28, 15)]),
    ("datetime('Europe/London')", [
        utc(2024, 1, 15, 12, 0, 0),      # GMT
        utc(2024, 7, 1, 12, 0, 0),       # BST
        utc(2024, 3, 31, 1, 0, 0),       # first instant of BST
        utc(2024, 10, 27, 0, 59, 59)]),  # last second of BST
    ("datetime64(3)", [utc(1970, 1, 1), utc(2024, 2, 29, 12, 34, 56, 789000),
                       utc(2000, 1, 1, 0, 0, 0, 1000)]),
    ("datetime64(6, 'UTC')", [utc(2038, 1, 19, 3, 14, 8, 1),
                              utc(1970, 1, 1, 0, 0, 0, 999999),
                              utc(2262, 4, 11, 23, 47, 16, 854775)]),
    ("datetime64(3, 'Asia/Tokyo')", [utc(1970, 1, 1),
                                     utc(2024, 1, 1, 0, 0, 0, 500000),
                                     utc(2023, 12, 31, 15, 0, 0)]),
    # uuid / ip
    ("uuid", ["00000000-0000-0000-0000-000000000000",
              "123e4567-e89b-12d3-a456-426614174000",
              "01234567-89ab-cdef-0011-223344556677",
              "ffffffff-ffff-ffff-ffff-ffffffffffff"]),
    ("ipv4", ["0.0.0.0", "1.2.3.4", "192.168.0.1", "255.255.255.255"]),
    ("ipv6", ["::1", "2001:db8::1", "::ffff:1.2.3.4",
              "2001:db8:0:1:0:0:0:1", "::"]),
    # enums
    ("enum8('a' = 1, 'b' = 2)", ["a", "b", "a"]),
    ("enum16('x' = -1000, 'y' = 1000)", ["x", "y"]),
    ("enum8('neg' = -128, 'it\\'s' = 127)", ["neg", "it's"]),
    # wrappers
    ("nullable(int32)", [1, None, -5]),
    ("nullable(string)", ["a", None, "", "it's"]),
    ("low_cardinality(string)", ["x", "y", "x", ""]),
    ("low_cardinality(nullable(string))", ["x", None, "y", "x"]),
    ("array(int32)", [[1, 2, 3], [], [-1]]),
    ("array(array(string))", [[["a", "b"], []], [], [["c'd", "e\tf"]]]),
    ("array(nullable(uint8))", [[1, None, 3], [], [None]]),
    ("array(low_cardinality(string))", [["a", "b", "a"], [], ["c"]]),
    ("map(string, int64)", [{"a": 1, "b": -2}, {},
                            {"k'": 9223372036854775807}]),
    ("tuple(int32, string)", [(1, "a"), (-2, "b'c")]),
    ("tuple(a int32, b string)", [(1, "x"), (2, "")]),
    ("nested(a int32, b string)", [[(1, "x"), (2, "y")], []]),
    ("nullable(nothing)", [None, None]),
    ("array(nothing)", [[], []]),
    ("interval_second", [0, 5, -86400]),
    ("json", ['{"a":1,"b":"x"}', "{}"]),
]

NOTES = {
    "json": (
        "Driver-written STRING form: u8 kind 1, then one string per row "
        "(JsonColumn.write_state_prefix). This is what a client sends on "
        "INSERT; the v1.6 server never sends it (it sends kind 0 = TUPLE, "
        "see the unsupported entry). tsv is just the JSON text that was fed "
        "in, TSV-escaped."),
    "nullable(nothing)": (
        "The driver writes a 0x00 byte per row for `nothing`; the server "
        "(SerializationNothing) writes ASCII '0' (0x30). A decoder must skip "
        "1 byte per row whatever its value."),
    "nested(a int32, b string)": (
        "The driver writes nested(...) exactly like array(tuple(...))."),
    "low_cardinality(nullable(string))": (
        "Dictionary key 0 is the NULL placeholder (an empty string); "
        "index 0 means NULL."),
    "float64": (
        "Values that take ClickHouse's itoa fast path (integers with "
        "|x| < 2^53) print as integers; the rest use shortest round-trip "
        "digits."),
}

# Types that the driver cannot produce. They are checked below: anything that
# the driver unexpectedly accepts becomes a failure, not a fake vector.
PROBE_UNSUPPORTED = [
    "interval_millisecond",
    "interval_quarter",
    "point",
]

MANUAL_UNSUPPORTED = [
    {
        "type": "json",
        "form": "server-to-client TUPLE form (u8 kind 0, type string, tuple "
                "columns)",
        "unsupported_by_driver": True,
        "reason": "proton_driver's JsonColumn can only write the STRING form "
                  "(kind 1). It can read kind 0 but not write it, so no vector "
                  "can be made without hand-assembling bytes.",
    },
]


def safe_name(type_name):
    s = type_name.lower().replace("\\'", "").replace("'", "")
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    return s


def hexdump(data):
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        lines.append("%04x  %-47s" % (off, " ".join("%02x" % b for b in chunk)))
    return "\n".join(lines)


def main(argv):
    if tuple(proton_driver.VERSION) != EXPECTED_DRIVER_VERSION:
        sys.stderr.write("warning: proton-driver %s, vectors were made with %s\n"
                         % (".".join(map(str, proton_driver.VERSION)),
                            ".".join(map(str, EXPECTED_DRIVER_VERSION))))
    os.makedirs(OUT_DIR, exist_ok=True)
    manifest, seen = [], set()

    for type_name, values in VECTORS:
        node = parse_type(type_name)
        fname = safe_name(type_name) + ".bin"
        assert fname not in seen, fname
        seen.add(fname)

        data = encode_block(type_name, values)

        # Sanity check on the layout of what the driver wrote: BlockInfo,
        # 1 column, N rows, name, type, and (no custom-serialization byte)
        # the column data directly after the type string.
        name_b, type_b = COLUMN_NAME.encode(), type_name.encode()
        header = (b"\x01\x00\x02\xff\xff\xff\xff\x00" + b"\x01" +
                  bytes([len(values)]) + bytes([len(name_b)]) + name_b +
                  bytes([len(type_b)]) + type_b)
        assert len(values) < 128 and len(type_b) < 128
        assert data.startswith(header), (type_name, data[:40])

        entry = {
            "file": fname,
            "type": type_name,
            "rows": len(values),
            "tsv": [render(node, v, False, True) for v in values],
        }
        if contains_decimal(node):
            entry["tsv_proton_default"] = [
                render(node, v, False, False) for v in values]
        if type_name in NOTES:
            entry["note"] = NOTES[type_name]
        manifest.append(entry)

        with open(os.path.join(OUT_DIR, fname), "wb") as f:
            f.write(data)

        if "--check" in argv and type_name != "json":
            cols, columns = decode_block(data)
            assert cols == [(COLUMN_NAME, type_name)], cols
            print("%-40s %4d bytes  read back: %r" % (
                type_name, len(data), list(columns[0])[:4]))
        if "--hexdump" in argv:
            print("== %s (%s)\n%s" % (type_name, fname, hexdump(data)))

    for type_name in PROBE_UNSUPPORTED:
        try:
            encode_block(type_name, [0])
        except driver_errors.UnknownTypeError as e:
            manifest.append({
                "type": type_name,
                "unsupported_by_driver": True,
                "reason": "proton_driver raises UnknownTypeError: %s" % e,
            })
        else:
            raise AssertionError("driver unexpectedly supports " + type_name)
    manifest.extend(MANUAL_UNSUPPORTED)

    with open(os.path.join(OUT_DIR, "manifest.json"), "w",
              encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(VECTORS),
                                       os.path.relpath(OUT_DIR, REPO_ROOT)))


if __name__ == "__main__":
    main(sys.argv[1:])
