#!/usr/bin/env bash
# What one commit of the hit writer costs, inside hype and outside it, on this machine now: the
# figures behind the README's "why the ratio targets are out of reach".
#
# For batches of 1, 8, 16 and 32 hits (SIZES to change), one table:
# - the disk: a 4 KB write and its fdatasync (what each durable commit waits for at least);
# - SQLite alone: Python's sqlite3 on a database `hype-server migrate` made, running the
#   statements the writer sends (one multi-row INSERT of the hits, the day's count, the new
#   visitors and the people count, in one BEGIN IMMEDIATE … COMMIT), synchronous=FULL; and
#   the pages each commit writes to the WAL (4 KB each: a figure that, unlike the times, does
#   not move with the machine's load);
# - bare table: the same hits into a copy of the table without its indexes, keys or totals
#   (what storing them durably costs before anything the dashboard needs);
# - PostgreSQL alone: pgbench, one client, running the writer's one statement (the same
#   data-modifying CTEs, rows made by generate_series instead of bound parameters);
# - hype: the writer's own timings (RUST_LOG=hype::writer=debug) under `wrk -c<size>`, the
#   median of the batches of the commonest size (in brackets).
# Medians in microseconds. With 32 connections each commit answers at most 32 visits, so
# 32 ÷ (the 32-hit commit) is the most req/s any HTTP front could reach at that commit cost:
# the last line prints that ceiling, and its ratio to nginx answering `return 302 /;` (the
# targets are ratios: SQLite ≥ 0.5, PostgreSQL ≥ 0.25).
#
#   bench/floor.sh            (SIZES="1 32" SECONDS_EACH=4 to change)
source "$(dirname "$0")/lib.sh"
sizes="${SIZES:-1 8 16 32}"
seconds="${SECONDS_EACH:-4}"
need_tools
build_release
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -1 || true)
[ -n "$pgbench" ] || { echo "pgbench not found (Debian's postgresql package has it)" >&2; exit 1; }

wrk_nginx 32 10s "$BENCH_DIR/floor-nginx.txt"
read -r _ _ nginx_rps _ < <(wrk_summary "$BENCH_DIR/floor-nginx.txt")

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

fsync_us=$(python3 - "$BENCH_DIR/floor-fsync.bin" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
times = []
for _ in range(400):
    os.write(fd, b"x" * 4096)
    start = time.perf_counter()
    os.fdatasync(fd)
    times.append(time.perf_counter() - start)
os.close(fd)
os.unlink(sys.argv[1])
print(round(sorted(times)[len(times) // 2] * 1e6))
PY
)

# SQLite alone, on hype's schema, and into the bare table: one line per size, "size median
# bare-median pages-per-commit".
bench_db sqlite hype_bench_floor
sqlite_url=$DATABASE_URL
declare -A sqlite_alone sqlite_bare sqlite_pages
cat > "$BENCH_DIR/floor-sqlite.py" <<'PY'
import datetime, os, sqlite3, sys, time

path = sys.argv[1].split("://", 1)[1].split("?", 1)[0]
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA foreign_keys=ON")
db.execute("PRAGMA temp_store=MEMORY")
link = db.execute("SELECT id FROM referral_links WHERE identifier = 'bench'").fetchone()[0]
clock = [time.time_ns() // 1_000_000]

def uuid7():
    # Time-ordered like the writer's ids (Uuid::now_v7): milliseconds, then random bits.
    clock[0] = max(clock[0] + 1, time.time_ns() // 1_000_000)
    return (clock[0].to_bytes(6, "big") + os.urandom(10))

db.execute("CREATE TABLE floor_bare AS SELECT * FROM referral_hits WHERE 0")

def batch(n, bare=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
    rows = [(uuid7(), link, uuid7(), 0, None, "127.0.0.1", "wrk", "", "", None, stamp, stamp)
            for _ in range(n)]
    visitors = [row[2] for row in rows]
    start = time.perf_counter()
    table = "floor_bare" if bare else "referral_hits"
    db.execute("BEGIN IMMEDIATE")
    db.execute(
        f"INSERT INTO {table} (id, referral_link_id, visitor_id, authenticated, hit_user_id, ip,"
        " user_agent, http_referer, next, confirmed, created_at, updated_at) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * n),
        [value for row in rows for value in row])
    if bare:
        db.execute("COMMIT")
        return time.perf_counter() - start
    db.execute(
        "INSERT INTO hit_days (day, hits) VALUES (?, ?) ON CONFLICT (day)"
        " DO UPDATE SET hits = hit_days.hits + excluded.hits",
        (now.strftime("%Y-%m-%d"), n))
    db.execute(
        "INSERT INTO site_visitors (visitor_id) VALUES "
        + ", ".join(["(?)"] * n) + " ON CONFLICT (visitor_id) DO NOTHING", visitors)
    db.execute("UPDATE site_counts SET value = value + changes() WHERE name = 'people'")
    db.execute("COMMIT")
    return time.perf_counter() - start

for _ in range(300):
    batch(16)
def pages_per_commit(n):
    # Checkpoints off meanwhile (not while timing), so the WAL's frames are what the commits
    # wrote; RESTART reuses the WAL file from its start without shrinking it (a file that grows
    # makes each fsync slower, which would skew the times measured after).
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("PRAGMA wal_checkpoint(RESTART)")
    for _ in range(100):
        batch(n)
    frames = db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[1]
    db.execute("PRAGMA wal_autocheckpoint=1000")
    return frames / 100

for n in map(int, sys.argv[2:]):
    times = sorted(batch(n) for _ in range(400))
    pages = pages_per_commit(n)
    bare = sorted(batch(n, bare=True) for _ in range(400))
    print(n, round(times[len(times) // 2] * 1e6), round(bare[len(bare) // 2] * 1e6), f"{pages:.1f}")
PY
while read -r size us bare pages; do
  sqlite_alone[$size]=$us sqlite_bare[$size]=$bare sqlite_pages[$size]=$pages
done \
  < <(python3 "$BENCH_DIR/floor-sqlite.py" "$sqlite_url" $sizes)

# PostgreSQL alone, on hype's schema.
bench_db postgres hype_bench_floor
pg_url=$DATABASE_URL
link_id=$(sql "$pg_url" "SELECT id FROM referral_links WHERE identifier = 'bench'")
sql "$pg_url" "CREATE TABLE floor_bare (LIKE referral_hits)" >/dev/null
pgbench_median() { # script -> the median transaction time in µs, one client for $seconds s
  "$pgbench" -n -c1 -T"$seconds" -M prepared -f "$1" -l --log-prefix="$BENCH_DIR/floor-pgbench" \
    "$pg_url" >/dev/null
  cat "$BENCH_DIR"/floor-pgbench.* | awk '{ print $3 }' | median
  rm -f "$BENCH_DIR"/floor-pgbench.*
}
declare -A pg_alone pg_bare
for size in $sizes; do
  # $size time-ordered ids (microseconds, then the row's number), like the writer's.
  ids="SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 16, '0')
    || lpad(to_hex(g), 16, '0'))::uuid AS id FROM generate_series(1, $size) g"
  cat > "$BENCH_DIR/floor.sql" <<SQL
WITH ids AS ($ids), new_hits AS (
  INSERT INTO referral_hits (id, referral_link_id, visitor_id, authenticated, hit_user_id, ip,
    user_agent, http_referer, next, confirmed, created_at, updated_at)
  SELECT id, $link_id, id, false, NULL, '127.0.0.1', 'wrk', '', '', NULL, now(), now() FROM ids
), new_days AS (
  INSERT INTO hit_days (day, hits) VALUES (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'), $size)
  ON CONFLICT (day) DO UPDATE SET hits = hit_days.hits + excluded.hits
), new_visitors AS (
  INSERT INTO site_visitors (visitor_id) SELECT id FROM ids
  ON CONFLICT (visitor_id) DO NOTHING RETURNING 1
)
UPDATE site_counts SET value = site_counts.value + (SELECT COUNT(*) FROM new_visitors)
WHERE name = 'people';
SQL
  pg_alone[$size]=$(pgbench_median "$BENCH_DIR/floor.sql")
  cat > "$BENCH_DIR/floor-bare.sql" <<SQL
INSERT INTO floor_bare (id, referral_link_id, visitor_id, authenticated, hit_user_id, ip,
  user_agent, http_referer, next, confirmed, created_at, updated_at)
SELECT id, $link_id, id, false, NULL, '127.0.0.1', 'wrk', '', '', NULL, now(), now()
FROM ($ids) ids;
SQL
  pg_bare[$size]=$(pgbench_median "$BENCH_DIR/floor-bare.sql")
done

# hype: the writer's timings under load with as many connections as the batch size.
declare -A hype_sqlite hype_pg
for kind in sqlite postgres; do
  bench_db "$kind" hype_bench_floor_hype
  for size in $sizes; do
    NO_COLOR=1 RUST_LOG=error,hype::writer=debug HYPE_ADDR=127.0.0.1:3392 "$BIN" serve \
      > "$BENCH_DIR/floor-serve.log" 2>&1 & pid=$!
    wait_port 3392
    wrk -t1 -c"$size" -d"${seconds}s" http://127.0.0.1:3392/ref/bench >/dev/null
    kill -TERM "$pid"
    wait "$pid" || true
    sed 's/\x1b\[[0-9;]*m//g' "$BENCH_DIR/floor-serve.log" | awk '/stored a batch of hits/ {
        for (i = 1; i <= NF; i++) { if ($i ~ /^hits=/) h = substr($i, 6); if ($i ~ /^micros=/) m = substr($i, 8) }
        print h, m }' > "$BENCH_DIR/floor-batches.txt"
    # The commonest batch size (one visit is usually between two trips: 7 of 8, 30 of 32).
    common=$(awk '{ print $1 }' "$BENCH_DIR/floor-batches.txt" | sort -n | uniq -c | sort -rn \
      | awk 'NR == 1 { print $2 }')
    us="$(awk -v n="$common" '$1 == n { print $2 }' "$BENCH_DIR/floor-batches.txt" | median) $common"
    if [ "$kind" = sqlite ]; then hype_sqlite[$size]=$us; else hype_pg[$size]=$us; fi
  done
done

echo
echo "Commit cost, median µs (fdatasync of a 4 KB write on this disk: ${fsync_us} µs)"
echo
echo "| hits per commit | SQLite, bare table | SQLite alone (pages written) | hype on SQLite | PostgreSQL, bare table | PostgreSQL alone | hype on PostgreSQL |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for size in $sizes; do
  read -r hs hs_n <<< "${hype_sqlite[$size]}"
  read -r hp hp_n <<< "${hype_pg[$size]}"
  echo "| $size | ${sqlite_bare[$size]} | ${sqlite_alone[$size]} (${sqlite_pages[$size]}) | $hs ($hs_n) | ${pg_bare[$size]} | ${pg_alone[$size]} | $hp ($hp_n) |"
done
last=${sizes##* }
ceiling() { # commit µs, hits per commit -> "req/s (ratio to nginx)"
  [[ "$1" =~ ^[0-9]+$ ]] || { echo -; return; }
  local rps=$(( $2 * 1000000 / $1 ))
  echo "$rps ($(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }'))"
}
read -r hs hs_n <<< "${hype_sqlite[$last]}"
read -r hp hp_n <<< "${hype_pg[$last]}"
echo
echo "nginx \`return 302\` answers $nginx_rps req/s (wrk -t2 -c32). Visits answered per second if" \
  "every commit held as many as above and HTTP cost nothing, and that as a ratio to nginx:" \
  "SQLite bare $(ceiling "${sqlite_bare[$last]}" "$last"), alone $(ceiling "${sqlite_alone[$last]}" "$last")," \
  "hype $(ceiling "$hs" "$hs_n"); PostgreSQL bare $(ceiling "${pg_bare[$last]}" "$last")," \
  "alone $(ceiling "${pg_alone[$last]}" "$last"), hype $(ceiling "$hp" "$hp_n")."
