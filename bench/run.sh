#!/usr/bin/env bash
# `make bench`: every benchmark and fault check, then one table (figure, target, measured,
# pass/fail). Takes about 15 minutes; the million-hit seeding is the longest part the first time.
source "$(dirname "$0")/lib.sh"
: > "$RESULTS"
bench/wasm.sh
bench/ref.sh
bench/floor.sh
bench/cpu.sh
bench/pages.sh
DATABASE_URL="${PG_ADMIN_URL%/*}/hype_bench_pages" bench/pages.sh
bench/faults.sh
echo
echo "| figure | target | measured | result |"
echo "| --- | --- | --- | --- |"
awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$RESULTS"
! grep -q 'FAIL$' "$RESULTS"
