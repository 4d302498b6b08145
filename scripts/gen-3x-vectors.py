#!/usr/bin/env python3
"""Generate native-block test vectors for the Proton 3.x column types: variant, dynamic, json.

Every vector is one native block with a single column `c`: BlockInfo, varuint
num_columns (1), varuint num_rows, then the name, the type string and the column
data (state prefix + data). These are the bytes that follow the packet-type
varint and the table-name string (and, from revision 54461, the query id) of a
Data packet. Same framing as tests/data/proton-vectors (gen-proton-vectors.py).

Where the bytes come from (the "source" field of each manifest entry):

* "clickhouse-connect writer": ClickHouse's own Python driver's Native encoder
  (`ClickHouseType.write_column`, the code behind its Native inserts) wrote the
  column bytes. It writes variant(...) columns and the json *string* form
  (serialization version 1).
* "hand-built, clickhouse-connect reader checked": clickhouse-connect cannot
  write dynamic columns (it inserts them as String) or the json *object* form,
  so the script assembles those bytes from the layout proton-go-driver's
  lib/column (dynamic.go, variant.go, json.go) reads, and ClickHouse's
  serializers write. Every such vector is then decoded here with
  clickhouse-connect's own Native *reader* (`read_column_prefix` +
  `read_column_data`), with ClickHouse's CamelCase spelling of the same type,
  and must give back the input values. The Proton-spelled file differs only in
  the type names (lowercase, `shared_variant`), whose sort order is chosen to
  be the same in both spellings.

Type names are Proton's lowercase spellings (proton-go-driver column_gen.go),
except the vectors whose name says `ch`, which keep ClickHouse's CamelCase.

The expected renderings (`tsv`, `csv`, `json` in manifest.json) are computed
from the Python input values by simple independent rules, not by decoding.
`layout` says how the reader must treat a bare `json`: "v3" (a 3.x server).

Regenerate (needs network once for pip; tests only read the committed files):

    python3 -m venv /tmp/cc && /tmp/cc/bin/pip install clickhouse-connect==1.12.0
    /tmp/cc/bin/python scripts/gen-3x-vectors.py

The output is deterministic.
"""

import json
import math
import os
import struct
import sys

import clickhouse_connect
from clickhouse_connect.datatypes import registry
from clickhouse_connect.driver.buffer import ResponseBuffer
from clickhouse_connect.driver.insert import InsertContext
from clickhouse_connect.driver.query import QueryContext

EXPECTED_VERSION = "1.12.0"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO_ROOT, "tests", "data", "proton3-vectors")
NULL = None


# --------------------------------------------------------------------------
# Wire primitives
# --------------------------------------------------------------------------


def varuint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return varuint(len(b)) + b


def u64(n):
    return struct.pack("<Q", n)


def block(type_name, rows, column_bytes):
    out = bytearray()
    out += b"\x01\x00\x02" + struct.pack("<i", -1) + b"\x00"  # BlockInfo
    out += varuint(1) + varuint(rows)
    out += string("c") + string(type_name)
    out += column_bytes
    return bytes(out)


# --------------------------------------------------------------------------
# clickhouse-connect: the writer (oracle for bytes) and the reader (check)
# --------------------------------------------------------------------------


def cc_write(ch_type_name, values):
    t = registry.get_from_name(ch_type_name)
    ctx = InsertContext("t", ["c"], [t])
    dest = bytearray()
    t.write_column(values, dest, ctx)
    return bytes(dest)


class _Chunks:
    """The byte stream a ResponseBuffer reads (clickhouse-connect's network reader)."""

    def __init__(self, data):
        self.gen = iter([data])

    def close(self):
        pass


SENTINEL = b"\xa5END"


def cc_read(ch_type_name, column_bytes, rows):
    t = registry.get_from_name(ch_type_name)
    src = ResponseBuffer(_Chunks(column_bytes + SENTINEL))
    ctx = QueryContext(use_none=True)
    ctx.column_name = "c"
    state = t.read_column_prefix(src, ctx)
    values = list(t.read_column_data(src, rows, ctx, state))
    if src.read_bytes(len(SENTINEL)) != SENTINEL:
        raise SystemExit(f"{ch_type_name}: the reader did not end where the column ends")
    return values


# --------------------------------------------------------------------------
# Hand-built layouts (proton-go-driver lib/column; ClickHouse serializers)
# --------------------------------------------------------------------------

# ClickHouse binary value encoding (DataTypesBinaryEncoding.cpp), for shared values.
TAG_INT64 = 0x0A
TAG_FLOAT64 = 0x0E
TAG_STRING = 0x15


def shared_value(tag, payload):
    return bytes([tag]) + payload


def scalar_data(ch_name, values):
    """Column data (no prefix) of a plain scalar type."""
    if ch_name == "Int64":
        return b"".join(struct.pack("<q", v) for v in values)
    if ch_name == "UInt32":
        return b"".join(struct.pack("<I", v) for v in values)
    if ch_name in ("String", "SharedVariant"):
        return b"".join(string(v) for v in values)
    raise ValueError(ch_name)


def dynamic_column(version, names, rows, spelling):
    """A dynamic column: prefix and data. `rows` are (type, value) pairs or None; type
    "SharedVariant" takes an already encoded value. `names` are the declared types in
    prefix order (ClickHouse spelling); `spelling` maps them for the file."""
    shared = "SharedVariant" if spelling == "ch" else "shared_variant"
    spell = (lambda n: n) if spelling == "ch" else proton_name
    alts = sorted([spell(n) for n in names] + [shared])
    alt_ch = {spell(n): n for n in names}
    alt_ch[shared] = "SharedVariant"
    prefix = u64(version)
    if version == 1:
        prefix += varuint(32)  # max_types
    prefix += varuint(len(names)) + b"".join(string(spell(n)) for n in names)
    prefix += u64(0)  # variant discriminators mode: basic
    discs = bytearray()
    per_alt = {a: [] for a in alts}
    for r in rows:
        if r is None:
            discs.append(255)
            continue
        a = shared if r[0] == "SharedVariant" else spell(r[0])
        discs.append(alts.index(a))
        per_alt[a].append(r[1])
    data = bytes(discs)
    for a in alts:
        if per_alt[a]:
            data += scalar_data(alt_ch[a], per_alt[a])
    return prefix, data


def proton_name(ch):
    return {"Int64": "int64", "String": "string", "UInt32": "uint32", "Float64": "float64"}[ch]


# --------------------------------------------------------------------------
# Expected renderings (independent of the bytes)
# --------------------------------------------------------------------------


def tsv_escape(s):
    out = []
    for c in s:
        out.append({"\t": "\\t", "\n": "\\n", "\\": "\\\\", "'": "\\'", "\0": "\\0",
                    "\r": "\\r", "\b": "\\b", "\f": "\\f"}.get(c, c))
    return "".join(out)


def num_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e21:
            return str(int(v))
        return repr(v)
    return str(v)


def render(v, style, nested=False):
    """v: None, bool, int, float, str, list, or JsonText (an object's JSON text)."""
    if v is None:
        return {"tsv": "\\N" if not nested else "NULL", "csv": "\\N" if not nested else "NULL",
                "json": "null"}[style]
    if isinstance(v, JsonText):
        if style == "json":
            return v.text
        if style == "csv":
            return '"' + v.text.replace('"', '""') + '"'
        return tsv_escape(v.text)
    if isinstance(v, (bool, int, float)):
        return num_text(v)
    if isinstance(v, str):
        if style == "json":
            return json.dumps(v, ensure_ascii=False)
        if nested:
            return "'" + tsv_escape(v) + "'"
        if style == "csv":
            return '"' + v.replace('"', '""') + '"'
        return tsv_escape(v)
    if isinstance(v, list):
        inner = "[" + ",".join(render(x, "json" if style == "json" else "tsv", True) for x in v) + "]"
        if style == "csv":
            return '"' + inner.replace('"', '""') + '"'
        return inner
    raise TypeError(v)


class JsonText:
    def __init__(self, obj):
        self.text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def expectations(values):
    return {s: [render(v, s) for v in values] for s in ("tsv", "csv", "json")}


# --------------------------------------------------------------------------
# The vectors
# --------------------------------------------------------------------------


def vectors():
    out = []

    def add(file, type_name, rows, column_bytes, shown, source, layout="v3", note=None):
        entry = {"file": file, "type": type_name, "rows": rows, "layout": layout,
                 "source": source, **expectations(shown)}
        if note:
            entry["note"] = note
        out.append((entry, block(type_name, rows, column_bytes)))

    # variant: the writer is clickhouse-connect's. Alternatives are sorted by name, the
    # discriminator order; both spellings sort these alike.
    vals = ["a", 7, None, "b\tc", 18446744073709551615]
    add("variant_string_uint64.bin", "variant(string, uint64)", len(vals),
        cc_write("Variant(String, UInt64)", vals), vals, "clickhouse-connect writer")
    vals = [-5, None, "x'y"]
    add("variant_ch_int64_string.bin", "Variant(Int64, String)", len(vals),
        cc_write("Variant(Int64, String)", vals), vals, "clickhouse-connect writer",
        note="ClickHouse's CamelCase spelling")
    vals = [[1, 2], "x", None, []]
    add("variant_array_uint8_string.bin", "variant(array(uint8), string)", len(vals),
        cc_write("Variant(Array(UInt8), String)", vals), vals, "clickhouse-connect writer")
    vals = [True, "no", False, None]
    add("variant_bool_string.bin", "variant(bool, string)", len(vals),
        cc_write("Variant(Bool, String)", vals), vals, "clickhouse-connect writer")

    # dynamic: hand-built, checked with clickhouse-connect's reader.
    def dyn(file, type_name, version, names, rows, shown, decoded, spelling):
        prefix, data = dynamic_column(version, names, rows, "ch")
        ch_type = "Dynamic" if type_name.startswith(("dynamic", "Dynamic")) and "(" not in type_name \
            else "Dynamic(max_types=8)"
        got = cc_read(ch_type, prefix + data, len(rows))
        if got != decoded:
            raise SystemExit(f"{file}: clickhouse-connect read {got!r}, expected {decoded!r}")
        p2, d2 = dynamic_column(version, names, rows, spelling)
        add(file, type_name, len(rows), p2 + d2, shown, "hand-built, clickhouse-connect reader checked")

    rows = [("Int64", 42), ("String", "hi"), None,
            ("SharedVariant", shared_value(TAG_FLOAT64, struct.pack("<d", 1.5))), ("Int64", -7)]
    dyn("dynamic_int64_string.bin", "dynamic", 1, ["Int64", "String"], rows,
        [42, "hi", None, 1.5, -7], [42, "hi", None, 1.5, -7], "proton")
    rows = [("String", "s"), ("Int64", 3), None]
    dyn("dynamic_ch_v2.bin", "Dynamic", 2, ["String", "Int64"], rows,
        ["s", 3, None], ["s", 3, None], "ch")
    rows = [None, ("SharedVariant", shared_value(TAG_STRING, string("deep"))),
            ("SharedVariant", shared_value(TAG_INT64, struct.pack("<q", -9)))]
    dyn("dynamic_max_types_shared_only.bin", "dynamic(max_types=8)", 1, [], rows,
        [None, "deep", -9], [None, "deep", -9], "proton")

    # json, string form (version 1): clickhouse-connect's writer.
    texts = ['{"a":{"b":1},"c":"x"}', '{}', '{"s":"tab\\there"}']
    add("json3_string.bin", "json", len(texts), cc_write("JSON", texts),
        [JsonText(json.loads(t)) for t in texts], "clickhouse-connect writer",
        note="serialization version 1 (string form)")

    # json, object form: hand-built, checked with clickhouse-connect's reader.
    def json_object(version, typed, dyn_paths, rows, spelling):
        """typed: [(path, ch_type)] sorted; dyn_paths: [(path, [names])];
        rows: list of dicts path -> (type, value) (typed paths: plain values), and
        "__shared": [(path, encoded)]."""
        col = u64(version)
        if version == 0:
            col += varuint(1024)
        col += varuint(len(dyn_paths)) + b"".join(string(p) for p, _ in dyn_paths)
        datas = []
        for p, names in dyn_paths:
            prefix, data = dynamic_column(1, names, [r.get(p) for r in rows], spelling)
            col += prefix
            datas.append(data)
        body = b""
        for p, t in typed:
            body += scalar_data(t, [r[p] for r in rows])
        for d in datas:
            body += d
        offsets, keys, vals, n = b"", b"", b"", 0
        for r in rows:
            for k, v in r.get("__shared", []):
                keys += string(k)
                vals += string(v)
                n += 1
            offsets += u64(n)
        return col + body + offsets + keys + vals

    rows = [
        {"a.b": ("Int64", 1), "c": ("String", "x")},
        {"a.b": ("Int64", 2), "__shared": [("d.e", shared_value(TAG_STRING, string("zz")))]},
        {"c": ("String", "only c")},
    ]
    shown = [{"a": {"b": 1}, "c": "x"}, {"a": {"b": 2}, "d": {"e": "zz"}}, {"c": "only c"}]
    dyn_paths = [("a.b", ["Int64"]), ("c", ["String"])]
    got = cc_read("JSON", json_object(0, [], dyn_paths, rows, "ch"), len(rows))
    if got != shown:
        raise SystemExit(f"json3_object: clickhouse-connect read {got!r}")
    add("json3_object.bin", "json", len(rows), json_object(0, [], dyn_paths, rows, "proton"),
        [JsonText(v) for v in shown], "hand-built, clickhouse-connect reader checked",
        note="serialization version 0 (object), dynamic paths, a shared-data row")

    rows = [{"id": 7, "x": ("String", "p")}, {"id": 8}]
    shown = [{"id": 7, "x": "p"}, {"id": 8}]
    typed = [("id", "UInt32")]
    got = cc_read("JSON(id UInt32)", json_object(2, typed, [("x", ["String"])], rows, "ch"), len(rows))
    if got != shown:
        raise SystemExit(f"json3_typed: clickhouse-connect read {got!r}")
    add("json3_typed_v2.bin", "json(id uint32)", len(rows),
        json_object(2, typed, [("x", ["String"])], rows, "proton"),
        [JsonText(v) for v in shown], "hand-built, clickhouse-connect reader checked",
        note="serialization version 2 (object without max_dynamic_paths), a typed path")
    return out


def main():
    if clickhouse_connect.__version__ != EXPECTED_VERSION:
        print(f"warning: clickhouse-connect {clickhouse_connect.__version__}, "
              f"vectors were made with {EXPECTED_VERSION}", file=sys.stderr)
    os.makedirs(OUT_DIR, exist_ok=True)
    manifest = []
    for entry, data in vectors():
        with open(os.path.join(OUT_DIR, entry["file"]), "wb") as f:
            f.write(data)
        manifest.append(entry)
    with open(os.path.join(OUT_DIR, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(manifest)} vectors to {OUT_DIR}")


if __name__ == "__main__":
    main()
