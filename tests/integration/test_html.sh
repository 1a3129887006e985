#!/usr/bin/env bash
# The page people attach to a ticket.  A session on the leaking workload writes
# -f html; headless Chromium renders it: the verdict, the RSS series and the
# fastest growing stack are in the DOM, the allocated-bytes view switches in
# (#view=alloc) and searches, no script error reaches the console, and a
# screenshot is not blank.  The page parses as HTML, refers to nothing outside
# itself, and its totals are the session's (the stderr summary's).  A
# two-process session gets a chart per process and a picker; diff -f html
# writes the differential graph with both totals, hostile names escaped.
. "$(dirname "$0")/../lib.sh"
PHASE_S=5

# html_value PAGE ID: the exact figure behind a human one (data-value).
html_value() { sed -n "s/.*id=\"$2\" data-value=\"\([0-9]*\)\".*/\1/p" "$1" | head -1; }

HTML5_TAGS='Tag (header|section|details|summary|template|svg|g|rect|text|line|path|title) invalid'
TEMPLATE_IDS='ID (frames|details|reset|search|matched|title|subtitle) already defined'
# html_parses PAGE: xmllint's HTML parser reads it; its only complaints are HTML5 and SVG
# tags it does not know, and ids repeated inside <template>s (a view's SVG each).
html_parses() {
	xmllint --html --noout "$1" 2> "$1.xmllint" &&
		! grep 'error :' "$1.xmllint" | grep -Ev "$HTML5_TAGS|$TEMPLATE_IDS" | grep -q .
}

# offline PAGE: no http:// or https:// but the SVG namespace name.
offline() { ! grep -o 'https\?://[^" ]*' "$1" | grep -vqx 'http://www.w3.org/2000/svg'; }

W=$OUT/leak
start_workload leak_churn "$W" PHASE_S=$PHASE_S
start_heapscope "$OUT/leak.err" -p "$WPID" -i 0.25 -o "$OUT/leak.html"
run_phase "$W"
stop_heapscope INT
release_workload "$W"
check_eq "heapscope -o leak.html exits 0" 0 "$HRC"
P=$OUT/leak.html
check "the page starts as HTML5" grep -q '^<!DOCTYPE html>$' "$P"
check "xmllint --html parses it" html_parses "$P"
check "no network reference" offline "$P"
check "no other file is referred to (no src=, no href=)" \
	bash -c "! grep -Eq '(src|href)=' '$P'"

echo "-- totals against the session's summary"
summary=$(grep -E "^heapscope: PID $WPID \(leak_churn\)" "$OUT/leak.err")
check "the summary has the totals: $summary" [ -n "$summary" ]
check_eq "events" "$(sed -n 's/.*s, \([0-9]*\) events.*/\1/p' <<< "$summary")" \
	"$(html_value "$P" total-events)"
check_eq "live blocks" "$(sed -n 's/.*, live .* in \([0-9]*\) blocks$/\1/p' <<< "$summary")" \
	"$(html_value "$P" total-live-count)"
check_eq "live bytes, in human units" "$(sed -n 's/.*, live \(.*\) in [0-9]* blocks$/\1/p' <<< "$summary")" \
	"$(sed -n 's/.*id="total-live-bytes" [^>]*>\([^<]*\)<.*/\1/p' "$P")"
check_eq "lost events" "$(sed -n 's/^heapscope: lost events: \([0-9]*\).*/\1/p' "$OUT/leak.err")" \
	"$(html_value "$P" total-lost-events)"

echo "-- rendered by Chromium"
chromium_run --enable-logging=stderr --v=0 --screenshot="$OUT/leak.png" \
	--window-size=1280,2000 "file://$P" > /dev/null
chromium_run --enable-logging=stderr --v=0 --dump-dom "file://$P" > "$OUT/leak.dom"
check "verdict: leak" grep -q '<span id="verdict-name" class="verdict-name verdict-leak">leak</span>' \
	"$OUT/leak.dom"
check "the verdict's evidence and advice" grep -q '<p id="verdict-explanation">The live heap grows' \
	"$OUT/leak.dom"
check "the RSS series is drawn" grep -Eq '<path class="series-rss" stroke="[^"]*" d="M[0-9.]+ [0-9.]+ L' \
	"$OUT/leak.dom"
check "the points' tooltips give RSS in human units" \
	grep -Eq '<g class="point"><title>[0-9.]+ s$' "$OUT/leak.dom"
check "the fastest growing stack is remember_client" grep -Eq \
	'<table id="top-growing">.*</tr>$' "$OUT/leak.dom"
check_eq "first row of the growing stacks" remember_client \
	"$(grep -A1 '<table id="top-growing">' "$OUT/leak.dom" | sed -n 's/.*<summary><code>\([^<]*\)<.*/\1/p' | head -1)"
check "the in-use flame graph is in the document" \
	grep -q '<text id="title" [^>]*>heapscope: PID [0-9]* (leak_churn), [0-9.]* s, inuse-bytes: ' \
	"$OUT/leak.dom"
check "the view buttons are shown (the script ran)" grep -q '<p class="view-buttons">Weigh by:' \
	"$OUT/leak.dom"
check "screenshot: not blank (more than 20 colours)" \
	[ "$("$BIN/pngcolors" "$OUT/leak.png" | sed -n 's/^colours //p')" -gt 20 ]

chromium_run --enable-logging=stderr --v=0 --dump-dom "file://$P#view=alloc&s=remember_client" \
	> "$OUT/alloc.dom"
check "#view=alloc: the allocated-bytes graph replaced the in-use one" \
	grep -q '<text id="title" [^>]*>heapscope: PID [0-9]* (leak_churn), [0-9.]* s, alloc-bytes: ' \
	"$OUT/alloc.dom"
check_eq "#view=alloc: one flame graph in the document" 1 \
	"$(awk '/<template/ { t = 1 } !t && /<g id="frames">/ { n++ } /<\/template>/ { t = 0 }
		END { print n + 0 }' "$OUT/alloc.dom")"
check "#view=alloc: its script ran (the search on load matched)" \
	grep -q 'Matched: [0-9.]*% of the width (remember_client)' "$OUT/alloc.dom"
check "#view=alloc: its button is pressed" \
	grep -q '<button type="button" data-view="alloc" aria-pressed="true">' "$OUT/alloc.dom"

echo "-- two processes"
A=$OUT/a
B=$OUT/b
start_workload leak_churn "$A" PHASE_S=2; a_pid=$WPID
start_workload leak_churn "$B" PHASE_S=2; b_pid=$WPID
start_heapscope "$OUT/two.err" -p "$a_pid,$b_pid" -i 0.25 -f html -o "$OUT/two.page"
run_all "$A" "$B"
stop_heapscope INT
touch "$A/exit" "$B/exit"
wait "$a_pid" "$b_pid"
check_eq "-f html -o two.page exits 0" 0 "$HRC"
check "-f html wins over the extension" grep -q '^<!DOCTYPE html>$' "$OUT/two.page"
cp "$OUT/two.page" "$OUT/two.html" # a browser goes by the extension
chromium_run --enable-logging=stderr --v=0 --dump-dom "file://$OUT/two.html" > "$OUT/two.dom"
check_eq "a chart for the sum and one per process" 3 "$(grep -c '<div class="chart' "$OUT/two.dom")"
check "the picker offers PID $a_pid" grep -q "<option value=\"[0-9]\">PID $a_pid (leak_churn)</option>" \
	"$OUT/two.dom"
check "one chart shown at a time" [ "$(grep -c '<div class="chart picked-out"' "$OUT/two.dom")" -eq 2 ]
check "two processes parse too" html_parses "$OUT/two.page"

echo "-- diff -f html"
printf 'main;a<b>&"c'"'"' 10\nmain;\xff\xfe\x01]]> 5\nmain;serve;listener_create 100\n' > "$OUT/new.folded"
printf 'main;serve;listener_create 40\n' > "$OUT/old.folded"
"$HEAPSCOPE" diff "$OUT/old.folded" "$OUT/new.folded" -o "$OUT/diff.html" 2> "$OUT/diff.err"
check_eq "diff -o diff.html exits 0" 0 $?
check "both totals" grep -q 'old total <span id="total-old" data-value="40">40</span></span>'\
'<span>new total <span id="total-new" data-value="115">115</span>' "$OUT/diff.html"
check "hostile names escaped" grep -q '<g><title>a&lt;b&gt;&amp;&quot;c&apos; (old 0, new 10, +10)</title>' \
	"$OUT/diff.html"
check "diff page parses" html_parses "$OUT/diff.html"
check "diff page is offline" offline "$OUT/diff.html"
chromium_run --enable-logging=stderr --v=0 --dump-dom "file://$OUT/diff.html#s=listener" > "$OUT/diff.dom"
check "diff page: listener_create is red, the search ran" \
	grep -q 'Matched: [0-9.]*% of the width (listener)' "$OUT/diff.dom"

check "no script error in Chromium's console" \
	bash -c "! grep -E 'CONSOLE.*(Uncaught|Error)' '$OUT/chromium.log'"
finish
