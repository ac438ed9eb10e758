//! One `PolicyRule` and the request attributes it is checked against, with the
//! API server's matching rules (its RBAC authorizer's, from the Kubernetes RBAC
//! documentation): `*` matches any verb, group or resource; `*/scale` any
//! resource's `scale` subresource; `resourceNames` restrict requests that name an
//! object; `nonResourceURLs` end in `*` for a prefix.

use serde::Serialize;
use vigie_resource::Node;

/// What a request asks to do: the attributes the authorizer sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    /// `get`, `list`, `create`, `impersonate`, `bind`...
    pub verb: String,
    /// What the action is on.
    pub target: Target,
}

/// A resource (with its API group, subresource and name) or a non-resource URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Target {
    /// An API resource, by its plural name (`pods`, `deployments`).
    Resource {
        /// The API group: empty for the core group (`pods`), `apps` for `deployments`.
        group: String,
        /// Plural resource name.
        resource: String,
        /// `exec`, `status`, `scale`... when the request is on a subresource.
        subresource: Option<String>,
        /// The object's name, when the request names one (`get`, `update`,
        /// `delete`; not `list` or `create`).
        name: Option<String>,
    },
    /// A path outside the API's resources (`/healthz`, `/metrics`).
    Url(String),
}

impl Action {
    /// Reads the `RESOURCE` argument the way `kubectl auth can-i` does:
    /// `pods`, `deployments.apps`, `pods/exec` (or `--subresource`), or a
    /// non-resource URL starting with `/`.
    pub fn parse(
        verb: &str,
        resource: &str,
        subresource: Option<&str>,
        name: Option<&str>,
    ) -> Self {
        if resource.starts_with('/') {
            return Action {
                verb: verb.to_string(),
                target: Target::Url(resource.to_string()),
            };
        }
        let (resource, inline_sub) = match resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (resource, None),
        };
        let (resource, group) = resource.split_once('.').unwrap_or((resource, ""));
        Action {
            verb: verb.to_string(),
            target: Target::Resource {
                group: group.to_string(),
                resource: resource.to_string(),
                subresource: subresource.or(inline_sub).map(str::to_string),
                name: name.map(str::to_string),
            },
        }
    }

    /// `create pods/exec`, `get deployments.apps "web"`, `get /metrics`.
    pub fn describe(&self) -> String {
        match &self.target {
            Target::Url(url) => format!("{} {url}", self.verb),
            Target::Resource {
                group,
                resource,
                subresource,
                name,
            } => {
                let mut text = format!("{} {resource}", self.verb);
                if !group.is_empty() {
                    text.push('.');
                    text.push_str(group);
                }
                if let Some(sub) = subresource {
                    text.push('/');
                    text.push_str(sub);
                }
                if let Some(name) = name {
                    text.push_str(&format!(" {name:?}"));
                }
                text
            }
        }
    }
}

/// A rule of a Role or ClusterRole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    /// Verbs granted.
    pub verbs: Vec<String>,
    /// API groups the resources are in (`""` is the core group).
    pub api_groups: Vec<String>,
    /// Resources, `resource/subresource`, `*` or `*/subresource`.
    pub resources: Vec<String>,
    /// When not empty, only objects of these names.
    pub resource_names: Vec<String>,
    /// Non-resource URLs (only meaningful in a ClusterRole bound cluster-wide).
    #[serde(rename = "nonResourceURLs")]
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// Reads a rule; fields that are absent or not lists of strings are empty.
    pub fn from_node(node: &Node) -> Self {
        let list = |field: &str| -> Vec<String> {
            node.get(field)
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::as_str)
                .map(str::to_string)
                .collect()
        };
        PolicyRule {
            verbs: list("verbs"),
            api_groups: list("apiGroups"),
            resources: list("resources"),
            resource_names: list("resourceNames"),
            non_resource_urls: list("nonResourceURLs"),
        }
    }

    /// Whether this rule allows `action`.
    pub fn allows(&self, action: &Action) -> bool {
        if !self.verbs.iter().any(|v| v == "*" || *v == action.verb) {
            return false;
        }
        match &action.target {
            Target::Url(url) => self.non_resource_urls.iter().any(|rule_url| {
                rule_url == url
                    || rule_url
                        .strip_suffix('*')
                        .is_some_and(|prefix| url.starts_with(prefix))
            }),
            Target::Resource {
                group,
                resource,
                subresource,
                name,
            } => {
                self.api_groups.iter().any(|g| g == "*" || g == group)
                    && self.allows_resource(resource, subresource.as_deref())
                    && (self.resource_names.is_empty()
                        || name
                            .as_ref()
                            .is_some_and(|n| self.resource_names.contains(n)))
            }
        }
    }

    fn allows_resource(&self, resource: &str, subresource: Option<&str>) -> bool {
        self.resources.iter().any(|rule_resource| {
            if rule_resource == "*" {
                return true;
            }
            match subresource {
                None => rule_resource == resource,
                Some(sub) => rule_resource
                    .split_once('/')
                    .is_some_and(|(r, s)| (r == resource || r == "*") && s == sub),
            }
        })
    }

    /// `verbs [get, list] on [secrets]`, for messages.
    pub fn describe(&self) -> String {
        let mut text = format!("verbs [{}]", self.verbs.join(", "));
        if !self.resources.is_empty() {
            text.push_str(&format!(" on [{}]", self.resources.join(", ")));
        }
        if !self.resource_names.is_empty() {
            text.push_str(&format!(" named [{}]", self.resource_names.join(", ")));
        }
        if !self.non_resource_urls.is_empty() {
            text.push_str(&format!(" on URLs [{}]", self.non_resource_urls.join(", ")));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            non_resource_urls: Vec::new(),
        }
    }

    #[test]
    fn parses_kubectl_resource_forms() {
        let a = Action::parse("create", "deployments.apps", None, None);
        assert_eq!(a.describe(), "create deployments.apps");
        let a = Action::parse("create", "pods/exec", None, None);
        assert_eq!(a.describe(), "create pods/exec");
        let a = Action::parse("get", "pods", Some("log"), Some("web"));
        assert_eq!(a.describe(), "get pods/log \"web\"");
        assert_eq!(
            Action::parse("get", "/healthz", None, None).target,
            Target::Url("/healthz".into())
        );
    }

    #[test]
    fn wildcards_and_groups() {
        let any = rule(&["*"], &["*"], &["*"], &[]);
        assert!(any.allows(&Action::parse("delete", "nodes", None, None)));
        assert!(any.allows(&Action::parse("create", "pods", Some("exec"), None)));
        let core = rule(&["get"], &[""], &["pods"], &[]);
        assert!(core.allows(&Action::parse("get", "pods", None, None)));
        assert!(!core.allows(&Action::parse("get", "deployments.apps", None, None)));
        assert!(!core.allows(&Action::parse("list", "pods", None, None)));
    }

    #[test]
    fn subresources_are_separate() {
        let pods = rule(&["create"], &[""], &["pods"], &[]);
        assert!(!pods.allows(&Action::parse("create", "pods/exec", None, None)));
        let exec = rule(&["create"], &[""], &["pods/exec"], &[]);
        assert!(exec.allows(&Action::parse("create", "pods/exec", None, None)));
        assert!(!exec.allows(&Action::parse("create", "pods", None, None)));
        let any_scale = rule(&["update"], &["apps"], &["*/scale"], &[]);
        assert!(any_scale.allows(&Action::parse(
            "update",
            "deployments.apps/scale",
            None,
            None
        )));
        assert!(!any_scale.allows(&Action::parse("update", "deployments.apps", None, None)));
    }

    #[test]
    fn resource_names_need_a_named_request() {
        let named = rule(&["get", "list"], &[""], &["secrets"], &["db"]);
        assert!(named.allows(&Action::parse("get", "secrets", None, Some("db"))));
        assert!(!named.allows(&Action::parse("get", "secrets", None, Some("other"))));
        // A list names no object, so a rule limited to names cannot grant it.
        assert!(!named.allows(&Action::parse("list", "secrets", None, None)));
    }

    #[test]
    fn non_resource_urls() {
        let mut r = rule(&["get"], &[], &[], &[]);
        r.non_resource_urls = vec!["/healthz".into(), "/metrics/*".into()];
        assert!(r.allows(&Action::parse("get", "/healthz", None, None)));
        assert!(r.allows(&Action::parse("get", "/metrics/cadvisor", None, None)));
        assert!(!r.allows(&Action::parse("get", "/version", None, None)));
        assert!(!r.allows(&Action::parse("get", "pods", None, None)));
    }
}
