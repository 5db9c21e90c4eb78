#!/usr/bin/env bash
# What-if at a million hits: `seed-demo` fills a database with USERS (100,000) users, 20,000
# links and a million hits (one referral per user with a claimed hit), then an admin replays
# attribution under first click with a 30-day window and under last click with 365 days, as
# `/admin/what-if` asks for it: the median of 3 calls, by curl on loopback. Target: a few
# seconds (≤ 5 s). On SQLite, then on PostgreSQL (KINDS="sqlite" for one).
#
#   bench/what-if.sh        (NO_BUILD=1 to use target/release/hype-server as it is)
source "$(dirname "$0")/lib.sh"
users="${USERS:-100000}"
port=3397
[ -n "${NO_BUILD:-}" ] || build_release
export DATABASE_URL HYPE_ADDR="127.0.0.1:$port"
for kind in ${KINDS:-sqlite postgres}; do
  DATABASE_URL=$(fresh_db "$kind" "hype_bench_what_if")
  "$BIN" migrate >/dev/null
  "$BIN" seed-demo --users "$users" --links 20000 --hits 1000000 >/dev/null
  HYPE_PASSWORD=bench-password "$BIN" create-user bench-admin --admin >/dev/null
  referrals=$(sql "$DATABASE_URL" "SELECT COUNT(*) FROM referrals")
  "$BIN" serve 2>/dev/null & pid=$!
  wait_port $port
  jar=$(mktemp)
  curl -fs -c "$jar" -H 'Accept: application/json' -d "username=bench-admin&password=bench-password" \
    "http://127.0.0.1:$port/api/login" >/dev/null
  for ask in "first-click 30" "last-click 365"; do
    read -r model days <<<"$ask"
    times=()
    for _ in 1 2 3; do
      times+=("$(curl -fs -o "$BENCH_DIR/what-if.json" -b "$jar" -H 'Accept: application/json' \
        --data "model=$model&days=$days" -w '%{time_total}' "http://127.0.0.1:$port/api/admin/what_if")")
    done
    changed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["changed"])' "$BENCH_DIR/what-if.json")
    t=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END { printf "%.2f", a[2] }')
    result "what-if on $kind, $model $days days: 1M hits, $referrals referrals ($changed would change)" "≤ 5 s" "$t s" \
      "$(verdict "awk 'BEGIN { exit !($t <= 5) }'")"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$jar"
done
