#!/usr/bin/env bash
# Where the machine's CPU goes, per visit, under the load of target 1 (`wrk -t2 -c32`): nginx
# answering `return 302 /;`, hype redirecting an unknown identifier (nothing stored), and hype's
# `/ref` storing a hit on SQLite and on PostgreSQL. For each: requests per second, CPU time per
# request of the server, of the database server (PostgreSQL's processes), and of wrk itself
# (from /proc and the shell's `time`), and how idle the machine stayed.
#
# The targets are rates (SQLite ≥ 0.5 × nginx, PostgreSQL ≥ 0.25 × nginx); at a rate R the
# machine's cores give each visit cores ÷ R seconds of CPU. The last lines set that budget
# beside what one visit cost at the rate reached. Batches don't grow past the 32 visits in flight,
# so a faster rate would not make a commit cheaper per hit.
#
#   bench/cpu.sh            (DURATION=10s CONNECTIONS=32 to change the load)
source "$(dirname "$0")/lib.sh"
duration="${DURATION:-10s}"
conns="${CONNECTIONS:-32}"
need_tools
build_release
cores=$(nproc)
hz=$(getconf CLK_TCK)

ticks() { # pid… -> their user + system CPU time, in clock ticks (every thread, live or not)
  local total=0 pid u s
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    read -r u s < <(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12, $13 }')
    total=$(( total + u + s ))
  done
  echo "$total"
}

machine() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }

no_pids() { :; }
postgres_pids() { pgrep -x postgres || true; }

# One load: prints "rps server-µs db-µs wrk-µs idle-%" per request.
measure() { # url server-pids-command db-pids-command
  local url=$1 server=$2 db=$3 s0 d0 b0 i0 s1 d1 b1 i1 wrk_s requests rps
  s0=$(ticks $($server)) d0=$(ticks $($db))
  read -r b0 i0 < <(machine)
  wrk_s=$( { TIMEFORMAT='%3U %3S'; time wrk -t2 -c"$conns" -d"$duration" --latency "$url" \
    > "$BENCH_DIR/cpu-wrk.txt" 2>/dev/null; } 2>&1 | awk '{ print $1 + $2 }')
  s1=$(ticks $($server)) d1=$(ticks $($db))
  read -r b1 i1 < <(machine)
  read -r requests _ rps _ < <(wrk_summary "$BENCH_DIR/cpu-wrk.txt")
  awk -v n="$requests" -v rps="$rps" -v hz="$hz" -v s=$(( s1 - s0 )) -v d=$(( d1 - d0 )) \
    -v w="$wrk_s" -v busy=$(( b1 - b0 )) -v idle=$(( i1 - i0 )) 'BEGIN {
      printf "%d %.1f %.1f %.1f %.0f\n", rps, s * 1e6 / hz / n, d * 1e6 / hz / n, w * 1e6 / n,
        100 * idle / (busy + idle) }'
}

row() { # label "rps server db wrk idle"
  read -r rps s d w idle <<< "$2"
  local total
  total=$(awk -v s="$s" -v d="$d" -v w="$w" 'BEGIN { printf "%.1f", s + d + w }')
  echo "| $1 | $rps | $s | $d | $w | $total | $idle % |"
}

nginx_start
nginx=$(measure http://127.0.0.1:3390/ref/bench "pgrep -x nginx" no_pids)
nginx_stop
nginx_rps=${nginx%% *}

server_pid() { echo "$pid"; }
declare -A ref
for kind in sqlite postgres; do
  bench_db "$kind" hype_bench_cpu
  serve_on 3391
  if [ "$kind" = sqlite ]; then
    nohit=$(measure http://127.0.0.1:3391/ref/no-such-link server_pid no_pids)
    db=no_pids
  else
    db=postgres_pids
  fi
  ref[$kind]=$(measure http://127.0.0.1:3391/ref/bench server_pid $db)
  kill -TERM "$pid"
  wait "$pid" || true
done

echo
echo "CPU time per request in µs ($cores cores; wrk -t2 -c$conns -d$duration)"
echo
echo "| load | req/s | server | database | wrk | all three | machine idle |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
row "nginx \`return 302 /;\`" "$nginx"
row "hype, \`/ref\` to an unknown link (no hit)" "$nohit"
row "hype, \`/ref\` on SQLite" "${ref[sqlite]}"
row "hype, \`/ref\` on PostgreSQL" "${ref[postgres]}"
echo
for kind in sqlite postgres; do
  if [ "$kind" = sqlite ]; then share=0.5; else share=0.25; fi
  read -r rps s d w _ <<< "${ref[$kind]}"
  awk -v kind="$kind" -v share="$share" -v nginx="$nginx_rps" -v cores="$cores" -v rps="$rps" \
    -v s="$s" -v d="$d" -v w="$w" 'BEGIN {
      target = share * nginx; budget = cores * 1e6 / target; spent = s + d + w
      printf "%s: the target, %s × nginx, is %.0f req/s, at which %d cores give each visit %.1f µs of CPU;" \
        " at %d req/s a visit took %.1f µs (hype %.1f, database %.1f, wrk %.1f): %s.\n",
        kind, share, target, cores, budget, rps, spent, s, d, w,
        (spent > budget ? sprintf("%.2f times the budget", spent / budget) : "within it") }'
done
