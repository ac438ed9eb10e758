//! The fast YAML path against the yaml-rust2 reference: whenever the fast path accepts
//! a document, it must give the same tree, positions and warnings; and a List read
//! item by item must give what the reference gives for the whole document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_resource::{split_stream, yaml_differential};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Whole input as one document, and cut as the loader cuts streams.
    if let Some(diff) = yaml_differential::difference(text, 0) {
        panic!("paths disagree on {text:?}: {diff}");
    }
    for document in split_stream(text) {
        if let Some(diff) = yaml_differential::difference(document.text, document.first_line) {
            panic!("paths disagree on {:?}: {diff}", document.text);
        }
        if let Some(diff) = yaml_differential::list_difference(document.text, document.first_line)
        {
            panic!("items read one by one disagree on {:?}: {diff}", document.text);
        }
    }
});
