#!/usr/bin/env bash
# Overload: a ring buffer far too small for a burst of allocations.  Drops must
# be counted and reported, the session must still end cleanly with its output,
# and the summary must say the result is incomplete.
. "$(dirname "$0")/../lib.sh"

W=$OUT/work
start_workload churn_checked "$W"
touch "$W/go"
start_heapscope "$OUT/stderr" -p "$WPID" --ringbuf-size 4096 -d 2 -o "$OUT/overload.folded"
wait "$HPID"; HRC=$?
check_eq "heapscope exits 0 after an overloaded session" 0 "$HRC"
check "the output is written" [ -s "$OUT/overload.folded" ]
dropped=$(sed -n 's/.*ring buffer full \([0-9]*\).*/\1/p' "$OUT/stderr")
check "dropped events are counted (${dropped:-none})" [ "${dropped:-0}" -gt 0 ]
check "the summary says the results may be incomplete" \
	grep -q "WARNING: results may be incomplete" "$OUT/stderr"
release_workload "$W"
check_eq "the workload is unharmed" 0 "$WRC"
finish
