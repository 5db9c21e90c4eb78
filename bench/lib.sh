# Shared by the bench scripts: paths, the release binary, waiting for a port, results rows.
# shellcheck shell=bash
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BENCH_DIR="$PWD/target/bench"
BIN="${BIN:-$PWD/target/release/hype-server}"
RESULTS="${RESULTS:-$BENCH_DIR/results.tsv}"
PG_ADMIN_URL="${HYPE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
mkdir -p "$BENCH_DIR"
export RUST_LOG="${RUST_LOG:-error}"

need_tools() { # wrk and nginx from Debian when missing
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v psql >/dev/null || missing+=(postgresql-client)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

build_release() { # unless BIN names another binary (an older build, to compare)
  [ "$BIN" = "$PWD/target/release/hype-server" ] || return 0
  cargo build --release --locked -p hype-server
}

wait_port() { # port [seconds]: until something answers HTTP there
  local port=$1 tries=$(( ${2:-30} * 20 ))
  for _ in $(seq "$tries"); do
    curl -s -o /dev/null "http://127.0.0.1:$port/ref/-" && return 0
    sleep 0.05
  done
  echo "nothing answered on port $port" >&2
  return 1
}

# A fresh database for one run: an SQLite file under target/bench, or a PostgreSQL database.
fresh_db() { # kind name -> prints DATABASE_URL
  local kind=$1 name=$2
  if [ "$kind" = sqlite ]; then
    rm -f "$BENCH_DIR/$name.db" "$BENCH_DIR/$name.db-wal" "$BENCH_DIR/$name.db-shm"
    echo "sqlite://$BENCH_DIR/$name.db?mode=rwc"
  else
    psql "$PG_ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
    psql "$PG_ADMIN_URL" -qAtc "CREATE DATABASE \"$name\"" >/dev/null
    echo "${PG_ADMIN_URL%/*}/$name"
  fi
}

# A user and a link `bench` on DATABASE_URL (sending visitors to BENCH_DESTINATION when set,
# a URL on one of HYPE_ALLOWED_REDIRECT_HOSTS).
seed_link() {
  HYPE_PASSWORD=bench-password "$BIN" create-user bench-owner >/dev/null
  "$BIN" create-link bench-owner bench ${BENCH_DESTINATION:+--destination "$BENCH_DESTINATION"} >/dev/null
}

# A fresh database, migrated and holding the link `bench`, as DATABASE_URL (exported).
bench_db() { # kind name
  export DATABASE_URL
  DATABASE_URL=$(fresh_db "$1" "$2")
  "$BIN" migrate >/dev/null
  seed_link
}

# hype-server on DATABASE_URL, answering on the port once this returns; sets pid.
serve_on() { # port [file its stderr is appended to]
  if [ -n "${2:-}" ]; then
    HYPE_ADDR="127.0.0.1:$1" "$BIN" serve 2>>"$2" &
  else
    HYPE_ADDR="127.0.0.1:$1" "$BIN" serve &
  fi
  pid=$!
  wait_port "$1"
}

sql() { # DATABASE_URL query -> the first column of the first row
  local url=$1 query=$2
  if [[ "$url" == postgres* ]]; then
    psql "$url" -qAtc "$query"
  else
    python3 - "$url" "$query" <<'PY'
import sqlite3, sys
path = sys.argv[1].split("://", 1)[1].split("?", 1)[0]
print(sqlite3.connect(path).execute(sys.argv[2]).fetchone()[0])
PY
  fi
}

hit_rows() { sql "$1" 'SELECT COUNT(*) FROM referral_hits'; }

rss_mb() { # pid [field]: VmRSS (or VmHWM, the peak) in MB
  awk -v f="${2:-VmRSS}:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

# wrk's summary -> "requests non302 rps p99ms" (only 302 and errors are possible on /ref).
wrk_summary() { # file
  awk '
    / requests in / { req = $1 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Requests\/sec:/ { rps = $2 }
    $1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } p99 = v }
    END { printf "%d %d %.0f %.2f\n", req, bad + 0, rps, p99 }' "$1"
}

# nginx answering `return 302 /;` on port 3390 (the reference for /ref), stopped on exit.
nginx_start() {
  cat > "$BENCH_DIR/nginx.conf" <<CONF
worker_processes auto;
pid $BENCH_DIR/nginx.pid;
error_log $BENCH_DIR/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:3390; location / { return 302 /; } }
}
CONF
  /usr/sbin/nginx -c "$BENCH_DIR/nginx.conf"
  trap nginx_stop EXIT
  wait_port 3390
}

nginx_stop() {
  /usr/sbin/nginx -c "$BENCH_DIR/nginx.conf" -s stop 2>/dev/null || true
  trap - EXIT
}

# wrk against that nginx, its output to a file.
wrk_nginx() { # connections duration file
  nginx_start
  wrk -t2 -c"$1" -d"$2" --latency http://127.0.0.1:3390/ref/bench > "$3"
  nginx_stop
}

# One row of the results table.
result() { # figure target measured pass|FAIL
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" | tee -a "$RESULTS"
}

verdict() { if eval "$1"; then echo pass; else echo FAIL; fi; }
