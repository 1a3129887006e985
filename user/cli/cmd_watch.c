// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_watch.c - `heapscope watch`: every interval, read each watched process's heap state
 * from outside (no probes, no ptrace) and publish it: /metrics for Prometheus (--listen),
 * one JSON line per process and reading (-o); `watch --report` turns such a recording into
 * a verdict.
 *
 * Owns: the command line of watch, the interval loop and its stop signal (the one mutable
 * global, as in main.c), every message to stderr, the exit status.
 * Does not own: readings (watch/sample.c), their formats (watch/prometheus.c, record.c), the
 * server (watch/http.c), the verdict (watch/report.c over analysis/verdict).
 * Invariants: the loop never waits for a client (the server thread serves the last published
 * page); an interval that takes longer than --interval is followed by the next at once,
 * never by a burst of catch-up readings; a target that cannot be read is counted on its
 * series, never ends the watch.
 */
#include "cli/commands.h"
#include "cli/errors.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target/exe.h"
#include "watch/http.h"
#include "watch/prometheus.h"
#include "watch/record.h"
#include "watch/report.h"
#include "watch/watch.h"

#define WATCH_DEFAULT_INTERVAL_S 10.0
#define WATCH_MIN_INTERVAL_S	 0.1
#define WATCH_DEFAULT_CPU_BUDGET 1.0 /* percent of one core */
#define WATCH_MAX_PIDS		 HS_WATCH_MAX_PROCESSES

static volatile sig_atomic_t watch_stop;

static void on_stop(int sig)
{
	watch_stop = sig;
}

struct watch_options {
	pid_t pids[WATCH_MAX_PIDS];
	uint64_t pid_start_ticks[WATCH_MAX_PIDS]; /* -p: the processes meant, not later reuses */
	size_t pid_count;
	const char *exe_path;
	double interval_s, duration_s;
	double cpu_budget_percent; /* 0: no budget, every heap every interval */
	unsigned types;		   /* the N largest C++ types per process; 0: no census */
	const char *listen_addr;
	const char *record_path;
	const char *report_path;
	const char *format; /* --report: "report" or "json" */
	bool help;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: heapscope watch (-p PID[,PID...] | --exe PATH) [--interval SECONDS]\n"
		"                       [--listen [ADDR:]PORT] [-o FILE.jsonl] [-d SECONDS]\n"
		"                       [--cpu-budget PERCENT] [--types N]\n"
		"       heapscope watch --report FILE.jsonl [-f report|json]\n"
		"\n"
		"Reads each process's glibc heap from outside every interval (no probes, no ptrace:\n"
		"the targets never stop) plus its RSS and anonymous memory from /proc.\n"
		"\n"
		"  -p PID[,PID...]      processes to watch (repeatable); the watch ends when all exit\n"
		"  --exe PATH           every process running PATH, picked up as they start, dropped\n"
		"                       as they exit (the watch goes on until stopped)\n"
		"  --interval SECONDS   between readings (default %.0f, at least %.1f)\n"
		"  --listen [ADDR:]PORT serve GET /metrics (Prometheus text format); ADDR is\n"
		"                       127.0.0.1 unless given (numeric: 0.0.0.0, [::1], ...): only\n"
		"                       widen it behind a firewall or proxy; port 0 picks a free\n"
		"                       port (printed)\n"
		"  -o FILE.jsonl        append each reading as one JSON object per line\n"
		"  -d SECONDS           stop after this long (default: until SIGINT/SIGTERM)\n"
		"  --cpu-budget PERCENT of one core the readings may take on average (default %.0f;\n"
		"                       0: no limit).  /proc figures are read every interval; a heap\n"
		"                       reading copies the whole heap, so when every heap every\n"
		"                       interval would cost more, each heap is read every N-th\n"
		"                       interval (N: heapscope_heap_read_stride, at most %d)\n"
		"  --types N            export the N largest C++ types of each process by bytes\n"
		"                       (0..%d, default %d; 0: none), named by the vtable each\n"
		"                       block's first word points into, from the heap reading's\n"
		"                       own copy (nothing read twice); names cut at %d bytes\n"
		"  --report FILE.jsonl  turn a recording into a verdict per process: leak, retention,\n"
		"                       bounded, stable (-f report: text, the default; -f json)\n"
		"\n"
		"Limits: %d processes; %d connections to /metrics (the oldest still sending its\n"
		"request is dropped for a new one), %d bytes of request, %d ms to send it, %d ms to\n"
		"take the answer; only GET /metrics is answered (404/405 otherwise); the exe label is\n"
		"cut at %d bytes; --report thins each series to %d points for its trends.\n"
		"\n"
		"Examples:\n"
		"  heapscope watch --exe /usr/bin/mediasoup-worker --listen 127.0.0.1:9464\n"
		"  heapscope watch -p 4242 --interval 60 -o /var/log/heapscope/4242.jsonl\n"
		"  heapscope watch --report /var/log/heapscope/4242.jsonl\n",
		WATCH_DEFAULT_INTERVAL_S, WATCH_MIN_INTERVAL_S, WATCH_DEFAULT_CPU_BUDGET,
		HS_WATCH_MAX_HEAP_STRIDE, HS_WATCH_MAX_TYPES, HS_WATCH_MAX_TYPES,
		HS_WATCH_TYPE_NAME_BYTES - 1, HS_WATCH_MAX_PROCESSES,
		HS_HTTP_MAX_CONNECTIONS, HS_HTTP_MAX_REQUEST_BYTES, HS_HTTP_HEADER_TIMEOUT_MS,
		HS_HTTP_WRITE_TIMEOUT_MS, HS_WATCH_EXE_LABEL_BYTES, HS_REPORT_MAX_POINTS);
}

/* heapscope: watch: ... (one line on stderr). */
#define fail(...) hs_fail("watch: " __VA_ARGS__)

static int parse_seconds(const char *text, double min_s, double *out)
{
	char *end;
	double value = strtod(text, &end);

	if (end == text || *end || !isfinite(value) || value < min_s || value > 1e9)
		return -EINVAL;
	*out = value;
	return 0;
}

static int parse_pids(struct watch_options *o, const char *text)
{
	char *copy = strdup(text), *save = NULL;
	int err = copy ? 0 : -ENOMEM;

	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; !err && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long pid = strtol(tok, &end, 10);

		if (*end || pid <= 0 || pid > 4194304)
			err = -EINVAL;
		else if (o->pid_count >= WATCH_MAX_PIDS)
			err = -E2BIG;
		else
			o->pids[o->pid_count++] = (pid_t)pid;
	}
	free(copy);
	return err;
}

static int parse_options(int argc, char **argv, struct watch_options *o, char *error,
			 size_t error_len)
{
	static const struct option longs[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "exe", required_argument, NULL, 'e' },
		{ "interval", required_argument, NULL, 'i' },
		{ "listen", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "report", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "cpu-budget", required_argument, NULL, 'b' },
		{ "types", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->interval_s = WATCH_DEFAULT_INTERVAL_S;
	o->format = "report";
	o->cpu_budget_percent = WATCH_DEFAULT_CPU_BUDGET;
	o->types = HS_WATCH_MAX_TYPES;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:o:d:f:h", longs, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_pids(o, optarg)) {
				snprintf(error, error_len, "bad PID list '%s'", optarg);
				return -EINVAL;
			}
			break;
		case 'e':
			o->exe_path = optarg;
			break;
		case 'i':
			if (parse_seconds(optarg, WATCH_MIN_INTERVAL_S, &o->interval_s)) {
				snprintf(error, error_len, "--interval wants seconds >= %.1f, not '%s'",
					 WATCH_MIN_INTERVAL_S, optarg);
				return -EINVAL;
			}
			break;
		case 'l':
			o->listen_addr = optarg;
			break;
		case 'o':
			o->record_path = optarg;
			break;
		case 'd':
			if (parse_seconds(optarg, 0.001, &o->duration_s)) {
				snprintf(error, error_len, "-d wants seconds, not '%s'", optarg);
				return -EINVAL;
			}
			break;
		case 'b':
			if (parse_seconds(optarg, 0, &o->cpu_budget_percent) ||
			    o->cpu_budget_percent > 100) {
				snprintf(error, error_len, "--cpu-budget wants a percent 0..100, not "
					 "'%s'", optarg);
				return -EINVAL;
			}
			break;
		case 't': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (end == optarg || *end || n < 0 || n > HS_WATCH_MAX_TYPES) {
				snprintf(error, error_len, "--types wants a count 0..%d, not '%s'",
					 HS_WATCH_MAX_TYPES, optarg);
				return -EINVAL;
			}
			o->types = (unsigned)n;
			break;
		}
		case 'r':
			o->report_path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "report") && strcmp(optarg, "json")) {
				snprintf(error, error_len, "-f wants report or json, not '%s'", optarg);
				return -EINVAL;
			}
			o->format = optarg;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			snprintf(error, error_len, "unknown option");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(error, error_len, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->report_path)
		return 0;
	if (!!o->pid_count == !!o->exe_path) {
		snprintf(error, error_len, "give -p PID or --exe PATH (one of them)");
		return -EINVAL;
	}
	if (!o->listen_addr && !o->record_path) {
		snprintf(error, error_len, "nothing to publish: give --listen ADDR:PORT, -o FILE, "
			 "or both");
		return -EINVAL;
	}
	return 0;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep until the monotonic instant until_s, or until a stop signal. */
static void sleep_until(double until_s)
{
	struct timespec ts = { .tv_sec = (time_t)until_s,
			       .tv_nsec = (long)((until_s - floor(until_s)) * 1e9) };

	while (!watch_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Which processes should be watched now: --exe's current ones, or the -p ones still alive. */
static int current_pids(const struct watch_options *o, const struct hs_exe_identity *exe,
			pid_t **pids, size_t *count)
{
	if (o->exe_path)
		return hs_exe_processes(exe, pids, count);
	*pids = malloc(sizeof(**pids) * o->pid_count);
	*count = 0;
	if (!*pids)
		return -ENOMEM;
	for (size_t i = 0; i < o->pid_count; i++) {
		uint64_t start_ticks;
		uint32_t threads;

		if (hs_proc_alive(o->pids[i]) &&
		    hs_watch_proc_stat(o->pids[i], &start_ticks, &threads, NULL, 0) == 0 &&
		    start_ticks == o->pid_start_ticks[i])
			(*pids)[(*count)++] = o->pids[i];
	}
	return 0;
}

static int publish(struct hs_http_server *server, const struct hs_watch *w)
{
	char *page = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&page, &len);
	int err;

	if (!out)
		return -errno;
	err = hs_prom_write(out, w);
	if (fclose(out) && !err)
		err = -ENOMEM;
	if (!err)
		err = hs_http_publish(server, page, len);
	free(page);
	return err;
}

static void record(FILE *out, const struct hs_watch *w)
{
	for (size_t i = 0; i < w->count; i++)
		if (w->items[i]->has_reading)
			hs_record_write(out, w->items[i], &w->items[i]->last);
	fflush(out);
}

static int run_watch(struct watch_options *o)
{
	struct hs_exe_identity exe = { 0 };
	struct hs_http_server *server = NULL;
	struct hs_watch w = { .max_types = o->types };
	struct sigaction sa = { .sa_handler = on_stop };
	FILE *rec = NULL;
	double started_s, next_s;
	char bound[128] = "";
	bool warned_full = false;
	int err = 0;

	if (o->exe_path && (err = hs_exe_identity(o->exe_path, &exe))) {
		fail("cannot use %s: %s", o->exe_path, strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < o->pid_count; i++) {
		uint32_t threads;

		if (!hs_proc_alive(o->pids[i]) ||
		    hs_watch_proc_stat(o->pids[i], &o->pid_start_ticks[i], &threads, NULL, 0)) {
			fail("cannot watch PID %d: no such process", o->pids[i]);
			return 1;
		}
	}
	if (o->record_path && !(rec = fopen(o->record_path, "ae"))) {
		fail("cannot write %s: %s", o->record_path, strerror(errno));
		return 1;
	}
	if (o->listen_addr) {
		err = hs_http_start(o->listen_addr, HS_PROM_CONTENT_TYPE, &server, bound,
				    sizeof(bound));
		if (err) {
			fail("cannot listen on %s: %s", o->listen_addr,
			     err == -EINVAL ? "want [ADDR:]PORT, ADDR numeric (127.0.0.1:9464)" :
					      strerror(-err));
			if (rec)
				fclose(rec);
			return 1;
		}
		fprintf(stderr, "heapscope: watch: serving http://%s/metrics\n", bound);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	started_s = next_s = monotonic_s();
	while (!watch_stop) {
		pid_t *pids = NULL;
		size_t count = 0;

		err = current_pids(o, &exe, &pids, &count);
		if (!err)
			err = hs_watch_sync(&w, pids, count);
		free(pids);
		if (err) {
			fail("cannot list the processes to watch: %s", strerror(-err));
			break;
		}
		hs_watch_read_all(&w, o->cpu_budget_percent / 100 * o->interval_s);
		if (w.not_watched && !warned_full) {
			fail("WARNING: more than %d processes: the others are not watched",
			     HS_WATCH_MAX_PROCESSES);
			warned_full = true;
		}
		if (server && (err = publish(server, &w)))
			fail("cannot publish /metrics: %s", strerror(-err)); /* next interval may */
		err = 0;
		if (rec)
			record(rec, &w);
		if (o->pid_count && w.count == 0) {
			fprintf(stderr, "heapscope: watch: every watched process exited\n");
			break;
		}
		next_s += o->interval_s;
		if (next_s < monotonic_s())
			next_s = monotonic_s(); /* late: the next reading now, no catch-up burst */
		if (o->duration_s && next_s - started_s > o->duration_s + 1e-6)
			break;
		sleep_until(next_s);
	}
	hs_http_stop(server);
	if (rec && fclose(rec)) {
		fail("cannot write %s: %s", o->record_path, strerror(errno));
		err = -EIO;
	}
	hs_watch_free(&w);
	return err ? 1 : 0;
}

/* A recording's lines, each at most HS_RECORD_MAX_LINE_BYTES (longer ones count as malformed). */
static int read_recording(FILE *in, struct hs_report *report)
{
	char *line = malloc(HS_RECORD_MAX_LINE_BYTES + 2);
	int err = line ? 0 : -ENOMEM;

	while (!err && fgets(line, HS_RECORD_MAX_LINE_BYTES + 2, in)) {
		size_t len = strlen(line);

		if (len && line[len - 1] == '\n') {
			err = hs_report_add_line(report, line, len - 1);
			continue;
		}
		if (len > HS_RECORD_MAX_LINE_BYTES) {
			int c;

			while ((c = fgetc(in)) != EOF && c != '\n')
				;
			report->lines++;
			report->malformed_lines++;
			continue;
		}
		err = hs_report_add_line(report, line, len); /* the last line, unterminated */
	}
	free(line);
	return err ? err : ferror(in) ? -EIO : 0;
}

static int run_report(const struct watch_options *o)
{
	struct hs_report report = { 0 };
	FILE *in = fopen(o->report_path, "re");
	int err;

	if (!in) {
		fail("cannot read %s: %s", o->report_path, strerror(errno));
		return 1;
	}
	err = read_recording(in, &report);
	fclose(in);
	if (!err)
		err = hs_report_judge(&report);
	if (err) {
		fail("cannot read %s: %s", o->report_path, strerror(-err));
		hs_report_free(&report);
		return 1;
	}
	if (report.count == 0)
		fail("%s: no readings (%llu lines, %llu malformed)", o->report_path,
		     (unsigned long long)report.lines, (unsigned long long)report.malformed_lines);
	err = strcmp(o->format, "json") == 0 ?
		      hs_report_write_json(stdout, &report, o->report_path) :
		      hs_report_write_text(stdout, &report, o->report_path);
	hs_report_free(&report);
	return err || report.count == 0 ? 1 : 0;
}

int cmd_watch(int argc, char **argv)
{
	static struct watch_options opts; /* PID list: too big for the stack */
	char error[256];

	if (parse_options(argc, argv, &opts, error, sizeof(error))) {
		fail("%s (see heapscope watch --help)", error);
		return 2;
	}
	if (opts.help) {
		usage(stdout);
		return 0;
	}
	return opts.report_path ? run_report(&opts) : run_watch(&opts);
}
