#!/usr/bin/env bash
# The leaderboard at scale: `seed-demo` fills an SQLite database with USERS (100,000) users and
# a million hits (one referral per user with a claimed hit), every referral is then confirmed
# (half of them this month), a fifth of the users choose a display name, and the board is
# timed as a signed-in user sees it, this month and all time: the median of 5 calls, by curl
# on loopback. Target: ≤ 50 ms, as for the dashboard's reads.
#
#   bench/leaderboard.sh        (NO_BUILD=1 to use target/release/hype-server as it is)
source "$(dirname "$0")/lib.sh"
users="${USERS:-100000}"
port=3396
[ -n "${NO_BUILD:-}" ] || build_release
export DATABASE_URL
DATABASE_URL=$(fresh_db sqlite "leaderboard-$users")
export HYPE_ADDR="127.0.0.1:$port"
"$BIN" migrate >/dev/null
"$BIN" seed-demo --users "$users" --links 20000 --hits 1000000 >/dev/null
python3 - "$DATABASE_URL" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1].split("://", 1)[1].split("?", 1)[0])
# Half confirmed in the first days of this month, half long ago; every fifth user shown.
db.execute("""UPDATE referrals SET status = 'confirmed', decided_at = CASE WHEN id % 2 = 0
  THEN strftime('%Y-%m-01T00:00:01.000000+00:00', 'now') ELSE '2020-01-01T00:00:00.000000+00:00' END
  WHERE referrer_user_id IS NOT NULL""")
db.execute("UPDATE users SET leaderboard_name = 'Referrer ' || id WHERE id % 5 = 0")
db.commit()
PY
referrals=$(sql "$DATABASE_URL" "SELECT COUNT(*) FROM referrals WHERE status = 'confirmed'")
referrers=$(sql "$DATABASE_URL" "SELECT COUNT(DISTINCT referrer_user_id) FROM referrals WHERE status = 'confirmed'")
"$BIN" serve 2>/dev/null & pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
wait_port $port
jar=$(mktemp)
user=$(sql "$DATABASE_URL" "SELECT username FROM users WHERE username LIKE 'demo-%' ORDER BY id LIMIT 1")
curl -fs -c "$jar" -H 'Accept: application/json' -d "username=$user&password=demo-password" \
  "http://127.0.0.1:$port/api/login" >/dev/null
for period in month all; do
  times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o /dev/null -b "$jar" -H 'Accept: application/json' --data "period=$period" \
      -w '%{time_total}' "http://127.0.0.1:$port/api/leaderboard")")
  done
  t=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END { printf "%.1f", a[3] * 1000 }')
  result "leaderboard ($period), $users users, $referrals confirmed by $referrers referrers" "≤ 50 ms" "$t ms" \
    "$(verdict "awk 'BEGIN { exit !($t <= 50) }'")"
done
rm -f "$jar"
