#!/usr/bin/env bash
# The PostgreSQL peer of the ledger benchmark: a single-row INSERT with synchronous_commit on (one
# durable commit per row, as dvs's single append), on a server this script starts on a Unix
# socket in a temporary folder and stops again. Prints the p50 latency in milliseconds.
#   tools/pg_peer.sh [INSERTS]        (default 2000; needs Debian's postgresql package)
set -euo pipefail
n=${1:-2000}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "pg_peer: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)   # the server refuses to run as root
d=$(mktemp -d)
chmod 755 "$d"
[ ${#as_pg[@]} -gt 0 ] && chown postgres "$d"
stop() { "${as_pg[@]}" "$bin/pg_ctl" -D "$d/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$d"; }
trap stop EXIT
"${as_pg[@]}" "$bin/initdb" -D "$d/data" -A trust >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$d/data" -l "$d/log" -w \
  -o "-k $d -c listen_addresses='' -c synchronous_commit=on -c fsync=on" start >/dev/null
"${as_pg[@]}" "$bin/psql" -qh "$d" -d postgres -c \
  "create table entries (seq bigserial primary key, body bytea not null)" >/dev/null
# A row the size of a typical dvs entry (about 300 bytes).
echo "insert into entries (body) values (decode(repeat('ab', 300), 'hex'));" >"$d/insert.sql"
(cd "$d" && "${as_pg[@]}" "$bin/pgbench" -h "$d" -n -f "$d/insert.sql" -c 1 -t "$n" -l \
  --log-prefix="$d/tx" postgres >/dev/null 2>&1)
# Per-transaction log: client_id transaction_no time_us script_no time_epoch time_us
cat "$d"/tx* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", a[int(NR/2)+1]/1000}'
