//! Service accounts as workloads use them: which account a pod runs as, and
//! whether its token ends up mounted.

use vigie_resource::{Node, Pos, Resource};

use crate::control::Inventory;
use crate::pod::{key_pos, Pod};

pub(crate) use crate::controls::common::WORKLOAD_KINDS;

/// What controls relating workloads to their service accounts read.
pub(crate) const WORKLOADS_AND_ACCOUNTS: &[&str] = workloads_and!["ServiceAccount"];

/// The namespace an object lives in; objects without one land in `default`.
pub(crate) fn namespace_of(resource: &Resource) -> &str {
    resource.namespace.as_deref().unwrap_or("default")
}

/// The service account a pod runs as (`default` when the spec names none).
pub(crate) fn account_name<'a>(pod: &Pod<'a>) -> &'a str {
    pod.spec()
        .get("serviceAccountName")
        .or_else(|| pod.spec().get("serviceAccount"))
        .and_then(Node::as_str)
        .filter(|name| !name.is_empty())
        .unwrap_or("default")
}

/// The ServiceAccount object `name` of `namespace`, when the inventory holds it.
pub(crate) fn find_account<'a>(
    inventory: Inventory<'a>,
    name: &str,
    namespace: &str,
) -> Option<&'a Resource> {
    inventory
        .find("ServiceAccount", namespace, name)
        .map(|(_, r)| r)
}

/// Whether a ServiceAccount opts out of token automounting.
pub(crate) fn account_disables_automount(account: &Resource) -> bool {
    account
        .root
        .get("automountServiceAccountToken")
        .and_then(Node::as_bool)
        == Some(false)
}

/// Why a pod gets its service account token mounted.
pub(crate) struct TokenMount {
    /// Path of the pod spec's `automountServiceAccountToken`, or of the spec itself.
    pub path: String,
    pub pos: Pos,
    pub reason: String,
}

/// Whether the pod mounts its service account's token: it says so, or it says
/// nothing and its account (when known) does not opt out.
pub(crate) fn token_mount(
    workload: &Resource,
    pod: &Pod<'_>,
    account: Option<&Resource>,
) -> Option<TokenMount> {
    let spec = pod.spec();
    match spec.get("automountServiceAccountToken").and_then(Node::as_bool) {
        Some(true) => Some(TokenMount {
            path: pod.spec_path("automountServiceAccountToken"),
            pos: key_pos(spec, "automountServiceAccountToken"),
            reason: "sets automountServiceAccountToken: true".to_string(),
        }),
        Some(false) => None,
        None if account.is_some_and(account_disables_automount) => None,
        None => Some(TokenMount {
            path: pod.spec_path("automountServiceAccountToken"),
            pos: if spec.is_null() { workload.pos } else { spec.pos },
            reason: format!(
                "does not set automountServiceAccountToken and service account {} does not disable it",
                account_name(pod)
            ),
        }),
    }
}
