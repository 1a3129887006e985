#!/usr/bin/env bash
# tools/bench_leak.sh - part of `make bench`: what --leak-check costs.  The target's pause
# (seize to detach: the copy of its writable memory) and heapscope's analysis after it
# (heap walk of the copy, roots, mark), for the leaks workload in a session and for a target
# with BENCH_LEAK_MIB (1024) MiB of live heap (session-less, as inspect --leak-check), each
# BENCH_LEAK_ROUNDS (3) times; medians, and per GiB scanned.  Goals: pause <= 250 ms and
# analysis <= 2 s per GiB.  For the large heap also the analysis' steps and its own CPU time:
# on a shared machine the wall time is mostly waiting for a CPU (the load is printed last).
# Prints figures, asserts nothing.
. "$(dirname "$0")/../tests/lib.sh"

ROUNDS=${BENCH_LEAK_ROUNDS:-3}
MIB=${BENCH_LEAK_MIB:-1024}

median() {
	printf '%s\n' "$@" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# report NAME JSON_FILES...: medians of pause, analysis, scanned, and per GiB.
report() {
	local name=$1; shift
	local pauses=() analyses=() scanned=() copied=()
	for f in "$@"; do
		pauses+=("$(jq "$JQ_PREFIX.pause_ms" "$f")")
		analyses+=("$(jq "$JQ_PREFIX.analysis_ms" "$f")")
		scanned+=("$(jq "$JQ_PREFIX.scanned_bytes" "$f")")
		copied+=("$(jq "$JQ_PREFIX.copied_bytes" "$f")")
	done
	awk -v n="$name" -v p="$(median "${pauses[@]}")" -v a="$(median "${analyses[@]}")" \
		-v s="$(median "${scanned[@]}")" -v c="$(median "${copied[@]}")" 'BEGIN {
		gib = c / 1073741824
		printf "leak check, %s: pause %.1f ms, analysis %.0f ms; copied %.1f MiB, scanned %.1f MiB", n, p, a, c / 1048576, s / 1048576
		if (gib >= 0.05)
			printf "; per GiB copied: pause %.0f ms (goal 250), analysis %.0f ms (goal 2000)", p / gib, a / gib
		printf "\n" }'
}

files=()
for i in $(seq "$ROUNDS"); do
	W=$OUT/leaks$i
	start_workload leaks "$W"
	start_heapscope "$W/hs.err" -p "$WPID" -q --leak-check -d 2 -o "$W/out.json"
	run_phase "$W"
	wait "$HPID"
	release_workload "$W"
	files+=("$W/out.json")
done
JQ_PREFIX=.leak_check report "leaks workload (session, $(jq .leak_check.blocks "$W/out.json") blocks)" "${files[@]}"

W=$OUT/bigheap
mkdir -p "$W"
BIGHEAP_MIB=$MIB "$BIN/bigheap_live" "$W" > /dev/null &
WPID=$!
PIDS_TO_KILL+=("$WPID")
wait_for "$W/ready" 600
files=()
for i in $(seq "$ROUNDS"); do
	"$BIN/leak_driver" -p "$WPID" --max-pause 600000 > "$W/run$i.json"
	files+=("$W/run$i.json")
done
read -r blocks leaked < "$W/truth"
JQ_PREFIX= report "$MIB MiB live heap (inspect, $blocks blocks, $(jq .unreachable_blocks "$W/run1.json") of $leaked found unreachable)" "${files[@]}"
steps=()
for step in walk_ms nodes_ms roots_ms mark_ms analysis_cpu_ms; do
	values=()
	for f in "${files[@]}"; do values+=("$(jq ".$step" "$f")"); done
	steps+=("${step%_ms} $(median "${values[@]}" | awk '{ printf "%.0f", $1 }') ms")
done
echo "  analysis steps (medians): ${steps[*]:0:4}; the analysis' own CPU time: ${steps[4]#analysis_cpu }"
touch "$W/exit"
wait "$WPID"
echo "(this machine: $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
