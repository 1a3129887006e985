// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * reloader.c - a master and its workers, reloaded as `nginx -s reload` does:
 * the master forks two workers; when DIR/reload appears it reads its new
 * configuration (load_config: 124 KiB it keeps, a step in its live heap), forks
 * two new workers and tells the old ones to quit (SIGQUIT), which they do at
 * once.  Workers handle a request every 10 ms (a temporary buffer each).  When
 * DIR/exit appears the master stops its workers and exits.  The truth is the
 * master's.
 */
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

#define WORKERS	      2
#define CONFIG_BLOCKS 31
#define CONFIG_BYTES  4096

/* volatile: blocks only stored are otherwise optimized away, malloc and all */
static void *volatile config[CONFIG_BLOCKS];
static volatile sig_atomic_t quit;

static void on_quit(int sig)
{
	(void)sig;
	quit = 1;
}

NOINLINE static void handle_request(void)
{
	char *buffer = malloc(512);

	memset(buffer, 2, 512);
	workload_sink = buffer;
	free(buffer);
}

NOINLINE static void worker(void)
{
	while (!quit) {
		handle_request();
		workload_nap_ms(10);
	}
	_exit(0);
}

NOINLINE static void load_config(void)
{
	for (int i = 0; i < CONFIG_BLOCKS; i++) {
		config[i] = malloc(CONFIG_BYTES);
		memset(config[i], i, CONFIG_BYTES);
	}
}

static void start_workers(pid_t *pids)
{
	for (int i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker();
	}
}

static void stop_workers(const pid_t *pids)
{
	for (int i = 0; i < WORKERS; i++)
		kill(pids[i], SIGQUIT);
	for (int i = 0; i < WORKERS; i++)
		waitpid(pids[i], NULL, 0);
}

int main(int argc, char **argv)
{
	pid_t old[WORKERS], fresh[WORKERS];

	signal(SIGQUIT, on_quit); /* inherited by the workers; the master is not sent it */
	start_workers(old);
	workload_start(argc, argv);
	workload_wait("reload");
	load_config();
	start_workers(fresh);
	stop_workers(old);
	workload_touch("reloaded");
	workload_wait("exit");
	stop_workers(fresh);
	workload_expect("load_config", CONFIG_BLOCKS * CONFIG_BYTES, CONFIG_BLOCKS,
			"main;load_config");
	workload_expect("handle_request", 0, 0, "worker;handle_request");
	workload_finish();
	return 0;
}
