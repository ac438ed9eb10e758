//! ## What it does
//! Flags containers whose entrypoint (`command`) runs `sudo`.
//!
//! ## Why is this bad
//! `sudo` in the entrypoint means the image ships a setuid binary and a sudoers
//! policy, and that the process expects to become root: privilege escalation
//! is built into the container rather than granted, reviewed and limited
//! through the pod's security context.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   command: [sudo, /app/start]   # flagged
//! ```
//! Use instead: run the process as the user it needs and grant narrow
//! capabilities in `securityContext`; remove sudo from the image.
//!
//! ## References
//! Kubescape C-0062; NSA/CISA "Pod security"; MITRE ATT&CK T1548.003
//! (Sudo and Sudo Caching).

use super::super::prelude::*;
use crate::controls::common::pod_evaluator;

/// How VG-W049 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// Whether a command word runs sudo: `sudo`, `/usr/bin/sudo`, or a shell
/// script line with `sudo` as one of its words.
fn runs_sudo(word: &str) -> bool {
    word.split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '`'))
        .any(|token| token.rsplit('/').next() == Some("sudo"))
}

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let command = list_of(container.node, "command");
        if let Some((i, word)) = command
            .iter()
            .enumerate()
            .find(|(_, w)| w.as_str().is_some_and(runs_sudo))
        {
            out.push(Violation::new(
                pod.container_path(&container, &format!("command[{i}]")),
                word.pos,
                format!(
                    "{} runs sudo in its entrypoint ({})",
                    describe_container(&container),
                    word.display_value()
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::runs_sudo;

    #[test]
    fn sudo_is_a_word_not_a_substring() {
        assert!(runs_sudo("sudo"));
        assert!(runs_sudo("/usr/bin/sudo"));
        assert!(runs_sudo("apt-get update && sudo -u app run"));
        assert!(!runs_sudo("/opt/pseudo-server"));
        assert!(!runs_sudo("sudoku"));
    }
}
