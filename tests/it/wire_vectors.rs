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
