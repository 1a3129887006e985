#!/usr/bin/env bash
# A real jemalloc service: Debian's redis-server (linked against libjemalloc.so.2,
# so even libc's own allocations go to jemalloc), started here on a unix socket
# only (no TCP port), loaded with redis-benchmark for a bounded number of
# requests while heapscope is attached.  It must record allocations, name redis
# functions in the stacks (redis exports its functions in .dynsym; frames no
# symbol covers read module+0xoffset), and leave redis healthy after detach.
. "$(dirname "$0")/../lib.sh"

REQUESTS=5000
SOCKET=$OUT/redis.sock
LIBDIR=/usr/lib/x86_64-linux-gnu
REDIS=$(readlink -f "$(command -v redis-server)")
redis() { redis-cli -s "$SOCKET" "$@"; }

LD_DEBUG=bindings redis-server --port 0 --unixsocket "$SOCKET" --unixsocketperm 700 \
	--save "" --appendonly no --dir "$OUT" --logfile "$OUT/redis.log" 2> "$OUT/bindings" &
RPID=$!
PIDS_TO_KILL+=("$RPID")
deadline=$((SECONDS + 30))
until [ "$(redis ping 2>/dev/null)" = PONG ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
check_eq "redis answers before attach" PONG "$(redis ping)"

start_heapscope "$OUT/redis.stderr" -p "$RPID" -v -w alloc-bytes -o "$OUT/redis.folded"
check_attach_line redis "$LIBDIR/libjemalloc.so.2: malloc; $(readlink -f $LIBDIR/libc.so.6): reallocarray pvalloc"
check_bindings "$OUT/redis.stderr" "$OUT/bindings"
redis-benchmark -s "$SOCKET" -n "$REQUESTS" -q -t set,get,lpush > "$OUT/benchmark" 2>&1
check "redis-benchmark completed" grep -q "LPUSH: .* requests per second" \
	<(tr '\r' '\n' < "$OUT/benchmark")
stop_heapscope INT
check_eq "heapscope exits 0" 0 "$HRC"
check "the summary reports no lost events" grep -q "lost events: 0" "$OUT/redis.stderr"
events=$(sed -n 's/.*: [0-9.]* s, \([0-9]*\) events .*/\1/p' "$OUT/redis.stderr")
check "allocations were recorded ($events events for $((3 * REQUESTS)) requests)" \
	[ "${events:-0}" -gt "$((3 * REQUESTS))" ]
check "the folded output is not empty" [ -s "$OUT/redis.folded" ]

# Redis allocates through its zmalloc.c wrappers: they are the leaves.
nm -D --defined-only "$REDIS" | awk '$2 ~ /[TtW]/ { print $3 }' | sort -u > "$OUT/redis.functions"
tr ';' '\n' < "$OUT/redis.folded" | sed 's/ [0-9]*$//' | sort -u > "$OUT/frames"
check "redis functions are in the stacks ($(comm -12 "$OUT/redis.functions" "$OUT/frames" |
	head -3 | tr '\n' ' '))" [ -n "$(comm -12 "$OUT/redis.functions" "$OUT/frames")" ]
check "redis's zmalloc wrappers are leaves" \
	grep -qE '(^|;)z(try)?(malloc|calloc|realloc)[a-z_]* [0-9]+$' "$OUT/redis.folded"

check_eq "probed bytes equal the original instructions after detach" \
	"$(original_probe_bytes "$OUT/redis.stderr")" "$(probe_bytes "$RPID" "$OUT/redis.stderr")"
check_eq "redis answers after detach" PONG "$(redis ping)"
check_eq "redis still holds the benchmark's keys" 1 "$(redis exists key:__rand_int__)"
redis shutdown nosave > /dev/null 2>&1
wait "$RPID"
check_eq "redis shuts down cleanly" 0 "$?"
finish
