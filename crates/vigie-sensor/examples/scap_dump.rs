//! Prints a capture's metadata counts, issues, and one line per event
//! (`number type direction tid`): `cargo run -p vigie-sensor --example scap_dump FILE`.

fn main() {
    let path = std::env::args().nth(1).expect("usage: scap_dump FILE.scap");
    let cap = match vigie_sensor::scap::Capture::open(path.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!(
        "version {:?} threads {} fds {} users {} groups {} events {}",
        cap.version,
        cap.threads.len(),
        cap.fds.len(),
        cap.users.len(),
        cap.groups.len(),
        cap.event_count()
    );
    for i in &cap.issues {
        println!("issue: {i}");
    }
    for e in cap.events() {
        let r = e.raw();
        let dir = r.info().map_or('?', |i| i.direction.as_char());
        println!("{} {} {} {}", r.ts, r.name(), dir, r.tid);
    }
}
