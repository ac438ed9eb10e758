//! Writes the sample capture of the sysdig differential test to a file:
//! `cargo run -p vigie-sensor --example write_fixture OUT.scap`.

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: write_fixture OUT.scap");
    std::fs::write(path, vigie_sensor::scap::sample_capture()).expect("write");
}
