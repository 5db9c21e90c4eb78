#!/usr/bin/env bash
# Log-in flood: LOGINS (400) clients log in with made-up names, each again as soon as it is
# answered, while wrk (-t2 -c32) runs on `/ref` for DURATION (10s). Every log-in costs an
# argon2 hash (about 19 MiB) unless it is refused first, so without a bound this takes
# gigabytes and the cores. Targets: the server's peak RSS under 300 MB and `/ref`'s p99 under
# 50 ms. The per-address failure throttle is off here (HYPE_LOGIN_FAILURES_PER_ADDRESS=off), as
# for a flood spread over many addresses, so the hash bound alone holds the line.
#
#   bench/login-flood.sh        (DURATION=6s for the short version `make test` runs;
#                                NO_BUILD=1 to use target/release/hype-server as it is)
source "$(dirname "$0")/lib.sh"
duration="${DURATION:-10s}"
logins="${LOGINS:-400}"
command -v wrk >/dev/null || need_tools
[ -n "${NO_BUILD:-}" ] || build_release

bench_db sqlite hype_bench_login
# Its log (a 503 is logged per refused log-in) goes to a file, not the terminal.
HYPE_LOGIN_FAILURES_PER_ADDRESS=off serve_on 3392 "$BENCH_DIR/login-flood-server.log"
seconds=${duration%s}
# The flood starts a second before wrk and ends with it: wrk measures /ref under a flood in
# full swing, not the second in which 400 clients connect at once.
python3 - "$logins" "$(( seconds + 1 ))" > "$BENCH_DIR/login-flood.txt" <<'PY' &
import http.client, sys, threading, time, uuid, collections
clients, seconds = int(sys.argv[1]), float(sys.argv[2])
deadline = time.monotonic() + seconds
counts = collections.Counter()
lock = threading.Lock()
start = threading.Barrier(clients)
def flood():
    start.wait()
    while time.monotonic() < deadline:
        body = "username=u%s&password=not-the-password" % uuid.uuid4().hex[:12]
        try:
            conn = http.client.HTTPConnection("127.0.0.1", 3392, timeout=30)
            conn.request("POST", "/api/login", body, {
                "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
            status = conn.getresponse().status
            conn.close()
        except Exception as e:
            status = "error:" + type(e).__name__
        with lock:
            counts[status] += 1
threads = [threading.Thread(target=flood) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print(" ".join("%s=%d" % (k, v) for k, v in sorted(counts.items(), key=str)))
PY
flood=$!
sleep 1
wrk -t2 -c32 -d"$duration" --latency http://127.0.0.1:3392/ref/bench > "$BENCH_DIR/wrk-login-flood.txt"
wait "$flood"
peak=$(rss_mb "$pid" VmHWM)
kill -TERM "$pid"; wait "$pid" || true
read -r _ non302 rps p99 < <(wrk_summary "$BENCH_DIR/wrk-login-flood.txt")
answers=$(cat "$BENCH_DIR/login-flood.txt")
result "log-in flood ($logins clients, $duration): answers" "401 or 503, no error" "$answers" \
  "$(verdict "! grep -q error <<< '$answers'")"
result "log-in flood: server peak RSS" "< 300 MB" "$peak MB" "$(verdict "[ $peak -lt 300 ]")"
result "log-in flood: /ref p99 (req/s $rps)" "< 50 ms" "$p99 ms" \
  "$(verdict "awk 'BEGIN { exit !($p99 < 50) }'")"
result "log-in flood: /ref answers other than 302" "0" "$non302" "$(verdict "[ $non302 -eq 0 ]")"
! grep -q 'FAIL$' <(tail -n 4 "$RESULTS")
