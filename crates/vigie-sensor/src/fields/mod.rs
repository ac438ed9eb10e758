//! The `syscall` source's typed field table: the fields the sensor gives values to,
//! each an [`SysField`] variant, followed by the other names of Falco's syscall
//! field set (declared by `vigie_rules::fields::syscall_table`), which rules may
//! name and which extract nothing yet. [`SyscallEvent`] extracts them from an
//! event and the [`crate::state::State`].

mod extract;
mod time;

use std::collections::HashSet;
use std::sync::OnceLock;

use vigie_rules::FieldTable;

pub use extract::SyscallEvent;

/// The source name rules use (`source: syscall`).
pub const SOURCE: &str = "syscall";

vigie_rules::field_table! {
    /// The fields with values, in the order of the table; a field's id is its index.
    enum SysField;
    EvtNum = "evt.num": Number; "the event number, counted from 1 in the order events are read"
    EvtTime = "evt.time": String; "the event time, HH:MM:SS.nnnnnnnnn (UTC)"
    EvtTimeS = "evt.time.s": String; "the event time, HH:MM:SS"
    EvtTimeIso = "evt.time.iso8601": String; "the event time in ISO 8601"
    EvtDatetime = "evt.datetime": String; "the event date and time, YYYY-MM-DD HH:MM:SS.nnnnnnnnn"
    EvtDatetimeS = "evt.datetime.s": String; "the event date and time, YYYY-MM-DD HH:MM:SS"
    EvtRawtime = "evt.rawtime": Number; "the event time in nanoseconds since the epoch"
    EvtRawtimeS = "evt.rawtime.s": Number; "the seconds part of the event time"
    EvtRawtimeNs = "evt.rawtime.ns": Number; "the nanoseconds part of the event time"
    EvtSource = "evt.source": String; "the event source (syscall)"
    EvtHostname = "evt.hostname": String; "the host the event happened on"
    EvtDir = "evt.dir": String; "> for enter events, < for exit events"
    EvtType = "evt.type": String; "the event (syscall) name: open, execve..."
    SyscallType = "syscall.type": String; "the syscall name, for syscall events"
    EvtCategory = "evt.category": String; "the event category: file, net, process..."
    EvtCpu = "evt.cpu": Number; "the CPU the event happened on"
    EvtArgs = "evt.args": String; "all the event's parameters, name=value"
    EvtArg = "evt.arg": String, dotted; "one parameter by name or index, resolved (flag names, fd names)"
    EvtRawarg = "evt.rawarg": String, dotted; "one parameter by name, as its raw value"
    EvtRes = "evt.res": String; "the result: SUCCESS, or the errno name (ENOENT...)"
    EvtRawres = "evt.rawres": Number; "the result as a number"
    EvtFailed = "evt.failed": Bool; "whether the result is an error"
    EvtIsOpenRead = "evt.is_open_read": Bool; "an open of a file for reading"
    EvtIsOpenWrite = "evt.is_open_write": Bool; "an open of a file for writing"
    EvtIsOpenExec = "evt.is_open_exec": Bool; "an open that creates an executable file"
    EvtIsOpenCreate = "evt.is_open_create": Bool; "an open that created the file"
    EvtAbspath = "evt.abspath": String; "the absolute path the event's path parameter names"
    ProcName = "proc.name": String; "the process's command name (comm)"
    ProcExe = "proc.exe": String; "argv[0] of the process"
    ProcExepath = "proc.exepath": String; "the full path of the process's executable"
    ProcPname = "proc.pname": String; "the parent's name"
    ProcPexe = "proc.pexe": String; "the parent's argv[0]"
    ProcPexepath = "proc.pexepath": String; "the parent's executable path"
    ProcAname = "proc.aname": String, optional; "the name of the Nth ancestor (proc.aname[N]), or of any ancestor"
    ProcAexe = "proc.aexe": String, optional; "argv[0] of the Nth ancestor, or of any ancestor"
    ProcAexepath = "proc.aexepath": String, optional; "the executable path of the Nth ancestor, or of any"
    ProcApid = "proc.apid": Number, optional; "the pid of the Nth ancestor, or of any ancestor"
    ProcAcmdline = "proc.acmdline": String, optional; "the command line of the Nth ancestor, or of any"
    ProcArgs = "proc.args": String; "the arguments, joined by spaces"
    ProcCmdline = "proc.cmdline": String; "the name and the arguments"
    ProcPcmdline = "proc.pcmdline": String; "the parent's command line"
    ProcCmdnargs = "proc.cmdnargs": Number; "the number of arguments"
    ProcCmdlenargs = "proc.cmdlenargs": Number; "the length of the arguments"
    ProcExeline = "proc.exeline": String; "argv[0] and the arguments"
    ProcCwd = "proc.cwd": String; "the working directory, ending with /"
    ProcLoginshellid = "proc.loginshellid": Number; "the pid of the eldest shell among the process and its ancestors"
    ProcTty = "proc.tty": Number; "the controlling terminal (0 when none)"
    ProcPid = "proc.pid": Number; "the process id"
    ProcPpid = "proc.ppid": Number; "the parent's process id"
    ProcVpid = "proc.vpid": Number; "the process id in its pid namespace"
    ProcPvpid = "proc.pvpid": Number; "the parent's process id in its pid namespace"
    ProcSid = "proc.sid": Number; "the session id"
    ProcSname = "proc.sname": String; "the name of the session leader"
    ProcVpgid = "proc.vpgid": Number; "the process group id in its pid namespace"
    ProcIsSidLeader = "proc.is_sid_leader": Bool; "whether the process leads its session"
    ProcIsVpgidLeader = "proc.is_vpgid_leader": Bool; "whether the process leads its process group"
    ProcIsExeWritable = "proc.is_exe_writable": Bool; "whether the executable is writable by the process's user"
    ProcIsExeUpperLayer = "proc.is_exe_upper_layer": Bool; "whether the executable lives in an overlay's upper layer"
    ProcIsExeFromMemfd = "proc.is_exe_from_memfd": Bool; "whether the executable is a memfd"
    ProcEnv = "proc.env": String, optional; "the environment at exec, NAME=value joined by spaces, or one variable's value (proc.env[NAME])"
    ProcVmsize = "proc.vmsize": Number; "virtual memory size at exec, KiB"
    ProcVmrss = "proc.vmrss": Number; "resident memory at exec, KiB"
    ProcVmswap = "proc.vmswap": Number; "swapped memory at exec, KiB"
    ProcExeIno = "proc.exe_ino": Number; "the executable's inode number"
    ProcExeInoCtime = "proc.exe_ino.ctime": Number; "the executable's inode change time, ns since the epoch"
    ProcExeInoMtime = "proc.exe_ino.mtime": Number; "the executable's modification time, ns since the epoch"
    ProcStdinType = "proc.stdin.type": String; "the type of descriptor 0"
    ProcStdoutType = "proc.stdout.type": String; "the type of descriptor 1"
    ProcStderrType = "proc.stderr.type": String; "the type of descriptor 2"
    ProcStdinName = "proc.stdin.name": String; "the name of descriptor 0"
    ProcStdoutName = "proc.stdout.name": String; "the name of descriptor 1"
    ProcStderrName = "proc.stderr.name": String; "the name of descriptor 2"
    ThreadTid = "thread.tid": Number; "the thread id"
    ThreadVtid = "thread.vtid": Number; "the thread id in its pid namespace"
    ThreadIsmain = "thread.ismain": Bool; "whether the thread is its process's main thread"
    ThreadCgroups = "thread.cgroups": String; "the thread's cgroups, subsystem=path joined by spaces"
    UserUid = "user.uid": Number; "the user id"
    UserName = "user.name": String; "the user name"
    UserHomedir = "user.homedir": String; "the user's home directory"
    UserShell = "user.shell": String; "the user's shell"
    UserLoginuid = "user.loginuid": Number; "the login user id (-1 when unset)"
    UserLoginname = "user.loginname": String; "the login user's name"
    GroupGid = "group.gid": Number; "the group id"
    GroupName = "group.name": String; "the group name"
    FdNum = "fd.num": Number; "the descriptor number the event is about"
    FdType = "fd.type": String; "file, directory, ipv4, ipv6, unix, pipe, event, memfd..."
    FdTypechar = "fd.typechar": String; "the type as one letter: f, d, 4, 6, u, p, e, m..."
    FdName = "fd.name": String; "the descriptor's name: path, connection tuple, socket path"
    FdDirectory = "fd.directory": String; "the directory of a file"
    FdFilename = "fd.filename": String; "the file name without its directory"
    FdIp = "fd.ip": Ip; "either address of a connection"
    FdCip = "fd.cip": Ip; "the client address"
    FdSip = "fd.sip": Ip; "the server address"
    FdLip = "fd.lip": Ip; "the local address"
    FdRip = "fd.rip": Ip; "the remote address"
    FdNet = "fd.net": Ip; "either address of a connection, for network comparisons (fd.net in (10.0.0.0/8))"
    FdCnet = "fd.cnet": Ip; "the client address, for network comparisons"
    FdSnet = "fd.snet": Ip; "the server address, for network comparisons"
    FdLnet = "fd.lnet": Ip; "the local address, for network comparisons"
    FdRnet = "fd.rnet": Ip; "the remote address, for network comparisons"
    FdPort = "fd.port": Number; "either port of a connection"
    FdCport = "fd.cport": Number; "the client port"
    FdSport = "fd.sport": Number; "the server port"
    FdLport = "fd.lport": Number; "the local port"
    FdRport = "fd.rport": Number; "the remote port"
    FdL4proto = "fd.l4proto": String; "tcp, udp, icmp or raw"
    FdSockfamily = "fd.sockfamily": String; "ip or unix"
    FdIsServer = "fd.is_server": Bool; "whether the process is the server end"
    FdConnected = "fd.connected": Bool; "whether the socket is connected"
    FdNameraw = "fd.nameraw": String; "the descriptor's name as the event gave it"
    FsPathName = "fs.path.name": String; "the path a file event is about"
    ContainerId = "container.id": String; "the container's short id (12 digits), host outside containers"
    ContainerFullId = "container.full_id": String; "the container's full id, host outside containers"
    ContainerName = "container.name": String; "the container's name (from the capture or the runtime), host outside containers"
    ContainerImage = "container.image": String; "the container's image as it was created with it"
    ContainerImageRepository = "container.image.repository": String; "the image without tag and digest"
    ContainerImageTag = "container.image.tag": String; "the image's tag"
    ContainerImageDigest = "container.image.digest": String; "the image's digest (sha256:...)"
    ContainerType = "container.type": String; "the container runtime: containerd, cri-o, docker..."
    ContainerPrivileged = "container.privileged": Bool; "whether the container is privileged, when the runtime says"
    K8sPodName = "k8s.pod.name": String; "the name of the container's Kubernetes pod"
    K8sPodUid = "k8s.pod.uid": String; "the uid of the pod"
    K8sPodLabel = "k8s.pod.label": String, dotted; "one label of the pod, by key"
    K8sPodLabels = "k8s.pod.labels": String; "the pod's labels, key:value joined by commas"
    K8sNsName = "k8s.ns.name": String; "the pod's namespace"
}

impl SysField {
    /// The field with this id.
    pub fn from_id(id: u16) -> Option<SysField> {
        ALL.get(id as usize).copied()
    }
}

/// The `syscall` field table, built once: the typed fields, then the other declared
/// names (which extract nothing).
pub fn syscall_table() -> &'static FieldTable {
    static TABLE: OnceLock<FieldTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all = defs();
        let ours: HashSet<&str> = all.iter().map(|d| d.name).collect();
        all.extend(
            vigie_rules::fields::syscall_table()
                .defs()
                .iter()
                .filter(|d| !ours.contains(d.name))
                .copied(),
        );
        FieldTable::new(SOURCE, &all).with_event_type_field("evt.type")
    })
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn typed_fields_come_first_and_declared_names_still_resolve() {
        let t = syscall_table();
        for (i, f) in ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
        let r = t.resolve("proc.aname", Some("2")).unwrap();
        assert_eq!(SysField::from_id(r.id), Some(SysField::ProcAname));
        let r = t.resolve("evt.arg.flags", None).unwrap();
        assert_eq!(SysField::from_id(r.id), Some(SysField::EvtArg));
        // Declared by Falco's field set, without a value here yet.
        let r = t.resolve("proc.vpgid.name", None).unwrap();
        assert_eq!(SysField::from_id(r.id), None);
        // Every typed field has the type the shared declaration gives it.
        let shared = vigie_rules::fields::syscall_table();
        for d in defs() {
            if let Ok(r) = shared.resolve(d.name, None) {
                assert_eq!(shared.def(r.id).ty, d.ty, "{}", d.name);
            }
        }
    }
}

#[cfg(test)]
mod tests;
