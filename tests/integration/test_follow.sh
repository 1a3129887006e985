#!/usr/bin/env bash
# --follow over services that fork and reload (issue 18).  A server forking a
# short-lived child per connection (as postgres under pgbench -C): only processes
# actually attached are counted and listed, the others are one line, and -v gives
# each probe block its PID.  A master reloaded as nginx is (new workers forked, old
# ones quit): every process's explanation agrees with its own numbers, and one that
# exited is judged on what it lived.
. "$(dirname "$0")/../lib.sh"

echo "# a child per connection, most gone before they can be attached"
W=$OUT/forker
start_workload forker "$W" PHASE_S=4
FORKER=$WPID
start_heapscope "$OUT/f.err" --exe "$BIN/forker" --follow -v -f json -o "$OUT/f.json"
run_phase "$W"
stop_heapscope INT
release_workload "$W"
check_eq "heapscope exits 0" 0 "$HRC"
attached=$(grep -c "attached to PID" "$OUT/f.err")
short=$(sed -n 's/^heapscope: \([0-9]*\) short-lived processes of .* exited before they could be attached.*/\1/p' \
	"$OUT/f.err")
echo "  ($attached attached, ${short:-no} short-lived; the workload forked $(cat "$W/stdout"))"
check "the short-lived children are one line" [ "${short:-0}" -gt 0 ]
check_eq "JSON: short_lived_processes says as many" "${short:-0}" \
	"$(jq .short_lived_processes "$OUT/f.json")"
check_eq "JSON: only the attached processes" "$attached" "$(jq '.processes | length' "$OUT/f.json")"
check "JSON: every process listed has a verdict" \
	jq_true '[.processes[] | .verdict != null] | all' "$OUT/f.json"
for pid in $(jq '.processes[].pid' "$OUT/f.json"); do
	check "JSON: PID $pid was attached" grep -q "^heapscope: attached to PID $pid " "$OUT/f.err"
done
if [ "$attached" = 1 ]; then who="PID $FORKER (forker)"; else who="$attached processes"; fi
check "the summary counts only them ($who)" grep -q "^heapscope: $who: " "$OUT/f.err"
check "-v: no child is said to have just exec()ed" bash -c "! grep -q 'just exec' '$OUT/f.err'"
check "-v: every probe block says its PID" \
	bash -c "! grep 'symbols resolved in' '$OUT/f.err' | grep -vq '^heapscope: PID [0-9]*: '"
for pid in $(sed -n 's/^heapscope: attached to PID \([0-9]*\) .*/\1/p' "$OUT/f.err"); do
	check_eq "-v: PID $pid's probe block" 1 \
		"$(grep -c "^heapscope: PID $pid: symbols resolved in" "$OUT/f.err")"
done
json_folded "$OUT/f.json" > "$OUT/f.all"
if [ "$attached" = 1 ]; then cp "$OUT/f.all" "$OUT/f.folded"
else process_folded "$OUT/f.all" "forker [$FORKER]" > "$OUT/f.folded"; fi
check_truth "$OUT/f.folded" "$W/truth"

echo "# children living 30 ms of their CPU, attached on their fork event (issue 18)"
# Each child allocates a 777-byte block per millisecond of its CPU and writes down each
# one; a /proc scan every 100 ms finds few of them alive, the fork event attaches them
# while they run.  Judged by what was recorded: the blocks heapscope saw of a child are
# its last ones, as many as it had live.
W=$OUT/children
start_workload fork_children "$W" CHILDREN=5 CHILD_MS=30
PARENT=$WPID
start_heapscope "$OUT/c.err" --exe "$BIN/fork_children" --follow -v -f json -o "$OUT/c.json"
run_phase "$W"
wait_until 30 "the five children wrote their blocks" \
	test "$(find "$W" -name 'child.*' | wc -l)" -ge 5
stop_heapscope INT
release_workload "$W"
check_eq "heapscope exits 0" 0 "$HRC"
children=$(jq --argjson p "$PARENT" '[.processes[] | select(.pid != $p)] | length' "$OUT/c.json")
counted=$(jq --argjson p "$PARENT" '[.processes[] | select(.pid != $p and .alloc_count > 0)]
	| length' "$OUT/c.json")
echo "  ($children of 5 children attached, $counted while they still allocated)"
# A child attached after its last block (a loaded machine: the attach took longer than
# its 30 ms) has nothing to count; one of five at least must have been caught in time.
check "a child was attached and its blocks counted" [ "$counted" -gt 0 ]
for f in "$W"/child.*; do
	pid=${f##*.}
	jq -e --argjson p "$pid" '.processes[] | select(.pid == $p)' "$OUT/c.json" > /dev/null ||
		continue
	n=$(wc -l < "$f")
	check "PID $pid: heard of by its fork event" grep -q "^heapscope: PID $PARENT forked PID $pid$" \
		"$OUT/c.err"
	check "PID $pid: at most its $n blocks, all live, 777 bytes each" \
		jq_true --argjson p "$pid" --argjson n "$n" '.processes[] | select(.pid == $p)
			| .alloc_count <= $n and .live_count == .alloc_count
			and .live_bytes == 777 * .alloc_count' "$OUT/c.json"
done
json_folded "$OUT/c.json" | process_folded /dev/stdin "fork_children [$PARENT]" > "$OUT/c.folded"
check_truth "$OUT/c.folded" "$W/truth"

echo "# a reload, as nginx -s reload does it"
W=$OUT/reload
start_workload reloader "$W"
MASTER=$WPID
# The issue's session: -d 14, the reload at 3 s (the step then sits early in the first two
# thirds, whose slope is 0), the old workers exiting at once.
start_heapscope "$OUT/r.err" --exe "$BIN/reloader" --follow -d 14 -f json -o "$OUT/r.json"
wait_until 30 "the master and two workers attached" \
	test "$(grep -c "attached to PID" "$OUT/r.err")" -ge 3
touch "$W/go"
sleep 3
touch "$W/reload"
wait_for "$W/reloaded"
wait "$HPID"
check_eq "heapscope exits 0" 0 $?
touch "$W/exit"
wait "$MASTER"
J=$OUT/r.json
jq -r '.processes[] | "  \(.pid) \(.verdict) exited=\(.exited): \(.explanation)"' "$J"
check_eq "two old workers exited" 2 "$(jq '[.processes[] | select(.exited)] | length' "$J")"
check_eq "the master: bounded (its new configuration)" bounded \
	"$(json_process_field "$J" "$MASTER" verdict)"
json_folded "$J" | process_folded /dev/stdin "reloader [$MASTER]" > "$OUT/r.folded"
check_truth "$OUT/r.folded" "$W/truth"
# Where the step falls in the first two thirds decides whether their slope is 0 (then the
# step is told as a step: tests/unit/analysis/test_verdict.c); either way no sentence may
# say the heap grew at 0 B/s.
check "no explanation says it grew at 0 B/s" \
	jq_true '[.processes[], . | .explanation | test("0 B/s over the first two thirds") | not] | all' "$J"
check "no process that exited is told to run longer" \
	jq_true '[.processes[] | select(.exited) | .explanation
		| test("-d [0-9]|run at least|run longer|session N times longer") | not] | all' "$J"
finish
