//! The rest of the `kyverno test` format: Context files answering `apiCall` and
//! `globalReference`, and suites that name what is not there.

mod common;

use common::suite;
use vigie_policy::suite::{run_suite, Verdict};

#[test]
fn a_context_file_answers_api_calls_and_global_references() {
    let report = common::run_agreeing("context", 4);
    let big = common::message_of(&report, |e| {
        e.rule == "within-budget" && e.resource == "big"
    });
    common::assert_contains(&big, "at most 3 replicas");
}

#[test]
fn a_missing_policy_resource_or_rule_fails_with_a_clear_message() {
    let report = run_suite(&suite("must-fail"));
    let messages: Vec<(&Verdict, &str)> = report
        .entries
        .iter()
        .map(|e| (&e.verdict, e.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [
            (
                &Verdict::Disagree,
                "policy no-such-policy is not among the suite's policies"
            ),
            (
                &Verdict::Disagree,
                "resource Deployment no-such-deployment is not among the suite's resources"
            ),
            (
                &Verdict::Disagree,
                "policy replica-budget has no rule no-such-rule"
            ),
        ]
    );
}

#[test]
fn values_subresources_match_scale_and_exec_objects_as_their_parents_subresources() {
    let report = common::run_agreeing("subresources", 4);
    let batch = common::message_of(&report, |e| e.resource == "batch");
    common::assert_contains(&batch, "no more than 4 replicas");
}
