#!/usr/bin/env bash
# Target 1: `/ref` throughput against nginx answering `return 302 /;`, measured in one run with
# `wrk -t2 -c32 -d10s` (keep-alive), on SQLite and on PostgreSQL; p99, answers other than 302,
# hits stored vs. 302s seen, and the server's memory idle and under that load. For reference
# on SQLite: an unknown link (nothing stored) and a returning visitor (a signed cookie).
#
#   bench/ref.sh            (DURATION=10s CONNECTIONS=32 to change the load)
source "$(dirname "$0")/lib.sh"
duration="${DURATION:-10s}"
conns="${CONNECTIONS:-32}"
BROWSER_AGENT='Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36'
need_tools
build_release

# nginx: the bare redirect.
wrk_nginx "$conns" "$duration" "$BENCH_DIR/wrk-nginx.txt"
read -r _ _ nginx_rps nginx_p99 < <(wrk_summary "$BENCH_DIR/wrk-nginx.txt")
result "nginx return 302, req/s (p99 ${nginx_p99} ms)" "reference" "$nginx_rps" pass

for kind in sqlite postgres; do
  bench_db "$kind" hype_bench_ref
  serve_on 3391
  idle=$(rss_mb "$pid")
  if [ "$kind" = sqlite ]; then
    # The same stack answering a redirect that stores nothing (an unknown identifier): how
    # close to nginx hype's HTTP side alone gets, before any hit is written.
    wrk -t2 -c"$conns" -d"$duration" --latency http://127.0.0.1:3391/ref/no-such-link > "$BENCH_DIR/wrk-nohit.txt"
    read -r _ _ bare_rps bare_p99 < <(wrk_summary "$BENCH_DIR/wrk-nohit.txt")
    ratio=$(awk -v a="$bare_rps" -v b="$nginx_rps" 'BEGIN { printf "%.3f", a / b }')
    result "/ref to an unknown link, no hit stored, req/s (p99 ${bare_p99} ms)" "reference" "$bare_rps ($ratio)" pass
    # A returning visitor: the signed visitor cookie among a browser's usual others, so the
    # cookie is parsed and its signature checked on every visit.
    visitor=$(curl -s -o /dev/null -D - http://127.0.0.1:3391/ref/bench | tr -d '\r' \
      | sed -n 's/^[Ss]et-[Cc]ookie: \(hype_rk=[^;]*\).*/\1/p')
    wrk -t2 -c"$conns" -d"$duration" --latency \
      -H "Cookie: _ga=GA1.2.1234567890.1700000000; theme=dark; lang=en-GB; $visitor; consent=yes" \
      http://127.0.0.1:3391/ref/bench > "$BENCH_DIR/wrk-returning.txt"
    read -r _ bad_returning returning_rps returning_p99 < <(wrk_summary "$BENCH_DIR/wrk-returning.txt")
    result "/ref on sqlite, a returning visitor, req/s (p99 ${returning_p99} ms)" "reference" \
      "$returning_rps" "$(verdict "[ -n '$visitor' ] && [ $bad_returning -eq 0 ]")"
  fi
  before=$(hit_rows "$DATABASE_URL")
  # A phone's browser: every visit's User-Agent is checked against the bot list.
  wrk -t2 -c"$conns" -d"$duration" --latency -H "User-Agent: $BROWSER_AGENT" \
    http://127.0.0.1:3391/ref/bench > "$BENCH_DIR/wrk-$kind.txt"
  read -r requests non302 rps p99 < <(wrk_summary "$BENCH_DIR/wrk-$kind.txt")
  peak=$(rss_mb "$pid" VmHWM)
  kill -TERM "$pid"; wait "$pid" || true
  added=$(( $(hit_rows "$DATABASE_URL") - before ))
  found=$(( requests - non302 ))
  if [ "$kind" = sqlite ]; then share=0.5; else share=0.25; fi
  ratio=$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { printf "%.3f", a / b }')
  result "/ref on $kind, req/s (ratio to nginx)" "≥ $share × nginx" "$rps ($ratio)" \
    "$(verdict "awk 'BEGIN { exit !($ratio >= $share) }'")"
  result "/ref on $kind, p99" "≤ 10 ms" "$p99 ms" "$(verdict "awk 'BEGIN { exit !($p99 <= 10) }'")"
  result "/ref on $kind, answers other than 302" "0" "$non302" "$(verdict "[ $non302 -eq 0 ]")"
  # wrk stops counting with up to CONNECTIONS requests in flight, whose hits may be stored.
  result "/ref on $kind, hits stored − 302s seen" "0 … $conns (in flight at the end)" \
    "$(( added - found )) ($added − $found)" "$(verdict "[ $(( added - found )) -ge 0 ] && [ $(( added - found )) -le $conns ]")"
  result "server RSS on $kind, idle / peak under load" "≤ 50 MB / ≤ 200 MB" "$idle / $peak MB" \
    "$(verdict "[ $idle -le 50 ] && [ $peak -le 200 ]")"
done
