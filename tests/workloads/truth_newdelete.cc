// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * truth_newdelete.cc - operator new and delete in every variant (plain, array,
 * nothrow, aligned, sized), with the live bytes of each function known
 * exactly.  Under libstdc++ new calls malloc and delete calls free; under
 * tcmalloc, jemalloc or mimalloc (LD_PRELOAD) they are the allocator's own
 * entry points.  Either way each allocation counts once, under the function
 * that said new.
 *
 * TRUTH_BAD_ALLOC=1 also catches a std::bad_alloc thrown by a failing new
 * (five times), then goes on.  Debian's mimalloc aborts on a failing new
 * instead of throwing, so the test does not set it there.
 */
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "workload.h"

struct Obj {
	char bytes[40];
};

struct alignas(64) Aligned {
	char bytes[192];
};

static void *kept[4096];
static size_t kept_count;

static void keep(void *p)
{
	kept[kept_count++] = p;
}

#define CHAIN(fn) "main;" #fn

extern "C" {

NOINLINE void keep_new(void)
{
	for (int i = 0; i < 1000; i++)
		keep(new Obj);
	workload_expect("keep_new", 1000 * sizeof(Obj), 1000, CHAIN(keep_new));
}

NOINLINE void keep_new_array(void)
{
	for (int i = 0; i < 100; i++)
		keep(new char[77]);
	workload_expect("keep_new_array", 100 * 77, 100, CHAIN(keep_new_array));
}

NOINLINE void keep_nothrow(void)
{
	for (int i = 0; i < 50; i++) {
		keep(new (std::nothrow) Obj);
		keep(new (std::nothrow) char[33]);
	}
	workload_expect("keep_nothrow", 50 * (sizeof(Obj) + 33), 100, CHAIN(keep_nothrow));
}

NOINLINE void keep_aligned_new(void)
{
	for (int i = 0; i < 10; i++) {
		keep(new Aligned);
		keep(new Aligned[3]);
		keep(new (std::nothrow) Aligned);
		keep(new (std::nothrow) Aligned[2]);
	}
	workload_expect("keep_aligned_new", 10 * (1 + 3 + 1 + 2) * sizeof(Aligned), 40,
			CHAIN(keep_aligned_new));
}

/* Every delete variant releases what its new made: nothing stays live. */
NOINLINE void delete_every_variant(void)
{
	const std::align_val_t align{ 64 };

	for (int i = 0; i < 500; i++) {
		Obj *obj = new Obj;
		workload_sink = obj;
		delete obj; /* sized */
		char *chars = new char[100];
		workload_sink = chars;
		delete[] chars;
		Aligned *aligned = new Aligned;
		workload_sink = aligned;
		delete aligned; /* sized, aligned */
		Aligned *array = new Aligned[2];
		workload_sink = array;
		delete[] array;

		void *p = ::operator new(24);
		::operator delete(p);
		p = ::operator new[](24);
		::operator delete[](p, 24);
		p = ::operator new(24, std::nothrow);
		::operator delete(p, std::nothrow);
		p = ::operator new[](24, std::nothrow);
		::operator delete[](p, std::nothrow);
		p = ::operator new(128, align);
		::operator delete(p, align);
		p = ::operator new[](128, align);
		::operator delete[](p, align);
		p = ::operator new(128, align, std::nothrow);
		::operator delete(p, align, std::nothrow);
		p = ::operator new[](128, align, std::nothrow);
		::operator delete[](p, align, std::nothrow);
		p = ::operator new(128, align);
		::operator delete(p, 128, align);
		p = ::operator new[](128, align);
		::operator delete[](p, 128, align);
	}
	workload_expect("delete_every_variant", 0, 0, CHAIN(delete_every_variant));
}

/* Failed allocations count nothing. */
NOINLINE void failed_new(void)
{
	volatile size_t huge = SIZE_MAX / 2;
	const char *bad_alloc = getenv("TRUTH_BAD_ALLOC");
	bool throw_bad_alloc = bad_alloc && strcmp(bad_alloc, "1") == 0;

	for (int i = 0; i < 5; i++) {
		keep(new Obj);
		workload_sink = new (std::nothrow) char[huge];
		workload_sink = ::operator new(huge, std::align_val_t{ 64 }, std::nothrow);
		if (throw_bad_alloc) {
			try {
				workload_sink = new char[huge];
			} catch (const std::bad_alloc &) {
				workload_sink = nullptr;
			}
		}
	}
	workload_expect("failed_new", 5 * sizeof(Obj), 5, CHAIN(failed_new));
}

} /* extern "C" */

int main(int argc, char **argv)
{
	workload_start(argc, argv);
	keep_new();
	keep_new_array();
	keep_nothrow();
	keep_aligned_new();
	delete_every_variant();
	failed_new();
	workload_finish();
	return 0;
}
