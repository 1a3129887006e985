// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * leak_roots.c - the roots of one leak check, from the copy: every copied region minus
 * what is left out (the walked arenas and the nodes), plus every stopped thread's stack
 * from its stack pointer, its TLS, and its registers.  Split from leak_check.c, which
 * runs the steps; the address ranges here are also what it uses to tell stale blocks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "reach/leak_nodes.h"

/* An address range the roots leave out. */
int leak_add_range(struct ranges *r, uint64_t start, uint64_t end)
{
	if (end <= start)
		return 0;
	if (hs_array_reserve((void **)&r->items, &r->cap, r->count, sizeof(*r->items), 256))
		return -ENOMEM;
	r->items[r->count++] = (struct range){ start, end };
	return 0;
}

int leak_by_start(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start != y->start ? (x->start < y->start ? -1 : 1) : 0;
}

/* [start, end) lies in one of r's ranges (sorted by start, disjoint). */
bool leak_inside(const struct ranges *r, uint64_t start, uint64_t end)
{
	const struct range key = { .start = start };
	/* the last range starting at or below start is the only one that can hold it */
	size_t at_or_below = hs_array_upper_bound(r->items, r->count, sizeof(*r->items), &key,
						  leak_by_start);

	return at_or_below && end <= r->items[at_or_below - 1].end;
}

int leak_add_span(struct spans *s, uint64_t start, uint64_t end, const unsigned char *bytes)
{
	if (end <= start)
		return 0;
	if (hs_array_reserve((void **)&s->items, &s->cap, s->count, sizeof(*s->items), 256))
		return -ENOMEM;
	s->items[s->count++] = (struct hs_reach_span){ start, end, bytes };
	return 0;
}

/* Every region minus the excluded ranges (sorted, may overlap) as root spans. */
int leak_subtract(const struct hs_freeze *f, const struct ranges *excluded, struct spans *roots)
{
	size_t e = 0;
	int err = 0;

	for (size_t i = 0; !err && i < f->region_count; i++) {
		const struct hs_freeze_region *r = &f->regions[i];
		uint64_t at = r->start;

		while (e > 0 && excluded->items[e - 1].end > r->start)
			e--; /* a long range may cover this region too */
		while (e < excluded->count && excluded->items[e].end <= r->start)
			e++;
		for (size_t x = e; !err && x < excluded->count && excluded->items[x].start < r->end;
		     x++) {
			if (excluded->items[x].start > at)
				err = leak_add_span(roots, at, excluded->items[x].start,
					       r->bytes + (at - r->start));
			if (excluded->items[x].end > at)
				at = excluded->items[x].end;
		}
		if (!err && at < r->end)
			err = leak_add_span(roots, at, r->end, r->bytes + (at - r->start));
	}
	return err;
}

/*
 * What the roots leave out, sorted by start: the arenas (sorted) and, merged in, the nodes
 * outside them (sorted).  A node inside an arena is left out with it: for glibc that is
 * nearly every node, and a range per node (sorted again) was most of the roots' cost.
 */
int leak_exclusions(const struct ranges *arenas, const struct nodes *nodes,
		      struct ranges *excluded)
{
	size_t a = 0;
	int err = 0;

	for (size_t i = 0; !err && i < nodes->count; i++) {
		const struct hs_reach_node *n = &nodes->items[i];
		uint64_t end = n->addr + (n->size ? n->size : 1);

		if (leak_inside(arenas, n->addr, end))
			continue;
		while (!err && a < arenas->count && arenas->items[a].start <= n->addr) {
			err = leak_add_range(excluded, arenas->items[a].start, arenas->items[a].end);
			a++;
		}
		if (!err)
			err = leak_add_range(excluded, n->addr, end);
	}
	for (; !err && a < arenas->count; a++)
		err = leak_add_range(excluded, arenas->items[a].start, arenas->items[a].end);
	return err;
}

/* Stacks and TLS are roots wherever they lie, even inside a block (a stack the program
 * allocated itself) or an arena. */
int leak_thread_roots(const struct hs_freeze *f, struct spans *roots)
{
	int err = 0;

	for (size_t i = 0; !err && i < f->thread_count; i++) {
		const struct hs_freeze_thread *t = &f->threads[i];
		uint64_t sp = t->regs.rsp - HS_FREEZE_RED_ZONE_BYTES, tp = t->regs.fs_base;
		const struct hs_freeze_region *r;

		if (!t->stopped)
			continue;
		r = hs_freeze_region_at(f, sp);
		if (!r)
			r = hs_freeze_region_at(f, t->regs.rsp);
		if (r && r->kind != HS_REGION_STACK) {
			uint64_t start = sp < r->start ? r->start : sp;
			uint64_t end = r->end - start > (8u << 20) ? start + (8u << 20) : r->end;

			err = leak_add_span(roots, start, end, r->bytes + (start - r->start));
		}
		/* The thread descriptor at the thread pointer, static TLS just below it. */
		r = hs_freeze_region_at(f, tp);
		if (!err && r) {
			uint64_t start = tp - r->start > 16384 ? tp - 16384 : r->start;
			uint64_t end = r->end - tp > 4096 ? tp + 4096 : r->end;

			err = leak_add_span(roots, start, end, r->bytes + (start - r->start));
		}
	}
	return err;
}

int leak_register_words(const struct hs_freeze *f, uint64_t **words, size_t *count)
{
	size_t per = sizeof(struct user_regs_struct) / 8;

	*count = 0;
	*words = calloc(f->thread_count * per + 1, 8);
	if (!*words)
		return -ENOMEM;
	for (size_t i = 0; i < f->thread_count; i++) {
		if (!f->threads[i].stopped)
			continue;
		memcpy(*words + *count, &f->threads[i].regs, per * 8);
		*count += per;
	}
	return 0;
}
