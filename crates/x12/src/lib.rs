//! X12 5010 for medoffice: the syntax (tokenizer and writer), envelopes, the 837P claim writer and
//! the 270 eligibility request writer, the readers of what comes back (999 and 277CA
//! acknowledgements, 835 remittances, 271 eligibility).
//!
//! This crate is pure: bytes in, plain structs out, and plain structs in, text out. It depends on no
//! other medoffice crate, so the database and the application decide where claims come from and
//! where answers go. Readers never panic, whatever the input (the fuzz targets and a property test
//! hold them to it); each is tolerant of segments it does not know and strict about the structure it
//! needs, naming the segment at fault.

pub mod ack999;
pub mod claim277ca;
pub mod claim837p;
pub mod claim_status276;
pub mod claim_status277;
pub mod codes;
pub mod eligibility270;
pub mod eligibility271;
pub mod envelope;
pub mod error;
mod field_checks;
mod fields;
pub mod remittance835;
pub mod syntax;

pub use claim837p::{Batch837, Invalid837, write_837p};
pub use envelope::{ControlNumbers, Envelope, Usage};
pub use error::{ErrorKind, ParseError};
pub use syntax::{Delimiters, Document, Segment, parse, write};
