//! Frameworks: named selections of controls, each with its own score.

use crate::control::Control;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
/// A framework a scan can be asked for: the controls it selects and its score.
pub enum Framework {
    /// NSA/CISA Kubernetes Hardening Guidance.
    Nsa,
    /// CIS Kubernetes Benchmark.
    Cis,
    /// MITRE ATT&CK (containers matrix).
    Mitre,
    /// Pod Security Standards, baseline level.
    PssBaseline,
    /// Pod Security Standards, restricted level (includes baseline).
    PssRestricted,
}

impl Framework {
    /// Every framework, in the order reports list them.
    pub const ALL: [Framework; 5] = [
        Framework::Nsa,
        Framework::Cis,
        Framework::Mitre,
        Framework::PssBaseline,
        Framework::PssRestricted,
    ];

    /// The ID on the command line and in reports (`pss-baseline`).
    pub fn id(self) -> &'static str {
        match self {
            Framework::Nsa => "nsa",
            Framework::Cis => "cis",
            Framework::Mitre => "mitre",
            Framework::PssBaseline => "pss-baseline",
            Framework::PssRestricted => "pss-restricted",
        }
    }

    /// The name, for people.
    pub fn title(self) -> &'static str {
        match self {
            Framework::Nsa => "NSA/CISA Kubernetes Hardening Guidance",
            Framework::Cis => "CIS Kubernetes Benchmark",
            Framework::Mitre => "MITRE ATT&CK",
            Framework::PssBaseline => "Pod Security Standards: baseline",
            Framework::PssRestricted => "Pod Security Standards: restricted",
        }
    }

    /// Whether a posture control belongs to this framework (PSS frameworks are
    /// made of the Pod Security checks, not of posture controls).
    pub fn includes(self, control: &Control) -> bool {
        match self {
            Framework::Nsa => !control.refs.nsa.is_empty(),
            Framework::Cis => !control.refs.cis.is_empty(),
            Framework::Mitre => !control.refs.mitre.is_empty(),
            Framework::PssBaseline | Framework::PssRestricted => false,
        }
    }
}

vigie_finding::impl_names! {
    Framework named by id, IgnoreAscii;
    "framework", expected "nsa, cis, mitre, pss-baseline, pss-restricted or all"
}
