#!/usr/bin/env bash
# The allocator's state in a traced session of a glibc target (issue 14): the retention
# workload fills 16 MiB of small blocks, pins the heap's top, drops them, writes its own
# malloc_info() and goes idle.  A session over the phase reads glibc's state at its start and
# end (the end at the idle moment: its totals equal malloc_info exactly), and its verdict is
# retention stated from the measured free bytes.  Sessions over the idle tail, where the old
# /proc inference sees nothing grow, still say retention from the measurement, in the report
# (ALLOCATOR STATE section) and in the HTML page (its section and the chart's line).
. "$(dirname "$0")/../lib.sh"
PHASE_S=5
W=$OUT/retention
I=$W/malloc_info.xml

# xml TYPE NAME FIELD: malloc_info's process-wide line <NAME type="TYPE" FIELD="N"> (the last).
xml() { grep "^<$2 type=\"$1\"" "$I" | tail -1 | grep -o "$3=\"[0-9]*\"" | grep -o '[0-9]*'; }

# equal_to_malloc_info JSON WHICH: the totals of allocator_state.WHICH against malloc_info's.
equal_to_malloc_info() {
	local t=".processes[0].allocator_state.$2.totals"
	check_eq "$2: system bytes = malloc_info's" "$(xml current system size)" "$(jq "$t.system_bytes" "$1")"
	check_eq "$2: fastbin bytes = malloc_info's" "$(xml fast total size)" "$(jq "$t.fastbin_bytes" "$1")"
	# malloc_info adds binned chunks' size fields with their PREV_INUSE bit: one byte each.
	check_eq "$2: bins + top = malloc_info's rest" "$(xml rest total size)" \
		"$(jq "$t.bin_bytes + $t.bin_chunks + $t.top_bytes" "$1")"
	check_eq "$2: mmapped bytes = malloc_info's" "$(xml mmap total size)" "$(jq "$t.mmapped_bytes" "$1")"
	check_eq "$2: arenas = malloc_info's" "$(grep -c '^<heap nr=' "$I")" "$(jq "$t.arenas" "$1")"
}

echo "a session over the phase:"
J=$OUT/phase.json
start_workload retention "$W" PHASE_S=$PHASE_S
start_heapscope "$OUT/phase.err" -p "$WPID" -q -i 0.25 -o "$J"
run_phase "$W"
stop_heapscope INT # after "done": the end state is read at the idle moment of malloc_info
check_eq "heapscope exits 0" 0 "$HRC"
check "the workload wrote its malloc_info" grep -q '<malloc version' "$I"
check "allocator_state read at the start" jq_true '.processes[0].allocator_state.start.state_read' "$J"
check "allocator_state read at the end" jq_true '.processes[0].allocator_state.end.state_read' "$J"
equal_to_malloc_info "$J" end
check_eq "verdict" retention "$(jq -r .verdict "$J")"
check "the verdict is measured" jq_true '.retention_measured' "$J"
free_resident=$(jq '.processes[0].allocator_state.end.totals.free_resident_bytes' "$J")
check "12 MiB or more free and resident inside malloc at the end ($free_resident)" \
	[ "$free_resident" -ge 12582912 ]
check_eq "the evidence is the end state's figure" "$free_resident" \
	"$(jq .malloc_free_resident_bytes_end "$J")"
check "the explanation gives the measured figures" \
	jq_true '.explanation | test("glibc holds [0-9.]+ MiB free inside malloc, [0-9.]+ MiB of it resident; malloc_trim\\(0\\) would return about")' "$J"
check "the explanation gives the advice" jq_true '.explanation | test("To try: malloc_trim\\(0\\) in the process")' "$J"
check "the last point carries the allocator's figures" \
	jq_true '.series[-1].malloc_free_resident_bytes == .malloc_free_resident_bytes_end' "$J"
check "the first point carries them too" jq_true '.series[0].malloc_free_bytes != null' "$J"
check "reads are counted and timed" \
	jq_true '.processes[0].allocator_state | .reads >= 2 and .read_ms_mean > 0' "$J"
echo "  cost: $(jq -c '.processes[0].allocator_state | {reads, point_reads, skipped_points, read_ms_mean, read_ms_max, read_share}' "$J")"

echo "a session over the idle tail, JSON:"
J=$OUT/idle.json
"$HEAPSCOPE" -p "$WPID" -q -i 0.25 -d 4 -o "$J" 2> "$OUT/idle.err"
check_eq "heapscope exits 0" 0 "$?"
equal_to_malloc_info "$J" start
equal_to_malloc_info "$J" end
check_eq "verdict" retention "$(jq -r .verdict "$J")"
check "anonymous memory did not grow: the /proc inference alone says nothing" \
	jq_true '.anon_bytes_end - .anon_bytes_start < 1048576' "$J"
check "the explanation says the measurement decides" \
	jq_true '.explanation | test("measured inside malloc decides")' "$J"

echo "a session over the idle tail, report:"
R=$OUT/idle.txt
"$HEAPSCOPE" -p "$WPID" -q -i 0.25 -d 4 -f report -o "$R" 2> "$OUT/report.err"
check_eq "heapscope exits 0" 0 "$?"
check "VERDICT: retention" grep -q '^VERDICT: retention' "$R"
check "the ALLOCATOR STATE section" grep -q "^ALLOCATOR STATE of PID $WPID (glibc" "$R"
check "its end sentence" grep -q '^  end:   glibc holds .* free (.* of it resident) in 1 arena' "$R"
check "its advice" grep -q '^  - malloc_trim(0) in the process' "$R"
check "no line over 100 columns" [ "$(awk 'length > 100' "$R" | grep -vc '^UNKNOWN FREES\|^LOSSES')" = 0 ]

echo "a session over the idle tail, HTML:"
H=$OUT/idle.html
"$HEAPSCOPE" -p "$WPID" -q -i 0.25 -d 4 -f html -o "$H" 2> "$OUT/html.err"
check_eq "heapscope exits 0" 0 "$?"
check "the Allocator state section" grep -q '<section id="section-allocator-state">' "$H"
check "its end sentence" grep -q 'class="allocator-end">end: glibc holds' "$H"
check "the chart draws the bytes free in malloc" grep -q 'class="series-malloc-free"' "$H"

release_workload "$W"
check_eq "the workload exits 0" 0 "$WRC"
finish
