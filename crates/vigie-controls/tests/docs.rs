//! docs/pss-checks.md is generated from the checks; this keeps it current.

use std::path::Path;

#[test]
fn pss_reference_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/pss-checks.md");
    let generated = vigie_controls::pss::reference_markdown();
    if std::env::var_os("VIGIE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/pss-checks.md is stale: run `VIGIE_BLESS=1 cargo test -p vigie-controls --test docs`"
    );
}

#[test]
fn controls_reference_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/controls.md");
    let generated = vigie_controls::controls::reference_markdown();
    if std::env::var_os("VIGIE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/controls.md is stale: run `VIGIE_BLESS=1 cargo test -p vigie-controls --test docs`"
    );
}
