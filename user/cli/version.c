// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * version.c - heapscope --version: which heapscope this is, the libbpf it runs with, and
 * which kernel features it finds on this host, so a bug report from a production host
 * says all three in one paste:
 *
 *   heapscope 0.1.0 (git d9880d8)
 *   libbpf 1.1 (built with 1.1)
 *   kernel 6.1.0-18-amd64: BTF yes, uprobe_multi no, task storage yes
 *
 * Owns: the feature probes.  Each is cheap and leaves nothing behind: a file test, one
 * map created and closed, one two-instruction program loaded and a link that the kernel
 * refuses before it touches any process.  Without the privilege to ask (no CAP_BPF) a
 * feature reads "unknown", never "no".
 * Does not own: the version string itself (lib/version.c), nor the checks a session makes
 * before it attaches (probe/attach.c).
 */
#include "cli/version.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/version.h"

/* Newer than the uapi headers heapscope builds with (Linux 6.6's value, fixed by the
 * kernel's ABI). */
#define HS_BPF_TRACE_UPROBE_MULTI 48

/* BPF_LINK_CREATE's attributes for a uprobe_multi link (linux/bpf.h since 6.6). */
struct uprobe_multi_link_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 link_flags;
	__u32 pid;
};

/* 1 supported, 0 not, or -errno when the kernel would not let us ask. */
static int probe_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) ? 0 : 1;
}

/* As libbpf 1.3+ does: a kernel with uprobe_multi loads the program and then refuses a
 * link on "/" (not a regular file) with EBADF; one without it refuses the program. */
static int probe_uprobe_multi(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = (enum bpf_attach_type)HS_BPF_TRACE_UPROBE_MULTI);
	struct uprobe_multi_link_attr attr;
	__u64 offset = 0;
	int prog_fd, link_fd, err;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &opts);
	if (prog_fd < 0)
		return prog_fd == -EPERM || prog_fd == -EACCES ? prog_fd : 0;
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = HS_BPF_TRACE_UPROBE_MULTI;
	attr.path = (__u64)(unsigned long)"/";
	attr.offsets = (__u64)(unsigned long)&offset;
	attr.cnt = 1;
	link_fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	err = link_fd < 0 ? -errno : 0;
	if (link_fd >= 0)
		close(link_fd);
	close(prog_fd);
	if (err == -EPERM || err == -EACCES)
		return err;
	return err == -EBADF;
}

static int probe_task_storage(void)
{
	int ret = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL);

	return ret == -EPERM || ret == -EACCES || ret > 0 ? ret : 0;
}

static const char *feature(int found)
{
	if (found < 0)
		return "unknown (no permission to ask: needs CAP_BPF)";
	return found ? "yes" : "no";
}

int hs_version_print(FILE *out)
{
	struct utsname uts;

	if (uname(&uts))
		strcpy(uts.release, "?");
	fprintf(out, "heapscope %s\n", hs_version());
	fprintf(out, "libbpf %u.%u (built with %d.%d)\n", libbpf_major_version(),
		libbpf_minor_version(), LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION);
	fprintf(out, "kernel %s: BTF %s, uprobe_multi %s, task storage %s\n", uts.release,
		feature(probe_btf()), feature(probe_uprobe_multi()), feature(probe_task_storage()));
	return fflush(out) || ferror(out) ? -EIO : 0;
}
