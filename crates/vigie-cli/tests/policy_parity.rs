//! `vigie policy apply` flags shared with `kyverno apply`: `-o DIR_OR_FILE`,
//! `--exceptions`, `--warn-exit-code`, `--warn-no-pass`, `-p --output-format json`.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{arg, assert_contains, assert_exit, run, text, write, ClusterPolicy};

/// Generates a deny-all NetworkPolicy in each Namespace and audits its owner label.
fn policy() -> String {
    ClusterPolicy::new("namespaces", &[], None)
        .rule(
            "- name: deny-all
  match:
    any:
    - resources:
        kinds: [Namespace]
  generate:
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    name: deny-all
    namespace: \"{{request.object.metadata.name}}\"
    data:
      spec:
        podSelector: {}
",
        )
        .label_rule(
            "owner",
            "Namespace",
            "a namespace needs an owner label",
            "owner",
            Some("Audit"),
        )
        .yaml()
}

const RESOURCES: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: shop
";

const EXCEPTION: &str = "apiVersion: kyverno.io/v2
kind: PolicyException
metadata:
  name: shop-has-no-owner
  namespace: kyverno
spec:
  exceptions:
  - policyName: namespaces
    ruleNames: [owner]
  match:
    any:
    - resources:
        kinds: [Namespace]
        names: [shop]
";

#[test]
fn output_dir_gets_generated_resources_and_format_names_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", policy());
    let resources = write(dir.path(), "ns.yaml", RESOURCES);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let (p, r, o) = (arg(&policy), arg(&resources), arg(&out_dir));
    let out = run(&["policy", "apply", p, "-r", r, "-o", o]);
    assert_exit(&out, 1);
    let written =
        std::fs::read_to_string(out_dir.join("networkpolicy-shop-deny-all.yaml")).unwrap();
    assert_contains(
        &written,
        "# generated shop/NetworkPolicy/deny-all for Namespace/shop",
    );
    assert_contains(&written, "kind: NetworkPolicy");

    // Any other path is one file holding every object.
    let out_file = dir.path().join("generated.yaml");
    let out = run(&["policy", "apply", p, "-r", r, "-o", arg(&out_file)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        written.starts_with("---\n# generated shop/NetworkPolicy/deny-all for Namespace/shop"),
        "{written}"
    );
    assert!(
        !text(&out.stdout).contains("kind: NetworkPolicy"),
        "written to the file, not printed"
    );

    let out = run(&["policy", "apply", p, "-r", r, "-o", "json"]);
    assert!(text(&out.stderr).contains("`-o json` as the output format is deprecated"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert!(json.is_object());
    let out = run(&["policy", "apply", p, "-r", r, "--output-format", "json"]);
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON output");
}

#[test]
fn exceptions_and_warning_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", policy());
    let resources = write(dir.path(), "ns.yaml", RESOURCES);
    let exception = write(dir.path(), "exception.yaml", EXCEPTION);
    let (p, r, e) = (arg(&policy), arg(&resources), arg(&exception));
    // The Audit failure is a warning with --audit-warn: exit 0, or the code asked for.
    let base = ["policy", "apply", p, "-r", r, "--audit-warn"];
    assert_eq!(run(&base).status.code(), Some(0));
    let mut with_code = base.to_vec();
    with_code.extend(["--warn-exit-code", "3"]);
    assert_eq!(run(&with_code).status.code(), Some(3));
    // The exception skips the rule: no warning left, the generate rule passed.
    let mut excepted = with_code.clone();
    excepted.extend(["--exceptions", e]);
    let out = run(&excepted);
    assert_exit(&out, 0);
    // Nothing passes when the generate rule's policy is not matched: --warn-no-pass.
    let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    let other = write(dir.path(), "cm.yaml", config_map);
    let out = run(&[
        "policy",
        "apply",
        p,
        "-r",
        arg(&other),
        "--warn-exit-code",
        "4",
        "--warn-no-pass",
    ]);
    assert_exit(&out, 4);
}

#[test]
fn policy_report_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", policy());
    let resources = write(dir.path(), "ns.yaml", RESOURCES);
    let out = run(&[
        "policy",
        "apply",
        arg(&policy),
        "-r",
        arg(&resources),
        "-p",
        "--output-format",
        "json",
    ]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][0]["kind"], "ClusterPolicyReport");
    assert_eq!(list["items"][0]["summary"]["pass"], 1);
}

/// An Enforce policy whose `needs-team` rule says `failureAction: Audit`, and an
/// Audit policy whose `needs-owner` rule says `failureAction: Enforce`: the rule's
/// own action wins (Kyverno 1.13 and later), under `--audit-warn` as at admission.
fn rule_level_actions() -> String {
    let enforced = ClusterPolicy::new("enforced-policy", &[], Some("Enforce"))
        .label_rule(
            "needs-owner",
            "ConfigMap",
            "a config map needs an owner label",
            "owner",
            None,
        )
        .label_rule(
            "needs-team",
            "ConfigMap",
            "a config map needs a team label",
            "team",
            Some("Audit"),
        );
    let audited = ClusterPolicy::new("audited-policy", &[], Some("Audit")).label_rule(
        "needs-tier",
        "ConfigMap",
        "a config map needs a tier label",
        "tier",
        Some("Enforce"),
    );
    format!("{}---\n{}", enforced.yaml(), audited.yaml())
}

/// `(policy, rule) -> result` of a `-p --output-format json` run.
fn results_by_rule(out: &[u8]) -> Vec<(String, String, String)> {
    let list: serde_json::Value = serde_json::from_slice(out).expect("JSON");
    let mut found = Vec::new();
    for item in list["items"].as_array().unwrap() {
        for r in item["results"].as_array().unwrap() {
            found.push((
                r["policy"].as_str().unwrap().to_string(),
                r["rule"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
            ));
        }
    }
    found.sort();
    found
}

#[test]
fn audit_warn_follows_the_rule_level_failure_action() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", rule_level_actions());
    let p = arg(&policy);
    let apply = |labels: &str| {
        let resource = write(
            dir.path(),
            "cm.yaml",
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {labels}\n"),
        );
        let r = resource.to_str().unwrap().to_string();
        let exit = run(&["policy", "apply", p, "-r", &r, "--audit-warn"]);
        let json = run(&[
            "policy",
            "apply",
            p,
            "-r",
            &r,
            "--audit-warn",
            "-p",
            "--output-format",
            "json",
        ]);
        (exit, results_by_rule(&json.stdout))
    };
    let row = |policy: &str, rule: &str, result: &str| {
        (policy.to_string(), rule.to_string(), result.to_string())
    };

    let cases = [
        // Only the rule-level Audit rule fails: a warning, the run passes.
        ("{owner: me, tier: web}", 0, ["pass", "pass", "warn"]),
        // Every rule fails: the policy-level Enforce rule and the rule-level
        // Enforce rule of the Audit policy fail, the rule-level Audit rule
        // still only warns.
        ("{}", 1, ["fail", "fail", "warn"]),
    ];
    for (labels, exit, [tier, owner, team]) in cases {
        let (out, results) = apply(labels);
        assert_eq!(out.status.code(), Some(exit), "{}", text(&out.stdout));
        assert_eq!(
            results,
            [
                row("audited-policy", "needs-tier", tier),
                row("enforced-policy", "needs-owner", owner),
                row("enforced-policy", "needs-team", team),
            ],
            "labels {labels}"
        );
    }
}
