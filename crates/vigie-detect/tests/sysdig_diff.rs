//! Differential test against Debian's `sysdig` (an oracle for field values; installed
//! by scripts/setup): both read the same capture of our own and print the same
//! fields for every event, and the lines agree. Events sysdig does not print
//! (library-internal ones, and event types newer than its libscap) are compared on
//! the ones it prints, joined by event number.

use std::collections::HashMap;
use std::process::Command;

use vigie_detect::syscall::syscall_table;
use vigie_rules::OutputFormat;
use vigie_sensor::fields::SyscallEvent;
use vigie_sensor::scap::{sample_capture, Capture, Limits};
use vigie_sensor::state::State;

/// The fields compared, in groups (Debian's sysdig crashes on formats of more than
/// about 16 fields); `|` separates them (sysdig's `*` prints events whose fields
/// are missing too, as `<NA>`).
const FIELD_GROUPS: &[&str] = &[
    "%evt.num|%evt.type|%evt.dir|%proc.name|%proc.pid|%proc.ppid|%proc.exe|%proc.cmdline|%proc.args|%proc.cwd|%thread.tid|%user.uid|%user.name",
    "%evt.num|%group.gid|%group.name|%fd.num|%fd.type|%fd.typechar|%fd.name|%fd.directory|%fd.filename|%container.id",
    "%evt.num|%fd.cip|%fd.sip|%fd.cport|%fd.sport|%fd.l4proto|%evt.res|%evt.rawres|%evt.failed|%evt.arg.flags|%evt.arg.mode",
];

fn ours(bytes: Vec<u8>, fields: &str) -> HashMap<String, String> {
    let capture = Capture::parse(bytes, Limits::default()).expect("capture");
    assert!(capture.issues.is_empty(), "{:?}", capture.issues);
    let format = OutputFormat::compile(fields, syscall_table()).expect("fields");
    let mut state = State::from_capture(&capture);
    let mut lines = HashMap::new();
    for (i, event) in capture.events().enumerate() {
        let raw = event.raw();
        state.before(&raw);
        let line = format.render(&SyscallEvent::new(raw, &state, i as u64 + 1, event.cpu));
        lines.insert((i + 1).to_string(), line);
        state.after(&raw);
    }
    lines
}

fn sysdig(path: &std::path::Path, fields: &str) -> Vec<String> {
    let out = Command::new("sysdig")
        .arg("-r")
        .arg(path)
        .arg("-p")
        .arg(format!("*{fields}"))
        .output()
        .unwrap_or_else(|e| {
            panic!("sysdig cannot run ({e}): install it with scripts/setup (Debian package sysdig)")
        });
    assert!(
        out.status.success(),
        "sysdig failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[test]
fn fields_agree_with_sysdig_on_every_event() {
    let bytes = sample_capture();
    let dir = std::env::temp_dir().join(format!("vigie-sysdig-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sample.scap");
    std::fs::write(&path, &bytes).unwrap();
    let mut diffs = Vec::new();
    let mut compared = 0;
    for fields in FIELD_GROUPS {
        let theirs = sysdig(&path, fields);
        let ours = ours(bytes.clone(), fields);
        assert!(theirs.len() >= 10, "sysdig printed {} events", theirs.len());
        compared = theirs.len();
        for line in &theirs {
            let num = line.split('|').next().unwrap_or_default();
            let mine = ours
                .get(num)
                .map(|l| l.trim_end().to_string())
                .unwrap_or_default();
            if &mine != line {
                diffs.push(format!("sysdig: {line}\nvigie:  {mine}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let theirs = vec![(); compared];
    assert!(
        diffs.is_empty(),
        "{} of {} events differ:\n{}",
        diffs.len(),
        theirs.len(),
        diffs.join("\n")
    );
}
