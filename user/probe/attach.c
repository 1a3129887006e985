// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * attach.c - load the BPF programs and put them on the target's allocator.
 *
 * Every probe is attached with the target's PID as the perf-event filter, so
 * the kernel plants breakpoints only in that process: no other process on the
 * host pays for them.  Links are owned by this process: when heapscope exits,
 * however it exits, the kernel removes them and restores the original
 * instructions.
 *
 * Where the kernel has them (6.6), a process's sites in one object are two
 * uprobe_multi links (multi_link.c): every entry-side probe on site_enter, every
 * return probe on site_return, the cookie saying which function each site is.
 * Elsewhere, or with HEAPSCOPE_NO_UPROBE_MULTI=1 in the environment (tests use
 * it to check both paths), one perf-event link per probe.  The choice is made
 * at load, and revised once at attach: the per-function programs are loaded
 * either way, so when the kernel refuses a uprobe_multi link it said it could
 * make (a kernel that only knows part of the attribute, a policy), that target
 * and every later one get one link per probe instead (multi_refused says why).
 *
 * Each link remembers its target's PID, so a target that leaves mid-session
 * gives its probes back alone (detach.c removes them).
 */
#include "probe/attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/array.h"
#include "probe/detach.h"
#include "probe/multi_link.h"
#include "heapscope.skel.h"

/* The BPF side needs BTF (CO-RE) and uprobe perf events. */
int hs_attach_check_kernel(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return -ENOTSUP;
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK))
		return -ENOSYS;
	return 0;
}

static int keep_link(struct hs_attachment *a, struct bpf_link *link, int fd, pid_t pid)
{
	if (hs_array_reserve((void **)&a->links, &a->link_capacity, a->link_count,
			     sizeof(*a->links), 32))
		return -ENOMEM;
	a->links[a->link_count++] = (struct hs_probe_link){ .link = link, .fd = fd, .pid = pid };
	return 0;
}

/* Report when a target exec()s: one tracepoint for the session, for the PIDs in targets. */
static int watch_exec(struct hs_attachment *a)
{
	struct bpf_link *link = bpf_program__attach(a->skel->progs.target_exec);
	int err;

	if (!link)
		return -errno ? -errno : -EINVAL;
	err = keep_link(a, link, -1, 0);
	if (err)
		bpf_link__destroy(link);
	return err;
}

/*
 * --follow: report the processes targets fork (target_fork), so the session attaches
 * them at once.  Not needed for anything else; on failure the session's /proc scan
 * still finds them.  0 or -errno.
 */
int hs_attach_watch_forks(struct hs_attachment *a)
{
	struct bpf_link *link = bpf_program__attach(a->skel->progs.target_fork);
	int err;

	if (!link)
		return -errno ? -errno : -EINVAL;
	err = keep_link(a, link, -1, 0);
	if (err)
		bpf_link__destroy(link);
	return err;
}

/* Load the multi-link programs for uprobe_multi links, or not at all.  0 or -errno. */
static int choose_links(struct hs_attachment *a)
{
	const char *off = getenv("HEAPSCOPE_NO_UPROBE_MULTI");
	struct bpf_program *multi[] = { a->skel->progs.site_enter, a->skel->progs.site_return };
	int err = 0;

	a->multi = !(off && *off && strcmp(off, "0")) && hs_uprobe_multi_supported();
	for (size_t i = 0; !err && i < sizeof(multi) / sizeof(multi[0]); i++) {
		if (a->multi)
			err = bpf_program__set_expected_attach_type(
				multi[i], (enum bpf_attach_type)HS_BPF_TRACE_UPROBE_MULTI);
		else
			err = bpf_program__set_autoload(multi[i], false);
	}
	return err;
}

int hs_attach_load(struct hs_attachment *a, const struct hs_attach_config *config)
{
	int err;

	a->skel = heapscope_bpf__open();
	if (!a->skel)
		return -errno ? -errno : -EINVAL;
	a->skel->rodata->max_frames = config->max_frames;
	a->skel->rodata->probe_only = config->probe_only;
	a->skel->rodata->probe_only_record = config->probe_only_record;
	a->skel->rodata->unwind_with_tables = config->unwind_with_tables;
	/* Wake the consumer once an eighth of the ring is pending. */
	a->skel->rodata->wakeup_bytes = config->ringbuf_bytes / 8;
	err = bpf_map__set_max_entries(a->skel->maps.events, config->ringbuf_bytes);
	if (!err && config->unwind_rows)
		err = bpf_map__set_max_entries(a->skel->maps.unwind_rows, config->unwind_rows);
	if (!err)
		err = choose_links(a);
	if (!err)
		err = heapscope_bpf__load(a->skel);
	if (!err)
		err = watch_exec(a);
	if (err) {
		heapscope_bpf__destroy(a->skel);
		a->skel = NULL;
	}
	return err;
}

static struct bpf_program *entry_program(struct heapscope_bpf *skel, enum hs_probe_fn fn)
{
	switch (fn) {
	case HS_FN_MALLOC:
		return skel->progs.malloc_enter;
	case HS_FN_CALLOC:
		return skel->progs.calloc_enter;
	case HS_FN_REALLOC:
		return skel->progs.realloc_enter;
	case HS_FN_REALLOCARRAY:
		return skel->progs.reallocarray_enter;
	case HS_FN_MEMALIGN:
		return skel->progs.memalign_enter;
	case HS_FN_POSIX_MEMALIGN:
		return skel->progs.posix_memalign_enter;
	case HS_FN_FREE:
		return skel->progs.free_enter;
	case HS_FN_DEALLOC:
		return skel->progs.dealloc_enter;
	case HS_FN_XALLOCX:
		return skel->progs.xallocx_enter;
	case HS_FN_WRAPPER:
		return skel->progs.wrapper_enter;
	case HS_FN_NEW:
		return skel->progs.new_enter;
	case HS_FN_THROW:
		return skel->progs.exception_thrown;
	default:
		return NULL;
	}
}

/* The clock bpf_ktime_get_ns() reads. */
static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
}

/* cookie: what bpf_get_attach_cookie() returns in the program (entry probes: the
 * bytes pushed between the function's entry and the probe site). */
static int attach_one(struct hs_attachment *a, struct bpf_program *prog, pid_t pid,
		      const char *path, uint64_t offset, bool retprobe, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe, .bpf_cookie = cookie);
	struct bpf_link *link = bpf_program__attach_uprobe_opts(prog, pid, path, offset, &opts);
	int err;

	if (!link)
		return -errno ? -errno : -EINVAL;
	err = keep_link(a, link, -1, pid);
	if (err)
		bpf_link__destroy(link);
	return err;
}

/* Destroy the links made since link_count was first (one PID's failed attach). */
static void drop_links_from(struct hs_attachment *a, size_t first)
{
	while (a->link_count > first)
		hs_probe_link_destroy(&a->links[--a->link_count]);
}

/* Threads cache their process's targets entry (heapscope.bpf.c, entered_armed):
 * after the map has changed, this tells them to read it again. */
static void targets_changed(struct hs_attachment *a)
{
	__atomic_add_fetch(&a->skel->bss->targets_gen, 1, __ATOMIC_SEQ_CST);
}

/* PID's probes are all attached: from now on its calls count (and its exec()s). */
static int arm(struct hs_attachment *a, pid_t pid)
{
	uint32_t tgid = pid;
	uint64_t armed_ns = monotonic_ns();

	if (bpf_map__update_elem(a->skel->maps.targets, &tgid, sizeof(tgid), &armed_ns,
				 sizeof(armed_ns), 0))
		return -errno;
	targets_changed(a);
	return 0;
}

/* A free site's cookie bit: its blocks' glibc chunk headers are read (probes.c says when). */
static uint64_t chunk_bit(const struct hs_probe_plan *plan, const struct hs_probe_site *site)
{
	return hs_probes_releases_glibc_chunks(plan, site) ? HS_COOKIE_GLIBC_CHUNK : 0;
}

/* One probe per site, each its own perf-event link (the fallback). */
static int attach_per_probe(struct hs_attachment *a, pid_t pid, const struct hs_probe_plan *plan)
{
	int err = 0;

	for (size_t i = 0; !err && i < plan->site_count; i++) {
		const struct hs_probe_site *site = &plan->sites[i];

		if (site->has_return)
			err = attach_one(a, a->skel->progs.alloc_return, pid,
					 plan->objects[site->object].attach_path, site->file_offset,
					 true, 0);
	}
	for (size_t i = 0; !err && i < plan->site_count; i++) {
		const struct hs_probe_site *site = &plan->sites[i];

		err = attach_one(a, entry_program(a->skel, site->fn), pid,
				 plan->objects[site->object].attach_path, site->file_offset, false,
				 site->site.stack_adjust_bytes | chunk_bit(plan, site));
	}
	for (size_t i = 0; !err && i < plan->ret_probe_count; i++) {
		const struct hs_ret_probe *probe = &plan->ret_probes[i];

		err = attach_one(a, a->skel->progs.new_ret, pid,
				 plan->objects[probe->object].attach_path, probe->file_offset, false,
				 0);
	}
	return err;
}

/* The sites of one object, as one uprobe_multi link wants them. */
struct site_batch {
	uint64_t offsets[HS_MAX_PROBE_SITES + HS_MAX_RET_PROBES];
	uint64_t cookies[HS_MAX_PROBE_SITES + HS_MAX_RET_PROBES];
	uint32_t count;
};

static void batch_add(struct site_batch *batch, uint64_t offset, uint64_t cookie)
{
	batch->offsets[batch->count] = offset;
	batch->cookies[batch->count] = cookie;
	batch->count++;
}

/* Link every site of OBJECT in the plan to site_enter, or its return probes to site_return. */
static int attach_object_batch(struct hs_attachment *a, pid_t pid, const struct hs_probe_plan *plan,
			       size_t object, bool returns, struct site_batch *batch)
{
	struct bpf_program *prog = returns ? a->skel->progs.site_return : a->skel->progs.site_enter;
	int fd, err;

	batch->count = 0;
	for (size_t i = 0; i < plan->site_count; i++) {
		const struct hs_probe_site *site = &plan->sites[i];

		if (site->object != object)
			continue;
		if (!returns)
			batch_add(batch, site->file_offset,
				  HS_COOKIE(site->fn, site->site.stack_adjust_bytes) |
					  chunk_bit(plan, site));
		else if (site->has_return)
			batch_add(batch, site->file_offset, 0);
	}
	for (size_t i = 0; !returns && i < plan->ret_probe_count; i++) {
		const struct hs_ret_probe *probe = &plan->ret_probes[i];

		if (probe->object == object)
			batch_add(batch, probe->file_offset, HS_COOKIE(HS_SITE_RET, 0));
	}
	if (batch->count == 0)
		return 0;
	fd = hs_uprobe_multi_link(bpf_program__fd(prog), plan->objects[object].attach_path,
				  batch->offsets, batch->cookies, batch->count, pid, returns);
	if (fd < 0)
		return fd;
	err = keep_link(a, NULL, fd, pid);
	if (err)
		close(fd);
	return err;
}

/* Two links per object: the return probes of every object first, then the entry side. */
static int attach_batched(struct hs_attachment *a, pid_t pid, const struct hs_probe_plan *plan)
{
	struct site_batch *batch = malloc(sizeof(*batch));
	int err = 0;

	if (!batch)
		return -ENOMEM;
	for (int returns = 1; returns >= 0; returns--)
		for (size_t o = 0; !err && o < plan->object_count; o++)
			err = attach_object_batch(a, pid, plan, o, returns, batch);
	free(batch);
	return err;
}

/*
 * Did the kernel refuse the kind of link, rather than this target?  The
 * errors of a kernel or a policy that does not make uprobe_multi links; not
 * those of a target that is gone (ESRCH, ENOENT) or of missing privilege
 * (EPERM, reported as it is: per-probe links would need the same).
 */
static bool multi_link_refused(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS || err == -E2BIG;
}

/*
 * Attach every site of the plan to PID.  Return probes first: a thread can be inside
 * a probe's handlers while links are added (since Linux 6.12 the kernel walks a
 * site's consumers under RCU, not a lock), and it walks the newest first.  Were the
 * entry attached first, a thread could run the entry program after PID is armed yet
 * have walked past a return consumer added meanwhile: an armed call whose return
 * never fires.  Attached after its return, an entry program that runs is always
 * followed by its return consumer.  The cost: a call entered before its entry probe
 * existed may fire a return with no entry, before PID's first armed call, which the
 * return program lets pass (heapscope.bpf.c).  Then PID is armed: its calls entered
 * from that instant on are reported (another PID's arming leaves its calls alone).
 * On failure nothing of this call stays attached (other PIDs' probes do).
 */
int hs_attach_plan(struct hs_attachment *a, pid_t pid, const struct hs_probe_plan *plan)
{
	size_t first_link = a->link_count;
	int err;

	err = a->multi ? attach_batched(a, pid, plan) : attach_per_probe(a, pid, plan);
	if (err && a->multi && multi_link_refused(err)) {
		/* Nothing of PID's armed yet: its links go, and per-probe ones replace them. */
		drop_links_from(a, first_link);
		a->multi = false;
		a->multi_refused = err;
		err = attach_per_probe(a, pid, plan);
	}
	if (!err)
		err = arm(a, pid);
	if (err)
		drop_links_from(a, first_link);
	return err;
}

/* End the session now: from here on every program returns at once. */
void hs_attach_end_session(struct hs_attachment *a)
{
	if (a->skel)
		a->skel->bss->session_over = true;
}

/*
 * PID has left (exited, or exec()ed another program): forget it in the BPF
 * maps at once, so none of its calls counts any more, and remove its probes
 * in the background.  Other targets' probes and calls in flight are not
 * touched.  0 or -errno (the probes then stay until the session ends).
 */
int hs_attach_release(struct hs_attachment *a, pid_t pid)
{
	uint32_t tgid = pid;
	int err = 0;

	if (bpf_map__delete_elem(a->skel->maps.targets, &tgid, sizeof(tgid), 0) && errno != ENOENT)
		err = -errno;
	targets_changed(a);
	if (hs_detach_pid_start(a, pid))
		return -ENOMEM;
	return err;
}

/*
 * End the session, then start removing every probe in the background (detach.c): the
 * programs return at once from here on, so the order of removal does not matter.
 * hs_attach_detach() waits for the removals.
 */
void hs_attach_detach_start(struct hs_attachment *a)
{
	hs_attach_end_session(a);
	hs_detach_all_start(a);
}

/* End the session and remove every probe now: no program runs after this returns. */
void hs_attach_detach(struct hs_attachment *a)
{
	hs_attach_end_session(a);
	hs_detach_all(a);
}

void hs_attach_free(struct hs_attachment *a)
{
	hs_attach_detach(a);
	free(a->links);
	a->links = NULL;
	a->link_capacity = 0;
	free(a->detaching);
	a->detaching = NULL;
	a->detaching_capacity = 0;
	if (a->skel)
		heapscope_bpf__destroy(a->skel);
	a->skel = NULL;
}

int hs_attach_ringbuf_fd(const struct hs_attachment *a)
{
	return bpf_map__fd(a->skel->maps.events);
}

struct bpf_object *hs_attach_bpf_object(const struct hs_attachment *a)
{
	return a->skel->obj;
}

/* Sum the per-CPU counters. */
int hs_attach_read_stats(const struct hs_attachment *a, uint64_t totals[HS_STAT_COUNT])
{
	int cpus = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(a->skel->maps.stats);
	uint64_t *per_cpu;

	if (cpus <= 0)
		return cpus ? cpus : -EINVAL;
	per_cpu = calloc(cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	for (uint32_t stat = 0; stat < HS_STAT_COUNT; stat++) {
		totals[stat] = 0;
		if (bpf_map_lookup_elem(fd, &stat, per_cpu))
			continue;
		for (int cpu = 0; cpu < cpus; cpu++)
			totals[stat] += per_cpu[cpu];
	}
	free(per_cpu);
	return 0;
}
