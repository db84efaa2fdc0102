//! No input makes a reader panic: random bytes and mutated fixtures go to every reader (the
//! cargo-fuzz targets in `crates/x12/fuzz` do the same for longer, on nightly). And whatever the
//! tokenizer accepts, it writes back to something it reads the same.

use medoffice_x12::ack999::read_999;
use medoffice_x12::claim277ca::read_277ca;
use medoffice_x12::claim837p::write_837p;
use medoffice_x12::eligibility271::read_271;
use medoffice_x12::envelope::Usage;
use medoffice_x12::remittance835::read_835;
use medoffice_x12::syntax::{parse, write};
use proptest::prelude::*;

use crate::support::*;

/// Runs every reader on `bytes`; each must return, never panic.
fn read_with_every_reader(bytes: &[u8]) {
    let _ = read_999(bytes);
    let _ = read_277ca(bytes);
    let _ = read_835(bytes);
    let _ = read_271(bytes);
    if let Ok(doc) = parse(bytes) {
        let again = parse(write(&doc).as_bytes()).expect("what was read writes back readable");
        assert_eq!(again.segments, doc.segments);
    }
}

/// The fixtures and a written 837P: the seeds the mutations start from.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = fixture_names().iter().map(|n| fixture(n)).collect();
    let b = batch(vec![self_subscriber(vec![claim("PCN-1")]), child_of_subscriber(vec![claim("PCN-2")])]);
    seeds.push(write_837p(&b, &control(), Usage::Test).unwrap().into_bytes());
    seeds
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Overwrite the byte at a position (taken modulo the length).
    Set(usize, u8),
    /// Insert a byte.
    Insert(usize, u8),
    /// Remove a run of bytes.
    Remove(usize, usize),
    /// Cut the file short.
    Truncate(usize),
    /// Duplicate a run of bytes in place (repeats segments).
    Duplicate(usize, usize),
}

/// Bytes that matter to X12: delimiters, digits, letters of segment ids, line breaks, high bytes.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b'*'),
        Just(b':'),
        Just(b'^'),
        Just(b'~'),
        Just(b'\n'),
        Just(b'\r'),
        Just(b'-'),
        Just(b'.'),
        b'0'..=b'9',
        b'A'..=b'Z',
        any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), interesting_byte()).prop_map(|(p, b)| Mutation::Set(p, b)),
        (any::<usize>(), interesting_byte()).prop_map(|(p, b)| Mutation::Insert(p, b)),
        (any::<usize>(), 1usize..40).prop_map(|(p, n)| Mutation::Remove(p, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..200).prop_map(|(p, n)| Mutation::Duplicate(p, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Set(p, b) => {
                if !bytes.is_empty() {
                    bytes[p % len] = b;
                }
            }
            Mutation::Insert(p, b) => bytes.insert(p % (bytes.len() + 1), b),
            Mutation::Remove(p, n) => {
                let start = p % len;
                let end = (start + n).min(bytes.len());
                if start < end {
                    bytes.drain(start..end);
                }
            }
            Mutation::Truncate(p) => bytes.truncate(p % len),
            Mutation::Duplicate(p, n) => {
                let start = p % len;
                let end = (start + n).min(bytes.len());
                if start < end {
                    let copy: Vec<u8> = bytes[start..end].to_vec();
                    bytes.splice(end..end, copy);
                }
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_make_a_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        read_with_every_reader(&bytes);
    }

    #[test]
    fn random_bytes_after_a_valid_isa_never_make_a_reader_panic(tail in proptest::collection::vec(interesting_byte(), 0..600)) {
        let mut bytes = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261201*1200*^*00501*000000001*0*T*:~".to_vec();
        bytes.extend(tail);
        read_with_every_reader(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_make_a_reader_panic(seed in 0usize..64, mutations in proptest::collection::vec(mutation(), 1..8)) {
        let seeds = seeds();
        let bytes = apply(seeds[seed % seeds.len()].clone(), &mutations);
        read_with_every_reader(&bytes);
    }
}
