#!/usr/bin/env bash
# make bench-auth: what verifying bearer tokens costs (issue 21). One run: the same stack, the
# same data, the same requests with the same Authorization header, once with authentication on
# (make up AUTH=1: every write's token checked against the development issuer's key) and once
# off (the header is ignored). Closed loop, wrk from inside Nginx's network namespace (no
# userland proxy), 32 connections, 5 s warm-up then 20 s of POST /api/items, then of PUT on 100
# items (each write deletes the item's cached copy). Ends in the mode the stack was in.
# Prints a Markdown table and writes it to bench/results/auth-<time>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
before=$(sed -n 's/^TRIAD_AUTH=//p' compose/.env 2>/dev/null | tail -n1)
stamp=$(date -u +%Y-%m-%d-%H%M)
out=bench/results/auth-$stamp.md

measure() { # mode label -> "req/s p99_ms non2xx"
  local pid json
  pid=$(docker inspect -f '{{.State.Pid}}' "$(docker compose -f compose/compose.yaml -p triad ps -q nginx)")
  env BENCH_MODE="$1" BENCH_IDS="$IDS" BENCH_RUN="$2-warm" BENCH_THREADS=2 BENCH_AUTH="$TOKEN" \
    nsenter -t "$pid" -n wrk -t2 -c32 -d5s --timeout 10s -s bench/wrk/triad.lua http://127.0.0.1:80/api/items >/dev/null
  json=$(env BENCH_MODE="$1" BENCH_IDS="$IDS" BENCH_RUN="$2" BENCH_THREADS=2 BENCH_AUTH="$TOKEN" \
    nsenter -t "$pid" -n wrk -t2 -c32 -d20s --timeout 10s -s bench/wrk/triad.lua http://127.0.0.1:80/api/items \
    | sed -n 's/^BENCH_JSON //p')
  python3 - "$json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
ok = sum(v for k, v in r["statuses"].items() if 200 <= int(k) < 300)
print("%.0f %.1f %d" % (r["requests"] / (r["duration_us"] / 1e6), r["latency_us"]["p99"] / 1000, r["requests"] - ok))
PY
}

make -s up AUTH=1 SKIP_IMAGE=1 >/dev/null
TOKEN=$(make -s token TTL=1h)
first=; last=
for i in $(seq 1 100); do
  id=$(curl -fsS -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\":\"bench-auth-$stamp-$i\",\"quantity\":1}" http://127.0.0.1:"${TRIAD_PORT:-9999}"/api/items \
    | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  first=${first:-$id}; last=$id
done
IDS="$first-$last"
read -r on_post on_post_p99 on_post_bad <<<"$(measure post auth-on-$stamp)"
read -r on_put on_put_p99 on_put_bad <<<"$(measure put auth-on-$stamp)"
make -s up AUTH=0 SKIP_IMAGE=1 >/dev/null
read -r off_post off_post_p99 off_post_bad <<<"$(measure post auth-off-$stamp)"
read -r off_put off_put_p99 off_put_bad <<<"$(measure put auth-off-$stamp)"
[ "${before:-0}" = 0 ] || make -s up AUTH="$before" SKIP_IMAGE=1 >/dev/null

mkdir -p bench/results
{
  echo "### Token verification cost ($stamp, load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| | POST req/s | POST p99 | PUT req/s | PUT p99 | non-2xx |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| AUTH=0 (header ignored) | $off_post | $off_post_p99 ms | $off_put | $off_put_p99 ms | $((off_post_bad + off_put_bad)) |"
  echo "| AUTH=1 (token verified) | $on_post | $on_post_p99 ms | $on_put | $on_put_p99 ms | $((on_post_bad + on_put_bad)) |"
  echo "| AUTH=1 / AUTH=0 | $(python3 -c "print(f'{$on_post/$off_post:.2f}')") | | $(python3 -c "print(f'{$on_put/$off_put:.2f}')") | | |"
} | tee "$out"
echo "wrote $out"
