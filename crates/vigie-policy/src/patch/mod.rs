//! The patch forms of mutate rules, on JSON values: `patchStrategicMerge` (anchors
//! resolved, then a strategic merge), `patchesJson6902` and the CEL kinds' apply
//! configurations ([`apply`]); and the RFC 6902 diff
//! between two objects, which admission responses carry.

pub mod anchors;
pub mod apply;
pub mod json6902;
pub mod merge_keys;
pub mod strategic;

use serde_json::Value as Json;

pub use json6902::JsonPatchError;
pub use strategic::MergeError;

/// Applies a `patchStrategicMerge` overlay (variables already substituted) to
/// `object`. A condition anchor that does not hold leaves the object as it is.
pub fn strategic_merge(mut object: Json, overlay: &Json) -> Result<Json, MergeError> {
    let mut overlay = overlay.clone();
    if anchors::resolve(&mut overlay, &object).is_ok() {
        strategic::merge(&mut object, &overlay)?;
    }
    Ok(object)
}

/// The RFC 6902 operations that turn `before` into `after`, as a JSON array.
pub fn json_patch(before: &Json, after: &Json) -> Json {
    serde_json::to_value(json_patch::diff(before, after)).unwrap_or(Json::Array(Vec::new()))
}
