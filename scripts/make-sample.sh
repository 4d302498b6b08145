#!/bin/sh
# make-sample.sh: copy the Ed-Fi CDC sample into the project.
#
# snippets/data/edfi-sample.jsonl is project data: 38 Kafka message values of
# topic edfi.dms.document, one compact JSON object per line, in the DMS 0.4.0
# Debezium format (see ../shared/edfi-cdc-format.md, section 7). :demo-load
# writes them into the topic, the unit tests of src/demos/ read them, and the
# binary embeds them with include_str!. The source of truth is
# ../shared/data/edfi-sample.jsonl; this script copies it byte for byte.
#
# usage: scripts/make-sample.sh [--check] [SOURCE]
#   SOURCE   the sample to copy (default: ../shared/data/edfi-sample.jsonl,
#            relative to the project root)
#   --check  copy nothing; exit 1 if the project copy differs from SOURCE
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
check=no
if [ "${1:-}" = "--check" ]; then
    check=yes
    shift
fi
src=${1:-"$root/../shared/data/edfi-sample.jsonl"}
dest="$root/snippets/data/edfi-sample.jsonl"

if [ ! -f "$src" ]; then
    echo "make-sample.sh: source sample not found: $src" >&2
    exit 1
fi

if [ "$check" = yes ]; then
    if cmp -s "$src" "$dest"; then
        echo "$dest is up to date"
        exit 0
    fi
    echo "make-sample.sh: $dest differs from $src (run scripts/make-sample.sh)" >&2
    exit 1
fi

# Every line must be one JSON object: it starts with { and ends with }.
lines=$(wc -l < "$src" | tr -d ' ')
bad=$(grep -c -v '^{.*}$' "$src" || true)
if [ "$bad" != 0 ]; then
    echo "make-sample.sh: $bad line(s) of $src are not one JSON object each" >&2
    exit 1
fi

mkdir -p "$(dirname "$dest")"
tmp="$dest.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cp "$src" "$tmp"
chmod 644 "$tmp"
mv "$tmp" "$dest"
trap - EXIT
echo "wrote $dest ($lines messages)"
