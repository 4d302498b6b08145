#!/usr/bin/env bash
# Runs proton-shell's cargo-fuzz targets (fuzz/) for a bounded time each, seeded from the Proton vectors.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60
#   TARGET              packets, type_names, frames (default: all three)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable toolchain the script sets
# RUSTC_BOOTSTRAP=1 for cargo-fuzz's -Z flags; no sanitizer is used (the decoder has no
# unsafe code), but debug assertions are on, so any arithmetic overflow is a crash.
# It runs one fuzzing process at a time under `nice -n 19`, so it uses at most one core.
# Crashes land in fuzz/artifacts/<target>/; turn each into a test in tests/wire_hostile.rs.
# Prints each target's execution count, and the total, at the end.
set -euo pipefail

secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(packets type_names frames)

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1

# Seeds: each committed Proton vector as a Data packet, as frames, and its type name.
python3 - "$root/tests/data/proton-vectors" <<'PY'
import json, os, struct, sys
src = sys.argv[1]
def varint(v):
    out = bytearray()
    while True:
        b, v = v & 0x7f, v >> 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)
def s(x):
    return varint(len(x)) + x
for d in ("packets", "type_names", "frames"):
    os.makedirs(os.path.join("corpus", d), exist_ok=True)
def put(target, name, data):
    with open(os.path.join("corpus", target, name), "wb") as f:
        f.write(data)
manifest = json.load(open(os.path.join(src, "manifest.json")))
for v in manifest:
    put("type_names", "t-" + v["type"].encode().hex()[:60], v["type"].encode())
    if "file" not in v:
        continue
    block = open(os.path.join(src, v["file"]), "rb").read()
    name = v["file"].removesuffix(".bin")
    # Proton's revision, a Data packet, Progress, EndOfStream.
    put("packets", name, b"\x00" + varint(1) + s(b"") + block + varint(3) + b"\x01\x08\x00\x00\x00" + varint(5))
    put("frames", name, b"\x00" + struct.pack("<I", len(block)) + block)
    half = len(block) // 2
    put("frames", name + "-split", b"\x00" + struct.pack("<I", half) + block[:half]
        + b"\x02" + struct.pack("<I", len(block) - half) + block[half:])
# An exception, and an end of stream on ClickHouse 18.16's revision.
exc = struct.pack("<i", 62) + s(b"DB::Exception") + s(b"Syntax error") + s(b"") + b"\x00"
put("packets", "exception", b"\x00" + varint(2) + exc)
put("packets", "eos-18-16", b"\x01" + varint(3) + b"\x01\x08\x00" + varint(5))
for t in ("array(array(nullable(string)))", "map(low_cardinality(string), tuple(a int8, b json))",
          "nested(a uint8, `b c` array(enum8('x' = 1)))", "datetime64(9, 'Asia/Tokyo')"):
    put("type_names", "t-" + t.encode().hex()[:60], t.encode())
PY

nice -n 19 cargo fuzz build -s none -a >&2

total=0
for t in "${targets[@]}"; do
    log=$(mktemp)
    mkdir -p "artifacts/$t"
    # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: well above the decoder's budget.
    nice -n 19 cargo fuzz run -s none -a "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -max_len=8192 \
        -print_final_stats=1 2>"$log" || { tail -40 "$log" >&2; echo "target $t FAILED (see fuzz/artifacts/$t)" >&2; rm -f "$log"; exit 1; }
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    echo "$t: $runs executions in ${secs} s"
    total=$((total + runs))
    rm -f "$log"
done
echo "total: $total executions"
