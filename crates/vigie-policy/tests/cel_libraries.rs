//! Kyverno's argument-only CEL libraries (hash, json, yaml, math, time,
//! transform, random, x509) in a ValidatingPolicy run by a kyverno test
//! suite, and the libraries still out of reach reported as unsupported.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn a_policy_calling_each_library_agrees_with_its_suite() {
    let report = common::run_agreeing("cel-libraries", 3);
    let message = |resource: &str| common::message_of(&report, |e| e.resource == resource);
    assert_eq!(
        message("apps/tampered"),
        "the payload does not match its checksum"
    );
    assert_eq!(message("apps/too-many"), "at most 3 replicas");
}
