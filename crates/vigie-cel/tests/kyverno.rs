//! Kyverno's CEL libraries answered offline by `vigie_cel::kyverno`.

use std::sync::Arc;

use serde_json::json;
use vigie_cel::kyverno::{lookup, Offline};
use vigie_cel::{Activation, Env, Program, Value};

fn data() -> Arc<Offline> {
    Arc::new(Offline {
        resources: vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "limits", "namespace": "shop"}, "data": {"max": "3"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "unscoped"}, "data": {}}),
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "web", "namespace": "shop"}, "spec": {"maxReplicas": 4}}),
        ],
        images: vec![json!({"image": "ghcr.io/team/app:1.0",
                            "manifest": {"annotations": {"base": "distroless"}}})],
    })
}

/// Evaluates `expr` with `resource` and `image` answering from [`data`].
fn eval(expr: &str) -> Result<Value, String> {
    let env = Env::new().variable("resource").variable("image");
    let p = Program::compile(expr, &env).map_err(|e| e.to_string())?;
    let mut act = Activation::new();
    for name in ["resource", "image"] {
        act.bind(name, lookup(data())).map_err(|e| e.to_string())?;
    }
    p.eval(&act).map_err(|e| e.to_string())
}

fn is_true(expr: &str) {
    assert_eq!(eval(expr), Ok(Value::Bool(true)), "{expr}");
}

#[test]
fn resource_get_and_list() {
    is_true("resource.Get('v1', 'configmaps', 'shop', 'limits').data.max == '3'");
    is_true("resource.Get('v1', 'configmaps', 'default', 'unscoped').data == {}");
    is_true(
        "resource.List('autoscaling/v1', 'horizontalpodautoscalers', 'shop').items.size() == 1",
    );
    is_true("resource.List('v1', 'configmaps', '').items.size() == 2");
    is_true("resource.List('v1', 'configmaps', 'other').items.size() == 0");
    is_true("resource.List('apps/v1', 'configmaps', '').items.size() == 0");
    let missing = eval("resource.Get('v1', 'configmaps', 'shop', 'nope')").unwrap_err();
    assert!(
        missing.contains("configmaps \"nope\" not found"),
        "{missing}"
    );
}

#[test]
fn image_references() {
    is_true("image('nginx').registry() == 'docker.io'");
    is_true("image('nginx').repository() == 'library/nginx'");
    is_true("image('nginx').tag() == 'latest' && image('nginx').identifier() == 'latest'");
    is_true("image('reg.io:5000/a/b@sha256:abc').containsDigest()");
    is_true("image('reg.io:5000/a/b@sha256:abc').identifier() == 'sha256:abc'");
    is_true("image('reg.io:5000/a/b:1.2').repository() == 'a/b'");
    is_true("!image('reg.io/a/b:1.2').containsDigest() && image('reg.io/a/b:1.2').digest() == ''");
    is_true("isImage('ghcr.io/x/y:1') && !isImage('not an image')");
    assert!(eval("image('not an image')").is_err());
}

#[test]
fn image_metadata_comes_from_the_offline_data() {
    is_true("image.GetMetadata('ghcr.io/team/app:1.0').manifest.annotations.base == 'distroless'");
    is_true("image.GetMetadata('ghcr.io/team/app:1.0').repository == 'team/app'");
    let missing = eval("image.GetMetadata('ghcr.io/team/other:1.0')").unwrap_err();
    assert!(missing.contains("spec.images"), "{missing}");
}

#[test]
fn service_accounts() {
    is_true("parseServiceAccount('system:serviceaccount:ops:deployer') == {'Namespace': 'ops', 'Name': 'deployer'}");
    is_true(
        "parseServiceAccount('alice').Name == '' && parseServiceAccount('alice').Namespace == ''",
    );
}

/// Answers the image verification functions from fixed facts: `good` is
/// signed by `key`, and carries an SBOM.
#[derive(Debug)]
struct Facts;

impl vigie_cel::kyverno::ImageVerification for Facts {
    fn verify_signatures(
        &self,
        image: &str,
        attestors: &[serde_json::Value],
    ) -> Result<i64, vigie_cel::kyverno::VerificationError> {
        match image {
            "good" => Ok(attestors.iter().filter(|a| a["name"] == "key").count() as i64),
            "bad" => Ok(0),
            other => Err(format!("nothing known of {other}").into()),
        }
    }
    fn verify_attestation(
        &self,
        image: &str,
        attestation: &str,
        attestors: &[serde_json::Value],
    ) -> Result<i64, vigie_cel::kyverno::VerificationError> {
        Ok(i64::from(image == "good" && attestation == "sbom") * attestors.len() as i64)
    }
    fn payload(
        &self,
        _image: &str,
        attestation: &str,
    ) -> Result<serde_json::Value, vigie_cel::kyverno::VerificationError> {
        Ok(json!({"kind": attestation}))
    }
    fn image_data(
        &self,
        image: &str,
    ) -> Result<serde_json::Value, vigie_cel::kyverno::VerificationError> {
        Ok(json!({"image": image, "digest": "sha256:0"}))
    }
}

#[test]
fn image_verification_functions_are_methods_of_the_bound_verifier() {
    let mut env = Env::new().variable("attestors").variable("images");
    for f in vigie_cel::kyverno::IMAGE_VERIFICATION_FUNCTIONS {
        env = env.receiver_function(*f, "verifier");
    }
    let mut act = Activation::new();
    act.bind(
        "verifier",
        vigie_cel::kyverno::image_verifier(Arc::new(Facts)),
    )
    .expect("binds");
    act.bind_json(
        "attestors",
        &json!({"key": {"name": "key"}, "other": {"name": "other"}}),
    );
    act.bind_json("images", &json!({"containers": ["good", "bad"]}));
    let eval = |expr: &str| {
        Program::compile(expr, &env)
            .map_err(|e| e.to_string())?
            .eval(&act)
            .map_err(|e| e.to_string())
    };
    let yes = |expr: &str| assert_eq!(eval(expr), Ok(Value::Bool(true)), "{expr}");
    yes("verifyImageSignatures('good', [attestors.key, attestors.other]) == 1");
    yes("images.containers.map(i, verifyImageSignatures(i, [attestors.key])) == [1, 0]");
    yes("verifyAttestationSignatures('good', 'sbom', [attestors.key]) == 1");
    yes("extractPayload('good', 'sbom').kind == 'sbom'");
    yes("getImageData('good').digest == 'sha256:0'");
    // The verifier's own errors surface as evaluation errors.
    let e = eval("verifyImageSignatures('gone', [attestors.key]) > 0").unwrap_err();
    assert!(e.contains("nothing known of gone"), "{e}");
    // Without a verifier the functions are not available.
    let plain = Env::new().variable("attestors");
    let e = Program::compile("verifyImageSignatures('good', [attestors.key]) > 0", &plain)
        .expect("compiles")
        .eval(&act)
        .unwrap_err();
    assert!(!e.to_string().is_empty());
}
