#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the tests, and prints its URL on stdout.
#   scripts/pg-test-server.sh start DIR [PORT]   # DIR: an empty directory outside the repo
#   scripts/pg-test-server.sh stop DIR
# Trust authentication on 127.0.0.1 only: the cluster holds nothing but test data and dies with DIR.
# fsync is off (test data need not survive a power cut) unless DHTSCOPE_PG_FSYNC=on, as a benchmark wants.
set -euo pipefail

cmd=${1:?start|stop}; dir=${2:?data directory}; port=${3:-54329}
dir=$(realpath -m "$dir")
cd /  # the server's user may not reach the caller's folder
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "pg-test-server: no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }

# initdb refuses to run as root: the cluster belongs to the package's postgres user then.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U dhtscope --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
      || { echo "pg-test-server: initdb failed, see $dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${DHTSCOPE_PG_FSYNC:-off} -c max_connections=50" start >/dev/null \
      || { echo "pg-test-server: the server did not start, see $dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U dhtscope dhtscope
    echo "postgres://dhtscope@127.0.0.1:$port/dhtscope"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *) echo "pg-test-server: start or stop" >&2; exit 2 ;;
esac
