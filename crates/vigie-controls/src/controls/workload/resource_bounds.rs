//! The CPU and memory controls: the same check (a request and a limit on every
//! container, within the configured bounds) on two resources, so one table of
//! two rows; each control's documentation is `resource_bounds/<resource>.md`.

use super::super::prelude::*;
use super::helpers::check_resource;
use crate::controls::common::{is_workload, workload_pod};

/// One control of the table.
struct ResourceControl {
    about: Described,
    /// The key under `resources.requests` and `resources.limits`.
    resource: &'static str,
    /// The configured bounds of the request, then of the limit.
    bounds: fn(&Config) -> [Bounds<'_>; 2],
}

/// The `[min, max]` quantities a request or limit must lie within (an empty
/// list leaves that side unbounded).
type Bounds<'a> = (&'a [String], &'a [String]);

const TABLE: [ResourceControl; 2] = [
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
        bounds: |c| {
            [
                (&c.cpu_request_min, &c.cpu_request_max),
                (&c.cpu_limit_min, &c.cpu_limit_max),
            ]
        },
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
        bounds: |c| {
            [
                (&c.memory_request_min, &c.memory_request_max),
                (&c.memory_limit_min, &c.memory_limit_max),
            ]
        },
    },
];

/// The controls of the table, in table order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1);

/// The control of row `ROW`.
const fn control<const ROW: usize>() -> Control {
    TABLE[ROW].about.control(Evaluator::Object {
        applies: is_workload,
        evaluate: evaluate::<ROW>,
    })
}

fn evaluate<const ROW: usize>(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    let row = &TABLE[ROW];
    if let Some(pod) = workload_pod(resource) {
        check_resource(&pod, row.resource, (row.bounds)(config), out);
    }
}
