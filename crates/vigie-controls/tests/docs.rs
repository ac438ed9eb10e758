//! docs/pss-checks.md and docs/controls.md are generated from the checks and
//! the controls; this keeps them current.

use std::path::Path;

/// Fails unless `docs/<page>` holds `generated`; writes it there first when
/// `VIGIE_BLESS` is set.
fn assert_current(page: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(page);
    if std::env::var_os("VIGIE_BLESS").is_some() {
        std::fs::write(&path, generated).expect("docs/ is writable");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/{page} is stale: run `VIGIE_BLESS=1 cargo test -p vigie-controls --test docs`"
    );
}

#[test]
fn pss_reference_is_up_to_date() {
    assert_current("pss-checks.md", &vigie_controls::pss::reference_markdown());
}

#[test]
fn controls_reference_is_up_to_date() {
    assert_current(
        "controls.md",
        &vigie_controls::controls::reference_markdown(),
    );
}
