// SPDX-License-Identifier: GPL-2.0
// vigie's syscall sensor, kernel side.
//
// Every event leaves the kernel already in libscap's event encoding (the
// `ppm_evt_hdr` header, one u16 length per parameter, then the parameters), so
// user space decodes live events and `.scap` captures with one decoder. Event
// codes, parameter order and parameter types follow falcosecurity/libs
// (driver/ppm_events_public.h, driver/event_table.c); the code is our own.
//
// Hooks: tp_btf sys_exit (one exit-time event per syscall, carrying the
// arguments) and sched_process_exec/fork/exit for the process lifecycle. Only
// syscalls whose bit is set in `syscall_on` (filled by user space from the
// loaded rules and what the state tables need) are copied out.

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

// ---- libscap facts: event codes (ppm_events_public.h) ----
#define PPME_SYSCALL_OPEN_X 3
#define PPME_SYSCALL_CLOSE_X 5
#define PPME_SYSCALL_READ_X 7
#define PPME_SYSCALL_WRITE_X 9
#define PPME_SOCKET_SOCKET_X 19
#define PPME_SOCKET_CONNECT_X 23
#define PPME_SYSCALL_OPENAT_2_X 307
#define PPME_SYSCALL_FCHMODAT_X 313
#define PPME_SYSCALL_CHMOD_X 315
#define PPME_SYSCALL_FCHMOD_X 317
#define PPME_SYSCALL_OPENAT2_X 327
#define PPME_SYSCALL_EXECVEAT_X 331
#define PPME_SYSCALL_CLONE3_X 335
#define PPME_SYSCALL_MEMFD_CREATE_X 405
#define PPME_SYSCALL_CLONE_20_X 223
#define PPME_SYSCALL_FORK_20_X 225
#define PPME_SYSCALL_VFORK_20_X 227
#define PPME_SYSCALL_EXECVE_19_X 293
#define PPME_PROCEXIT_1_E 186
#define PPME_SOCKET_BIND_X 21
#define PPME_SOCKET_LISTEN_X 25
#define PPME_SOCKET_SENDTO_X 31
#define PPME_SOCKET_RECVFROM_X 35
#define PPME_SOCKET_SOCKETPAIR_X 43
#define PPME_SOCKET_SENDMSG_X 49
#define PPME_SYSCALL_CREAT_X 59
#define PPME_SYSCALL_PIPE_X 61
#define PPME_SYSCALL_CHDIR_X 95
#define PPME_SYSCALL_FCHDIR_X 97
#define PPME_SYSCALL_PTRACE_X 169
#define PPME_SYSCALL_RENAME_X 175
#define PPME_SYSCALL_RENAMEAT_X 177
#define PPME_SYSCALL_SYMLINK_X 179
#define PPME_SYSCALL_SYMLINKAT_X 181
#define PPME_SYSCALL_SETRESUID_X 193
#define PPME_SYSCALL_SETRESGID_X 195
#define PPME_SYSCALL_SETUID_X 199
#define PPME_SYSCALL_SETGID_X 201
#define PPME_SYSCALL_SETNS_X 241
#define PPME_SOCKET_ACCEPT_5_X 247
#define PPME_SYSCALL_MOUNT_X 257
#define PPME_SYSCALL_SETSID_X 275
#define PPME_SYSCALL_MKDIR_2_X 277
#define PPME_SYSCALL_RMDIR_2_X 279
#define PPME_SYSCALL_UNSHARE_X 285
#define PPME_SYSCALL_UNLINK_2_X 301
#define PPME_SYSCALL_UNLINKAT_2_X 303
#define PPME_SYSCALL_MKDIRAT_X 305
#define PPME_SYSCALL_LINK_2_X 309
#define PPME_SYSCALL_LINKAT_2_X 311
#define PPME_SYSCALL_RENAMEAT2_X 319
#define PPME_SYSCALL_USERFAULTFD_X 321
#define PPME_SYSCALL_IO_URING_SETUP_X 339
#define PPME_SYSCALL_DUP2_X 363
#define PPME_SYSCALL_DUP3_X 365
#define PPME_SYSCALL_DUP_1_X 367
#define PPME_SYSCALL_BPF_2_X 369
#define PPME_SOCKET_ACCEPT4_6_X 389
#define PPME_SYSCALL_UMOUNT2_X 391
#define PPME_SYSCALL_PIPE2_X 393
#define PPME_SYSCALL_PRCTL_X 401
#define PPME_SYSCALL_INIT_MODULE_X 411
#define PPME_SYSCALL_FINIT_MODULE_X 413
#define PPME_SYSCALL_SETREUID_X 427
#define PPME_SYSCALL_SETREGID_X 429

// ---- x86_64 syscall numbers this program encodes ----
#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_socket 41
#define NR_connect 42
#define NR_clone 56
#define NR_fork 57
#define NR_vfork 58
#define NR_execve 59
#define NR_chmod 90
#define NR_fchmod 91
#define NR_openat 257
#define NR_fchmodat 268
#define NR_memfd_create 319
#define NR_execveat 322
#define NR_clone3 435
#define NR_openat2 437
#define NR_fchmodat2 452
#define NR_pipe 22
#define NR_dup 32
#define NR_dup2 33
#define NR_accept 43
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_bind 49
#define NR_listen 50
#define NR_socketpair 53
#define NR_chdir 80
#define NR_fchdir 81
#define NR_rename 82
#define NR_mkdir 83
#define NR_rmdir 84
#define NR_creat 85
#define NR_link 86
#define NR_unlink 87
#define NR_symlink 88
#define NR_ptrace 101
#define NR_setuid 105
#define NR_setgid 106
#define NR_setsid 112
#define NR_setreuid 113
#define NR_setregid 114
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_prctl 157
#define NR_mount 165
#define NR_umount2 166
#define NR_init_module 175
#define NR_mkdirat 258
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_linkat 265
#define NR_symlinkat 266
#define NR_unshare 272
#define NR_accept4 288
#define NR_dup3 292
#define NR_pipe2 293
#define NR_setns 308
#define NR_finit_module 313
#define NR_renameat2 316
#define NR_bpf 321
#define NR_userfaultfd 323
#define NR_io_uring_setup 425

// i386's numbers of the clone family (clone3 is 435 on both), for the child's
// side of a 32-bit parent's fork.
#define NR_i386_fork 2
#define NR_i386_clone 120
#define NR_i386_vfork 190

#define MAX_SYSCALLS 512

// ---- sizes ----
#define HDR_LEN 26            // packed ppm_evt_hdr: ts u64, tid u64, len u32, type u16, nparams u32
// Writes go to `offset & HALF_MASK` and are at most STR_MAX long, so they stay
// inside the 2 * HALF scratch buffer without a branch per write; an event whose
// offset reaches HALF is discarded (counted as too_big) instead of sent.
#define HALF 16384
#define HALF_MASK (HALF - 1)
#define STR_MAX 4096          // one path or string parameter
#define ARGS_MAX 4096         // the argument vector of execve
#define SNAPLEN 80            // bytes of read/write data copied, as Falco's default snaplen
#define PATH_DEPTH 32         // components walked when rebuilding a path from dentries
#define CGROUP_DEPTH 16       // components walked when rebuilding a cgroup path

// Masks `v` where clang cannot see it, so the verifier gets the bound even when
// the compiler knows the value is already smaller and would drop a plain `&`.
#define VERIFIER_MASK(v, m) asm volatile("%[x] &= " #m : [x] "+r"(v))

struct scratch {
	u8 buf[2 * HALF];
};

struct counters {
	u64 sent;     // events written to the ring
	u64 dropped;  // events lost because the ring was full
	u64 too_big;  // events cut because a parameter did not fit
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);  // resized by user space before load
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct counters);
} counters SEC(".maps");

// One byte per native syscall number: 1 = copy its exit event out. A global
// array (in .bss, written by user space through the skeleton) rather than a map:
// the test every syscall pays is then one load, not a helper call.
u8 syscall_on[MAX_SYSCALLS] = {};

// Set by user space before load.
const volatile u32 self_tgid = 0;      // the sensor itself is not watched
const volatile u64 boot_epoch_ns = 0;  // realtime - boottime, so timestamps are epoch ns

// ---- the event being built ----
struct ev {
	u8 *buf;
	u32 off;      // where the next parameter's bytes go
	u32 nparams;  // parameters the header announces
	u32 n;        // parameters written so far
};

static __always_inline struct counters *counters_get(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline int ev_begin(struct ev *e, u16 type, u32 nparams, u32 tid)
{
	u32 zero = 0;
	e->buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!e->buf)
		return -1;
	u64 ts = bpf_ktime_get_boot_ns() + boot_epoch_ns;
	u64 tid64 = tid;
	__builtin_memcpy(&e->buf[0], &ts, 8);
	__builtin_memcpy(&e->buf[8], &tid64, 8);
	__builtin_memcpy(&e->buf[20], &type, 2);
	__builtin_memcpy(&e->buf[22], &nparams, 4);
	e->nparams = nparams;
	e->n = 0;
	e->off = HDR_LEN + 2 * nparams;
	return 0;
}

// Records the length of the parameter just written and moves past it.
static __always_inline void ev_len(struct ev *e, u32 len)
{
	u32 at = HDR_LEN + 2 * e->n;
	u16 l = len;
	__builtin_memcpy(&e->buf[at & HALF_MASK], &l, 2);
	e->n++;
	// An event that reached HALF is discarded at submit; keeping the offset
	// there stops it from growing. The mask is then a no-op at run time, but
	// it makes the verifier forget the exact offset, so its states for
	// different parameter lengths merge instead of multiplying.
	u64 off = e->off + len;
	if (off > HALF)
		off = HALF;
	VERIFIER_MASK(off, 0x7fff);
	e->off = off;
}

static __always_inline void put_u8(struct ev *e, u8 v)
{
	e->buf[e->off & HALF_MASK] = v;
	ev_len(e, 1);
}

static __always_inline void put_u16(struct ev *e, u16 v)
{
	__builtin_memcpy(&e->buf[e->off & HALF_MASK], &v, 2);
	ev_len(e, 2);
}

static __always_inline void put_u32(struct ev *e, u32 v)
{
	__builtin_memcpy(&e->buf[e->off & HALF_MASK], &v, 4);
	ev_len(e, 4);
}

static __always_inline void put_u64(struct ev *e, u64 v)
{
	__builtin_memcpy(&e->buf[e->off & HALF_MASK], &v, 8);
	ev_len(e, 8);
}

static __always_inline void put_empty(struct ev *e)
{
	ev_len(e, 0);
}

// A NUL-terminated string from user memory (PT_FSPATH, PT_CHARBUF).
static __always_inline void put_user_str(struct ev *e, const void *p)
{
	long n = 0;
	if (p)
		n = bpf_probe_read_user_str(&e->buf[e->off & HALF_MASK], STR_MAX, p);
	if (n <= 0) {
		put_empty(e);
		return;
	}
	ev_len(e, n);
}

// A NUL-terminated string from kernel memory.
static __always_inline void put_kernel_str(struct ev *e, const void *p)
{
	long n = 0;
	if (p)
		n = bpf_probe_read_kernel_str(&e->buf[e->off & HALF_MASK], STR_MAX, p);
	if (n <= 0) {
		put_empty(e);
		return;
	}
	ev_len(e, n);
}

// Raw bytes from user memory (PT_BYTEBUF), at most `max`.
static __always_inline void put_user_bytes(struct ev *e, const void *p, u32 len, u32 max)
{
	if (len > max)
		len = max;
	if (!p || len == 0) {
		put_empty(e);
		return;
	}
	u64 n = len;
	VERIFIER_MASK(n, 0x1fff);  // a no-op after the cap above, but one the verifier follows
	if (n > STR_MAX)
		n = STR_MAX;
	len = n;
	if (bpf_probe_read_user(&e->buf[e->off & HALF_MASK], len, p)) {
		put_empty(e);
		return;
	}
	ev_len(e, len);
}

// Writes a string piece without closing the parameter; returns bytes written
// (without the NUL) so pieces can be joined.
static __always_inline u32 piece_kernel(struct ev *e, u32 at, const void *p)
{
	long n = bpf_probe_read_kernel_str(&e->buf[at & HALF_MASK], 256, p);
	if (n <= 1)
		return 0;
	return n - 1;
}

static __always_inline void piece_char(struct ev *e, u32 at, char c)
{
	e->buf[at & HALF_MASK] = c;
}

// Sends the finished event; counts it, or counts the drop.
static __always_inline void ev_submit(struct ev *e)
{
	struct counters *c = counters_get();
	u32 len = e->off;
	if (len >= HALF || len < HDR_LEN) {
		// A parameter ran past the buffer: the event cannot be trusted.
		if (c)
			c->too_big++;
		return;
	}
	__builtin_memcpy(&e->buf[16], &len, 4);
	u64 size = len;
	VERIFIER_MASK(size, 0x7fff);
	if (bpf_ringbuf_output(&events, e->buf, size, BPF_RB_NO_WAKEUP)) {
		if (c)
			c->dropped++;
		return;
	}
	if (c)
		c->sent++;
}

// ---- conversions to libscap's flag values ----
static __always_inline u32 open_flags_to_scap(u32 f)
{
	u32 r = 0;
	switch (f & 3) {
	case 0: r |= 1; break;     // PPM_O_RDONLY
	case 1: r |= 2; break;     // PPM_O_WRONLY
	case 2: r |= 3; break;     // PPM_O_RDWR
	}
	if (f & 0100) r |= 1 << 2;        // O_CREAT
	if (f & 02000) r |= 1 << 3;       // O_APPEND
	if (f & 010000) r |= 1 << 4;      // O_DSYNC
	if (f & 0200) r |= 1 << 5;        // O_EXCL
	if (f & 04000) r |= 1 << 6;       // O_NONBLOCK
	if (f & 04000000) r |= 1 << 7;    // O_SYNC (__O_SYNC)
	if (f & 01000) r |= 1 << 8;       // O_TRUNC
	if (f & 040000) r |= 1 << 9;      // O_DIRECT
	if (f & 0200000) r |= 1 << 10;    // O_DIRECTORY
	if (f & 0100000) r |= 1 << 11;    // O_LARGEFILE
	if (f & 02000000) r |= 1 << 12;   // O_CLOEXEC
	if (f & 020000000) r |= 1 << 13;  // O_TMPFILE
	return r;
}

static __always_inline u32 mode_to_scap(u32 m)
{
	// The permission bits have the same layout; setuid/setgid/sticky move.
	u32 r = m & 0777;
	if (m & 01000) r |= 1 << 9;   // S_ISVTX
	if (m & 02000) r |= 1 << 10;  // S_ISGID
	if (m & 04000) r |= 1 << 11;  // S_ISUID
	return r;
}

static __always_inline u32 clone_flags_to_scap(u64 f)
{
	u32 r = 0;
	if (f & 0x400) r |= 1 << 0;        // CLONE_FILES
	if (f & 0x200) r |= 1 << 1;        // CLONE_FS
	if (f & 0x80000000) r |= 1 << 2;   // CLONE_IO
	if (f & 0x08000000) r |= 1 << 3;   // CLONE_NEWIPC
	if (f & 0x40000000) r |= 1 << 4;   // CLONE_NEWNET
	if (f & 0x00020000) r |= 1 << 5;   // CLONE_NEWNS
	if (f & 0x20000000) r |= 1 << 6;   // CLONE_NEWPID
	if (f & 0x04000000) r |= 1 << 7;   // CLONE_NEWUTS
	if (f & 0x00008000) r |= 1 << 8;   // CLONE_PARENT
	if (f & 0x00100000) r |= 1 << 9;   // CLONE_PARENT_SETTID
	if (f & 0x00002000) r |= 1 << 10;  // CLONE_PTRACE
	if (f & 0x00000800) r |= 1 << 11;  // CLONE_SIGHAND
	if (f & 0x00040000) r |= 1 << 12;  // CLONE_SYSVSEM
	if (f & 0x00010000) r |= 1 << 13;  // CLONE_THREAD
	if (f & 0x00800000) r |= 1 << 14;  // CLONE_UNTRACED
	if (f & 0x00000100) r |= 1 << 15;  // CLONE_VM
	if (f & 0x10000000) r |= 1 << 20;  // CLONE_NEWUSER
	if (f & 0x00200000) r |= 1 << 23;  // CLONE_CHILD_CLEARTID
	if (f & 0x01000000) r |= 1 << 24;  // CLONE_CHILD_SETTID
	if (f & 0x00080000) r |= 1 << 25;  // CLONE_SETTLS
	if (f & 0x00004000) r |= 1 << 27;  // CLONE_VFORK
	if (f & 0x02000000) r |= 1 << 28;  // CLONE_NEWCGROUP
	return r;
}

static __always_inline u8 family_to_scap(u16 f)
{
	// AF_UNIX, AF_INET and AF_INET6 have the same numbers in libscap.
	return (u8)f;
}

// ---- reading process state ----
static __always_inline u32 task_tid(struct task_struct *t) { return BPF_CORE_READ(t, pid); }
static __always_inline u32 task_tgid(struct task_struct *t) { return BPF_CORE_READ(t, tgid); }
static __always_inline u32 task_ptgid(struct task_struct *t) { return BPF_CORE_READ(t, real_parent, tgid); }

// The pid as seen from the task's own pid namespace.
static __always_inline u32 task_vnr(struct task_struct *t, bool group)
{
	struct pid *p = group ? BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]) : BPF_CORE_READ(t, thread_pid);
	if (!p)
		return 0;
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid up;
	if (bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 7]))
		return 0;
	return up.nr;
}

static __always_inline u32 task_pgid(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	if (!p)
		return 0;
	return BPF_CORE_READ(p, numbers[0].nr);
}

// Older kernels named kernfs_node's parent `parent` (renamed `__parent` in 6.15).
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	struct kernfs_node___old *old = (void *)kn;
	return BPF_CORE_READ(old, parent);
}

// Path rebuilding (cwd, exe path, cgroups). The components are gathered child
// first into a per-CPU `walk` buffer, then written root first. Both loops run
// with their loop-carried values in the map or masked, so the verifier's states
// merge across iterations instead of multiplying with the possible depths.
struct walk {
	const char *names[PATH_DEPTH];
	u32 depth;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct kernfs_node *kn;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct walk);
} walk SEC(".maps");

static __always_inline struct walk *walk_get(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&walk, &zero);
}

// One step up the dentry tree; returns 1 when done. Every loop-carried value
// lives in the map or is masked, so the verifier's states merge across steps.
static __always_inline long dentry_step(struct walk *w)
{
	// Local copies: CO-RE relocates kernel types, not fields of `struct walk`.
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct dentry *dentry = w->dentry;
	struct mount *mnt = w->mnt;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt)
			return 1;  // the root of the mount tree
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = &up->mnt;
		return 0;  // a mount crossing adds no component
	}
	if (dentry == parent) {
		// A dentry with no parent outside any mount root: a file of an
		// internal mount (memfd, anonymous shared memory). Its name alone
		// ("memfd:NAME") is what there is to say about it.
		if (w->depth == 0) {
			w->names[0] = (const char *)BPF_CORE_READ(dentry, d_name.name);
			w->depth = 1;
		}
		return 1;
	}
	u64 depth = w->depth;
	VERIFIER_MASK(depth, 0x3f);
	if (depth >= PATH_DEPTH)
		return 1;
	w->names[depth & (PATH_DEPTH - 1)] = (const char *)BPF_CORE_READ(dentry, d_name.name);
	w->depth = depth + 1;
	w->dentry = parent;
	return 0;
}

// One step up the kernfs tree (cgroups); returns 1 when done.
static __always_inline long kernfs_step(struct walk *w)
{
	if (!w->kn)
		return 1;
	struct kernfs_node *kn = w->kn;
	struct kernfs_node *parent = kn_parent(kn);
	if (!parent)
		return 1;  // the root's name is not part of the path
	u64 depth = w->depth;
	VERIFIER_MASK(depth, 0x3f);
	if (depth >= CGROUP_DEPTH)
		return 1;
	w->names[depth & (PATH_DEPTH - 1)] = BPF_CORE_READ(kn, name);
	w->depth = depth + 1;
	w->kn = parent;
	return 0;
}

static __always_inline void wr_char(u8 *buf, u32 at, char c)
{
	u64 o = at;
	VERIFIER_MASK(o, 0x3fff);  // HALF_MASK, where clang cannot fold it away
	buf[o] = c;
}

// Writes the gathered components as "/a/b/c" (or "/") at `at`, without the NUL;
// returns where the writing stopped. The offset is masked after each component
// so the verifier's states merge across iterations.
static __always_inline u32 join_names(u8 *buf, struct walk *w, u32 at)
{
	u32 depth = w->depth;
	if (depth == 0) {
		wr_char(buf, at, '/');
		return at + 1;
	}
	for (u32 i = 0; i < PATH_DEPTH; i++) {
		if (i >= depth)
			break;
		wr_char(buf, at, '/');
		u64 next = at + 1;
		long n = bpf_probe_read_kernel_str(&buf[next & HALF_MASK], 256,
						   w->names[(depth - 1 - i) & (PATH_DEPTH - 1)]);
		if (n > 1)
			next += n - 1;
		VERIFIER_MASK(next, 0x7fff);
		at = next;
	}
	return at;
}

// The path walks below are global functions: the verifier checks each once, on
// its own, instead of once per distinct state of every caller (as it does for
// static functions), which multiplied their loops past its 1M-instruction limit.
// They take scalars only and return the parameter's length (0: empty).

// A path rebuilt from a dentry up to the root, crossing mounts, written at `at`
// with its NUL.
__noinline int vigie_path_param(u32 at, u64 dentry, u64 vfsmnt)
{
	u32 zero = 0;
	u8 *buf = bpf_map_lookup_elem(&scratch, &zero);
	struct walk *w = walk_get();
	if (!buf || !w || !dentry || !vfsmnt || at >= HALF)
		return 0;
	w->depth = 0;
	w->dentry = (struct dentry *)dentry;
	w->vfsmnt = (struct vfsmount *)vfsmnt;
	w->mnt = container_of((struct vfsmount *)vfsmnt, struct mount, mnt);
	for (int i = 0; i < 2 * PATH_DEPTH; i++)
		if (dentry_step(w))
			break;
	u32 end = join_names(buf, w, at);
	wr_char(buf, end, 0);
	return end + 1 - at;
}

// The cgroups of a task as libscap lists them ("subsys=/path\0" entries), from
// the task's cgroup kernfs node `kn`. On cgroup v2 every controller shares the
// unified hierarchy's path, so one entry carries what container detection
// needs: the path in the default hierarchy, under the name "cpuset"
// (libscap's first controller).
__noinline int vigie_cgroup_param(u32 at, u64 kn)
{
	u32 zero = 0;
	u8 *buf = bpf_map_lookup_elem(&scratch, &zero);
	struct walk *w = walk_get();
	if (!buf || !w || at >= HALF)
		return 0;
	const char name[] = "cpuset=";
	for (int i = 0; i < 7; i++)
		wr_char(buf, at + i, name[i]);
	w->depth = 0;
	w->kn = (struct kernfs_node *)kn;
	for (int i = 0; i < CGROUP_DEPTH; i++)
		if (kernfs_step(w))
			break;
	u32 end = join_names(buf, w, at + 7);
	wr_char(buf, end, 0);
	return end + 1 - at;
}

static __always_inline void put_dentry_path(struct ev *e, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	ev_len(e, vigie_path_param(e->off, (u64)dentry, (u64)vfsmnt));
}

static __always_inline void put_cgroups(struct ev *e, struct task_struct *t)
{
	ev_len(e, vigie_cgroup_param(e->off, (u64)BPF_CORE_READ(t, cgroups, dfl_cgrp, kn)));
}

// exe (argv[0]) and args (argv[1..], NUL-separated) from the task's memory.
static __always_inline void put_exe_args(struct ev *e, struct task_struct *t)
{
	unsigned long start = BPF_CORE_READ(t, mm, arg_start);
	unsigned long end = BPF_CORE_READ(t, mm, arg_end);
	if (!start || end <= start) {
		put_empty(e);
		put_empty(e);
		return;
	}
	u32 total = end - start;
	if (total > ARGS_MAX)
		total = ARGS_MAX;
	u32 at = e->off;
	if (at >= HALF) {
		put_empty(e);
		put_empty(e);
		return;
	}
	// argv[0] first, as its own string.
	long n = bpf_probe_read_user_str(&e->buf[at & HALF_MASK], STR_MAX, (void *)start);
	if (n <= 0) {
		put_empty(e);
		put_empty(e);
		return;
	}
	ev_len(e, n);
	u32 rest = total > (u32)n ? total - (u32)n : 0;
	if (rest == 0) {
		put_empty(e);
		return;
	}
	put_user_bytes(e, (void *)(start + n), rest, ARGS_MAX);
}

// Kernels before 6.2 kept the memory counters in an mm_rss_stat of atomics.
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

// Resident pages (file, anonymous and shared memory) or swapped-out ones, as
// the kernel's own counters hold them (per-CPU counters: their last fold, an
// approximation as /proc's is).
static __always_inline u64 mm_pages(struct mm_struct *mm, bool swap)
{
	if (!mm)
		return 0;
	s64 file, anon, swp, shm;
	if (bpf_core_type_exists(struct mm_rss_stat___old)) {
		struct mm_struct___old *old = (void *)mm;
		file = BPF_CORE_READ(old, rss_stat.count[0].counter);
		anon = BPF_CORE_READ(old, rss_stat.count[1].counter);
		swp = BPF_CORE_READ(old, rss_stat.count[2].counter);
		shm = BPF_CORE_READ(old, rss_stat.count[3].counter);
	} else {
		file = BPF_CORE_READ(mm, rss_stat[0].count);
		anon = BPF_CORE_READ(mm, rss_stat[1].count);
		swp = BPF_CORE_READ(mm, rss_stat[2].count);
		shm = BPF_CORE_READ(mm, rss_stat[3].count);
	}
	s64 v = swap ? swp : file + anon + shm;
	return v > 0 ? (u64)v : 0;
}

// The controlling terminal as /proc/PID/stat's tty_nr encodes it (0: none).
static __always_inline u32 task_tty(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (!tty)
		return 0;
	u32 major = BPF_CORE_READ(tty, driver, major);
	u32 minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

// The environment (NUL-separated, at most ARGS_MAX bytes) from the task's memory.
static __always_inline void put_env(struct ev *e, struct task_struct *t)
{
	unsigned long start = BPF_CORE_READ(t, mm, env_start);
	unsigned long end = BPF_CORE_READ(t, mm, env_end);
	if (!start || end <= start) {
		put_empty(e);
		return;
	}
	put_user_bytes(e, (void *)start, end - start, ARGS_MAX);
}

// The fields clone and execve events share (exe ... cgroups, params 2-15).
static __always_inline void put_procinfo(struct ev *e, struct task_struct *t)
{
	put_exe_args(e, t);
	put_u64(e, task_tid(t));
	put_u64(e, task_tgid(t));
	put_u64(e, task_ptgid(t));
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	put_dentry_path(e, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt));
	put_u64(e, BPF_CORE_READ(t, signal, rlim[7].rlim_cur));  // RLIMIT_NOFILE
	put_u64(e, BPF_CORE_READ(t, maj_flt));
	put_u64(e, BPF_CORE_READ(t, min_flt));
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	u64 pages = mm ? BPF_CORE_READ(mm, total_vm) : 0;
	put_u32(e, pages << 2);  // KiB, pages of 4 KiB
	put_u32(e, mm_pages(mm, false) << 2);  // vm_rss
	put_u32(e, mm_pages(mm, true) << 2);   // vm_swap
	put_kernel_str(e, BPF_CORE_READ(t, comm));
	put_cgroups(e, t);
}

static __always_inline u32 task_uid(struct task_struct *t) { return BPF_CORE_READ(t, cred, euid.val); }
static __always_inline u32 task_gid(struct task_struct *t) { return BPF_CORE_READ(t, cred, egid.val); }

// clone/fork/vfork/clone3 exit event (21 params) for task `t` returning `res`.
// Returns 0: a subprogram must not leave a stack pointer in r0.
static __noinline int emit_clone(u16 type, struct task_struct *t, s64 res, u64 native_flags)
{
	struct ev e;
	if (ev_begin(&e, type, 21, task_tid(t)))
		return 0;
	put_u64(&e, res);
	put_procinfo(&e, t);
	u32 flags = clone_flags_to_scap(native_flags);
	if (task_tid(t) == task_tgid(t))
		flags |= 1 << 30;  // PPM_CL_IS_MAIN_THREAD
	put_u32(&e, flags);
	put_u32(&e, task_uid(t));
	put_u32(&e, task_gid(t));
	put_u64(&e, task_vnr(t, false));
	put_u64(&e, task_vnr(t, true));
	put_u64(&e, 0);  // pidns_init_start_ts
	ev_submit(&e);
	return 0;
}

// execve/execveat exit event (31 params for execve, 30 for execveat).
// Returns 0: a subprogram must not leave a stack pointer in r0.
static __noinline int emit_execve(bool at, struct task_struct *t, s64 res, const char *filename_user,
					const char *filename_kernel)
{
	struct ev e;
	if (ev_begin(&e, at ? PPME_SYSCALL_EXECVEAT_X : PPME_SYSCALL_EXECVE_19_X, at ? 30 : 31, task_tid(t)))
		return 0;
	put_u64(&e, res);
	put_procinfo(&e, t);
	put_env(&e, t);
	put_u32(&e, task_tty(t));
	put_u64(&e, task_pgid(t));  // vpgid
	put_u32(&e, BPF_CORE_READ(t, loginuid.val));
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	u32 flags = 0;
	struct inode *ino = exe ? BPF_CORE_READ(exe, f_inode) : 0;
	if (exe) {
		char name[8] = {};
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(exe, f_path.dentry, d_name.name));
		if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':')
			flags |= 1 << 2;  // PPM_EXE_FROM_MEMFD
	}
	put_u32(&e, flags);
	put_u64(&e, BPF_CORE_READ(t, cred, cap_inheritable.val));
	put_u64(&e, BPF_CORE_READ(t, cred, cap_permitted.val));
	put_u64(&e, BPF_CORE_READ(t, cred, cap_effective.val));
	put_u64(&e, ino ? BPF_CORE_READ(ino, i_ino) : 0);
	u64 ctime = 0, mtime = 0;
	if (ino) {
		ctime = BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_ctime_nsec);
		mtime = BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_mtime_nsec);
	}
	put_u64(&e, ctime);
	put_u64(&e, mtime);
	put_u32(&e, task_uid(t));
	if (exe)
		put_dentry_path(&e, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt));
	else
		put_empty(&e);
	put_u64(&e, task_pgid(t));
	put_u32(&e, task_gid(t));
	if (!at) {
		if (filename_kernel)
			put_kernel_str(&e, filename_kernel);
		else
			put_user_str(&e, filename_user);
	}
	ev_submit(&e);
	return 0;
}

static __always_inline bool watched(u32 nr)
{
	return nr < MAX_SYSCALLS && syscall_on[nr & (MAX_SYSCALLS - 1)];
}

static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

// Whether the current syscall is a 32-bit one (an ia32 process, or `int 0x80`
// from a 64-bit one): x86's TS_COMPAT in thread_info.status, set at the 32-bit
// entry and cleared on the way back to user mode, so still set at sys_exit.
// Such a syscall has i386's numbers (3 is read there, close here) and argument
// registers (bx, cx, dx...), so decoding it as a native one would misreport it.
#define TS_COMPAT 0x0002
static __always_inline bool in_compat_syscall(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	return BPF_CORE_READ(t, thread_info.status) & TS_COMPAT;
}

static __always_inline u32 current_tid(void)
{
	return (u32)bpf_get_current_pid_tgid();
}

// Every sys_exit event starts alike: the header, then the return value, which
// is the first parameter of every exit event libscap defines.
static __always_inline int exit_begin(struct ev *e, u16 type, u32 nparams, s64 ret)
{
	if (ev_begin(e, type, nparams, current_tid()))
		return -1;
	put_u64(e, ret);
	return 0;
}

// The struct file of fd in the current task, or NULL.
static __always_inline struct file *fd_file(s64 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if (fd < 0 || fd >= max)
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

// dev and ino of an opened file, and whether the open created it.
static __always_inline void put_dev_ino(struct ev *e, s64 fd, u32 *scap_flags)
{
	struct file *f = fd_file(fd);
	if (!f) {
		put_u32(e, 0);
		put_u64(e, 0);
		return;
	}
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	u32 dev = BPF_CORE_READ(ino, i_sb, s_dev);
	u32 major = dev >> 20, minor = dev & 0xfffff;
	put_u32(e, (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12));
	put_u64(e, BPF_CORE_READ(ino, i_ino));
	if (BPF_CORE_READ(f, f_mode) & 0x100000)  // FMODE_CREATED
		*scap_flags |= 1 << 14;  // PPM_O_F_CREATED
}

static __always_inline void emit_open(u32 nr, struct pt_regs *regs, s64 ret)
{
	struct ev e;
	u32 flags, mode;
	const char *name;
	s64 dirfd = -100;  // AT_FDCWD
	u64 resolve = 0;
	u16 type;
	u32 nparams;
	if (nr == NR_open) {
		type = PPME_SYSCALL_OPEN_X; nparams = 6;
		name = (const char *)BPF_CORE_READ(regs, di);
		flags = BPF_CORE_READ(regs, si);
		mode = BPF_CORE_READ(regs, dx);
	} else if (nr == NR_openat) {
		type = PPME_SYSCALL_OPENAT_2_X; nparams = 7;
		dirfd = (int)BPF_CORE_READ(regs, di);
		name = (const char *)BPF_CORE_READ(regs, si);
		flags = BPF_CORE_READ(regs, dx);
		mode = BPF_CORE_READ(regs, r10);
	} else {
		type = PPME_SYSCALL_OPENAT2_X; nparams = 8;
		dirfd = (int)BPF_CORE_READ(regs, di);
		name = (const char *)BPF_CORE_READ(regs, si);
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), (void *)BPF_CORE_READ(regs, dx));
		flags = how.flags;
		mode = how.mode;
		resolve = how.resolve;
	}
	if (exit_begin(&e, type, nparams, ret))
		return;
	u32 sflags = open_flags_to_scap(flags);
	if (nr != NR_open)
		put_u64(&e, dirfd);
	put_user_str(&e, name);
	// flags is written after dev/ino are known (O_F_CREATED): remember where.
	u32 flags_at = e.off;
	put_u32(&e, sflags);
	put_u32(&e, (flags & (0100 | 020000000)) ? mode : 0);
	if (nr == NR_openat2)
		put_u32(&e, resolve);
	if (ret >= 0) {
		put_dev_ino(&e, ret, &sflags);
		if (flags_at < HALF)
			__builtin_memcpy(&e.buf[flags_at & HALF_MASK], &sflags, 4);
	} else {
		put_u32(&e, 0);
		put_u64(&e, 0);
	}
	ev_submit(&e);
}

static __always_inline void put_sockaddr(struct ev *e, void *uaddr, u32 addrlen)
{
	struct {
		u16 ss_family;
		u8 data[126];
	} sa = {};
	if (!uaddr || addrlen < 2) {
		put_empty(e);
		return;
	}
	if (addrlen > sizeof(sa))
		addrlen = sizeof(sa);
	if (bpf_probe_read_user(&sa, addrlen & 127, uaddr)) {
		put_empty(e);
		return;
	}
	u32 at = e->off;
	if (at >= HALF) {
		put_empty(e);
		return;
	}
	u8 *p = &e->buf[at & HALF_MASK];
	if (sa.ss_family == 2) {  // AF_INET
		struct sockaddr_in *in = (void *)&sa;
		p[0] = family_to_scap(2);
		__builtin_memcpy(p + 1, &in->sin_addr.s_addr, 4);
		u16 port = bpf_ntohs(in->sin_port);
		__builtin_memcpy(p + 5, &port, 2);
		ev_len(e, 7);
	} else if (sa.ss_family == 10) {  // AF_INET6
		struct sockaddr_in6 *in6 = (void *)&sa;
		p[0] = family_to_scap(10);
		__builtin_memcpy(p + 1, &in6->sin6_addr, 16);
		u16 port = bpf_ntohs(in6->sin6_port);
		__builtin_memcpy(p + 17, &port, 2);
		ev_len(e, 19);
	} else if (sa.ss_family == 1) {  // AF_UNIX
		p[0] = family_to_scap(1);
		long n = bpf_probe_read_kernel_str(p + 1, 108, ((struct sockaddr_un *)&sa)->sun_path);
		ev_len(e, 1 + (n > 0 ? n : 0));
	} else {
		put_empty(e);
	}
}

// The connection's tuple as the kernel holds it: source then destination. An
// outbound socket (connect, send) is local -> peer; an inbound one (accept,
// recvfrom) is peer -> local, as libscap orders them.
static __always_inline void put_socktuple(struct ev *e, s64 fd, void *uaddr, bool inbound)
{
	struct file *f = fd_file(fd);
	struct socket *sock = f ? BPF_CORE_READ(f, private_data) : 0;
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : 0;
	u32 at = e->off;
	if (!sk || at >= HALF) {
		put_empty(e);
		return;
	}
	u8 *p = &e->buf[at & HALF_MASK];
	u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	struct inet_sock *inet = (void *)sk;
	if (fam == 2) {
		u32 lip = BPF_CORE_READ(inet, inet_saddr);
		u16 lport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
		u32 rip = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (rport == 0 && uaddr) {
			// Not connected (UDP or a failed connect): the address given.
			struct sockaddr_in in = {};
			bpf_probe_read_user(&in, sizeof(in), uaddr);
			rip = in.sin_addr.s_addr;
			rport = bpf_ntohs(in.sin_port);
		}
		p[0] = 2;
		__builtin_memcpy(p + 1, inbound ? &rip : &lip, 4);
		__builtin_memcpy(p + 5, inbound ? &rport : &lport, 2);
		__builtin_memcpy(p + 7, inbound ? &lip : &rip, 4);
		__builtin_memcpy(p + 11, inbound ? &lport : &rport, 2);
		ev_len(e, 13);
	} else if (fam == 10) {
		struct in6_addr lip = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr rip = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		u16 lport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
		u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		p[0] = 10;
		__builtin_memcpy(p + 1, inbound ? &rip : &lip, 16);
		__builtin_memcpy(p + 17, inbound ? &rport : &lport, 2);
		__builtin_memcpy(p + 19, inbound ? &lip : &rip, 16);
		__builtin_memcpy(p + 35, inbound ? &lport : &rport, 2);
		ev_len(e, 37);
	} else if (fam == 1) {
		u64 self = (u64)sk;
		u64 peer = (u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
		p[0] = 1;
		__builtin_memcpy(p + 1, inbound ? &peer : &self, 8);
		__builtin_memcpy(p + 9, inbound ? &self : &peer, 8);
		long n = 0;
		if (uaddr)
			n = bpf_probe_read_user_str(p + 17, 108, uaddr + 2);
		if (n <= 0) {
			p[17] = 0;
			n = 1;
		}
		ev_len(e, 17 + n);
	} else {
		put_empty(e);
	}
}

// ---- the syscalls encoded by the global functions below ----
// Each family is a global function: the verifier checks it once on its own, so
// adding syscalls does not multiply the states of the sys_exit program, and the
// program every syscall runs stays small. They read the arguments from the
// task's saved registers and take scalars only.

static __always_inline struct pt_regs *cur_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

// A descriptor argument: an int, sign-extended as libscap's fd type is 64-bit.
static __always_inline void put_fd(struct ev *e, u64 v)
{
	put_u64(e, (s64)(int)v);
}

// PT_DYN with the plain-integer variant (index 0 of ptrace's dynamic types).
static __always_inline void put_dyn_u64(struct ev *e, u64 v)
{
	u32 at = e->off;
	e->buf[at & HALF_MASK] = 0;
	__builtin_memcpy(&e->buf[(at + 1) & HALF_MASK], &v, 8);
	ev_len(e, 9);
}

static __always_inline u16 ptrace_request_to_scap(u64 r)
{
	switch (r) {
	case 0: return 1;        // PTRACE_TRACEME
	case 1: return 2;        // PEEKTEXT
	case 2: return 3;        // PEEKDATA
	case 3: return 4;        // PEEKUSR
	case 4: return 5;        // POKETEXT
	case 5: return 6;        // POKEDATA
	case 6: return 7;        // POKEUSR
	case 7: return 8;        // CONT
	case 8: return 9;        // KILL
	case 9: return 10;       // SINGLESTEP
	case 16: return 11;      // ATTACH
	case 17: return 12;      // DETACH
	case 24: return 13;      // SYSCALL
	case 0x4200: return 14;  // SETOPTIONS
	case 0x4201: return 15;  // GETEVENTMSG
	case 0x4202: return 16;  // GETSIGINFO
	case 0x4203: return 17;  // SETSIGINFO
	case 0x4204: return 18;  // GETREGSET
	case 0x4205: return 19;  // SETREGSET
	case 0x4206: return 20;  // SEIZE
	case 0x4207: return 21;  // INTERRUPT
	case 0x4208: return 22;  // LISTEN
	case 0x4209: return 23;  // PEEKSIGINFO
	case 0x420a: return 24;  // GETSIGMASK
	case 0x420b: return 25;  // SETSIGMASK
	case 12: return 26;      // GETREGS
	case 13: return 27;      // SETREGS
	case 14: return 28;      // GETFPREGS
	case 15: return 29;      // SETFPREGS
	case 18: return 30;      // GETFPXREGS
	case 19: return 31;      // SETFPXREGS
	case 21: return 32;      // OLDSETOPTIONS
	case 25: return 33;      // GET_THREAD_AREA
	case 26: return 34;      // SET_THREAD_AREA
	case 30: return 35;      // ARCH_PRCTL
	case 31: return 36;      // SYSEMU
	case 32: return 37;      // SYSEMU_SINGLESTEP
	case 33: return 38;      // SINGLEBLOCK
	}
	return 0;  // PTRACE_UNKNOWN
}

// O_CLOEXEC, O_NONBLOCK and O_DIRECT, the flags pipe2, dup3 and userfaultfd take.
static __always_inline u32 fd_flags_to_scap(u32 f)
{
	u32 r = 0;
	if (f & 02000000) r |= 1 << 12;  // O_CLOEXEC
	if (f & 04000) r |= 1 << 6;      // O_NONBLOCK
	if (f & 040000) r |= 1 << 9;     // O_DIRECT
	return r;
}

// The exit event of each syscall the three families below send, and its
// number of parameters: one row a syscall, in place of a switch in each family
// (a read of a frozen array, checked by the verifier like syscall_on).
struct exit_event {
	u16 type;
	u16 nparams;
};

static const struct exit_event family_events[MAX_SYSCALLS] = {
	[NR_creat]          = {PPME_SYSCALL_CREAT_X,          6},
	[NR_unlink]         = {PPME_SYSCALL_UNLINK_2_X,       2},
	[NR_unlinkat]       = {PPME_SYSCALL_UNLINKAT_2_X,     4},
	[NR_rmdir]          = {PPME_SYSCALL_RMDIR_2_X,        2},
	[NR_mkdir]          = {PPME_SYSCALL_MKDIR_2_X,        3},
	[NR_mkdirat]        = {PPME_SYSCALL_MKDIRAT_X,        4},
	[NR_rename]         = {PPME_SYSCALL_RENAME_X,         3},
	[NR_renameat]       = {PPME_SYSCALL_RENAMEAT_X,       5},
	[NR_renameat2]      = {PPME_SYSCALL_RENAMEAT2_X,      6},
	[NR_link]           = {PPME_SYSCALL_LINK_2_X,         3},
	[NR_linkat]         = {PPME_SYSCALL_LINKAT_2_X,       6},
	[NR_symlink]        = {PPME_SYSCALL_SYMLINK_X,        3},
	[NR_symlinkat]      = {PPME_SYSCALL_SYMLINKAT_X,      4},
	[NR_chdir]          = {PPME_SYSCALL_CHDIR_X,          2},
	[NR_fchdir]         = {PPME_SYSCALL_FCHDIR_X,         2},
	[NR_mount]          = {PPME_SYSCALL_MOUNT_X,          5},
	[NR_umount2]        = {PPME_SYSCALL_UMOUNT2_X,        3},
	[NR_dup]            = {PPME_SYSCALL_DUP_1_X,          2},
	[NR_dup2]           = {PPME_SYSCALL_DUP2_X,           3},
	[NR_dup3]           = {PPME_SYSCALL_DUP3_X,           4},
	[NR_pipe]           = {PPME_SYSCALL_PIPE_X,           4},
	[NR_pipe2]          = {PPME_SYSCALL_PIPE2_X,          5},
	[NR_socketpair]     = {PPME_SOCKET_SOCKETPAIR_X,      8},
	[NR_accept]         = {PPME_SOCKET_ACCEPT_5_X,        5},
	[NR_accept4]        = {PPME_SOCKET_ACCEPT4_6_X,       6},
	[NR_bind]           = {PPME_SOCKET_BIND_X,            3},
	[NR_listen]         = {PPME_SOCKET_LISTEN_X,          3},
	[NR_sendto]         = {PPME_SOCKET_SENDTO_X,          5},
	[NR_sendmsg]        = {PPME_SOCKET_SENDMSG_X,         5},
	[NR_recvfrom]       = {PPME_SOCKET_RECVFROM_X,        5},
	[NR_userfaultfd]    = {PPME_SYSCALL_USERFAULTFD_X,    2},
	[NR_bpf]            = {PPME_SYSCALL_BPF_2_X,          2},
	[NR_io_uring_setup] = {PPME_SYSCALL_IO_URING_SETUP_X, 8},
	[NR_ptrace]         = {PPME_SYSCALL_PTRACE_X,         5},
	[NR_setns]          = {PPME_SYSCALL_SETNS_X,          3},
	[NR_unshare]        = {PPME_SYSCALL_UNSHARE_X,        2},
	[NR_init_module]    = {PPME_SYSCALL_INIT_MODULE_X,    4},
	[NR_finit_module]   = {PPME_SYSCALL_FINIT_MODULE_X,   4},
	[NR_setuid]         = {PPME_SYSCALL_SETUID_X,         2},
	[NR_setgid]         = {PPME_SYSCALL_SETGID_X,         2},
	[NR_setreuid]       = {PPME_SYSCALL_SETREUID_X,       3},
	[NR_setregid]       = {PPME_SYSCALL_SETREGID_X,       3},
	[NR_setresuid]      = {PPME_SYSCALL_SETRESUID_X,      4},
	[NR_setresgid]      = {PPME_SYSCALL_SETRESGID_X,      4},
	[NR_setsid]         = {PPME_SYSCALL_SETSID_X,         1},
	[NR_prctl]          = {PPME_SYSCALL_PRCTL_X,          4},
};

// Starts the exit event of nr, a syscall of one of the families; non-zero when
// nr has no row or no event could be started.
static __always_inline int family_begin(struct ev *e, u32 nr, s64 ret)
{
	if (nr >= MAX_SYSCALLS)
		return -1;
	// MAX_SYSCALLS - 1, in asm: after the test above clang drops a plain mask,
	// and the verifier then finds the index unbounded.
	u64 i = nr;
	_Static_assert(MAX_SYSCALLS == 0x200, "family_begin masks with 0x1ff");
	VERIFIER_MASK(i, 0x1ff);
	const struct exit_event *x = &family_events[i];
	if (!x->type)
		return -1;
	return exit_begin(e, x->type, x->nparams, ret);
}

// A family's global function: starts the exit event from its row in
// family_events, writes the parameters with put_params from the first five
// arguments, and sends it.
#define FAMILY(name, put_params)							\
	__noinline int name(u32 nr, s64 ret)						\
	{										\
		struct pt_regs *r = cur_regs();						\
		struct ev e;								\
		if (!r || family_begin(&e, nr, ret))					\
			return 0;							\
		put_params(&e, nr, ret, r->di, r->si, r->dx, r->r10, r->r8);		\
		ev_submit(&e);								\
		return 0;								\
	}

// Paths, links, directories, mounts and the working directory.
static __always_inline void put_file_params(struct ev *e, u32 nr, s64 ret, u64 a0, u64 a1,
						u64 a2, u64 a3, u64 a4)
{
	switch (nr) {
	case NR_creat: {
		u32 unused = 0;
		put_user_str(e, (void *)a0);
		put_u32(e, mode_to_scap(a1));
		if (ret >= 0) {
			put_dev_ino(e, ret, &unused);
		} else {
			put_u32(e, 0);
			put_u64(e, 0);
		}
		put_u16(e, 0);  // creat_flags: overlay layers not read
		break;
	}
	case NR_unlink:
	case NR_rmdir:
	case NR_chdir:
		put_user_str(e, (void *)a0);
		break;
	case NR_fchdir:
		put_fd(e, a0);
		break;
	case NR_unlinkat:
		put_fd(e, a0);
		put_user_str(e, (void *)a1);
		put_u32(e, a2 & 0x200);  // AT_REMOVEDIR, the same value in libscap
		break;
	case NR_mkdir:
		put_user_str(e, (void *)a0);
		put_u32(e, a1);
		break;
	case NR_mkdirat:
		put_fd(e, a0);
		put_user_str(e, (void *)a1);
		put_u32(e, a2);
		break;
	case NR_rename:
	case NR_link:
	case NR_symlink:
		put_user_str(e, (void *)a0);
		put_user_str(e, (void *)a1);
		break;
	case NR_renameat:
	case NR_renameat2:
	case NR_linkat:
		put_fd(e, a0);
		put_user_str(e, (void *)a1);
		put_fd(e, a2);
		put_user_str(e, (void *)a3);
		if (nr == NR_renameat2)
			put_u32(e, a4 & 7);        // RENAME_* have libscap's values
		else if (nr == NR_linkat)
			put_u32(e, a4 & 0x1400);   // AT_SYMLINK_FOLLOW, AT_EMPTY_PATH: same
		break;
	case NR_symlinkat:
		put_user_str(e, (void *)a0);
		put_fd(e, a1);
		put_user_str(e, (void *)a2);
		break;
	case NR_mount: {
		u32 flags = a3;
		// The old magic number some callers still put in the high half.
		if ((flags & 0xffff0000) == 0xc0ed0000)
			flags &= 0xffff;
		put_user_str(e, (void *)a0);
		put_user_str(e, (void *)a1);
		put_user_str(e, (void *)a2);
		put_u32(e, flags);  // MS_* have libscap's values
		break;
	}
	case NR_umount2:
		put_user_str(e, (void *)a0);
		put_u32(e, a1 & 0xf);  // MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW
		break;
	}
}
FAMILY(vigie_emit_file, put_file_params)

// Descriptors made or used: dup*, pipe*, sockets (accept, bind, listen,
// socketpair, send, receive), userfaultfd, bpf and io_uring.
static __always_inline void put_fd_params(struct ev *e, u32 nr, s64 ret, u64 a0, u64 a1,
						u64 a2, u64 a3, u64 a4)
{
	switch (nr) {
	case NR_dup3:
	case NR_dup2:
	case NR_dup:
		put_fd(e, a0);
		if (nr != NR_dup)
			put_fd(e, a1);
		if (nr == NR_dup3)
			put_u32(e, fd_flags_to_scap(a2));
		break;
	case NR_pipe:
	case NR_pipe2:
	case NR_socketpair: {
		// The two descriptors the kernel wrote back to the caller's array.
		int fds[2] = {-1, -1};
		if (ret == 0)
			bpf_probe_read_user(fds, sizeof(fds), (void *)(nr == NR_socketpair ? a3 : a0));
		put_u64(e, (s64)fds[0]);
		put_u64(e, (s64)fds[1]);
		struct file *f = ret == 0 ? fd_file(fds[0]) : 0;
		if (nr == NR_socketpair) {
			struct socket *sock = f ? BPF_CORE_READ(f, private_data) : 0;
			struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : 0;
			put_u64(e, (u64)sk);
			put_u64(e, sk ? (u64)BPF_CORE_READ((struct unix_sock *)sk, peer) : 0);
			put_u32(e, family_to_scap(a0));
			put_u32(e, a1);
			put_u32(e, a2);
		} else {
			put_u64(e, f ? BPF_CORE_READ(f, f_inode, i_ino) : 0);
			if (nr == NR_pipe2)
				put_u32(e, fd_flags_to_scap(a1));
		}
		break;
	}
	case NR_accept:
	case NR_accept4: {
		put_socktuple(e, ret, 0, true);
		// The listening socket's queue, as libscap reports it.
		struct file *lf = fd_file((int)a0);
		struct socket *ls = lf ? BPF_CORE_READ(lf, private_data) : 0;
		struct sock *lsk = ls ? BPF_CORE_READ(ls, sk) : 0;
		u32 qlen = lsk ? BPF_CORE_READ(lsk, sk_ack_backlog) : 0;
		u32 qmax = lsk ? BPF_CORE_READ(lsk, sk_max_ack_backlog) : 0;
		put_u8(e, qmax ? (u8)((u64)qlen * 100 / qmax) : 0);
		put_u32(e, qlen);
		put_u32(e, qmax);
		if (nr == NR_accept4)
			put_u32(e, a3);
		break;
	}
	case NR_bind:
		put_sockaddr(e, (void *)a1, a2);
		put_fd(e, a0);
		break;
	case NR_listen:
		put_fd(e, a0);
		put_u32(e, a1);
		break;
	case NR_sendto:
		put_user_bytes(e, (void *)a1, ret > 0 ? (u32)ret : 0, SNAPLEN);
		put_fd(e, a0);
		put_u32(e, a2);
		put_socktuple(e, (int)a0, (void *)a4, false);
		break;
	case NR_sendmsg: {
		// The first buffer of the message, and the address it names.
		struct user_msghdr msg = {};
		struct iovec iov = {};
		bpf_probe_read_user(&msg, sizeof(msg), (void *)a1);
		if (msg.msg_iov && msg.msg_iovlen > 0)
			bpf_probe_read_user(&iov, sizeof(iov), msg.msg_iov);
		u64 got = ret > 0 ? (u64)ret : 0;
		put_user_bytes(e, iov.iov_base, got < iov.iov_len ? got : iov.iov_len, SNAPLEN);
		put_fd(e, a0);
		put_u32(e, iov.iov_len);
		put_socktuple(e, (int)a0, msg.msg_name, false);
		break;
	}
	case NR_recvfrom:
		put_user_bytes(e, (void *)a1, ret > 0 ? (u32)ret : 0, SNAPLEN);
		put_socktuple(e, (int)a0, (void *)a4, true);
		put_fd(e, a0);
		put_u32(e, a2);
		break;
	case NR_userfaultfd:
		put_u32(e, fd_flags_to_scap(a0));
		break;
	case NR_bpf:
		put_u32(e, a0);  // the command: libscap uses the kernel's numbers
		break;
	case NR_io_uring_setup: {
		struct io_uring_params p = {};
		if (ret >= 0)
			bpf_probe_read_user(&p, sizeof(p), (void *)a1);
		put_u32(e, a0);
		put_u32(e, p.sq_entries);
		put_u32(e, p.cq_entries);
		put_u32(e, p.flags & 0xff);  // the setup flags libscap names share their values
		put_u32(e, p.sq_thread_cpu);
		put_u32(e, p.sq_thread_idle);
		put_u32(e, p.features);
		break;
	}
	}
}
FAMILY(vigie_emit_fd, put_fd_params)

// Credentials, namespaces, modules, tracing and prctl.
static __always_inline void put_proc_params(struct ev *e, u32 nr, s64 ret, u64 a0, u64 a1,
						u64 a2, u64 a3, u64 a4)
{
	switch (nr) {
	case NR_ptrace:
		put_dyn_u64(e, a2);
		put_dyn_u64(e, a3);
		put_u16(e, ptrace_request_to_scap(a0));
		put_u64(e, (s64)(int)a1);
		break;
	case NR_setns:
		put_fd(e, a0);
		put_u32(e, clone_flags_to_scap(a1));
		break;
	case NR_unshare:
		put_u32(e, clone_flags_to_scap(a0));
		break;
	case NR_init_module:
		put_user_bytes(e, (void *)a0, a1, SNAPLEN);
		put_u64(e, a1);
		put_user_str(e, (void *)a2);
		break;
	case NR_finit_module:
		put_fd(e, a0);
		put_user_str(e, (void *)a1);
		put_u32(e, a2 & 7);  // MODULE_INIT_*: the same values
		break;
	case NR_setuid:
	case NR_setgid:
		put_u32(e, a0);
		break;
	case NR_setreuid:
	case NR_setregid:
		put_u32(e, a0);
		put_u32(e, a1);
		break;
	case NR_setresuid:
	case NR_setresgid:
		put_u32(e, a0);
		put_u32(e, a1);
		put_u32(e, a2);
		break;
	case NR_prctl:
		put_u32(e, a0);  // PR_*: the kernel's numbers
		if (a0 == 15 || a0 == 16) {  // PR_SET_NAME, PR_GET_NAME: a name
			put_user_str(e, (void *)a1);
			put_u64(e, 0);
		} else {
			put_empty(e);
			put_u64(e, a1);
		}
		break;
	}
}
FAMILY(vigie_emit_proc, put_proc_params)

SEC("tp_btf/sys_exit")
int BPF_PROG(vigie_sys_exit, struct pt_regs *regs, long ret)
{
	u32 nr = regs->orig_ax;
	// The compat test costs a helper call, so it comes after the bitmap: an
	// unwatched syscall still pays one load.
	if (!watched(nr) || is_self() || in_compat_syscall())
		return 0;
	struct ev e;
	switch (nr) {
	case NR_open:
	case NR_openat:
	case NR_openat2:
		emit_open(nr, regs, ret);
		return 0;
	case NR_read:
	case NR_write: {
		if (exit_begin(&e, nr == NR_read ? PPME_SYSCALL_READ_X : PPME_SYSCALL_WRITE_X, 4, ret))
			return 0;
		put_user_bytes(&e, (void *)regs->si, ret > 0 ? (u32)ret : 0, SNAPLEN);
		put_u64(&e, (int)regs->di);
		put_u32(&e, regs->dx);
		break;
	}
	case NR_close:
		if (exit_begin(&e, PPME_SYSCALL_CLOSE_X, 2, ret))
			return 0;
		put_u64(&e, (int)regs->di);
		break;
	case NR_socket: {
		if (exit_begin(&e, PPME_SOCKET_SOCKET_X, 5, ret))
			return 0;
		u32 type = regs->si;
		u32 sflags = 0;
		if (type & 04000) sflags |= 1 << 6;      // SOCK_NONBLOCK
		if (type & 02000000) sflags |= 1 << 12;  // SOCK_CLOEXEC
		put_u32(&e, family_to_scap(regs->di));
		put_u32(&e, type & 0xf);
		put_u32(&e, regs->dx);
		put_u32(&e, sflags);
		break;
	}
	case NR_connect: {
		if (exit_begin(&e, PPME_SOCKET_CONNECT_X, 4, ret))
			return 0;
		s64 fd = (int)regs->di;
		put_socktuple(&e, fd, (void *)regs->si, false);
		put_u64(&e, fd);
		put_sockaddr(&e, (void *)regs->si, regs->dx);
		break;
	}
	case NR_chmod:
		if (exit_begin(&e, PPME_SYSCALL_CHMOD_X, 3, ret))
			return 0;
		put_user_str(&e, (void *)regs->di);
		put_u32(&e, mode_to_scap(regs->si));
		break;
	case NR_fchmod:
		if (exit_begin(&e, PPME_SYSCALL_FCHMOD_X, 3, ret))
			return 0;
		put_u64(&e, (int)regs->di);
		put_u32(&e, mode_to_scap(regs->si));
		break;
	case NR_fchmodat:
	case NR_fchmodat2:
		if (exit_begin(&e, PPME_SYSCALL_FCHMODAT_X, 4, ret))
			return 0;
		put_u64(&e, (int)regs->di);
		put_user_str(&e, (void *)regs->si);
		put_u32(&e, mode_to_scap(regs->dx));
		break;
	case NR_memfd_create: {
		if (exit_begin(&e, PPME_SYSCALL_MEMFD_CREATE_X, 3, ret))
			return 0;
		u32 f = regs->si;
		u32 sflags = 0;
		if (f & 1) sflags |= 1 << 0;  // MFD_CLOEXEC
		if (f & 2) sflags |= 1 << 1;  // MFD_ALLOW_SEALING
		if (f & 4) sflags |= 1 << 2;  // MFD_HUGETLB
		put_user_str(&e, (void *)regs->di);
		put_u32(&e, sflags);
		break;
	}
	case NR_execve:
	case NR_execveat:
		// Successful execs are sent from sched_process_exec, with the new image.
		if (ret < 0)
			emit_execve(nr == NR_execveat, bpf_get_current_task_btf(), ret,
				    (void *)(nr == NR_execve ? regs->di : regs->si), 0);
		return 0;
	case NR_clone:
	case NR_fork:
	case NR_vfork:
	case NR_clone3: {
		// The parent's side; the child's comes from sched_process_fork.
		if (ret == 0)
			return 0;
		u64 flags = 0;
		u16 type = PPME_SYSCALL_CLONE_20_X;
		if (nr == NR_clone) {
			flags = regs->di;
		} else if (nr == NR_clone3) {
			type = PPME_SYSCALL_CLONE3_X;
			bpf_probe_read_user(&flags, sizeof(flags), (void *)regs->di);
		} else if (nr == NR_fork) {
			type = PPME_SYSCALL_FORK_20_X;
		} else {
			type = PPME_SYSCALL_VFORK_20_X;
			flags = 0x00004000 | 0x00000100;  // CLONE_VFORK | CLONE_VM
		}
		emit_clone(type, bpf_get_current_task_btf(), ret, flags);
		return 0;
	}
	case NR_creat: case NR_unlink: case NR_unlinkat: case NR_rmdir: case NR_mkdir:
	case NR_mkdirat: case NR_rename: case NR_renameat: case NR_renameat2: case NR_link:
	case NR_linkat: case NR_symlink: case NR_symlinkat: case NR_chdir: case NR_fchdir:
	case NR_mount: case NR_umount2:
		return vigie_emit_file(nr, ret);
	case NR_dup: case NR_dup2: case NR_dup3: case NR_pipe: case NR_pipe2:
	case NR_socketpair: case NR_accept: case NR_accept4: case NR_bind: case NR_listen:
	case NR_sendto: case NR_sendmsg: case NR_recvfrom: case NR_userfaultfd: case NR_bpf:
	case NR_io_uring_setup:
		return vigie_emit_fd(nr, ret);
	case NR_ptrace: case NR_setns: case NR_unshare: case NR_init_module:
	case NR_finit_module: case NR_setuid: case NR_setgid: case NR_setreuid:
	case NR_setregid: case NR_setresuid: case NR_setresgid: case NR_setsid: case NR_prctl:
		return vigie_emit_proc(nr, ret);
	default:
		return 0;
	}
	ev_submit(&e);
	return 0;
}

// The syscall the current task is in (the clone family, at sched_process_fork).
static __always_inline u32 current_syscall(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	return BPF_CORE_READ(regs, orig_ax);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(vigie_fork, struct task_struct *parent, struct task_struct *child)
{
	// The sensor's own threads are not watched, but the processes it starts
	// are: without their birth their later events would have no process.
	if (self_tgid && task_tgid(child) == self_tgid)
		return 0;
	u32 nr = current_syscall();
	u16 type = PPME_SYSCALL_CLONE_20_X;
	u64 flags = 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	// A 32-bit parent forks with i386's numbers and its first argument in bx:
	// the child's side is still sent (its later native syscalls need a process),
	// under the native number of the same call.
	u64 arg0 = BPF_CORE_READ(regs, di);
	if (in_compat_syscall()) {
		arg0 = (u32)BPF_CORE_READ(regs, bx);
		if (nr == NR_i386_fork)
			nr = NR_fork;
		else if (nr == NR_i386_vfork)
			nr = NR_vfork;
		else if (nr == NR_i386_clone)
			nr = NR_clone;
		else if (nr != NR_clone3)  // 435 on both
			return 0;
	}
	if (nr == NR_fork) {
		type = PPME_SYSCALL_FORK_20_X;
	} else if (nr == NR_vfork) {
		type = PPME_SYSCALL_VFORK_20_X;
		flags = 0x00004000 | 0x00000100;
	} else if (nr == NR_clone3) {
		type = PPME_SYSCALL_CLONE3_X;
		bpf_probe_read_user(&flags, sizeof(flags), (void *)arg0);
	} else if (nr == NR_clone) {
		flags = arg0;
	} else {
		return 0;  // a kernel thread being forked
	}
	if (!watched(nr))
		return 0;
	emit_clone(type, child, 0, flags);
	return 0;
}

// Successful execs are sent from here, as libscap's execve exit event whether
// the call was execve or execveat: on x86_64 the kernel reports a successful
// execveat with execve's number (seen here, and noted by falcosecurity/libs),
// so sys_exit cannot tell them apart; failures are sent from sys_exit, which
// has the right number then.
SEC("tp_btf/sched_process_exec")
int BPF_PROG(vigie_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (is_self() || !watched(NR_execve))
		return 0;
	emit_execve(false, p, 0, 0, BPF_CORE_READ(bprm, filename));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(vigie_exit, struct task_struct *p)
{
	if (is_self())
		return 0;
	struct ev e;
	if (ev_begin(&e, PPME_PROCEXIT_1_E, 5, task_tid(p)))
		return 0;
	s64 code = BPF_CORE_READ(p, exit_code);
	put_u64(&e, code);
	put_u64(&e, code >> 8);
	put_u8(&e, code & 0x7f);
	put_u8(&e, (code & 0x80) != 0);
	put_u64(&e, 0);  // reaper_tid: not computed
	ev_submit(&e);
	return 0;
}
