#!/usr/bin/env bash
# Target 3 (lean): the release wasm, gzipped, after `make release` (split; wasm-opt from npm).
# The signed-in pages are lazy routes whose code is in chunks of their own, so the figure is
# what a first visit (empty cache) to each page fetches, as Chromium sees it on the release
# server (bench/first-load.mjs), each file gzipped -9.
source "$(dirname "$0")/lib.sh"
make release >/dev/null
make e2e-deps >/dev/null
pkg=target/site/pkg
port=3301
DATABASE_URL=$(fresh_db sqlite wasm)
export DATABASE_URL HYPE_ADDR="127.0.0.1:$port" HYPE_PASSWORD=bench-password LEPTOS_SITE_ROOT=target/site
"$BIN" create-user bench-admin --admin >/dev/null
"$BIN" serve & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_port $port
loads="$BENCH_DIR/first-load.tsv"
node bench/first-load.mjs "http://127.0.0.1:$port" "$pkg" bench-admin bench-password > "$loads"
kill $server && wait $server || true

kb() { echo $(( $1 / 1024 )); }
# The largest first load among some pages: "path wasm-bytes js-bytes chunks".
largest() { # awk condition on the path ($1)
  awk -F'\t' "$1"' { n = split($2, f, ","); if ($3 > max) { max = $3; line = $1 " " $3 " " $4 " " n } } END { print line }' "$loads"
}
read -r path wasm js files < <(largest '$1 == "/" || $1 == "/login" || $1 == "/signup"')
result "release wasm, first load of a public page (largest: $path), gzipped" "≤ 300 KB" \
  "$(kb "$wasm") KB in $files file(s); JS $(kb "$js") KB" "$(verdict "[ $(kb "$wasm") -le 300 ]")"
read -r path wasm js files < <(largest '$1 != "/" && $1 != "/login" && $1 != "/signup"')
result "release wasm, first load of a signed-in page (largest: $path), gzipped" "≤ 300 KB" \
  "$(kb "$wasm") KB in $files files; JS $(kb "$js") KB" "$(verdict "[ $(kb "$wasm") -le 300 ]")"
all=0; count=0
for f in "$pkg"/*.wasm; do all=$(( all + $(gzip -9 -c "$f" | wc -c) )); count=$(( count + 1 )); done
result "release wasm, every file (main + chunks), gzipped" "reference" "$(kb "$all") KB in $count files" ""
