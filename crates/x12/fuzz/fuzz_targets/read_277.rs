//! Fuzzes the 277 claim status response reader: any bytes give a result or an error, never a
//! panic. Whatever the tokenizer accepts must also write back to something it reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medoffice_x12::syntax::{parse, write};

fuzz_target!(|data: &[u8]| {
    let _ = medoffice_x12::claim_status277::read_277(data);
    if let Ok(doc) = parse(data) {
        let again = parse(write(&doc).as_bytes());
        assert_eq!(again.map(|d| d.segments), Ok(doc.segments));
    }
});
