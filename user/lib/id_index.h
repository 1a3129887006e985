/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_ID_INDEX_H
#define HEAPSCOPE_ID_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Dense ids (0, 1, 2, ... into an owner's own array) found by a hash of what
 * they name.  The index holds ids only: the owner keeps the keys and says
 * whether an id matches one, and what an id's hash is when the index grows.
 */
struct hs_id_index {
	uint32_t *slots; /* id + 1; 0: empty */
	size_t capacity; /* slots: a power of two; 0 before the first insert */
	size_t count;
};

/* Does id, in owner, name key? */
typedef bool hs_id_matches_fn(const void *owner, uint32_t id, const void *key);
/* The hash id was inserted with, to place it again in a bigger index. */
typedef uint64_t hs_id_hash_fn(const void *owner, uint32_t id);

/*
 * The id that names key, if any.  Inline: it is the collector's per-event path,
 * and a matches function the caller names directly is inlined into it.
 */
static inline bool hs_id_index_find(const struct hs_id_index *index, uint64_t hash,
				    hs_id_matches_fn *matches, const void *owner, const void *key,
				    uint32_t *id)
{
	size_t mask = index->capacity - 1;

	if (!index->capacity)
		return false;
	for (size_t i = hash & mask; index->slots[i]; i = (i + 1) & mask) {
		if (matches(owner, index->slots[i] - 1, key)) {
			*id = index->slots[i] - 1;
			return true;
		}
	}
	return false;
}

int hs_id_index_insert(struct hs_id_index *index, uint64_t hash, uint32_t id,
		       hs_id_hash_fn *hash_of, const void *owner);
void hs_id_index_free(struct hs_id_index *index);

static inline size_t hs_id_index_memory_bytes(const struct hs_id_index *index)
{
	return index->capacity * sizeof(*index->slots);
}

#endif
