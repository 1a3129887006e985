#!/usr/bin/env bash
# tools/check-includes.sh [USER_DIR] - fail when user/ has an include circle.
#
# What it checks, from the `#include "STAGE/FILE.h"` lines of user/*/*.[ch] (other includes,
# such as "events.h" or the BPF skeleton, are not user/ files and are passed over):
#   1. files: no header reaches itself through the headers it includes;
#   2. stages (the folders): the graph "a file in A includes a header in B" is acyclic, so
#      data and calls can flow one way down the pipeline;
#   3. the ends of that order: lib/ includes no other stage, and no other stage includes cli/.
# Each circle is printed as a path back to its start, a stage circle with the include behind
# each step.  Exit status 0: none found; 1: some (all are listed); 2: usage.
# Needs bash and awk only, so CI can run it before anything is built.
set -euo pipefail

user_dir=${1:-"$(dirname "$0")/../user"}
if [[ ! -d $user_dir ]]; then
	echo "usage: $0 [USER_DIR]  (no folder $user_dir)" >&2
	exit 2
fi
cd "$user_dir"

# One "FROM TO" line per include of a user/ header: FROM relative to user/, TO as written.
edges=$(grep -H -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_0-9]+/[^"]+"' \
	-- */*.c */*.h 2>/dev/null |
	sed -E 's/^([^:]+):[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1 \2/' |
	LC_ALL=C sort || true)

awk '
function stage(path) { sub(/\/.*/, "", path); return path }

# Depth-first search over graph g (its edges in out[g, node], space-separated); a node met
# again while still on the path closes a circle, printed from where it starts.
function visit(g, node,    next_nodes, n, i, to, start, j, step_to) {
	color[g, node] = 1
	path[++depth] = node
	n = split(out[g, node], next_nodes, " ")
	for (i = 1; i <= n; i++) {
		to = next_nodes[i]
		if (!color[g, to]) {
			visit(g, to)
			continue
		}
		if (color[g, to] != 1)
			continue
		for (start = depth; path[start] != to; start--)
			;
		line = (g == "file" ? "include circle: " : "stage circle: ")
		for (j = start; j <= depth; j++)
			line = line path[j] " -> "
		print line to
		for (j = start; g == "stage" && j <= depth; j++) {
			step_to = j < depth ? path[j + 1] : to
			print "  " path[j] " -> " step_to ": " why[path[j], step_to]
		}
		circles++
	}
	depth--
	color[g, node] = 2
}

function add_edge(g, from, to) {
	if (index(" " out[g, from] " ", " " to " "))
		return
	out[g, from] = out[g, from] (out[g, from] == "" ? "" : " ") to
	if (!((g, from) in known)) {
		known[g, from] = 1
		order_graph[++node_count] = g
		order_node[node_count] = from
	}
}

{
	from = $1; to = $2
	add_edge("file", from, to)
	if (stage(from) != stage(to)) {
		if (!((stage(from), stage(to)) in why))
			why[stage(from), stage(to)] = from " includes " to
		add_edge("stage", stage(from), stage(to))
		if (stage(from) == "lib") {
			print "lib includes another stage: " from " includes " to
			circles++
		}
		if (stage(to) == "cli") {
			print "a stage includes cli: " from " includes " to
			circles++
		}
	}
}

END {
	for (i = 1; i <= node_count; i++)
		if (!color[order_graph[i], order_node[i]])
			visit(order_graph[i], order_node[i])
	if (circles) {
		print circles " include problem(s) in user/" > "/dev/stderr"
		exit 1
	}
	print "no include circle in user/ (files and stages)"
}
' <<<"$edges"
