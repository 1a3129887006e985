#!/usr/bin/env bash
# tools/bench_watch.sh - what `heapscope watch` costs (part of `make bench`; runs alone too).
# It prints figures and asserts nothing: timings are not tests.
#
# 1. heapscope's CPU for WATCH_PROCESSES (50) processes, each with three arenas, fragmented
#    bins and mmapped blocks (the arenas workload, ~20 MiB): every heap read every interval
#    (--cpu-budget 0) over WATCH_CYCLES (10) intervals of 1 s, given per 10 s interval; then
#    the default (--interval 10, --cpu-budget 1) measured over WATCH_SECONDS (30).  Each with
#    the largest C++ types (the default, --types 10) and without (--types 0).
#    Then the same fleet size of C++ processes (watch_types, TYPES_SCALE=40: ~100,000 objects
#    of 14 classes, ~20 MiB), where the census names every block: types on and off.
# 2. A target's malloc+free pair, alone and watched every 0.1 s (100 times more often than
#    the default): CPU and wall ns per pair, medians of BENCH_ROUNDS (5) alternating runs.
. "$(dirname "$0")/../tests/lib.sh"

PROCESSES=${WATCH_PROCESSES:-50}
CYCLES=${WATCH_CYCLES:-10}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

[ "${WATCH_FLEET:-1}" = 0 ] && PROCESSES=0 # WATCH_FLEET=0: the target's cost only
pids=()
for i in $(seq "$PROCESSES"); do
	mkdir -p "$OUT/a$i"
	"$BIN/arenas" "$OUT/a$i/info.xml" "$OUT/a$i/trim.txt" > "$OUT/a$i/out" &
	pids+=($!)
	PIDS_TO_KILL+=($!)
done
for i in $(seq "$PROCESSES"); do wait_for_text "$OUT/a$i/out" ready 30 > /dev/null; done
list=$(IFS=,; echo "${pids[*]}")
hz=$(getconf CLK_TCK)

# measure NAME SECONDS WATCH_OPTIONS...: heapscope's CPU over SECONDS after its first reading
# (which also locates glibc in each process, once); prints "CPU_S WALL_S RSS_KB MEDIAN_READ_MS".
measure() {
	local name=$1 seconds=$2 first last started ended rss_kb
	shift 2
	"$HEAPSCOPE" watch -p "$list" "$@" -o "$OUT/$name.jsonl" 2> "$OUT/$name.err" &
	HPID=$!
	PIDS_TO_KILL+=("$HPID")
	wait_until 60 "the first readings" test -s "$OUT/$name.jsonl"
	sleep 0.5
	first=$(cpu_ticks "$HPID") started=$EPOCHREALTIME
	sleep "$seconds"
	last=$(cpu_ticks "$HPID") ended=$EPOCHREALTIME
	rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$HPID/status")
	kill -INT "$HPID"
	wait "$HPID"
	awk -v c=$((last - first)) -v hz="$hz" -v a="$started" -v b="$ended" -v rss="$rss_kb" \
		-v r="$(grep -o '"read_duration_seconds":[0-9.]*' "$OUT/$name.jsonl" | cut -d: -f2 |
			sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] * 1000 }')" \
		'BEGIN { printf "%.3f %.3f %d %.2f\n", c / hz, b - a, rss, r }'
}

# fleet NAME CPU WALL RSS READ_MS: one line for a run of every heap every interval.
fleet() {
	awk -v name="$1" -v c="$2" -v w="$3" -v rss="$4" -v r="$5" -v n="$PROCESSES" 'BEGIN {
	printf "watch: %d processes (%s), every heap read every interval: %.0f ms CPU per interval (median reading %.2f ms); at 10 s: %.2f%% of one core; RSS %d KiB\n",
		n, name, 1000 * c / w, r, 100 * c / w / 10, rss }'
}
budget() { # budget NAME CPU WALL
	awk -v name="$1" -v c="$2" -v w="$3" -v n="$PROCESSES" 'BEGIN {
	printf "watch: %d processes (%s) every 10 s with the default --cpu-budget 1: %.2f%% of one core measured over %.0f s\n",
		n, name, 100 * c / w, w }'
}

if [ "$PROCESSES" -gt 0 ]; then
# Every heap every interval, at 1 s (CYCLES intervals), scaled to 10 s: types on, then off.
read -r cpu wall rss read_ms <<< "$(measure all "$CYCLES" --interval 1 --cpu-budget 0)"
fleet "~20 MiB heaps, 3 arenas, C; --types 10" "$cpu" "$wall" "$rss" "$read_ms"
read -r cpu wall rss read_ms <<< "$(measure all0 "$CYCLES" --interval 1 --cpu-budget 0 --types 0)"
fleet "the same; --types 0" "$cpu" "$wall" "$rss" "$read_ms"
# The default: every 10 s, --cpu-budget 1, WATCH_SECONDS (30) of it; types on, then off.
read -r cpu wall rss read_ms <<< "$(measure budget "${WATCH_SECONDS:-30}" --interval 10)"
budget "C; --types 10" "$cpu" "$wall"
read -r cpu wall rss read_ms <<< "$(measure budget0 "${WATCH_SECONDS:-30}" --interval 10 --types 0)"
budget "C; --types 0" "$cpu" "$wall"
kill "${pids[@]}" 2> /dev/null
wait 2> /dev/null

# The C++ fleet: every block of the heap has a vtable to look up.
pids=()
for i in $(seq "$PROCESSES"); do
	mkdir -p "$OUT/t$i"
	TYPES_SCALE=40 "$BIN/watch_types" "$OUT/t$i" > "$OUT/t$i/out" 2>&1 &
	pids+=($!)
	PIDS_TO_KILL+=($!)
done
for i in $(seq "$PROCESSES"); do wait_for "$OUT/t$i/ready" 30; touch "$OUT/t$i/go"; done
for i in $(seq "$PROCESSES"); do wait_for "$OUT/t$i/built" 60; done
list=$(IFS=,; echo "${pids[*]}")
read -r cpu wall rss read_ms <<< "$(measure cxx "$CYCLES" --interval 1 --cpu-budget 0)"
fleet "~20 MiB of C++ objects, 14 classes; --types 10" "$cpu" "$wall" "$rss" "$read_ms"
read -r cpu wall rss read_ms <<< "$(measure cxx0 "$CYCLES" --interval 1 --cpu-budget 0 --types 0)"
fleet "the same; --types 0" "$cpu" "$wall" "$rss" "$read_ms"
read -r cpu wall rss read_ms <<< "$(measure cxxbudget "${WATCH_SECONDS:-30}" --interval 10)"
budget "C++; --types 10" "$cpu" "$wall"
# One of them read every 0.1 s for 10 s, --types 10 and --types 0 alternating (BENCH_ROUNDS
# each): heapscope's CPU per heap reading, the census's own cost the difference.
reaped() { awk '{ print $16 + $17 }' "/proc/$$/stat"; } # this shell's waited children's ticks
before=$(reaped)
for round in $(seq "${BENCH_ROUNDS:-5}"); do
	for types in 10 0; do
		"$HEAPSCOPE" watch -p "${pids[0]}" --interval 0.1 --cpu-budget 0 -d 10 \
			--types "$types" -o "$OUT/one$types.$round.jsonl" 2> /dev/null
		after=$(reaped)
		echo "$types $((after - before)) $(grep -c '"heap_in_use_bytes"' \
			"$OUT/one$types.$round.jsonl")" >> "$OUT/one.txt"
		before=$(reaped)
	done
done
awk -v hz="$hz" '{ cpu[$1] += $2; n[$1] += $3 }
	END { printf "watch: one C++ process (~20 MiB, 92,160 objects) read every 0.1 s: %.1f ms CPU per heap reading with --types 10, %.1f ms with --types 0 (%d and %d readings, alternating runs)\n",
		1000 * cpu[10] / hz / n[10], 1000 * cpu[0] / hz / n[0], n[10], n[0] }' "$OUT/one.txt"
for i in $(seq "$PROCESSES"); do touch "$OUT/t$i/drop" "$OUT/t$i/exit"; done
wait "${pids[@]}" 2> /dev/null
fi

# 2. The target's cost: runs alone and watched alternate (ROUNDS of each), so that drift on a
# shared machine hits both alike; medians over the runs.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
pair() { # pair NAME [--watched]: appends this run's ns per pair to $OUT/NAME.cpu, .wall
	local W=$OUT/$1-$2
	start_workload bench_alloc "$W" BENCH_THREADS=1 BENCH_ROUNDS=1 BENCH_SECONDS=1
	if [ "$1" = watched ]; then
		"$HEAPSCOPE" watch -p "$WPID" --interval 0.1 -o "$W/watch.jsonl" 2> "$W/watch.err" &
		HPID=$!
		PIDS_TO_KILL+=("$HPID")
		wait_until 10 "a reading" test -s "$W/watch.jsonl"
	fi
	run_phase "$W"
	[ "$1" = watched ] && { kill -INT "$HPID"; wait "$HPID"; }
	release_workload "$W"
	awk '$1 == "phase" { print $3 }' "$W/result" >> "$OUT/$1.cpu"
	awk '$1 == "phase" { print $4 }' "$W/result" >> "$OUT/$1.wall"
	[ -s "$W/watch.jsonl" ] && wc -l < "$W/watch.jsonl" >> "$OUT/$1.readings"
}
for round in $(seq "${BENCH_ROUNDS:-5}"); do
	pair alone "$round"
	pair watched "$round"
done
awk -v ac="$(median < "$OUT/alone.cpu")" -v aw="$(median < "$OUT/alone.wall")" \
	-v wc="$(median < "$OUT/watched.cpu")" -v ww="$(median < "$OUT/watched.wall")" \
	-v n="$(median < "$OUT/watched.readings")" -v r="${BENCH_ROUNDS:-5}" 'BEGIN {
	printf "watch: target malloc+free pair, medians of %d runs: alone %.0f ns CPU / %.0f ns wall; watched every 0.1 s (%d readings a run): %.0f / %.0f ns (CPU x%.2f)\n",
		r, ac, aw, n, wc, ww, (ac > 0 ? wc / ac : 0) }'
