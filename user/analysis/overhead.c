// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * overhead.c - the overhead meter: what share of the targets' CPU time went to
 * heapscope's probes, over the whole session and over its last second (for
 * --max-overhead).
 *
 *   probe time = entry hits x trap (emulated or single-stepped)
 *              + return hits x what a return adds
 *              + the programs' own run time (the kernel's accounting)
 *   share      = probe time / the targets' CPU time over the same span
 *
 * The trap and dispatch are charged to the thread that hit the probe, so the
 * targets' CPU clocks already hold the probe time: the share is of a total that
 * includes it, at most 100%.  The per-hit costs are calibrated on this machine
 * (probe/probe_cost.c); hits and run time are read from the kernel by the
 * caller.  Why here and not in collect/: the meter is a figure over time, like
 * the timeline, fed by the session from three sources (the kernel's program
 * counters, the targets' CPU clocks, the calibration); the collector only sees
 * events.
 *
 * Samples keep hits, not their price: a cost refined during the session (the
 * calibration repeated, its median taken) prices every hit alike, early or late.
 *
 * A window is judged only when the targets spent HS_OVERHEAD_MIN_CPU_NS in it:
 * an idle target's few ticks make a share out of noise.
 *
 * Owns: the samples and that arithmetic.  Does not own: reading any clock or
 * counter (cli/session.c), the calibration (probe/).
 */
#include "analysis/overhead.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void hs_overhead_init(struct hs_overhead *m, const struct hs_hit_cost *cost)
{
	memset(m, 0, sizeof(*m));
	m->cost = *cost;
}

/* A better estimate of the same costs (more calibrations): every share from now on uses it. */
void hs_overhead_set_cost(struct hs_overhead *m, const struct hs_hit_cost *cost)
{
	m->cost = *cost;
}

void hs_overhead_free(struct hs_overhead *m)
{
	free(m->processes);
	m->processes = NULL;
	m->process_count = m->process_capacity = 0;
}

double hs_overhead_probe_ns(const struct hs_hit_cost *cost, const struct hs_hits *hits)
{
	double entry_ns = cost->emulated_ns * (1 - cost->stepped_share) +
			  cost->stepped_ns * cost->stepped_share;

	return hits->entry_hits * entry_ns + hits->stepped_hits * cost->stepped_ns +
	       hits->return_hits * cost->return_ns + (double)hits->run_ns;
}

/* A target's CPU clock now; the first reading of a PID is its start (time before attach is
 * not the session's).  A process that has exited keeps its last reading. */
int hs_overhead_process_cpu(struct hs_overhead *m, pid_t pid, double cpu_ns)
{
	for (size_t i = 0; i < m->process_count; i++) {
		if (m->processes[i].pid != pid)
			continue;
		if (cpu_ns > m->processes[i].last_ns)
			m->processes[i].last_ns = cpu_ns;
		return 0;
	}
	if (m->process_count == m->process_capacity) {
		size_t capacity = m->process_capacity ? 2 * m->process_capacity : 8;
		struct hs_overhead_process *grown =
			realloc(m->processes, capacity * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		m->processes = grown;
		m->process_capacity = capacity;
	}
	m->processes[m->process_count++] =
		(struct hs_overhead_process){ .pid = pid, .first_ns = cpu_ns, .last_ns = cpu_ns };
	return 0;
}

/* A sample at t_s: the processes' CPU as last read, and the probe time the hits mean. */
void hs_overhead_add(struct hs_overhead *m, double t_s, const struct hs_hits *hits)
{
	struct hs_overhead_sample s = { .t_s = t_s, .hits = *hits };

	for (size_t i = 0; i < m->process_count; i++)
		s.cpu_ns += m->processes[i].last_ns - m->processes[i].first_ns;
	if (!m->sample_count)
		m->first = s;
	m->recent[m->sample_count % HS_OVERHEAD_SAMPLES] = s;
	m->sample_count++;
}

/* The share between two samples, in percent; false when the targets hardly ran. */
static bool share(const struct hs_overhead *m, const struct hs_overhead_sample *from,
		  const struct hs_overhead_sample *to, double *pct)
{
	double cpu_ns = to->cpu_ns - from->cpu_ns;
	double probe_ns = hs_overhead_probe_ns(&m->cost, &to->hits) -
			  hs_overhead_probe_ns(&m->cost, &from->hits);

	if (cpu_ns < HS_OVERHEAD_MIN_CPU_NS)
		return false;
	*pct = 100 * probe_ns / cpu_ns;
	*pct = *pct < 0 ? 0 : *pct > 100 ? 100 : *pct;
	return true;
}

static const struct hs_overhead_sample *latest(const struct hs_overhead *m)
{
	return &m->recent[(m->sample_count - 1) % HS_OVERHEAD_SAMPLES];
}

/* The newest sample (only when there is one). */
const struct hs_overhead_sample *hs_overhead_last(const struct hs_overhead *m)
{
	return latest(m);
}

/* Over the session: from the first sample to the last. */
bool hs_overhead_session_pct(const struct hs_overhead *m, double *pct)
{
	return m->sample_count > 1 && share(m, &m->first, latest(m), pct);
}

/* The probes' time from the first sample to the last, at today's cost (0 without samples). */
double hs_overhead_span_probe_ns(const struct hs_overhead *m)
{
	if (!m->sample_count)
		return 0;
	return hs_overhead_probe_ns(&m->cost, &latest(m)->hits) -
	       hs_overhead_probe_ns(&m->cost, &m->first.hits);
}

/* Over the last window_s seconds: from the newest sample at least that old to the last;
 * false until the session is that old (or the ring does not reach back that far). */
bool hs_overhead_recent_pct(const struct hs_overhead *m, double window_s, double *pct)
{
	const struct hs_overhead_sample *last, *from = NULL;
	size_t kept = m->sample_count < HS_OVERHEAD_SAMPLES ? m->sample_count : HS_OVERHEAD_SAMPLES;

	if (m->sample_count < 2)
		return false;
	last = latest(m);
	for (size_t back = 1; back < kept && !from; back++) {
		const struct hs_overhead_sample *s =
			&m->recent[(m->sample_count - 1 - back) % HS_OVERHEAD_SAMPLES];

		if (last->t_s - s->t_s >= window_s)
			from = s;
	}
	return from && share(m, from, last, pct);
}
