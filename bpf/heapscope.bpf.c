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
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before load. */
const volatile __u64 wakeup_bytes = 256 * 1024; /* pending data that forces a consumer wakeup */
const volatile __u32 max_frames = HS_MAX_FRAMES;
const volatile bool probe_only = false; /* benchmark floor: probes fire, programs do nothing */

/* Set by userspace when the session ends, before the probes are detached (which
 * takes a while, probe by probe): the session ends at one instant for every
 * probe, so no free is cut off while its allocation is still counted. */
volatile bool session_over = false;

/* Programs do nothing in the benchmark's floor mode and once the session is over. */
static __always_inline bool inactive(void)
{
	return probe_only || session_over;
}

/* An allocator call in progress on one thread. */
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
	__u16 fn;	   /* enum hs_probe_fn of the outermost call */
	__u16 inner_fn;	   /* wrapper: the probed call that makes its allocation */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by userspace (--ringbuf-size) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* threads inside an allocator call at once */
	__type(key, __u32);	    /* tid */
	__type(value, struct hs_pending);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HS_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/*
 * The processes being profiled: tgid -> the instant (bpf_ktime_get_ns) from
 * which every probe of that process was attached, written by userspace after
 * its last probe.  A call entered before then may have run with its return
 * probe not yet armed: it is not reported, and its per-thread record is never
 * mistaken for an outer call.  Per process, so attaching another process later
 * leaves the calls in flight in those already attached alone.  Also what the
 * exec tracepoint watches; userspace deletes a process once it has left.
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

/* Was the current process's call entered once all its probes were attached? */
static __always_inline bool entered_armed(__u64 entry_ts_ns)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 *armed_ns = bpf_map_lookup_elem(&targets, &tgid);

	return armed_ns && entry_ts_ns >= *armed_ns;
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
 * same stack, and tail calls (glibc's reallocarray jumps to realloc) at the
 * same stack pointer: both report through the outermost call, whose return
 * probe fires last.  An entry whose return never came (the thread died inside
 * malloc) is recognised because a new call starts above its stack pointer.
 * An entry-only wrapper (libstdc++'s operator new) has no return of its own:
 * the first probed call inside it reports for it, when that call returns.
 */
/* The stack pointer at the function's entry.  An entry-only probe may sit past
 * a few pushes (user/probe/probe_site.c); its cookie is the bytes they pushed. */
static __always_inline __u64 entry_sp(struct pt_regs *ctx)
{
	return PT_REGS_SP(ctx) + bpf_get_attach_cookie(ctx);
}

static __always_inline bool call_open(struct hs_pending *call)
{
	/* A wrapper has no return probe: it stays open until its inner call returns. */
	return call->depth > 0 || call->fn == HS_FN_WRAPPER;
}

static __always_inline bool nested_call(struct hs_pending *call, __u64 sp)
{
	return call && call_open(call) && sp <= call->entry_sp &&
	       entered_armed(call->entry_ts_ns);
}

/*
 * Start tracking a call on this thread, or, inside a call already tracked, only
 * deepen it.  fresh->depth is 1 for a call with a return probe, 0 for an
 * entry-only wrapper.  Returns true for an outermost call.
 */
static __always_inline bool enter_call(struct pt_regs *ctx, struct hs_pending *fresh)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 sp = entry_sp(ctx);
	struct hs_pending *call = bpf_map_lookup_elem(&pending, &tid);

	if (nested_call(call, sp)) {
		if (fresh->depth && call->depth++ == 0)
			call->inner_fn = fresh->fn;
		count(HS_STAT_NESTED_CALLS);
		return false;
	}
	if (call && call_open(call))
		count(HS_STAT_STALE_ENTRIES);
	fresh->entry_ts_ns = bpf_ktime_get_ns();
	fresh->entry_sp = sp;
	if (bpf_map_update_elem(&pending, &tid, fresh, BPF_ANY))
		count(HS_STAT_PENDING_FULL);
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

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size)
{
	if (inactive())
		return 0;
	return enter(ctx, HS_FN_MALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 n, __u64 size)
{
	if (inactive())
		return 0;
	return enter(ctx, HS_FN_CALLOC, product_or_max(n, size), 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 old_addr, __u64 size)
{
	if (inactive())
		return 0;
	return enter(ctx, HS_FN_REALLOC, size, old_addr, 0);
}

SEC("uprobe")
int BPF_KPROBE(reallocarray_enter, __u64 old_addr, __u64 n, __u64 size)
{
	if (inactive())
		return 0;
	return enter(ctx, HS_FN_REALLOCARRAY, product_or_max(n, size), old_addr, 0);
}

SEC("uprobe")
int BPF_KPROBE(memalign_enter, __u64 align, __u64 size)
{
	(void)align;
	if (inactive())
		return 0;
	return enter(ctx, HS_FN_MEMALIGN, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, __u64 out_ptr, __u64 align, __u64 size)
{
	(void)align;
	if (inactive())
		return 0;
	return enter(ctx, HS_FN_POSIX_MEMALIGN, size, 0, out_ptr);
}

SEC("uprobe")
int BPF_KPROBE(xallocx_enter, __u64 addr, __u64 size, __u64 extra)
{
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
SEC("uprobe")
int BPF_KPROBE(wrapper_enter, __u64 size)
{
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

static __always_inline void emit_free(__u64 addr, __u8 fn)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct hs_event *ev = scratch_event();

	if (!ev)
		return;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->entry_ts_ns = ev->ts_ns;
	ev->addr = addr;
	ev->old_addr = 0;
	ev->size = 0;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->kind = HS_EV_FREE;
	ev->fn = fn;
	ev->nr_frames = 0;
	ev->flags = 0;
	emit(ev);
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 addr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hs_pending *call;

	if (inactive() || addr == 0)
		return 0;
	call = bpf_map_lookup_elem(&pending, &tid);
	if (nested_call(call, entry_sp(ctx))) {
		count(HS_STAT_NESTED_CALLS); /* e.g. realloc releasing its old block */
		return 0;
	}
	emit_free(addr, HS_FN_FREE);
	return 0;
}

/* operator delete, sdallocx, dallocx: released at entry like free; the call is
 * tracked until it returns, so the free it may call inside is nested. */
SEC("uprobe")
int BPF_KPROBE(dealloc_enter, __u64 addr)
{
	struct hs_pending fresh = {
		.old_addr = addr,
		.depth = 1,
		.fn = HS_FN_DEALLOC,
	};

	if (inactive())
		return 0;
	if (enter_call(ctx, &fresh) && addr)
		emit_free(addr, HS_FN_DEALLOC);
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
	__u32 tid = (__u32)pid_tgid;
	struct hs_event *ev;
	__u64 addr;
	__u8 kind;

	kind = entered_armed(call->entry_ts_ns) ? outcome(call, ret, &addr) : 0;
	ev = kind ? scratch_event() : 0;
	if (ev) {
		ev->ts_ns = bpf_ktime_get_ns();
		ev->entry_ts_ns = call->entry_ts_ns;
		ev->addr = addr;
		ev->old_addr = call->old_addr;
		ev->size = call->size;
		ev->pid = pid_tgid >> 32;
		ev->tid = tid;
		ev->kind = kind;
		ev->fn = call->fn;
		/* Not at the caller's return address: from the caller's saved registers. */
		if (call->fn == HS_FN_WRAPPER || call->fn == HS_FN_NEW)
			capture_caller_stack(ctx, call, ev);
		else
			capture_stack(ctx, ev);
	}
	bpf_map_delete_elem(&pending, &tid);
	if (ev)
		emit(ev);
}

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hs_pending *call;

	if (inactive())
		return 0;
	call = bpf_map_lookup_elem(&pending, &tid);
	if (!call || call->depth == 0) {
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
 * A target that exec()s keeps its PID and, since uprobes follow the file, may
 * keep firing probes from a new program whose addresses mean something else.
 * The exec event marks the point in the event order after which that PID's
 * events are not the profiled program's.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(target_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = task->tgid;
	struct hs_event *ev;

	(void)old_pid;
	(void)bprm;
	if (session_over || !bpf_map_lookup_elem(&targets, &tgid) || !(ev = scratch_event()))
		return 0;
	__builtin_memset(ev, 0, HS_EVENT_HDR_SIZE);
	ev->ts_ns = bpf_ktime_get_ns();
	ev->pid = tgid;
	ev->tid = task->pid;
	ev->kind = HS_EV_EXEC;
	emit(ev);
	return 0;
}
