// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe_cost.c - what one probe hit costs on this machine, and how often and for
 * how long heapscope's programs ran: the figures behind the overhead meter
 * (analysis/overhead.c).
 *
 * Why calibrate: a uprobe's trap is most of a hit's cost and it varies by two
 * orders of magnitude between machines (~0.3 us bare metal, 1.6-19 us in a VM,
 * single-stepped instructions dearest).  It is timed here, at attach, on
 * functions of heapscope's own (below, in assembly, so their first instruction
 * is known): a "push %rbp" the kernel emulates, a "mov" it single-steps, and a
 * return probe.  A two-instruction program is attached to each, so the trap
 * and the program dispatch are timed, not a program's body: the programs' own
 * run time comes from the kernel (bpf_prog_info), measured, not estimated.
 * Each kind is timed HS_COST_ROUNDS times against the same function without a
 * probe, on this thread's CPU clock (time spent preempted by the neighbours of a
 * loaded machine is not counted), and the median kept.  The target is never
 * touched.
 *
 * Program statistics: the kernel counts runs and run time only while someone
 * holds a BPF_ENABLE_STATS fd (or kernel.bpf_stats_enabled is set); the fd
 * undoes it when closed, so nothing outlives the session.
 *
 * Owns: the calibration's functions, program and probes (gone before it
 * returns) and the reading of the programs' counters.  Does not own: which
 * programs are attached where (attach.c), the meter's arithmetic.
 */
#include "probe/probe_cost.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COST_CALLS 200 /* probed calls per kind and round: ~7 ms a round at 19 us a trap */
#define UPROBE_PMU     "/sys/bus/event_source/devices/uprobe/"

#if defined(__x86_64__)
/* Four functions of identical size; only the first instruction of hs_cost_stepped differs
 * ("mov", which the kernel single-steps).  Returns alone are timed on their own copy. */
__asm__(".pushsection .text\n"
	".p2align 4\n.globl hs_cost_bare\n.type hs_cost_bare, @function\n"
	"hs_cost_bare:\n\tpush %rbp\n\tmov %rsp, %rbp\n\tpop %rbp\n\tret\n"
	".size hs_cost_bare, .-hs_cost_bare\n"
	".p2align 4\n.globl hs_cost_emulated\n.type hs_cost_emulated, @function\n"
	"hs_cost_emulated:\n\tpush %rbp\n\tmov %rsp, %rbp\n\tpop %rbp\n\tret\n"
	".size hs_cost_emulated, .-hs_cost_emulated\n"
	".p2align 4\n.globl hs_cost_returned\n.type hs_cost_returned, @function\n"
	"hs_cost_returned:\n\tpush %rbp\n\tmov %rsp, %rbp\n\tpop %rbp\n\tret\n"
	".size hs_cost_returned, .-hs_cost_returned\n"
	".p2align 4\n.globl hs_cost_stepped\n.type hs_cost_stepped, @function\n"
	"hs_cost_stepped:\n\tmov %rdi, %rax\n\tpush %rbp\n\tpop %rbp\n\tret\n"
	".size hs_cost_stepped, .-hs_cost_stepped\n"
	".popsection\n");
void hs_cost_bare(void);
void hs_cost_emulated(void);
void hs_cost_returned(void);
void hs_cost_stepped(void);
#endif

static double thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A small number from a sysfs file ("9\n", or "config:0\n" for a format bit). */
static int read_sysfs_number(const char *path, const char *prefix, long *value)
{
	char text[64];
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got <= 0)
		return -EINVAL;
	text[got] = '\0';
	if (strncmp(text, prefix, strlen(prefix)) != 0)
		return -EINVAL;
	*value = strtol(text + strlen(prefix), NULL, 10);
	return 0;
}

/* The file heapscope's code at addr is mapped from, and addr's offset in it. */
static int own_code_offset(uintptr_t addr, char *path, size_t len, uint64_t *offset)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char line[4352];
	int err = -ENOENT;

	if (!maps)
		return -errno;
	while (err && fgets(line, sizeof(line), maps)) {
		unsigned long long start, end, pgoff;
		int name_at = 0;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end, &pgoff,
			   &name_at) < 3 || !name_at || addr < start || addr >= end)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (line[name_at] != '/' || strlen(line + name_at) >= len)
			break;
		snprintf(path, len, "%s", line + name_at);
		*offset = addr - start + pgoff;
		err = 0;
	}
	fclose(maps);
	return err;
}

/* A uprobe (or uretprobe) on this thread at fn, running program prog_fd: its perf fd. */
static int own_probe(void (*fn)(void), bool retprobe, int prog_fd)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	char path[4096];
	uint64_t offset = 0;
	long type, ret_bit = 0;
	int fd, err;

	err = read_sysfs_number(UPROBE_PMU "type", "", &type);
	if (!err && retprobe)
		err = read_sysfs_number(UPROBE_PMU "format/retprobe", "config:", &ret_bit);
	if (!err)
		err = own_code_offset((uintptr_t)fn, path, sizeof(path), &offset);
	if (err)
		return err;
	attr.type = (uint32_t)type;
	attr.config = retprobe ? 1ull << ret_bit : 0;
	attr.config1 = (uint64_t)(uintptr_t)path; /* uprobe_path */
	attr.config2 = offset;			  /* probe_offset */
	fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* "return 0": the least a program attached to a uprobe can do. */
static int empty_program(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "hs_cost", "GPL", insns, 2, NULL);

	return fd < 0 ? -errno : fd;
}

/* What the kernel's statistics count for a run of the empty program: the part of every
 * program's run_time_ns that is their own clock reads, not the program.  0 while off. */
static double empty_run_ns(int prog)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog, &info, &len) || !info.run_cnt)
		return 0;
	return (double)info.run_time_ns / info.run_cnt;
}

static double calls_ns(void (*volatile fn)(void))
{
	double start = thread_cpu_ns();

	for (int i = 0; i < COST_CALLS; i++)
		fn();
	return thread_cpu_ns() - start;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *values, int count)
{
	qsort(values, count, sizeof(*values), compare_doubles);
	return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

#if defined(__x86_64__)
/* The probes are in place: time each kind against the bare function, round after round. */
static void time_kinds(struct hs_probe_cost *cost)
{
	double emulated[HS_COST_ROUNDS], stepped[HS_COST_ROUNDS], returned[HS_COST_ROUNDS];

	/* first hits map the kernel's single-step page and the return trampoline */
	hs_cost_emulated();
	hs_cost_stepped();
	hs_cost_returned();
	for (int r = 0; r < HS_COST_ROUNDS; r++) {
		double bare = calls_ns(hs_cost_bare);

		emulated[r] = (calls_ns(hs_cost_emulated) - bare) / COST_CALLS;
		stepped[r] = (calls_ns(hs_cost_stepped) - bare) / COST_CALLS;
		returned[r] = (calls_ns(hs_cost_returned) - bare) / COST_CALLS - emulated[r];
	}
	cost->emulated_ns = median(emulated, HS_COST_ROUNDS);
	cost->stepped_ns = median(stepped, HS_COST_ROUNDS);
	cost->return_ns = median(returned, HS_COST_ROUNDS);
	/* noise can push a difference below zero; a hit never costs nothing */
	cost->emulated_ns = cost->emulated_ns > 1 ? cost->emulated_ns : 1;
	cost->stepped_ns = cost->stepped_ns > cost->emulated_ns ? cost->stepped_ns
								  : cost->emulated_ns;
	cost->return_ns = cost->return_ns > 1 ? cost->return_ns : 1;
}
#endif

/*
 * Time a probe hit of each kind: ~50 ms of CPU where a trap costs 5-25 us.  The
 * returned cost stays valid for the session: the calibration's probes and
 * program are gone when this returns.
 */
int hs_probe_cost_calibrate(struct hs_probe_cost *cost)
{
#if defined(__x86_64__)
	double started_ms = wall_ms(), started_cpu_ns = thread_cpu_ns();
	int prog, fds[3] = { -1, -1, -1 }, err = 0;

	memset(cost, 0, sizeof(*cost));
	prog = empty_program();
	if (prog < 0)
		return prog;
	fds[0] = own_probe(hs_cost_emulated, false, prog);
	fds[1] = own_probe(hs_cost_stepped, false, prog);
	fds[2] = own_probe(hs_cost_returned, true, prog);
	for (int i = 0; i < 3 && !err; i++)
		err = fds[i] < 0 ? fds[i] : 0;
	if (!err)
		time_kinds(cost);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	cost->stats_run_ns = empty_run_ns(prog);
	close(prog);
	cost->took_ms = wall_ms() - started_ms;
	cost->cpu_ms = (thread_cpu_ns() - started_cpu_ns) / 1e6;
	return err;
#else
	memset(cost, 0, sizeof(*cost));
	return -EOPNOTSUPP;
#endif
}

/*
 * The same, in a short-lived child: for calibrations repeated during a session, whose probes
 * and program must not appear among heapscope's fds (what it holds is its targets' probes,
 * and tests count them), nor the child hold the parent's links.  The child keeps only the
 * pipe its figures go back by, and dies with the thread that forked it.
 */
int hs_probe_cost_calibrate_apart(struct hs_probe_cost *cost)
{
	int fds[2], status;
	ssize_t got;
	pid_t child;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	child = fork();
	if (child < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (child == 0) {
		struct hs_probe_cost figures;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(fds[1], 3) != 3 || syscall(SYS_close_range, 4, ~0u, 0))
			_exit(1);
		if (hs_probe_cost_calibrate(&figures) ||
		    write(3, &figures, sizeof(figures)) != sizeof(figures))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	do
		got = read(fds[0], cost, sizeof(*cost));
	while (got < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return got == (ssize_t)sizeof(*cost) ? 0 : -EIO;
}

/* The kernel counts program runs and run time while the returned fd is open. */
int hs_bpf_stats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

/*
 * Every loaded program's runs and run time, by the kind of probe it is attached
 * as (its section): uretprobes are returns, uprobes entries, except the ret
 * instructions of a throwing operator new, which the kernel single-steps.  The
 * exec tracepoint's runs are no probe hits; its run time counts.
 */
int hs_program_totals(const struct bpf_object *obj, struct hs_program_totals *totals)
{
	struct bpf_program *prog;

	memset(totals, 0, sizeof(*totals));
	if (!obj)
		return -EINVAL;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);
		const char *section = bpf_program__section_name(prog);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		totals->run_ns += info.run_time_ns;
		if (strncmp(section, "uretprobe", 9) == 0)
			totals->return_hits += info.run_cnt;
		else if (strncmp(section, "uprobe", 6) != 0)
			continue;
		else if (strcmp(bpf_program__name(prog), "new_ret") == 0)
			totals->stepped_hits += info.run_cnt;
		else
			totals->entry_hits += info.run_cnt;
	}
	return 0;
}
