#!/usr/bin/env bash
# heapscope(1), --help, --version and the bash completion tell the same story: the man
# page is generated from --help (packaging/man.sh), and this fails when they drift.
# Every option --help names is in the page and offered by the completion; every option
# the page names (docs/heapscope.h2m's sections too) is one --help describes.
. "$(dirname "$0")/../lib.sh"

packaging/man.sh "$HEAPSCOPE" docs/heapscope.h2m "$(cat "$ROOT/VERSION")" "$OUT/heapscope.1"
check "the man page is generated" [ -s "$OUT/heapscope.1" ]
MANWIDTH=100 man -l "$OUT/heapscope.1" 2> "$OUT/man.stderr" | col -b > "$OUT/man.txt"
check "man -l renders it" grep -q "^SYNOPSIS" "$OUT/man.txt"
check_eq "groff has no warnings about it" "" \
	"$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$OUT/heapscope.1" 2>&1 \
		> /dev/null)"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS SUBCOMMANDS "OUTPUT FORMATS" "EXIT STATUS" \
	SAFETY REQUIREMENTS FILES EXAMPLES "SEE ALSO"; do
	check "the page has $section" grep -qx "$section" "$OUT/man.txt"
done
check_eq "the page's version is VERSION" "heapscope $(cat "$ROOT/VERSION")" \
	"$(tail -1 "$OUT/man.txt" | awk '{ print $1, $2 }')"
for file in /proc/PID/mem /proc/PID/map_files /tmp/perf-PID.map /usr/lib/debug/.build-id; do
	check "FILES names $file" grep -q -- "$file" "$OUT/man.txt"
done

# options TEXT-FILE: every -x and --long-option the text names, one a line.
options() {
	grep -oE -- '(^|[^a-zA-Z0-9./-])--?[a-zA-Z][a-z-]*[a-z]?' "$1" |
		sed 's/^[^-]*//' | grep -vxE -- '-+' | sort -u
}
"$HEAPSCOPE" --help > "$OUT/help.txt"
options "$OUT/help.txt" > "$OUT/help.options"
for sub in diff inspect watch; do
	"$HEAPSCOPE" $sub --help > "$OUT/${sub}_help.txt"
	options "$OUT/${sub}_help.txt" >> "$OUT/help.options"
done
sort -u -o "$OUT/help.options" "$OUT/help.options"
options "$OUT/man.txt" > "$OUT/man.options"
check_eq "every option --help names is in the man page" "" \
	"$(comm -23 "$OUT/help.options" "$OUT/man.options" | paste -sd' ')"
check_eq "every option the man page names is in --help" "" \
	"$(comm -13 "$OUT/help.options" "$OUT/man.options" | paste -sd' ')"
check "--help names at least 20 options" [ "$(wc -l < "$OUT/help.options")" -ge 20 ]

"$HEAPSCOPE" --version > "$OUT/version.txt"
check_eq "-V is --version" "$(cat "$OUT/version.txt")" "$("$HEAPSCOPE" -V)"
check "--version: the version first" \
	grep -qE "^heapscope $(cat "$ROOT/VERSION")( \(git [0-9a-g.-]+(-dirty)?\))?$" "$OUT/version.txt"
check "--version: the libbpf it runs with" grep -qE '^libbpf [0-9]+\.[0-9]+ ' "$OUT/version.txt"
check "--version: the kernel's features" grep -qE \
	"^kernel $(uname -r): BTF (yes|no), uprobe_multi (yes|no), task storage (yes|no)$" \
	"$OUT/version.txt"

# complete WORD...: what the completion offers for the last word of "heapscope WORD...".
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _heapscope
		printf "%s\n" "${COMPREPLY[@]}"' complete "$ROOT/packaging/heapscope.bash-completion" \
		"$HEAPSCOPE" "$@"
}
check_eq "completion offers exactly --help's options" "$(options "$OUT/help.txt" | paste -sd' ')" \
	"$(complete_words - | sort -u | paste -sd' ')"
for sub in diff inspect watch; do
	check_eq "completion offers $sub's options after $sub" \
		"$(options "$OUT/${sub}_help.txt" | paste -sd' ')" \
		"$(complete_words $sub - | sort -u | paste -sd' ')"
done
for value in $(complete_words -f ''; complete_words -w ''; complete_words --unwind ''); do
	check "completed value $value is one --help names" grep -qw -- "$value" "$OUT/help.txt"
done
sleep 1000 &
SPID=$!
PIDS_TO_KILL+=("$SPID")
check_eq "-p completes a PID alone to the PID" "$SPID" "$(complete_words -p "$SPID")"
check "-p shows PIDs with their command names" \
	grep -qx "$SPID (sleep)" <(complete_words -p "${SPID:0:1}")
check_eq "-p completes after a comma" "1,$SPID" "$(complete_words -p "1,$SPID")"
finish
