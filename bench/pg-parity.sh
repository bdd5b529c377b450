#!/usr/bin/env bash
# Issue 21's parity target: the S-50k crawl into PostgreSQL against the same crawl into DuckDB, interleaved
# (the VM's speed drifts between minutes, so only runs taken in turn compare). Each PostgreSQL run gets a
# new, empty database on the server at PG (a URL without a database name; the user must be allowed CREATEDB).
# Usage: PG=postgres://dhtscope@127.0.0.1:54329 bench/pg-parity.sh [crawl.bench flags...]   (ROUNDS=N, default 3)
# Prints per run: store, sustained req/s, t99 ms, live coverage, CPU us per FINDNODE, peak RSS MB.
set -euo pipefail
pg=${PG:?set PG to a server URL without a database, e.g. postgres://dhtscope@127.0.0.1:54329}
cd "$(dirname "$0")/.."
row() { node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(r.reqPerSec, r.t99Ms, r.coverageLive, r.cpuUsPerReq, r.peakRssMB)'; }
for i in $(seq 1 "${ROUNDS:-3}"); do
  r=$(node dist/bench/crawl.bench.js "$@" 2>/dev/null | tail -1)
  echo "duckdb $(printf '%s' "$r" | row)"
  db="parity_$$_$i"
  psql -q "$pg/postgres" -c "CREATE DATABASE $db" >/dev/null
  r=$(node dist/bench/crawl.bench.js "$@" --db "$pg/$db" 2>/dev/null | tail -1)
  echo "postgres $(printf '%s' "$r" | row)"
  psql -q "$pg/postgres" -c "DROP DATABASE $db" >/dev/null
done
