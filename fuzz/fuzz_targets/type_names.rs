//! Fuzz target: type-name parsing; whatever parses must print and parse back to the same type.
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
            // Our own spelling must parse again (timezones and enum names round-trip).
            if let Ok(again) = TypeDesc::parse(&shown) {
                assert_eq!(again.to_string(), shown);
            }
        }
        Err(e) => {
            // Messages stay short whatever the input (issue 9 D5).
            assert!(e.to_string().len() < 1024, "{} bytes", e.to_string().len());
        }
    }
});
