#!/usr/bin/env bash
# Interleaved A/B of two builds on the S-50k crawl benchmark: the machine's speed drifts by tens of percent
# over minutes, so only runs taken in turn compare. Each directory is a built checkout (npm run build).
# Usage: bench/ab.sh DIR_A DIR_B [crawl.bench flags...]   (ROUNDS=N, default 2)
# Prints per run: build, sustained req/s, t99 ms, live coverage, CPU us per FINDNODE (all threads), of it the main
# thread's and the other threads' (- for a build that predates them), peak RSS MB.
set -euo pipefail
a=${1:?usage: bench/ab.sh DIR_A DIR_B [flags]}; b=${2:?usage: bench/ab.sh DIR_A DIR_B [flags]}; shift 2
for i in $(seq 1 "${ROUNDS:-2}"); do
  for d in "$a" "$b"; do
    r=$(cd "$d" && node dist/bench/crawl.bench.js "$@" 2>/dev/null | tail -1)
    echo "$d $(printf '%s' "$r" | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(r.reqPerSec, r.t99Ms, r.coverageLive, r.cpuUsPerReq, r.mainThreadUsPerReq ?? "-", r.otherThreadsUsPerReq ?? "-", r.peakRssMB)')"
  done
done
