# tests/lib.sh - what the integration tests share.  Each test is a user session:
# start a workload, attach heapscope, let the workload allocate, stop, compare
# with the truth the workload wrote.  Sourced by tests/integration/test_*.sh.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HEAPSCOPE=${HEAPSCOPE:-$ROOT/heapscope}
BIN=$ROOT/${BUILD_DIR:-build}/tests
OUT=${TEST_OUT:-$ROOT/tests/out}/$(basename "$0" .sh)
rm -rf "$OUT" && mkdir -p "$OUT"
FAILURES=0
CHECKS=0
PIDS_TO_KILL=()

cleanup() {
	for pid in "${PIDS_TO_KILL[@]}"; do kill -9 "$pid" 2>/dev/null; done
}
trap cleanup EXIT

ok() { CHECKS=$((CHECKS + 1)); echo "  ok   $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILURES=$((FAILURES + 1)); echo "  FAIL $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
check_eq() { # check_eq DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: expected '$2', got '$3'"; fi
}
finish() {
	echo "  $CHECKS checks, $FAILURES failed"
	[ "$FAILURES" -eq 0 ]
}

# wait_until SECONDS WHAT COMMAND...: until COMMAND succeeds; after SECONDS, says it
# timed out waiting for WHAT and returns 1.
wait_until() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@"; do
		[ $SECONDS -ge $deadline ] && { echo "  timed out waiting for $what"; return 1; }
		sleep 0.02
	done
}

# wait_for FILE [SECONDS]: until FILE exists.
wait_for() {
	wait_until "${2:-30}" "$1" test -e "$1"
}

has_text() { grep -q "$2" "$1" 2>/dev/null; } # has_text FILE TEXT

# wait_for_text FILE TEXT [SECONDS]
wait_for_text() {
	wait_until "${3:-30}" "'$2' in $1" has_text "$1" "$2" || { cat "$1"; return 1; }
}

# start_workload NAME DIR [env...]: runs build/tests/NAME DIR, sets WPID.
start_workload() {
	local name=$1 dir=$2; shift 2
	mkdir -p "$dir"
	env "$@" "$BIN/$name" "$dir" > "$dir/stdout" 2> "$dir/stderr" &
	WPID=$!
	PIDS_TO_KILL+=("$WPID")
	wait_for "$dir/ready"
}

# start_heapscope ERRFILE ARGS...: runs heapscope in the background, sets HPID,
# returns once it says "attached".
start_heapscope() {
	local err=$1; shift
	: > "$err" # empty now: the background redirection may come after the first look
	"$HEAPSCOPE" "$@" 2> "$err" &
	HPID=$!
	PIDS_TO_KILL+=("$HPID")
	wait_for_text "$err" "attached"
}

# run_phase DIR: let the workload allocate and wait until it is done.
run_phase() {
	touch "$1/go"
	wait_for "$1/done" 60
}

# run_all DIR...: every workload allocates at once; wait until all are done.
run_all() {
	for d in "$@"; do touch "$d/go"; done
	for d in "$@"; do wait_for "$d/done" 60; done
}

# stop_heapscope [SIGNAL]: signal heapscope and wait for it; sets HRC.
stop_heapscope() {
	kill -"${1:-INT}" "$HPID" 2>/dev/null
	wait "$HPID"
	HRC=$?
}

# release_workload DIR: let the workload exit; sets WRC.
release_workload() {
	touch "$1/exit"
	wait "$WPID"
	WRC=$?
}

# leaf_bytes FOLDED FUNCTION: total weight of stacks whose leaf frame is FUNCTION.
leaf_bytes() {
	awk -v fn="$2" '{ w = $NF; $NF = ""; sub(/ $/, ""); n = split($0, f, ";");
		if (f[n] == fn) sum += w } END { print sum + 0 }' "$1"
}

# chain_bytes FOLDED CHAIN: total weight of stacks that end with the call chain CHAIN
# (the whole stack, or its tail after a ';').
chain_bytes() {
	awk -v chain="$2" '{ w = $NF; $NF = ""; sub(/ $/, "");
		if ($0 == chain || substr($0, length($0) - length(chain)) == ";" chain) sum += w }
		END { print sum + 0 }' "$1"
}

# check_truth FOLDED TRUTH [chains]: every function's live bytes equal the truth,
# by leaf; with "chains", also all of them under the complete chain.  The leaf is
# the chain's last frame (names with spaces, like C++'s "operator new(unsigned
# long)", cannot be the truth file's first column).
check_truth() {
	local folded=$1 truth=$2 chains=${3:-}
	local fn bytes count chain leaf
	while read -r fn bytes count chain; do
		leaf=${chain##*;}
		check_eq "$fn live bytes" "$bytes" "$(leaf_bytes "$folded" "${leaf:-$fn}")"
		if [ -n "$chains" ]; then
			check_eq "$fn bytes under $chain" "$bytes" "$(chain_bytes "$folded" "$chain")"
		fi
	done < "$truth"
}

# probe_lines ERRFILE: "function object offset" of each probe heapscope -v reported.
probe_lines() {
	sed -n 's/^heapscope: probe \([^ ]*\) *\(\/[^ ]*\)+\(0x[0-9a-f]*\) .*/\1 \2 \3/p' "$1"
}

# probe_sites ERRFILE: "object offset" of each probe heapscope -v reported.
probe_sites() {
	probe_lines "$1" | cut -d' ' -f2-
}

# check_bindings ERRFILE LD_DEBUG_LOG: every probed function the dynamic linker bound
# (LD_DEBUG=bindings in the workload's stderr) is probed in the object it was bound to.
check_bindings() {
	local fn object offset bound checked=0
	while read -r fn object offset; do
		bound=$(sed -n "s/.*binding file .* to \(\/[^ ]*\) \[[0-9]*\]: normal symbol \`$fn'.*/\1/p" \
			"$2" | head -1)
		[ -z "$bound" ] && continue
		checked=$((checked + 1))
		check_eq "$fn probed where the dynamic linker bound it" "$(readlink -f "$bound")" \
			"$(readlink -f "$object")"
	done < <(probe_lines "$1")
	check "the dynamic linker bound probed functions" [ "$checked" -gt 0 ]
}

# profile_truth LABEL WORKLOAD [env...]: one session on a truth workload (attach, let it
# allocate, stop) and every function's live bytes and call chain compared with its truth.
# Leaves heapscope's stderr in $OUT/LABEL.stderr, the workload's files in $OUT/LABEL/.
profile_truth() {
	local label=$1 workload=$2; shift 2
	echo "  -- $label"
	start_workload "$workload" "$OUT/$label" "$@"
	start_heapscope "$OUT/$label.stderr" -p "$WPID" -v -o "$OUT/$label.folded"
	check_breakpoints "$label" "$WPID" "$OUT/$label.stderr"
	run_phase "$OUT/$label"
	stop_heapscope INT
	check_eq "$label: heapscope exits 0" 0 "$HRC"
	check_truth "$OUT/$label.folded" "$OUT/$label/truth" chains
	check "$label: no lost events" grep -q "lost events: 0" "$OUT/$label.stderr"
	check_restored "$label" "$WPID" "$OUT/$label.stderr"
	release_workload "$OUT/$label"
	check_eq "$label: workload exits cleanly" 0 "$WRC"
}

# check_attach_line LABEL TEXT: heapscope's attach line reads "attached to PID N (TEXT, N probes)".
check_attach_line() {
	local named
	named=$(sed -n 's/.*attached to PID [0-9]* (\(.*\), [0-9]* probes)$/\1/p' "$OUT/$1.stderr")
	check_eq "$1: the attach line names the allocator objects" "$2" "$named"
}

# probe_bytes PID ERRFILE: the target's bytes at every probed site, one line each.
probe_bytes() {
	local object offset
	probe_sites "$2" | while read -r object offset; do
		"$BIN/membytes" "$1" "$object" "$offset" 8
	done
}

# original_probe_bytes ERRFILE: the same bytes read from the files on disk: the
# instructions as they were before any probe.
original_probe_bytes() {
	local object offset
	probe_sites "$1" | while read -r object offset; do
		od -An -tx1 -j "$((offset))" -N 8 "$object" | tr -d ' \n'
		echo
	done
}

# check_breakpoints LABEL PID ERRFILE: every site heapscope -v said it probes holds int3.
check_breakpoints() {
	local sites breakpoints
	sites=$(probe_sites "$3" | wc -l)
	breakpoints=$(probe_bytes "$2" "$3" | grep -c '^cc')
	check "$1: each of the $sites probed sites holds a breakpoint while attached" \
		[ "$sites" -gt 0 ] && [ "$breakpoints" -eq "$sites" ]
}

# check_restored LABEL PID ERRFILE: after detach, every probed site holds its original bytes.
check_restored() {
	check "$1: probed bytes equal the original instructions after detach" \
		[ "$(original_probe_bytes "$3")" = "$(probe_bytes "$2" "$3")" ]
}

# process_folded FOLDED ROOT: the stacks under root frame ROOT ("COMM [PID]"), without it.
process_folded() {
	awk -v root="$2" 'index($0, root ";") == 1 { print substr($0, length(root) + 2) }' "$1"
}

# json_folded JSON: the stacks of a JSON report as folded lines (live bytes).
json_folded() {
	jq -r '.stacks[] | (.frames | join(";")) + " " + (.live_bytes | tostring)' "$1"
}

# jq_true JQ-ARGS...: the jq expression holds.
jq_true() { jq -e "$@" > /dev/null; }

# untraced_and_running PID: TracerPid 0 and not stopped (state t or T): what a leak check
# leaves behind, whether or not it ran.
untraced_and_running() {
	local tracer state
	tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$1/status")
	state=$(awk '/^State:/ {print $2}' "/proc/$1/status")
	[ "$tracer" = 0 ] && [ "$state" != t ] && [ "$state" != T ]
}

# json_process_field JSON PID FIELD: FIELD of the process PID in "processes".
json_process_field() {
	jq -r --argjson pid "$2" ".processes[] | select(.pid == \$pid) | .$3" "$1"
}

# bpf_map_keys PID MAP: the keys (decimal; a u32 key is a PID) of BPF map MAP that
# process PID holds, one a line, ascending.  MAP as the kernel keeps names: 15
# characters at most ("unwind_processe").
bpf_map_keys() {
	local id
	for id in $(sed -n 's/^map_id:[[:space:]]*//p' /proc/"$1"/fdinfo/* 2>/dev/null | sort -un); do
		[ "$(bpftool map show id "$id" -j | jq -r .name)" = "$2" ] || continue
		bpftool map dump id "$id" -j | jq -r '.[].formatted.key' | sort -n
		return 0
	done
	return 1
}

# probe_fds PID: how many probes process PID holds attached: one per perf event
# (heapscope's per-probe links) plus every probe of its uprobe_multi links.
probe_fds() {
	local perf multi
	perf=$(find /proc/"$1"/fd -lname 'anon_inode:\[perf_event\]' 2>/dev/null | wc -l)
	multi=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^link_type:/ { m = $2 ~ /probe_multi$/ }
		/^uprobe_cnt:/ && m { n += $2 } END { print n + 0 }')
	echo $((perf + multi))
}
# chromium_run ARGS... URL: headless Chromium, offline, its log appended to $OUT/chromium.log.
chromium_run() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d -p "$OUT")" --window-size=1200,800 "$@" 2>> "$OUT/chromium.log"
}

# small_asan_quarantine: for a test that measures heapscope's own memory.  Under make
# test SANITIZE=1, ASan's quarantine holds up to 256 MiB of freed memory, so RSS climbs
# while it fills whatever heapscope does (test_soak: +13 MiB in 15 s with the default,
# flat with 1 MiB).  A 1 MiB quarantine keeps the measure about heapscope.
small_asan_quarantine() {
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1
}
