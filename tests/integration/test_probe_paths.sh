#!/usr/bin/env bash
# The two ways probes are attached give the same exact truth: uprobe_multi links
# (two per object, where the kernel has them) and one perf-event link per probe
# (HEAPSCOPE_NO_UPROBE_MULTI=1 forces it).  And per-thread call state dies with
# its thread: a thread that dies inside an allocator call leaves nothing that
# the next thread with its TID could take for its own open call.  And a call
# left by longjmp, whose return never fires, does not hide the calls its caller
# makes next at the same stack pointer.
. "$(dirname "$0")/../lib.sh"

# link_count TYPE: heapscope's BPF links of that type (fdinfo's link_type).
link_count() {
	cat /proc/"$HPID"/fdinfo/* 2>/dev/null | grep -Ec "^link_type:[[:space:]]*$1\$"
}

# session NAME WORKLOAD [ENV...]: profile WORKLOAD through its phase; output in $OUT/NAME.*
session() {
	local name=$1 workload=$2; shift 2
	W=$OUT/$name
	start_workload "$workload" "$W"
	env "$@" "$HEAPSCOPE" -p "$WPID" -v -o "$OUT/$name.folded" 2> "$OUT/$name.err" &
	HPID=$!
	PIDS_TO_KILL+=("$HPID")
	wait_for_text "$OUT/$name.err" "attached"
	MULTI_LINKS=$(link_count 'u(ret)?probe_multi') PERF_LINKS=$(link_count perf)
	PROBES=$(probe_fds "$HPID")
	run_phase "$W"
	stop_heapscope INT
	release_workload "$W"
}

for path in multi per_probe; do
	echo "# truth_fp, probes attached by $path links"
	env=()
	[ "$path" = per_probe ] && env=(HEAPSCOPE_NO_UPROBE_MULTI=1)
	session "truth_$path" truth_fp "${env[@]}"
	check_eq "heapscope exits 0" 0 "$HRC"
	if [ "$path" = multi ]; then
		check_eq "one uprobe_multi link per object, and one for its return probes" 2 \
			"$MULTI_LINKS"
		check_eq "no per-probe link" 0 "$PERF_LINKS"
	else
		check_eq "no uprobe_multi link" 0 "$MULTI_LINKS"
		check "one link per probe ($PERF_LINKS)" [ "$PERF_LINKS" -ge 17 ]
	fi
	check_eq "every probe of the attach line is attached" \
		"$(sed -n 's/.*attached to PID .*, \([0-9]*\) probes.*/\1/p' "$OUT/truth_$path.err")" "$PROBES"
	check_truth "$OUT/truth_$path.folded" "$W/truth" chains
	check_eq "no event lost" 0 "$(grep -o 'lost events: [0-9]*' "$OUT/truth_$path.err" | grep -o '[0-9]*$')"
done

# valloc_never_returns NAME WORKLOAD: WORKLOAD's valloc (its own) never returns, on
# both attach paths; what its threads allocate otherwise is exact, and nothing is lost.
valloc_never_returns() {
	local name=$1 workload=$2 path env
	for path in multi per_probe; do
		env=()
		[ "$path" = per_probe ] && env=(HEAPSCOPE_NO_UPROBE_MULTI=1)
		session "${name}_$path" "$workload" "${env[@]}"
		check_eq "heapscope exits 0 ($path)" 0 "$HRC"
		check "valloc is probed in the executable ($path)" \
			grep -q "^heapscope: probe valloc .*$workload" "$OUT/${name}_$path.err"
		[ -s "$W/stdout" ] && echo "  ($(cat "$W/stdout"))"
		check_truth "$OUT/${name}_$path.folded" "$W/truth"
		check "no loss reported ($path)" grep -q "^heapscope: lost events: 0" \
			"$OUT/${name}_$path.err"
	done
}

echo "# a thread dies inside valloc; the next thread gets its TID"
valloc_never_returns death thread_death
echo "# a valloc left by longjmp; the calls after it at and below its stack pointer count"
valloc_never_returns escape call_escape
finish
