#!/usr/bin/env bash
# Target 2: the dashboard at a million hits. Seeds the database with `hype-server seed-demo` up
# to HITS hits (counted in the database, so a deleted or half-filled file is noticed; the
# seeding time is a figure of its own when it seeds the full amount), starts the release server,
# and times each read the pages make — the admin hits page under every filter (first and last
# page), the overview, a user's "My links" — plus the whole server-rendered pages: the median of
# 5 calls, measured by curl on loopback from request to last byte (≈ server time).
#
#   bench/pages.sh [HITS]        (default 1000000; SQLite file under target/bench/)
#   DATABASE_URL=postgres://…/db bench/pages.sh [HITS]   (the database is created if missing)
source "$(dirname "$0")/lib.sh"
hits="${1:-1000000}"
port=3300
export DATABASE_URL="${DATABASE_URL:-sqlite://$BENCH_DIR/pages-$hits.db?mode=rwc}"
export HYPE_ADDR="127.0.0.1:$port" HYPE_PASSWORD=bench-password
kind=$(echo "$DATABASE_URL" | cut -d: -f1)
[ "$kind" = postgresql ] && kind=postgres

build_release
if [ "$kind" = postgres ]; then
  name=${DATABASE_URL##*/}
  psql "${DATABASE_URL%/*}/postgres" -qAtc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
    psql "${DATABASE_URL%/*}/postgres" -qAtc "CREATE DATABASE \"$name\"" >/dev/null
fi
"$BIN" migrate >/dev/null
have=$(hit_rows "$DATABASE_URL")
if [ "$have" -lt "$hits" ]; then
  started=$(date +%s.%N)
  "$BIN" seed-demo --users 1000 --links 2000 --hits $((hits - have))
  took=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$have" -eq 0 ]; then
    result "seed-demo $hits hits on $kind" "< 60 s" "$took s" "$(verdict "awk 'BEGIN { exit !($took < 60) }'")"
  fi
fi
# One admin for every run (already there after the first: then creating it fails harmlessly).
"$BIN" create-user bench-admin --admin >/dev/null 2>&1 || true
# A demo user for "My links" (each has 2 of the 2,000 links: about 1,000 hits).
demo_user=$(sql "$DATABASE_URL" "SELECT username FROM users WHERE username LIKE 'demo-%' ORDER BY id LIMIT 1")

"$BIN" serve & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_port $port

login() { # jar user password
  curl -fs -c "$1" -H 'Accept: application/json' -d "username=$2&password=$3" \
    "http://127.0.0.1:$port/api/login" >/dev/null || { echo "bench/pages.sh: $2 could not log in" >&2; exit 1; }
}
admin_jar=$(mktemp) user_jar=$(mktemp)
login "$admin_jar" bench-admin bench-password
login "$user_jar" "$demo_user" demo-password

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_call() { # name, jar, method (POST server fn / GET page), path, form
  local name=$1 jar=$2 method=$3 path=$4 form=${5:-} times=() code time t
  local args=(-s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}\n')
  if [ "$method" = POST ]; then args+=(-H 'Accept: application/json' --data "$form"); fi
  for _ in 1 2 3 4 5; do
    read -r code time < <(curl "${args[@]}" "http://127.0.0.1:$port$path")
    if [ "$code" != 200 ]; then
      echo "bench/pages.sh: $name ($path, '$form') answered HTTP $code" >&2
      exit 1
    fi
    times+=("$time")
  done
  t=$(printf '%s\n' "${times[@]}" | median | awk '{ printf "%.1f", $1 * 1000 }')
  result "$name ($hits hits, $kind)" "≤ 50 ms" "$t ms" "$(verdict "awk 'BEGIN { exit !($t <= 50) }'")"
}

api=/api
last_cursor=$(curl -fs -b "$admin_jar" -H 'Accept: application/json' --data 'query[last]=1' \
  "http://127.0.0.1:$port$api/admin/list_hits" | python3 -c 'import json,sys; print(json.load(sys.stdin)["newer"] or "")')
link=$(curl -fs -b "$admin_jar" -H 'Accept: application/json' --data 'q=demo' \
  "http://127.0.0.1:$port$api/admin/list_links" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["identifier"])')
week_ago=$(date -u -d '7 days ago' +%F)

time_call "hits, first page" "$admin_jar" POST $api/admin/list_hits ''
time_call "hits, last page" "$admin_jar" POST $api/admin/list_hits 'query[last]=1'
time_call "hits, page before the last" "$admin_jar" POST $api/admin/list_hits "query[after]=$last_cursor"
time_call "hits, one link" "$admin_jar" POST $api/admin/list_hits "query[link]=$link"
time_call "hits, one link, last page" "$admin_jar" POST $api/admin/list_hits "query[link]=$link&query[last]=1"
time_call "hits, claimed + confirmed" "$admin_jar" POST $api/admin/list_hits 'query[claimed]=yes&query[confirmed]=yes'
time_call "hits, claimed + confirmed, last page" "$admin_jar" POST $api/admin/list_hits 'query[claimed]=yes&query[confirmed]=yes&query[last]=1'
time_call "hits, unclaimed" "$admin_jar" POST $api/admin/list_hits 'query[claimed]=no'
time_call "hits, anonymous, last 7 days" "$admin_jar" POST $api/admin/list_hits "query[auth]=anonymous&query[from]=$week_ago"
time_call "hits, anonymous, last 7 days, last page" "$admin_jar" POST $api/admin/list_hits "query[auth]=anonymous&query[from]=$week_ago&query[last]=1"
time_call "hits, one referrer, last 7 days" "$admin_jar" POST $api/admin/list_hits "query[referrer]=$demo_user&query[from]=$week_ago"
time_call "hits, one referrer, last 7 days, last page" "$admin_jar" POST $api/admin/list_hits "query[referrer]=$demo_user&query[from]=$week_ago&query[last]=1"
time_call "hits, one hit user" "$admin_jar" POST $api/admin/list_hits "query[hit_user]=$demo_user"
time_call "hits, one hit user, last page" "$admin_jar" POST $api/admin/list_hits "query[hit_user]=$demo_user&query[last]=1"
time_call "hits, text search" "$admin_jar" POST $api/admin/list_hits 'query[q]=firefox'
time_call "overview" "$admin_jar" POST $api/admin/overview ''
time_call "referrals queue" "$admin_jar" POST $api/admin/list_referrals 'status=pending'
time_call "My links ($demo_user)" "$user_jar" POST $api/list_links ''
time_call "page /admin/hits (HTML)" "$admin_jar" GET /admin/hits
time_call "page /admin (HTML)" "$admin_jar" GET /admin
time_call "page /links (HTML)" "$user_jar" GET /links
rm -f "$admin_jar" "$user_jar"
