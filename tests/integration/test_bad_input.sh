#!/usr/bin/env bash
# Bad input: each gets one clear line on stderr and a non-zero exit, the target
# is left untouched, and nothing is written outside the requested output path.
. "$(dirname "$0")/../lib.sh"

# expect_error EXIT_CODE LINE ARGS...: heapscope ARGS fails with EXIT_CODE and
# exactly one line of stderr, LINE (a grep pattern).
expect_error() {
	local code=$1 line=$2; shift 2
	"$HEAPSCOPE" "$@" > "$OUT/stdout" 2> "$OUT/stderr"
	local rc=$?
	check_eq "heapscope $* exits $code" "$code" "$rc"
	check_eq "heapscope $* says one line" 1 "$(wc -l < "$OUT/stderr")"
	check "heapscope $* says: $line" grep -q -- "$line" "$OUT/stderr"
	check "heapscope $* writes nothing on stdout" [ ! -s "$OUT/stdout" ]
}

echo "# nonsense on the command line"
expect_error 2 "no target: use -p PID"
expect_error 2 "unknown option '-x'" -p 1 -x
expect_error 2 "invalid PID 'abc'" -p abc
expect_error 2 "invalid duration '-1'" -p 1 -d -1
expect_error 2 "invalid --ringbuf-size '1000'" -p 1 --ringbuf-size 1000
expect_error 2 "unknown weight 'nope'" -p 1 -w nope
expect_error 2 "unexpected argument 'extra'" -p 1 extra
expect_error 2 "invalid PID '1,,2'" -p 1,,2
expect_error 2 "--follow needs --exe PATH" -p 1 --follow

echo "# targets that cannot be profiled"
expect_error 1 "cannot attach to PID 999999: no such process" -p 999999
expect_error 1 "cannot attach to PID 2: it is a kernel thread" -p 2
expect_error 1 "cannot use --exe /nonexistent: No such file or directory" --exe /nonexistent
expect_error 1 "no process runs /bin/true (use --follow to wait for one)" --exe /bin/true

W=$OUT/work
start_workload truth_fp "$W"
echo "# one PID of a list that cannot be profiled fails the session, before any probe"
expect_error 1 "cannot attach to PID 999999: no such process" -p "$WPID,999999"
echo "# a process the user may not inspect"
setpriv --reuid=65534 --regid=65534 --clear-groups "$HEAPSCOPE" -p "$WPID" \
	> "$OUT/stdout" 2> "$OUT/stderr"
check_eq "an unprivileged user is refused with exit 1" 1 "$?"
check "it says permission denied, in one line" \
	[ "$(grep -c "cannot attach to PID $WPID: permission denied" "$OUT/stderr")" = 1 ]

echo "# output paths that cannot be written"
expect_error 1 "cannot write $OUT/missing/x.folded: No such file or directory" \
	-p "$WPID" -o "$OUT/missing/x.folded"
check "the missing directory was not created" [ ! -e "$OUT/missing" ]

FULL=$OUT/full
mkdir -p "$FULL"
if mount -t tmpfs -o size=16k tmpfs "$FULL"; then
	dd if=/dev/zero of="$FULL/filler" bs=1k count=64 2>/dev/null # fill it up
	start_heapscope "$OUT/full.err" -p "$WPID" -o "$FULL/live.folded"
	run_phase "$W"
	stop_heapscope INT
	check_eq "a full filesystem makes heapscope exit 1" 1 "$HRC"
	check "it says so" grep -q "cannot write $FULL/live.folded: No space left on device" "$OUT/full.err"
	check_eq "no partial or temporary file is left" "filler" "$(ls "$FULL")"
	umount "$FULL"
else
	not_ok "cannot mount a small tmpfs to fill up (needs root)"
fi
check "the target still runs" kill -0 "$WPID"
release_workload "$W"
check_eq "and exits cleanly" 0 "$WRC"

echo "# an output path that is a device is written in place, never replaced"
sleep 30 &
DPID=$!
PIDS_TO_KILL+=("$DPID")
"$HEAPSCOPE" -p "$DPID" -d 0.2 -o /dev/null 2> "$OUT/devnull.err"
check_eq "heapscope -o /dev/null exits 0" 0 "$?"
check "/dev/null is still the null device" [ -c /dev/null ]
check "no temporary file is left in /dev" [ -z "$(ls /dev | grep 'null\.tmp\.')" ]
kill "$DPID"

echo "# non-ELF, truncated and corrupted ELF files mapped into the target"
H=$OUT/hostile
mkdir -p "$H"
head -c 5000 /dev/urandom > "$H/random.so"
printf 'not an elf file\n%.0s' $(seq 300) > "$H/text.so"
head -c 200 "$BIN/libtruth.so" > "$H/truncated.so"
cp "$BIN/libtruth.so" "$H/bad_headers.so"
# e_phoff and e_shoff pointing far outside the file, e_shnum huge
printf '\xff\xff\xff\x7f\x00\x00\x00\x00' | dd of="$H/bad_headers.so" bs=1 seek=32 conv=notrunc 2>/dev/null
printf '\xf0\xff\xff\x00\x00\x00\x00\x00' | dd of="$H/bad_headers.so" bs=1 seek=40 conv=notrunc 2>/dev/null
printf '\xff\xff' | dd of="$H/bad_headers.so" bs=1 seek=60 conv=notrunc 2>/dev/null
W=$OUT/hostile_work
start_workload truth_fp "$W" \
	TRUTH_MAP_FILES="$H/random.so:$H/text.so:$H/truncated.so:$H/bad_headers.so"
check_eq "the hostile files are mapped executable in the target" 4 \
	"$(grep -c "$H/.*\.so" /proc/$WPID/maps)"
start_heapscope "$OUT/hostile.err" -p "$WPID" -o "$OUT/hostile.folded"
run_phase "$W"
stop_heapscope INT
check_eq "heapscope profiles the target anyway and exits 0" 0 "$HRC"
check_truth "$OUT/hostile.folded" "$W/truth"
release_workload "$W"
check_eq "nothing but the requested outputs is written" \
	"$(ls "$OUT" | sort | tr '\n' ' ')" \
	"devnull.err full full.err hostile hostile.err hostile.folded hostile_work stderr stdout work "
finish
