//! Which syscalls the kernel copies out: the bitmap written to the `syscall_on` map.
//!
//! Names are libscap's event names (the `evt.type` values of rules); numbers are
//! x86_64's. Only syscalls the kernel program encodes are listed: a rule naming
//! another syscall cannot match live events, and [`SyscallSet::from_names`] reports
//! those names so the caller can say so.

/// The syscalls the kernel program encodes: (`evt.type` name, x86_64 numbers).
pub const SUPPORTED: &[(&str, &[u32])] = &[
    ("read", &[0]),
    ("write", &[1]),
    ("open", &[2]),
    ("close", &[3]),
    ("pipe", &[22]),
    ("dup", &[32]),
    ("dup2", &[33]),
    ("socket", &[41]),
    ("connect", &[42]),
    ("accept", &[43]),
    ("sendto", &[44]),
    ("recvfrom", &[45]),
    ("sendmsg", &[46]),
    ("bind", &[49]),
    ("listen", &[50]),
    ("socketpair", &[53]),
    ("clone", &[56]),
    ("fork", &[57]),
    ("vfork", &[58]),
    ("execve", &[59]),
    ("chdir", &[80]),
    ("fchdir", &[81]),
    ("rename", &[82]),
    ("mkdir", &[83]),
    ("rmdir", &[84]),
    ("creat", &[85]),
    ("link", &[86]),
    ("unlink", &[87]),
    ("symlink", &[88]),
    ("chmod", &[90]),
    ("fchmod", &[91]),
    ("ptrace", &[101]),
    ("setuid", &[105]),
    ("setgid", &[106]),
    ("setsid", &[112]),
    ("setreuid", &[113]),
    ("setregid", &[114]),
    ("setresuid", &[117]),
    ("setresgid", &[119]),
    ("prctl", &[157]),
    ("mount", &[165]),
    ("umount2", &[166]),
    ("init_module", &[175]),
    ("openat", &[257]),
    ("mkdirat", &[258]),
    ("unlinkat", &[263]),
    ("renameat", &[264]),
    ("linkat", &[265]),
    ("symlinkat", &[266]),
    // fchmodat2 (452) is reported as fchmodat, as libscap does.
    ("fchmodat", &[268, 452]),
    ("unshare", &[272]),
    ("accept4", &[288]),
    ("dup3", &[292]),
    ("pipe2", &[293]),
    ("setns", &[308]),
    ("finit_module", &[313]),
    ("renameat2", &[316]),
    ("memfd_create", &[319]),
    ("bpf", &[321]),
    ("execveat", &[322]),
    ("userfaultfd", &[323]),
    ("io_uring_setup", &[425]),
    ("clone3", &[435]),
    ("openat2", &[437]),
];

/// What the process and fd tables need whatever the rules say: process lifecycle,
/// working directory and credentials, and the syscalls that create, copy or
/// destroy file descriptors or give sockets their addresses. `procexit` comes
/// from the sched_process_exit tracepoint and is always on.
pub const STATE: &[&str] = &[
    "clone",
    "fork",
    "vfork",
    "clone3",
    "execve",
    "execveat",
    "chdir",
    "fchdir",
    "setuid",
    "setgid",
    "setresuid",
    "setresgid",
    "setsid",
    "open",
    "openat",
    "openat2",
    "creat",
    "close",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "socket",
    "socketpair",
    "connect",
    "accept",
    "accept4",
    "bind",
    "listen",
    "memfd_create",
    "userfaultfd",
    "bpf",
    "io_uring_setup",
];

/// Size of the kernel's bitmap (the `syscall_on` array).
pub const MAX_SYSCALLS: usize = 512;

/// A set of native syscall numbers to copy out of the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallSet {
    on: Vec<bool>,
}

impl Default for SyscallSet {
    fn default() -> Self {
        SyscallSet {
            on: vec![false; MAX_SYSCALLS],
        }
    }
}

impl SyscallSet {
    /// Every syscall the kernel program encodes.
    pub fn all() -> Self {
        let mut s = SyscallSet::default();
        for (name, _) in SUPPORTED {
            s.insert(name);
        }
        s
    }

    /// What the state tables need ([`STATE`]).
    pub fn state() -> Self {
        let (s, _) = SyscallSet::from_names(STATE.iter().copied());
        s
    }

    /// The syscalls named (rules' `evt.type` values); also returns the names the
    /// kernel program does not encode, in the order given, without repeats.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> (Self, Vec<String>) {
        let mut s = SyscallSet::default();
        let mut unknown: Vec<String> = Vec::new();
        for name in names {
            if !s.insert(name) && !unknown.iter().any(|u| u == name) {
                unknown.push(name.to_string());
            }
        }
        (s, unknown)
    }

    /// Adds a syscall by its `evt.type` name; false when it is not encoded.
    pub fn insert(&mut self, name: &str) -> bool {
        match SUPPORTED.iter().find(|(n, _)| *n == name) {
            Some((_, nrs)) => {
                for &nr in *nrs {
                    self.on[nr as usize] = true;
                }
                true
            }
            None => false,
        }
    }

    /// Adds every syscall of `other`.
    pub fn union(&mut self, other: &SyscallSet) {
        for (a, b) in self.on.iter_mut().zip(&other.on) {
            *a |= *b;
        }
    }

    /// Whether native syscall `nr` is copied out.
    pub fn contains_nr(&self, nr: u32) -> bool {
        self.on.get(nr as usize).copied().unwrap_or(false)
    }

    /// The `evt.type` names in the set, in [`SUPPORTED`] order.
    pub fn names(&self) -> Vec<&'static str> {
        SUPPORTED
            .iter()
            .filter(|(_, nrs)| nrs.iter().any(|&nr| self.on[nr as usize]))
            .map(|(n, _)| *n)
            .collect()
    }

    /// What the loaded rules of the `syscall` source can match, plus what the
    /// state tables need: a rule without an `evt.type` restriction turns every
    /// encoded syscall on. Also returns the rule-named syscalls the kernel
    /// program does not encode.
    pub fn for_rules<'a>(
        rules: impl IntoIterator<Item = &'a vigie_rules::CompiledRule>,
    ) -> (Self, Vec<String>) {
        let mut set = SyscallSet::state();
        let mut unknown: Vec<String> = Vec::new();
        for rule in rules {
            if !rule.enabled || rule.source != "syscall" {
                continue;
            }
            match &rule.event_types {
                None => set.union(&SyscallSet::all()),
                Some(types) => {
                    for t in types {
                        // procexit is a tracepoint, always on; the rest are syscalls.
                        if t != "procexit" && !set.insert(t) && !unknown.contains(t) {
                            unknown.push(t.clone());
                        }
                    }
                }
            }
        }
        (set, unknown)
    }

    // The musl build has no kernel map to write it to.
    #[cfg_attr(target_env = "musl", allow(dead_code))]
    pub(crate) fn bytes(&self) -> impl Iterator<Item = (u32, u8)> + '_ {
        self.on
            .iter()
            .enumerate()
            .map(|(nr, &on)| (nr as u32, u8::from(on)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_numbers_and_unknown_names_are_reported_once() {
        let (s, unknown) = SyscallSet::from_names(["openat", "kill", "fchmodat", "kill"]);
        assert!(s.contains_nr(257));
        assert!(s.contains_nr(268) && s.contains_nr(452));
        assert!(!s.contains_nr(2));
        assert_eq!(unknown, vec!["kill".to_string()]);
        assert_eq!(s.names(), vec!["openat", "fchmodat"]);
    }

    #[test]
    fn rules_turn_on_their_syscalls_and_report_unencoded_ones() {
        let mut loader = vigie_rules::RuleLoader::new();
        loader.load_str(
            "t.yaml",
            "- rule: a\n  desc: a\n  condition: evt.type = chmod and evt.dir = <\n  output: x\n  priority: WARNING\n- rule: b\n  desc: b\n  condition: evt.type in (kill, read)\n  output: y\n  priority: WARNING\n",
        );
        let set = loader.finish();
        let engine = vigie_rules::Engine::build(
            &set,
            &[crate::fields::syscall_table()],
            &vigie_rules::EngineOptions::default(),
        )
        .expect("rules compile");
        assert_eq!(engine.rules().len(), 2);
        let (s, unknown) = SyscallSet::for_rules(engine.rules());
        assert!(s.contains_nr(90), "chmod from rule a");
        assert!(s.contains_nr(0), "read from rule b");
        assert!(s.contains_nr(59), "execve for the state");
        assert!(!s.contains_nr(1), "write: no rule asks for it");
        assert_eq!(unknown, vec!["kill".to_string()]);
    }

    #[test]
    fn state_set_has_lifecycle_and_fd_syscalls_but_not_read() {
        let s = SyscallSet::state();
        for nr in [56, 57, 58, 59, 322, 435, 3, 257, 33, 43, 80, 293] {
            assert!(s.contains_nr(nr), "{nr}");
        }
        assert!(!s.contains_nr(0));
        let mut t = SyscallSet::default();
        t.union(&s);
        assert_eq!(t, s);
    }
}
