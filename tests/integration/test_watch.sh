#!/bin/bash
# test_watch.sh - heapscope watch under a real Prometheus (Debian's), against the truth a
# workload reads from its own glibc.
#
# Prometheus (127.0.0.1, a free port, a generated configuration scraping every second, a
# temporary TSDB) scrapes `heapscope watch --exe watch_retention --listen`.  The workload
# grows its heap, then frees most of it under a block pinning the top: at each step it
# writes mallinfo2() and malloc_info(); Prometheus' HTTP API must return exactly those
# in-use, free, system and fastbin bytes.  promtool accepts the page.  A second process of
# the same executable appears on /metrics and is gone once it exits.  A static binary (no
# glibc to read) gets its /proc figures and allocator_info read="no"; a heapscope without
# the right to read its target counts read errors and goes on.  The recording (-o) turned
# into a verdict says retention.  The README's scrape configuration and alert rules pass
# promtool, and its rule tests show each alert firing on its shape only.
# The largest C++ types: a second heapscope watches a C++ workload of fourteen classes whose
# instances and usable bytes it counts itself; Prometheus has exactly its ten largest (a long
# name cut, an anonymous namespace's as it demangles), and once the largest class is deleted
# its series ends and the eleventh comes in; the recording and its report carry them;
# --types bounds the count.
. "$(dirname "$0")/../lib.sh"

if ! command -v prometheus > /dev/null || ! command -v promtool > /dev/null; then
	not_ok "prometheus and promtool are needed (tools/install-deps.sh installs them)"
	finish
	exit
fi

# free_port: a TCP port nothing listens on at 127.0.0.1 now.
free_port() {
	local port
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 40000))
		(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null || { echo "$port"; return 0; }
	done
	return 1
}

# prom QUERY: the value of QUERY's first sample in Prometheus now, or nothing.
prom() {
	curl -s -m 2 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty' 2> /dev/null
}
prom_is() { [ "$(prom "$1")" = "$2" ]; }

truth() { awk -v k="$2" '$1 == k { print $2 }' "$1"; } # truth FILE KEY
xml_total() { grep "^<total type=\"$2\"" "$1" | tail -1 | grep -o 'size="[0-9]*"' | grep -o '[0-9]*'; }
xml_system() { grep '^<system type="current"' "$1" | tail -1 | grep -o 'size="[0-9]*"' | grep -o '[0-9]*'; }
metrics() { curl -s -m 2 "http://127.0.0.1:$HPORT/metrics"; }
on_page() { metrics | grep -q "$1"; }
not_on_page() { ! on_page "$1"; }

# The README's configuration and alert rules: valid, and the alerts fire on what they name.
quietly() { "$@" > "$OUT/quietly.out" 2>&1 || { cat "$OUT/quietly.out"; return 1; }; }
check "promtool: the example configuration and rules are valid" \
	quietly promtool check config "$ROOT/tools/prometheus/prometheus.yml"
check "promtool: the alerts fire on retention and leak, not on a step or a cache" \
	quietly promtool test rules "$ROOT/tools/prometheus/heapscope_alerts_test.yml"

HPORT=$(free_port) && PPORT=$(free_port) && TPORT=$(free_port) ||
	{ not_ok "no free port"; finish; exit; }
cat > "$OUT/prometheus.yml" << CONF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: heapscope
    static_configs:
      - targets: ['127.0.0.1:$HPORT', '127.0.0.1:$TPORT']
CONF
prometheus --config.file="$OUT/prometheus.yml" --storage.tsdb.path="$OUT/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" --log.level=warn > "$OUT/prometheus.log" 2>&1 &
PROMPID=$!
PIDS_TO_KILL+=("$PROMPID")
check "prometheus ready" wait_until 30 "prometheus" \
	curl -sf -m 1 -o /dev/null "http://127.0.0.1:$PPORT/-/ready"

W1=$OUT/w1
mkdir -p "$W1"
"$BIN/watch_retention" "$W1" > "$W1/stdout" 2>&1 &
WPID=$!
PIDS_TO_KILL+=("$WPID")
wait_for "$W1/ready"
# --cpu-budget 0: every heap at every interval, so that the recording is dense enough for its
# verdict (the budget is measured by make bench, not tested here).
"$HEAPSCOPE" watch --exe "$BIN/watch_retention" --interval 0.5 --cpu-budget 0 \
	--listen "127.0.0.1:$HPORT" -o "$OUT/rec.jsonl" 2> "$OUT/hs.err" &
HPID=$!
PIDS_TO_KILL+=("$HPID")
check "heapscope serves /metrics" wait_until 10 "/metrics" on_page "pid=\"$WPID\""
check "prometheus has the first in-use sample" \
	wait_until 15 "a scrape" prom_is "heapscope_heap_in_use_bytes{pid=\"$WPID\"}" \
	"$(truth "$W1/ready.txt" in_use_bytes)"

# compare PHASE: Prometheus against the workload's own figures at PHASE.
compare() {
	local txt=$W1/$1.txt xml=$W1/$1.xml sel="pid=\"$WPID\""
	check "$1: in use as mallinfo2 says ($(truth "$txt" in_use_bytes))" wait_until 15 "$1" \
		prom_is "heapscope_heap_in_use_bytes{$sel}" "$(truth "$txt" in_use_bytes)"
	check_eq "$1: free (fastbins + bins + top) as mallinfo2" "$(truth "$txt" free_bytes)" \
		"$(prom "sum(heapscope_heap_free_bytes{$sel,kind!=\"tcache\"})")"
	check_eq "$1: top as mallinfo2 keepcost" "$(truth "$txt" top_bytes)" \
		"$(prom "heapscope_heap_free_bytes{$sel,kind=\"top\"}")"
	check_eq "$1: system as malloc_info" "$(xml_system "$xml")" \
		"$(prom "heapscope_heap_system_bytes{$sel}")"
	check_eq "$1: fastbins as malloc_info" "$(xml_total "$xml" fast)" \
		"$(prom "heapscope_heap_free_bytes{$sel,kind=\"fastbins\"}")"
	check_eq "$1: mmapped as malloc_info" "$(xml_total "$xml" mmap)" \
		"$(prom "heapscope_heap_mmapped_bytes{$sel}")"
}
touch "$W1/grow"
wait_for "$W1/grown"
compare grown
touch "$W1/free"
wait_for "$W1/freed"
compare freed
resident=$(prom "heapscope_heap_free_resident_bytes{pid=\"$WPID\"}")
check "freed: the freed bytes stay resident (${resident:-none} >= 30 MiB)" \
	test "${resident:-0}" -ge $((30 << 20))
metrics > "$OUT/page.txt"
check "promtool check metrics accepts the page" promtool check metrics < "$OUT/page.txt"
check "labels pid, comm, exe" grep -q "heapscope_rss_bytes{pid=\"$WPID\",comm=\"watch_retention\",exe=\"$BIN/watch_retention\"}" "$OUT/page.txt"

# --exe: a second process appears, then is gone from the page once it exits.
W2=$OUT/w2
mkdir -p "$W2"
"$BIN/watch_retention" "$W2" > "$W2/stdout" 2>&1 &
W2PID=$!
PIDS_TO_KILL+=("$W2PID")
check "--exe: a new process appears" wait_until 5 "PID $W2PID" on_page "pid=\"$W2PID\""
kill "$W2PID"
wait "$W2PID" 2> /dev/null
check "--exe: an exited process disappears" wait_until 5 "PID $W2PID gone" \
	not_on_page "pid=\"$W2PID\""
check "--exe: the first one is still there" on_page "heapscope_heap_in_use_bytes{pid=\"$WPID\""

# The largest C++ types, against the workload's own count (types.txt: INSTANCES BYTES NAME).
T=$OUT/types
mkdir -p "$T"
"$BIN/watch_types" "$T" > "$T/stdout" 2>&1 &
TPID=$!
PIDS_TO_KILL+=("$TPID")
wait_for "$T/ready"
touch "$T/go"
wait_for "$T/built"
"$HEAPSCOPE" watch -p "$TPID" --interval 0.5 --cpu-budget 0 --listen "127.0.0.1:$TPORT" \
	-o "$OUT/types.jsonl" 2> "$OUT/types.err" &
THPID=$!
PIDS_TO_KILL+=("$THPID")
type_metrics() { curl -s -m 2 "http://127.0.0.1:$TPORT/metrics"; }
# type_sel NAME: the PromQL label matcher of NAME as heapscope exports it (over 127 bytes: the
# first 115, "...~" and a hash of the whole name; the workload's long name is [A-Za-z:] only).
type_sel() {
	if [ ${#1} -le 127 ]; then echo "type=\"$1\""
	else echo "type=~\"${1:0:115}[.][.][.]~[0-9a-f]{8}\""; fi
}
largest() { sort -k2,2nr "$1" | head -"${2:-10}"; } # largest TRUTH [N]: by bytes, as exported
# check_types PHASE TRUTH: Prometheus has exactly the ten largest classes of TRUTH, no other.
check_types() {
	local sel="pid=\"$TPID\"" top
	top=$(largest "$2" 1)
	check "$1: Prometheus has the largest type (${top#* * })" wait_until 15 "$1 types" \
		prom_is "heapscope_type_bytes{$sel,$(type_sel "${top#* * }")}" "$(cut -d' ' -f2 <<< "$top")"
	check_eq "$1: 10 type series (of $(wc -l < "$2") classes)" 10 \
		"$(prom "count(heapscope_type_bytes{$sel})")"
	while read -r n bytes name; do
		check_eq "$1: $name: bytes" "$bytes" "$(prom "heapscope_type_bytes{$sel,$(type_sel "$name")}")"
		check_eq "$1: $name: instances" "$n" \
			"$(prom "heapscope_type_instances{$sel,$(type_sel "$name")}")"
	done < <(largest "$2")
	while read -r n bytes name; do
		check_eq "$1: $name (not among the ten largest): no series" "" \
			"$(prom "heapscope_type_bytes{$sel,$(type_sel "$name")}")"
	done < <(sort -k2,2nr "$2" | tail -n +11)
}
check_types built "$T/types.txt"
type_metrics > "$OUT/types_page.txt"
check "types: promtool check metrics accepts the page" \
	promtool check metrics < "$OUT/types_page.txt"
check_eq "types: 10 series per metric on the page" "10 10" \
	"$(grep -c "^heapscope_type_bytes{pid=\"$TPID\"" "$OUT/types_page.txt") $(grep -c \
	"^heapscope_type_instances{pid=\"$TPID\"" "$OUT/types_page.txt")"
check "types: a long name is cut to 127 bytes" \
	grep -qE 'type="shop::AnExtraordinarilyLong[A-Za-z]{88}[.]{3}~[0-9a-f]{8}"' "$OUT/types_page.txt"
gone=$(largest "$T/types.txt" 1 | cut -d' ' -f3)
touch "$T/drop"
wait_for "$T/dropped"
check "dropped: $gone's series ends" wait_until 15 "$gone gone" \
	prom_is "heapscope_type_bytes{pid=\"$TPID\",type=\"$gone\"}" ""
check_types dropped "$T/dropped.txt"
check "dropped: $gone is gone from the page" eval "! type_metrics | grep -q 'type=\"$gone\"'"
kill -INT "$THPID"
wait "$THPID"
check_eq "types: heapscope watch exits 0" 0 $?
# The recording: the last reading's types are the ten largest left, in order.
# last_types FILE.jsonl: "instances bytes" of each type of the last reading with types, on one line.
last_types() {
	grep '"types"' "$1" | tail -1 | jq -r '.types[] | "\(.instances) \(.bytes)"' | paste -sd,
}
check_eq "recording: the last reading's types (instances bytes)" \
	"$(largest "$T/dropped.txt" | cut -d' ' -f1,2 | paste -sd,)" "$(last_types "$OUT/types.jsonl")"
"$HEAPSCOPE" watch --report "$OUT/types.jsonl" > "$OUT/types_report.txt"
eleventh=$(largest "$T/types.txt" 11 | tail -1 | cut -d' ' -f3)
check "report: $eleventh came in since the first reading" \
	grep -qE "^ +$eleventh .*\(not among the largest\)$" "$OUT/types_report.txt"
# --types bounds them; 0 takes no census; more than 10 is refused.
"$HEAPSCOPE" watch -p "$TPID" --types 3 --interval 0.2 -d 0.5 -o "$OUT/types3.jsonl" 2> /dev/null
check_eq "--types 3: the three largest" \
	"$(largest "$T/dropped.txt" 3 | cut -d' ' -f1,2 | paste -sd,)" "$(last_types "$OUT/types3.jsonl")"
"$HEAPSCOPE" watch -p "$TPID" --types 0 --interval 0.2 -d 0.5 -o "$OUT/types0.jsonl" 2> /dev/null
check "--types 0: no census" \
	quietly jq -s -e 'length > 0 and (map(has("types")) | any | not)' "$OUT/types0.jsonl"
"$HEAPSCOPE" watch -p "$TPID" --types 11 -o "$OUT/x.jsonl" 2> "$OUT/types11.err"
check_eq "--types 11: exit 2" 2 $?
check_eq "... one line saying why" "1 1" \
	"$(wc -l < "$OUT/types11.err") $(grep -c 'types wants a count 0..10' "$OUT/types11.err")"
touch "$T/exit"
wait "$TPID"

# No glibc to read (a static binary): /proc figures and the info metric only.
S=$OUT/static
mkdir -p "$S"
"$BIN/truth_static" "$S" > "$S/stdout" 2>&1 &
SPID=$!
PIDS_TO_KILL+=("$SPID")
wait_for "$S/ready"
"$HEAPSCOPE" watch -p "$SPID" --interval 0.1 -d 1.5 -o "$OUT/static.jsonl" 2> "$OUT/static.err"
check_eq "static: watch exits 0" 0 $?
last=$(tail -1 "$OUT/static.jsonl")
check "static: allocator other, RSS known, no heap figures" \
	quietly jq -e '.allocator == "other" and .rss_bytes > 0 and (has("heap_in_use_bytes") | not)' \
	<<< "$last"
kill "$SPID"

# A heapscope that may not read its target: errors counted, no crash.
mkdir -p "$OUT/denied" && chmod 777 "$OUT/denied" && chmod o+rx "$OUT"
setpriv --reuid=65534 --regid=65534 --clear-groups "$HEAPSCOPE" watch -p "$WPID" \
	--interval 0.2 -d 1 -o "$OUT/denied/rec.jsonl" 2> "$OUT/denied/err"
check_eq "unreadable target: watch exits 0" 0 $?
errors=$(tail -1 "$OUT/denied/rec.jsonl" | jq -r '.read_errors_total')
check "unreadable target: read errors counted (${errors:-none})" test "${errors:-0}" -ge 3

# Stop once the freed state has been recorded for longer than the rest: then the recording's
# verdict.
freed_s=$(awk -v s="$(stat -c %Y "$W1/freed")" 'BEGIN { print systime() - s }')
started_s=$(awk -v s="$(stat -c %Y "$W1/ready")" 'BEGIN { print systime() - s }')
[ $((2 * freed_s)) -lt "$started_s" ] && sleep $((started_s - 2 * freed_s))
kill -INT "$HPID"
wait "$HPID"
check_eq "heapscope watch stops on SIGINT, exit 0" 0 $?
kill "$PROMPID"
touch "$W1/exit"
wait "$WPID"
"$HEAPSCOPE" watch --report "$OUT/rec.jsonl" -f json > "$OUT/report.json"
check_eq "report: verdict of the workload" retention \
	"$(jq -r --argjson p "$WPID" '.processes[] | select(.pid == $p) | .verdict' "$OUT/report.json")"
"$HEAPSCOPE" watch --report "$OUT/rec.jsonl" > "$OUT/report.txt"
check "report: text names the free resident evidence" grep -q "free resident" "$OUT/report.txt"

# Bad input: one line and a non-zero exit.
"$HEAPSCOPE" watch -p "$WPID" 2> /dev/null
check_eq "nothing to publish: exit 2" 2 $?
head -c 100000 /dev/urandom > "$OUT/random.jsonl"
"$HEAPSCOPE" watch --report "$OUT/random.jsonl" > /dev/null 2> "$OUT/random.err"
check_eq "a recording of random bytes: exit 1" 1 $?
check "... saying why" grep -q "no readings" "$OUT/random.err"
finish
