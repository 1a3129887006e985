#!/usr/bin/env bash
# The core session: attach to a running frame-pointer workload, let it allocate,
# stop with SIGINT, and compare every function's live bytes with the truth.
# Also: the target keeps running, and the probed bytes are restored on detach.
. "$(dirname "$0")/../lib.sh"

W=$OUT/work
start_workload truth_fp "$W"
start_heapscope "$OUT/stderr" -p "$WPID" -v -o "$OUT/live.folded"
sites=$(probe_sites "$OUT/stderr" | wc -l)
check "heapscope reports its probe sites" [ "$sites" -ge 9 ]
check_eq "attach line names the allocator object" 1 \
	"$(grep -c "attached to PID $WPID (/usr/lib/x86_64-linux-gnu/libc.so.6, [0-9]* probes)" "$OUT/stderr")"
check_breakpoints core "$WPID" "$OUT/stderr"

run_phase "$W"
stop_heapscope INT
check_eq "heapscope exits 0 on SIGINT" 0 "$HRC"
check "the output file was written" [ -s "$OUT/live.folded" ]
check "no temporary file is left" [ -z "$(ls "$OUT" | grep '\.tmp\.')" ]
check_truth "$OUT/live.folded" "$W/truth" chains
check "the summary reports no lost events" grep -q "lost events: 0" "$OUT/stderr"

check_restored core "$WPID" "$OUT/stderr"
check "target is still running after detach" kill -0 "$WPID"
release_workload "$W"
check_eq "workload exits cleanly" 0 "$WRC"
finish
