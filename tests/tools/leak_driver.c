// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * leak_driver.c - hs_leak_check_inspect on a PID, printed as one JSON object: the check
 * behind `heapscope inspect --leak-check` (the nodes are the glibc walk's chunks, no session,
 * no stacks), with each analysis step's time, which the command's JSON leaves out, for
 * tools/bench_leak.sh; test_leak_check compares it with a session's check.
 *   leak_driver -p PID [--max-pause MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reach/leak_check.h"

int main(int argc, char **argv)
{
	struct hs_leak_snapshot snap;
	struct hs_objects objects;
	struct hs_leak_result res;
	struct hs_leak_config config = { .objects = &objects };
	int err;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "-p") == 0)
			config.pid = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--max-pause") == 0)
			config.max_pause_ms = atof(argv[i + 1]);
	}
	if (config.pid <= 0) {
		fprintf(stderr, "usage: leak_driver -p PID [--max-pause MS]\n");
		return 2;
	}
	hs_objects_init(&objects);
	err = hs_leak_check_inspect(&config, &res, &snap);
	hs_objects_free(&objects);
	printf("{\"done\":%s,\"reason\":\"%s\",\"roots\":\"%s\",\"pause_ms\":%.3f,"
	       "\"analysis_ms\":%.3f,\"analysis_cpu_ms\":%.3f,\"walk_ms\":%.3f,\"nodes_ms\":%.3f,"
	       "\"roots_ms\":%.3f,\"mark_ms\":%.3f,\"copied_bytes\":%llu,\"scanned_bytes\":%llu,\"threads\":%zu,"
	       "\"nodes\":%llu,\"unreachable_blocks\":%llu,\"unreachable_bytes\":%llu,"
	       "\"direct_blocks\":%llu,\"indirect_blocks\":%llu,\"stale\":%llu,\"types\":[",
	       res.done ? "true" : "false", res.reason, hs_leak_roots_name(res.roots), res.pause_ms,
	       res.analysis_ms, res.analysis_cpu_ms, res.walk_ms, res.nodes_ms, res.roots_ms,
	       res.mark_ms, (unsigned long long)res.copied_bytes,
	       (unsigned long long)res.scanned_bytes, res.threads, (unsigned long long)res.nodes,
	       (unsigned long long)res.unreachable_blocks, (unsigned long long)res.unreachable_bytes,
	       (unsigned long long)res.direct_blocks, (unsigned long long)res.indirect_blocks,
	       (unsigned long long)res.stale_blocks);
	for (size_t i = 0; i < res.type_count; i++)
		printf("%s{\"name\":\"%s\",\"blocks\":%llu,\"bytes\":%llu,\"unreachable_blocks\":%llu,"
		       "\"unreachable_bytes\":%llu}", i ? "," : "", res.types[i].name,
		       (unsigned long long)res.types[i].blocks, (unsigned long long)res.types[i].bytes,
		       (unsigned long long)res.types[i].unreachable_blocks,
		       (unsigned long long)res.types[i].unreachable_bytes);
	printf("]}\n");
	hs_leak_result_free(&res);
	hs_leak_snapshot_free(&snap);
	return err ? 1 : 0;
}
