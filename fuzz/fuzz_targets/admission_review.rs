//! Untrusted AdmissionReview bodies through the webhook's whole answer: decoding,
//! the verdict of a small policy set (pattern, deny on the old object, foreach),
//! and the response. Nothing may panic; an answer must be an AdmissionReview
//! whose uid is the request's.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use vigie_admission::{
    AdmissionMetrics, ClusterData, Endpoint, PolicySet, PolicyStore, Webhook,
};

const POLICIES: &str = r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: fuzz
spec:
  validationFailureAction: Enforce
  emitWarning: true
  rules:
  - name: team
    match:
      any:
      - resources:
          kinds: ["*"]
    validate:
      message: "team {{ request.object.metadata.name }}"
      pattern:
        metadata:
          labels:
            team: "?*"
  - name: old
    match:
      any:
      - resources:
          kinds: [Pod]
          operations: [UPDATE, DELETE]
    validate:
      deny:
        conditions:
          any:
          - key: "{{ request.oldObject.metadata.labels.keep || '' }}"
            operator: Equals
            value: "true"
  - name: images
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      foreach:
      - list: "request.object.spec.containers"
        pattern:
          image: "!*:latest"
"#;

fn webhook() -> &'static Webhook {
    static WEBHOOK: OnceLock<Webhook> = OnceLock::new();
    WEBHOOK.get_or_init(|| {
        let loaded = vigie_policy::policies_from_str(POLICIES, "fuzz.yaml");
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let metrics = Arc::new(AdmissionMetrics::default());
        let set = PolicySet::new(loaded.policies, 1);
        Webhook {
            store: Arc::new(PolicyStore::new(Vec::new(), 0, set, metrics.clone())),
            cluster: Arc::new(ClusterData::default()),
            metrics,
            timeout: Duration::from_secs(8),
            reports: None,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let decoded = vigie_admission::decode(data);
    for endpoint in [Endpoint::Validate, Endpoint::Mutate] {
        match webhook().answer(endpoint, data) {
            Ok(response) => {
                let review = response.to_review();
                assert_eq!(review["kind"], "AdmissionReview");
                if let Ok(request) = &decoded {
                    assert_eq!(review["response"]["uid"], request.uid.as_str());
                }
            }
            Err(failure) => {
                assert!(failure.uid.is_none());
                assert!(!failure.to_string().is_empty());
            }
        }
    }
});
