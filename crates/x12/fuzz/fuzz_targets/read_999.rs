//! Fuzzes the 999 acknowledgement reader: any bytes give a result or an error, never a panic.
//! Whatever the tokenizer accepts must also write back to something it reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medoffice_x12::syntax::{parse, write};

fuzz_target!(|data: &[u8]| {
    let _ = medoffice_x12::ack999::read_999(data);
    if let Ok(doc) = parse(data) {
        let again = parse(write(&doc).as_bytes());
        assert_eq!(again.map(|d| d.segments), Ok(doc.segments));
    }
});
