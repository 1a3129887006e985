#!/usr/bin/env bash
# tools/bench.sh - `make bench`: what heapscope costs a target per malloc+free pair, against
# no tracing and against its own floor (the same probes at the same sites, programs that
# return at once: --probe-only), under glibc, jemalloc, tcmalloc and mimalloc; then what the
# collector absorbs, what an overload drops, each BPF program's time per pair, attach and stop
# time for 1 and 32 processes, and memory per live block (at 200,000 and 1M blocks; the
# collector alone at 1M and 10M).
# It prints figures and asserts nothing: timings are not tests.
#
# Each mode runs BENCH_ROUNDS (3) times, modes interleaved so that drift on a shared machine
# hits them alike; a session measures BENCH_SECONDS (0.5) per thread count; figures are medians.
. "$(dirname "$0")/../tests/lib.sh"

ROUNDS=${BENCH_ROUNDS:-3}
export BENCH_ROUNDS=1 BENCH_SECONDS=${BENCH_SECONDS:-0.5} BENCH_THREADS="1 2"
LIBDIR=/usr/lib/x86_64-linux-gnu
ALLOCATORS=("glibc:" "jemalloc:$LIBDIR/libjemalloc.so.2" "tcmalloc:$LIBDIR/libtcmalloc_minimal.so.4"
	"mimalloc:$LIBDIR/libmimalloc.so.2")
# Frame-pointer stacks are the default unless heapscope can also unwind with CFI tables.
FP_FLAGS=
MODES=("untraced" "floor:--probe-only")
if "$HEAPSCOPE" --help 2>&1 | grep -q -- '--unwind'; then
	FP_FLAGS="--unwind fp"
	MODES+=("fp:$FP_FLAGS" "dwarf:--unwind dwarf")
else
	MODES+=("fp:")
fi

# session NAME PRELOAD MODE_FLAGS|untraced [ENV...]: one bench_alloc run, traced by one
# heapscope session unless untraced.  Leaves $W/result, $W/hs.err; sets STOP_MS.
session() {
	local name=$1 preload=$2 flags=$3; shift 3
	W=$OUT/$name
	start_workload "${WORKLOAD:-bench_alloc}" "$W" ${preload:+LD_PRELOAD=$preload} "$@"
	STOP_MS=0
	if [ "$flags" != untraced ]; then
		# shellcheck disable=SC2086  # flags are words
		start_heapscope "$W/hs.err" -p "$WPID" -q -v -o "$W/out.folded" $flags || return 1
	fi
	run_phase "$W" || return 1
	if [ "$flags" != untraced ]; then
		local started=$EPOCHREALTIME
		stop_heapscope INT
		STOP_MS=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
	fi
	release_workload "$W"
}

# median NUMBERS...: their median.
median() {
	printf '%s\n' "$@" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# phase_ns THREADS COLUMN: ns per pair of $W/result's phase with that many threads
# (COLUMN 3: CPU time, 4: wall time).
phase_ns() {
	awk -v t="$1" -v c="$2" '$1 == "phase" && $2 == t { print $c; exit }' "$W/result"
}

# summary_field REGEX: the number after REGEX in heapscope's summary.
summary_field() {
	grep -o "$1[0-9][0-9.]*" "$W/hs.err" | head -1 | grep -o '[0-9.]*$'
}

# lost_events: what the summary counts as lost.
lost_events() {
	summary_field 'lost events: ' || summary_field 'incomplete: '
}

# probes_in OBJECT: does heapscope's attach line name OBJECT (as the target maps it)?
probes_in() {
	grep -q "^heapscope: attached to PID [0-9]* (.*$(readlink -f "$1")" "$W/hs.err"
}

# sites: "malloc+0 push" ... per probe, and which are single-stepped.
sites() {
	sed -n 's/^heapscope: probe [^ ]* *[^ ]* ([^)]*) \([^ ]*\) \([^,]*\), \(.*\)/\1 \2 \3/p' "$W/hs.err" |
		awk '{ n++; if ($3 == "emulated") e++; else s = s " " $1 }
			END { printf "%d of %d probe sites emulated%s\n", e, n, s ? "; single-stepped:" s : "" }'
}

printf 'heapscope bench: ns per malloc+free pair in one thread: CPU time (user + kernel, where\n'
printf 'the probes trap and their programs run; x-ratios are on it) and wall time; medians of %s\n' \
	"$ROUNDS"
printf 'sessions of %s s per thread count, modes interleaved; %s CPUs, kernel %s.  x-floor is\n' \
	"$BENCH_SECONDS" "$(nproc)" "$(uname -r)"
printf 'the median of each round'"'"'s ratio to the floor of the same round, its range after it\n\n'
printf '%-9s %3s  %-9s %10s %10s %11s %8s  %s\n' allocator thr mode cpu-ns wall-ns x-untraced x-floor \
	range
for entry in "${ALLOCATORS[@]}"; do
	alloc=${entry%%:*} preload=${entry#*:}
	if [ -n "$preload" ] && [ ! -e "$preload" ]; then
		echo "$alloc: $preload not installed; skipped"
		continue
	fi
	declare -A runs=() walls=() ns=() skip=()
	notes=()
	traced_unmeasured=
	for round in $(seq "$ROUNDS"); do
		for mode in "${MODES[@]}"; do
			mname=${mode%%:*} flags=${mode#*:}
			[ "$mname" = untraced ] && flags=untraced
			[ -n "${skip[$mname]:-}" ] && continue
			[ -n "$traced_unmeasured" ] && [ "$flags" != untraced ] && continue
			if ! session "$alloc-$mname-$round" "$preload" "$flags"; then
				notes+=("$mname: session failed (see $W)") skip[$mname]=1
				continue
			fi
			if [ "$flags" != untraced ] && [ -n "$preload" ] && ! probes_in "$preload"; then
				notes=("heapscope did not probe $(basename "$preload"): traced runs not measured")
				traced_unmeasured=1
			fi
			[ -n "$traced_unmeasured" ] && [ "$flags" != untraced ] && continue
			for t in 1 2; do
				runs[$mname,$t]+=" $(phase_ns "$t" 3)"
				walls[$mname,$t]+=" $(phase_ns "$t" 4)"
			done
			if [ "$mname" = floor ] && [ "$round" = 1 ]; then
				notes+=("$(sites); attach $(summary_field 'attach ') ms, stop $STOP_MS ms")
			fi
			if [ "$alloc" = glibc ] && [ "$mname" = fp ] && [ "$round" = 1 ]; then
				FP_EVENTS=$(summary_field 's, ') FP_LOST=$(lost_events)
			fi
		done
	done
	for t in 1 2; do
		for mode in "${MODES[@]}"; do
			mname=${mode%%:*}
			[ -n "${runs[$mname,$t]:-}" ] || continue
			[ -n "$traced_unmeasured" ] && [ "$mname" != untraced ] && continue
			# shellcheck disable=SC2086  # the runs are words
			ns[$mname,$t]=$(median ${runs[$mname,$t]})
			# shellcheck disable=SC2086
			# x-floor pairs each round with its own floor: the host's drift between rounds
			# (the floor moved 13.4-15.5 us between two quiet runs) cancels in the ratio.
			awk -v a="$alloc" -v t="$t" -v m="$mname" -v v="${ns[$mname,$t]}" \
				-v wall="$(median ${walls[$mname,$t]})" -v base="${ns[untraced,$t]:-}" \
				-v mine="${runs[$mname,$t]}" -v floors="${runs[floor,$t]:-}" 'BEGIN {
				n = split(mine, x); f = split(floors, y); r = 0
				if (m != "untraced" && n == f)
					for (i = 1; i <= n; i++) if (y[i] > 0) ratio[++r] = x[i] / y[i]
				for (i = 2; i <= r; i++) # insertion sort: a few rounds
					for (j = i; j > 1 && ratio[j - 1] > ratio[j]; j--) {
						tmp = ratio[j]; ratio[j] = ratio[j - 1]; ratio[j - 1] = tmp }
				med = r % 2 ? ratio[(r + 1) / 2] : (ratio[r / 2] + ratio[r / 2 + 1]) / 2
				printf "%-9s %3s  %-9s %10.0f %10.0f %11s %8s  %s\n", a, t, m, v, wall,
					(base > 0 ? sprintf("%.1f", v / base) : "-"),
					(r ? sprintf("%.2f", med) : "-"),
					(r > 1 ? sprintf("%.2f-%.2f", ratio[1], ratio[r]) : "") }'
		done
	done
	for note in "${notes[@]}"; do echo "          $alloc $note"; done
	unset runs walls ns skip
done
[ "${#MODES[@]}" -lt 4 ] && echo "          (no DWARF rows: this heapscope has no --unwind option)"

# operator new + delete where new is the allocator's own: closed by probes on its ret
# instructions, which the kernel single-steps (bench_newdelete: the same loop).
echo
for entry in "jemalloc:$LIBDIR/libjemalloc.so.2" "tcmalloc:$LIBDIR/libtcmalloc_minimal.so.4"; do
	alloc=${entry%%:*} preload=${entry#*:}
	[ -e "$preload" ] || continue
	pair_ns=()
	for round in $(seq "$ROUNDS"); do
		WORKLOAD=bench_newdelete session "$alloc-new-$round" "$preload" "$FP_FLAGS" &&
			pair_ns+=("$(phase_ns 1 3)")
	done
	[ "${#pair_ns[@]}" -gt 0 ] && printf 'new+delete (%s, fp, 1 thread): %.0f ns a pair; %s ret probes\n' \
		"$alloc" "$(median "${pair_ns[@]}")" "$(grep -c ' (ret) ' "$W/hs.err")"
done

echo
"$BIN/bench_collect" 1 | sed 's/^/collector alone: /'
phase_s=$(awk -v s="$BENCH_SECONDS" 'BEGIN { print 2 * s }')
awk -v e="${FP_EVENTS:-0}" -v s="$phase_s" -v l="${FP_LOST:-?}" 'BEGIN {
	printf "end to end (glibc, fp): %d events in %.1f s of load: %.0f events/s, lost %s\n",
		e, s, e / s, l }'

if session overload "" "$FP_FLAGS --ringbuf-size 4096"; then
	awk -v e="$(summary_field 's, ')" -v l="$(summary_field 'events lost (ring buffer full ')" \
		'BEGIN { printf "overload (glibc, fp, 4 KiB ring, 1+2 threads): %d events kept, %d dropped (%.1f%%), counted in the summary\n",
			e, l, (e + l > 0 ? 100 * l / (e + l) : 0) }'
fi

# Where the traced pair's extra time goes: each BPF program's run time, from the kernel's own
# accounting (switched on by build/tools/bpf_stats_on while it runs: the kernel switches it off
# when that process ends, however the bench ends, and the sysctl's other users are not
# touched), per
# malloc+free pair of the 1-thread loop, with frame-pointer stacks and with unwind tables.  The
# kernel's accounting costs something itself: --probe-only's programs return at once, and what
# they take is that floor.
# With uprobe_multi links every entry-side site runs one program (site_enter); one perf-event
# link per probe (HEAPSCOPE_NO_UPROBE_MULTI=1) shows each function's program on its own.
# program_ns NAME FLAGS [ENV...]: one session; prints each program's ns per pair and the total.
program_ns() {
	local name=$1 flags=$2 pairs
	shift 2
	W=$OUT/programs-$round-${name%% *}
	start_workload bench_alloc "$W" BENCH_THREADS=1 BENCH_ROUNDS=1 BENCH_SECONDS=1
	[ $# -gt 0 ] && export "$@"
	# shellcheck disable=SC2086
	start_heapscope "$W/hs.err" -p "$WPID" -q -o "$W/out.folded" $flags
	[ $# -gt 0 ] && unset "${@%%=*}"
	run_phase "$W"
	pairs=$(awk '$1 == "phase" { print $5; exit }' "$W/result")
	for fdinfo in /proc/"$HPID"/fdinfo/*; do
		awk '/^prog_id/ { id = $2 } /^run_time_ns/ { t = $2 } /^run_cnt/ { c = $2 }
			END { if (id && c) print id, c, t }' "$fdinfo" 2>/dev/null
	done | sort -u | while read -r id runs total_ns; do
		echo "$(bpftool prog show id "$id" | awk 'NR == 1 { print $4 }') $runs $total_ns"
	done | awk -v n="$name" -v p="$pairs" '$1 != "target_exec" {
			out = out sprintf(" %s %.0f", $1, $3 / p); sum += $3; runs += $2 }
		END { printf "BPF ns per malloc+free pair (glibc, 1 thread), %s:%s; total %.0f\n",
			n, out, sum / p
			printf "%s\t%.0f\t%.3f\n", n, sum / p, runs / p > "/dev/stderr" }' 2>> "$OUT/programs.tsv"
	stop_heapscope INT
	release_workload "$W"
}

"$ROOT/build/tools/bpf_stats_on" > "$OUT/bpf_stats_on" &
STATS_PID=$!
PIDS_TO_KILL+=("$STATS_PID")
if wait_for_text "$OUT/bpf_stats_on" on 10 > /dev/null; then
	for round in $(seq "$ROUNDS"); do
		program_ns "floor (stats' own cost)" --probe-only
		program_ns "record floor (and a ring record a run)" --probe-only=record
		program_ns fp "$FP_FLAGS"
		[ -n "$FP_FLAGS" ] && program_ns tables "--unwind dwarf"
		program_ns "fp, a link per probe" "$FP_FLAGS" HEAPSCOPE_NO_UPROBE_MULTI=1
		[ -n "$FP_FLAGS" ] &&
			program_ns "tables, a link per probe" "--unwind dwarf" HEAPSCOPE_NO_UPROBE_MULTI=1
	done
fi
kill "$STATS_PID" 2>/dev/null
wait "$STATS_PID" 2>/dev/null
# What no program logic removes: the stats' own cost of three runs and a pair's two records
# (a free's and an allocation's), from the medians of the two floors.
if [ -s "$OUT/programs.tsv" ]; then
	floor=$(median $(awk -F'\t' '$1 ~ /^floor \(/ { print $2 }' "$OUT/programs.tsv"))
	record=$(median $(awk -F'\t' '$1 ~ /^record floor/ { print $2 }' "$OUT/programs.tsv"))
	runs=$(median $(awk -F'\t' '$1 ~ /^record floor/ { print $3 }' "$OUT/programs.tsv"))
	awk -v f="$floor" -v r="$record" -v n="$runs" 'BEGIN { if (n > 0) {
		rec = (r - f) / n
		printf "BPF floor per pair: the stats %.0f ns, a ring record %.0f ns a run: %.0f ns with a pair'"'"'s two records, before any of heapscope'"'"'s work\n",
			f, rec, f + 2 * rec } }'
fi

# Attach and stop: one process, and --exe over 32 copies of an idle workload; uprobe_multi
# links (the default where the kernel has them) and one perf-event link per probe.
# ms_since EPOCHREALTIME: milliseconds since then.
ms_since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }'
}

# attached_at_least ERRFILE N: heapscope said "attached" N times.
attached_at_least() {
	[ "$(grep -c 'attached to PID' "$1")" -ge "$2" ]
}

# attach_stop SLUG COUNT LABEL [ENV...]: prints attach (start to the last attach line) and stop.
attach_stop() {
	local slug=$1 count=$2 label=$3 i started attach_ms stop_ms dirs=() pids=()
	shift 3
	for i in $(seq "$count"); do
		start_workload bench_alloc "$OUT/attach-$slug-$i" BENCH_ROUNDS=0
		dirs+=("$OUT/attach-$slug-$i") pids+=("$WPID")
	done
	W=$OUT/attach-$slug
	mkdir -p "$W"
	started=$EPOCHREALTIME
	env "$@" "$HEAPSCOPE" --exe "$BIN/bench_alloc" -q -v -o "$W/out.folded" 2> "$W/hs.err" &
	HPID=$!
	PIDS_TO_KILL+=("$HPID")
	wait_until 120 "$count attached" attached_at_least "$W/hs.err" "$count"
	attach_ms=$(ms_since "$started")
	started=$EPOCHREALTIME
	stop_heapscope INT
	stop_ms=$(ms_since "$started")
	for i in "${!dirs[@]}"; do touch "${dirs[$i]}/go" "${dirs[$i]}/exit"; done
	wait "${pids[@]}" 2>/dev/null
	printf 'attach/stop, %s: attach %s ms, stop %s ms\n' "$label" "$attach_ms" "$stop_ms"
}
for n in 1 32; do
	attach_stop "multi-$n" "$n" "$n process(es), uprobe_multi links"
	attach_stop "perf-$n" "$n" "$n process(es), a link per probe" HEAPSCOPE_NO_UPROBE_MULTI=1
done

# Memory per live block: heapscope's anonymous RSS grown over a phase that ends with
# BENCH_HOLD_BLOCKS (200,000 and 1,000,000) 32-byte blocks allocated and kept, divided by the
# blocks heapscope holds live at the end.  Everything the session grows counts: the live
# table, the stacks, the timeline; the ring was mapped at attach, before the first reading.
# The reading waits until heapscope's RSS stops growing (it may still be draining the ring).
# rss_kb PID: its anonymous RSS in KiB.
rss_kb() {
	awk '/^RssAnon/ { print $2 }' "/proc/$1/status"
}
for hold in ${BENCH_HOLD_BLOCKS:-200000 1000000}; do
	W=$OUT/memory-$hold
	start_workload bench_alloc "$W" BENCH_ROUNDS=0 BENCH_HOLD="$hold"
	start_heapscope "$W/hs.err" -p "$WPID" -q -o "$W/out.folded"
	rss_before=$(rss_kb "$HPID")
	touch "$W/go"
	wait_for "$W/done" 600
	rss_after=$(rss_kb "$HPID")
	while sleep 0.5; rss_now=$(rss_kb "$HPID"); [ "$rss_now" != "$rss_after" ]; do
		rss_after=$rss_now # still draining
	done
	stop_heapscope INT
	release_workload "$W"
	awk -v b="$rss_before" -v a="$rss_after" -v held="$hold" -v live="$(summary_field 'B in ')" '
		BEGIN { printf "collector memory: %.0f bytes per live block (anonymous RSS %d -> %d KiB with %d blocks live, %d held)\n",
			(a - b) * 1024 / (live > 0 ? live : held), b, a, live, held }'
done
# The collector alone (no kernel: quick at 10M), its RSS and the peak while its table grows.
for hold in 1000000 10000000; do
	"$BIN/bench_collect" --hold "$hold" | sed 's/^/collector alone: /'
done

# heapscope inspect: what it costs (the arenas workload; a 1 GiB heap with a million free
# chunks): CPU (user+sys: wall time on a shared machine says more about the neighbours), the
# bytes and system calls of its reads, and whether the target slows down while it is read
# (the big heap's own loop pace, 100 ms at a time, before and during five inspects in a row).

# inspect_once PID JSON: one inspect; appends its wall ms to wall[] and CPU ms to cpu[].
inspect_once() {
	local started=$EPOCHREALTIME t TIMEFORMAT='%U %S'

	t=$({ time "$HEAPSCOPE" inspect -p "$1" -f json > "$2" 2> "$2.err"; } 2>&1)
	wall+=("$(awk -v a="$started" -v b="$EPOCHREALTIME" \
		'BEGIN { printf "%.0f", (b - a) * 1000 }')")
	cpu+=("$(awk -v u="${t% *}" -v s="${t#* }" 'BEGIN { printf "%.0f", (u + s) * 1000 }')")
}

# inspect_costs JSON: the read's bytes and calls (the same every run of a still heap).
inspect_costs() {
	jq -r '.processes[0] |
		"\(.read_bytes / 1048576 | floor) MiB read in \(.read_syscalls) calls"' "$1"
}

W=$OUT/inspect-arenas
mkdir -p "$W"
"$BIN/arenas" "$W/info.xml" "$W/trim.txt" > "$W/out" &
apid=$!
wait_for_text "$W/out" ready > /dev/null
wall=() cpu=()
for _ in 1 2 3; do
	inspect_once "$apid" "$W/inspect.json"
done
kill "$apid"; wait "$apid" 2>/dev/null
printf 'inspect (arenas workload, %s arenas, %s system): %s ms CPU, %s ms wall (medians of 3);' \
	"$(jq -r '.processes[0].totals.arenas' "$W/inspect.json")" \
	"$(jq -r '.processes[0].totals.system_bytes' "$W/inspect.json" | numfmt --to=iec)" \
	"$(median "${cpu[@]}")" "$(median "${wall[@]}")"
printf ' %s\n' "$(inspect_costs "$W/inspect.json")"

W=$OUT/inspect-bigheap
start_workload bigheap "$W"
sleep 1
before=$(tail -n 10 "$W/stdout" | awk '{ s += $2 } END { print s / NR }')
lines=$(wc -l < "$W/stdout")
wall=() cpu=()
for _ in 1 2 3 4 5; do
	inspect_once "$WPID" "$W/inspect.json"
done
during=$(tail -n +$((lines + 1)) "$W/stdout" | awk '{ s += $2; n++ } END { print (n ? s / n : 0) }')
release_workload "$W"
printf 'inspect (1 GiB heap, %s free chunks): %s ms CPU, %s ms wall (medians of 5, census in);' \
	"$(jq -r '.processes[0].totals.bin_chunks' "$W/inspect.json")" "$(median "${cpu[@]}")" \
	"$(median "${wall[@]}")"
printf ' %s\n' "$(inspect_costs "$W/inspect.json")"
awk -v b="$before" -v d="$during" 'BEGIN { printf "target pace during inspects: %.0f iterations/100 ms before, %.0f during (%.1f%%)\n", b, d, (b ? 100 * (d - b) / b : 0) }'

# The overhead meter against the truth from the target's pace (tools/bench_overhead.sh).
"$(dirname "$0")/bench_overhead.sh"

# heapscope watch: its CPU for 50 processes and what it costs a target (tools/bench_watch.sh).
"$(dirname "$0")/bench_watch.sh"

# --follow: fork -> probes live in the child, fork event against the /proc scan.
"$(dirname "$0")/bench_follow.sh"
