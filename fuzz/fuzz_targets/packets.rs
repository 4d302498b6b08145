//! Fuzz target: bytes as a server's packet stream after the handshake, every decoded block rendered.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use proton_shell::wire::protocol::{read_packet, Packet, ReadCtx};
use proton_shell::wire::DecodeCtx;

fuzz_target!(|data: &[u8]| {
    // First byte: which revision the stream is encoded for (old ClickHouse, or Proton's).
    let Some((&sel, mut stream)) = data.split_first() else {
        return;
    };
    let ctx = ReadCtx {
        revision: if sel & 1 == 0 { 54453 } else { 54412 },
        compression: false,
        decode: DecodeCtx {
            server_tz: chrono_tz::Tz::UTC,
        },
        limits: common::limits(),
    };
    for _ in 0..64 {
        match read_packet(&mut stream, &ctx) {
            Ok(Packet::Data(b) | Packet::Totals(b) | Packet::Extremes(b)) => common::render(&b),
            Ok(Packet::Log(b) | Packet::ProfileEvents(b)) => common::render(&b),
            Ok(_) => {}
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        }
    }
});
