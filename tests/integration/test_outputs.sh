#!/usr/bin/env bash
# Outputs people open.  Three heapscope sessions attach to the same truth
# workload at once and write folded, SVG and pprof: each must show every
# function's exact live bytes, so the formats agree.  pprof is read by
# go tool pprof, with each call's source line and each function's file and
# line as the workload's source has them (also once the target has exited);
# the SVG by an XML parser and by headless Chromium (a screenshot whose pixels
# must be the frames' colours, and the search script run on load).  Then
# `heapscope diff`: hostile names still make well-formed XML, and two sessions
# of the leaking demo server show the leak in red.
. "$(dirname "$0")/../lib.sh"
export HOME=$OUT/home GOCACHE=$OUT/gocache # go tool pprof wants both
mkdir -p "$HOME"

# svg_bytes SVG FUNCTION: the bytes in the tooltips of FUNCTION's frames.
svg_bytes() {
	grep -o '<title>[^<]*</title>' "$1" |
		sed -E 's/^<title>(.*) \(([0-9,]+) bytes, [0-9.]+%\)<\/title>$/\1 \2/' |
		awk -v fn="$2" '{ w = $NF; $NF = ""; sub(/ $/, ""); gsub(/,/, "", w);
			if ($0 == fn) sum += w } END { print sum + 0 }'
}

# svg_rect SVG TITLE_START: "x y width height fill" of the first frame whose tooltip starts so.
svg_rect() {
	grep -F "<g><title>$2" "$1" | head -1 |
		sed -E 's/.*<rect x="([0-9.]+)" y="([0-9]+)" width="([0-9.]+)" height="([0-9]+)" fill="([^"]+)".*/\1 \2 \3 \4 \5/'
}

# frame_pixel PNG SVG TITLE_START: the screenshot's colour at the centre of that frame.
frame_pixel() {
	local x y w h fill
	read -r x y w h fill <<< "$(svg_rect "$2" "$3")"
	[ -n "$fill" ] && "$BIN/pngcolors" "$1" "$(awk -v x="$x" -v w="$w" \
		'BEGIN { printf "%d", x + w / 2 }')" $((y + h / 2)) | sed -n 's/^pixel //p'
}

# pixel_is PNG SVG TITLE_START: the screenshot shows that frame in its own fill.
pixel_is() {
	[ "$(frame_pixel "$@")" = "$(svg_rect "$2" "$3" | awk '{ print $5 }')" ]
}

# pprof_flat TOP FUNCTION: FUNCTION's flat bytes in `go tool pprof -top -unit=B` output.
pprof_flat() {
	awk -v fn="$2" '$1 ~ /^[0-9]+B?$/ && NF >= 6 { name = $6;
		for (i = 7; i <= NF; i++) name = name " " $i;
		if (name == fn) { sub(/B$/, "", $1); sum += $1 } } END { print sum + 0 }' "$1"
}

build_id() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }

# is_red FILL: rgb(255,N,N) with N below 235: a frame that grew.
is_red() {
	[[ $1 =~ ^rgb\(255,([0-9]+),([0-9]+)\)$ ]] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -lt 235 ]
}

W=$OUT/work
start_workload truth_fp "$W"
start_heapscope "$OUT/folded.err" -p "$WPID" -o "$OUT/live.folded"; folded_pid=$HPID
start_heapscope "$OUT/svg.err" -p "$WPID" -o "$OUT/live.svg"; svg_pid=$HPID
start_heapscope "$OUT/pprof.err" -p "$WPID" -f pprof -o "$OUT/live.pprof"; pprof_pid=$HPID
run_phase "$W"
kill -INT "$folded_pid" "$svg_pid" "$pprof_pid"
for pid in $folded_pid $svg_pid $pprof_pid; do
	wait "$pid"
	check_eq "heapscope $pid exits 0" 0 $?
done
release_workload "$W"
check "no temporary file is left" [ -z "$(ls "$OUT" | grep '\.tmp\.')" ]
check_truth "$OUT/live.folded" "$W/truth"

echo "-- pprof ($SECONDS s)"
check "live.pprof is gzip" gzip -t "$OUT/live.pprof"
go tool pprof -top -sample_index=inuse_space -unit=B -nodefraction=0 "$OUT/live.pprof" \
	> "$OUT/pprof.top" 2> "$OUT/pprof.err2"
go tool pprof -raw "$OUT/live.pprof" > "$OUT/pprof.raw" 2>> "$OUT/pprof.err2"
while read -r fn bytes count chain; do
	check_eq "pprof: $fn inuse_space" "$bytes" "$(pprof_flat "$OUT/pprof.top" "$fn")"
done < "$W/truth"
for fn in $(awk '{ $NF = ""; n = split($0, f, ";"); print f[n] }' "$OUT/live.folded" | sort -u); do
	check_eq "pprof agrees with folded: $fn" "$(leaf_bytes "$OUT/live.folded" "$fn")" \
		"$(pprof_flat "$OUT/pprof.top" "$fn")"
done
check "pprof: the main binary is truth_fp, with its build-id" \
	grep -qx "Build ID: $(build_id "$BIN/truth_fp")" "$OUT/pprof.top"
check "pprof: libtruth.so's mapping has its build-id" \
	grep -q "/libtruth.so $(build_id "$BIN/libtruth.so") \[FN\]" "$OUT/pprof.raw"
check "pprof: four sample types, inuse_space the default" grep -qx \
	"alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes\[dflt\]" \
	"$OUT/pprof.raw"
check "pprof: time and duration are set" grep -q "^Duration: [0-9.]*[1-9]" "$OUT/pprof.raw"
check "pprof: the comment names the session" grep -qx "Comment: heapscope: PID $WPID (truth_fp), .*" \
	"$OUT/pprof.raw"

# Source lines: every call site of the workload is a location with its file and
# line, its function with the line it is defined at, the expected numbers found
# in the source itself.  A function calling the allocator from several lines has
# a location per line.
SRC=$ROOT/tests/workloads
src_line() { grep -nF -- "$2" "$SRC/$1" | cut -d: -f1; } # src_line FILE TEXT
# expect_lines FUNCTION FILE DEFINITION CALL...: the -raw locations of FUNCTION.
expect_lines() {
	local fn=$1 file=$2 start expected=""
	start=$(src_line "$file" "$3")
	shift 3
	for call in "$@"; do
		expected+="$SRC/$file:$(src_line "$file" "$call") s=$start"$'\n'
	done
	check_eq "pprof: $fn at its call lines" "$(printf %s "$expected" | sort -u | paste -sd,)" \
		"$(awk -v fn="$fn" '$3 ~ /^M=/ && $4 == fn { print $5, $6 }' "$OUT/pprof.raw" |
			sort -u | paste -sd,)"
}
expect_lines keep_malloc truth.c "void keep_malloc(void)" "keep(malloc(24))"
expect_lines keep_calloc truth.c "void keep_calloc(void)" "keep(calloc(7, 13))"
expect_lines grow_realloc truth.c "void grow_realloc(void)" "= malloc(10)" "realloc(p, 100)" \
	"realloc(p, 1000)"
expect_lines keep_aligned truth.c "void keep_aligned(void)" "posix_memalign(&p, 64, 200)" \
	"aligned_alloc(64, 256)" "memalign(128, 300)" "valloc(5000)" "pvalloc(100)"
expect_lines call_library truth.c "void call_library(void)" "lib_keep(kept + kept_count"
expect_lines lib_keep truth_lib.c "size_t lib_keep(" "malloc(size)"
expect_lines remember_name truth.c "void remember_name(void)" "keep(duplicate(name))"
check "pprof: main calls keep_malloc at its line" grep -q \
	" main $SRC/truth.c:$(src_line truth.c "	keep_malloc();") s=$(src_line truth.c "int main(")\$" \
	"$OUT/pprof.raw"
go tool pprof -top -lines -sample_index=inuse_space -unit=B -nodefraction=0 "$OUT/live.pprof" \
	> "$OUT/pprof.lines" 2>> "$OUT/pprof.err2"
check_eq "pprof -lines: grow_realloc's live bytes are all at its last realloc" \
	"$(awk '$1 == "grow_realloc" { print $2 }' "$W/truth")" \
	"$(pprof_flat "$OUT/pprof.lines" "grow_realloc $SRC/truth.c:$(src_line truth.c "realloc(p, 1000)")")"
check "pprof: truth_fp's mapping has functions, file names and line numbers" \
	grep -q "/truth_fp $(build_id "$BIN/truth_fp") \[FN\]\[FL\]\[LN\]$" "$OUT/pprof.raw"
# libc's lines come from libc6-dbg's debug file, found by build-id.
check "pprof: strdup in libc has its line in string/strdup.c" \
	grep -Eq " strdup [^ ]*string/strdup\.c:[1-9][0-9]* s=[1-9]" "$OUT/pprof.raw"

echo "-- svg ($SECONDS s)"
check "live.svg is well-formed XML" xmllint --noout "$OUT/live.svg"
while read -r fn bytes count chain; do
	check_eq "svg: $fn bytes" "$bytes" "$(svg_bytes "$OUT/live.svg" "$fn")"
done < "$W/truth"
total=$(awk '{ sum += $NF } END { print sum }' "$OUT/live.folded")
check_eq "svg: the root frame holds the folded total" "$total" "$(svg_bytes "$OUT/live.svg" all)"
check "svg: the title names PID, command and weight" \
	grep -q "<text id=\"title\" [^>]*>heapscope: PID $WPID (truth_fp), [0-9.]* s, inuse-bytes: " \
	"$OUT/live.svg"

# One browser run: a screenshot, and the page after its script ran the search
# asked for in the URL (#s=).
chromium_run --screenshot="$OUT/live.png" --dump-dom "file://$OUT/live.svg#s=keep_" \
	> "$OUT/searched.dom"
check "chromium wrote a screenshot" [ -s "$OUT/live.png" ]
check "screenshot: not blank (more than 20 colours)" \
	[ "$("$BIN/pngcolors" "$OUT/live.png" | sed -n 's/^colours //p')" -gt 20 ]
check "screenshot: the root frame is drawn in its colour" pixel_is "$OUT/live.png" "$OUT/live.svg" "all ("
check "screenshot: grow_realloc is drawn in its colour" \
	pixel_is "$OUT/live.png" "$OUT/live.svg" "grow_realloc ("
check_eq "screenshot: the search highlighted keep_malloc" "rgb(230,0,230)" \
	"$(frame_pixel "$OUT/live.png" "$OUT/live.svg" "keep_malloc (")"
# The share of the width the search reports: that of the keep_* stacks.
expected=$(awk -v total="$total" '/keep_/ { sum += $NF } END { printf "%.1f", 100 * sum / total }' \
	"$OUT/live.folded")
matched=$(sed -n 's/.*Matched: \([0-9.]*\)% of the width (keep_).*/\1/p' "$OUT/searched.dom")
check "search on load: matched share $matched% is the keep_ stacks' $expected%" \
	awk -v a="${matched:-x}" -v b="$expected" 'BEGIN { exit !(a != "x" && a - b <= 0.1 && b - a <= 0.1) }'

# Zoom (#z=): call_library across the whole width, lib_keep above it too, its
# callers below it faded, everything else hidden.
chromium_run --dump-dom "file://$OUT/live.svg#z=call_library" > "$OUT/zoomed.dom"
check "zoom: call_library fills the width" \
	grep -q '<g class=""><title>call_library ([^<]*</title><rect x="10.000" y="[0-9]*" width="1180.000"' \
	"$OUT/zoomed.dom"
check "zoom: lib_keep above it fills the width" \
	grep -q '<g class=""><title>lib_keep ([^<]*</title><rect x="10.000" y="[0-9]*" width="1180.000"' \
	"$OUT/zoomed.dom"
check "zoom: main below it is faded" grep -q '<g class="parent"><title>main (' "$OUT/zoomed.dom"
check "zoom: keep_malloc beside it is hidden" grep -q '<g class="hide"><title>keep_malloc (' \
	"$OUT/zoomed.dom"

# A target that exits ends the session before the pprof is written: its lines
# come from the files heapscope kept open since attach.  (After the SVG checks:
# they read the first workload's PID.)
E=$OUT/exiting
start_workload truth_fp "$E"
start_heapscope "$OUT/exiting.err" -p "$WPID" -f pprof -o "$OUT/exiting.pprof"
run_phase "$E"
release_workload "$E"
wait "$HPID"
check_eq "pprof session ends with its target, exit 0" 0 $?
go tool pprof -raw "$OUT/exiting.pprof" > "$OUT/exiting.raw" 2>> "$OUT/pprof.err2"
keep_malloc_at="$SRC/truth.c:$(src_line truth.c "keep(malloc(24))")"
keep_malloc_at+=" s=$(src_line truth.c "void keep_malloc(void)")"
check "pprof of an exited target: keep_malloc at its line" \
	grep -q " keep_malloc $keep_malloc_at\$" "$OUT/exiting.raw"
check "pprof of an exited target: strdup's line from libc's debug file" \
	grep -Eq " strdup [^ ]*string/strdup\.c:[1-9][0-9]* s=[1-9]" "$OUT/exiting.raw"

echo "-- diff ($SECONDS s)"
printf 'main;a<b>&"c'"'"' 10\nmain;\xff\xfe\x01]]> 5\nnot a stack\n' > "$OUT/hostile.folded"
"$HEAPSCOPE" diff /dev/null "$OUT/hostile.folded" -o "$OUT/hostile.svg" 2> "$OUT/hostile.err"
check_eq "diff of hostile names exits 0" 0 $?
check "diff warns about the line that is not a stack" \
	grep -q "hostile.folded: 1 lines are not folded stacks and were skipped (the first: line 3)" \
	"$OUT/hostile.err"
check "hostile names make well-formed XML" xmllint --noout "$OUT/hostile.svg"
check_eq "diff folded of hostile names" "main;a<b>&\"c' 0 10" \
	"$("$HEAPSCOPE" diff /dev/null "$OUT/hostile.folded" 2>/dev/null | head -1)"

D=$OUT/demo
mkdir -p "$D"
"$ROOT/${BUILD_DIR:-build}/tools/demo_server" 1000 &
PIDS_TO_KILL+=($!)
demo_pid=$!
start_heapscope "$D/old.err" -p "$demo_pid" -q -d 0.5 -o "$D/old.folded"; old_pid=$HPID
start_heapscope "$D/new.err" -p "$demo_pid" -q -d 1.5 -o "$D/new.folded"; new_pid=$HPID
wait "$old_pid"; check_eq "short session exits 0" 0 $?
wait "$new_pid"; check_eq "long session exits 0" 0 $?
kill "$demo_pid"
"$HEAPSCOPE" diff "$D/old.folded" "$D/new.folded" -o "$D/growth.folded"
"$HEAPSCOPE" diff "$D/old.folded" "$D/new.folded" -o "$D/growth.svg"
check "diff: the first line is the leak, grown" \
	awk 'NR == 1 { exit !($0 ~ /;listener_create [0-9]+ [0-9]+$/ && $NF > $(NF - 1)) }' "$D/growth.folded"
read -r x y w h fill <<< "$(svg_rect "$D/growth.svg" "listener_create (")"
check "diff: listener_create is red ($fill)" is_red "$fill"
check "diff svg is well-formed XML" xmllint --noout "$D/growth.svg"
finish
