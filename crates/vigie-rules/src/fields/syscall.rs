//! Names and types of the syscall fields (events, processes, threads, users, file
//! descriptors, containers, Kubernetes metadata, filesystem paths). Declared now so
//! syscall rule files load and compile; the sensor will provide the values.

use std::sync::OnceLock;

use crate::field::FieldTable;
use crate::fields::table_text::parse_table_text;

const SYSCALL_FIELDS: &str = "
evt.num number
evt.time string
evt.time.s string
evt.time.iso8601 string
evt.datetime string
evt.datetime.s string
evt.rawtime number
evt.rawtime.s number
evt.rawtime.ns number
evt.reltime number
evt.reltime.s number
evt.reltime.ns number
evt.pluginname string
evt.plugininfo string
evt.source string
evt.is_async bool
evt.asynctype string
evt.hostname string
evt.latency number
evt.latency.s number
evt.latency.ns number
evt.latency.human string
evt.deltatime number
evt.deltatime.s number
evt.deltatime.ns number
evt.outputtime number
evt.dir string
evt.type string
evt.type.is number arg=required
syscall.type string
evt.category string
evt.cpu number
evt.args string
evt.arg string arg=dotted
evt.rawarg string arg=dotted
evt.info string
evt.buffer bytes
evt.buflen number
evt.res string
evt.rawres number
evt.failed bool
evt.is_io bool
evt.is_io_read bool
evt.is_io_write bool
evt.io_dir string
evt.is_wait bool
evt.wait_latency number
evt.is_syslog bool
evt.count number
evt.count.error number
evt.count.error.file number
evt.count.error.net number
evt.count.error.memory number
evt.count.error.other number
evt.count.exit number
evt.around number arg=required
evt.abspath string arg=optional
evt.abspath.src string
evt.abspath.dst string
evt.is_open_read bool
evt.is_open_write bool
evt.is_open_exec bool
evt.is_open_create bool
proc.exe string
proc.pexe string
proc.aexe string arg=optional
proc.exepath string
proc.pexepath string
proc.aexepath string arg=optional
proc.name string
proc.pname string
proc.aname string arg=optional
proc.args string
proc.cmdline string
proc.pcmdline string
proc.acmdline string arg=optional
proc.cmdnargs number
proc.cmdlenargs number
proc.exeline string
proc.env string arg=optional
proc.aenv string arg=optional
proc.cwd string
proc.loginshellid number
proc.tty number
proc.pid number
proc.ppid number
proc.apid number arg=optional
proc.vpid number
proc.pvpid number
proc.sid number
proc.sname string
proc.sid.exe string
proc.sid.exepath string
proc.vpgid number
proc.vpgid.name string
proc.vpgid.exe string
proc.vpgid.exepath string
proc.duration number
proc.ppid.duration number
proc.pid.ts number
proc.ppid.ts number
proc.is_exe_writable bool
proc.is_exe_upper_layer bool
proc.is_exe_from_memfd bool
proc.is_sid_leader bool
proc.is_vpgid_leader bool
proc.exe_ino number
proc.exe_ino.ctime number
proc.exe_ino.mtime number
proc.exe_ino.ctime_duration_proc_start number
proc.exe_ino.ctime_duration_pidns_start number
proc.pidns_init_start_ts number
proc.fdopencount number
proc.fdlimit number
proc.fdusage number
proc.vmsize number
proc.vmrss number
proc.vmswap number
proc.pfmajor number
proc.pfminor number
proc.nthreads number
proc.nchilds number
proc.stdin.type string
proc.stdout.type string
proc.stderr.type string
proc.stdin.name string
proc.stdout.name string
proc.stderr.name string
proc.is_container_healthcheck bool
proc.is_container_liveness_probe bool
proc.is_container_readiness_probe bool
thread.tid number
thread.ismain bool
thread.vtid number
thread.exectime number
thread.totexectime number
thread.cgroups string
thread.cgroup string arg=required
thread.nametid string
thread.vmsize number
thread.vmrss number
thread.pfmajor number
thread.pfminor number
thread.cap_permitted string
thread.cap_inheritable string
thread.cap_effective string
user.uid number
user.name string
user.homedir string
user.shell string
user.loginuid number
user.loginname string
group.gid number
group.name string
fd.num number
fd.type string
fd.typechar string
fd.name string
fd.directory string
fd.filename string
fd.ip ip
fd.cip ip
fd.sip ip
fd.lip ip
fd.rip ip
fd.port number
fd.cport number
fd.sport number
fd.lport number
fd.rport number
fd.l4proto string
fd.sockfamily string
fd.is_server bool
fd.uid string
fd.containername string
fd.containerdirectory string
fd.proto string
fd.cproto string
fd.sproto string
fd.lproto string
fd.rproto string
fd.net ip
fd.cnet ip
fd.snet ip
fd.lnet ip
fd.rnet ip
fd.connected bool
fd.name_changed bool
fd.cip.name string
fd.sip.name string
fd.lip.name string
fd.rip.name string
fd.dev number
fd.dev.major number
fd.dev.minor number
fd.ino number
fd.nameraw string
fd.types string list arg=optional
fdlist.nums number list
fdlist.names string list
fdlist.cips ip list
fdlist.sips ip list
fdlist.cports number list
fdlist.sports number list
fs.path.name string
fs.path.nameraw string
fs.path.source string
fs.path.sourceraw string
fs.path.target string
fs.path.targetraw string
container.id string
container.full_id string
container.name string
container.image string
container.image.id string
container.type string
container.privileged bool
container.mounts string
container.mount string arg=required
container.mount.source string arg=required
container.mount.dest string arg=required
container.mount.mode string arg=required
container.mount.rdwr string arg=required
container.mount.propagation string arg=required
container.image.repository string
container.image.tag string
container.image.digest string
container.healthcheck string
container.liveness_probe string
container.readiness_probe string
container.start_ts number
container.duration number
container.ip ip
container.cni.json string
container.host_pid bool
container.host_network bool
container.host_ipc bool
container.label string arg=dotted
container.labels string
container.info string
k8s.pod.name string
k8s.pod.id string
k8s.pod.uid string
k8s.pod.sandbox_id string
k8s.pod.full_sandbox_id string
k8s.pod.label string arg=dotted
k8s.pod.labels string
k8s.pod.ip ip
k8s.pod.cni.json string
k8s.rc.name string
k8s.rc.id string
k8s.rc.label string arg=dotted
k8s.rc.labels string
k8s.svc.name string
k8s.svc.id string
k8s.svc.label string arg=dotted
k8s.svc.labels string
k8s.ns.name string
k8s.ns.id string
k8s.ns.label string arg=dotted
k8s.ns.labels string
k8s.rs.name string
k8s.rs.id string
k8s.rs.label string arg=dotted
k8s.rs.labels string
k8s.deployment.name string
k8s.deployment.id string
k8s.deployment.label string arg=dotted
k8s.deployment.labels string
";

/// The syscall source's field table, built once.
pub fn syscall_table() -> &'static FieldTable {
    static TABLE: OnceLock<FieldTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        FieldTable::new("syscall", &parse_table_text(SYSCALL_FIELDS))
            .with_event_type_field("evt.type")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_syscall_fields_with_arguments() {
        let t = syscall_table();
        assert!(t.resolve("proc.aname", Some("2")).is_ok());
        assert!(t.resolve("evt.arg.flags", None).is_ok());
        assert!(t.resolve("container.mount.dest", None).is_err());
        assert_eq!(t.event_type_field(), Some("evt.type"));
    }
}
