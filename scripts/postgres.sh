#!/usr/bin/env bash
# Start a throw-away PostgreSQL + PostGIS server for the store tests, and print the URL.
#
# Debian's packages (postgresql, postgresql-15-postgis-3) must be installed; .ci/run does that.
# The cluster lives in build/postgres (owned by the postgres user, because PostgreSQL refuses to
# run as root), listens on 127.0.0.1 only, and trusts local connections: it holds test data only.
# A template database with PostGIS enabled lets each test create its own database quickly.
#
#   eval "$(scripts/postgres.sh)"   # exports MUTUALAID_TEST_PG_URL
#   scripts/postgres.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${MUTUALAID_PG_PORT:-55432}
DATA=$PWD/build/postgres
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$BIN/initdb" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ "${1:-}" = stop ]; then
  [ -f "$DATA/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1
  exit 0
fi
mkdir -p "$DATA"
[ "$(id -u)" = 0 ] && chown postgres: "$DATA"
if [ ! -f "$DATA/PG_VERSION" ]; then
  as_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust --no-instructions >/dev/null
fi
if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on" start >/dev/null
fi
psql_() { psql -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ -z "$(psql_ -d postgres -c "select 1 from pg_database where datname = 'mutualaid_template'")" ]; then
  psql_ -d postgres -c "create database mutualaid_template" >/dev/null
  psql_ -d mutualaid_template -c "create extension postgis" >/dev/null
  psql_ -d postgres -c "update pg_database set datistemplate = true where datname = 'mutualaid_template'" >/dev/null
fi
echo "export MUTUALAID_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
