// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * multi_link.c - uprobe_multi links through bpf(2) directly.
 *
 * Why: one uprobe_multi link puts a program on many offsets of one file for
 * one process, and removing it waits for one RCU grace period where a link per
 * probe waits for one each.  The kernel has them since 6.6; Debian 12's libbpf
 * (1.1) and its UAPI headers do not know them, so the attribute layout of
 * BPF_LINK_CREATE for them is written here (include/uapi/linux/bpf.h, 6.6).
 *
 * Owns: creating such a link and asking whether the kernel can.  Does not own
 * which sites go in a link (attach.c), nor the program (loaded by attach.c
 * with expected attach type HS_BPF_TRACE_UPROBE_MULTI).
 */
#include "probe/multi_link.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#define HS_BPF_F_UPROBE_MULTI_RETURN 1u

/* union bpf_attr as BPF_LINK_CREATE reads it for a uprobe_multi link. */
struct uprobe_multi_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
	uint32_t pad;
};

static int link_create(const struct uprobe_multi_attr *in)
{
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	_Static_assert(sizeof(*in) <= sizeof(attr), "the kernel reads this much");
	memcpy(&attr, in, sizeof(*in));
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

int hs_uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, uint32_t count, pid_t pid, bool retprobe)
{
	struct uprobe_multi_attr attr = {
		.prog_fd = prog_fd,
		.attach_type = HS_BPF_TRACE_UPROBE_MULTI,
		.path = (uintptr_t)path,
		.offsets = (uintptr_t)offsets,
		.cookies = (uintptr_t)cookies,
		.cnt = count,
		.multi_flags = retprobe ? HS_BPF_F_UPROBE_MULTI_RETURN : 0,
		.pid = pid,
	};

	if (count == 0)
		return -EINVAL;
	return link_create(&attr);
}

/*
 * Can this kernel make uprobe_multi links?  The check libbpf 1.3 makes: a
 * program loaded for them, linked to a path that is not a regular file, fails
 * with EBADF where the kernel knows the link type, EINVAL where it does not.
 */
bool hs_uprobe_multi_supported(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = (enum bpf_attach_type)HS_BPF_TRACE_UPROBE_MULTI);
	uint64_t offset = 0;
	int prog_fd, link_fd;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &opts);
	if (prog_fd < 0)
		return false;
	link_fd = hs_uprobe_multi_link(prog_fd, "/", &offset, NULL, 1, 0, false);
	close(prog_fd);
	if (link_fd >= 0) {
		close(link_fd);
		return true;
	}
	return link_fd == -EBADF;
}
