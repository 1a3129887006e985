// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * truth_cxx.cpp - C++ allocations through libstdc++'s operator new, which
 * calls malloc: the allocation is attributed to the function that used new
 * (operator new is an allocator entry point, like malloc, and not shown).
 * This workload is built without frame pointers, so only a CFI walk gets from
 * make_widgets back to main.  The truth file's chains say so (see
 * workload.h), with the names as demangled: make_widgets has C++ linkage
 * ("make_widgets()"), main has none.
 */
#include "workload.h"

struct Widget {
	unsigned long long id;
	double weight[5];
};

static Widget *kept_widgets[200];

NOINLINE static void make_widgets()
{
	for (int i = 0; i < 200; i++)
		kept_widgets[i] = new Widget{ (unsigned long long)i, {} };
	workload_expect("operator_new", 200 * sizeof(Widget), 200, "main;make_widgets()");
}

int main(int argc, char **argv)
{
	workload_start(argc, argv);
	make_widgets();
	workload_finish();
	return 0;
}
