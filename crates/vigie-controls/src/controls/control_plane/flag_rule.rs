//! Declarative flag requirements: most control plane controls say "this
//! component must (not) run with this flag (value)", and nothing else. Each row
//! of `flag_controls.rs` states its [`FlagRule`]; [`FlagRule::evaluate`] does
//! the reading, the defaults and the messages for all of them.

use vigie_resource::Resource;

use super::args::{component_args, ComponentArgs, Flag};
use crate::pod::Violation;

/// Components whose static pods the controls read.
pub(crate) const KUBE_APISERVER: &str = "kube-apiserver";
pub(crate) const KUBE_CONTROLLER_MANAGER: &str = "kube-controller-manager";
pub(crate) const KUBE_SCHEDULER: &str = "kube-scheduler";
pub(crate) const ETCD: &str = "etcd";

/// What a control requires of the command line of some components.
pub(crate) struct FlagRule {
    /// The components the rule applies to (the first one found in a pod).
    pub components: &'static [&'static str],
    /// Every requirement is checked; each one that fails is a violation.
    pub requirements: &'static [Requirement],
}

/// One requirement on one flag.
pub(crate) struct Requirement {
    pub flag: &'static str,
    pub check: Check,
    /// Why failing it matters, appended to the message ("anyone can ...").
    pub risk: &'static str,
}

/// What a flag must look like. `default` is the value the component uses when
/// the flag is not given, so that a missing flag is judged by what it means.
pub(crate) enum Check {
    /// Given, with a non-empty value.
    Set,
    /// Not given at all.
    Absent,
    /// Its value (or the default) is one of `values`. Booleans compare as
    /// booleans (`True`, `1` and a bare `--flag` are `true`).
    OneOf {
        values: &'static [&'static str],
        default: &'static str,
    },
    /// Its value (or the default) is not `value`.
    Not {
        value: &'static str,
        default: &'static str,
    },
    /// Its comma-separated list (or the default list) holds one of `items`.
    Includes {
        items: &'static [&'static str],
        default: &'static [&'static str],
    },
    /// Its comma-separated list (or the default list) does not hold `item`.
    Excludes {
        item: &'static str,
        default: &'static [&'static str],
    },
    /// Given, as a whole number of at least `min`.
    AtLeast { min: u64 },
    /// Given, as a list whose every item is one of `allowed`.
    Within { allowed: &'static [&'static str] },
    /// When given, `problem` finds nothing wrong with its value (it returns
    /// a clause such as "which is not a duration").
    Valid { problem: fn(&str) -> Option<String> },
}

impl FlagRule {
    /// The flags of the first of the rule's components that `resource` runs.
    fn args<'a>(&self, resource: &'a Resource) -> Option<(&'static str, ComponentArgs<'a>)> {
        self.components
            .iter()
            .find_map(|c| component_args(resource, c).map(|args| (*c, args)))
    }

    /// Whether `resource` is the static pod of one of the rule's components.
    pub fn applies(&self, resource: &Resource) -> bool {
        self.args(resource).is_some()
    }

    /// A violation for every requirement the component's flags fail.
    pub fn evaluate(&self, resource: &Resource, out: &mut Vec<Violation>) {
        let Some((component, args)) = self.args(resource) else {
            return;
        };
        for requirement in self.requirements {
            let flag = args.get(requirement.flag);
            if let Some(problem) = requirement.problem(component, flag) {
                let (path, pos) = match flag {
                    Some(flag) => (flag.path.clone(), flag.pos),
                    None => (args.path.clone(), args.pos),
                };
                out.push(Violation::new(
                    path,
                    pos,
                    format!("{problem}: {}", requirement.risk),
                ));
            }
        }
    }
}

impl Requirement {
    /// What is wrong with `flag` (absent when `None`), if anything.
    fn problem(&self, component: &str, flag: Option<&Flag<'_>>) -> Option<String> {
        let name = self.flag;
        let value = flag.map(|f| f.value.unwrap_or("true"));
        match (&self.check, value) {
            (Check::Set, _) => match flag.map(|f| f.value) {
                Some(Some(v)) if !v.trim().is_empty() => None,
                Some(_) => Some(format!("{component} gives --{name} no value")),
                None => Some(format!("{component} does not set --{name}")),
            },
            (Check::Absent, Some(v)) => Some(format!("{component} sets --{name}={v}")),
            (Check::Absent, None) => None,
            (Check::OneOf { values, default }, _) => {
                let actual = value.unwrap_or(default);
                if values.iter().any(|v| same_value(v, actual)) {
                    return None;
                }
                Some(match value {
                    Some(v) if values.len() == 1 => format!("{component} runs with --{name}={v}"),
                    Some(v) => {
                        format!("{component} runs with --{name}={v}, not {}", either(values))
                    }
                    None => format!(
                        "{component} does not set --{name}={}, and the default is {default}",
                        values[0]
                    ),
                })
            }
            (
                Check::Not {
                    value: bad,
                    default,
                },
                _,
            ) => {
                let actual = value.unwrap_or(default);
                if !same_value(bad, actual) {
                    return None;
                }
                Some(match value {
                    Some(v) => format!("{component} runs with --{name}={v}"),
                    None => format!("{component} does not set --{name}, and the default is {bad}"),
                })
            }
            (Check::Includes { items, default }, _) => {
                let list = value.map_or_else(|| default.to_vec(), split_list);
                if items.iter().any(|item| list.contains(item)) {
                    return None;
                }
                let wanted = either(items);
                Some(match value {
                    Some(v) => format!("{component} --{name}={v} does not include {wanted}"),
                    None if default.is_empty() => {
                        format!("{component} does not set --{name} to include {wanted}")
                    }
                    None => format!(
                        "{component} does not set --{name}, and the default {} does not include {wanted}",
                        default.join(",")
                    ),
                })
            }
            (Check::Excludes { item, default }, _) => {
                let list = value.map_or_else(|| default.to_vec(), split_list);
                if !list.contains(item) {
                    return None;
                }
                Some(match value {
                    Some(v) if list.len() == 1 => format!("{component} runs with --{name}={v}"),
                    Some(v) => format!("{component} --{name}={v} includes {item}"),
                    None => format!("{component} does not set --{name}, and the default is {item}"),
                })
            }
            (Check::AtLeast { min }, Some(v)) => match v.trim().parse::<u64>() {
                Ok(n) if n >= *min => None,
                Ok(_) => Some(format!("{component} runs with --{name}={v}, below {min}")),
                Err(_) => Some(format!(
                    "{component} runs with --{name}={v}, not a whole number of at least {min}"
                )),
            },
            (Check::AtLeast { min }, None) => Some(format!(
                "{component} does not set --{name} (at least {min})"
            )),
            (Check::Within { allowed }, _) => match flag.map(|f| f.value) {
                Some(Some(v)) if !split_list(v).is_empty() => {
                    let outside: Vec<&str> = split_list(v)
                        .into_iter()
                        .filter(|item| !allowed.contains(item))
                        .collect();
                    (!outside.is_empty())
                        .then(|| format!("{component} --{name} allows {}", outside.join(", ")))
                }
                Some(_) => Some(format!("{component} gives --{name} no value")),
                None => Some(format!("{component} does not set --{name}")),
            },
            (Check::Valid { problem }, Some(v)) => {
                problem(v).map(|why| format!("{component} runs with --{name}={v}, {why}"))
            }
            (Check::Valid { .. }, None) => None,
        }
    }
}

/// `a`, `a or b`, `a, b or c`.
fn either(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The items of a comma-separated flag value.
fn split_list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether a flag value means `expected`; booleans are read the way the
/// components read them (Go's `strconv.ParseBool`).
fn same_value(expected: &str, actual: &str) -> bool {
    match (parse_bool(expected), parse_bool(actual)) {
        (Some(e), Some(a)) => e == a,
        _ => expected == actual,
    }
}

fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(value: Option<&'static str>) -> Flag<'static> {
        Flag {
            name: "x",
            value,
            path: String::new(),
            pos: Default::default(),
        }
    }

    fn problem(check: Check, value: Option<Option<&'static str>>) -> Option<String> {
        let requirement = Requirement {
            flag: "x",
            check,
            risk: "",
        };
        let flag = value.map(flag);
        requirement.problem("c", flag.as_ref())
    }

    #[test]
    fn booleans_compare_as_booleans() {
        let check = || Check::OneOf {
            values: &["false"],
            default: "true",
        };
        assert_eq!(problem(check(), Some(Some("False"))), None);
        assert!(problem(check(), Some(Some("1"))).is_some());
        assert!(problem(check(), Some(None)).is_some(), "bare flag is true");
        assert!(problem(check(), None).unwrap().contains("default is true"));
    }

    #[test]
    fn lists_fall_back_to_the_default() {
        let check = || Check::Excludes {
            item: "AlwaysAllow",
            default: &["AlwaysAllow"],
        };
        assert!(problem(check(), None).is_some());
        assert_eq!(problem(check(), Some(Some("Node,RBAC"))), None);
        assert!(problem(check(), Some(Some("Node, AlwaysAllow"))).is_some());
    }

    #[test]
    fn numbers_must_be_given_and_large_enough() {
        let check = || Check::AtLeast { min: 30 };
        assert!(problem(check(), None).is_some());
        assert!(problem(check(), Some(Some("29"))).is_some());
        assert!(problem(check(), Some(Some("thirty"))).is_some());
        assert_eq!(problem(check(), Some(Some("30"))), None);
    }

    #[test]
    fn set_needs_a_value() {
        assert!(problem(Check::Set, Some(None)).is_some());
        assert!(problem(Check::Set, Some(Some(""))).is_some());
        assert_eq!(problem(Check::Set, Some(Some("/etc/ca.crt"))), None);
    }
}
