// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * heapscope.bpf.c - uprobes on the target's allocator; one ring-buffer event per
 * outermost allocation, reallocation or free.
 *
 * Owns: pairing an allocator call's entry with its return (per thread), deciding
 * which calls count (the outermost one only), capturing the user stack and
 * counting every event it could not deliver.
 * Does not own: which functions are probed or where (userspace attaches these
 * programs per target PID at offsets it computed), nor what an event means for
 * the live heap (the collector decides).
 *
 * Why the stack is captured at return: at the return probe the callee has
 * restored the caller's rbp and rsp, and the instruction pointer is the return
 * address into the caller, so the immediate caller is frames[0] and the walk
 * continues from the caller's own registers; it never has to guess how far the
 * allocator got into its own prologue.  It is the same address a walk from the
 * entry probe reads at *(u64 *)sp.  The walk uses the unwind tables built from
 * the target's CFI where they exist (unwind.bpf.h: code without frame
 * pointers, glibc's strdup, libstdc++'s operator new) and the frame-pointer
 * chain otherwise (--unwind fp, or a pc no table covers).
 *
 * Why free is emitted at entry: a free must reach the collector before another
 * thread's allocation can return the same address, and the ring buffer orders
 * records by reservation time.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before load. */
const volatile __u64 wakeup_bytes = 256 * 1024; /* pending data that forces a consumer wakeup */
const volatile __u32 max_frames = HS_MAX_FRAMES;
const volatile bool probe_only = false; /* benchmark floor: probes fire, programs do nothing */
/* With probe_only, each run reserves and discards one free-sized ring record: make bench
 * tells a record's cost from the floor's (--probe-only=record). */
const volatile bool probe_only_record = false;

/* Set by userspace when the session ends, before the probes are detached (which
 * takes a while, probe by probe): the session ends at one instant for every
 * probe, so no free is cut off while its allocation is still counted. */
volatile bool session_over = false;

/* Bumped by userspace after each change to targets: a thread re-reads its
 * process's entry only when it moved, instead of a hash lookup per call. */
volatile __u32 targets_gen = 0;

/* An allocator call in progress on one thread (open while call_open() says so). */
struct hs_pending {
	__u64 size;
	__u64 old_addr;	   /* realloc's input block */
	union {
		__u64 out_ptr; /* posix_memalign's void ** */
		__u64 extra;   /* xallocx's optional extra bytes */
	};
	__u64 entry_ts_ns;
	__u64 entry_sp;	   /* stack pointer at the outermost entry: deeper calls are nested */
	__u64 caller_ip;   /* wrapper, throwing new: its return address, where the caller resumes */
	__u64 caller_fp;   /* wrapper, throwing new: the caller's frame pointer at entry */
	__u32 depth;	   /* probed calls with a return probe in progress, outermost included */
	__u8 fn;	   /* enum hs_probe_fn of the outermost call; HS_FN_COUNT: none open */
	__u8 inner_fn;	   /* wrapper: the probed call that makes its allocation */
	bool armed;	   /* entered once all of its process's probes were attached */
};

/*
 * One thread's state, in task-local storage: it lives exactly as long as the
 * thread, so a thread that dies inside an allocator call leaves nothing behind
 * that a later thread with the same TID could mistake for its own open call.
 * It stays allocated between calls (closing a call is a store, not a delete).
 */
struct hs_thread {
	struct hs_pending call;
	__u32 targets_gen; /* the targets_gen is_target was read at */
	bool is_target;	   /* its process is in targets (armed) */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by userspace (--ringbuf-size) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hs_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HS_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/*
 * The processes being profiled, added by userspace once every probe of the
 * process is attached (the value, that instant on bpf_ktime_get_ns's clock, is
 * for userspace): a call entered before then may have run with its return
 * probe not yet armed, so it is not reported, and its per-thread record is
 * never mistaken for an outer call.  Per process, so attaching another process
 * later leaves the calls in flight in those already attached alone.  Also what
 * the exec tracepoint watches; userspace deletes a process once it has left.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} targets SEC(".maps");

/* A wrapper's caller's registers, rebuilt to capture its stack (too large for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_regs);
} caller_regs SEC(".maps");

/* The event under construction: too large for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_event);
} scratch SEC(".maps");

/* Programs do nothing in the benchmark's floor mode and once the session is over. */
static __always_inline bool inactive(void)
{
	if (probe_only && probe_only_record) {
		void *record = bpf_ringbuf_reserve(&events, HS_FREE_EVENT_SIZE, 0);

		if (record)
			bpf_ringbuf_discard(record, BPF_RB_NO_WAKEUP);
	}
	return probe_only || session_over;
}

static __always_inline void count(__u32 stat)
{
	__u64 *value = bpf_map_lookup_elem(&stats, &stat);

	if (value)
		*value += 1;
}

static __always_inline struct hs_event *scratch_event(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/* The current thread's state; created on its first allocator call when create. */
static __always_inline struct hs_thread *current_thread(bool create)
{
	return bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/*
 * Is a call this thread enters now armed: are all its process's probes
 * attached?  Its process is in targets from then on (until it leaves); targets
 * is read again only when userspace has changed it.  A call entered before
 * then may have run with its return probe not yet attached: it is not
 * reported, and never taken for an outer call.
 */
static __always_inline bool entering_armed(struct hs_thread *thread)
{
	__u32 gen = targets_gen;

	if (thread->targets_gen != gen) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		thread->is_target = bpf_map_lookup_elem(&targets, &tgid) != NULL;
		thread->targets_gen = gen;
	}
	return thread->is_target;
}

/* Batched wakeups: the consumer polls with a timeout and is woken only when a
 * sizeable amount of data waits, so a busy target does not pay for a wakeup on
 * every allocation. */
static __always_inline __u64 wakeup_flag(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(struct hs_event *ev)
{
	__u64 frames = ev->nr_frames;

	if (frames > HS_MAX_FRAMES)
		frames = HS_MAX_FRAMES;
	if (bpf_ringbuf_output(&events, ev, HS_EVENT_HDR_SIZE + frames * sizeof(__u64), wakeup_flag())) {
		count(HS_STAT_RINGBUF_FULL);
		return;
	}
	count(HS_STAT_EVENTS);
}

/* One step of the frame-pointer walk, run by bpf_loop. */
struct fp_walk {
	__u64 fp;
	__u32 n;
	__u32 limit;
	bool truncated;
};

static long fp_step(__u32 index, struct fp_walk *walk)
{
	struct hs_event *ev = scratch_event();
	__u64 frame[2]; /* saved rbp, return address */

	(void)index;
	if (!ev || walk->fp == 0 || (walk->fp & 7))
		return 1;
	if (bpf_probe_read_user(frame, sizeof(frame), (void *)walk->fp))
		return 1;
	if (frame[1] == 0)
		return 1; /* outermost frame */
	if (walk->n >= walk->limit || walk->n >= HS_MAX_FRAMES) {
		walk->truncated = true;
		return 1;
	}
	ev->frames[walk->n] = frame[1];
	walk->n++;
	if (frame[0] <= walk->fp)
		return 1; /* a frame chain only goes up the stack; anything else is garbage */
	walk->fp = frame[0];
	return 0;
}

#include "unwind.bpf.h"

/* Fill ev->frames from the caller's registers at the return probe. */
static __always_inline void capture_stack(struct pt_regs *ctx, struct hs_event *ev)
{
	struct fp_walk walk = {
		.fp = PT_REGS_FP(ctx),
		.n = 1,
		.limit = max_frames,
	};

	ev->frames[0] = PT_REGS_IP(ctx);
	if (unwind_with_tables)
		cfi_walk_stack(PT_REGS_IP(ctx), PT_REGS_SP(ctx), PT_REGS_FP(ctx), false, &walk);
	else
		bpf_loop(HS_MAX_FRAMES, fp_step, &walk, 0);
	ev->nr_frames = walk.n;
	ev->flags = 0;
	if (walk.truncated) {
		ev->flags |= HS_EVF_TRUNCATED;
		count(HS_STAT_STACK_TRUNCATED);
	}
}

/*
 * Is the thread already inside a probed allocator call?  Nested calls (glibc's
 * realloc(p, 0) entering free, operator new calling malloc) run deeper on the
 * same stack, or at the same stack pointer as tail calls, and report through the
 * outermost call, whose return probe fires last.  An entry whose return never
 * came is recognised because a new call starts above its stack pointer, or
 * (under_way, below) its return-address slot no longer holds the trampoline.
 * An entry-only wrapper (libstdc++'s operator new) has no return of its own:
 * the first probed call inside it reports for it, when that call returns.
 */
/* The stack pointer at the function's entry.  An entry-only probe may sit past
 * a few pushes (user/probe/probe_site.c); its cookie is the bytes they pushed. */
static __always_inline __u64 entry_sp(struct pt_regs *ctx)
{
	return PT_REGS_SP(ctx) + HS_COOKIE_ADJUST(bpf_get_attach_cookie(ctx));
}

static __always_inline bool call_open(struct hs_pending *call)
{
	/* A wrapper has no return probe: it stays open until its inner call returns. */
	return call->depth > 0 || call->fn == HS_FN_WRAPPER;
}

/*
 * Where this process's hijacked returns go: the kernel's return-probe trampoline,
 * the first slot of its "[uprobes]" mapping.  0 before the process has one, or on a
 * kernel whose types do not say (the program still loads: the reads are left out).
 */
static __always_inline __u64 uretprobe_trampoline(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct xol_area *area;

	if (!bpf_core_field_exists(struct mm_struct, uprobes_state) ||
	    !bpf_core_field_exists(struct xol_area, vaddr))
		return 0;
	area = BPF_CORE_READ(task, mm, uprobes_state.xol_area);
	return area ? BPF_CORE_READ(area, vaddr) : 0;
}

/*
 * Is the open call still under way?  A call entered at or below its stack pointer
 * is then nested in it: run by the allocator (glibc's realloc(p, 0) frees p) or
 * tail-called by it, at the same stack pointer (glibc's reallocarray jumps to
 * realloc, tcmalloc's pvalloc to memalign, operator delete to free).  But its
 * return may never come: the program left it by longjmp, or the kernel did not
 * prepare its return probe.  Then the next call of its caller's frame comes at
 * that same stack pointer, and deeper frames' below it; taken as nested, they
 * would all be dropped, silently.  The open call's return-address slot tells:
 * under way, it holds the trampoline its return probe put there; left, whatever
 * the caller's later calls wrote over it (a return address).  Functions without a
 * return probe of their own (a wrapper, a throwing operator new) leave nothing to
 * look at, and a deallocation runs free on every C++ delete: those nest without
 * the look (a user read and three kernel reads, on this path only).  When the slot
 * cannot be read or the process has no trampoline yet: nested, as before.
 */
static __always_inline bool under_way(struct hs_pending *call)
{
	__u64 slot, trampoline;

	if (call->fn == HS_FN_NEW || call->fn == HS_FN_WRAPPER || call->fn == HS_FN_DEALLOC)
		return true;
	trampoline = uretprobe_trampoline();
	if (!trampoline ||
	    bpf_probe_read_user(&slot, sizeof(slot), (void *)call->entry_sp))
		return true;
	return slot == trampoline;
}

/* An armed call is open and sp is at or below its entry: nested, if it is under way. */
static __always_inline bool open_above(struct hs_pending *call, __u64 sp)
{
	return call && call_open(call) && call->armed && sp <= call->entry_sp;
}

static __always_inline bool nested_call(struct hs_pending *call, __u64 sp)
{
	return open_above(call, sp) && under_way(call);
}

/* The call is over: the record stays for the thread's next call. */
static __always_inline void close_call(struct hs_pending *call)
{
	call->depth = 0;
	call->fn = HS_FN_COUNT;
}

/* This thread's call record, or NULL when it never called. */
static __always_inline struct hs_pending *current_call(void)
{
	struct hs_thread *thread = current_thread(false);

	return thread ? &thread->call : NULL;
}

/*
 * Start tracking a call on this thread, or, inside a call already tracked, only
 * deepen it.  fresh->depth is 1 for a call with a return probe, 0 for an
 * entry-only wrapper.  Returns true for an outermost call.
 */
static __always_inline bool enter_call(struct pt_regs *ctx, struct hs_pending *fresh)
{
	struct hs_thread *thread = current_thread(true);
	__u64 sp = entry_sp(ctx);

	if (!thread) {
		count(HS_STAT_PENDING_FULL);
		return true;
	}
	if (nested_call(&thread->call, sp)) {
		if (fresh->depth && thread->call.depth++ == 0)
			thread->call.inner_fn = fresh->fn;
		count(HS_STAT_NESTED_CALLS);
		return false;
	}
	if (call_open(&thread->call))
		count(HS_STAT_STALE_ENTRIES);
	/* Only a reallocation's event needs when it began (collect.c, record_realloc):
	 * reading the clock costs a trap to the hypervisor on some VMs. */
	if (fresh->fn == HS_FN_REALLOC || fresh->fn == HS_FN_REALLOCARRAY ||
	    fresh->fn == HS_FN_XALLOCX)
		fresh->entry_ts_ns = bpf_ktime_get_ns();
	fresh->entry_sp = sp;
	fresh->armed = entering_armed(thread);
	thread->call = *fresh;
	return true;
}

static __always_inline int enter(struct pt_regs *ctx, __u32 fn, __u64 size, __u64 old_addr,
				 __u64 out_ptr)
{
	struct hs_pending fresh = {
		.size = size,
		.old_addr = old_addr,
		.out_ptr = out_ptr,
		.depth = 1,
		.fn = fn,
	};

	enter_call(ctx, &fresh);
	return 0;
}

static __always_inline __u64 product_or_max(__u64 n, __u64 size)
{
	__u64 bytes = n * size;

	/* Division, not a 128-bit multiply: BPF has no __multi3.  An overflowing
	 * request fails in the allocator; the NULL return then says so. */
	barrier_var(bytes);
	if (size && bytes / size != n)
		return ~0ULL;
	return bytes;
}

static __always_inline int on_malloc_enter(struct pt_regs *ctx)
{
	__u64 size = PT_REGS_PARM1(ctx);

	if (inactive())
		return 0;
	return enter(ctx, HS_FN_MALLOC, size, 0, 0);
}

static __always_inline int on_calloc_enter(struct pt_regs *ctx)
{
	__u64 n = PT_REGS_PARM1(ctx);
	__u64 size = PT_REGS_PARM2(ctx);

	if (inactive())
		return 0;
	return enter(ctx, HS_FN_CALLOC, product_or_max(n, size), 0, 0);
}

static __always_inline int on_realloc_enter(struct pt_regs *ctx)
{
	__u64 old_addr = PT_REGS_PARM1(ctx);
	__u64 size = PT_REGS_PARM2(ctx);

	if (inactive())
		return 0;
	return enter(ctx, HS_FN_REALLOC, size, old_addr, 0);
}

static __always_inline int on_reallocarray_enter(struct pt_regs *ctx)
{
	__u64 old_addr = PT_REGS_PARM1(ctx);
	__u64 n = PT_REGS_PARM2(ctx);
	__u64 size = PT_REGS_PARM3(ctx);

	if (inactive())
		return 0;
	return enter(ctx, HS_FN_REALLOCARRAY, product_or_max(n, size), old_addr, 0);
}

static __always_inline int on_memalign_enter(struct pt_regs *ctx)
{
	__u64 size = PT_REGS_PARM2(ctx);

	if (inactive())
		return 0;
	return enter(ctx, HS_FN_MEMALIGN, size, 0, 0);
}

static __always_inline int on_posix_memalign_enter(struct pt_regs *ctx)
{
	__u64 out_ptr = PT_REGS_PARM1(ctx);
	__u64 size = PT_REGS_PARM3(ctx);

	if (inactive())
		return 0;
	return enter(ctx, HS_FN_POSIX_MEMALIGN, size, 0, out_ptr);
}

static __always_inline int on_xallocx_enter(struct pt_regs *ctx)
{
	__u64 addr = PT_REGS_PARM1(ctx);
	__u64 size = PT_REGS_PARM2(ctx);
	__u64 extra = PT_REGS_PARM3(ctx);
	struct hs_pending fresh = {
		.size = size,
		.old_addr = addr,
		.extra = extra,
		.depth = 1,
		.fn = HS_FN_XALLOCX,
	};

	if (inactive())
		return 0;
	enter_call(ctx, &fresh);
	return 0;
}

/* Keep the caller's return address and frame pointer: the stack of a call that is
 * not reported at its own return is rebuilt from them (capture_caller_stack). */
static __always_inline void save_caller(struct pt_regs *ctx, struct hs_pending *fresh)
{
	fresh->caller_fp = PT_REGS_FP(ctx);
	/* At the entry instruction the stack pointer points at the return address. */
	if (bpf_probe_read_user(&fresh->caller_ip, sizeof(fresh->caller_ip), (void *)entry_sp(ctx)))
		fresh->caller_ip = 0;
}

/*
 * libstdc++'s operator new: entry only.  A return probe would hijack its
 * return address, and a std::bad_alloc thrown out of it could then not be
 * unwound (the return trampoline has no unwind info): the process would
 * terminate.  Its malloc reports instead, with new's size and the stack of
 * new's caller, rebuilt from the registers saved here.
 */
static __always_inline int on_wrapper_enter(struct pt_regs *ctx)
{
	__u64 size = PT_REGS_PARM1(ctx);
	struct hs_pending fresh = {
		.size = size,
		.depth = 0,
		.fn = HS_FN_WRAPPER,
	};

	if (inactive())
		return 0;
	save_caller(ctx, &fresh);
	enter_call(ctx, &fresh);
	return 0;
}

/*
 * The size word of a glibc chunk being freed, for the collector to count the bytes
 * of blocks allocated before attach (unknown frees): at entry the chunk is still
 * in use and its header untouched.  Only on sites userspace marked as releasing
 * glibc chunks (HS_COOKIE_GLIBC_CHUNK); a failed read gives 0.
 */
static __always_inline __u64 glibc_chunk_word(struct pt_regs *ctx, __u64 addr)
{
	__u64 word;

	if (!(bpf_get_attach_cookie(ctx) & HS_COOKIE_GLIBC_CHUNK) ||
	    bpf_probe_read_user(&word, sizeof(word), (void *)(addr - sizeof(word))))
		return 0;
	return word;
}

/* A free is the short record (HS_FREE_EVENT_SIZE), written in place in the ring. */
static __always_inline void emit_free(__u64 addr, __u8 fn, __u64 chunk_word)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct hs_event *ev = bpf_ringbuf_reserve(&events, HS_FREE_EVENT_SIZE, 0);

	if (!ev) {
		count(HS_STAT_RINGBUF_FULL);
		return;
	}
	ev->kind = HS_EV_FREE;
	ev->fn = fn;
	ev->nr_frames = 0;
	ev->flags = 0;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->addr = addr;
	/* No time: nothing downstream asks when a block was freed, and reading the
	 * clock costs a trap to the hypervisor on some VMs (the coarse clock is not
	 * allowed here: it takes a seqlock, unsafe in NMI).  Its place holds the
	 * chunk's size word instead. */
	ev->chunk_word = chunk_word;
	bpf_ringbuf_submit(ev, wakeup_flag());
	count(HS_STAT_EVENTS);
}

static __always_inline int on_free_enter(struct pt_regs *ctx)
{
	__u64 addr = PT_REGS_PARM1(ctx);
	struct hs_pending *call;
	__u64 sp;

	if (inactive() || addr == 0)
		return 0;
	call = current_call();
	sp = entry_sp(ctx);
	if (open_above(call, sp)) {
		if (under_way(call)) {
			count(HS_STAT_NESTED_CALLS); /* e.g. realloc releasing its old block */
			return 0;
		}
		/* a call whose return never came: over, or it would hide the caller's
		 * deeper calls */
		count(HS_STAT_STALE_ENTRIES);
		close_call(call);
	}
	emit_free(addr, HS_FN_FREE, glibc_chunk_word(ctx, addr));
	return 0;
}

/* operator delete, sdallocx, dallocx: released at entry like free; the call is
 * tracked until it returns, so the free it may call inside is nested. */
static __always_inline int on_dealloc_enter(struct pt_regs *ctx)
{
	__u64 addr = PT_REGS_PARM1(ctx);
	struct hs_pending fresh = {
		.old_addr = addr,
		.depth = 1,
		.fn = HS_FN_DEALLOC,
	};

	if (inactive())
		return 0;
	if (enter_call(ctx, &fresh) && addr)
		emit_free(addr, HS_FN_DEALLOC, glibc_chunk_word(ctx, addr));
	return 0;
}

/* What the outermost call produced: the kind of event, or 0 when nothing changed
 * (a failed allocation, a failed realloc that keeps its old block). */
static __always_inline __u8 outcome(struct hs_pending *call, __u64 ret, __u64 *addr)
{
	*addr = ret;
	switch (call->fn) {
	case HS_FN_DEALLOC:
		return 0; /* reported at entry */
	case HS_FN_XALLOCX:
		/* The usable size it returns is below size when the block could not be
		 * resized; then nothing changed.  Otherwise the block is what was asked
		 * for, as far as it was granted. */
		if (!call->old_addr || ret < call->size)
			return 0;
		*addr = call->old_addr;
		if (call->size + call->extra >= call->size && ret > call->size + call->extra)
			ret = call->size + call->extra;
		call->size = ret;
		return HS_EV_REALLOC;
	case HS_FN_WRAPPER:
		/* Reported through the inner call, when it returns a new block. */
		if (call->inner_fn != HS_FN_MALLOC && call->inner_fn != HS_FN_CALLOC &&
		    call->inner_fn != HS_FN_MEMALIGN)
			return 0;
		return ret ? HS_EV_ALLOC : 0;
	case HS_FN_POSIX_MEMALIGN:
		if ((int)ret != 0 || bpf_probe_read_user(addr, sizeof(*addr), (void *)call->out_ptr))
			return 0;
		return *addr ? HS_EV_ALLOC : 0;
	case HS_FN_REALLOC:
	case HS_FN_REALLOCARRAY:
		if (call->old_addr == 0)
			return ret ? HS_EV_ALLOC : 0;
		if (ret)
			return HS_EV_REALLOC;
		/* realloc(p, 0) returning NULL has freed p; any other NULL is a failure. */
		return call->size == 0 ? HS_EV_REALLOC : 0;
	default:
		return ret ? HS_EV_ALLOC : 0;
	}
}

/* A wrapper's allocation belongs to the wrapper's caller: capture the stack
 * from the registers that caller will have when the wrapper returns. */
static __always_inline void capture_caller_stack(struct pt_regs *ctx, struct hs_pending *call,
						 struct hs_event *ev)
{
	__u32 zero = 0;
	struct pt_regs *regs = bpf_map_lookup_elem(&caller_regs, &zero);

	if (!regs) {
		ev->nr_frames = 0;
		ev->flags = 0;
		return;
	}
	__builtin_memcpy(regs, ctx, sizeof(*regs));
	regs->ip = call->caller_ip;
	regs->sp = call->entry_sp + sizeof(__u64);
	regs->bp = call->caller_fp;
	capture_stack(regs, ev);
}

/*
 * The outermost call returned ret: report what it did and forget it.  From its
 * return probe, or for HS_FN_NEW from the probe on the ret instruction it left
 * by (exception_guard.bpf.h).
 */
static __always_inline void finish_call(struct pt_regs *ctx, struct hs_pending *call, __u64 ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct hs_event *ev;
	__u64 addr;
	__u8 kind;

	kind = call->armed ? outcome(call, ret, &addr) : 0;
	ev = kind ? scratch_event() : 0;
	if (ev) {
		ev->ts_ns = bpf_ktime_get_ns();
		ev->entry_ts_ns = call->entry_ts_ns;
		ev->addr = addr;
		ev->old_addr = call->old_addr;
		ev->size = call->size;
		ev->pid = pid_tgid >> 32;
		ev->tid = (__u32)pid_tgid;
		ev->kind = kind;
		ev->fn = call->fn;
		/* Not at the caller's return address: from the caller's saved registers. */
		if (call->fn == HS_FN_WRAPPER || call->fn == HS_FN_NEW)
			capture_caller_stack(ctx, call, ev);
		else
			capture_stack(ctx, ev);
	}
	close_call(call);
	if (ev)
		emit(ev);
}

static __always_inline int on_alloc_return(struct pt_regs *ctx)
{
	__u64 ret = PT_REGS_RC(ctx);
	struct hs_thread *thread;
	struct hs_pending *call;

	if (inactive())
		return 0;
	thread = current_thread(false);
	call = thread ? &thread->call : NULL;
	if (!call || call->depth == 0) {
		/* A return whose entry ran before the entry probe was attached (attach.c
		 * attaches returns first) comes before the thread's first armed call since
		 * its process was armed: no loss.  After one, a return without its entry is. */
		if (thread && call->armed && entering_armed(thread))
			count(HS_STAT_UNMATCHED_RETURN);
		return 0;
	}
	if (--call->depth > 0)
		return 0; /* an inner call returned; the outermost one reports */
	/* The outermost call with a return probe is done (for a wrapper: its inner call). */
	finish_call(ctx, call, ret);
	return 0;
}

#include "exception_guard.bpf.h"

/*
 * The programs.  Attached one perf-event link per probe (the fallback), each
 * site gets the program of its function.  Attached as uprobe_multi links
 * (kernel >= 6.6), all entry-side sites of one object and process share one
 * link to site_enter and all return probes one link to site_return: the cookie
 * says what each site is (HS_COOKIE), and detaching a process costs two links
 * instead of one per probe.  The bodies are the same inline functions.
 */
SEC("uprobe")
int malloc_enter(struct pt_regs *ctx)
{
	return on_malloc_enter(ctx);
}

SEC("uprobe")
int calloc_enter(struct pt_regs *ctx)
{
	return on_calloc_enter(ctx);
}

SEC("uprobe")
int realloc_enter(struct pt_regs *ctx)
{
	return on_realloc_enter(ctx);
}

SEC("uprobe")
int reallocarray_enter(struct pt_regs *ctx)
{
	return on_reallocarray_enter(ctx);
}

SEC("uprobe")
int memalign_enter(struct pt_regs *ctx)
{
	return on_memalign_enter(ctx);
}

SEC("uprobe")
int posix_memalign_enter(struct pt_regs *ctx)
{
	return on_posix_memalign_enter(ctx);
}

SEC("uprobe")
int xallocx_enter(struct pt_regs *ctx)
{
	return on_xallocx_enter(ctx);
}

SEC("uprobe")
int wrapper_enter(struct pt_regs *ctx)
{
	return on_wrapper_enter(ctx);
}

SEC("uprobe")
int free_enter(struct pt_regs *ctx)
{
	return on_free_enter(ctx);
}

SEC("uprobe")
int dealloc_enter(struct pt_regs *ctx)
{
	return on_dealloc_enter(ctx);
}

SEC("uprobe")
int new_enter(struct pt_regs *ctx)
{
	return on_new_enter(ctx);
}

SEC("uprobe")
int new_ret(struct pt_regs *ctx)
{
	return on_new_ret(ctx);
}

SEC("uprobe")
int exception_thrown(struct pt_regs *ctx)
{
	return on_exception_thrown(ctx);
}

SEC("uretprobe")
int alloc_return(struct pt_regs *ctx)
{
	return on_alloc_return(ctx);
}

/* Loaded for uprobe_multi links only (userspace sets the attach type). */
SEC("uprobe")
int site_enter(struct pt_regs *ctx)
{
	switch (HS_COOKIE_SITE(bpf_get_attach_cookie(ctx))) {
	case HS_FN_MALLOC:
		return on_malloc_enter(ctx);
	case HS_FN_CALLOC:
		return on_calloc_enter(ctx);
	case HS_FN_REALLOC:
		return on_realloc_enter(ctx);
	case HS_FN_REALLOCARRAY:
		return on_reallocarray_enter(ctx);
	case HS_FN_MEMALIGN:
		return on_memalign_enter(ctx);
	case HS_FN_POSIX_MEMALIGN:
		return on_posix_memalign_enter(ctx);
	case HS_FN_FREE:
		return on_free_enter(ctx);
	case HS_FN_DEALLOC:
		return on_dealloc_enter(ctx);
	case HS_FN_XALLOCX:
		return on_xallocx_enter(ctx);
	case HS_FN_WRAPPER:
		return on_wrapper_enter(ctx);
	case HS_FN_NEW:
		return on_new_enter(ctx);
	case HS_FN_THROW:
		return on_exception_thrown(ctx);
	case HS_SITE_RET:
		return on_new_ret(ctx);
	default:
		return 0;
	}
}

SEC("uretprobe")
int site_return(struct pt_regs *ctx)
{
	return on_alloc_return(ctx);
}

/*
 * A target's process event (exec, fork) in a short record, with a wakeup: userspace
 * re-plans that process at once rather than at its next poll.  pid: the target's
 * tgid; tid: the exec()ing thread, or the forked child's tgid.
 */
static __always_inline void emit_process_event(__u8 kind, __u32 pid, __u32 tid)
{
	struct hs_event *ev = bpf_ringbuf_reserve(&events, HS_FREE_EVENT_SIZE, 0);

	if (!ev) {
		count(HS_STAT_RINGBUF_FULL);
		return;
	}
	__builtin_memset(ev, 0, HS_FREE_EVENT_SIZE);
	ev->kind = kind;
	ev->pid = pid;
	ev->tid = tid;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
	count(HS_STAT_EVENTS);
}

/*
 * A target that exec()s keeps its PID and, since uprobes follow the file, may
 * keep firing probes from a new program whose addresses mean something else.
 * The exec event marks the point in the event order after which that PID's
 * events are not the profiled program's.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(target_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = task->tgid;

	(void)old_pid;
	(void)bprm;
	if (session_over || !bpf_map_lookup_elem(&targets, &tgid))
		return 0;
	emit_process_event(HS_EV_EXEC, tgid, task->pid);
	return 0;
}

/*
 * --follow: a target forked a new process (not a thread, nor a child sharing its
 * memory, as vfork()'s does until it exec()s): userspace is told at once, woken, and
 * attaches the child without waiting for its next /proc scan.  Attached only with
 * --follow; the child's tgid is its first thread's id.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(target_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = parent->tgid;

	if (session_over || child->tgid == tgid || child->mm == parent->mm ||
	    !bpf_map_lookup_elem(&targets, &tgid))
		return 0;
	emit_process_event(HS_EV_FORK, tgid, child->tgid);
	return 0;
}
