/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * unwind.bpf.h - walk a user stack with the unwind tables userspace built from
 * the target's CFI (.eh_frame/.debug_frame; layout in unwind.h), taking a
 * frame-pointer step wherever no table row applies.
 *
 * Owns: the unwind maps, finding the row for a pc (binary search over the
 * process's executable mappings, then over the object's rows; the per-CPU row
 * cache first), and one step of the walk per bpf_loop iteration.
 * Does not own: where a walk starts (heapscope.bpf.c's capture_stack hands it
 * the registers), the event it fills, or the tables' content (userspace).
 * Included by heapscope.bpf.c after scratch_event(), count() and
 * struct fp_walk, whose result fields (n, limit, truncated) it fills too.
 *
 * A step from (ip, sp, bp) of one frame: the row for ip gives the CFA (the
 * caller's sp before its call), the return address is at CFA - 8, the
 * caller's rbp is at CFA + 8 * rbp_words or unchanged.  ip is looked up as
 * ip - 1 when it is a return address: a call may be the last instruction of
 * its function (noreturn callees), and the rule that holds after a call
 * returns is the rule at the call.  Only a walk that starts at a function's
 * first instruction (an entry probe) looks up ip itself: there the row is the
 * CIE's initial rule, CFA = rsp + 8, so the first return address is *(u64 *)sp.
 *
 * The walk stops at a row whose return address is undefined (_start, a
 * thread's start: the stack is complete), at a zero return address, at a CFA
 * that does not lie above the previous one (a frame can only be further up
 * the stack), or at the frame limit (truncated, counted).
 */
#ifndef HEAPSCOPE_UNWIND_BPF_H
#define HEAPSCOPE_UNWIND_BPF_H

#include "unwind.h"

/* Set by userspace before load: walk with tables (--unwind dwarf/auto). */
const volatile bool unwind_with_tables = false;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE); /* userspace writes rows through a mapping */
	__uint(max_entries, 1);		   /* sized by userspace: every table, plus room */
	__type(key, __u32);
	__type(value, struct hs_unwind_row);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HS_UNWIND_MAX_OBJECTS);
	__type(key, __u32);
	__type(value, struct hs_unwind_object);
} unwind_objects SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* 16 KiB a process: only for those attached */
	__uint(max_entries, HS_UNWIND_MAX_PROCESSES);
	__type(key, __u32); /* tgid */
	__type(value, struct hs_unwind_process);
} unwind_processes SEC(".maps");

struct cfi_walk {
	__u64 ip, sp, bp;
	__u32 pid;
	__u32 n, limit;	  /* frames filled in ev->frames, and how many may be */
	__u32 generation; /* of the process's mapping list when the walk began; 0: none */
	bool exact_ip;	  /* ip is where the thread stands, not a return address */
	bool truncated;
};

/*
 * n must not start on an 8-byte boundary.  The verifier tracks a 4-byte value stored
 * there exactly, and each frame count then makes bpf_loop's steps different states:
 * new_ret went past the 1M-instruction limit.  Stored at a 4-byte offset it is plain
 * bytes to the verifier, and the steps converge.
 */
_Static_assert(__builtin_offsetof(struct cfi_walk, n) % 8 != 0, "see above");

/*
 * The two binary searches are global functions: the verifier checks each once
 * on its own, instead of once for every path that reaches it (inlined, every
 * way out of one search multiplied the paths through the other).
 */

/* Index of the mapping holding pc in proc->mappings, or -1. */
__noinline int unwind_mapping_index(const struct hs_unwind_process *proc, __u64 pc)
{
	__u32 lo = 0, hi;

	if (!proc)
		return -1;
	hi = proc->count;
	if (hi > HS_UNWIND_MAX_MAPPINGS)
		hi = HS_UNWIND_MAX_MAPPINGS;
	for (int i = 0; i < HS_UNWIND_MAPPING_SEARCH_STEPS && lo < hi; i++) {
		__u32 mid = (lo + (hi - lo) / 2) & (HS_UNWIND_MAX_MAPPINGS - 1);
		const struct hs_unwind_mapping *map = &proc->mappings[mid];

		if (pc < map->start)
			hi = mid;
		else if (pc >= map->end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/* Index in unwind_rows of the last row at or below vaddr among the count rows
 * from first, or -1. */
__noinline long unwind_row_index(__u32 first, __u32 count, __u64 vaddr)
{
	__u32 lo = first, hi = first + count;

	for (int i = 0; i < HS_UNWIND_ROW_SEARCH_STEPS && lo < hi; i++) {
		__u32 mid = lo + (hi - lo) / 2;
		const struct hs_unwind_row *row = bpf_map_lookup_elem(&unwind_rows, &mid);

		if (!row)
			return -1;
		if (row->pc <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == hi && lo != first ? (long)lo - 1 : -1;
}

static __always_inline const struct hs_unwind_row *unwind_find_row(__u32 object, __u64 vaddr)
{
	const struct hs_unwind_object *obj = bpf_map_lookup_elem(&unwind_objects, &object);
	long index;
	__u32 key;

	if (!obj || obj->row_count == 0 || vaddr > 0xffffffffull)
		return NULL;
	index = unwind_row_index(obj->first_row, obj->row_count, vaddr);
	if (index < 0)
		return NULL;
	key = index;
	return bpf_map_lookup_elem(&unwind_rows, &key);
}

/* The row for pc in this process: NULL where no table covers it. */
static __always_inline const struct hs_unwind_row *unwind_row_for(__u32 pid, __u64 pc)
{
	const struct hs_unwind_process *proc = bpf_map_lookup_elem(&unwind_processes, &pid);
	const struct hs_unwind_mapping *map;

	int index;

	if (!proc)
		return NULL;
	index = unwind_mapping_index(proc, pc);
	if (index < 0) {
		count(HS_STAT_UNWIND_UNKNOWN_PC);
		return NULL;
	}
	map = &proc->mappings[index & (HS_UNWIND_MAX_MAPPINGS - 1)];
	if (map->object == HS_UNWIND_NO_TABLE)
		return NULL;
	return unwind_find_row(map->object, pc - map->bias);
}

/*
 * The row cache: per CPU, the row last found for a pc, in one of two slots chosen by it.
 * A malloc called from a hot loop returns to the same few pcs every time; their rows
 * are found with one array lookup instead of a hash lookup and two binary searches.
 * An entry holds for one (pid, generation): userspace gives a process's mapping list a
 * new generation whenever it publishes one, so a PID reused or an object mapped where
 * another was never meets an old row.  check covers the fields: a program that
 * preempted a half-written entry on this CPU sees a mismatch, not a mixed row.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HS_UNWIND_ROW_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct hs_row_cache_entry);
} unwind_row_cache SEC(".maps");

static __always_inline __u64 row_cache_check(__u64 pc, __u32 pid, __u32 generation,
					     const struct hs_unwind_row *row)
{
	__u64 bits;

	__builtin_memcpy(&bits, row, sizeof(bits));
	return (pc ^ ((__u64)pid << 32 | generation) ^ bits) * 0x9e3779b97f4a7c15ull;
}

/* Does entry hold the row of pc for this process's mapping list? */
static __always_inline bool row_cache_holds(const struct hs_row_cache_entry *entry, __u64 pc,
					    __u32 pid, __u32 generation)
{
	return entry && entry->pc == pc && entry->pid == pid && entry->generation == generation &&
	       entry->check == row_cache_check(pc, pid, generation, &entry->row);
}

/* One of pc's two slots (way 0 or 1), each by its own multiplicative hash. */
static __always_inline struct hs_row_cache_entry *row_cache_slot(__u64 pc, int way)
{
	__u64 multiplier = way ? 0xc2b2ae3d27d4eb4full : 0x9e3779b97f4a7c15ull;
	__u32 slot = (__u32)((pc * multiplier) >> (64 - HS_UNWIND_ROW_CACHE_BITS));

	return bpf_map_lookup_elem(&unwind_row_cache, &slot);
}

/*
 * The row for pc of process pid (its list's generation) into *row, from the cache or
 * the tables (then remembered).  Returns 0 where no table covers pc.  Each pc may sit in
 * two slots: with one, two hot pcs of a walk that shared a slot evicted each other on
 * every call (seen: half of a non-PIE workload's frames searched).  A new row goes to
 * the first slot unless that holds another row of this same list, then to the second.
 * Global, like the searches: checked once, not once for every path of every step.
 */
__noinline int unwind_row_cached(__u32 pid, __u32 generation, __u64 pc, struct hs_unwind_row *row)
{
	struct hs_row_cache_entry *first = row_cache_slot(pc, 0), *second, *entry;
	const struct hs_unwind_row *found;

	if (!row)
		return 0;
	if (generation && row_cache_holds(first, pc, pid, generation)) {
		*row = first->row;
		return 1;
	}
	second = row_cache_slot(pc, 1);
	if (generation && row_cache_holds(second, pc, pid, generation)) {
		*row = second->row;
		return 1;
	}
	count(HS_STAT_UNWIND_ROW_SEARCHES);
	found = unwind_row_for(pid, pc);
	if (!found)
		return 0;
	*row = *found;
	entry = first && first->pid == pid && first->generation == generation ? second : first;
	if (entry && generation) {
		entry->pc = pc;
		entry->pid = pid;
		entry->generation = generation;
		entry->row = *row;
		entry->check = row_cache_check(pc, pid, generation, row);
	}
	return 1;
}

static __always_inline int read_word(__u64 *value, __u64 addr)
{
	return bpf_probe_read_user(value, sizeof(*value), (void *)addr);
}

/*
 * The caller's frame by the row's rule: its cfa (= its sp), return address and
 * rbp.  Returns 1 at the outermost frame or on a read that fails.
 */
static __always_inline int unwind_by_row(const struct cfi_walk *walk,
					 const struct hs_unwind_row *row, __u64 *cfa, __u64 *ra,
					 __u64 *bp)
{
	__u64 saved[2]; /* rbp saved at CFA - 16, return address: the common prologue */

	switch (row->cfa_rule) {
	case HS_CFA_RSP:
		*cfa = walk->sp + row->cfa_words * 8ull;
		break;
	case HS_CFA_RBP:
		*cfa = walk->bp + row->cfa_words * 8ull;
		break;
	case HS_CFA_PLT:
		*cfa = walk->sp + row->cfa_words * 8ull +
		       ((walk->ip & 15) >= (__u64)row->rbp_words ? 8 : 0);
		return read_word(ra, *cfa - 8) ? 1 : 0;
	default:
		return 1; /* HS_CFA_END: the stack is complete */
	}
	if (row->rbp_words == -2) {
		if (bpf_probe_read_user(saved, sizeof(saved), (void *)(*cfa - 16)))
			return 1;
		*bp = saved[0];
		*ra = saved[1];
		return 0;
	}
	if (read_word(ra, *cfa - 8))
		return 1;
	if (row->rbp_words && read_word(bp, *cfa + row->rbp_words * 8ll))
		return 1;
	return 0;
}

/* A frame-pointer step: the frame record at bp is (caller's rbp, return address). */
static __always_inline int unwind_by_frame_pointer(const struct cfi_walk *walk, __u64 *cfa,
						   __u64 *ra, __u64 *bp)
{
	__u64 record[2];

	if (walk->bp == 0 || (walk->bp & 7) ||
	    bpf_probe_read_user(record, sizeof(record), (void *)walk->bp))
		return 1;
	*bp = record[0];
	*ra = record[1];
	*cfa = walk->bp + 16;
	return 0;
}

static long cfi_step(__u32 index, struct cfi_walk *walk)
{
	struct hs_event *ev = scratch_event();
	struct hs_unwind_row row;
	__u64 cfa = 0, ra = 0, bp = walk->bp;
	int found;

	(void)index;
	if (!ev)
		return 1;
	found = unwind_row_cached(walk->pid, walk->generation,
				  walk->exact_ip ? walk->ip : walk->ip - 1, &row);
	walk->exact_ip = false;
	if (found && row.cfa_rule != HS_CFA_NONE) {
		if (unwind_by_row(walk, &row, &cfa, &ra, &bp))
			return 1;
		count(HS_STAT_UNWIND_CFI_FRAMES);
	} else {
		if (unwind_by_frame_pointer(walk, &cfa, &ra, &bp))
			return 1;
		count(HS_STAT_UNWIND_FP_FRAMES);
	}
	if (ra == 0 || cfa <= walk->sp)
		return 1; /* the outermost frame, or garbage: a caller lives further up */
	if (walk->n >= walk->limit || walk->n >= HS_MAX_FRAMES) {
		walk->truncated = true;
		return 1;
	}
	ev->frames[walk->n] = ra;
	walk->n++;
	walk->ip = ra;
	walk->sp = cfa;
	walk->bp = bp;
	return 0;
}

/*
 * Append to ev->frames (from result->n on) the return addresses above the
 * frame whose registers are ip, sp, bp.  exact_ip: ip is where the thread
 * stands (an entry probe), not a return address.
 */
static __always_inline void cfi_walk_stack(__u64 ip, __u64 sp, __u64 bp, bool exact_ip,
					   struct fp_walk *result)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	const struct hs_unwind_process *proc = bpf_map_lookup_elem(&unwind_processes, &pid);
	struct cfi_walk walk = {
		.ip = ip,
		.sp = sp,
		.bp = bp,
		.pid = pid,
		.generation = proc ? proc->generation : 0,
		.n = result->n,
		.limit = result->limit,
		.exact_ip = exact_ip,
	};

	bpf_loop(HS_MAX_FRAMES, cfi_step, &walk, 0);
	result->n = walk.n;
	result->truncated = walk.truncated;
}

#endif /* HEAPSCOPE_UNWIND_BPF_H */
