# tools/tools.mk - the demo server, the benchmark programs and their make targets
# (included by the Makefile).  Nothing here is part of make test.

$(BUILD)/tools/demo_server: tools/demo_server.c
	mkdir -p $(BUILD)/tools
	$(CC) -O2 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls -Wall -o $@ $<

$(BUILD)/tools/unwind_loop: tools/unwind_loop.c tests/workloads/workload.h
	mkdir -p $(BUILD)/tools
	$(CC) -O2 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls -Itests/workloads -Wall \
		-o $@ $<

# BPF run-time statistics on for as long as it runs (bench.sh, bench_unwind.sh).
$(BUILD)/tools/bpf_stats_on: tools/bpf_stats_on.c
	mkdir -p $(BUILD)/tools
	$(CC) $(CFLAGS) -o $@ $< -lbpf

# Cost per allocation of --unwind dwarf against --unwind fp (root).
bench-unwind: heapscope $(BUILD)/tools/unwind_loop $(BUILD)/tools/bpf_stats_on
	tools/bench_unwind.sh

# make bench: probe cost and collector figures (tools/bench.sh).  Prints, never asserts.
$(TEST_BIN)/bench_alloc: tests/workloads/bench_alloc.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -o $@ $<

$(TEST_BIN)/bench_newdelete: tests/workloads/bench_alloc.c tests/workloads/workload.h | $(TEST_BIN)
	$(CC) $(WORKLOAD_CFLAGS) -DBENCH_NEW -o $@ $< -lstdc++

$(TEST_BIN)/bench_collect: tests/tools/bench_collect.c $(BUILD)/libheapscope.a | $(TEST_BIN)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libheapscope.a $(LDFLAGS) $(LDLIBS)

bench: heapscope $(BUILD)/tools/bpf_stats_on $(TEST_BIN)/bench_alloc $(TEST_BIN)/bench_newdelete \
       $(TEST_BIN)/bench_collect $(TEST_BIN)/paced_pairs $(TEST_BIN)/arenas $(TEST_BIN)/leaks \
       $(TEST_BIN)/bigheap_live $(TEST_BIN)/leak_driver $(TEST_BIN)/fork_children
	tools/bench.sh
	tools/bench_leak.sh

# heapscope inspect on a 1 GiB heap with a million free chunks (tools/bench.sh).
$(TEST_BIN)/bigheap: tests/workloads/bigheap.c | $(TEST_BIN)
	$(CC) -O2 -g -Wall -o $@ $<
bench: $(TEST_BIN)/bigheap $(TEST_BIN)/arenas
