#!/usr/bin/env bash
# A hostile container (its own mount and PID namespaces and root, as in test_container.sh)
# plants what heapscope, running as root on the host, might follow out of its root: in
# place of its programs' debug files, absolute and relative symlinks to a host file (a
# fake debug file with the right build-id and a recognizable symbol), a /proc magic link,
# a FIFO, a device and a 5 GiB file; and a perf map that links to a host file.  heapscope
# must open none of the host files (strace: no successful open resolves to them), name
# every stack exactly from the container's own debug files, and say what it refused.
. "$(dirname "$0")/../lib.sh"

R=$OUT/root
HOST=$OUT/host # outside the container's root: nothing here may be read
LIBDIR=/lib/x86_64-linux-gnu
mkdir -p "$R$LIBDIR/.debug" "$R/lib64" "$R/work" "$R/old" "$R/proc" "$R/tmp" "$R/.debug" \
	"$R/usr/lib/debug$LIBDIR" "$HOST" "$OUT/dbg"
ldd "$BIN/truth_fp" | awk '/=> \// { print $3 } /^\t\/lib64/ { print $1 }' | while read -r lib; do
	case $lib in
	*/ld-linux*) cp "$lib" "$R/lib64/" ;;
	*/libtruth.so) ;;
	*) cp "$lib" "$R$LIBDIR/" ;;
	esac
done

build_id() { readelf -n "$1" | awk '/Build ID/ { print $3 }'; }

# strip_with_debug FILE DEST NAME: DEST is FILE without .symtab, linked to debug file NAME
# (left in $OUT/dbg/NAME): its static functions can only be named from that file.
strip_with_debug() {
	objcopy --only-keep-debug "$1" "$OUT/dbg/$3"
	(cd "$OUT/dbg" && strip --strip-all -o "$2" "$1" &&
		objcopy --add-gnu-debuglink="$3" "$2")
}
strip_with_debug "$BIN/truth_fp" "$R/truth_fp" truth_fp.debug
strip_with_debug "$BIN/libtruth.so" "$R$LIBDIR/libtruth.so" libtruth.so.debug
check "the container's truth_fp has no .symtab" \
	sh -c "! readelf -S '$R/truth_fp' | grep -q '\.symtab'"

# The host's bait: truth_fp's own debug file (same build-id) with its functions renamed.
objcopy --redefine-sym keep_malloc=HOST_SECRET_keep_malloc \
	--redefine-sym keep_calloc=HOST_SECRET_keep_calloc "$OUT/dbg/truth_fp.debug" \
	"$HOST/secret.debug"
echo "0 1000 HOST_SECRET_perf_map" > "$HOST/perf-secret.map"

# truth_fp: by build-id, an absolute symlink to the bait; beside it, a relative one that
# climbs out; in .debug/, a FIFO; the real one last, under /usr/lib/debug.
ID=$(build_id "$BIN/truth_fp")
mkdir -p "$R/usr/lib/debug/.build-id/${ID:0:2}"
ln -s "$HOST/secret.debug" "$R/usr/lib/debug/.build-id/${ID:0:2}/${ID:2}.debug"
ln -s "../../../../../../../../../..$HOST/secret.debug" "$R/truth_fp.debug"
mkfifo "$R/.debug/truth_fp.debug"
cp "$OUT/dbg/truth_fp.debug" "$R/usr/lib/debug/truth_fp.debug"
# libtruth.so: by build-id, a magic link through the container's /proc; beside it, a
# 5 GiB file (sparse); in .debug/, /dev/null's device; the real one last.
LID=$(build_id "$BIN/libtruth.so")
mkdir -p "$R/usr/lib/debug/.build-id/${LID:0:2}"
ln -s "/proc/1/root/../../../../../..$HOST/secret.debug" \
	"$R/usr/lib/debug/.build-id/${LID:0:2}/${LID:2}.debug"
truncate -s 5G "$R$LIBDIR/libtruth.so.debug"
mknod "$R$LIBDIR/.debug/libtruth.so.debug" c 1 3
cp "$OUT/dbg/libtruth.so.debug" "$R/usr/lib/debug$LIBDIR/libtruth.so.debug"
# Its perf map (PID 1 in its namespace), to a host file.
ln -s "$HOST/perf-secret.map" "$R/tmp/perf-1.map"

unshare --mount --pid --fork sh -c "mount --make-rprivate / && mount --bind '$R' '$R' &&
	mount -t proc proc '$R/proc' && cd '$R' && pivot_root . old && exec /truth_fp /work" \
	> "$OUT/workload.out" 2>&1 &
UPID=$!
PIDS_TO_KILL+=("$UPID")
wait_for "$R/work/ready"
WPID=$(pgrep -P "$UPID" -x truth_fp)
check "the workload runs in the namespace" [ -n "$WPID" ]
PIDS_TO_KILL+=("$WPID")

# heapscope under strace: every open, and where its file descriptor leads (-y).  A
# sanitized heapscope (make test SANITIZE=1) runs without its leak checker here:
# LeakSanitizer cannot work under ptrace and would fail the exit.
: > "$OUT/heapscope.err"
strace -f -y -qq --seccomp-bpf -e trace=open,openat,openat2 -o "$OUT/strace.log" \
	env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$HEAPSCOPE" -p "$WPID" -o "$OUT/live.folded" 2> "$OUT/heapscope.err" &
SPID=$!
PIDS_TO_KILL+=("$SPID")
wait_for_text "$OUT/heapscope.err" "attached"
HPID=$(pgrep -P "$SPID" -x heapscope)
run_phase "$R/work"
kill -INT "$HPID"
wait "$SPID" # strace exits with heapscope's status
HRC=$?
check_eq "heapscope exits 0" 0 "$HRC"
check_truth "$OUT/live.folded" "$R/work/truth" chains

check "no successful open resolves to a host file it was pointed at" \
	sh -c "! grep -E '= [0-9]+<[^>]*$HOST' '$OUT/strace.log'"
check "strace saw the debug files opened inside the root" \
	grep -Eq "openat2\(.*/usr/lib/debug/truth_fp.debug.* = [0-9]+<" "$OUT/strace.log"
# Looked at (O_PATH) but never opened for reading.
check "the FIFO, the device and the 5 GiB file were never opened for reading" \
	sh -c "! grep -v O_PATH '$OUT/strace.log' |
		grep -E '= [0-9]+<(/\.debug/truth_fp|$LIBDIR/\.debug/libtruth\.so|$LIBDIR/libtruth\.so)\.debug>'"
check "the bait's names are nowhere in the profile" \
	sh -c "! grep -q HOST_SECRET '$OUT/live.folded' '$OUT/heapscope.err'"
check "a static function is named from the container's own debug file" \
	grep -q "main;keep_malloc " "$OUT/live.folded"
check "it says which files it refused, and why" \
	grep -q "^heapscope: refused 4 files the targets named: " "$OUT/heapscope.err"
for refusal in "/.debug/truth_fp.debug of PID $WPID: not a regular file" \
	"/usr/lib/debug/.build-id/${LID:0:2}/${LID:2}.debug of PID $WPID: a /proc magic link" \
	"$LIBDIR/libtruth.so.debug of PID $WPID: larger than heapscope reads" \
	"$LIBDIR/.debug/libtruth.so.debug of PID $WPID: not a regular file"; do
	check "refused: $refusal" grep -qF "$refusal" "$OUT/heapscope.err"
done

touch "$R/work/exit"
wait "$UPID"
check_eq "workload exits cleanly" 0 "$?"
finish
