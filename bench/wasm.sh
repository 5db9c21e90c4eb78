#!/usr/bin/env bash
# Target 3 (lean): the release wasm bundle, gzipped, after `make release` (wasm-opt from npm).
source "$(dirname "$0")/lib.sh"
make release >/dev/null
wasm=target/site/pkg/hype.wasm
raw=$(( $(stat -c %s "$wasm") / 1024 ))
gz=$(( $(gzip -9 -c "$wasm" | wc -c) / 1024 ))
js=$(( $(gzip -9 -c target/site/pkg/hype.js | wc -c) / 1024 ))
result "release wasm, gzipped (raw; JS glue gzipped)" "≤ 300 KB" "$gz KB ($raw KB; JS $js KB)" "$(verdict "[ $gz -le 300 ]")"
