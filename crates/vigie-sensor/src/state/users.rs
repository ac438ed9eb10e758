//! Users and groups by id: from the capture's user list, or from passwd and group
//! files (the host's, and a container's root when its files are reachable).

use std::collections::HashMap;
use std::path::Path;

use crate::scap::{GroupEntry, UserEntry};

/// A user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Name.
    pub name: String,
    /// Home directory.
    pub homedir: String,
    /// Login shell.
    pub shell: String,
}

/// Users and groups, by id.
#[derive(Clone, Debug, Default)]
pub struct Users {
    users: HashMap<u32, User>,
    groups: HashMap<u32, String>,
}

/// passwd and group files read at most this much (they are small; a larger one is
/// not a passwd file).
const MAX_FILE: u64 = 16 << 20;

impl Users {
    /// From a capture's lists.
    pub fn from_capture(users: &[UserEntry], groups: &[GroupEntry]) -> Self {
        let mut out = Users::default();
        for u in users {
            out.users.insert(
                u.uid,
                User {
                    name: u.name.clone(),
                    homedir: u.homedir.clone(),
                    shell: u.shell.clone(),
                },
            );
        }
        for g in groups {
            out.groups.insert(g.gid, g.name.clone());
        }
        out
    }

    /// From `ROOT/etc/passwd` and `ROOT/etc/group`; a missing or unreadable file
    /// gives no entries.
    pub fn from_root(root: &Path) -> Self {
        let mut out = Users::default();
        let read = |name: &str| {
            use std::io::Read;
            let mut text = String::new();
            std::fs::File::open(root.join(name))
                .and_then(|f| f.take(MAX_FILE).read_to_string(&mut text))
                .map(|_| text)
                .unwrap_or_default()
        };
        out.add_passwd(&read("etc/passwd"));
        out.add_group(&read("etc/group"));
        out
    }

    /// Adds the users of passwd-format text (`name:x:uid:gid:gecos:home:shell`);
    /// malformed lines are skipped.
    pub fn add_passwd(&mut self, text: &str) {
        for (uid, f) in id_records(text, 7) {
            self.users.entry(uid).or_insert_with(|| User {
                name: f[0].to_string(),
                homedir: f[5].to_string(),
                shell: f[6].to_string(),
            });
        }
    }

    /// Adds the groups of group-format text (`name:x:gid:members`).
    pub fn add_group(&mut self, text: &str) {
        for (gid, f) in id_records(text, 3) {
            self.groups.entry(gid).or_insert_with(|| f[0].to_string());
        }
    }

    /// The user with this id.
    pub fn user(&self, uid: u32) -> Option<&User> {
        self.users.get(&uid)
    }

    /// The name of the group with this id.
    pub fn group(&self, gid: u32) -> Option<&str> {
        self.groups.get(&gid).map(String::as_str)
    }
}

/// The lines of passwd- or group-format text that have at least `fields`
/// colon-separated fields and a numeric id in the third: the id and the fields.
fn id_records(text: &str, fields: usize) -> impl Iterator<Item = (u32, Vec<&str>)> {
    text.lines().filter_map(move |line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < fields {
            return None;
        }
        Some((f[2].parse().ok()?, f))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_passwd_and_group_text() {
        let mut u = Users::default();
        u.add_passwd(
            "root:x:0:0:root:/root:/bin/bash\nbroken\nwww:x:33:33::/var/www:/usr/sbin/nologin\n",
        );
        u.add_group("root:x:0:\nwww-data:x:33:\n");
        assert_eq!(u.user(33).unwrap().name, "www");
        assert_eq!(u.user(0).unwrap().shell, "/bin/bash");
        assert_eq!(u.group(33), Some("www-data"));
        assert!(u.user(1).is_none());
    }
}
