/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_LIVE_H
#define HEAPSCOPE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One allocation that has not been freed yet. addr == 0 marks an empty slot. */
struct hs_live_block {
	uint64_t addr;
	uint64_t size;
	uint64_t ts_ns; /* when its allocation returned */
	uint32_t pid;
	uint32_t stack_id;
};

struct hs_live_table {
	struct hs_live_block *slots;
	size_t capacity; /* power of two */
	size_t count;
	size_t max_count; /* documented bound: --max-live */
};

int hs_live_init(struct hs_live_table *table, size_t max_count);
void hs_live_free(struct hs_live_table *table);
int hs_live_insert(struct hs_live_table *table, const struct hs_live_block *block,
		   struct hs_live_block *replaced);
struct hs_live_block *hs_live_find(struct hs_live_table *table, uint32_t pid, uint64_t addr);
bool hs_live_remove(struct hs_live_table *table, uint32_t pid, uint64_t addr,
		    struct hs_live_block *removed);
size_t hs_live_memory_bytes(const struct hs_live_table *table);

#define hs_live_foreach(table, block)                                                   \
	for (struct hs_live_block *block = (table)->slots;                              \
	     block && block < (table)->slots + (table)->capacity; block++)              \
		if (block->addr)

#endif
