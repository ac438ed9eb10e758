//! The webhook's own cost per request, without HTTP or TLS: loads policies, then
//! answers the given AdmissionReview bodies in turn on one thread and prints the
//! mean time per answer. For profiling (`perf record`) and comparing changes;
//! bench/admission/run.sh measures the server as the API server sees it.
//!
//!   cargo run --release -p vigie-admission --example answer_loop -- \
//!       POLICY_DIR ITERATIONS REVIEW.json...

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigie_admission::{load_set, AdmissionMetrics, ClusterData, ClusterView, Endpoint};
use vigie_admission::{PolicyStore, Webhook};

/// The vigie binary's allocator, so that the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [policies, iterations, reviews @ ..] = args.as_slice() else {
        eprintln!("usage: answer_loop POLICY_DIR ITERATIONS REVIEW.json...");
        std::process::exit(2);
    };
    let iterations: usize = iterations.parse().expect("ITERATIONS is a number");
    let bodies: Vec<Vec<u8>> = reviews
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_else(|e| panic!("{f}: {e}")))
        .collect();
    assert!(!bodies.is_empty(), "no review given");
    let (set, _) = load_set(std::slice::from_ref(policies), 1 << 20, 1).expect("policies load");
    let metrics = Arc::new(AdmissionMetrics::default());
    let webhook = Webhook {
        store: Arc::new(PolicyStore::new(Vec::new(), 1 << 20, set, metrics.clone())),
        cluster: Arc::new(ClusterView::fixed(ClusterData::default())),
        metrics,
        timeout: Duration::from_secs(8),
        reports: None,
    };
    let started = Instant::now();
    let mut bytes = 0;
    for i in 0..iterations {
        let body = &bodies[i % bodies.len()];
        let response = webhook
            .answer(Endpoint::Validate, body)
            .expect("the review decodes");
        bytes += response.to_bytes().len();
    }
    let took = started.elapsed();
    println!(
        "{iterations} answers in {:.3} s: {:.1} µs each ({} bytes answered)",
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / iterations as f64,
        bytes
    );
}
