//! The objects a scan reads, saved to one file that `vigie scan FILE` reads.

use std::io::{self, Write};

use vigie_resource::{Resource, Value};

/// Writes each resource as a YAML document (in JSON form, which YAML reads),
/// `apiVersion` and `kind` first (a typed list's items have none of their
/// own), and returns how many were written. `header` goes first, as comment lines.
pub fn write_snapshot(
    resources: impl Iterator<Item = Resource>,
    header: &str,
    out: &mut impl Write,
) -> io::Result<usize> {
    for line in header.lines() {
        writeln!(out, "# {line}")?;
    }
    let mut written = 0;
    let mut text = String::new();
    for resource in resources {
        text.clear();
        text.push_str("---\n{\"apiVersion\":");
        text.push_str(&json_string(&resource.api_version));
        text.push_str(",\"kind\":");
        text.push_str(&json_string(&resource.kind));
        if let Value::Map(entries) = &resource.root.value {
            for entry in entries.iter() {
                if entry.key == "apiVersion" || entry.key == "kind" {
                    continue;
                }
                text.push(',');
                text.push_str(&json_string(&entry.key));
                text.push(':');
                text.push_str(&entry.value.to_json());
            }
        }
        text.push_str("}\n");
        out.write_all(text.as_bytes())?;
        written += 1;
    }
    Ok(written)
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_back_as_the_same_objects() {
        let loaded = vigie_resource::load_text(
            r#"{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"a","namespace":"n"},"spec":{"hostPID":true}}]}"#,
            "page",
            &vigie_resource::Limits::default(),
        );
        let mut out = Vec::new();
        let n = write_snapshot(loaded.resources.into_iter(), "test", &mut out).unwrap();
        assert_eq!(n, 1);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("# test\n---\n"), "{text}");
        let again =
            vigie_resource::load_text(&text, "snapshot.yaml", &vigie_resource::Limits::default());
        assert!(again.diagnostics.is_empty(), "{:?}", again.diagnostics);
        let r = &again.resources[0];
        assert_eq!((r.kind.as_str(), r.name.as_str()), ("Pod", "a"));
        assert_eq!(
            r.root
                .get_path(&["spec", "hostPID"])
                .and_then(vigie_resource::Node::as_bool),
            Some(true)
        );
    }
}
