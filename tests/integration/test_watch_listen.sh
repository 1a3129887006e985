#!/bin/bash
# test_watch_listen.sh - `heapscope watch --listen` under abuse (issue 21): 200 idle
# connections, a client sending one byte a second, an 8 MiB header, an oversized header from
# curl, a POST, path traversals.  Throughout, curl still scrapes /metrics (200, within a
# second), the readings go on (the recording keeps growing), and heapscope's memory and
# descriptors stay bounded.
. "$(dirname "$0")/../lib.sh"
small_asan_quarantine

W=$OUT/w
mkdir -p "$W"
"$BIN/watch_retention" "$W" > "$W/stdout" 2>&1 &
WPID=$!
PIDS_TO_KILL+=("$WPID")
wait_for "$W/ready"
"$HEAPSCOPE" watch -p "$WPID" --interval 0.2 --listen 0 -o "$OUT/rec.jsonl" \
	2> "$OUT/hs.err" &
HPID=$!
PIDS_TO_KILL+=("$HPID")
wait_for_text "$OUT/hs.err" "serving http://" 10
PORT=$(grep -o '127\.0\.0\.1:[0-9]*' "$OUT/hs.err" | head -1 | cut -d: -f2)
URL=http://127.0.0.1:$PORT
check "--listen PORT binds 127.0.0.1 only" test -n "$PORT"
wait_until 10 "a first page" curl -sf -m 1 -o /dev/null "$URL/metrics"
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$HPID/status"; }
rss_before=$(rss_kb)

# scrape WHAT: /metrics answers 200 with the workload's series, in under a second.
scrape() {
	local out
	out=$(curl -s -m 1 -o "$OUT/page.txt" -w '%{http_code} %{time_total}' "$URL/metrics")
	echo "    scrape during $1: $out"
	[ "${out%% *}" = 200 ] && grep -q "heapscope_heap_in_use_bytes{pid=\"$WPID\"" "$OUT/page.txt"
}

# 200 idle connections, held open by this shell.
idle=()
for _ in $(seq 200); do
	exec {fd}<> "/dev/tcp/127.0.0.1/$PORT" && idle+=("$fd")
done
check "200 idle connections opened" test ${#idle[@]} -eq 200
check "scrape with 200 idle connections" scrape "200 idle connections"

# A client sending one byte a second.
(
	exec 3<> "/dev/tcp/127.0.0.1/$PORT"
	for c in G E T ' ' / m e t r i c s; do printf '%s' "$c" >&3 2> /dev/null || exit 0; sleep 1; done
) &
SLOW=$!
PIDS_TO_KILL+=("$SLOW")
# An 8 MiB header, as fast as the socket takes it.
(
	{ printf 'GET /metrics HTTP/1.1\r\nX-Big: '; head -c 8M /dev/zero | tr '\0' a
	  printf '\r\n\r\n'; } > "/dev/tcp/127.0.0.1/$PORT"
) 2> /dev/null &
BIG=$!
PIDS_TO_KILL+=("$BIG")
sleep 1
check "scrape with a slow client and an 8 MiB header" scrape "slow client, 8 MiB header"
lines_before=$(wc -l < "$OUT/rec.jsonl")

code() { curl -s -m 2 -o "$OUT/body" -w '%{http_code}' "$@"; }
check_eq "POST /metrics: 405" 405 "$(code -X POST -d x "$URL/metrics")"
check_eq "HEAD /metrics: 405" 405 "$(code -I "$URL/metrics")"
check_eq "/: 404" 404 "$(code "$URL/")"
check_eq "path traversal /../../etc/passwd: 404" 404 "$(code --path-as-is "$URL/../../etc/passwd")"
check_eq "path traversal /metrics/../../etc/passwd: 404" 404 \
	"$(code --path-as-is "$URL/metrics/../../etc/passwd")"
check "no file content served" bash -c "! grep -q root: '$OUT/body'"
check_eq "a 100 KB header from curl: 431" 431 \
	"$(code -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' a)" "$URL/metrics")"
check_eq "a malformed request line: 400" 400 "$(code -X 'GE T' "$URL/metrics")"

for i in 1 2 3; do
	check "scrape $i while under abuse" scrape "abuse, try $i"
done
sleep 1
lines_after=$(wc -l < "$OUT/rec.jsonl")
check "the readings went on ($lines_before -> $lines_after lines)" \
	test "$lines_after" -ge $((lines_before + 4))
fds=$(ls "/proc/$HPID/fd" | wc -l)
check "descriptors bounded ($fds <= 48)" test "$fds" -le 48
rss_after=$(rss_kb)
check "memory bounded (VmRSS $rss_before kB -> $rss_after kB, growth < 8 MiB)" \
	test $((rss_after - rss_before)) -lt 8192

for fd in "${idle[@]}"; do exec {fd}>&-; done
kill "$SLOW" "$BIG" 2> /dev/null
sleep 2.5 # past the header timeout: every abusive connection is gone
fds=$(ls "/proc/$HPID/fd" | wc -l)
check "connections closed after the header timeout ($fds descriptors <= 16)" test "$fds" -le 16
check "scrape after the abuse" scrape "afterwards"
kill -INT "$HPID"
wait "$HPID"
check_eq "heapscope watch exits 0" 0 $?
touch "$W/exit"
finish
