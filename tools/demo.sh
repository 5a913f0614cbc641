#!/usr/bin/env bash
# The main job, run by `tools/run demo` after the build: the seed's tax_calc release, end to end,
# on an embedded ledger under ./var/demo. Safe to run again: it starts from a fresh ledger.
set -euo pipefail
cd "$(dirname "$0")/.."
DVS="$PWD/build/tools/dvs"
DEMO="$PWD/var/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO/keys"
export DVS_LEDGER="$DEMO/ledger"
if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() { printf '$ dvs %s\n' "$*"; "$DVS" "$@"; }

say "Keys for every role (secret files mode 0600, .pub beside them)"
for who in root governance publisher release-admin observer controller; do
  printf '%-14s %s\n' "$who" "$("$DVS" keygen --out "$DEMO/keys/$who.key")"
done

say "A new ledger, signed by root; the other keys get their roles"
run init --root-key "$DEMO/keys/root.key" --name irs-prod
export DVS_KEY="$DEMO/keys/root.key"
run key grant governance --pub "$DEMO/keys/governance.key.pub" --role governance
run key grant publisher --pub "$DEMO/keys/publisher.key.pub" --role publisher
run key grant release-admin --pub "$DEMO/keys/release-admin.key.pub" --role release_admin
run key grant observer --pub "$DEMO/keys/observer.key.pub" --role observer
run key grant controller --pub "$DEMO/keys/controller.key.pub" --role controller
run policy set tools/demo/policy.yaml
unset DVS_KEY
K="$DEMO/keys"

say "tax_calc 8.7: package, approve, first release (straight to 100 %)"
V87=$("$DVS" package tools/demo/tax_calc-8.7.yaml --key "$K/publisher.key"); echo "bundle $V87"
run approve "$V87" --key "$K/governance.key"
run deploy "$V87" --key "$K/release-admin.key"
run observe "$V87" --metric error_rate=0.05 --metric latency_ms=150 --samples 1000 --key "$K/observer.key"

say "tax_calc 9.0: a 5 % canary that ramps by itself while metrics stay healthy"
V90=$("$DVS" package tools/demo/tax_calc-9.0.yaml --key "$K/publisher.key"); echo "bundle $V90"
run approve "$V90" --key "$K/governance.key"
run deploy "$V90" --key "$K/release-admin.key"
for _ in 1 2 3 4 5 6; do
  sleep 1.05  # the manifest's interval between steps, in ledger time
  "$DVS" observe "$V90" --metric error_rate=0.03 --metric latency_ms=110 --samples 200 --key "$K/observer.key" >/dev/null
  run tick tax_calc --key "$K/controller.key"
done
run routes

say "tax_calc 9.1: a latency regression; the controller rolls it back, no engineer woken"
V91=$("$DVS" package tools/demo/tax_calc-9.1.yaml --key "$K/publisher.key"); echo "bundle $V91"
run approve "$V91" --key "$K/governance.key"
run deploy "$V91" --key "$K/release-admin.key"
sleep 1.05
"$DVS" observe "$V91" --metric error_rate=0.02 --metric latency_ms=120 --samples 200 --key "$K/observer.key" >/dev/null
run tick tax_calc --key "$K/controller.key"
"$DVS" observe "$V91" --metric error_rate=0.02 --metric latency_ms=450 --samples 300 --key "$K/observer.key" >/dev/null
run tick tax_calc --key "$K/controller.key"

say "Where traffic goes now"
run routes
run status "$V91"

say "tax_calc's history"
run history tax_calc

say "Audit: every rollback of tax_calc, who signed it and on what evidence"
run audit --service tax_calc --type rollback

say "The release controller: dvs serve watches, decides and drives the router on its own"
ROUTES="$DEMO/routes.json"
"$DVS" serve --listen 127.0.0.1:0 --controller-key "$K/controller.key" --tick 1s \
  --router "file:$ROUTES" >"$DEMO/serve.out" 2>"$DEMO/serve.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$DEMO/serve.out" 2>/dev/null && break; sleep 0.05; done
cat "$DEMO/serve.out"
export DVS_SERVER
DVS_SERVER=$(grep -o 'http://[0-9.:]*' "$DEMO/serve.out")
echo "(from here on every command goes through \$DVS_SERVER=$DVS_SERVER, signed on this side)"
V92=$("$DVS" package tools/demo/tax_calc-9.2.yaml --key "$K/publisher.key"); echo "bundle $V92"
run approve "$V92" --key "$K/governance.key"
run deploy "$V92" --key "$K/release-admin.key"
for _ in $(seq 40); do grep -q "$V92" "$ROUTES" && break; sleep 0.05; done
printf 'router table now: %s\n' "$(cat "$ROUTES")"
printf '$ dvs observe %s --metric error_rate=2.5 ... (errors spike: no tick, no engineer)\n' "$V92"
"$DVS" observe "$V92" --metric error_rate=2.5 --metric latency_ms=130 --samples 400 --key "$K/observer.key" >/dev/null
run status "$V92"
for _ in $(seq 40); do grep -q "$V92" "$ROUTES" || break; sleep 0.05; done  # the router's thread
printf 'router table now: %s\n' "$(cat "$ROUTES")"
echo "server log:"; sed 's/^/  /' "$DEMO/serve.log"
kill -TERM "$SERVER_PID"
STOPPED=0; wait "$SERVER_PID" || STOPPED=$?
trap - EXIT
echo "dvs serve stopped on SIGTERM (exit $STOPPED)"
[ "$STOPPED" -eq 0 ]
