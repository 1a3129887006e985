#!/usr/bin/env bash
# Soak: one long session against a churning workload; heapscope's own memory
# must stay flat.  `make test` runs it for SOAK_SECONDS=15; `make soak` for 600.
. "$(dirname "$0")/../lib.sh"
DURATION=${SOAK_SECONDS:-15}

small_asan_quarantine
W=$OUT/work
start_workload churn_checked "$W"
touch "$W/go"
start_heapscope "$OUT/stderr" -p "$WPID" -q -d "$DURATION" -o "$OUT/soak.folded"
rss_kib() { awk '/^VmRSS:/ {print $2}' /proc/"$HPID"/status 2>/dev/null; }
sleep $((DURATION / 5 + 1)) # warm-up: tables reach their working size
first=$(rss_kib)
peak=$first
while kill -0 "$HPID" 2>/dev/null; do
	now=$(rss_kib)
	[ -n "$now" ] && [ "$now" -gt "$peak" ] && peak=$now
	sleep 1
done
wait "$HPID"; HRC=$?
echo "  heapscope RSS after warm-up ${first} KiB, peak ${peak} KiB over ${DURATION} s"
check_eq "the session ends cleanly" 0 "$HRC"
# Flat: at most 10% + 2 MiB above the post-warm-up level.
check "collector memory stays flat (${first} -> peak ${peak} KiB)" \
	[ "$peak" -le $((first + first / 10 + 2048)) ]
events=$(sed -n 's/.*s, \([0-9]*\) events.*/\1/p' "$OUT/stderr")
echo "  ${events} events in ${DURATION} s"
release_workload "$W"
check_eq "the workload is unharmed" 0 "$WRC"
finish
