// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * top_types.c - the N largest C++ types of one heap reading, by bytes: each in-use block whose
 * first word points into a class's vtable (inspect/types.h) counted under that class.
 *
 * Owns: each watched process's vtable table between readings (built again only when its file
 * mappings change), the count by type of one reading, the cut to the N largest, and the names
 * as exported (bounded, unique).
 * Does not own: reading the heap (inspect/glibc_heap.c: its walk keeps every in-use chunk's
 * first word), naming a vtable (inspect/types.c), how the types are written (prometheus.c,
 * record.c).
 * Invariants: nothing of the target is read here.  The first words come from the heap read's
 * own walk (hs_glibc_read_options.keep_in_use); a heap too large for the walk to keep them
 * (HS_GLIBC_MAX_KEPT chunks) gets no types rather than a second read, and blocks glibc
 * mmapped on their own (whose first word the walk never read) are not named.  Bytes are usable
 * sizes (malloc_usable_size), as inspect's census counts them, so the two agree.  Type names
 * come from the target's symbol tables: an exported name is at most HS_WATCH_TYPE_NAME_BYTES
 * with its NUL, a longer one is cut on a UTF-8 boundary and ends in "...~" and a hash of the
 * whole name (two long names sharing a prefix stay two series), and equal exported names are
 * merged, so a process never has two series with one label set.  At most max types come out.
 */
#include "watch/watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cut name: this many bytes of the name at most, then "...~" and 8 hex digits. */
#define CUT_PREFIX_BYTES (HS_WATCH_TYPE_NAME_BYTES - 1 - 12)

/* FNV-1a over the file mappings: where each file is and which file it is. */
static uint64_t maps_signature(const struct hs_maps *maps)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < maps->count; i++) {
		const struct hs_mapping *m = &maps->items[i];
		uint64_t words[] = { m->start, m->end, m->file_offset, m->inode,
				     (uint64_t)m->dev_major << 32 | m->dev_minor };

		if (!hs_mapping_is_file(m))
			continue;
		for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			for (int b = 0; b < 64; b += 8)
				h = (h ^ (words[k] >> b & 0xff)) * 0x100000001b3ull;
	}
	return h ? h : 1; /* 0 means "not built" */
}

/*
 * The vtables of every file the process maps now: kept from the last reading when the file
 * mappings are the same, else built again (through the watch's object cache: each file is
 * opened once for every process).  0, or why there is no table (vt->error too).
 */
int hs_watch_vtables_refresh(struct hs_watch_vtables *vt, struct hs_objects *objects,
			     const struct hs_target_memory *tm)
{
	uint64_t signature = maps_signature(&tm->maps);

	if (signature == vt->maps_signature)
		return vt->error;
	hs_types_free(&vt->types);
	hs_types_init(&vt->types);
	vt->maps_signature = signature;
	vt->error = hs_types_load(&vt->types, objects, tm->pid, &tm->maps);
	if (vt->error) { /* half a table would name some types and miss others */
		hs_types_free(&vt->types);
		hs_types_init(&vt->types);
	}
	return vt->error;
}

void hs_watch_vtables_free(struct hs_watch_vtables *vt)
{
	hs_types_free(&vt->types);
	memset(vt, 0, sizeof(*vt));
}

/* name as exported: whole when it fits, else cut on a UTF-8 boundary plus "...~HASH". */
void hs_watch_type_name(char *out, const char *name)
{
	size_t len = strnlen(name, HS_WATCH_TYPE_NAME_BYTES), cut = CUT_PREFIX_BYTES;
	uint32_t h = 0x811c9dc5u;

	if (len < HS_WATCH_TYPE_NAME_BYTES) {
		memcpy(out, name, len + 1);
		return;
	}
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 0x01000193u;
	/* Not in the middle of a sequence: back off over continuation bytes (at most 3). */
	for (int i = 0; i < 3 && ((unsigned char)name[cut] & 0xc0) == 0x80; i++)
		cut--;
	memcpy(out, name, cut);
	snprintf(out + cut, HS_WATCH_TYPE_NAME_BYTES - cut, "...~%08x", h);
}

struct count {
	uint64_t bytes, instances;
};

struct tally {
	struct hs_types *types;
	struct count *by_id; /* indexed by name id */
};

static int count_block(void *ctx, const struct hs_glibc_block *block)
{
	struct tally *t = ctx;
	int id;

	/* Only a first word the walk read: no block is read again to name it. */
	if (!block->first_word_known || block->usable_bytes < sizeof(uint64_t))
		return 0;
	id = hs_types_lookup(t->types, block->first_word);
	if (id >= 0) {
		t->by_id[id].bytes += block->usable_bytes;
		t->by_id[id].instances++;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct hs_watch_type *)a)->name,
		      ((const struct hs_watch_type *)b)->name);
}

/* The census's order (inspect.c): most bytes first, then by name. */
static int by_bytes(const void *a, const void *b)
{
	const struct hs_watch_type *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

/*
 * out[0 .. *count): the (at most max) C++ types holding the most bytes in heap, as its read
 * kept them; -E2BIG when the read kept no first words (a heap over HS_GLIBC_MAX_KEPT chunks).
 */
int hs_watch_top_types(struct hs_target_memory *tm, struct hs_types *types,
		       const struct hs_glibc_heap *heap, size_t max, struct hs_watch_type *out,
		       size_t *count)
{
	struct tally t = { .types = types };
	struct hs_watch_type *found = NULL;
	size_t used = 0, merged = 0;
	int err;

	*count = 0;
	if (!heap->kept_all)
		return -E2BIG;
	if (!types->name_count || !max)
		return 0;
	t.by_id = calloc(types->name_count, sizeof(*t.by_id));
	if (!t.by_id)
		return -ENOMEM;
	err = hs_glibc_heap_for_each_block(tm, heap, count_block, &t);
	for (size_t id = 0; !err && id < types->name_count; id++)
		used += t.by_id[id].instances > 0;
	if (!err && used && !(found = calloc(used, sizeof(*found))))
		err = -ENOMEM;
	/* The types found, named as exported, side by side; equal names merged. */
	for (size_t id = 0, k = 0; found && id < types->name_count; id++) {
		if (!t.by_id[id].instances)
			continue;
		hs_watch_type_name(found[k].name, hs_types_name(types, (int)id));
		found[k].bytes = t.by_id[id].bytes;
		found[k++].instances = t.by_id[id].instances;
	}
	if (found) {
		qsort(found, used, sizeof(*found), by_name);
		for (size_t i = 0; i < used; i++) {
			if (merged && strcmp(found[merged - 1].name, found[i].name) == 0) {
				found[merged - 1].bytes += found[i].bytes;
				found[merged - 1].instances += found[i].instances;
			} else {
				found[merged++] = found[i];
			}
		}
		qsort(found, merged, sizeof(*found), by_bytes);
		*count = merged < max ? merged : max;
		memcpy(out, found, *count * sizeof(*out));
	}
	free(found);
	free(t.by_id);
	return err;
}
