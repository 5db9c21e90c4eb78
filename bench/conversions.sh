#!/usr/bin/env bash
# Conversions: 32 wrk connections POST /api/v1/conversions for DURATION (10s), each request
# with its own Idempotency-Key, for one of 200 referred customers, with
# HYPE_AUTO_CONFIRM=conversion (the first conversion of each customer confirms their
# referral). A 201 is sent after the commit, so each counted conversion is durable. Then the
# rows are counted: one per 201, and exactly one confirmation and one credit per customer
# converted. On SQLite and on PostgreSQL.
#
#   bench/conversions.sh        (NO_BUILD=1 to use target/release/hype-server as it is)
source "$(dirname "$0")/lib.sh"
duration="${DURATION:-10s}"
customers=200
command -v wrk >/dev/null || need_tools
[ -n "${NO_BUILD:-}" ] || build_release

cat > "$BENCH_DIR/conversions.lua" <<'LUA'
-- Each request: a new Idempotency-Key (thread id + counter), a customer picked in turn.
local counter = 0
local threads = {}
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  local customer = counter % CUSTOMERS
  local body = string.format(
    '{"customer":{"username":"cust%d"},"event":"purchase","amount":4900,"currency":"EUR"}', customer)
  return wrk.format("POST", "/api/v1/conversions", {
    ["Authorization"] = "Bearer " .. KEY,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d-%d", thread_id, counter),
  }, body)
end
LUA

pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null' EXIT
for kind in sqlite postgres; do
  bench_db "$kind" hype_bench_conversions
  # 200 referred customers of bench-owner: each follows the link and signs up.
  HYPE_AUTO_CONFIRM=conversion HYPE_API_REQUESTS_PER_KEY=off HYPE_SIGNUPS_PER_ADDRESS=off \
    serve_on 3394 "$BENCH_DIR/conversions-server.log"
  python3 - "$customers" <<'PY'
import http.client, sys, http.cookies
for n in range(int(sys.argv[1])):
    conn = http.client.HTTPConnection("127.0.0.1", 3394, timeout=30)
    conn.request("GET", "/ref/bench")
    response = conn.getresponse(); response.read()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    conn.request("POST", "/api/signup", "username=cust%d&password=customer-password&email=" % n, {
        "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
        "Cookie": cookie})
    response = conn.getresponse(); response.read()
    assert response.status == 200, response.status
PY
  key=$("$BIN" create-api-key bench --scopes conversions:write | tail -n 1)
  sed -e "s/KEY/\"$key\"/; s/CUSTOMERS/$customers/" "$BENCH_DIR/conversions.lua" \
    > "$BENCH_DIR/conversions-run.lua"
  wrk -t2 -c32 -d"$duration" --latency -s "$BENCH_DIR/conversions-run.lua" \
    http://127.0.0.1:3394 > "$BENCH_DIR/wrk-conversions-$kind.txt"
  kill -TERM "$pid"; wait "$pid" || true
  pid=
  read -r requests non2xx rps p99 < <(wrk_summary "$BENCH_DIR/wrk-conversions-$kind.txt")
  rows=$(sql "$DATABASE_URL" 'SELECT COUNT(*) FROM conversions')
  confirmed=$(sql "$DATABASE_URL" "SELECT COUNT(*) FROM referrals WHERE status = 'confirmed'")
  credits=$(sql "$DATABASE_URL" 'SELECT COUNT(*) FROM reward_ledger')
  result "conversions/s, $kind, 32 clients (p99 $p99 ms)" "every 201 stored" \
    "$rps/s; $requests sent, $non2xx not 2xx, $rows stored" \
    "$(verdict "[ $non2xx -eq 0 ] && [ $rows -ge $requests ]")"
  result "conversions, $kind: confirmations and credits" "$customers and $customers" \
    "$confirmed and $credits" "$(verdict "[ $confirmed -eq $customers ] && [ $credits -eq $customers ]")"
done
! grep -q 'FAIL$' <(tail -n 4 "$RESULTS")
