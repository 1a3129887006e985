/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_LINK_ORDER_H
#define HEAPSCOPE_LINK_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "target/maps.h"

/* Objects on the dynamic linker's list beyond this mean a corrupt or cyclic list. */
#define HS_MAX_LINKED_OBJECTS 4096

/* The files mapped into a process, in the order the dynamic linker searches them. */
struct hs_link_order {
	size_t *map_index; /* one mapping of each object, into the maps it was built from */
	size_t count;
	bool from_link_map; /* the linker's own list; false: executable, then address order */
};

int hs_link_order_read(pid_t pid, const struct hs_maps *maps, struct hs_link_order *order);
void hs_link_order_free(struct hs_link_order *order);

#endif
