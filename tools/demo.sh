#!/usr/bin/env bash
# tools/demo.sh - what `make demo` runs: start the toy media server, read its
# allocator's state from outside (demo.inspect.txt), attach heapscope to it while
# it runs, write its live heap, show the top stacks and the verdict of the text
# report (demo.report); demo.html has it all on one page.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_PROFILE=${DEMO_SECONDS:-5}

build/tools/demo_server 500 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 0.5
# The first look, before any probe: glibc's own state, read from outside.
./heapscope inspect -p "$server" -o demo.inspect.txt
echo "demo: heapscope inspect (no probes; demo.inspect.txt):"
sed -n '/^ALLOCATOR STATE/,/^$/{/^ALLOCATOR STATE/d;/^$/d;p}' demo.inspect.txt # its sentence
echo
echo "demo: profiling demo_server (PID $server) for $SECONDS_TO_PROFILE s"
# Sessions beside the first write the flame graph and the report.
./heapscope -p "$server" -d "$SECONDS_TO_PROFILE" -q -o demo.svg 2> /dev/null &
svg_session=$!
# The report's session also checks, at its end, which blocks nothing points to any more.
./heapscope -p "$server" -d "$SECONDS_TO_PROFILE" -q --leak-check -o demo.report 2> /dev/null &
report_session=$!
./heapscope -p "$server" -d "$SECONDS_TO_PROFILE" -q -o demo.html 2> /dev/null &
html_session=$!
./heapscope -p "$server" -d "$SECONDS_TO_PROFILE" -o demo.folded
wait $svg_session $report_session $html_session
echo
echo "demo: top stacks by live bytes (demo.folded):"
head -5 demo.folded | sed 's/^/  /'
echo
echo "demo: listener_create keeps growing: the listener is never unregistered."
echo "demo: flame graph in demo.svg (open it in a browser; demo.svg#s=listener highlights the leak)"
echo "demo: everything on one page in demo.html (verdict, timeline, flame graphs, top stacks)"
echo
echo "demo: leak or not? (demo.report, the whole report)"
sed -n '/^VERDICT/,/^$/p; /^TOP STACKS BY GROWTH/,/^$/p' demo.report | sed 's/^/  /'
echo "demo: which of it is lost for good? (--leak-check: the target paused a moment)"
sed -n '/^LEAKS/,/^$/p' demo.report | sed 's/^/  /'
