#!/usr/bin/env bash
# tools/bench_overhead.sh - the overhead meter against the truth (`make bench`, from
# tools/bench.sh): on three workloads with ~1, ~10 and ~100 us of application work per
# malloc+free pair (tests/workloads/paced_pairs.c), the target's CPU time per pair without
# heapscope and with it gives the truth, the share of its CPU the probes took:
#   truth = (traced - untraced) / traced
# and heapscope's overhead_pct (JSON) is what the meter said for the same session.  The work
# is the same loop count in both (PACED_WORK_ITERS, from the first untraced run).
# Rounds interleave untraced and traced runs so a loaded machine's drift hits both; figures are
# medians.  Prints, never asserts.
. "$(dirname "$0")/../tests/lib.sh"

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER_RUN=${BENCH_OVERHEAD_SECONDS:-6} # the calibration repeats every 2 s

median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# paced_run DIR traced|untraced ENV...: one run; leaves $DIR/result (and $DIR/out.json, hs.err).
paced_run() {
	local dir=$1 mode=$2
	shift 2
	start_workload paced_pairs "$dir" PACED_SECONDS="$SECONDS_PER_RUN" "$@"
	if [ "$mode" = traced ]; then
		start_heapscope "$dir/hs.err" -p "$WPID" -q -v -f json -o "$dir/out.json" || return 1
	fi
	run_phase "$dir" || return 1
	[ "$mode" = traced ] && stop_heapscope INT
	release_workload "$dir"
}

field() { awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' "$1"; }

printf '\noverhead meter vs truth (glibc, 1 thread, %s s runs, medians of %s; truth from the CPU\n' \
	"$SECONDS_PER_RUN" "$ROUNDS"
printf 'time per pair with and without heapscope; meter: overhead_pct of the same session)\n'
printf '%-10s %12s %12s %8s %8s %8s\n' work/pair untraced-ns traced-ns truth meter error
for work_us in 1 10 100; do
	untraced=() traced=() truth=() meter=() iters=
	for round in $(seq "$ROUNDS"); do
		W=$OUT/overhead-$work_us-$round
		if [ -z "$iters" ]; then
			paced_run "$W-u" untraced PACED_WORK_US="$work_us" || continue
			iters=$(field "$W-u/result" iters)
		else
			paced_run "$W-u" untraced PACED_WORK_ITERS="$iters" || continue
		fi
		paced_run "$W-t" traced PACED_WORK_ITERS="$iters" || continue
		u=$(field "$W-u/result" cpu_ns_per_pair) t=$(field "$W-t/result" cpu_ns_per_pair)
		untraced+=("$u") traced+=("$t")
		truth+=("$(awk -v u="$u" -v t="$t" 'BEGIN { print 100 * (t - u) / t }')")
		meter+=("$(jq -r '.overhead_pct // "nan"' "$W-t/out.json")")
		[ "$round" = 1 ] && calibration=$(sed -n 's/^heapscope: overhead meter: \(a probe hit costs\)/\1/p' "$W-t/hs.err")
	done
	[ "${#truth[@]}" -gt 0 ] || { echo "${work_us} us: no run completed"; continue; }
	awk -v w="~${work_us} us" -v u="$(median "${untraced[@]}")" -v t="$(median "${traced[@]}")" \
		-v truth="$(median "${truth[@]}")" -v m="$(median "${meter[@]}")" 'BEGIN {
		printf "%-10s %12.0f %12.0f %7.1f%% %7.1f%% %+7.1f\n", w, u, t, truth, m, m - truth }'
done
echo "          calibration (first round, last workload): $calibration"
