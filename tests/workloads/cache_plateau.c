// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cache_plateau.c - a cache that fills up, then stops growing.  Entries are
 * inserted, paced by the clock, over the first third of the phase until the
 * cache holds 4096 of them (2 MiB); from then on it is only looked up, and
 * each lookup builds a temporary key (churn that never stays).
 * Verdict: bounded, cache_insert holding the live heap.
 */
#include "workload.h"

#define ENTRIES	      4096
#define ENTRY_BYTES   512
#define KEY_BYTES     48
#define LOOKUPS_PER_S 2000

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile entries[ENTRIES];

NOINLINE static void cache_insert(size_t i)
{
	entries[i] = malloc(ENTRY_BYTES);
	memset(entries[i], (int)i, ENTRY_BYTES);
}

NOINLINE static void cache_lookup(size_t i)
{
	char *key = malloc(KEY_BYTES);

	memset(key, (int)i, KEY_BYTES);
	workload_sink = key;
	free(key);
}

int main(int argc, char **argv)
{
	double start, elapsed, phase;
	size_t inserted = 0, looked_up = 0;

	workload_start(argc, argv);
	start = workload_now_s();
	phase = workload_phase_s();
	while ((elapsed = workload_now_s() - start) < phase) {
		size_t due = ENTRIES * elapsed / (phase / 3);

		for (; inserted < due && inserted < ENTRIES; inserted++)
			cache_insert(inserted);
		for (; looked_up < elapsed * LOOKUPS_PER_S; looked_up++)
			cache_lookup(looked_up);
		workload_nap_ms(2);
	}
	workload_expect("cache_insert", (unsigned long long)inserted * ENTRY_BYTES, inserted,
			"main;cache_insert");
	workload_expect("cache_lookup", 0, 0, "main;cache_lookup");
	workload_finish();
	return 0;
}
