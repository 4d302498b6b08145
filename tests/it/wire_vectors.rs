//! Decodes blocks written by Timeplus's own encoder (proton-driver) and checks every value's TSV text.

use proton_shell::wire::column::read_block;
use proton_shell::wire::{DecodeCtx, Style};
use serde_json::Value as Json;
use std::path::Path;

fn vectors() -> Vec<Json> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/proton-vectors");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    let list: Vec<Json> = serde_json::from_str(&manifest).expect("manifest parses");
    list.into_iter()
        .filter(|v| v.get("file").is_some())
        .collect()
}

#[test]
fn every_driver_vector_decodes_to_the_expected_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/proton-vectors");
    let ctx = DecodeCtx {
        server_tz: chrono_tz::Tz::UTC,
    };
    let vectors = vectors();
    assert!(
        vectors.len() >= 45,
        "expected the full vector set, found {}",
        vectors.len()
    );
    let mut failures = Vec::new();
    for v in &vectors {
        let file = v["file"].as_str().unwrap();
        let ty = v["type"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let mut r = bytes.as_slice();
        let block = match read_block(&mut r, &ctx) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        assert!(
            r.is_empty(),
            "{file}: {} bytes left after the block",
            r.len()
        );
        let col = &block.columns[0];
        assert_eq!(col.type_name, ty, "{file}");
        assert_eq!(block.rows as u64, v["rows"].as_u64().unwrap(), "{file}");
        for (row, want) in v["tsv"].as_array().unwrap().iter().enumerate() {
            let mut out = Vec::new();
            col.write_cell(row, Style::Tsv, &mut out);
            let got = String::from_utf8_lossy(&out);
            if got != want.as_str().unwrap() {
                failures.push(format!("{file} row {row}: got {got:?}, want {want}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn truncated_vectors_are_errors_not_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/proton-vectors");
    let ctx = DecodeCtx {
        server_tz: chrono_tz::Tz::UTC,
    };
    for v in vectors() {
        let bytes = std::fs::read(dir.join(v["file"].as_str().unwrap())).unwrap();
        for cut in 0..bytes.len() {
            let mut r = &bytes[..cut];
            assert!(
                read_block(&mut r, &ctx).is_err(),
                "{} cut at {cut} decoded",
                v["file"]
            );
        }
        // Flipped bytes may decode to other values, but must never panic.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xa5;
            let _ = read_block(&mut b.as_slice(), &ctx);
        }
    }
}

/// The Proton 3.x vectors (scripts/gen-3x-vectors.py): variant, dynamic, json.
fn proton3_vectors() -> (std::path::PathBuf, Vec<Json>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/proton3-vectors");
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    (
        dir,
        serde_json::from_str(&manifest).expect("manifest parses"),
    )
}

fn read_3x(bytes: &[u8]) -> (proton_shell::wire::Result<proton_shell::wire::Block>, usize) {
    use proton_shell::wire::column::{read_block_layout, JsonLayout};
    use proton_shell::wire::limits::{Budget, Counted, DecodeLimits};
    let ctx = DecodeCtx {
        server_tz: chrono_tz::Tz::UTC,
    };
    let budget = Budget::new(DecodeLimits::default());
    let mut r = bytes;
    let block = read_block_layout(
        &mut Counted::new(&mut r, &budget),
        &ctx,
        &budget,
        JsonLayout::V3,
    );
    (block, r.len())
}

#[test]
fn every_3x_vector_decodes_to_the_expected_text_in_every_format() {
    let (dir, vectors) = proton3_vectors();
    assert!(vectors.len() >= 10, "found {} vectors", vectors.len());
    let mut failures = Vec::new();
    for v in &vectors {
        let file = v["file"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (block, left) = read_3x(&bytes);
        let block = match block {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        assert_eq!(left, 0, "{file}: bytes left after the block");
        let col = &block.columns[0];
        assert_eq!(col.type_name, v["type"].as_str().unwrap(), "{file}");
        assert_eq!(block.rows as u64, v["rows"].as_u64().unwrap(), "{file}");
        for (key, style) in [
            ("tsv", Style::Tsv),
            ("csv", Style::Csv),
            ("json", Style::Json),
        ] {
            for (row, want) in v[key].as_array().unwrap().iter().enumerate() {
                let mut out = Vec::new();
                col.write_cell(row, style, &mut out);
                let got = String::from_utf8_lossy(&out);
                if got != want.as_str().unwrap() {
                    failures.push(format!("{file} {key} row {row}: got {got:?}, want {want}"));
                }
            }
        }
        // Plain text (the table formats) never panics and shows NULL for NULL rows.
        for row in 0..block.rows {
            let text = col.value(row).to_string();
            if v["tsv"][row] == "\\N" {
                assert_eq!(text, "NULL", "{file} row {row}");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn truncated_or_flipped_3x_vectors_are_errors_not_panics() {
    let (dir, vectors) = proton3_vectors();
    for v in vectors {
        let bytes = std::fs::read(dir.join(v["file"].as_str().unwrap())).unwrap();
        for cut in 0..bytes.len() {
            assert!(
                read_3x(&bytes[..cut]).0.is_err(),
                "{} cut at {cut} decoded",
                v["file"]
            );
        }
        for i in 0..bytes.len() {
            for mask in [0xa5u8, 0xff, 0x01] {
                let mut b = bytes.clone();
                b[i] ^= mask;
                if let (Ok(block), _) = read_3x(&b) {
                    // Whatever it decoded to renders without panicking.
                    for c in &block.columns {
                        for row in 0..block.rows {
                            for style in [Style::Tsv, Style::Csv, Style::Json, Style::Plain] {
                                c.write_cell(row, style, &mut Vec::new());
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_bare_json_column_keeps_the_1x_layout_unless_asked() {
    // The 3.x string-form vector read as 1.x: the first byte (1 = string kind in 1.x) is
    // followed by the rest of the u64 version, so it must not decode to the same texts.
    let (dir, _) = proton3_vectors();
    let bytes = std::fs::read(dir.join("json3_string.bin")).unwrap();
    let ctx = DecodeCtx {
        server_tz: chrono_tz::Tz::UTC,
    };
    let mut r = bytes.as_slice();
    let as_1x = read_block(&mut r, &ctx);
    let (as_3x, _) = read_3x(&bytes);
    let cell = |b: &proton_shell::wire::Block| {
        let mut out = Vec::new();
        b.columns[0].write_cell(0, Style::Tsv, &mut out);
        out
    };
    let want = cell(&as_3x.unwrap());
    assert!(as_1x.map_or(true, |b| cell(&b) != want));
}
