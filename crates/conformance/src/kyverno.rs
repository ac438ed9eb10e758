//! The `kyverno` suite: every `kyverno-test.yaml` of the Kyverno policies corpus,
//! run with `vigie policy test`'s runner. Each expected result entry (one resource
//! of one `results` item) counts once; entries needing features of later issues
//! (mutate, generate, CEL policy kinds, exceptions) are listed as unsupported and
//! counted in neither figure.

use std::path::Path;

use vigie_policy::suite::{find_suites, run_suite, summarize, Verdict};

use crate::Tally;

pub fn run(dir: &Path) -> Tally {
    let suites = find_suites(&[dir.to_path_buf()]);
    let reports: Vec<_> = suites.iter().map(|s| run_suite(s)).collect();
    for r in &reports {
        for e in &r.errors {
            println!("ERROR {}: {e}", r.path.display());
        }
        for e in r.entries.iter().filter(|e| e.verdict == Verdict::Disagree) {
            println!(
                "DISAGREE {}: {}/{} {} {}: expected {}, vigie {} ({})",
                r.path.display(),
                e.policy,
                e.rule,
                e.kind,
                e.resource,
                e.expected,
                e.actual.map_or("no result", |s| s.as_str()),
                e.message
            );
        }
    }
    for r in &reports {
        for e in &r.entries {
            if let Verdict::Unsupported(reason) = &e.verdict {
                println!(
                    "UNSUPPORTED {}: {} {} {}: {reason}",
                    r.path.display(),
                    e.policy,
                    e.kind,
                    e.resource
                );
            }
        }
    }
    let (categories, overall) = summarize(&reports, dir);
    for (category, s) in &categories {
        println!(
            "{category:<28} {:>4}/{:<4} {:>6.1}%  unsupported {}",
            s.agree,
            s.agree + s.disagree,
            s.percent(),
            s.unsupported
        );
    }
    println!(
        "overall {:.1}% agreement; {} entries unsupported, {} unrunnable (resource files missing, or entries kyverno test leaves out)",
        overall.percent(),
        overall.unsupported,
        overall.unrunnable
    );
    Tally {
        passed: overall.agree,
        failed: overall.disagree,
    }
}
