// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * quiet.c - a process with nothing going on: it loaded its configuration once
 * before the session (64 blocks of 1 KiB it keeps, which heapscope does not see),
 * then wakes every 50 ms to check a timer, with a small temporary allocation
 * each time.  Verdict: stable, and nothing live at the end: the profile is empty
 * (heapscope says so).  A configuration loaded after attach would be a step with
 * no unknown free: growth, bounded (early_growth.c).
 */
#include "workload.h"

#define CONFIG_BLOCKS 64
#define CONFIG_BYTES  1024

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile config[CONFIG_BLOCKS];

NOINLINE static void load_config(void)
{
	for (int i = 0; i < CONFIG_BLOCKS; i++) {
		config[i] = malloc(CONFIG_BYTES);
		memset(config[i], i, CONFIG_BYTES);
	}
}

NOINLINE static void check_timer(void)
{
	char *event = malloc(128);

	memset(event, 0, 128);
	workload_sink = event;
	free(event);
}

int main(int argc, char **argv)
{
	double start, phase;

	load_config();
	workload_start(argc, argv);
	start = workload_now_s();
	phase = workload_phase_s();
	while (workload_now_s() - start < phase) {
		check_timer();
		workload_nap_ms(50);
	}
	workload_expect("load_config", 0, 0, "main;load_config"); /* before attach */
	workload_expect("check_timer", 0, 0, "main;check_timer");
	workload_finish();
	return 0;
}
