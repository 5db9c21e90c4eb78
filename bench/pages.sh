#!/usr/bin/env bash
# Server-side timings of the dashboard's heaviest reads on a large database.
#
#   bench/pages.sh [HITS]        (default 1000000; SQLite file under target/bench/)
#   DATABASE_URL=postgres://… bench/pages.sh [HITS]
#
# Seeds the database with `hype-server seed-demo` up to HITS hits (counted in the database, so
# a deleted or half-filled file is noticed), starts the release server on 127.0.0.1:3300, signs
# in as an admin, and prints the median of 5 calls of each read, measured by curl from request
# to last byte (loopback, so ≈ server time).
set -euo pipefail
cd "$(dirname "$0")/.."
hits="${1:-1000000}"
port=3300
bin=target/release/hype-server
mkdir -p target/bench
export DATABASE_URL="${DATABASE_URL:-sqlite://$PWD/target/bench/pages-$hits.db?mode=rwc}"
export HYPE_ADDR="127.0.0.1:$port" RUST_LOG=warn HYPE_PASSWORD=bench-password

stored_hits() {
  if [[ "$DATABASE_URL" == postgres* ]]; then
    psql "$DATABASE_URL" -qAtc 'SELECT COUNT(*) FROM referral_hits'
  else
    python3 - "$DATABASE_URL" <<'PY'
import sqlite3, sys
path = sys.argv[1].split("://", 1)[1].split("?", 1)[0]
print(sqlite3.connect(path).execute("SELECT COUNT(*) FROM referral_hits").fetchone()[0])
PY
  fi
}

[ -x "$bin" ] || cargo build --release --locked -p hype-server
"$bin" migrate >/dev/null
have=$(stored_hits)
if [ "$have" -lt "$hits" ]; then
  "$bin" seed-demo --users 1000 --links 2000 --hits $((hits - have))
fi
# One admin for every run (already there after the first: then creating it fails harmlessly).
"$bin" create-user bench-admin --admin >/dev/null 2>&1 || true

"$bin" serve & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
up=no
for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && { up=yes; break; }; sleep 0.2; done
[ "$up" = yes ] || { echo "bench/pages.sh: the server did not answer on port $port" >&2; exit 1; }

jar=$(mktemp)
curl -fs -c "$jar" -H 'Accept: application/json' -d "username=bench-admin&password=bench-password" \
  "http://127.0.0.1:$port/api/login" >/dev/null || { echo "bench/pages.sh: the admin could not log in" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_call() { # name, endpoint, form; a call that doesn't answer 200 stops the run
  local name=$1 endpoint=$2 form=$3 t times=() code time
  for _ in 1 2 3 4 5; do
    read -r code time < <(curl -s -o /dev/null -b "$jar" -H 'Accept: application/json' \
      -w '%{http_code} %{time_total}\n' --data "$form" "http://127.0.0.1:$port/api/$endpoint")
    if [ "$code" != 200 ]; then
      echo "bench/pages.sh: $name ($endpoint, '$form') answered HTTP $code" >&2
      exit 1
    fi
    times+=("$time")
  done
  t=$(printf '%s\n' "${times[@]}" | median)
  printf '| %-40s | %8.1f ms |\n' "$name" "$(awk -v t="$t" 'BEGIN { print t * 1000 }')"
}

last_cursor=$(curl -fs -b "$jar" -H 'Accept: application/json' --data 'query[last]=1' \
  "http://127.0.0.1:$port/api/admin/list_hits" | python3 -c 'import json,sys; print(json.load(sys.stdin)["newer"] or "")')

link=$(curl -fs -b "$jar" -H 'Accept: application/json' --data 'q=demo' \
  "http://127.0.0.1:$port/api/admin/list_links" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["identifier"])')

echo "| read ($hits hits, $(echo "$DATABASE_URL" | cut -d: -f1)) | median |"
echo "| --- | ---: |"
time_call "hits, first page" admin/list_hits ''
time_call "hits, last page" admin/list_hits 'query[last]=1'
time_call "hits, page before the last" admin/list_hits "query[after]=$last_cursor"
time_call "hits, link filter" admin/list_hits "query[link]=$link"
time_call "hits, claimed + confirmed" admin/list_hits 'query[claimed]=yes&query[confirmed]=yes'
time_call "hits, anonymous, last 7 days" admin/list_hits "query[auth]=anonymous&query[from]=$(date -u -d '7 days ago' +%F)"
time_call "hits, text search" admin/list_hits 'query[q]=firefox'
time_call "overview" admin/overview ''
time_call "referrals queue" admin/list_referrals 'status=pending'
rm -f "$jar"
