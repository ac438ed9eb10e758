//! How the API names its types: the plural resource name a kind is served
//! under, and the `apiVersion` of a group and version.

/// The `apiVersion` of objects of `group` at `version`: `v1` for the core
/// group (empty), `apps/v1` for the others.
pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The plural lower-case resource name of a kind, as the API server spells
/// it for built-in kinds and the usual CRDs (`ConfigMap` -> `configmaps`,
/// `NetworkPolicy` -> `networkpolicies`, `Ingress` -> `ingresses`).
pub fn plural_of_kind(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    // Kinds whose name is already plural.
    if lower == "endpoints" {
        return lower;
    }
    if let Some(stem) = lower.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    if lower.ends_with(['s', 'x', 'z']) || lower.ends_with("ch") || lower.ends_with("sh") {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        for (kind, plural) in [
            ("Pod", "pods"),
            ("ConfigMap", "configmaps"),
            ("NetworkPolicy", "networkpolicies"),
            ("Gateway", "gateways"),
            ("Ingress", "ingresses"),
            ("Endpoints", "endpoints"),
        ] {
            assert_eq!(plural_of_kind(kind), plural);
        }
    }
}
