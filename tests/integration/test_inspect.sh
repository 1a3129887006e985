#!/bin/bash
# test_inspect.sh - `heapscope inspect` against a real process's own malloc_info (root).
#
# The arenas workload builds known arenas and writes its malloc_info(0); heapscope inspect
# reads the same state from outside and must agree exactly: system (sum of system_mem),
# "fast", "rest" (bins + top), "mmap", arena count; with libc's debug file, then with
# /usr/lib/debug hidden by a tmpfs in a private mount namespace (workload and heapscope both
# inside: heapscope looks through /proc/PID/root, the target's view).  Then
# trimmable_bytes against the RSS malloc_trim(0) really gives back (within 10%), and a
# workload that corrupts its unsorted bin: damage reported, exit 0, no hang.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/${BUILD_DIR:-build}/tests
HEAPSCOPE=${HEAPSCOPE:-$ROOT/heapscope}
TMP=$(mktemp -d)
FAIL=0
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*"; FAIL=1; }
field() { jq -r ".processes[0].totals.$2" "$1"; }
xml() { grep "^<$2 type=\"$3\"" "$1" | tail -1 | grep -o "$4=\"[0-9]*\"" | grep -o '[0-9]*'; }

# start_workload DIR [ARGS...] -> PID in $WPID once "ready"
start_workload() {
	local dir=$1; shift
	"$BIN/arenas" "$dir/info.xml" "$dir/trim.txt" "$@" > "$dir/out" &
	WPID=$!
	for _ in $(seq 100); do grep -q ready "$dir/out" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# compare DIR: driver output DIR/driver.json against DIR/info.xml
compare() {
	local d=$1 j=$1/driver.json
	cp "$j" "$d/total.json"
	[ "$(field "$d/total.json" system_bytes)" = "$(xml "$d/info.xml" system current size)" ] ||
		fail "$2: system $(field "$d/total.json" system_bytes) != $(xml "$d/info.xml" system current size)"
	[ "$(field "$d/total.json" fastbin_bytes)" = "$(xml "$d/info.xml" total fast size)" ] ||
		fail "$2: fast $(field "$d/total.json" fastbin_bytes) != $(xml "$d/info.xml" total fast size)"
	# malloc_info adds chunks' size fields with their flag bits: one byte more per binned
	# chunk (every binned chunk has PREV_INUSE set) than the bytes they hold.
	local rest=$(( $(field "$d/total.json" bin_bytes) + $(field "$d/total.json" bin_chunks) + $(field "$d/total.json" top_bytes) ))
	[ "$rest" = "$(xml "$d/info.xml" total rest size)" ] ||
		fail "$2: rest $rest != $(xml "$d/info.xml" total rest size)"
	[ "$(field "$j" mmapped_bytes)" = "$(xml "$d/info.xml" total mmap size)" ] ||
		fail "$2: mmap $(field "$j" mmapped_bytes) != $(xml "$d/info.xml" total mmap size)"
	[ "$(field "$j" arenas)" = "$(grep -c '^<heap nr=' "$d/info.xml")" ] ||
		fail "$2: arenas $(field "$j" arenas) != $(grep -c '^<heap nr=' "$d/info.xml")"
	[ "$(jq -r '.processes[0].found_by' "$j")" = "$3" ] || fail "$2: found_by is not $3"
	[ "$(jq -r '.processes[0].consistent' "$j")" = true ] ||
		fail "$2: not consistent: $(jq -r '.processes[0].reason' "$j")"
	echo "$2: found by $3 in $(jq -r '.processes[0].read_ms' "$j") ms; system/fast/rest/mmap/arenas equal"
}

# 1. with the debug file
mkdir "$TMP/sym"
start_workload "$TMP/sym" || fail "workload not ready"
"$HEAPSCOPE" inspect -p "$WPID" -f json > "$TMP/sym/driver.json" || fail "inspect failed (symbols)"
compare "$TMP/sym" "debug file" symbols

# 2. trimmable_bytes against malloc_trim(0)'s real RSS drop
trimmable=$(field "$TMP/sym/total.json" trimmable_bytes)
kill -USR1 "$WPID"
for _ in $(seq 100); do [ -s "$TMP/sym/trim.txt" ] && break; sleep 0.05; done
before=$(awk '/rss_before/ {print $2}' "$TMP/sym/trim.txt")
after=$(awk '/rss_after/ {print $2}' "$TMP/sym/trim.txt")
drop=$(( before - after ))
if [ -z "$before" ] || [ $(( (trimmable - drop) * 10 )) -gt "$drop" ] ||
   [ $(( (drop - trimmable) * 10 )) -gt "$drop" ]; then
	fail "trimmable $trimmable vs RSS drop $drop: more than 10% apart"
else
	echo "trim: trimmable_bytes $trimmable, RSS drop $drop"
fi
kill "$WPID"; wait "$WPID" 2>/dev/null

# 3. without the debug file: a tmpfs over /usr/lib/debug, in a private namespace
mkdir "$TMP/code"
unshare -m --propagation private bash -c '
	mount -t tmpfs none /usr/lib/debug || exit 3
	"$1/arenas" "$2/info.xml" "$2/trim.txt" > "$2/out" & pid=$!
	for _ in $(seq 100); do grep -q ready "$2/out" 2>/dev/null && break; sleep 0.05; done
	"$3" inspect -p $pid -f json > "$2/driver.json"; rc=$?
	kill $pid; exit $rc' _ "$BIN" "$TMP/code" "$HEAPSCOPE" || fail "inspect failed (no debug file)"
compare "$TMP/code" "no debug file" code

# 4. a corrupted unsorted bin: damage reported, clean exit, no hang
mkdir "$TMP/bad"
start_workload "$TMP/bad" --corrupt || fail "corrupt workload not ready"
timeout 10 "$HEAPSCOPE" inspect -p "$WPID" -f json > "$TMP/bad/driver.json" ||
	fail "inspect failed or hung on the corrupted heap"
[ "$(jq -r '.processes[0].damaged' "$TMP/bad/driver.json")" = true ] || fail "damage not reported"
echo "corrupt: $(jq -r '.processes[0].reason' "$TMP/bad/driver.json")"
timeout 10 "$HEAPSCOPE" inspect -p "$WPID" > "$TMP/bad/report" || fail "report failed"
grep -q "^  Partial: " "$TMP/bad/report" || fail "the report does not say the figures are partial"
kill "$WPID"; wait "$WPID" 2>/dev/null

# 5. the census by C++ type: three classes (one in a shared object), instances and the usable
# bytes of their chunks exactly as the workload counted them
mkdir "$TMP/types"
"$BIN/types" "$TMP/types" > "$TMP/types/out" 2>&1 &
TPID=$!
for _ in $(seq 200); do [ -e "$TMP/types/ready" ] && break; sleep 0.05; done
touch "$TMP/types/go"
for _ in $(seq 200); do [ -e "$TMP/types/done" ] && break; sleep 0.05; done
"$HEAPSCOPE" inspect -p "$TPID" -f json > "$TMP/types/inspect.json" || fail "inspect failed (types)"
while read -r name blocks bytes; do
	got=$(jq -r --arg n "$name" '.processes[0].types[] | select(.name == $n) | "\(.blocks) \(.bytes)"' \
		"$TMP/types/inspect.json")
	[ "$got" = "$blocks $bytes" ] || fail "type $name: got '$got', expected '$blocks $bytes'"
done < "$TMP/types/truth"
echo "types: $(jq -r '[.processes[0].types[] | select(.name | test("Alpha|Beta|Gamma")) | "\(.name) \(.blocks)"] | join(", ")' "$TMP/types/inspect.json")"
touch "$TMP/types/exit"; wait "$TPID" 2>/dev/null

[ $FAIL = 0 ] && echo "test_inspect: ok"
exit $FAIL
