// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * id_index.c - the one index of interned ids by hash: stacks by content
 * (collect/stacks.c), frame names (analysis/profile.c), pprof's locations,
 * functions and file names (render/pprof.c).
 *
 * Open addressing with linear probing over id + 1 (0 is an empty slot).  The
 * index never deletes: an interned id lives as long as its table, so there are
 * neither tombstones nor backward shifts.  It doubles (from FIRST_CAPACITY)
 * before an insert would fill more than half of it, so every probe ends at an
 * empty slot after a short run.  Ids are placed in insertion order, so what an
 * owner writes out never depends on the capacity.
 *
 * Owns: the slots.  Does not own: the keys, their hash or their equality (the
 * owner's).  Invariant: count <= capacity / 2, and each id inserted is in
 * exactly one slot, reachable from its hash's home slot without an empty slot
 * between.  The live table (collect/live.c) deletes, so it keeps its own.
 */
#include "lib/id_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAPACITY 1024

static void place(struct hs_id_index *index, uint64_t hash, uint32_t id)
{
	size_t mask = index->capacity - 1;
	size_t i = hash & mask;

	while (index->slots[i])
		i = (i + 1) & mask;
	index->slots[i] = id + 1;
}

static int grow(struct hs_id_index *index, hs_id_hash_fn *hash_of, const void *owner)
{
	size_t capacity = index->capacity ? index->capacity * 2 : FIRST_CAPACITY;
	uint32_t *old = index->slots;
	size_t old_capacity = index->capacity;

	index->slots = calloc(capacity, sizeof(*index->slots));
	if (!index->slots) {
		index->slots = old;
		return -ENOMEM;
	}
	index->capacity = capacity;
	for (size_t i = 0; i < old_capacity; i++)
		if (old[i])
			place(index, hash_of(owner, old[i] - 1), old[i] - 1);
	free(old);
	return 0;
}

/*
 * Add id under hash (the caller found no id for its key).  hash_of gives the
 * hash of every id already in, should the index grow.  0 or -ENOMEM; on
 * failure the index is unchanged.
 */
int hs_id_index_insert(struct hs_id_index *index, uint64_t hash, uint32_t id,
		       hs_id_hash_fn *hash_of, const void *owner)
{
	if ((index->count + 1) * 2 > index->capacity && grow(index, hash_of, owner))
		return -ENOMEM;
	place(index, hash, id);
	index->count++;
	return 0;
}

void hs_id_index_free(struct hs_id_index *index)
{
	free(index->slots);
	memset(index, 0, sizeof(*index));
}
