#!/usr/bin/env bash
# The overhead meter and --max-overhead on real processes: a tight malloc/free loop, where
# the probes take most of the target's CPU, is stopped by the guard (detached, output written
# and saying why, exit 0); a calm one (a pair a millisecond among 200 us of work) is left
# alone for its whole -d.  Judged by what happened (stopped or not, and why), never by how
# long anything took.  Bad --max-overhead values are refused in one line.  The kernel's run
# statistics are on in a window after attach and off after it (the programs' run counts, read
# with bpftool, stop), while the hits between windows are still counted, from the events.
. "$(dirname "$0")/../lib.sh"

echo "# bad values for --max-overhead: one clear line, usage exit status"
for value in 0 -1 101 abc; do
	"$HEAPSCOPE" -p $$ --max-overhead "$value" -d 1 > /dev/null 2> "$OUT/bad.err"
	rc=$?
	check_eq "--max-overhead $value: exit status" 2 "$rc"
	check_eq "--max-overhead $value: one line" 1 "$(wc -l < "$OUT/bad.err")"
	check "--max-overhead $value: the line names the option" \
		grep -q "invalid --max-overhead '$value'" "$OUT/bad.err"
done

no_text() { ! grep -q "$2" "$1"; } # no_text FILE TEXT

pct_in_range() { # pct_in_range LOW HIGH VALUE: LOW < VALUE <= HIGH
	awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN { exit !(v != "" && v + 0 > lo && v + 0 <= hi) }'
}

# hot_session NAME FORMAT: a tight loop, heapscope with --max-overhead 50 and a long -d,
# until heapscope ends by itself.  Sets W, HRC.
hot_session() {
	W=$OUT/$1
	start_workload paced_pairs "$W"
	touch "$W/go"
	start_heapscope "$OUT/$1.err" -p "$WPID" -v --max-overhead 50 -d 120 -f "$2" \
		-o "$OUT/$1.$2"
	wait "$HPID"
	HRC=$?
}

echo "# a hot loop: the guard stops the session"
hot_session hot json
check_eq "heapscope exits 0 when the guard stops it" 0 "$HRC"
check "one stderr line names the measured share" \
	grep -q "^heapscope: stopping: the probes took [0-9]*% of PID $WPID's CPU time over the last second, more than --max-overhead 50%" \
	"$OUT/hot.err"
check "the calibration is told with -v" grep -q "overhead meter: a probe hit costs" "$OUT/hot.err"
check "JSON: stopped by --max-overhead" jq_true '.stopped_by_max_overhead == true' "$OUT/hot.json"
check "JSON: cut_short says why" jq_true '.cut_short | test("--max-overhead 50%")' "$OUT/hot.json"
check_eq "JSON: max_overhead_pct" 50 "$(jq -r .max_overhead_pct "$OUT/hot.json")"
hot_pct=$(jq -r .overhead_pct "$OUT/hot.json")
check "JSON: overhead_pct of a hot loop is over the limit ($hot_pct)" pct_in_range 50 100 "$hot_pct"
check "what was collected is written: allocations seen" jq_true '.events > 0' "$OUT/hot.json"
# attached to a loop in full swing, returns first: calls entered before their entry probe
# return without one, before the process is armed; none of them is a loss
check "no unmatched return reported at attach" no_text "$OUT/hot.err" "unmatched returns [1-9]"
check_restored hot "$WPID" "$OUT/hot.err"
check "the target keeps running after the stop" kill -0 "$WPID"
touch "$W/stop"
release_workload "$W"
check_eq "the workload exits cleanly" 0 "$WRC"

echo "# a hot loop, report format: the report says it was cut short"
hot_session hot_report report
check_eq "heapscope exits 0" 0 "$HRC"
check "the report says it was cut short, and why" \
	grep -q "^CUT SHORT: heapscope stopped the session after .*more than --max-overhead 50%" \
	"$OUT/hot_report.report"
check "the report has the overhead line" \
	grep -q "^overhead: heapscope's probes took [0-9.]*% of the target's CPU time" \
	"$OUT/hot_report.report"
touch "$W/stop"
release_workload "$W"

echo "# a hot loop, HTML: the page's banner says it was cut short"
hot_session hot_html html
check_eq "heapscope exits 0" 0 "$HRC"
check "the banner says why" grep -q 'id="banner-overhead">The session was cut short: heapscope stopped' \
	"$OUT/hot_html.html"
check "the header tells the share" grep -q 'id="overhead">probes took [0-9.]*% of the target' \
	"$OUT/hot_html.html"
touch "$W/stop"
release_workload "$W"

echo "# a calm workload: left alone for its whole -d"
W=$OUT/calm
start_workload paced_pairs "$W" PACED_GAP_US=1000 PACED_WORK_US=200
touch "$W/go"
start_heapscope "$OUT/calm.err" -p "$WPID" --max-overhead 50 -d 3 -f json -o "$OUT/calm.json"
wait "$HPID"
HRC=$?
check_eq "heapscope exits 0" 0 "$HRC"
check "no stop line" no_text "$OUT/calm.err" "stopping:"
check "JSON: not stopped" jq_true '.stopped_by_max_overhead == false and .cut_short == null' \
	"$OUT/calm.json"
check "JSON: ran its whole -d" jq_true '.duration_s >= 3' "$OUT/calm.json"
calm_pct=$(jq -r .overhead_pct "$OUT/calm.json")
check "JSON: overhead_pct of a calm workload is under the limit ($calm_pct)" \
	pct_in_range 0 50 "$calm_pct"
check "the stderr summary tells the share" \
	grep -q "^heapscope: overhead: the probes took [0-9.]*% of the target's CPU time" \
	"$OUT/calm.err"
touch "$W/stop"
release_workload "$W"
check_eq "the workload exits cleanly" 0 "$WRC"

# program_runs: run_cnt summed over heapscope's programs, as the kernel reports them.
program_runs() {
	bpftool -j prog show | jq '[.[] | select(.name | test("^(site_enter|site_return|malloc_enter|free_enter|alloc_return)$")) | .run_cnt // 0] | add // 0'
}

echo "# the kernel's run statistics: on for a window after attach, off after it"
W=$OUT/windows
start_workload paced_pairs "$W" PACED_GAP_US=200
touch "$W/go"
start_heapscope "$OUT/windows.err" -p "$WPID" -v -d 5 -f json -o "$OUT/windows.json"
sleep 2.5 # the window is the first second after attach; the next comes 30 s later
runs_before=$(program_runs)
sleep 1
runs_after=$(program_runs)
wait "$HPID"
HRC=$?
check_eq "heapscope exits 0" 0 "$HRC"
check "the window counted runs ($runs_before)" [ "$runs_before" -gt 0 ]
check_eq "no run counted after the window, the target calling all the while" \
	"$runs_before" "$runs_after"
check "-v tells how long they were on" \
	grep -q "^heapscope: overhead meter: the kernel's run statistics on 1\.[0-9] of [45]\.[0-9] s" \
	"$OUT/windows.err"
# paced_pairs: a malloc entry and a free entry per pair, one event each: the entry hits
# counted in the window and estimated after it add up to the events
entry_hits=$(sed -n "s/^heapscope: overhead meter: \([0-9]*\) entry hits.*/\1/p" "$OUT/windows.err")
events=$(jq -r .events "$OUT/windows.json")
check "entry hits ($entry_hits) within 10% of the events ($events)" \
	awk -v h="$entry_hits" -v e="$events" 'BEGIN { exit !(e > 1000 && h > 0.9 * e && h < 1.1 * e) }'
touch "$W/stop"
release_workload "$W"
check_eq "the workload exits cleanly" 0 "$WRC"
finish
