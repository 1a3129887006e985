#!/usr/bin/env bash
# tools/bench_follow.sh - --follow's attach latency (called by tools/bench.sh): from a
# target's fork() to the child's probes live, with the fork event (the target_fork
# tracepoint wakes the session) and with the /proc scan alone every 100 ms
# (HEAPSCOPE_NO_FORK_EVENT=1).  Prints figures, asserts nothing: timings are not tests.
#
# fork_children forks CHILDREN children; each allocates a block per millisecond of its
# CPU time for CHILD_MS of them and writes each block's wall time since the fork.  A
# child whose session recorded k of its n blocks had probes live by block n - k: that
# block's time is its latency (to within a millisecond of the child's CPU).  Rounds
# alternate the two modes, so drift on a shared machine hits both alike.
. "$(dirname "$0")/../tests/lib.sh"

ROUNDS=${BENCH_ROUNDS:-3}
CHILDREN=${BENCH_FOLLOW_CHILDREN:-6}
CHILD_MS=${BENCH_FOLLOW_CHILD_MS:-150}

# latencies MODE [ENV...]: one session; appends each attached child's latency (ms) to
# $OUT/MODE.lat and "attached forked" to $OUT/MODE.count.
latencies() {
	local mode=$1 dir pid n k
	shift
	W=$OUT/$mode-$round
	start_workload fork_children "$W" CHILDREN="$CHILDREN" CHILD_MS="$CHILD_MS" \
		FORK_EVERY_MS=300
	[ $# -gt 0 ] && export "$@"
	start_heapscope "$W/hs.err" --exe "$BIN/fork_children" --follow -q -f json \
		-o "$W/out.json"
	[ $# -gt 0 ] && unset "${@%%=*}"
	run_phase "$W"
	sleep 0.2 # the last child's blocks drained
	stop_heapscope INT
	release_workload "$W"
	local attached=0 forked=0
	for dir in "$W"/child.*; do
		[ -e "$dir" ] || continue
		pid=${dir##*.} n=$(wc -l < "$dir") forked=$((forked + 1))
		k=$(jq --argjson p "$pid" '[.processes[] | select(.pid == $p) | .alloc_count][0] // 0' \
			"$W/out.json")
		[ "$k" -gt 0 ] || continue
		attached=$((attached + 1))
		awk -v line=$((n - k + 1)) 'NR == line { printf "%.1f\n", $1 / 1000 }' "$dir" \
			>> "$OUT/$mode.lat"
	done
	echo "$attached $forked" >> "$OUT/$mode.count"
}

rm -f "$OUT"/event.lat "$OUT"/poll.lat "$OUT"/event.count "$OUT"/poll.count
for round in $(seq "$ROUNDS"); do
	latencies event
	latencies poll HEAPSCOPE_NO_FORK_EVENT=1
done
printf '\n--follow attach latency, fork -> probes live in the child (%s children a session,\n' \
	"$CHILDREN"
printf 'each living %s ms of its CPU; %s rounds; ms; median and range of attached children):\n' \
	"$CHILD_MS" "$ROUNDS"
for mode in event poll; do
	read -r attached forked < <(awk '{ a += $1; f += $2 } END { print a + 0, f + 0 }' \
		"$OUT/$mode.count")
	sort -n "$OUT/$mode.lat" 2>/dev/null | awk -v m="$mode" -v a="$attached" -v f="$forked" '
		{ v[NR] = $1 }
		END { label = (m == "event" ? "fork event" : "/proc scan");
			if (!NR) { printf "  %-10s none of %d children attached\n", label, f; exit }
			med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			printf "  %-10s median %6.1f ms (%.1f .. %.1f); %d of %d children attached\n",
				label, med, v[1], v[NR], a, f }'
done
