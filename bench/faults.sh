#!/usr/bin/env bash
# The reliability checks, each with a pass/fail row:
#   crash     kill -9 at a random moment of a 20 s load, 10 times: hits stored ≥ 302s seen,
#             integrity check ok, clean restart
#   term      SIGTERM during load: exits 0 within 10 s, every 302 stored
#   overload  256 connections against a 64-hit queue: fast 503s for the excess, bounded memory,
#             every 302 stored, full speed again within 5 s
#   limit     per-IP limit on: one address is held to its rate while another gets through
#   outage    PostgreSQL stopped for 20 s under load: quick 503s, a "temporarily unavailable"
#             page, recovery within 10 s of its return (needs root: it stops the local server)
#   sqlite    SQLite on a full (3 MB tmpfs) and a read-only file system: 503s, no panic
#
#   bench/faults.sh [crash term overload limit outage sqlite]   (default: all)
source "$(dirname "$0")/lib.sh"
need_tools
build_release
checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(crash term overload limit outage sqlite)
port=3392
url="http://127.0.0.1:$port"

start_server() { serve_on $port "$BENCH_DIR/faults-server.log"; }

crash() {
  bench_db sqlite faults-crash
  local lost=0 integrity=ok restarts=0 seen_total=0
  for round in $(seq 10); do
    start_server && restarts=$((restarts + 1))
    local before; before=$(hit_rows "$DATABASE_URL")
    wrk -t2 -c32 -d20s "$url/ref/bench" > "$BENCH_DIR/wrk-crash.txt" 2>&1 & local load=$!
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 2 + (r % 1600) / 100 }')"
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    wait "$load" || true
    read -r requests non302 _ _ < <(wrk_summary "$BENCH_DIR/wrk-crash.txt")
    local found=$((requests - non302)) added=$(( $(hit_rows "$DATABASE_URL") - before ))
    seen_total=$((seen_total + found))
    [ "$added" -ge "$found" ] || lost=$((lost + found - added))
    [ "$(sql "$DATABASE_URL" "PRAGMA integrity_check")" = ok ] || integrity=bad
  done
  start_server && restarts=$((restarts + 1)); kill "$pid"; wait "$pid" || true
  result "kill -9 during load ×10: acknowledged hits lost" "0" "$lost of $seen_total" "$(verdict "[ $lost -eq 0 ]")"
  result "kill -9 ×10: integrity check / clean starts" "ok / 11 of 11" "$integrity / $restarts of 11" \
    "$(verdict "[ $integrity = ok ] && [ $restarts -eq 11 ]")"
}

term() {
  bench_db sqlite faults-term; start_server
  wrk -t2 -c32 -d10s "$url/ref/bench" > "$BENCH_DIR/wrk-term.txt" 2>&1 & local load=$!
  sleep 3
  local t0; t0=$(date +%s.%N)
  kill -TERM "$pid"; local code=0; wait "$pid" || code=$?
  local took; took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  wait "$load" || true
  read -r requests non302 _ _ < <(wrk_summary "$BENCH_DIR/wrk-term.txt")
  local found=$((requests - non302)) added; added=$(hit_rows "$DATABASE_URL")
  result "SIGTERM during load: exit code, seconds to exit" "0, ≤ 10 s" "$code, $took s" \
    "$(verdict "[ $code -eq 0 ] && awk 'BEGIN { exit !($took <= 10) }'")"
  result "SIGTERM during load: hits stored − 302s seen" "≥ 0" "$((added - found))" "$(verdict "[ $added -ge $found ]")"
}

overload() {
  bench_db sqlite faults-overload
  HYPE_HIT_QUEUE=64 start_server
  wrk -t2 -c32 -d5s "$url/ref/bench" > "$BENCH_DIR/wrk-base.txt"
  read -r _ _ base_rps _ < <(wrk_summary "$BENCH_DIR/wrk-base.txt")
  local before; before=$(hit_rows "$DATABASE_URL")
  wrk -t2 -c256 -d10s --latency "$url/ref/bench" > "$BENCH_DIR/wrk-overload.txt" 2>&1
  read -r requests non302 _ p99 < <(wrk_summary "$BENCH_DIR/wrk-overload.txt")
  local peak; peak=$(rss_mb "$pid" VmHWM)
  local added=$(( $(hit_rows "$DATABASE_URL") - before )) found=$((requests - non302))
  wrk -t2 -c32 -d5s "$url/ref/bench" > "$BENCH_DIR/wrk-after.txt"
  read -r _ after_non302 after_rps _ < <(wrk_summary "$BENCH_DIR/wrk-after.txt")
  kill "$pid"; wait "$pid" || true
  result "overload (256 conns, queue 64): 503s, p99 of all answers" "fast (p99 ≤ 100 ms)" "$non302 503s, p99 $p99 ms" \
    "$(verdict "awk 'BEGIN { exit !($p99 <= 100) }'")"
  result "overload: hits stored − 302s seen" "0 … 256" "$((added - found))" \
    "$(verdict "[ $((added - found)) -ge 0 ] && [ $((added - found)) -le 256 ]")"
  result "overload: peak RSS" "≤ 200 MB" "$peak MB" "$(verdict "[ $peak -le 200 ]")"
  result "after overload: req/s within 5 s (vs before)" "≥ 0.8 × before" "$after_rps (before $base_rps)" \
    "$(verdict "[ $after_non302 -eq 0 ] && awk 'BEGIN { exit !($after_rps >= 0.8 * $base_rps) }'")"
}

limit() {
  bench_db sqlite faults-limit
  HYPE_REF_RATE_LIMIT=50/50 HYPE_TRUSTED_PROXIES=127.0.0.1 start_server
  wrk -t2 -c16 -d5s -H 'X-Forwarded-For: 203.0.113.7' "$url/ref/bench" > "$BENCH_DIR/wrk-limit.txt" & local load=$!
  sleep 1
  local other=0
  for _ in $(seq 20); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.8' "$url/ref/bench")" = 302 ] && other=$((other + 1))
  done
  wait "$load"
  kill "$pid"; wait "$pid" || true
  read -r requests non302 _ _ < <(wrk_summary "$BENCH_DIR/wrk-limit.txt")
  local found=$((requests - non302))
  # 50 a second for ~5 s plus the burst of 50, with slack for wrk's own timing.
  result "per-IP limit 50/s: one address's 302s in 5 s" "≤ 320" "$found (of $requests)" "$(verdict "[ $found -le 320 ]")"
  result "per-IP limit: another address meanwhile" "20 of 20 → 302" "$other of 20" "$(verdict "[ $other -eq 20 ]")"
}

outage() {
  local cluster; cluster=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$cluster" ]; then
    result "PostgreSQL outage" "quick 503, recovery ≤ 10 s" "no local cluster to stop" FAIL; return
  fi
  bench_db postgres hype_bench_outage; start_server
  wrk -t2 -c16 -d30s "$url/ref/bench" > "$BENCH_DIR/wrk-outage.txt" 2>&1 & local load=$!
  sleep 3
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main stop -m fast
  sleep 2
  local slowest=0 codes="" t code
  for _ in $(seq 10); do
    read -r code t < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$url/ref/bench")
    codes="$codes $code"
    slowest=$(awk -v a="$slowest" -v b="$t" 'BEGIN { print (b > a) ? b : a }')
  done
  local page; page=$(curl -s "$url/login")
  local page_ok=no; grep -q "Temporarily unavailable" <<<"$page" && page_ok=yes
  sleep 15
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
  local t0; t0=$(date +%s.%N) recovered=no
  for _ in $(seq 200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/ref/bench")" = 302 ] && { recovered=yes; break; }
    sleep 0.05
  done
  local took; took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  wait "$load" || true
  kill "$pid"; wait "$pid" || true
  local all503=yes; for c in $codes; do [ "$c" = 503 ] || all503=no; done
  result "PostgreSQL stopped: /ref answers, slowest" "all 503, ≤ 2 s" "$codes; ${slowest} s" \
    "$(verdict "[ $all503 = yes ] && awk 'BEGIN { exit !($slowest <= 2) }'")"
  result "PostgreSQL stopped: page says temporarily unavailable" "yes" "$page_ok" "$(verdict "[ $page_ok = yes ]")"
  result "PostgreSQL back: /ref 302 again after" "≤ 10 s" "$recovered, $took s" \
    "$(verdict "[ $recovered = yes ] && awk 'BEGIN { exit !($took <= 10) }'")"
}

sqlite() {
  local mnt="$BENCH_DIR/tmpfs"
  mkdir -p "$mnt"; umount "$mnt" 2>/dev/null || true
  mount -t tmpfs -o size=3m tmpfs "$mnt"
  export DATABASE_URL="sqlite://$mnt/full.db?mode=rwc"
  "$BIN" migrate >/dev/null; seed_link; start_server
  # Fill the disk: every answer must be a 302 (stored) or a 503 (not), never anything else.
  wrk -t2 -c16 -d8s "$url/ref/bench" > "$BENCH_DIR/wrk-full.txt" 2>&1 || true
  local full_code; full_code=$(curl -s -o /dev/null -w '%{http_code}' "$url/ref/bench")
  local alive=no; kill -0 "$pid" 2>/dev/null && alive=yes
  kill "$pid"; wait "$pid" || true
  # Read-only: a file system can't be remounted read-only under a writer, so the server starts
  # on one. It must either serve 503s or refuse to start with a clear message — never panic.
  mount -o remount,ro "$mnt"
  HYPE_ADDR=127.0.0.1:$port "$BIN" serve > "$BENCH_DIR/faults-ro.log" 2>&1 & pid=$!
  local ro="did not answer"
  for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then ro="exited: $(grep -i error "$BENCH_DIR/faults-ro.log" | head -n 1 | tr -d '\033' | cut -c1-120)"; break; fi
    if curl -s -o /dev/null "$url/ref/-"; then ro="/ref $(curl -s -o /dev/null -w '%{http_code}' "$url/ref/bench")"; break; fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  cat "$BENCH_DIR/faults-ro.log" >> "$BENCH_DIR/faults-server.log"
  local panics; panics=$(grep -c panicked "$BENCH_DIR/faults-server.log" || true)
  umount "$mnt" || true
  result "SQLite disk full: /ref answer, server alive" "503, yes" "$full_code, $alive" "$(verdict "[ $full_code = 503 ] && [ $alive = yes ]")"
  result "SQLite read-only: 503s or a clear refusal to start; panics" "no panic" "$ro; $panics panics" \
    "$(verdict "[ $panics -eq 0 ] && { [ \"$ro\" = '/ref 503' ] || [[ \"$ro\" == exited:* ]]; }")"
}

: > "$BENCH_DIR/faults-server.log"
for check in "${checks[@]}"; do "$check"; done
