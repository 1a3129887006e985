// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * early_growth.c - a process that builds its state right after the session
 * starts, then only serves: 8 MiB of 64 KiB blocks loaded in the first ~0.2 s
 * (all before the first quarter of the phase ends), then lookups, each with a
 * temporary key, until the phase ends.  Nothing allocated before attach is ever
 * freed (no unknown frees), so the step is growth, not old blocks replaced.
 * Verdict: bounded, grown in a step (issue 18), load_state holding the live heap.
 */
#include "state_lookup.h"

#define STATE_BLOCKS 128 /* of STATE_MAX_BLOCKS */

int main(int argc, char **argv)
{
	double start, phase;

	workload_start(argc, argv);
	start = workload_now_s();
	phase = workload_phase_s();
	for (int i = 0; i < STATE_BLOCKS; i++) {
		load_state(i);
		if (i % 16 == 15)
			workload_nap_ms(20);
	}
	for (int i = 0; workload_now_s() - start < phase; i++) {
		lookup(i);
		workload_nap_ms(10);
	}
	workload_expect("load_state", STATE_BLOCKS * BLOCK_BYTES, STATE_BLOCKS, "main;load_state");
	workload_expect("lookup", 0, 0, "main;lookup");
	workload_finish();
	return 0;
}
