#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the ledger tests (Debian's postgresql package) and prints its URL.
# Usage: eval "$(bash scripts/start_test_postgres.sh [PORT])"  -> exports SLUICE_POSTGRES_URL and SLUICE_POSTGRES_DIR
# Stop it with: su postgres -c "$PG_BIN/pg_ctl -D $SLUICE_POSTGRES_DIR stop"  (or just let the machine go)
set -euo pipefail
port=${1:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)" >&2
    exit 1
fi
dir=$(mktemp -d /tmp/sluice-pg.XXXXXX)
chown postgres "$dir" 2>/dev/null || true
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
run "$bin/initdb -D $dir/data -U sluice -A trust >$dir/initdb.log 2>&1" || { cat "$dir/initdb.log" >&2; exit 1; }
run "$bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off' -l $dir/server.log -w start >/dev/null" \
    || { cat "$dir/server.log" >&2; exit 1; }
run "$bin/createdb -h 127.0.0.1 -p $port -U sluice sluice"
echo "export SLUICE_POSTGRES_URL=postgres://sluice@127.0.0.1:$port/sluice SLUICE_POSTGRES_DIR=$dir/data PG_BIN=$bin"
