// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * session_overhead.c - the session's overhead meter and --max-overhead: at
 * start, the kernel's program statistics switched on (for this session only:
 * an fd, closed at the end) and a probe hit's cost calibrated; while
 * collecting, a sample every OVERHEAD_SAMPLE_S of the targets' CPU clocks and
 * the programs' counters; at the end, the session's share into the summary.
 *
 * Owns: when the meter is fed and the guard's decision and stderr line.  Does
 * not own: the arithmetic (analysis/overhead.c), the calibration and the
 * counters (probe/probe_cost.c), the outputs' wording (render/).
 *
 * The calibration is repeated every RECALIBRATE_S by a thread of its own, in a
 * short-lived child (a run takes ~50 ms of CPU, up to ~1 s of wall time on a
 * loaded machine, which must not stall the ring's draining; its probes are not
 * to be among heapscope's, which are its targets'), and the
 * meter prices every hit at the median of the last RECALIBRATIONS runs: one run
 * varies +-15% with what the machine's neighbours do, and the session's traps
 * are paid under the same neighbours over the whole session.
 *
 * Hits come from the programs' run counts (every trap, nested calls and
 * ignored ones too).  The kernel counts runs only while statistics are on, and
 * then for every BPF program on the host, each run paying two clock reads (~55 ns
 * on a fast guest, ~105 ns on a slow one): so they are on only in windows,
 * STATS_WINDOW_S every STATS_PERIOD_S from attach on.  Between windows the hits
 * and run time are the calls the collector reports (allocations, reallocations,
 * frees) at the rate the windows measured per call, or the kernel's own counts
 * where someone else keeps statistics on.  Without the kernel's statistics (a
 * kernel that refuses BPF_ENABLE_STATS), hits come from the events collected,
 * and the programs' run time is not counted: -v says so.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/errors.h"
#include "cli/session_state.h"

#define OVERHEAD_SAMPLE_S 0.1	/* the guard judges a 1 s window to this precision */
#define OVERHEAD_WINDOW_S 1.0	/* --max-overhead's "last second" */
#define RECALIBRATE_S 2		/* ~2.5% of one CPU for heapscope, none for the targets */
#define RECALIBRATIONS 15	/* runs whose median prices a hit: the last 30 s */
#define STATS_WINDOW_S 1.0	/* the kernel's run statistics on this long ... */
#define STATS_PERIOD_S 30.0	/* ... every this long: 1/30 of their cost to the host */

/* The recalibrating thread and what it found; the mutex guards everything below it. */
struct hs_recalibration {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct hs_probe_cost runs[RECALIBRATIONS];
	size_t run_count; /* ever made; runs[] is a ring of the last RECALIBRATIONS */
	size_t priced;	  /* run_count when the meter's cost was last set (main thread only) */
};

static void *recalibrate(void *arg)
{
	struct hs_recalibration *r = arg;
	struct timespec until;
	struct hs_probe_cost cost;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += RECALIBRATE_S;
		pthread_cond_timedwait(&r->wake, &r->lock, &until);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->lock);
		if (hs_probe_cost_calibrate_apart(&cost)) {
			pthread_mutex_lock(&r->lock);
			continue;
		}
		pthread_mutex_lock(&r->lock);
		r->runs[r->run_count++ % RECALIBRATIONS] = cost;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(double *values, size_t count)
{
	qsort(values, count, sizeof(*values), compare_doubles);
	return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* New runs since the meter was priced: the median of the kept ones, kind by kind. */
static void reprice(struct session *s)
{
	struct hs_recalibration *r = s->recalibration;
	double emulated[RECALIBRATIONS], stepped[RECALIBRATIONS], returned[RECALIBRATIONS];
	struct hs_hit_cost cost = s->overhead.cost;
	size_t n;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	n = r->run_count < RECALIBRATIONS ? r->run_count : RECALIBRATIONS;
	if (r->run_count == r->priced) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		emulated[i] = r->runs[i].emulated_ns;
		stepped[i] = r->runs[i].stepped_ns;
		returned[i] = r->runs[i].return_ns;
	}
	r->priced = r->run_count;
	pthread_mutex_unlock(&r->lock);
	cost.emulated_ns = median_of(emulated, n);
	cost.stepped_ns = median_of(stepped, n);
	cost.return_ns = median_of(returned, n);
	hs_overhead_set_cost(&s->overhead, &cost);
}

static void recalibration_start(struct session *s)
{
	struct hs_recalibration *r = calloc(1, sizeof(*r));

	if (!r)
		return; /* the first calibration stands */
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	r->runs[0] = s->probe_cost;
	r->run_count = r->priced = 1;
	if (pthread_create(&r->thread, NULL, recalibrate, r)) {
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return;
	}
	s->recalibration = r;
}

/* No calibration starts after this; one under way (in its child) goes on to its end. */
static void request_stop(struct hs_recalibration *r)
{
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

/* Stop and join the thread (a run under way finishes first: its probes go with it). */
void overhead_recalibration_stop(struct session *s)
{
	struct hs_recalibration *r = s->recalibration;

	if (!r)
		return;
	request_stop(r);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
	s->recalibration = NULL;
}

/* Entry probes of the calls most programs make most (malloc, free, operator
 * new/delete): the share of them the kernel single-steps.  Sites are weighed
 * alike; the run counts do not say which site a hit was on. */
static double stepped_share(const struct session *s)
{
	size_t sites = 0, stepped = 0;

	for (size_t i = 0; i < s->targets.count; i++) {
		const struct hs_probe_plan *plan = &s->targets.items[i]->plan;

		for (size_t j = 0; j < plan->site_count; j++) {
			enum hs_probe_fn fn = plan->sites[j].fn;

			if (fn != HS_FN_MALLOC && fn != HS_FN_FREE && fn != HS_FN_NEW &&
			    fn != HS_FN_WRAPPER && fn != HS_FN_DEALLOC)
				continue;
			sites++;
			stepped += !plan->sites[j].site.emulated;
		}
	}
	return sites ? (double)stepped / sites : 0;
}

static void add_hits(struct hs_hits *sum, const struct hs_hits *more)
{
	sum->entry_hits += more->entry_hits;
	sum->stepped_hits += more->stepped_hits;
	sum->return_hits += more->return_hits;
	sum->run_ns += more->run_ns;
}

/* A count between windows: the windows' count for as many calls, at their rate per call. */
static uint64_t at_window_rate(uint64_t window_count, uint64_t calls, uint64_t window_calls)
{
	return (uint64_t)((double)window_count * calls / window_calls + 0.5);
}

/*
 * The hits of new_calls calls reported between windows (new_allocations of them
 * allocations): at the rate per call the windows counted, or, before a window has seen a
 * call, an entry for each and a return for each allocation.  The windows' run time
 * includes the counting's own clock reads, which runs between windows do not pay.
 */
static struct hs_hits between_windows(const struct hs_stats_duty *d, uint64_t new_calls,
				      uint64_t new_allocations)
{
	const struct hs_hits *w = &d->window_hits;
	struct hs_hits estimate;
	double counting_ns;

	if (!d->window_calls)
		return (struct hs_hits){ .entry_hits = new_calls, .return_hits = new_allocations };
	estimate = (struct hs_hits){
		.entry_hits = at_window_rate(w->entry_hits, new_calls, d->window_calls),
		.stepped_hits = at_window_rate(w->stepped_hits, new_calls, d->window_calls),
		.return_hits = at_window_rate(w->return_hits, new_calls, d->window_calls),
		.run_ns = at_window_rate(w->run_ns, new_calls, d->window_calls),
	};
	counting_ns = d->accounting_run_ns *
		      (estimate.entry_hits + estimate.stepped_hits + estimate.return_hits);
	estimate.run_ns = estimate.run_ns > counting_ns ? estimate.run_ns - (uint64_t)counting_ns
							: 0;
	return estimate;
}

/* Statistics on for a window, or off until the next: after a sample, so that the time
 * since the last sample was all on or all off. */
static void switch_statistics(struct session *s, double now)
{
	struct hs_stats_duty *d = &s->stats;

	if (now < d->next_switch_s)
		return;
	if (s->stats_fd >= 0) {
		close(s->stats_fd);
		s->stats_fd = -1;
		d->on_s += now - d->on_since_s;
		d->next_switch_s = now + STATS_PERIOD_S - STATS_WINDOW_S;
		return;
	}
	s->stats_fd = hs_bpf_stats_enable(); /* refused now: off until the next period */
	d->on_since_s = now;
	d->next_switch_s = now + (s->stats_fd >= 0 ? STATS_WINDOW_S : STATS_PERIOD_S);
}

/* The hits and run time so far: the kernel's counts where they were kept, estimated from
 * the calls reported where not. */
static void read_hits(struct session *s, struct hs_hits *hits, double now)
{
	struct hs_stats_duty *d = &s->stats;
	const struct hs_collector *c = &s->collector;
	struct hs_program_totals totals;
	struct hs_hits kernel, delta;
	uint64_t calls = c->allocs + c->reallocs + c->frees, new_calls;

	memset(hits, 0, sizeof(*hits));
	if (!d->kernel_counts ||
	    hs_program_totals(hs_attach_bpf_object(&s->attachment), &totals)) {
		/* an allocation: its entry and its return; a free: its entry */
		hits->entry_hits = calls;
		hits->return_hits = c->allocs + c->reallocs;
		return;
	}
	kernel = (struct hs_hits){ .entry_hits = totals.entry_hits,
				   .stepped_hits = totals.stepped_hits,
				   .return_hits = totals.return_hits,
				   .run_ns = totals.run_ns };
	delta = (struct hs_hits){ .entry_hits = kernel.entry_hits - d->kernel.entry_hits,
				  .stepped_hits = kernel.stepped_hits - d->kernel.stepped_hits,
				  .return_hits = kernel.return_hits - d->kernel.return_hits,
				  .run_ns = kernel.run_ns - d->kernel.run_ns };
	new_calls = calls - d->calls;
	if (!d->next_switch_s) {
		/* the first sample, at attach: the runs before it are not the session's */
		d->sum = kernel;
		d->next_switch_s = now + STATS_WINDOW_S;
		d->on_since_s = now;
	} else if (s->stats_fd >= 0) {
		add_hits(&d->window_hits, &delta);
		d->window_calls += new_calls;
		add_hits(&d->sum, &delta);
	} else {
		struct hs_hits estimate = between_windows(d, new_calls,
							  c->allocs + c->reallocs - d->allocations);

		/* Someone else keeping statistics on (another tool, the sysctl) makes the
		 * kernel's counts go on: then they stand.  Runs under way when the window
		 * closed add a few, not half. */
		if (2 * (delta.entry_hits + delta.return_hits) >
		    estimate.entry_hits + estimate.return_hits)
			estimate = delta;
		add_hits(&d->sum, &estimate);
	}
	d->kernel = kernel;
	d->calls = calls;
	d->allocations = c->allocs + c->reallocs;
	*hits = d->sum;
	switch_statistics(s, now);
}

/* The targets' CPU clocks (every thread, living and gone) and the programs' counters. */
static void take_sample(struct session *s, double now)
{
	struct hs_hits hits;

	for (size_t i = 0; i < s->targets.count; i++) {
		const struct hs_target *t = s->targets.items[i];
		struct timespec cpu;
		clockid_t clock;

		if (!t->attached || clock_getcpuclockid(t->pid, &clock) ||
		    clock_gettime(clock, &cpu))
			continue; /* gone: its last reading stands */
		hs_overhead_process_cpu(&s->overhead, t->pid, cpu.tv_sec * 1e9 + cpu.tv_nsec);
	}
	read_hits(s, &hits, now);
	hs_overhead_add(&s->overhead, now, &hits);
	s->overhead_sampled_s = now;
}

/* Before the probes are attached: statistics on, one hit's cost measured. */
void overhead_start(struct session *s)
{
	struct hs_probe_cost *cost = &s->probe_cost;
	int err;

	s->stats_fd = hs_bpf_stats_enable();
	s->stats.kernel_counts = s->stats_fd >= 0;
	if (s->stats_fd < 0 && s->opts->verbose)
		fprintf(stderr, "heapscope: overhead meter: no BPF run statistics (%s): hits "
			"counted from events, the programs' run time not counted\n",
			strerror(-s->stats_fd));
	err = hs_probe_cost_calibrate(cost);
	if (err) {
		/* hits priced at nothing: the share is then a floor, and the line says so */
		memset(cost, 0, sizeof(*cost));
		fprintf(stderr, "heapscope: overhead meter: cannot time a probe hit (%s); "
			"overhead_pct counts only the programs' run time\n", strerror(-err));
	} else if (s->opts->verbose) {
		fprintf(stderr, "heapscope: overhead meter: a probe hit costs %.2f us emulated, "
			"%.2f us single-stepped, a return %.2f us more (medians of %d runs; "
			"calibrated in %.0f ms CPU, %.0f ms wall); the run statistics count %.0f ns "
			"of their own a run\n", cost->emulated_ns / 1e3,
			cost->stepped_ns / 1e3, cost->return_ns / 1e3, HS_COST_ROUNDS,
			cost->cpu_ms, cost->took_ms, cost->stats_run_ns);
	}
	s->overhead_calibrated = !err;
	s->stats.accounting_run_ns = cost->stats_run_ns; /* timed with statistics on */
}

/*
 * The calibrating thread's runs so far into the price, and no new run: before the session's
 * end, so that no calibration starts while --leak-check's freeze copies.  Not joined here:
 * a run under way (~1 s of wall time on a loaded machine) must not lengthen the session
 * with an idle tail; overhead_end joins it.
 */
void overhead_calibration_end(struct session *s)
{
	if (!s->recalibration)
		return;
	reprice(s);
	s->calibrations = s->recalibration->priced; /* written by this thread only */
	request_stop(s->recalibration);
}

/* Once the targets are attached: the meter's first sample. */
void overhead_attached(struct session *s, double now)
{
	struct hs_hit_cost cost = {
		.emulated_ns = s->probe_cost.emulated_ns,
		.stepped_ns = s->probe_cost.stepped_ns,
		.return_ns = s->probe_cost.return_ns,
		.stepped_share = stepped_share(s),
	};

	hs_overhead_init(&s->overhead, &cost);
	take_sample(s, now);
	s->calibrations = s->overhead_calibrated;
	if (s->overhead_calibrated)
		recalibration_start(s);
}

/* While collecting: true when --max-overhead says the session must stop now. */
bool overhead_check(struct session *s, double now)
{
	double pct;
	char who[64];

	if (now - s->overhead_sampled_s < OVERHEAD_SAMPLE_S)
		return false;
	reprice(s);
	take_sample(s, now);
	if (!s->opts->max_overhead_pct ||
	    !hs_overhead_recent_pct(&s->overhead, OVERHEAD_WINDOW_S, &pct) ||
	    pct <= s->opts->max_overhead_pct)
		return false;
	s->summary.overhead_stopped = true;
	s->summary.overhead_stop_pct = pct;
	if (s->targets.count == 1)
		snprintf(who, sizeof(who), "PID %d's", s->targets.items[0]->pid);
	else
		snprintf(who, sizeof(who), "the targets'");
	fprintf(stderr, "heapscope: stopping: the probes took %.0f%% of %s CPU time over the last "
		"second, more than --max-overhead %g%%; writing what was collected\n", pct, who,
		s->opts->max_overhead_pct);
	return true;
}

/* The probes are off: the last sample, the session's share, statistics off again. */
void overhead_end(struct session *s, double now)
{
	struct hs_summary *sum = &s->summary;
	size_t runs;

	if (s->recalibration && !s->recalibration->stop)
		overhead_calibration_end(s);
	runs = s->calibrations;
	overhead_recalibration_stop(s);
	if (s->overhead.sample_count)
		take_sample(s, now);
	sum->overhead_known = hs_overhead_session_pct(&s->overhead, &sum->overhead_pct);
	if (s->opts->verbose && s->overhead.sample_count) {
		const struct hs_overhead *m = &s->overhead;
		const struct hs_overhead_sample *last = hs_overhead_last(m);
		const struct hs_hits *hits = &last->hits;

		fprintf(stderr, "heapscope: overhead meter: %llu entry hits (%.0f%% on "
			"single-stepped sites), %llu on ret instructions, %llu returns, programs "
			"%.1f ms; priced at %.2f/%.2f/%.2f us (median of %zu calibrations): probes "
			"%.1f ms of the targets' %.1f ms CPU\n",
			(unsigned long long)(hits->entry_hits - m->first.hits.entry_hits),
			100 * m->cost.stepped_share,
			(unsigned long long)(hits->stepped_hits - m->first.hits.stepped_hits),
			(unsigned long long)(hits->return_hits - m->first.hits.return_hits),
			(hits->run_ns - m->first.hits.run_ns) / 1e6, m->cost.emulated_ns / 1e3,
			m->cost.stepped_ns / 1e3, m->cost.return_ns / 1e3,
			runs < RECALIBRATIONS ? runs : (size_t)RECALIBRATIONS,
			hs_overhead_span_probe_ns(m) / 1e6,
			(last->cpu_ns - m->first.cpu_ns) / 1e6);
	}
	if (s->stats_fd >= 0)
		s->stats.on_s += now - s->stats.on_since_s;
	if (s->opts->verbose && s->stats.kernel_counts && s->overhead.sample_count)
		fprintf(stderr, "heapscope: overhead meter: the kernel's run statistics on %.1f "
			"of %.1f s (%.0f s every %.0f s); between, %.2f hits a call reported, as "
			"in those windows\n", s->stats.on_s, now - s->overhead.first.t_s,
			STATS_WINDOW_S, STATS_PERIOD_S,
			s->stats.window_calls ? (double)(s->stats.window_hits.entry_hits +
							 s->stats.window_hits.return_hits) /
							s->stats.window_calls
					      : 0);
	sum->max_overhead_pct = s->opts->max_overhead_pct;
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	s->stats_fd = -1;
}

/* Progress line: the last second's share, "-" until there is one. */
void overhead_progress(const struct session *s, char *out, size_t len)
{
	double pct;

	if (hs_overhead_recent_pct(&s->overhead, OVERHEAD_WINDOW_S, &pct))
		snprintf(out, len, "%.0f%%", pct);
	else
		snprintf(out, len, "-");
}
