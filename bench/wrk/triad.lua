-- wrk script for the triad bench (bench/bench.py). Behaviour from environment variables:
--   BENCH_MODE  get      GET the URL's path as given (e.g. /api/instance, /api/items?limit=50)
--               item     GET /api/items/{id}, rotating over BENCH_IDS (pre-warmed: cache hits)
--               post     POST /api/items, JSON body with a unique name (no Idempotency-Key)
--               postkey  the same with a unique Idempotency-Key per request
--               mix      alternately an item GET and a keyed POST (the failover runs)
--               put      PUT /api/items/{id} (no If-Match), rotating over BENCH_IDS: each write
--                        deletes the cached copy, the next read fills it again
--   BENCH_AUTH  if set: sent as "Authorization: Bearer <BENCH_AUTH>" on every request (the
--               cost of token verification with make up AUTH=1; a stack without it ignores it)
--   BENCH_IDS   "first-last" ids for item/mix (default 1-100)
--   BENCH_RUN   a token that makes names and keys unique across runs
--   BENCH_RATE  if set: paced, about this many requests/s in all (split over wrk's threads);
--               (BENCH_THREADS must equal wrk -t); a slot missed because every connection
--               was busy is not made up later (no coordinated-omission correction)
-- done() prints one line "BENCH_JSON {...}": requests, errors, status counts, latency (µs).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]

local threads = {}
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

local mode = os.getenv("BENCH_MODE") or "get"
local run = os.getenv("BENCH_RUN") or tostring(os.time())
local first, last = (os.getenv("BENCH_IDS") or "1-100"):match("^(%d+)-(%d+)$")
first, last = tonumber(first), tonumber(last)
local rate = tonumber(os.getenv("BENCH_RATE") or "")

local n = 0
local interval_ms, next_slot
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function init(args)
  statuses = {}
  n = 0
  if rate then
    -- every thread sends its share: one request per interval, whichever connection is free
    interval_ms = 1000 * tonumber(os.getenv("BENCH_THREADS") or "1") / rate
  end
end

local token = os.getenv("BENCH_AUTH")
local function with_auth(headers)
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return headers
end
local post_headers = with_auth({ ["Content-Type"] = "application/json" })

local function post(keyed)
  local name = string.format("bench-%s-%d-%d", run, tid or 0, n)
  local headers = post_headers
  if keyed then
    headers = with_auth({ ["Content-Type"] = "application/json", ["Idempotency-Key"] = name })
  end
  return wrk.format("POST", "/api/items", headers,
    '{"name":"' .. name .. '","description":"load test item","quantity":' .. (n % 1000) .. '}')
end

local function item()
  return wrk.format("GET", "/api/items/" .. (first + (n + (tid or 0) * 7) % (last - first + 1)))
end

local function put()
  local id = first + (n + (tid or 0) * 7) % (last - first + 1)
  return wrk.format("PUT", "/api/items/" .. id, post_headers,
    '{"name":"bench-put-' .. id .. '","description":"load test item","quantity":' .. (n % 1000) .. '}')
end

function request()
  n = n + 1
  if mode == "item" then
    return item()
  elseif mode == "post" then
    return post(false)
  elseif mode == "postkey" then
    return post(true)
  elseif mode == "put" then
    return put()
  elseif mode == "mix" then
    if n % 2 == 0 then return post(true) end
    return item()
  end
  return wrk.format("GET", nil)
end

function delay()
  if not interval_ms then return 0 end
  local t = now_ms()
  if not next_slot or next_slot < t then next_slot = t end
  local wait = next_slot - t
  next_slot = next_slot + interval_ms
  return math.floor(wait)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for code, c in pairs(t:get("statuses") or {}) do
      counts[code] = (counts[code] or 0) + c
    end
  end
  local parts = {}
  for code, c in pairs(counts) do table.insert(parts, string.format('"%d":%d', code, c)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"statuses":{%s},"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ","),
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
