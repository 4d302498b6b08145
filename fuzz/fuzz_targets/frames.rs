//! Fuzz target: compressed frames (with valid checksums) carrying a block, decoded within the budget and rendered.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use proton_shell::wire::column::read_block_within;
use proton_shell::wire::compress::FrameReader;
use proton_shell::wire::limits::{Budget, Counted};
use proton_shell::wire::DecodeCtx;

fn checksum(body: &[u8]) -> [u8; 16] {
    let h = cityhash_rs::cityhash_102_128(body);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&((h >> 64) as u64).to_le_bytes());
    out[8..].copy_from_slice(&(h as u64).to_le_bytes());
    out
}

/// Input: chunks of `kind u8, len u32 LE, bytes`. kind bit 0 clear: `bytes` are plain
/// block bytes, compressed here into a valid LZ4 frame (bit 1 set: method NONE instead).
/// kind bit 0 set: `bytes` start with a declared size (u32 LE), the rest is a raw LZ4 body.
/// Checksums are always right, so the fuzzer reaches decompression and decoding.
fn frames(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while data.len() >= 5 {
        let kind = data[0];
        let len = u32::from_le_bytes([data[1], data[2], data[3], data[4]]) as usize;
        let len = len.min(data.len() - 5);
        let chunk = &data[5..5 + len];
        data = &data[5 + len..];
        let (method, size, payload) = if kind & 1 == 0 {
            if kind & 2 == 0 {
                (0x82u8, chunk.len() as u32, lz4_flex::block::compress(chunk))
            } else {
                (0x02u8, chunk.len() as u32, chunk.to_vec())
            }
        } else if chunk.len() >= 4 {
            let size = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            (0x82u8, size, chunk[4..].to_vec())
        } else {
            continue;
        };
        let mut body = vec![method];
        body.extend_from_slice(&((9 + payload.len()) as u32).to_le_bytes());
        body.extend_from_slice(&size.to_le_bytes());
        body.extend_from_slice(&payload);
        out.extend_from_slice(&checksum(&body));
        out.extend_from_slice(&body);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let wire = frames(data);
    let mut raw = wire.as_slice();
    let budget = Budget::new(common::limits());
    let mut counted = Counted::new(&mut raw, &budget);
    let mut fr = FrameReader::with_budget(&mut counted, &budget, Default::default());
    let ctx = DecodeCtx {
        server_tz: chrono_tz::Tz::UTC,
    };
    match read_block_within(&mut fr, &ctx, &budget) {
        Ok(block) => common::render(&block),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
