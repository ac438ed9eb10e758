//! Gateway API routes as the network controls read them: the route kinds,
//! and the Services their rules send traffic to.

use vigie_resource::{Node, Resource};

use crate::controls::rbac::service_accounts::namespace_of;
use crate::pod::list_of;

/// The Gateway API route kinds whose rules carry `backendRefs`.
pub(crate) const ROUTE_KINDS: &[&str] =
    &["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];

/// A backend reference of a route that names a core Service.
pub(crate) struct ServiceBackend<'a> {
    /// `spec.rules[r].backendRefs[b].name`.
    pub path: String,
    pub name: &'a Node,
    /// The reference's `namespace`, else the route's.
    pub namespace: &'a str,
}

/// The Service backends of a route's rules, in order. References to other
/// kinds of backends (a `group` or `kind` other than the core Service) are left
/// out.
pub(crate) fn service_backends(route: &Resource) -> Vec<ServiceBackend<'_>> {
    let rules = route
        .root
        .get_path(&["spec", "rules"])
        .map(Node::items)
        .unwrap_or(&[]);
    let mut out = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        let backends = list_of(rule, "backendRefs");
        for (b, backend) in backends.iter().enumerate() {
            let field = |key: &str, default: &'static str| {
                backend.get(key).and_then(Node::as_str).unwrap_or(default)
            };
            if !field("group", "").is_empty() || field("kind", "Service") != "Service" {
                continue;
            }
            let Some(name) = backend.get("name") else {
                continue;
            };
            out.push(ServiceBackend {
                path: format!("spec.rules[{r}].backendRefs[{b}].name"),
                name,
                namespace: backend
                    .get("namespace")
                    .and_then(Node::as_str)
                    .unwrap_or_else(|| namespace_of(route)),
            });
        }
    }
    out
}
