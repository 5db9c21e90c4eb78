#!/usr/bin/env bash
# The README's API walkthrough, run as written against a fresh site: an API key from the
# command line, a conversion for a referred customer, and their referral confirmed by it
# (HYPE_AUTO_CONFIRM=conversion). Fails on any unexpected answer.
#
#   end2end/api-walkthrough.sh     (BIN=path/to/hype-server; default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-$PWD/target/release/hype-server}"
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
export DATABASE_URL="sqlite://$dir/hype.db?mode=rwc" HYPE_ADDR=127.0.0.1:3393 \
  HYPE_AUTO_CONFIRM=conversion RUST_LOG=warn LEPTOS_SITE_ROOT="$PWD/target/site"
SITE=http://127.0.0.1:3393

# A site with a referrer and their link, and a friend who follows it and signs up.
HYPE_PASSWORD=admin-password "$BIN" create-user root --admin >/dev/null
HYPE_PASSWORD=alice-password "$BIN" create-user alice >/dev/null
"$BIN" create-link alice spring >/dev/null
"$BIN" serve 2>"$dir/server.log" &
pid=$!
for _ in $(seq 200); do curl -s -o /dev/null "$SITE/ref/-" && break; sleep 0.05; done
curl -s -c "$dir/jar" -o /dev/null "$SITE/ref/spring"
curl -sf -b "$dir/jar" -H 'Accept: application/json' \
  -d 'username=bob&password=bob-password&email=' "$SITE/api/signup" >/dev/null

# The walkthrough, as the README shows it.
KEY=$("$BIN" create-api-key "Shop backend" --scopes conversions:write,referrals:read | tail -n 1)
curl -sf -X POST "$SITE/api/v1/conversions" \
  -H "Authorization: Bearer $KEY" -H "Idempotency-Key: order-1001" \
  -H 'Content-Type: application/json' \
  -d '{"customer": {"username": "bob"}, "event": "purchase", "amount": 4900, "currency": "EUR"}' \
  > "$dir/conversion.json"
id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["referral"]["id"])' "$dir/conversion.json")
curl -sf "$SITE/api/v1/referrals/$id" -H "Authorization: Bearer $KEY" > "$dir/referral.json"

python3 - "$dir/conversion.json" "$dir/referral.json" <<'PY'
import json, sys
conversion, referral = (json.load(open(p)) for p in sys.argv[1:])
assert conversion["referral"]["confirmed_by_this_conversion"] is True, conversion
assert referral["status"] == "confirmed" and referral["referrer"] == "alice", referral
assert [c["event"] for c in referral["conversions"]] == ["purchase"], referral
print("API walkthrough: referral %d of bob confirmed by its conversion" % referral["id"])
PY
