#!/usr/bin/env bash
# Property-based tests of /api/v1 from its OpenAPI document: schemathesis (from PyPI, in a
# virtualenv under target/tools) generates valid and invalid requests for every operation for
# MAX_TIME seconds (120) against a site with referrals, links and external users, and fails on
# any 5xx or any answer outside the document's schemas.
#
#   end2end/api-fuzz.sh     (BIN=path/to/hype-server; default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-$PWD/target/release/hype-server}"
VENV="$PWD/target/tools/venv"
SCHEMATHESIS_VERSION=4.32.5
if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
export DATABASE_URL="sqlite://$dir/hype.db?mode=rwc" HYPE_ADDR=127.0.0.1:3395 \
  HYPE_AUTO_CONFIRM=conversion HYPE_API_REQUESTS_PER_KEY=off RUST_LOG=warn \
  HYPE_ALLOWED_REDIRECT_HOSTS=shop.example.com LEPTOS_SITE_ROOT="$PWD/target/site"
SITE=http://127.0.0.1:3395

HYPE_PASSWORD=alice-password "$BIN" create-user alice >/dev/null
"$BIN" create-link alice spring >/dev/null
"$BIN" serve 2>"$dir/server.log" &
pid=$!
for _ in $(seq 200); do curl -s -o /dev/null "$SITE/ref/-" && break; sleep 0.05; done
for n in 1 2 3; do
  curl -s -c "$dir/jar$n" -o /dev/null "$SITE/ref/spring"
  curl -sf -b "$dir/jar$n" -H 'Accept: application/json' \
    -d "username=friend$n&password=friend-password&email=" "$SITE/api/signup" >/dev/null
done
KEY=$("$BIN" create-api-key fuzz | tail -n 1)
curl -sf -X PUT "$SITE/api/v1/users/cust_1" -H "Authorization: Bearer $KEY" \
  -H 'Content-Type: application/json' -d '{"username": "shopper"}' >/dev/null

"$VENV/bin/st" run "$SITE/api/v1/openapi.json" \
  --header "Authorization: Bearer $KEY" \
  --checks not_a_server_error,response_schema_conformance \
  --max-time "${MAX_TIME:-120}" --workers 1 --request-timeout 10 --no-color
if grep -q 'panicked' "$dir/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 'panicked' "$dir/server.log" >&2
  exit 1
fi
