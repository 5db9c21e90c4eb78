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
bench/login-flood.sh
bench/conversions.sh
bench/leaderboard.sh
bench/what-if.sh
table=$(
  echo "| figure | target | measured | result |"
  echo "| --- | --- | --- | --- |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$RESULTS"
)
echo
echo "$table"
# The table also replaces the latest one in docs/benchmarks.md, naming the build it ran on.
TABLE="$table" BUILD="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" python3 - <<'PY'
import datetime, os, re
path = "docs/benchmarks.md"
text = open(path).read()
block = "<!-- latest-bench:start -->\n%s\n\nFrom `make bench` on `%s`, %s.\n<!-- latest-bench:end -->" % (
    os.environ["TABLE"], os.environ["BUILD"], datetime.date.today().isoformat())
text = re.sub(r"<!-- latest-bench:start -->.*?<!-- latest-bench:end -->", lambda _: block, text, flags=re.S)
open(path, "w").write(text)
PY
echo "(written to docs/benchmarks.md)"
! grep -q 'FAIL$' "$RESULTS"
