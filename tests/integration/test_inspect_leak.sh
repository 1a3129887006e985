#!/usr/bin/env bash
# heapscope inspect --leak-check: no session, so the nodes are the in-use chunks of glibc's
# heap walk (no stacks; usable sizes and C++ types known).  On the leaks workload
# (tests/workloads/leaks.cc) it must find exactly the blocks its truth file lists, matched by
# chunk size, and none of the reachable ones; on bigheap_live exactly the one block in 64 it
# leaves out of its chain.  With --no-debug-file the check, like inspect, finds glibc's state
# from its code alone (no debug file opened) and the same blocks.  And the freeze's rules, as
# in a session: a traced target, a copy over --max-pause, a process under another allocator
# each get one line, the rest of inspect is written, the target runs on untraced, and the
# exit code is 0 (a partial result).
. "$(dirname "$0")/../lib.sh"

# usable REQUEST: the usable bytes of the chunk glibc's malloc(REQUEST) returns on x86_64
# (request2size: REQUEST + 8 bytes of header rounded up to 16, at least 32; less the header).
usable() {
	local chunk=$((($1 + 8 + 15) / 16 * 16))
	[ "$chunk" -lt 32 ] && chunk=32
	echo $((chunk - 8))
}

# leak_json FILE: the first process's leak_check object
leak_json() { jq -c '.processes[0].leak_check' "$1"; }
json_valid() { python3 -m json.tool "$1" > /dev/null; }

echo "-- glibc: the leaks workload's truth, by chunk size"
G=$OUT/glibc
start_workload leaks "$G"
run_phase "$G"
"$HEAPSCOPE" inspect -p "$WPID" --leak-check -f json -o "$G/out.json" 2> "$G/err"
check_eq "heapscope exits 0" 0 "$?"
check_eq "nothing on stderr" "" "$(cat "$G/err")"
check "the JSON is valid" json_valid "$G/out.json"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
L=$(leak_json "$G/out.json")
check_eq "the check ran" true "$(jq -r .done <<< "$L")"
check_eq "roots: glibc's arenas walked" glibc "$(jq -r .roots <<< "$L")"
check_eq "the rest of inspect is there" "true glibc" \
	"$(jq -r '.processes[0] | "\(.state_read) \(.allocator)"' "$G/out.json")"
# The truth per function (name, bytes, blocks) as the expected blocks and bytes per usable size.
declare -A want_blocks=() want_bytes=()
total_blocks=0 total_bytes=0
while read -r fn bytes count _; do
	size=$(usable $((bytes / count)))
	want_blocks[$size]=$((${want_blocks[$size]:-0} + count))
	want_bytes[$size]=$((${want_bytes[$size]:-0} + count * size))
	total_blocks=$((total_blocks + count))
	total_bytes=$((total_bytes + count * size))
done < "$G/truth"
for size in "${!want_blocks[@]}"; do
	check_eq "$size-byte chunks: unreachable blocks and bytes" \
		"${want_blocks[$size]} ${want_bytes[$size]}" \
		"$(jq -r --argjson s "$size" '.sizes[] | select(.size_bytes == $s) |
			"\(.unreachable_blocks) \(.unreachable_bytes)"' <<< "$L")"
done
check_eq "no other size has unreachable blocks" "${#want_blocks[@]}" \
	"$(jq '[.sizes[] | select(.unreachable_blocks > 0)] | length' <<< "$L")"
check_eq "unreachable blocks and bytes in all" "$total_blocks $total_bytes" \
	"$(jq -r '"\(.unreachable_blocks) \(.unreachable_bytes)"' <<< "$L")"
# leaks.cc: leak_list's head is its one direct block (the rest hang from it), leak_cycle's
# two blocks point at each other (one counts direct); every other leaked block is direct.
list=$(awk '$1 == "leak_list" {print $3}' "$G/truth")
cycle=$(awk '$1 == "leak_cycle" {print $3}' "$G/truth")
indirect=$((list - 1 + cycle - 1))
check_eq "direct and indirect blocks" "$((total_blocks - indirect)) $indirect" \
	"$(jq -r '"\(.direct_blocks) \(.indirect_blocks)"' <<< "$L")"
widgets=$(awk '$1 == "leak_widgets" {print $3}' "$G/truth")
widget_bytes=$(($(usable $(($(awk '$1 == "leak_widgets" {print $2 / $3}' "$G/truth"))))))
check_eq "type Widget: every one unreachable" "$widgets $widgets $((widgets * widget_bytes))" \
	"$(jq -r '.types[] | select(.name == "Widget") |
		"\(.blocks) \(.unreachable_blocks) \(.unreachable_bytes)"' <<< "$L")"
check_eq "type Gadget (keep_vector's 10, in a global std::vector): none unreachable" "10 0" \
	"$(jq -r '.types[] | select(.name == "Gadget") | "\(.blocks) \(.unreachable_blocks)"' <<< "$L")"
check "pause_ms and scanned_bytes measured, what it cannot see said" jq_true \
	'.pause_ms > 0 and .scanned_bytes > 0 and .cannot_see != ""' <<< "$L"
echo "  paused $(jq .pause_ms <<< "$L") ms, analysed in $(jq .analysis_ms <<< "$L") ms"
"$HEAPSCOPE" inspect -p "$WPID" --leak-check -o "$G/report.txt" 2> "$G/report.err"
check_eq "report: heapscope exits 0" 0 "$?"
check "report: the allocator's state first" grep -q '^ALLOCATOR STATE (glibc' "$G/report.txt"
check "report: a LEAKS section, in the session's words" grep -q \
	"^  $total_blocks blocks (.*) unreachable of [0-9]* checked: leaked for certain" "$G/report.txt"
check "report: by size" grep -qE \
	"By size +$(usable 48) B: ${want_blocks[$(usable 48)]} of [0-9]+ blocks unreachable" "$G/report.txt"
check "report: by type" grep -qE "Widget: $widgets of $widgets blocks unreachable" "$G/report.txt"
check "report: says what it cannot see" grep -q 'XOR-linked lists' "$G/report.txt"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
# --no-debug-file holds for the check's own look for glibc's state too: strace sees every
# file heapscope opens, none of them a debug file, and glibc's state found from its code
# alone gives the same unreachable blocks.
# LeakSanitizer (the sanitized suite) stops the world with ptrace at exit, which cannot work
# under strace: its leak check is off for this run only.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f --seccomp-bpf -e trace=open,openat,openat2 -o "$G/code.strace" \
	"$HEAPSCOPE" inspect -p "$WPID" --leak-check --no-debug-file -f json -o "$G/code.json" \
	2> "$G/code.err"
check_eq "--no-debug-file: heapscope exits 0" 0 "$?"
check "--no-debug-file: strace saw heapscope's opens" grep -q "\"/proc/$WPID/maps\"" \
	"$G/code.strace"
check_eq "--no-debug-file: no debug file opened" "" \
	"$(grep -oE '"[^"]*(/usr/lib/debug/|/\.debug/)[^"]*"' "$G/code.strace")"
counts='"\(.done) \(.unreachable_blocks) \(.unreachable_bytes) \(.direct_blocks) \(.indirect_blocks)"'
check_eq "--no-debug-file: the same unreachable, direct and indirect blocks" \
	"$(jq -r "$counts" <<< "$L")" "$(leak_json "$G/code.json" | jq -r "$counts")"

echo "-- a traced target is left alone; inspect is still written"
strace -f -p "$WPID" -o /dev/null 2> /dev/null &
SPID=$!
PIDS_TO_KILL+=("$SPID")
wait_until 10 "strace" sh -c "! grep -q '^TracerPid:[[:space:]]*0$' /proc/$WPID/status"
"$HEAPSCOPE" inspect -p "$WPID" --leak-check -f json -o "$G/traced.json" 2> "$G/traced.err"
check_eq "heapscope exits 0" 0 "$?"
check_eq "one line says why" 1 "$(grep -c \
	"no leak check of PID $WPID: PID $WPID is already traced by PID $SPID" "$G/traced.err")"
check "the JSON is valid" json_valid "$G/traced.json"
check_eq "JSON: not done, the reason" "false true" \
	"$(jq -r '.processes[0].leak_check | "\(.done) \(.reason | test("already traced"))"' \
		"$G/traced.json")"
check "the heap walk and census are there" jq_true \
	'.processes[0].state_read and (.processes[0].types | length > 0)' "$G/traced.json"
"$HEAPSCOPE" inspect -p "$WPID" --leak-check -o "$G/traced.txt" 2> /dev/null
check "report: LEAKS not checked, and why" grep -q "^LEAKS: not checked: PID $WPID is already traced" \
	"$G/traced.txt"
kill "$SPID"; wait "$SPID" 2> /dev/null
wait_until 10 "strace to let go" untraced_and_running "$WPID"

echo "-- --max-pause: abandoned mid-copy (the freeze's test pause outlasts it)"
HEAPSCOPE_TEST_FREEZE_SLEEP_MS=300 "$HEAPSCOPE" inspect -p "$WPID" --leak-check --max-pause 100 \
	-f json -o "$G/midcopy.json" 2> "$G/midcopy.err"
check_eq "heapscope exits 0" 0 "$?"
check "one line says why" grep -q \
	"no leak check of PID $WPID: the copy took longer than --max-pause (100 ms)" "$G/midcopy.err"
check "the JSON is valid, the rest written" jq_true \
	'.processes[0].state_read and .processes[0].leak_check.done == false' "$G/midcopy.json"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
"$HEAPSCOPE" inspect -p "$WPID" --leak-check --max-pause 0 > /dev/null 2> "$G/zero.err"
check_eq "--max-pause 0: a usage error, as in a session" 2 "$?"
check "one line says why" grep -q "invalid --max-pause '0': expected milliseconds >= 1" "$G/zero.err"
"$HEAPSCOPE" inspect -p "$WPID" --max-pause 100 > /dev/null 2> "$G/alone.err"
check_eq "--max-pause without --leak-check: a usage error" 2 "$?"
release_workload "$G"
check_eq "workload exits 0" 0 "$WRC"

echo "-- bigheap_live: one block in 64 left out of its chain; --max-pause refused before the freeze"
B=$OUT/bigheap
start_workload bigheap_live "$B" BIGHEAP_MIB=16
read -r blocks leaked < "$B/truth"
"$HEAPSCOPE" inspect -p "$WPID" --leak-check --max-pause 20000 -f json -o "$B/out.json" 2> "$B/err"
check_eq "heapscope exits 0" 0 "$?"
L=$(leak_json "$B/out.json")
# The last block left out may stay in a dead register or stack slot of main(): a stale
# pointer, which keeps it reachable (a leak missed, never one invented).  So: all the others.
found=$(jq .unreachable_blocks <<< "$L")
check "unreachable: the blocks left out ($found of $leaked), the last one at most missed" \
	test "$found" -le "$leaked" -a "$found" -ge $((leaked - 1))
check_eq "every one a $(usable 1016)-byte chunk, of $blocks" "$found $((found * $(usable 1016))) $blocks" \
	"$(jq -r --argjson s "$(usable 1016)" '"\(.unreachable_bytes)" as $all | .sizes[] |
		select(.size_bytes == $s) | "\(.unreachable_blocks) \($all) \(.blocks)"' <<< "$L")"
"$HEAPSCOPE" inspect -p "$WPID" --leak-check --max-pause 1 -o "$B/refused.txt" 2> "$B/refused.err"
check_eq "heapscope exits 0" 0 "$?"
check "one line says why" grep -q "no leak check of PID $WPID: copying .* over --max-pause 1 ms" \
	"$B/refused.err"
check "the report is written" grep -q '^HEAP BY SIZE' "$B/refused.txt"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
release_workload "$B"
check_eq "workload exits 0" 0 "$WRC"

echo "-- jemalloc: no heap walk, so no check; inspect says why in one line"
J=$OUT/jemalloc
start_workload leaks "$J" LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
run_phase "$J"
"$HEAPSCOPE" inspect -p "$WPID" --leak-check -f json -o "$J/out.json" 2> "$J/err"
check_eq "heapscope exits 0" 0 "$?"
check_eq "one line says why" 1 "$(grep -c \
	"no leak check of PID $WPID: without a session it marks the chunks of glibc's heap walk, and malloc is jemalloc's" \
	"$J/err")"
check "the JSON is valid" json_valid "$J/out.json"
check_eq "inspect's own result is written" "jemalloc false" \
	"$(jq -r '.processes[0] | "\(.allocator) \(.leak_check.done)"' "$J/out.json")"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
release_workload "$J"
check_eq "workload exits 0" 0 "$WRC"
finish
