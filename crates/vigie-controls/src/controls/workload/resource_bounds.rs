//! The CPU and memory controls: the same checks on two resources, so one table.
//! Workloads need a request and a limit on every container, within the
//! configured bounds; Agent Sandbox templates need a limit within a ceiling.
//! Each control's documentation is `resource_bounds/<name>.md`.

use super::super::prelude::*;
use super::helpers::check_resource;
use super::sandbox::{check_limit, is_sandbox_template};
use crate::controls::common::{is_workload, workload_pod};

/// One control of the table.
struct ResourceControl {
    about: Described,
    /// The key under `resources.requests` and `resources.limits`.
    resource: &'static str,
    /// What the containers must set, and within which settings.
    bounds: Bounds,
}

/// What a control asks of each container's `resource`.
enum Bounds {
    /// Workloads: a request and a limit, within the configured bounds of the
    /// request, then of the limit.
    RequestAndLimit(fn(&Config) -> [Range<'_>; 2]),
    /// Sandbox templates: a limit, at most the configured ceiling (when set).
    SandboxCeiling(fn(&Config) -> &[String]),
}

/// The `[min, max]` quantities a request or limit must lie within (an empty
/// list leaves that side unbounded).
type Range<'a> = (&'a [String], &'a [String]);

const TABLE: [ResourceControl; 4] = [
    ResourceControl {
        about: Described {
            id: "VG-W024",
            title: "CPU request or limit missing or out of bounds",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0050", "C-0268", "C-0270", "C-0009"],
                cis: &[],
                nsa: &["Pod security"],
                mitre: &["T1496", "T1499"],
            },
            remediation: "Set resources.requests.cpu and resources.limits.cpu on every container, within the configured bounds.",
            doc: include_str!("resource_bounds/cpu.md"),
        },
        resource: "cpu",
        bounds: Bounds::RequestAndLimit(|c| {
            [
                (&c.cpu_request_min, &c.cpu_request_max),
                (&c.cpu_limit_min, &c.cpu_limit_max),
            ]
        }),
    },
    ResourceControl {
        about: Described {
            id: "VG-W025",
            title: "Memory request or limit missing or out of bounds",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0004", "C-0269", "C-0271", "C-0009"],
                cis: &[],
                nsa: &["Pod security"],
                mitre: &["T1499"],
            },
            remediation: "Set resources.requests.memory and resources.limits.memory on every container, within the configured bounds.",
            doc: include_str!("resource_bounds/memory.md"),
        },
        resource: "memory",
        bounds: Bounds::RequestAndLimit(|c| {
            [
                (&c.memory_request_min, &c.memory_request_max),
                (&c.memory_limit_min, &c.memory_limit_max),
            ]
        }),
    },
    ResourceControl {
        about: Described {
            id: "VG-W064",
            title: "Agent sandbox without a memory ceiling",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0303"],
                cis: &[],
                nsa: &["Pod security"],
                mitre: &["T1499"],
            },
            remediation: "Set spec.podTemplate.spec.containers[].resources.limits.memory within the configured ceiling.",
            doc: include_str!("resource_bounds/sandbox_memory.md"),
        },
        resource: "memory",
        bounds: Bounds::SandboxCeiling(|c| &c.sandbox_memory_limit_max),
    },
    ResourceControl {
        about: Described {
            id: "VG-W065",
            title: "Agent sandbox without a cpu ceiling",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0303"],
                cis: &[],
                nsa: &["Pod security"],
                mitre: &["T1499"],
            },
            remediation:
                "Set spec.podTemplate.spec.containers[].resources.limits.cpu within the configured ceiling.",
            doc: include_str!("resource_bounds/sandbox_cpu.md"),
        },
        resource: "cpu",
        bounds: Bounds::SandboxCeiling(|c| &c.sandbox_cpu_limit_max),
    },
];

/// The controls of the table, in table order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1 2 3);

/// The control of row `ROW`.
const fn control<const ROW: usize>() -> Control {
    let applies = match TABLE[ROW].bounds {
        Bounds::RequestAndLimit(_) => is_workload,
        Bounds::SandboxCeiling(_) => is_sandbox_template,
    };
    TABLE[ROW].about.control(Evaluator::Object {
        applies,
        evaluate: evaluate::<ROW>,
    })
}

fn evaluate<const ROW: usize>(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    let row = &TABLE[ROW];
    match row.bounds {
        Bounds::RequestAndLimit(bounds) => {
            if let Some(pod) = workload_pod(resource) {
                check_resource(&pod, row.resource, bounds(config), out);
            }
        }
        Bounds::SandboxCeiling(ceiling) => {
            check_limit(resource, row.resource, ceiling(config), out)
        }
    }
}
