//! `jsonpatch.escapeKey(key)`: a map key made fit for a JSON Pointer path
//! segment (RFC 6901: `~` becomes `~0`, then `/` becomes `~1`), as Kubernetes
//! declares it for MutatingAdmissionPolicy JSONPatch expressions
//! (`"/metadata/labels/" + jsonpatch.escapeKey("example.com/tier")`).

use cel::common::types::{CelString, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError};

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload(
        "jsonpatch.escapeKey",
        "jsonpatch_escape_key_string",
        vec![STRING_TYPE],
        escape_key,
    )
}

/// The RFC 6901 escape of one path segment.
pub(crate) fn escape(key: &str) -> String {
    // `~` first, so that the `~` introduced for `/` is not escaped again.
    key.replace('~', "~0").replace('/', "~1")
}

fn escape_key<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let key = match args.as_slice() {
        [k] => k.as_ref().downcast_ref::<CelString>().ok_or_else(|| {
            ExecutionError::function_error("jsonpatch.escapeKey", "expects a string")
        })?,
        _ => {
            return Err(ExecutionError::function_error(
                "jsonpatch.escapeKey",
                "expects one string",
            ))
        }
    };
    Ok(CowVal::Owned(Box::new(CelString::from(escape(key)))))
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_tilde_before_slash() {
        for (key, want) in [
            ("plain", "plain"),
            ("example.com/tier", "example.com~1tier"),
            ("a~b", "a~0b"),
            ("~/", "~0~1"),
        ] {
            assert_eq!(escape(key), want, "{key}");
        }
    }
}
