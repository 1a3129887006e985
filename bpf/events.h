/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * events.h - the one event layout shared by the BPF programs and userspace.
 *
 * Owns: the record that travels through the ring buffer, the per-CPU loss
 * counter indices and the probe kinds.  Both sides include this file, so a
 * field added here is seen by both or the build fails.
 *
 * Invariants:
 *  - An allocation or reallocation record is HS_EVENT_HDR_SIZE bytes plus
 *    nr_frames * 8: frames are sent only as far as they were captured.  A free,
 *    exec or fork record is the HS_FREE_EVENT_SIZE bytes before entry_ts_ns.
 *  - frames[] are user return addresses, leaf first: frames[0] is the return
 *    address into the function that called the allocator.
 *  - Records arrive in reservation order across CPUs (one MPSC ring), so a
 *    free in one thread follows the allocation it frees in another.
 */
#ifndef HEAPSCOPE_EVENTS_H
#define HEAPSCOPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* userspace; BPF gets the same types from vmlinux.h */
#endif

/* Deepest stack carried by one event; deeper stacks are truncated and counted. */
#define HS_MAX_FRAMES 127

enum hs_event_kind {
	HS_EV_ALLOC = 1,   /* addr: new block of size requested bytes */
	HS_EV_FREE = 2,    /* addr: block released */
	HS_EV_REALLOC = 3, /* old_addr moved/resized to addr (size bytes); addr 0: old freed */
	HS_EV_EXEC = 4,	   /* the target exec()ed: its later events belong to another program */
	HS_EV_FORK = 5,	   /* the target pid forked a new process: tid is its tgid */
};

/* Which allocator entry point a probe stands on; decides how arguments are read. */
enum hs_probe_fn {
	HS_FN_MALLOC = 0,	  /* (size) -> ptr: malloc, valloc, pvalloc */
	HS_FN_CALLOC,		  /* (n, size) -> ptr */
	HS_FN_REALLOC,		  /* (ptr, size) -> ptr */
	HS_FN_REALLOCARRAY,	  /* (ptr, n, size) -> ptr */
	HS_FN_MEMALIGN,		  /* (align, size) -> ptr: memalign, aligned_alloc */
	HS_FN_POSIX_MEMALIGN,	  /* (void **out, align, size) -> 0 on success */
	HS_FN_FREE,		  /* (ptr) */
	HS_FN_DEALLOC,		  /* (ptr, ...): released at entry like free; a return probe closes
				   * the call, so a free it makes inside counts nothing
				   * (operator delete, sdallocx, dallocx) */
	HS_FN_XALLOCX,		  /* (ptr, size, extra, flags) -> usable size, resized in place */
	HS_FN_WRAPPER,		  /* (size, ...) entry only: allocates through a probed function,
				   * whose result is reported with this call's size and caller
				   * (libstdc++'s operator new over malloc) */
	HS_FN_NEW,		  /* (size) -> ptr, may throw: an allocator's own operator new,
				   * closed by probes on its ret instructions, not a return
				   * probe, so that a std::bad_alloc can unwind through it */
	HS_FN_THROW,		  /* an exception is being thrown: an HS_FN_NEW call open
				   * above it ends, counting nothing (__cxa_allocate_exception,
				   * _Unwind_RaiseException) */
	HS_FN_COUNT,
};

/*
 * A probe's BPF cookie: the site's kind in bits 32-39 (an enum hs_probe_fn, or
 * HS_SITE_RET for a ret instruction of a throwing operator new) and, for an
 * entry probe past a few pushes, the bytes they pushed in bits 0-31.  Programs
 * attached per function read only the bytes; the uprobe_multi program also the
 * kind.
 */
#define HS_SITE_RET 0xff
#define HS_COOKIE(site, adjust_bytes) ((__u64)(site) << 32 | (__u32)(adjust_bytes))
#define HS_COOKIE_SITE(cookie) ((__u32)((cookie) >> 32) & 0xff)
#define HS_COOKIE_ADJUST(cookie) ((__u32)(cookie))
/* Bit 40 of a free or dealloc site's cookie: the blocks it releases are glibc malloc chunks,
 * whose size word sits in the 8 bytes before the block: the free record carries it. */
#define HS_COOKIE_GLIBC_CHUNK (1ull << 40)

/* Per-CPU counters.  Everything below HS_STAT_LOSS_END is a lost or unpaired event. */
enum hs_stat {
	HS_STAT_RINGBUF_FULL = 0, /* event dropped: ring buffer had no room */
	HS_STAT_PENDING_FULL,	  /* allocation not tracked: per-thread call table full */
	HS_STAT_UNMATCHED_RETURN, /* a return probe fired without its entry */
	HS_STAT_LOSS_END,
	HS_STAT_STACK_TRUNCATED = HS_STAT_LOSS_END, /* stack deeper than max frames */
	HS_STAT_NESTED_CALLS,			    /* allocator calls inside allocator calls */
	HS_STAT_STALE_ENTRIES,			    /* entry whose return never came, replaced */
	HS_STAT_EVENTS,				    /* events written to the ring buffer */
	HS_STAT_UNWIND_CFI_FRAMES,		    /* frames found through an unwind table row */
	HS_STAT_UNWIND_FP_FRAMES,		    /* ... through the frame pointer: no row there */
	HS_STAT_UNWIND_UNKNOWN_PC,		    /* pcs in no known mapping (an object loaded
						     * since attach?  userspace looks) */
	HS_STAT_NEW_THREW,			    /* HS_FN_NEW calls ended by an exception */
	HS_STAT_UNWIND_ROW_SEARCHES,		    /* pcs the row cache missed: searched */
	HS_STAT_COUNT,
};

/*
 * Field order matters: a free (and an exec) is only the first HS_FREE_EVENT_SIZE
 * bytes, written in place in the ring, so everything a free needs comes first.
 */
struct hs_event {
	__u8 kind;	   /* enum hs_event_kind */
	__u8 fn;	   /* enum hs_probe_fn */
	__u16 nr_frames;
	__u32 flags;	   /* HS_EVF_* */
	__u32 pid;	   /* tgid, root PID namespace */
	__u32 tid;
	__u64 addr;	   /* block returned (alloc/realloc) or released (free) */
	union {
		__u64 ts_ns;	  /* CLOCK_MONOTONIC when the event was emitted (not a free) */
		/* A free: the block's glibc chunk size word, as read from the target at
		 * addr - 8 (size | PREV_INUSE 1 | IS_MMAPPED 2 | NON_MAIN_ARENA 4), when
		 * its site has HS_COOKIE_GLIBC_CHUNK; 0: not glibc's, or the read failed.
		 * Untrusted: the collector bounds it (collect.c, chunk_usable_bytes). */
		__u64 chunk_word;
	};
	/* Allocations and reallocations only from here on. */
	__u64 entry_ts_ns; /* reallocations: when the outermost call was entered */
	__u64 old_addr;	   /* realloc: the block passed in */
	__u64 size;	   /* bytes the caller asked for */
	__u64 frames[HS_MAX_FRAMES];
};

#define HS_EVF_TRUNCATED 1u /* the stack had more frames than were captured */

#define HS_EVENT_HDR_SIZE ((unsigned long)&((struct hs_event *)0)->frames)
#define HS_FREE_EVENT_SIZE ((unsigned long)&((struct hs_event *)0)->entry_ts_ns)

#endif /* HEAPSCOPE_EVENTS_H */
