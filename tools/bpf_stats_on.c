// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bpf_stats_on.c - keep the kernel's BPF run-time statistics on while it runs
 * (make bench, make bench-unwind).
 *
 * Why not the sysctl kernel.bpf_stats_enabled: it is one value for the whole
 * host, so a benchmark that sets it and restores "what it was" can switch it
 * off under another measurement that started in between, and a benchmark
 * killed half-way leaves it on (every BPF program on the host then pays for
 * the accounting).  bpf(BPF_ENABLE_STATS) instead counts one more user for as
 * long as the returned fd is open: the kernel undoes it when this process
 * ends, however it ends, and the sysctl's own users are not touched.
 *
 * Usage: bpf_stats_on &  ... (it prints "on" once enabled, then waits for a
 * signal; kill it to switch its share of the statistics off).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0) {
		fprintf(stderr, "bpf_stats_on: cannot enable BPF statistics: %s\n", strerror(-fd));
		return 1;
	}
	printf("on\n");
	fflush(stdout);
	for (;;)
		pause(); /* until a signal ends the process, and with it the fd */
}
