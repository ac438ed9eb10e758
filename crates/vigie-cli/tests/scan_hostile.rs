//! `vigie scan` on input that is hostile, huge or wrong: every case ends, says what
//! was wrong with file, line and reason, and exits with the code that says so.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains, assert_exit, items, json_report, spawn_piped, stderr, vigie, write};

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// Waits for a run that must end (reading its output meanwhile); a hang fails the
/// test instead of hanging the test suite.
fn finish(child: Child) -> Output {
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output().expect("vigie runs"));
    });
    match receiver.recv_timeout(Duration::from_secs(120)) {
        Ok(output) => output,
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("vigie scan did not finish");
        }
    }
}

fn run(cmd: &mut Command) -> Output {
    finish(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vigie starts"),
    )
}

const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: app}\ndata: {a: b}\n";

/// Three documents with a field of the wrong type: `spec.hostNetwork` (line 5),
/// a container's `privileged` (line 18) and `apiVersion` (line 20).
const WRONG_TYPES: &str =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: app}\nspec:\n  hostNetwork: \"yes\"\n  containers:\n  - name: c\n    image: nginx:1.27\n---\n\
     apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: app}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: \"true\"\n---\n\
     apiVersion: 3\nkind: [Pod]\n";

#[test]
fn a_fifo_in_a_directory_is_skipped_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "settings.yaml", CONFIG_MAP);
    let fifo = dir.path().join("pipe.yaml");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let output = run(vigie().arg("scan").arg(dir.path()).args(["-o", "json"]));
    assert_exit(&output, 0);
    let err = stderr(&output);
    assert_contains(
        &err,
        &format!(
            "warning: {}: not a regular file (a FIFO, socket or device): skipped",
            fifo.display()
        ),
    );
    assert_eq!(
        json_report(&output)["resources"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn dev_zero_named_directly_stops_at_the_limit_it_names() {
    let output = run(vigie().args(["scan", "/dev/zero", "--max-file-bytes", "100000"]));
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert_contains(
        &err,
        "error: /dev/zero: larger than 100000 bytes, the limit on one file or stdin; \
             raise it with --max-file-bytes",
    );
}

#[test]
fn stdin_past_the_limit_is_refused_and_other_input_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let settings = write(dir.path(), "settings.yaml", CONFIG_MAP);
    let mut child = spawn_piped(
        vigie()
            .args(["scan", "-", "--max-file-bytes", "5000", "-o", "json"])
            .arg(&settings),
    );
    let mut stdin = child.stdin.take().unwrap();
    let big = CONFIG_MAP.repeat(200);
    // vigie may stop reading at the limit: a broken pipe here is expected.
    let _ = stdin.write_all(format!("---\n{big}").as_bytes());
    drop(stdin);
    let output = finish(child);
    assert_exit(&output, 2);
    assert_contains(&stderr(&output), "error: <stdin>: larger than 5000 bytes");
    assert_eq!(
        json_report(&output)["resources"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn too_many_documents_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "many.yaml", [CONFIG_MAP; 5].join("---\n"));
    let output = run(vigie()
        .arg("scan")
        .arg(&file)
        .args(["--max-documents", "3", "-o", "json"]));
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains(":15:1: more than 3 documents, the limit on objects per file")
            && err.contains("--max-documents"),
        "{err}"
    );
    assert_eq!(
        json_report(&output)["resources"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn a_kustomization_file_is_not_a_manifest_under_no_kustomize() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "settings.yaml", CONFIG_MAP);
    let kustomization = write(
        dir.path(),
        "kustomization.yaml",
        "resources:\n- settings.yaml\nnamePrefix: prod-\n",
    );
    let output = run(vigie()
        .arg("scan")
        .arg(dir.path())
        .args(["--no-kustomize", "-o", "json"]));
    assert_exit(&output, 0);
    assert_contains(
        &stderr(&output),
        &format!(
            "warning: {}: a kustomization, not a Kubernetes object: skipped",
            kustomization.display()
        ),
    );
    assert_eq!(
        json_report(&output)["resources"].as_array().unwrap().len(),
        1
    );
}

/// A Pod, privileged when `i` is a multiple of 7, as JSON on one line.
fn pod_json(i: usize) -> String {
    format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"p-{i}\",\"namespace\":\"app\"}},\
         \"spec\":{{\"containers\":[{{\"name\":\"c\",\"image\":\"nginx:1.27\",\
         \"securityContext\":{{\"privileged\":{}}}}}]}}}}",
        i.is_multiple_of(7)
    )
}

/// (control, resource name, field path) of every finding.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    items(&report["findings"])
        .map(|f| {
            (
                f["controlId"].as_str().unwrap().to_string(),
                f["resource"]["name"].as_str().unwrap().to_string(),
                f["fieldPath"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_one_line_json_list_scans_like_the_pretty_one_with_exact_columns() {
    let dir = tempfile::tempdir().unwrap();
    let pods: Vec<String> = (0..2000).map(pod_json).collect();
    let one_line = format!(
        "{{\"apiVersion\":\"v1\",\"items\":[{}],\"kind\":\"List\",\"metadata\":{{}}}}\n",
        pods.join(",")
    );
    let pretty = one_line.replace(",\"", ",\n    \"");
    let one_line_path = write(dir.path(), "one-line.json", &one_line);
    let pretty_path = write(dir.path(), "pretty.json", &pretty);
    let scan = |path: &Path| {
        let output = run(vigie().arg("scan").arg(path).args(["-o", "json"]));
        assert_exit(&output, 1);
        json_report(&output)
    };
    let (one_line_report, pretty_report) = (scan(&one_line_path), scan(&pretty_path));
    assert_eq!(one_line_report["resources"].as_array().unwrap().len(), 2000);
    assert_eq!(findings(&one_line_report), findings(&pretty_report));
    // The privileged container of the last privileged Pod (1995), found by column.
    let finding = items(&one_line_report["findings"])
        .find(|f| f["resource"]["name"] == "p-1995" && f["controlId"] == "PSS-B02")
        .expect("p-1995 runs privileged");
    let pod_at = one_line.find("\"p-1995\"").unwrap();
    let key_at = pod_at + one_line[pod_at..].find("\"privileged\"").unwrap();
    assert_eq!(finding["location"]["line"], 1);
    assert_eq!(finding["location"]["column"], key_at + 1);
}

#[test]
fn a_broken_list_item_costs_that_item_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("apiVersion: v1\nitems:\n");
    for i in 0..500 {
        let image = if i == 250 {
            "nginx: 1.27"
        } else {
            "nginx:1.27"
        };
        text.push_str(&format!(
            "- apiVersion: v1\n  kind: Pod\n  metadata: {{name: p-{i}, namespace: app}}\n  spec:\n    containers:\n    - name: c\n      image: {image}\n"
        ));
    }
    text.push_str("kind: List\n");
    let file = write(dir.path(), "list.yaml", &text);
    let output = run(vigie().arg("scan").arg(&file).args(["-o", "json"]));
    assert_exit(&output, 2);
    let err = stderr(&output);
    // Item 251 starts on line 3 + 250 × 7.
    let item_line = 3 + 250 * 7;
    assert!(
        err.contains(&format!("error: {}:", file.display()))
            && err.contains("document 1, item 251: invalid YAML"),
        "{err}"
    );
    let line: usize = err
        .split(&format!("{}:", file.display()))
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((item_line..item_line + 8).contains(&line), "{err}");
    assert_eq!(
        json_report(&output)["resources"].as_array().unwrap().len(),
        499
    );
}

#[test]
fn fields_of_the_wrong_type_are_invalid_objects_not_passes() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "typed.yaml", WRONG_TYPES);
    let output = run(vigie().arg("scan").arg(&file).args(["-o", "json"]));
    assert_exit(&output, 2);
    let err = stderr(&output);
    let name = file.display();
    for expected in [
        format!("error: {name}:5:16: document 1: `spec.hostNetwork` must be a boolean, found a string (\"yes\"); the API server refuses such an object"),
        format!("error: {name}:18:19: document 2: `spec.containers[0].securityContext.privileged` must be a boolean, found a string (\"true\")"),
        format!("error: {name}:20:13: document 3: `apiVersion` must be a string, found a number (3): not a Kubernetes object"),
    ] {
        assert!(err.contains(&expected), "missing {expected:?} in\n{err}");
    }
    // Not scanned as if they were valid.
    assert!(json_report(&output)["resources"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn bad_input_never_shows_a_placeholder_position() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        "- a\n- b\n",
        "kind: List\nitems: 3\n",
        "kind: PodList\napiVersion: v1\nitems:\n- 3\n- metadata: {name: x}\n  spec: {containers: 1}\n",
        "{\"kind\": \"List\", \"items\": [1, [], {}]}",
        "a: [1, 2\n",
        "key: \"unclosed\n",
        "a: *nothing\n",
        "\t- tab\n",
        "apiVersion: v1\n",
        "kind: Pod\nmetadata: [x]\n",
    ];
    for (i, case) in cases.iter().enumerate() {
        write(dir.path(), &format!("case-{i}.yaml"), case);
    }
    let output = run(vigie().arg("scan").arg(dir.path()).args(["-o", "json"]));
    assert_exit(&output, 2);
    let err = stderr(&output);
    // One error or more per case, each with a position.
    assert!(err.lines().count() >= cases.len(), "{err}");
    assert!(err.lines().all(|line| line.contains(".yaml:")), "{err}");
    assert!(!err.contains(":0:"), "{err}");
}
