#!/usr/bin/env bash
# pgbench's TPC-B-like script at scale 10 with 8 clients, against `braid serve` (already
# running on 127.0.0.1:5433) and a throwaway PostgreSQL 15 cluster this script starts on
# port 15433 and removes, alternating, two runs each. Needs Debian's postgresql-15; run as
# root (initdb runs as the postgres user). DUR sets the seconds per run (default 20).
#
#   ./target/release/braid serve --data /tmp/pgb --port 5433 &
#   bash benches/scripts/pgbench_tpcb.sh
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
DUR=${DUR:-20}
W=$(mktemp -d); chown postgres: $W
runuser -u postgres -- $PGBIN/initdb -D $W/data -A trust -U postgres -E UTF8 --no-locale >/dev/null
runuser -u postgres -- $PGBIN/pg_ctl -D $W/data -l $W/log -w -o "-p 15433 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$W" start >/dev/null
trap "runuser -u postgres -- $PGBIN/pg_ctl -D $W/data -m fast -w stop >/dev/null; rm -rf $W" EXIT
$PGBIN/pgbench -h 127.0.0.1 -p 15433 -U postgres -i -s 10 -q postgres 2>&1 | tail -1
$PGBIN/pgbench -h 127.0.0.1 -p 5433 -U braid -i -s 10 -q braid 2>&1 | tail -1
for r in 1 2; do
  for target in "braid 5433 braid" "postgres 15433 postgres"; do
    set -- $target
    out=$($PGBIN/pgbench -h 127.0.0.1 -p $2 -U $3 -b tpcb-like -c 8 -j 2 -T $DUR $3 2>&1)
    echo "$1 run $r: $(echo "$out" | grep -E '^tps' | head -1) | $(echo "$out" | grep -E 'failed transactions' )"
  done
done
