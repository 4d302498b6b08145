//! Fuzz target: type-name parsing and printing: no panic, and errors stay short at any depth.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proton_shell::wire::TypeDesc;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    match TypeDesc::parse(name) {
        Ok(t) => {
            let shown = t.to_string();
            let _ = (t.is_numeric(), t.quoted_inside(), t.display_width_hint());
            // Our own spelling parses again without trouble. (Names built from arbitrary quote
            // and backslash soup need not print back byte for byte, so equality is not asserted;
            // tests/wire_hostile.rs checks it for the cases the fuzzer found.)
            let _ = TypeDesc::parse(&shown).map(|again| again.to_string());
        }
        Err(e) => {
            // Messages stay short whatever the input (issue 9 D5).
            assert!(e.to_string().len() < 1024, "{} bytes", e.to_string().len());
        }
    }
});
