// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * leaks.cc - a process with exactly known unreachable and reachable blocks, for --leak-check.
 *
 * Before "ready": g_pre (a block the session will not see, allocated before attach) and a
 * sleeping thread.  After "go" (the session is attached), every function below allocates:
 *
 *   unreachable (leaked)                           reachable (must not be reported)
 *   leak_loop     100 x 48 B, pointers dropped     keep_global    100 B from a global
 *   leak_list     10 x 64 B list, head lost:       keep_interior  200 B, only an interior ptr
 *                 1 direct, 9 indirect             keep_pre       300 B, from g_pre's block
 *   leak_widgets  20 x Widget (32 B, vtable)       keep_stack     400 B, a sleeping thread's
 *   leak_cycle    2 x 96 B pointing at each other:                stack
 *                 1 direct, 1 indirect             keep_tls       500 B, its thread_local
 *                                                  keep_vector    10 x Gadget (16 B) in a
 *                                                                 global std::vector
 *                                                  keep_chain     4 x 64 B, global -> a -> b ...
 *
 * Unreachable in all: 6272 bytes in 132 blocks, 122 direct and 10 indirect (LEAK_LOOP_COUNT
 * changes leak_loop's 100).  The truth file
 * lists the unreachable bytes per function.  Under Valgrind (RUNNING_ON_VALGRIND) the
 * workload runs VALGRIND_DO_LEAK_CHECK after the phase, while the thread still sleeps.
 */
#include <pthread.h>
#include <vector>
#include <valgrind/memcheck.h>

extern "C" {
#include "workload.h"
}

struct Widget {
	virtual ~Widget() {}
	virtual long weight() { return x + y + z; }
	long x = 1, y = 2, z = 3;
};

struct Gadget {
	virtual ~Gadget() {}
	long v = 7;
};

struct ListNode {
	ListNode *next;
	char pad[56];
};

struct Pre {
	void *slot;
	char pad[992];
};

/* The compiler may drop stores into memory that is never read again (a leaked block's
 * vtable pointer or next link): this makes them happen. */
#define KEEP_STORES(p) asm volatile("" : : "r"(p) : "memory")

/* Global (not static): stores into variables nothing reads would be optimised away. */
Pre *g_pre;
void *g_global;
char *g_interior;
std::vector<Gadget *> g_gadgets;
void **g_chain;
volatile int g_thread_go, g_thread_done;
thread_local void *t_tls;

static int g_loop_count = 100; /* LEAK_LOOP_COUNT: more than an allocator's caches hold */

static NOINLINE void leak_loop(void)
{
	for (int i = 0; i < g_loop_count; i++) {
		char *volatile p = (char *)malloc(48);

		p[0] = 1;
	}
}

static NOINLINE void leak_list(void)
{
	ListNode *volatile head = nullptr;

	for (int i = 0; i < 10; i++) {
		ListNode *n = (ListNode *)malloc(sizeof(ListNode));

		n->next = head;
		KEEP_STORES(n);
		head = n;
	}
}

static NOINLINE void leak_widgets(void)
{
	for (int i = 0; i < 20; i++) {
		Widget *volatile w = new Widget();

		w->x = i;
		KEEP_STORES(w);
	}
}

static NOINLINE void leak_cycle(void)
{
	void **volatile a = (void **)malloc(96);
	void **volatile b = (void **)malloc(96);

	a[0] = (void *)b;
	b[0] = (void *)a;
	KEEP_STORES(a);
	KEEP_STORES(b);
}

static NOINLINE void keep_global(void)
{
	g_global = malloc(100);
}

static NOINLINE void keep_interior(void)
{
	g_interior = (char *)malloc(200) + 100;
}

static NOINLINE void keep_pre(void)
{
	g_pre->slot = malloc(300);
}

static NOINLINE void keep_vector(void)
{
	for (int i = 0; i < 10; i++)
		g_gadgets.push_back(new Gadget());
	KEEP_STORES(g_gadgets.data());
}

static NOINLINE void keep_chain(void)
{
	void **prev = nullptr;

	for (int i = 0; i < 4; i++) {
		void **block = (void **)calloc(1, 64);

		if (prev)
			prev[0] = block;
		else
			g_chain = block;
		KEEP_STORES(prev);
		prev = block;
	}
}

static NOINLINE void keep_tls(void)
{
	t_tls = malloc(500);
}

/* Allocates on the go signal, then sleeps with the block only in this frame. */
static NOINLINE void keep_stack(void)
{
	void *volatile local = malloc(400);
	struct timespec nap = { 0, 20 * 1000 * 1000 };

	keep_tls();
	g_thread_done = 1;
	for (;;) {
		nanosleep(&nap, NULL);
		if (!local)
			break;
	}
}

static void *sleeper(void *)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };

	while (!g_thread_go)
		nanosleep(&nap, NULL);
	keep_stack();
	return NULL;
}

static NOINLINE void phase(void)
{
	struct timespec nap = { 0, 2 * 1000 * 1000 };

	leak_loop();
	leak_list();
	leak_widgets();
	leak_cycle();
	keep_global();
	keep_interior();
	keep_pre();
	keep_vector();
	keep_chain();
	g_thread_go = 1;
	while (!g_thread_done)
		nanosleep(&nap, NULL);
	workload_expect("leak_loop", 48ull * g_loop_count, g_loop_count, "main;phase;leak_loop");
	workload_expect("leak_list", 640, 10, "main;phase;leak_list");
	workload_expect("leak_widgets", 640, 20, "main;phase;leak_widgets");
	workload_expect("leak_cycle", 192, 2, "main;phase;leak_cycle");
}

int main(int argc, char **argv)
{
	pthread_t thread;

	if (getenv("LEAK_LOOP_COUNT"))
		g_loop_count = atoi(getenv("LEAK_LOOP_COUNT"));
	g_gadgets.reserve(16);
	g_pre = (Pre *)calloc(1, sizeof(Pre));
	pthread_create(&thread, NULL, sleeper, NULL);
	workload_start(argc, argv);
	phase();
	if (RUNNING_ON_VALGRIND)
		VALGRIND_DO_LEAK_CHECK;
	workload_finish();
	return 0;
}
