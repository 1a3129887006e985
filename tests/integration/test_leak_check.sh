#!/usr/bin/env bash
# --leak-check on real processes, against exactly known truth (tests/workloads/leaks.cc):
# unreachable bytes per allocating function, direct/indirect, C++ types, none of the
# reachable blocks (global, interior pointer, a block from before attach, a sleeping
# thread's stack and TLS, std::vector, a chain); Valgrind's memcheck on the same workload
# agrees; the session-less check (inspect --leak-check) finds the same blocks by chunk size;
# under jemalloc (untracked memory as roots) it finds no more than the truth and none of the
# reachable.  Safety: a traced target is left alone, --max-pause is kept (before and during
# the copy), SIGKILL of heapscope mid-freeze leaves the target running and untraced, twenty
# checks in a row on the self-checking churn workload corrupt nothing and find no leak.
. "$(dirname "$0")/../lib.sh"

LEAK_FUNCTIONS="leak_loop leak_list leak_widgets leak_cycle"
KEEP_FUNCTIONS="keep_global keep_interior keep_pre keep_stack keep_tls keep_vector keep_chain"

# leaked FILE FIELD FUNCTION: the leak_check stack whose leaf is FUNCTION()
leaked() {
	jq -r --arg f "$3()" "[.leak_check.stacks[] | select(.frames[-1] == \$f) | .$2] | add // 0" "$1"
}

# session DIR NAME [env...] -- ARGS...: the leaks workload, a session over its phase
session() {
	local dir=$1 name=$2; shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	start_workload leaks "$dir" "${envs[@]}"
	start_heapscope "$dir/$name.err" -p "$WPID" -q --leak-check -d 3 "$@"
	run_phase "$dir"
	wait "$HPID"
	HRC=$?
}

echo "-- glibc: exact truth per function"
G=$OUT/glibc
session "$G" run -- -o "$G/out.json"
check_eq "heapscope exits 0" 0 "$HRC"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
check_eq "the check ran" true "$(jq -r .leak_check.done "$G/out.json")"
check_eq "roots: glibc's arenas walked" glibc "$(jq -r .leak_check.roots "$G/out.json")"
while read -r fn bytes count _; do
	check_eq "$fn: unreachable bytes" "$bytes" "$(leaked "$G/out.json" unreachable_bytes "$fn")"
	check_eq "$fn: unreachable blocks" "$count" "$(leaked "$G/out.json" unreachable_blocks "$fn")"
done < "$G/truth"
check_eq "leak_list: one direct block (the lost head)" 1 "$(leaked "$G/out.json" direct_blocks leak_list)"
check_eq "leak_cycle: one direct block" 1 "$(leaked "$G/out.json" direct_blocks leak_cycle)"
for fn in $KEEP_FUNCTIONS; do
	check_eq "$fn: reachable, nothing reported" 0 "$(leaked "$G/out.json" unreachable_bytes "$fn")"
done
check_eq "unreachable bytes" 6272 "$(jq .leak_check.unreachable_bytes "$G/out.json")"
check_eq "unreachable blocks" 132 "$(jq .leak_check.unreachable_blocks "$G/out.json")"
check_eq "direct blocks" 122 "$(jq .leak_check.direct_blocks "$G/out.json")"
check_eq "indirect blocks" 10 "$(jq .leak_check.indirect_blocks "$G/out.json")"
check_eq "no block from before attach unreachable" 0 \
	"$(jq .leak_check.before_attach_unreachable_blocks "$G/out.json")"
check_eq "type Widget: 20 of 20 unreachable" "20 20 640" "$(jq -r \
	'.leak_check.types[] | select(.name == "Widget") | "\(.blocks) \(.unreachable_blocks) \(.unreachable_bytes)"' \
	"$G/out.json")"
check_eq "type Gadget: 10 blocks, none unreachable" "10 0" "$(jq -r \
	'.leak_check.types[] | select(.name == "Gadget") | "\(.blocks) \(.unreachable_blocks)"' "$G/out.json")"
check "pause_ms and scanned_bytes measured" jq_true \
	'.leak_check.pause_ms > 0 and .leak_check.scanned_bytes > 0' "$G/out.json"
echo "  paused $(jq .leak_check.pause_ms "$G/out.json") ms, analysed in $(jq .leak_check.analysis_ms "$G/out.json") ms"

echo "-- inspect --leak-check (no session: the glibc walk's chunks, usable sizes, no stacks)"
"$BIN/leak_driver" -p "$WPID" > "$G/inspect.json"
check_eq "same blocks unreachable" "132 122 10" \
	"$(jq -r '"\(.unreachable_blocks) \(.direct_blocks) \(.indirect_blocks)"' "$G/inspect.json")"
# chunk sizes: 48 -> 56, 64 -> 72, 32 -> 40, 96 -> 104 usable bytes
check_eq "same blocks by usable size" $((100 * 56 + 10 * 72 + 20 * 40 + 2 * 104)) \
	"$(jq .unreachable_bytes "$G/inspect.json")"
check_eq "Widget named without a session" 20 \
	"$(jq '.types[] | select(.name == "Widget") | .unreachable_blocks' "$G/inspect.json")"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
release_workload "$G"
check_eq "workload exits 0" 0 "$WRC"

echo "-- folded -w leaked-bytes and the report"
F=$OUT/folded
session "$F" run -- -w leaked-bytes -o "$F/leaked.folded"
check_eq "folded: one line per leaking stack" 4 "$(wc -l < "$F/leaked.folded")"
check_eq "folded: leak_loop" 4800 "$(grep 'leak_loop() ' "$F/leaked.folded" | awk '{print $NF}')"
release_workload "$F"
R=$OUT/report
session "$R" run -- -f report -o "$R/report.txt"
check "report: a LEAKS section" grep -q '^LEAKS (--leak-check: PID' "$R/report.txt"
check "report: totals" grep -q '132 blocks (6.1 KiB) unreachable' "$R/report.txt"
check "report: says what it cannot see" grep -q 'XOR-linked lists' "$R/report.txt"
release_workload "$R"
H=$OUT/html
session "$H" run -- -o "$H/page.html"
check "html: the leak check's section" grep -q 'id="leak-check"' "$H/page.html"
check "html: its totals, as the report says them" grep -q '132 blocks (6.1 KiB) unreachable' \
	"$H/page.html"
check "html: a leaked-bytes flame graph view" grep -q 'data-view="leaked"' "$H/page.html"
release_workload "$H"

echo "-- Valgrind's memcheck on the same workload"
V=$OUT/valgrind
mkdir -p "$V"
valgrind --leak-check=full --log-file="$V/vg.log" "$BIN/leaks" "$V" > /dev/null 2>&1 &
VPID=$!
PIDS_TO_KILL+=("$VPID")
wait_for "$V/ready" 60 && touch "$V/go" && wait_for "$V/done" 60
touch "$V/exit"
wait "$VPID"
summary() { grep -m1 "$1" "$V/vg.log" | sed 's/.*: //; s/,//g' | awk '{print $1, $4}'; }
check_eq "valgrind: definitely lost = heapscope's direct" "5600 122" "$(summary 'definitely lost:')"
check_eq "valgrind: indirectly lost = heapscope's indirect" "672 10" "$(summary 'indirectly lost:')"
# Valgrind calls a block reached only through an interior pointer "possibly lost"; so is
# glibc's TLS block of a thread (allocated in pthread_create, reached at an offset).
check "valgrind: the interior-only block is 'possibly lost' (heapscope: reachable)" \
	grep -q "200 bytes in 1 blocks are possibly lost" "$V/vg.log"

echo "-- jemalloc: untracked memory as roots"
# jemalloc's thread cache keeps the pointers it handed out in its bins' stacks: stale, they
# hold up to a bin's capacity of the latest blocks of each size reachable.  leak_loop leaks
# more than that here, so the mode has something to find.
J=$OUT/jemalloc
session "$J" run LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 LEAK_LOOP_COUNT=3000 -- \
	-o "$J/out.json"
check_eq "heapscope exits 0" 0 "$HRC"
check_eq "roots: untracked memory" untracked-as-roots "$(jq -r .leak_check.roots "$J/out.json")"
total=0
while read -r fn bytes _; do
	got=$(leaked "$J/out.json" unreachable_bytes "$fn")
	total=$((total + got))
	check "$fn: $got of $bytes bytes found (never more)" test "$got" -le "$bytes"
done < "$J/truth"
check "jemalloc: leaks found" test "$total" -gt 0
for fn in $KEEP_FUNCTIONS; do
	check_eq "$fn: reachable, nothing reported" 0 "$(leaked "$J/out.json" unreachable_bytes "$fn")"
done
echo "  jemalloc: $total of $((6272 - 4800 + 3000 * 48)) bytes found; $(jq -r .leak_check.roots_detail "$J/out.json")"
release_workload "$J"

echo "-- a traced target is left alone"
T=$OUT/traced
start_workload leaks "$T"
strace -f -p "$WPID" -o /dev/null 2> /dev/null &
SPID=$!
PIDS_TO_KILL+=("$SPID")
wait_until 10 "strace" sh -c "! grep -q '^TracerPid:[[:space:]]*0$' /proc/$WPID/status"
start_heapscope "$T/err" -p "$WPID" -q --leak-check -d 1 -o "$T/out.json"
run_phase "$T"
wait "$HPID"
check_eq "heapscope exits 0" 0 "$HRC"
check "one line says why" grep -q "no leak check: PID $WPID is already traced by PID $SPID" "$T/err"
check_eq "JSON: not done" false "$(jq -r .leak_check.done "$T/out.json")"
check "the session's output is there" jq_true '.stacks | length > 0' "$T/out.json"
kill "$SPID"; wait "$SPID" 2> /dev/null
release_workload "$T"

echo "-- --max-pause: refused before the freeze, abandoned during the copy"
B=$OUT/bigheap
mkdir -p "$B"
BIGHEAP_MIB=256 "$BIN/bigheap_live" "$B" > /dev/null &
WPID=$!
PIDS_TO_KILL+=("$WPID")
wait_for "$B/ready" 60
start_heapscope "$B/err" -p "$WPID" -q --leak-check --max-pause 5 -d 0.5 -o "$B/out.folded"
wait "$HPID"
check_eq "heapscope exits 0" 0 "$?"
check "the reason is stated" grep -q "no leak check: copying .* over --max-pause 5 ms" "$B/err"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
touch "$B/exit"; wait "$WPID"
M=$OUT/midcopy
HEAPSCOPE_TEST_FREEZE_SLEEP_MS=300 session "$M" run -- --max-pause 100 -o "$M/out.json"
check_eq "heapscope exits 0" 0 "$HRC"
check "abandoned mid-copy, the reason stated" grep -q "no leak check: the copy took longer than --max-pause (100 ms)" "$M/run.err"
check "the target is neither traced nor stopped" untraced_and_running "$WPID"
release_workload "$M"
check_eq "workload exits 0" 0 "$WRC"

echo "-- SIGKILL of heapscope during the freeze"
K=$OUT/sigkill
start_workload leaks "$K"
touch "$K/go"
wait_for "$K/done"
: > "$K/err"
HEAPSCOPE_TEST_FREEZE_SLEEP_MS=10000 "$HEAPSCOPE" -p "$WPID" -q --leak-check --max-pause 20000 -d 0.5 \
	-o "$K/out.json" 2> "$K/err" &
HPID=$!
PIDS_TO_KILL+=("$HPID")
wait_for_text "$K/err" "test: target frozen" 30
state=$(awk '/^State:/ {print $2}' "/proc/$WPID/status")
check_eq "frozen: the target is stopped" t "$state"
kill -9 "$HPID"; wait "$HPID" 2> /dev/null
check "released: neither traced nor stopped" wait_until 5 "release" untraced_and_running "$WPID"
release_workload "$K"
check_eq "and it runs on: exits 0 when told" 0 "$WRC"

echo "-- twenty checks in a row on the self-checking churn workload"
C=$OUT/churn
start_workload churn_checked "$C"
touch "$C/go"
clean=0
false_leaks=0
for i in $(seq 1 20); do
	# --max-pause 5000: this is about safety, not pause, and a loaded machine can stretch
	# a copy past the default 500 ms (17 of 20 ran at a load of 30 on the 2-core guest).
	"$HEAPSCOPE" -p "$WPID" -q --leak-check --max-pause 5000 -d 0.3 -f json -o "$C/out.json" \
		2> "$C/err"
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$(jq -r .leak_check.done "$C/out.json")" = true ]; then
		clean=$((clean + 1))
		false_leaks=$((false_leaks + $(jq .leak_check.unreachable_blocks "$C/out.json")))
	else
		echo "  check $i: exit $rc"; tail -2 "$C/err"
	fi
	kill -0 "$WPID" 2> /dev/null || break
done
check_eq "twenty checks ran" 20 "$clean"
check_eq "churn keeps every block: none unreachable" 0 "$false_leaks"
check "the workload is neither traced nor stopped" untraced_and_running "$WPID"
release_workload "$C"
check_eq "workload exits 0 (no corrupted block)" 0 "$WRC"
read -r operations corruptions < "$C/result"
check_eq "corrupted blocks seen by the workload" 0 "$corruptions"
finish
