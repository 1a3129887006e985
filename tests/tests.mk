# tests/tests.mk - building and running the test suite (included by the Makefile).
#
# Workloads are built in several flavours from one source: _fp (frame pointers),
# later _nofp, _pie, _static.  They link libtruth.so from build/tests.

TEST_BIN   := $(BUILD)/tests
WORKLOAD_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls -pthread \
		   -Itests/workloads -Wall -Wno-unused-result -Wno-alloc-size-larger-than
# A module's unit test is tests/unit/STAGE/test_MODULE.c for user/STAGE/MODULE.c; the
# binaries land side by side in $(TEST_BIN) (their names are unique).
UNIT_SRC   := $(wildcard tests/unit/*/test_*.c)
UNIT_BIN   := $(addprefix $(TEST_BIN)/,$(basename $(notdir $(UNIT_SRC))))

.PHONY: tests-build test soak

$(TEST_BIN):
	mkdir -p $@

$(TEST_BIN)/libtruth.so: tests/workloads/truth_lib.c | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -fPIC -shared -o $@ $<

$(TEST_BIN)/truth_fp: tests/workloads/truth.c tests/workloads/workload.h $(TEST_BIN)/libtruth.so
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $< -L$(TEST_BIN) -ltruth -Wl,-rpath,$(abspath $(TEST_BIN))

$(TEST_BIN)/churn_checked: tests/workloads/churn_checked.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -O2 -o $@ $<

$(TEST_BIN)/churn_truth: tests/workloads/churn_truth.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<

# The verdict scenarios: one workload each, built alike.
SCENARIOS := leak_churn retention cache_plateau quiet early_growth old_blocks
$(addprefix $(TEST_BIN)/,$(SCENARIOS)): $(TEST_BIN)/%: tests/workloads/%.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<
# Two of them share the frames that load their state and serve lookups.
$(TEST_BIN)/early_growth $(TEST_BIN)/old_blocks: tests/workloads/state_lookup.h

# Services as real ones behave under --follow (forker: a child per connection,
# reloader: nginx's reload) and a JIT that writes a perf map (jit): built alike.
SERVICES := forker reloader jit fork_children
$(addprefix $(TEST_BIN)/,$(SERVICES)): $(TEST_BIN)/%: tests/workloads/%.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<

# A stripped executable (no .symtab, no debug file; build-id kept), as Debian ships
# memcached: its own functions have no name.
$(TEST_BIN)/stripped: tests/workloads/truth.c tests/workloads/workload.h $(TEST_BIN)/libtruth.so
	$(CC) $(WORKLOAD_CFLAGS) -Wl,--build-id -o $@ $< -L$(TEST_BIN) -ltruth \
		-Wl,-rpath,$(abspath $(TEST_BIN))
	strip --strip-all $@

# The same workload without frame pointers, as -O2 production builds are: only
# the CFI walk gets complete stacks.  PIE with its library's .eh_frame; non-PIE
# with a library that has only .debug_frame (no .eh_frame at all).
NOFP_CFLAGS := $(WORKLOAD_CFLAGS) -O2 -fomit-frame-pointer

$(TEST_BIN)/libtruth_nofp.so: tests/workloads/truth_lib.c | $(TEST_BIN)
	$(CC) $(NOFP_CFLAGS) -fPIC -shared -o $@ $<

$(TEST_BIN)/libtruth_dframe.so: tests/workloads/truth_lib.c | $(TEST_BIN)
	$(CC) $(NOFP_CFLAGS) -fno-asynchronous-unwind-tables -fno-unwind-tables -fPIC -shared -o $@ $<

$(TEST_BIN)/truth_nofp: tests/workloads/truth.c tests/workloads/workload.h $(TEST_BIN)/libtruth_nofp.so
	$(CC) $(NOFP_CFLAGS) -o $@ $< -L$(TEST_BIN) -ltruth_nofp -Wl,-rpath,$(abspath $(TEST_BIN))

$(TEST_BIN)/truth_nofp_nopie: tests/workloads/truth.c tests/workloads/workload.h \
			      $(TEST_BIN)/libtruth_dframe.so
	$(CC) $(NOFP_CFLAGS) -fno-pie -no-pie -o $@ $< -L$(TEST_BIN) -ltruth_dframe \
		-Wl,-rpath,$(abspath $(TEST_BIN))

$(TEST_BIN)/dlopen_nofp: tests/workloads/dlopen.c tests/workloads/workload.h \
			 $(TEST_BIN)/libtruth_nofp.so
	$(CC) $(NOFP_CFLAGS) -o $@ $<

$(TEST_BIN)/truth_cxx: tests/workloads/truth_cxx.cpp tests/workloads/workload.h | $(TEST_BIN)
	$(CXX) $(NOFP_CFLAGS) -o $@ $<

# The same workload as one static executable: the allocator is in its .symtab.
$(TEST_BIN)/truth_static: tests/workloads/truth.c tests/workloads/truth_lib.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -static -o $@ tests/workloads/truth.c tests/workloads/truth_lib.c

# C++: -fno-allocation-dce keeps new/delete pairs the test counts.
$(TEST_BIN)/truth_newdelete: tests/workloads/truth_newdelete.cc tests/workloads/workload.h | $(TEST_BIN)
	$(CXX) $(WORKLOAD_CFLAGS) -std=gnu++17 -fno-allocation-dce -o $@ $<

# The same as one static executable: operator new, malloc and the exception runtime
# are all in its .symtab.
$(TEST_BIN)/truth_newdelete_static: tests/workloads/truth_newdelete.cc tests/workloads/workload.h | $(TEST_BIN)
	$(CXX) $(WORKLOAD_CFLAGS) -std=gnu++17 -fno-allocation-dce -static -o $@ $<

# An allocator's own API called directly, linked against Debian's library.
ALLOCATOR_LIBDIR := /usr/lib/x86_64-linux-gnu
API_LIB_jemalloc := $(ALLOCATOR_LIBDIR)/libjemalloc.so.2
API_LIB_tcmalloc := $(ALLOCATOR_LIBDIR)/libtcmalloc_minimal.so.4
API_LIB_mimalloc := $(ALLOCATOR_LIBDIR)/libmimalloc.so.2
API_WORKLOADS := $(TEST_BIN)/api_jemalloc $(TEST_BIN)/api_tcmalloc $(TEST_BIN)/api_mimalloc
$(API_WORKLOADS): $(TEST_BIN)/api_%: tests/workloads/allocator_api.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -DAPI_$(shell echo $* | tr a-z A-Z) -o $@ $< $(API_LIB_$*)
$(TEST_BIN)/free_sites_fp: tests/workloads/free_sites.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<

$(TEST_BIN)/membytes: tests/tools/membytes.c | $(TEST_BIN)
	$(CC) -O2 -Wall -o $@ $<

$(TEST_BIN)/pngcolors: tests/tools/pngcolors.c | $(TEST_BIN)
	$(CC) -O2 -Wall -o $@ $< -lz

$(TEST_BIN)/exec_stopped: tests/tools/exec_stopped.c | $(TEST_BIN)
	$(CC) -O2 -Wall -o $@ $<

$(TEST_BIN)/no_allocator: tests/tools/no_allocator.c | $(TEST_BIN)
	$(CC) -O2 -Wall -static -nostdlib -o $@ $<

# One rule per unit test: its source sits in its stage's folder.
define unit_test_rule
$(TEST_BIN)/$(basename $(notdir $(1))): $(1) $(BUILD)/libheapscope.a | $(TEST_BIN)
	$$(CC) $$(CFLAGS) $$(DEPFLAGS) -Itests/unit -o $$@ $$< $(BUILD)/libheapscope.a $$(LDFLAGS) $$(LDLIBS)
endef
$(foreach src,$(UNIT_SRC),$(eval $(call unit_test_rule,$(src))))

# The ELF unit tests' fixture: a .so with a build-id and its .symtab, its
# detached debug file, and a stripped copy that links to it by .gnu_debuglink.
ELF_FIXTURES := $(TEST_BIN)/libsymbols.so $(TEST_BIN)/libsymbols.debug $(TEST_BIN)/libsymbols_stripped.so
$(TEST_BIN)/libsymbols.so: tests/unit/fixtures/symbols_lib.c | $(TEST_BIN)
	$(CC) -O1 -g -fPIC -shared -Wl,--build-id=sha1 -o $@ $<
$(TEST_BIN)/libsymbols.debug: $(TEST_BIN)/libsymbols.so
	objcopy --only-keep-debug $< $@
$(TEST_BIN)/libsymbols_stripped.so: $(TEST_BIN)/libsymbols.so $(TEST_BIN)/libsymbols.debug
	cd $(TEST_BIN) && objcopy --strip-all --add-gnu-debuglink=libsymbols.debug libsymbols.so \
		libsymbols_stripped.so
$(TEST_BIN)/test_elf_object $(TEST_BIN)/test_symbolize $(TEST_BIN)/test_source_lines: $(ELF_FIXTURES)

# A thread that dies inside valloc, defined in the executable (test_probe_paths).
$(TEST_BIN)/thread_death: tests/workloads/thread_death.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<

# A valloc, defined in the executable, that the program leaves by longjmp (test_probe_paths).
$(TEST_BIN)/call_escape: tests/workloads/call_escape.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<

# The ret-site finder's fixture: functions whose ways out are labelled.
$(TEST_BIN)/libretsites.so: tests/unit/fixtures/ret_sites_lib.S | $(TEST_BIN)
	$(CC) -shared -fPIC -nostdlib -o $@ $<
$(TEST_BIN)/test_ret_sites: $(TEST_BIN)/libretsites.so

WORKLOADS := $(BUILD)/tools/demo_server $(TEST_BIN)/truth_fp $(TEST_BIN)/churn_checked $(TEST_BIN)/membytes
WORKLOADS += $(TEST_BIN)/pngcolors $(TEST_BIN)/churn_truth $(TEST_BIN)/exec_stopped
WORKLOADS += $(TEST_BIN)/no_allocator
WORKLOADS += $(addprefix $(TEST_BIN)/,$(SCENARIOS))
WORKLOADS += $(addprefix $(TEST_BIN)/,$(SERVICES)) $(TEST_BIN)/stripped
WORKLOADS += $(TEST_BIN)/truth_nofp $(TEST_BIN)/truth_nofp_nopie $(TEST_BIN)/truth_cxx \
	     $(TEST_BIN)/dlopen_nofp
WORKLOADS += $(TEST_BIN)/truth_static $(TEST_BIN)/truth_newdelete $(TEST_BIN)/truth_newdelete_static
WORKLOADS += $(API_WORKLOADS)
WORKLOADS += $(TEST_BIN)/free_sites_fp $(TEST_BIN)/thread_death $(TEST_BIN)/call_escape

include tests/fuzz/fuzz.mk

tests-build: $(HEAPSCOPE_BIN) $(WORKLOADS) $(UNIT_BIN) $(FUZZ_REPLAY_BIN)

# The scripts find the build (normal or sanitized) through these two variables.
test: tests-build
	BUILD_DIR=$(BUILD) HEAPSCOPE=$(abspath $(HEAPSCOPE_BIN)) tests/run.sh

# A 10-minute session against a churning workload; heapscope's memory must stay flat.
soak: tests-build
	SOAK_SECONDS=$${SOAK_SECONDS:-600} BUILD_DIR=$(BUILD) HEAPSCOPE=$(abspath $(HEAPSCOPE_BIN)) \
		tests/run.sh test_soak

# heapscope inspect: a workload whose arenas are known (its own malloc_info is the truth).
$(TEST_BIN)/arenas: tests/workloads/arenas.c | $(TEST_BIN)
	$(CC) -O1 -g -pthread -Wall -o $@ $<
tests-build: $(TEST_BIN)/arenas

# heapscope inspect's census by C++ type: three classes, one of them in a shared object.
$(TEST_BIN)/libtypes.so: tests/workloads/types_lib.cc tests/workloads/types_lib.h | $(TEST_BIN)
	$(CXX) -O1 -g -fPIC -shared -o $@ $<
$(TEST_BIN)/types: tests/workloads/types.cc tests/workloads/types_lib.h tests/workloads/workload.h \
		   $(TEST_BIN)/libtypes.so
	$(CXX) -O1 -g -Itests/workloads -o $@ $< -L$(TEST_BIN) -ltypes -Wl,-rpath,$(abspath $(TEST_BIN))
tests-build: $(TEST_BIN)/types

# heapscope watch: a workload that grows, frees most, and keeps the freed memory resident.
$(TEST_BIN)/watch_retention: tests/workloads/watch_retention.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<
tests-build: $(TEST_BIN)/watch_retention

# --leak-check: a C++ workload with exactly known unreachable and reachable blocks, and a
# driver for the session-less check (what `heapscope inspect --leak-check` will call).
$(TEST_BIN)/leaks: tests/workloads/leaks.cc tests/workloads/workload.h | $(TEST_BIN)
	$(CXX) $(WORKLOAD_CFLAGS) -std=gnu++17 -fno-allocation-dce -o $@ $<
$(TEST_BIN)/leak_driver: tests/tools/leak_driver.c $(BUILD)/libheapscope.a | $(TEST_BIN)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libheapscope.a $(LDFLAGS) $(LDLIBS) -lpthread
tests-build: $(TEST_BIN)/leaks $(TEST_BIN)/leak_driver
$(TEST_BIN)/bigheap_live: tests/workloads/bigheap_live.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -O2 -o $@ $<
tests-build: $(TEST_BIN)/bigheap_live

# heapscope watch's largest C++ types: fourteen classes of known counts, then one deleted.
$(TEST_BIN)/watch_types: tests/workloads/watch_types.cc tests/workloads/workload.h | $(TEST_BIN)
	$(CXX) $(WORKLOAD_CFLAGS) -std=gnu++17 -o $@ $<
tests-build: $(TEST_BIN)/watch_types

# The overhead meter: malloc+free pairs with a set amount of work between them (a hot loop,
# a calm one; tools/bench_overhead.sh's three workloads).
$(TEST_BIN)/paced_pairs: tests/workloads/paced_pairs.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<
tests-build: $(TEST_BIN)/paced_pairs
