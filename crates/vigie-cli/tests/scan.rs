//! `vigie scan` end to end: the real binary on real files.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{
    assert_contains, assert_exit, examples, items, json_report, run_command, run_with_stdin, vigie,
    write,
};

use std::ffi::OsStr;
use std::process::{Output, Stdio};

use serde_json::Value;

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: root-shell
  namespace: tools
spec:
  containers:
  - name: shell
    image: busybox
    securityContext:
      privileged: true
";

/// Runs `vigie scan OPTIONS INPUT`.
fn scan(options: &[&str], input: impl AsRef<OsStr>) -> Output {
    run_command(vigie().arg("scan").args(options).arg(input))
}

#[test]
fn hardened_example_is_clean_and_insecure_fails() {
    let clean = scan(&[], examples().join("hardened"));
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
    let dirty = scan(&[], examples().join("insecure"));
    assert_exit(&dirty, 1);
    let text = String::from_utf8_lossy(&dirty.stdout);
    assert_contains(&text, "PSS-B02");
    assert!(
        !text.contains("\x1b["),
        "NO_COLOR output holds no escape codes"
    );
}

#[test]
fn findings_point_at_the_offending_line() {
    let output = scan(&["-o", "json"], examples().join("insecure/storefront.yaml"));
    let report = json_report(&output);
    let findings = report["findings"].as_array().unwrap();
    let privileged = findings
        .iter()
        .find(|f| f["controlId"] == "PSS-B02")
        .expect("the privileged init container is found");
    assert_eq!(privileged["location"]["line"], 65);
    assert_eq!(privileged["location"]["column"], 11);
    assert_eq!(privileged["location"]["document"], 2);
    assert_eq!(
        privileged["fieldPath"],
        "spec.template.spec.initContainers[0].securityContext.privileged"
    );
    assert_eq!(privileged["resource"]["kind"], "Deployment");
    assert_eq!(privileged["resource"]["namespace"], "storefront");
    assert_eq!(privileged["resource"]["name"], "api");
    assert!(privileged["message"].as_str().unwrap().contains("migrate"));
    assert!(!privileged["remediation"].as_str().unwrap().is_empty());
}

#[test]
fn bad_input_is_reported_and_the_rest_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a-broken.yaml",
        format!(
            "{PRIVILEGED_POD}---\nkind: [unclosed\n---\n{}",
            PRIVILEGED_POD.replace("root-shell", "after-error")
        )
        .as_bytes(),
    );
    write(dir.path(), "b-no-kind.yaml", b"metadata:\n  name: x\n");
    write(dir.path(), "c-binary.yaml", b"kind: Pod\nname: \xff\xfe\n");
    write(dir.path(), "d-good.json", br#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "json-pod"}, "spec": {"hostPID": true, "containers": [{"name": "a", "image": "a"}]}}"#);
    write(dir.path(), "notes.txt", b"not a manifest: ignored");
    let output = scan(&["-o", "json"], dir.path());
    assert_eq!(output.status.code(), Some(2), "input errors exit with 2");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_contains(&stderr, "a-broken.yaml:14:");
    assert_contains(&stderr, "b-no-kind.yaml:1:1");
    assert_contains(&stderr, "no apiVersion and no kind");
    assert_contains(&stderr, "c-binary.yaml:2:7");
    assert_contains(&stderr, "not UTF-8");

    let report = json_report(&output);
    assert_eq!(report["errors"].as_array().unwrap().len(), 3);
    let names: Vec<&str> = items(&report["findings"])
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    for name in ["root-shell", "after-error", "json-pod"] {
        assert!(names.contains(&name), "{name} was scanned: {names:?}");
    }
}

#[test]
fn missing_paths_are_input_errors() {
    // A missing path next to one that exists.
    let output = run_command(
        vigie()
            .args(["scan", "does/not/exist.yaml"])
            .arg(examples().join("hardened")),
    );
    assert_exit(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_contains(&stderr, "does/not/exist.yaml: no such file or directory");
}

#[test]
fn stdin_and_lists() {
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}",
        PRIVILEGED_POD
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect::<String>()
            .replacen("  apiVersion", "- apiVersion", 1)
    );
    let output = run_with_stdin(vigie().args(["scan", "-o", "json", "-"]), list.as_bytes());
    assert_exit(&output, 1);
    let report = json_report(&output);
    let finding = items(&report["findings"])
        .find(|f| f["controlId"] == "PSS-B02")
        .unwrap()
        .clone();
    assert_eq!(finding["location"]["file"], "<stdin>");
    assert_eq!(finding["location"]["item"], 0);
    assert_eq!(finding["location"]["line"], 14);
}

#[test]
fn kustomizations_are_rendered_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "kustomization.yaml",
        b"resources:\n- pod.yaml\nnamespace: rendered\n",
    );
    write(dir.path(), "pod.yaml", PRIVILEGED_POD.as_bytes());
    let output = scan(&["-o", "json"], dir.path());
    assert_exit(&output, 1);
    let report = json_report(&output);
    let finding = &report["findings"][0];
    assert_eq!(finding["location"]["renderedBy"], "kubectl kustomize");
    assert_eq!(
        finding["resource"]["namespace"], "rendered",
        "kustomize applied the namespace"
    );

    let without = run_command(
        vigie()
            .env("VIGIE_KUBECTL", "")
            .args(["scan"])
            .arg(dir.path()),
    );
    assert_exit(&without, 2);
    let stderr = String::from_utf8_lossy(&without.stderr);
    assert!(
        stderr.contains("kubectl kustomize"),
        "says how to render: {stderr}"
    );
}

#[test]
fn severity_threshold_decides_failure() {
    let dir = tempfile::tempdir().unwrap();
    // Only medium findings: no root-related or privileged settings.
    write(dir.path(), "pod.yaml", b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: a}\n");
    let medium = scan(&["--severity-threshold", "medium"], dir.path());
    assert_exit(&medium, 1);
    let high = scan(&["--severity-threshold", "high"], dir.path());
    assert_exit(&high, 0);
    let baseline = scan(&["--level", "baseline"], dir.path());
    assert_eq!(baseline.status.code(), Some(0), "nothing wrong at baseline");
}

#[test]
fn pss_version_changes_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n    sysctls: [{name: net.ipv4.tcp_rmem, value: '4096 87380 6291456'}]\n  containers:\n  - {name: a, image: a}\n");
    let old = scan(
        &["--level", "baseline", "--pss-version", "v1.31"],
        dir.path(),
    );
    assert_exit(&old, 1);
    let new = scan(
        &["--level", "baseline", "--pss-version", "v1.32"],
        dir.path(),
    );
    assert_exit(&new, 0);
    let bad = scan(&["--pss-version", "v2.1"], dir.path());
    assert_exit(&bad, 2);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid Pod Security version"));
}

#[test]
fn output_file_receives_sarif_with_regions() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let output = run_command(
        vigie()
            .args(["scan", "-o", "sarif", "--output"])
            .arg(&sarif)
            .arg(examples().join("insecure/storefront.yaml")),
    );
    assert_exit(&output, 1);
    assert!(output.stdout.is_empty(), "the report went to the file");
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let privileged = results.iter().find(|r| r["ruleId"] == "PSS-B02").unwrap();
    let region = &privileged["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 65);
    assert_eq!(region["startColumn"], 11);
}

#[test]
fn junit_and_html_render() {
    let insecure = examples().join("insecure");
    let junit = scan(&["-o", "junit"], &insecure);
    let text = String::from_utf8(junit.stdout).unwrap();
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(text.contains("<testsuites"));
    let html = scan(&["-o", "html"], &insecure);
    let text = String::from_utf8(html.stdout).unwrap();
    assert!(text.contains("<svg"), "the HTML view has charts");
}

#[test]
fn completions_are_generated() {
    let output = run_command(vigie().args(["completions", "bash"]));
    assert_exit(&output, 0);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("_vigie"));
    assert!(text.contains("--pss-version"));
}

#[test]
fn controls_are_listed_and_explained() {
    let list = run_command(vigie().args([
        "controls",
        "list",
        "--framework",
        "pss-baseline",
        "--pss-version",
        "v1.33",
    ]));
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.contains("PSS-B01"));
    assert!(
        !text.contains("PSS-B12"),
        "host probes joined baseline in v1.34"
    );
    assert!(!text.contains("PSS-R01"));
    let explain = run_command(vigie().args(["controls", "explain", "privileged"]));
    let text = String::from_utf8(explain.stdout).unwrap();
    assert!(
        text.contains("PSS-B02") && text.contains("Why is this bad"),
        "{text}"
    );
    let posture = run_command(vigie().args(["controls", "explain", "VG-W001"]));
    let text = String::from_utf8(posture.stdout).unwrap();
    assert_contains(&text, "Kubescape C-0057");
    let nsa = run_command(vigie().args(["controls", "list", "-f", "nsa"]));
    let text = String::from_utf8(nsa.stdout).unwrap();
    assert!(
        text.contains("VG-W001") && !text.contains("PSS-B01"),
        "{text}"
    );
    let unknown = run_command(vigie().args(["controls", "explain", "PSS-X99"]));
    assert_exit(&unknown, 2);
}

const DEFAULT_NS_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  template:
    spec:
      containers:
      - name: app
        image: example/app:1
        securityContext:
          privileged: true
";

#[test]
fn frameworks_select_controls_and_report_scores() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "web.yaml", DEFAULT_NS_DEPLOYMENT.as_bytes());
    let output = scan(
        &["-o", "json", "--framework", "nsa,pss-baseline"],
        dir.path(),
    );
    assert_exit(&output, 1);
    let report = json_report(&output);
    let ids: Vec<&str> = items(&report["findings"])
        .map(|f| f["controlId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"VG-W001"), "{ids:?}");
    assert!(ids.contains(&"PSS-B02"), "{ids:?}");
    assert!(
        !ids.iter().any(|id| id.starts_with("PSS-R")),
        "no restricted checks: {ids:?}"
    );
    let frameworks: Vec<&str> = items(&report["frameworks"])
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(frameworks, ["nsa", "pss-baseline"]);
    let all = scan(&["-o", "json", "-f", "all"], dir.path());
    assert_eq!(json_report(&all)["frameworks"].as_array().unwrap().len(), 5);
    let bad = scan(&["-f", "nist"], dir.path());
    assert_exit(&bad, 2);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown framework `nist`"));
}

#[test]
fn compliance_threshold_fails_low_scores() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "web.yaml", DEFAULT_NS_DEPLOYMENT.as_bytes());
    // Only a critical finding exists; raise the severity threshold past it so only
    // the compliance threshold can fail the run.
    let scan = |dir: &std::path::Path, threshold: &str| {
        run_command(
            vigie()
                .args([
                    "scan",
                    "-f",
                    "pss-baseline",
                    "--severity-threshold",
                    "critical",
                ])
                .args(["--compliance-threshold", threshold])
                .arg(dir),
        )
    };
    let lenient = scan(dir.path(), "0");
    assert_eq!(
        lenient.status.code(),
        Some(1),
        "the critical finding still fails"
    );
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "pod.yaml", b"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  hostPID: true\n  containers: [{name: a, image: a}]\n");
    let passes = scan(clean.path(), "50");
    assert_exit(&passes, 0);
    let fails = scan(clean.path(), "95");
    assert_exit(&fails, 1);
    assert!(String::from_utf8_lossy(&fails.stderr).contains("below the compliance threshold"));
}

#[test]
fn exceptions_mark_findings_without_dropping_them() {
    let dir = tempfile::tempdir().unwrap();
    let annotated = DEFAULT_NS_DEPLOYMENT.replace(
        "  namespace: default\n",
        "  namespace: default\n  annotations:\n    vigie.dev/skip: \"PSS-B02\"\n    vigie.dev/skip-reason: \"node agent, reviewed\"\n",
    );
    write(dir.path(), "web.yaml", annotated.as_bytes());
    let output = scan(&["-o", "json", "-f", "pss-baseline"], dir.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "the only finding is excepted"
    );
    let report = json_report(&output);
    let finding = &report["findings"][0];
    assert_eq!(finding["controlId"], "PSS-B02");
    assert_eq!(finding["exception"]["reason"], "node agent, reviewed");

    let file = dir.path().join("exceptions.yaml");
    std::fs::write(&file, "exceptions:\n- controls: [VG-W001]\n  resources: [{kind: Deployment, name: 'w*'}]\n  reason: vendor chart\n  expires: 2001-01-01\n").unwrap();
    let expired = run_command(
        vigie()
            .args(["scan", "-o", "json", "-f", "nsa", "--exceptions"])
            .arg(&file)
            .arg(dir.path().join("web.yaml")),
    );
    assert_eq!(
        expired.status.code(),
        Some(1),
        "an expired exception no longer applies"
    );
    assert!(String::from_utf8_lossy(&expired.stderr).contains("expired on 2001-01-01"));

    std::fs::write(
        &file,
        "exceptions:\n- controls: [VG-W999]\n  reason: typo\n",
    )
    .unwrap();
    let unknown = run_command(
        vigie()
            .args(["scan", "--exceptions"])
            .arg(&file)
            .arg(dir.path()),
    );
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "unknown control IDs are errors"
    );
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("VG-W999"));

    let typo = DEFAULT_NS_DEPLOYMENT.replace(
        "  namespace: default\n",
        "  namespace: default\n  annotations: {vigie.dev/skip: PSS-B99}\n",
    );
    write(dir.path(), "web.yaml", typo.as_bytes());
    let inline = scan(&["-f", "pss-baseline"], dir.path().join("web.yaml"));
    assert_exit(&inline, 2);
    assert!(String::from_utf8_lossy(&inline.stderr).contains("PSS-B99"));
}

#[test]
fn config_file_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let unknown_on_line_2 = "allowedRegistries: [registry.example.com/]\nsensitiveKeys: [x]\n";
    let config = write(dir.path(), "vigie.yaml", unknown_on_line_2);
    let output = run_command(
        vigie()
            .args(["scan", "--config"])
            .arg(&config)
            .arg(examples().join("hardened")),
    );
    assert_exit(&output, 2);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("vigie.yaml:2:1") && stderr.contains("sensitiveKeys"),
        "{stderr}"
    );
}

/// The command writes findings while it scans; a report gathered in memory and
/// rendered afterwards must read exactly the same, in every format.
#[test]
fn streamed_report_equals_the_report_rendered_from_memory() {
    use vigie_controls::{exceptions::Date, scan, Framework, ScanConfig};
    use vigie_report::{render_to_string, Format, RenderOptions};
    use vigie_resource::LoadOptions;

    let input = examples().join("insecure").display().to_string();
    let settings = ScanConfig {
        frameworks: Framework::ALL.to_vec(),
        // The command compares exception expiry dates with today too.
        today: Date::today(),
        ..ScanConfig::default()
    };
    let report = scan(
        std::slice::from_ref(&input),
        &LoadOptions::default(),
        &settings,
    );
    assert!(report.findings.len() > 20, "{}", report.findings.len());
    assert!(
        report
            .controls
            .iter()
            .any(|c| c.cross_object && c.failed > 0),
        "the example should fail a cross-object control"
    );
    for format in Format::ALL {
        let streamed = run_command(
            vigie()
                .args(["scan", "--framework", "all", "--color", "never", "-o"])
                .arg(format.as_str())
                .arg(&input),
        );
        let rendered = render_to_string(&report, format, &RenderOptions { color: false }).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&streamed.stdout),
            rendered,
            "format {format}"
        );
    }
}

#[test]
fn a_report_that_cannot_be_written_is_an_error_naming_why() {
    let input = examples().join("insecure");
    let missing_dir = run_command(
        vigie()
            .args([
                "scan",
                "-o",
                "json",
                "--output",
                "/nonexistent-dir/report.json",
            ])
            .arg(&input),
    );
    assert_exit(&missing_dir, 2);
    let stderr = String::from_utf8_lossy(&missing_dir.stderr);
    assert_contains(
        &stderr,
        "cannot write the report: /nonexistent-dir/report.json",
    );

    // A full disk shows up while the findings are being written.
    let full = scan(
        &["-f", "all", "-o", "json", "--output", "/dev/full"],
        &input,
    );
    assert_exit(&full, 2);
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert_contains(&stderr, "cannot write the report");
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    // Far more output than a pipe holds, so that writing meets the closed pipe.
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::fs::read(examples().join("insecure/storefront.yaml")).unwrap();
    for i in 0..40 {
        write(dir.path(), &format!("copy-{i:02}.yaml"), &manifest);
    }
    let mut child = vigie()
        .args(["scan", "-f", "all"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `vigie scan . | head -c 10`.
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let output = child.wait_with_output().unwrap();
    // The findings still decide the exit code; nothing is said about the pipe.
    assert_exit(&output, 1);
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
