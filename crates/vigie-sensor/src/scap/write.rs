//! Writing captures: vigie's own fixtures for tests and the differential test
//! against sysdig. Writes the section header, machine information, a process list
//! (block version 6), file descriptor lists, a user list and events (version 2
//! event blocks), each block padded to 4 bytes.

use std::io::{self, Write};

use super::block;
use super::meta::{FdEntry, FdKind, GroupEntry, MachineInfo, ThreadEntry, UserEntry};

/// Builds a capture in memory.
#[derive(Default)]
pub struct ScapWriter {
    out: Vec<u8>,
}

fn put_str(b: &mut Vec<u8>, s: &[u8]) {
    b.extend_from_slice(&(s.len() as u16).to_le_bytes());
    b.extend_from_slice(s);
}

impl ScapWriter {
    /// Starts a capture with its section header and machine information.
    pub fn new(machine: &MachineInfo) -> Self {
        let mut w = ScapWriter::default();
        let mut shb = Vec::new();
        shb.extend_from_slice(&block::SHB_MAGIC.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&2u16.to_le_bytes());
        shb.extend_from_slice(&u64::MAX.to_le_bytes());
        w.block(block::SHB, &shb);
        let mut mi = Vec::new();
        mi.extend_from_slice(&machine.num_cpus.to_le_bytes());
        mi.extend_from_slice(&machine.memory_size_bytes.to_le_bytes());
        mi.extend_from_slice(&machine.max_pid.to_le_bytes());
        let mut host = [0u8; 128];
        let name = machine.hostname.as_bytes();
        let n = name.len().min(127);
        host[..n].copy_from_slice(&name[..n]);
        mi.extend_from_slice(&host);
        mi.extend_from_slice(&machine.boot_ts_epoch.to_le_bytes());
        mi.extend_from_slice(&[0u8; 24]);
        w.block(block::MI, &mi);
        w
    }

    pub(super) fn block(&mut self, ty: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let total = (8 + body.len() + pad + 4) as u32;
        self.out.extend_from_slice(&ty.to_le_bytes());
        self.out.extend_from_slice(&total.to_le_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(&[0u8; 3][..pad]);
        self.out.extend_from_slice(&total.to_le_bytes());
    }

    /// Writes the process list.
    pub fn threads(&mut self, threads: &[ThreadEntry]) -> &mut Self {
        let mut b = Vec::new();
        for t in threads {
            for v in [t.tid, t.pid, t.ptid, t.sid] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            put_str(&mut b, t.comm.as_bytes());
            put_str(&mut b, t.exe.as_bytes());
            put_str(&mut b, &t.args);
            put_str(&mut b, t.cwd.as_bytes());
            b.extend_from_slice(&t.fdlimit.to_le_bytes());
            b.extend_from_slice(&t.flags.to_le_bytes());
            b.extend_from_slice(&t.uid.to_le_bytes());
            b.extend_from_slice(&t.gid.to_le_bytes());
            b.extend_from_slice(&[0u8; 4 + 4 + 4 + 8 + 8]);
            put_str(&mut b, &t.env);
            b.extend_from_slice(&t.vtid.to_le_bytes());
            b.extend_from_slice(&t.vpid.to_le_bytes());
            put_str(&mut b, &t.cgroups);
            put_str(&mut b, t.root.as_bytes());
        }
        self.block(0x212, &b);
        self
    }

    /// Writes the file descriptors of one thread (files, directories, IPv4 sockets,
    /// unix sockets and named kinds).
    pub fn fds(&mut self, tid: i64, fds: &[FdEntry]) -> &mut Self {
        let mut b = Vec::new();
        b.extend_from_slice(&tid.to_le_bytes());
        for f in fds {
            b.extend_from_slice(&f.fd.to_le_bytes());
            b.extend_from_slice(&f.ino.to_le_bytes());
            let ip4 = |ip: Option<std::net::IpAddr>| match ip {
                Some(std::net::IpAddr::V4(v)) => v.octets(),
                _ => [0; 4],
            };
            match f.kind {
                FdKind::Ipv4Sock => {
                    b.push(3);
                    b.extend_from_slice(&ip4(f.sip));
                    b.extend_from_slice(&ip4(f.dip));
                    b.extend_from_slice(&f.sport.to_le_bytes());
                    b.extend_from_slice(&f.dport.to_le_bytes());
                    b.push(f.l4proto);
                }
                FdKind::Ipv4ServSock => {
                    b.push(5);
                    b.extend_from_slice(&ip4(f.dip));
                    b.extend_from_slice(&f.dport.to_le_bytes());
                    b.push(f.l4proto);
                }
                FdKind::UnixSock => {
                    b.push(8);
                    b.extend_from_slice(&[0u8; 16]);
                    put_str(&mut b, f.name.as_bytes());
                }
                FdKind::File => {
                    b.push(16);
                    b.extend_from_slice(&f.open_flags.to_le_bytes());
                    put_str(&mut b, f.name.as_bytes());
                }
                kind => {
                    b.push(match kind {
                        FdKind::Directory => 2,
                        FdKind::Fifo => 7,
                        FdKind::Event => 9,
                        FdKind::Signalfd => 11,
                        FdKind::Eventpoll => 12,
                        FdKind::Inotify => 13,
                        FdKind::Timerfd => 14,
                        FdKind::Netlink => 15,
                        FdKind::Bpf => 17,
                        FdKind::Userfaultfd => 18,
                        FdKind::Iouring => 19,
                        FdKind::Memfd => 20,
                        FdKind::Pidfd => 21,
                        _ => 10,
                    });
                    put_str(&mut b, f.name.as_bytes());
                }
            }
        }
        self.block(block::FDL, &b);
        self
    }

    /// Writes the user list.
    pub fn users(&mut self, users: &[UserEntry], groups: &[GroupEntry]) -> &mut Self {
        let mut b = Vec::new();
        for u in users {
            b.push(0);
            b.extend_from_slice(&u.uid.to_le_bytes());
            b.extend_from_slice(&u.gid.to_le_bytes());
            put_str(&mut b, u.name.as_bytes());
            put_str(&mut b, u.homedir.as_bytes());
            put_str(&mut b, u.shell.as_bytes());
        }
        for g in groups {
            b.push(1);
            b.extend_from_slice(&g.gid.to_le_bytes());
            put_str(&mut b, g.name.as_bytes());
        }
        self.block(block::UL, &b);
        self
    }

    /// Writes one event (its bytes in the wire encoding) produced on `cpu`.
    pub fn event(&mut self, cpu: u16, event: &[u8]) -> &mut Self {
        let mut b = Vec::with_capacity(2 + event.len());
        b.extend_from_slice(&cpu.to_le_bytes());
        b.extend_from_slice(event);
        self.block(block::EV_V2, &b);
        self
    }

    /// The capture's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    /// Writes the capture to `out`.
    pub fn write_to(&self, mut out: impl Write) -> io::Result<()> {
        out.write_all(&self.out)
    }
}
