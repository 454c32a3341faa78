#!/usr/bin/env python3
"""triad bench: throughput, latency, failover under load and footprint of the Compose stack.

    python3 bench/bench.py             # what `make bench` runs (stack must be up: `make up`)
    python3 bench/bench.py ab VARIANT  # before/after of one candidate change (see VARIANTS)

Load comes from wrk (Debian package) with bench/wrk/triad.lua: on the host against
http://127.0.0.1:9999 (the published port: Docker's userland proxy, then Nginx), and inside a
throwaway container on the stack's `edge` network (the host's wrk binary mounted into the triad
image) for the references: the same requests to Nginx directly, to one instance directly, and
to a bench-only Nginx that answers a constant (bench/ceiling/nginx.conf).

Raw output goes to bench/tmp/ (git-ignored); the report to bench/results/<date>-<host>.{md,json}
and the chart to bench/results/<date>-<host>-latency.svg. Python 3.9+ standard library only.
Every load run is bounded in time (wrk -d); traffic goes only to 127.0.0.1 and to containers.
"""
import datetime
import json
import os
import pathlib
import re
import resource
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
TMP = BENCH / "tmp"
RESULTS = BENCH / "results"
PROJECT = "triad"
COMPOSE_FILE = ROOT / "compose" / "compose.yaml"
URL = os.environ.get("BENCH_URL", "http://127.0.0.1:9999")
DURATION = int(os.environ.get("BENCH_DURATION", "10"))      # seconds per load run
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "16,64,256").split(",")]
THREADS = 2                                                   # wrk -t: the machine has 2 cores
RATE = int(os.environ.get("BENCH_RATE", "500"))               # requests/s of the paced runs
# The list is paced lower: 500/s is about its closed-loop capacity here (not a latency test then).
RATES = {"instance": RATE, "item": RATE, "list": int(os.environ.get("BENCH_LIST_RATE", "200")), "post": RATE}
FAILOVER_RATE = int(os.environ.get("BENCH_FAILOVER_RATE", "400"))
REF_CONNECTIONS = 64
N_ITEMS = 100
WRK = "/usr/bin/wrk"
CEILING = "triad-bench-ceiling"

# name -> (wrk mode, path): the four requests of the issue, plus a keyed POST for comparison.
ENDPOINTS = {
    "instance": ("get", "/api/instance"),
    "item": ("item", "/api/items/{id}"),
    "list": ("get", "/api/items?limit=50"),
    "post": ("post", "/api/items"),
}
LABELS = {
    "instance": "GET /api/instance",
    "item": "GET /api/items/{id} (cache hit)",
    "list": "GET /api/items?limit=50",
    "post": "POST /api/items",
    "postkey": "POST /api/items + Idempotency-Key",
    "constant": "Nginx constant (ceiling)",
}

COMMANDS = []   # every load command, for the "reproduce" section of the report


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(args, check=True, timeout=600, env=None):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({r.returncode}): {r.stderr.strip()[-800:]}")
    return r.stdout


def compose(*args, files=(), check=True, timeout=600):
    cmd = ["docker", "compose", "-f", str(COMPOSE_FILE)]
    for f in files:
        cmd += ["-f", str(f)]
    return sh(cmd + ["--project-name", PROJECT, *args], check=check, timeout=timeout)


def container(service):
    return compose("ps", "--all", "--quiet", service).strip().splitlines()[0]


def image_of_stack():
    return sh(["docker", "inspect", "-f", "{{.Config.Image}}", container("web1")]).strip()


# ---- CPU and memory accounting -------------------------------------------------------------

def cpu_snapshot(services):
    """CPU nanoseconds per container (cgroup cpuacct), host helpers, the machine's busy time."""
    snap = {"t": time.monotonic()}
    for s, cid in services.items():
        try:
            snap[s] = int(pathlib.Path(f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage").read_text())
        except OSError:
            try:  # cgroup v2
                stat = pathlib.Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat").read_text()
                snap[s] = int(re.search(r"usage_usec (\d+)", stat).group(1)) * 1000
            except (OSError, AttributeError):
                pass
    tick = os.sysconf("SC_CLK_TCK")
    helpers = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            comm = pathlib.Path(f"/proc/{pid}/comm").read_text().strip()
            if comm in ("dockerd", "containerd", "docker-proxy") or comm.startswith("containerd-shim"):
                f = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                helpers += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    snap["docker (dockerd, containerd, shims, docker-proxy)"] = helpers * 1_000_000_000 // tick
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    snap["load generator (wrk on the host)"] = int((ru.ru_utime + ru.ru_stime) * 1e9)
    cpu = [int(x) for x in pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    snap["_busy"] = (sum(cpu) - cpu[3] - cpu[4]) * 1_000_000_000 // tick
    return snap


def cpu_delta(a, b):
    secs = b["t"] - a["t"]
    out = {k: round((b[k] - a[k]) / 1e9 / secs, 3) for k in b if k != "t" and k in a}
    out["machine busy (of 2.0)"] = out.pop("_busy")
    return out


def memory(services):
    """RSS of each web instance's JVM (VmRSS of its PID 1) and its cgroup's usage and peak (MiB)."""
    out = {}
    for s, cid in services.items():
        if not s.startswith("web"):
            continue
        pid = sh(["docker", "inspect", "-f", "{{.State.Pid}}", cid]).strip()
        rss = re.search(r"VmRSS:\s+(\d+) kB", pathlib.Path(f"/proc/{pid}/status").read_text())
        entry = {"rss_mib": round(int(rss.group(1)) / 1024, 1)}
        base = pathlib.Path(f"/sys/fs/cgroup/memory/docker/{cid}")
        if base.exists():
            entry["cgroup_usage_mib"] = round(int((base / "memory.usage_in_bytes").read_text()) / 2**20, 1)
            entry["cgroup_peak_mib"] = round(int((base / "memory.max_usage_in_bytes").read_text()) / 2**20, 1)
        out[s] = entry
    return out


# ---- load ---------------------------------------------------------------------------------

def parse_wrk(stdout):
    m = re.search(r"^BENCH_JSON (\{.*\})$", stdout, re.M)
    if not m:
        raise RuntimeError("wrk printed no BENCH_JSON line:\n" + stdout[-2000:])
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    st = {int(k): v for k, v in r["statuses"].items()}
    socket_errors = sum(v for k, v in r["errors"].items() if k != "status")
    return {
        "rps": round(r["requests"] / secs, 1),
        "ok_rps": round(sum(v for k, v in st.items() if 200 <= k < 300) / secs, 1),
        "requests": r["requests"],
        "statuses": st,
        "n503": st.get(503, 0),
        "non2xx": sum(v for k, v in st.items() if not 200 <= k < 300),
        "socket_errors": socket_errors,
        "errors": r["errors"],
        "p50_ms": r["latency_us"]["p50"] / 1000,
        "p90_ms": r["latency_us"]["p90"] / 1000,
        "p99_ms": r["latency_us"]["p99"] / 1000,
        "p999_ms": r["latency_us"]["p999"] / 1000,
        "max_ms": r["latency_us"]["max"] / 1000,
        "mean_ms": round(r["latency_us"]["mean"] / 1000, 3),
    }


class Load:
    """Builds and runs one wrk command, on the host or in a container on the edge network."""

    def __init__(self, ids, run_id, image):
        self.ids = ids
        self.run_id = run_id
        self.image = image
        self.luajit = os.path.realpath("/usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2")

    def env(self, mode, rate):
        e = {"BENCH_MODE": mode, "BENCH_IDS": self.ids, "BENCH_RUN": self.run_id, "BENCH_THREADS": str(THREADS)}
        if rate:
            e["BENCH_RATE"] = str(rate)
        return e

    def wrk_args(self, conns, duration, url, script):
        return ["-t", str(THREADS), "-c", str(conns), "-d", f"{duration}s", "--timeout", "10s",
                "-s", script, url]

    def run(self, mode, path, conns, duration=DURATION, rate=None, where="host", base=URL, record=True):
        url = base + path.replace("{id}", "")
        if where == "host":
            env = self.env(mode, rate)
            cmd = [WRK, *self.wrk_args(conns, duration, url, str(BENCH / "wrk" / "triad.lua"))]
            shown = " ".join(f"{k}={v}" for k, v in env.items() if k != "BENCH_RUN") + " " + \
                " ".join(shlex.quote(c) for c in ["wrk", *cmd[1:]]).replace(str(ROOT) + "/", "")
            out = sh(cmd, env={**os.environ, **env}, timeout=duration + 60)
        else:
            cmd = ["docker", "run", "--rm", "--network", f"{PROJECT}_edge",
                   "-v", f"{WRK}:/usr/local/bin/wrk:ro",
                   "-v", f"{self.luajit}:/usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2:ro",
                   "-v", f"{BENCH / 'wrk'}:/bench:ro"]
            for k, v in self.env(mode, rate).items():
                cmd += ["-e", f"{k}={v}"]
            cmd += ["--entrypoint", "wrk", self.image, *self.wrk_args(conns, duration, url, "/bench/triad.lua")]
            shown = " ".join(shlex.quote(c) for c in cmd).replace(str(ROOT) + "/", "").replace(self.run_id, "$RUN")
            out = sh(cmd, timeout=duration + 90)
        if record:
            COMMANDS.append(shown)
        r = parse_wrk(out)
        r.update({"mode": mode, "path": path, "connections": conns, "duration_s": duration, "where": where,
                  "url": url})
        if rate:
            r["target_rate"] = rate
        return r


# ---- stack helpers ------------------------------------------------------------------------

def http(method, path, body=None, headers=None):
    req = urllib.request.Request(URL + path, data=body.encode() if body else None, method=method,
                                 headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def seed_items(run_id):
    """N_ITEMS fresh items with consecutive ids, each read twice so that every read is a cache hit."""
    ids = []
    for i in range(N_ITEMS):
        body = json.dumps({"name": f"bench-seed-{run_id}-{i}", "description": "bench item", "quantity": i})
        _, h, _ = http("POST", "/api/items", body, {"Content-Type": "application/json"})
        ids.append(int(h["Location"].rsplit("/", 1)[1]))
    if ids != list(range(ids[0], ids[0] + N_ITEMS)):
        raise RuntimeError(f"seed ids are not consecutive ({ids[0]}..{ids[-1]}): is something else writing?")
    warm_cache(ids)
    return f"{ids[0]}-{ids[-1]}", ids


def warm_cache(ids):
    for i in ids:
        for _ in range(2):
            http("GET", f"/api/items/{i}")
    _, h, _ = http("GET", f"/api/items/{ids[0]}")
    if h.get("X-Cache") != "HIT":
        raise RuntimeError(f"item {ids[0]} is not a cache hit after warming (X-Cache: {h.get('X-Cache')})")


def wait_healthy(services, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {s: sh(["docker", "inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}",
                         container(s)], check=False).strip() for s in services}
        if all(v == "healthy" for v in states.values()):
            return
        time.sleep(0.5)
    raise RuntimeError(f"not healthy after {timeout}s: {states}")


def services_map():
    return {s: sh(["docker", "inspect", "-f", "{{.Id}}", container(s)]).strip()
            for s in ("nginx", "web1", "web2", "web3", "postgres", "redis")}


def versions(image):
    def quiet(args):
        r = subprocess.run(args, capture_output=True, text=True)
        return (r.stdout + r.stderr).strip()
    mem = re.search(r"MemTotal:\s+(\d+)", pathlib.Path("/proc/meminfo").read_text()).group(1)
    model = re.search(r"model name\s*:\s*(.*)", pathlib.Path("/proc/cpuinfo").read_text())
    return {
        "host": socket.gethostname(),
        "cores": os.cpu_count(),
        "cpu": model.group(1) if model else "?",
        "memory_gib": round(int(mem) / 2**20, 1),
        "kernel": os.uname().release,
        "os": re.search(r'PRETTY_NAME="(.*)"', pathlib.Path("/etc/os-release").read_text()).group(1),
        "docker": quiet(["docker", "version", "--format", "{{.Server.Version}}"]),
        "compose": quiet(["docker", "compose", "version", "--short"]),
        "jdk_in_image": quiet(["docker", "exec", container("web1"), "java", "-version"]).splitlines()[1],
        "nginx": quiet(["docker", "exec", container("nginx"), "nginx", "-v"]).replace("nginx version: ", ""),
        "postgres": quiet(["docker", "exec", container("postgres"), "postgres", "--version"]),
        "redis": quiet(["docker", "exec", container("redis"), "redis-server", "--version"]).split(" sha=")[0],
        "wrk": quiet([WRK, "-v"]).splitlines()[0],
        "image": image,
        "image_size_mb": round(int(sh(["docker", "image", "inspect", "-f", "{{.Size}}", image])) / 1e6, 1),
        "python": sys.version.split()[0],
    }


# ---- phases -------------------------------------------------------------------------------

def warmup(load):
    log("warm-up: 5 s per endpoint at 64 connections (JIT, pools, caches)")
    for name, (mode, path) in ENDPOINTS.items():
        load.run(mode, path, 64, duration=5, record=False)


def matrix(load, services):
    runs = []
    for name, (mode, path) in ENDPOINTS.items():
        for c in CONNECTIONS:
            log(f"{name}: {c} connections, {DURATION} s")
            before = cpu_snapshot(services)
            sample = {}
            if c == 64 and name == "item":
                t = threading.Timer(DURATION * 0.6, lambda: sample.update(memory(services)))
                t.start()
            r = load.run(mode, path, c)
            r["cpu"] = cpu_delta(before, cpu_snapshot(services))
            if sample:
                r["memory_under_load"] = sample
            r["endpoint"] = name
            log(f"  {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                f"p99.9 {r['p999_ms']:.1f} ms, 503: {r['n503']}, non-2xx: {r['non2xx']}, errors: {r['socket_errors']}")
            runs.append(r)
    log(f"postkey: 64 connections, {DURATION} s")
    r = load.run("postkey", "/api/items", 64)
    r["endpoint"] = "postkey"
    runs.append(r)
    return runs


def paced(load):
    runs = []
    for name, (mode, path) in ENDPOINTS.items():
        log(f"{name}: paced at {RATES[name]} req/s, 64 connections, {DURATION} s")
        r = load.run(mode, path, 64, rate=RATES[name])
        r["endpoint"] = name
        log(f"  {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, p99.9 {r['p999_ms']:.1f} ms")
        runs.append(r)
    return runs


def references(load):
    """The same requests from a container on the edge network: via Nginx, to web1, and the ceiling."""
    runs = []
    ceiling_conf = BENCH / "ceiling" / "nginx.conf"
    nginx_image = sh(["docker", "inspect", "-f", "{{.Config.Image}}", container("nginx")]).strip()
    sh(["docker", "rm", "-f", CEILING], check=False)
    sh(["docker", "run", "-d", "--rm", "--name", CEILING, "--network", f"{PROJECT}_edge", "--read-only",
        "--tmpfs", "/tmp", "-v", f"{ceiling_conf}:/etc/nginx/nginx.conf:ro", nginx_image])
    COMMANDS.append(f"docker run -d --rm --name {CEILING} --network {PROJECT}_edge --read-only --tmpfs /tmp "
                    f"-v $PWD/bench/ceiling/nginx.conf:/etc/nginx/nginx.conf:ro {nginx_image}")
    try:
        time.sleep(1)
        for name, (mode, path) in ENDPOINTS.items():
            for target, base in (("edge-nginx", "http://nginx:80"), ("edge-web1", "http://web1:8080")):
                log(f"{name}: {target}, {REF_CONNECTIONS} connections, {DURATION} s")
                r = load.run(mode, path, REF_CONNECTIONS, where="edge", base=base)
                r.update({"endpoint": name, "target": target})
                log(f"  {r['rps']:.0f} req/s, p99 {r['p99_ms']:.1f} ms, 503: {r['n503']}")
                runs.append(r)
        log(f"constant: ceiling Nginx, {REF_CONNECTIONS} connections, {DURATION} s")
        r = load.run("get", "/constant", REF_CONNECTIONS, where="edge", base=f"http://{CEILING}:80")
        r.update({"endpoint": "constant", "target": "edge-ceiling"})
        log(f"  {r['rps']:.0f} req/s, p99 {r['p99_ms']:.1f} ms")
        runs.append(r)
    finally:
        sh(["docker", "rm", "-f", CEILING], check=False)
    return runs


def nginx_timeline(since, until, t0):
    """Per second of the Nginx access log: requests, non-2xx, retried (several upstreams), latency."""
    out = subprocess.run(["docker", "logs", "--since", since, "--until", until, container("nginx")],
                         capture_output=True, text=True).stdout
    buckets = {}
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if not e["uri"].startswith("/api/"):
            continue
        ts = datetime.datetime.fromisoformat(e["time"]).timestamp()
        b = buckets.setdefault(int(ts - t0), {"n": 0, "non2xx": 0, "retried": 0, "times": []})
        b["n"] += 1
        b["non2xx"] += not (200 <= e["status"] < 300)
        b["retried"] += "," in e["upstream_status"] or ":" in e["upstream_status"]
        b["times"].append(e["request_time"] * 1000)
    rows = []
    for sec in sorted(buckets):
        b = buckets[sec]
        t = sorted(b["times"])
        rows.append({"second": sec, "requests": b["n"], "non2xx": b["non2xx"], "retried": b["retried"],
                     "p50_ms": t[len(t) // 2], "p99_ms": t[min(len(t) - 1, int(len(t) * 0.99))], "max_ms": t[-1]})
    return rows


def failover(load):
    scenarios = []
    for name, service, action in (("graceful stop of web2", "web2", ["stop", "web2"]),
                                  ("SIGKILL of web1", "web1", ["kill", "-s", "KILL", "web1"])):
        duration, at = 20, 5
        log(f"failover: {name} after {at} s of a {duration} s paced mix at {FAILOVER_RATE} req/s")
        result = {}
        t0 = time.time()
        since = datetime.datetime.fromtimestamp(t0 - 1, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")

        def act():
            time.sleep(at)
            t = time.monotonic()
            compose(*action, check=False)
            result["action_s"] = round(time.monotonic() - t, 2)
            result["action_at_s"] = round(time.time() - t0, 2)

        th = threading.Thread(target=act)
        th.start()
        r = load.run("mix", "/", 32, duration=duration, rate=FAILOVER_RATE)
        th.join()
        # Nginx flushes its buffered access log at least once a second.
        until = datetime.datetime.fromtimestamp(time.time() + 3, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        time.sleep(2.5)
        timeline = nginx_timeline(since, until, int(t0))
        status_after = sh(["docker", "inspect", "-f", "{{.State.Status}} restarts={{.RestartCount}}",
                           container(service)]).strip()
        log(f"  {r['requests']} requests, non-2xx {r['non2xx']}, socket errors {r['socket_errors']}, "
            f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms; {service} afterwards: {status_after}")
        before = [x for x in timeline if 0 < x["second"] < at]
        scenarios.append({"scenario": name, "service": service, "command": " ".join(action), "wrk": r,
                          "timeline": timeline, **result, "state_after": status_after,
                          "baseline_p99_ms": max((x["p99_ms"] for x in before), default=None),
                          "spike_max_ms": max((x["max_ms"] for x in timeline), default=None)})
        COMMANDS.append(f"docker compose -f compose/compose.yaml -p {PROJECT} {' '.join(action)}   "
                        f"# {at} s into the paced mix above")
        compose("start", service)
        wait_healthy([service])
        log(f"  {service} healthy again")
    return scenarios


def startup(services):
    """Container start to /health/ready answering 200, for web3 (stop, start, poll via docker exec)."""
    log("startup: stop web3, start it, poll /health/ready")
    compose("stop", "web3")
    t = time.time()
    compose("start", "web3")
    cid = container("web3")
    ready = None
    while time.time() - t < 120:
        if subprocess.run(["docker", "exec", cid, "curl", "-fsS", "-o", "/dev/null",
                           "http://localhost:8081/health/ready"], capture_output=True).returncode == 0:
            ready = time.time()
            break
        time.sleep(0.2)
    started = sh(["docker", "inspect", "-f", "{{.State.StartedAt}}", cid]).strip()
    started_ts = datetime.datetime.fromisoformat(re.sub(r"\.(\d{6})\d*", r".\1", started.replace("Z", "+00:00"))).timestamp()
    logs = subprocess.run(["docker", "logs", "--since", started, cid], capture_output=True, text=True)
    helidon = re.findall(r"Started all channels in (\d+) milliseconds\. (\d+) milliseconds since JVM startup",
                         logs.stdout + logs.stderr)
    wait_healthy(["web3"])
    out = {"start_to_ready_s": round(ready - started_ts, 2) if ready else None,
           "helidon_channels_ms": int(helidon[-1][0]) if helidon else None,
           "helidon_since_jvm_start_ms": int(helidon[-1][1]) if helidon else None}
    log(f"  {out}")
    return out


def cleanup():
    """Deletes what the bench created (items named bench-*, their keys) and the item cache.

    A bench run creates ~100,000 items; left behind they would bury everyone else's data (the
    dashboard walks pages from the oldest item). Deleting the cache keys is always safe: a
    missing key is a miss that reads PostgreSQL."""
    sql = ["DELETE FROM idempotency_keys WHERE key LIKE 'bench-%'", "DELETE FROM items WHERE name LIKE 'bench-%'",
           "VACUUM ANALYZE items", "VACUUM ANALYZE idempotency_keys"]
    # As the image's superuser over the socket: the service role may not VACUUM.
    args = ["docker", "exec", container("postgres"), "sh", "-c",
            'exec psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" "$@"', "psql"]
    for statement in sql:    # one -c each: VACUUM cannot run inside the transaction of a multi-statement -c
        args += ["-c", statement]
    out = " ".join(sh(args).split())
    sh(["docker", "exec", container("redis"), "sh", "-c",
        'export REDISCLI_AUTH="$(cat /run/secrets/redis_password)"; '
        'redis-cli --scan --pattern "triad:item:*" | xargs -r -n 500 redis-cli unlink >/dev/null'])
    log(f"cleanup: deleted the bench's items and keys, unlinked the item cache {out.strip()}")


def cold_up():
    log("cold start: make down, then SKIP_IMAGE=1 make up (images present) until all healthy")
    t = time.monotonic()
    sh(["make", "-C", str(ROOT), "down"], timeout=300)
    down = time.monotonic() - t
    t = time.monotonic()
    sh(["make", "-C", str(ROOT), "up", "SKIP_IMAGE=1"], timeout=600)
    up = time.monotonic() - t
    out = {"make_down_s": round(down, 1), "make_up_skip_image_s": round(up, 1)}
    log(f"  {out}")
    return out


# ---- report -------------------------------------------------------------------------------

def svg_chart(data, path):
    """Latency percentiles (log scale) per endpoint and connection count, plus the paced run."""
    names = list(ENDPOINTS)
    pw, ph, left, top = 300, 300, 60, 50
    width, height = left + len(names) * (pw + 20), top + ph + 90
    colors = {"p50": "#4e79a7", "p99": "#f28e2b", "p99.9": "#e15759"}
    keys = (("p50", "p50_ms"), ("p99", "p99_ms"), ("p99.9", "p999_ms"))
    allv = [r[k] for r in data["matrix"] + data["paced"] for _, k in keys if r[k] > 0]
    lo, hi = 0.1, 10 ** (len(str(int(max(allv) * 10))) - 1)
    import math

    def y(v):
        v = max(v, lo)
        return top + ph - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * ph

    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{left}" y="20" font-size="14" font-weight="bold">triad latency through Nginx (wrk, {DURATION} s per run, '
         f'{data["machine"]["cores"]} cores shared with the load generator) — {data["stamp"]}</text>',
         f'<text x="{left}" y="36">closed loop at 16 / 64 / 256 connections, and paced at @rate req/s (64 connections); '
         'log scale, milliseconds</text>']
    for i, name in enumerate(names):
        x0 = left + i * (pw + 20)
        s.append(f'<rect x="{x0}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>')
        dec = lo
        while dec <= hi:
            yy = y(dec)
            s.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eee"/>')
            if i == 0:
                s.append(f'<text x="{x0 - 5}" y="{yy + 4:.1f}" text-anchor="end">{dec:g}</text>')
            dec *= 10
        groups = [(f"c={r['connections']}", r) for r in data["matrix"] if r["endpoint"] == name]
        groups += [(f"@{r['target_rate']}/s", r) for r in data["paced"] if r["endpoint"] == name]
        gw = pw / len(groups)
        for g, (label, r) in enumerate(groups):
            for k, (pname, key) in enumerate(keys):
                bx = x0 + g * gw + 8 + k * (gw - 16) / 3
                bw = (gw - 16) / 3 - 2
                yy = y(r[key])
                s.append(f'<rect x="{bx:.1f}" y="{yy:.1f}" width="{bw:.1f}" height="{top + ph - yy:.1f}" '
                         f'fill="{colors[pname]}"><title>{LABELS[name]} {label} {pname}: {r[key]:.2f} ms</title></rect>')
            s.append(f'<text x="{x0 + g * gw + gw / 2:.1f}" y="{top + ph + 14}" text-anchor="middle">{label}</text>')
            s.append(f'<text x="{x0 + g * gw + gw / 2:.1f}" y="{top + ph + 27}" text-anchor="middle" fill="#555">'
                     f'{r["rps"]:.0f}/s</text>')
        s.append(f'<text x="{x0 + pw / 2}" y="{top - 4}" text-anchor="middle" font-weight="bold">{LABELS[name]}</text>')
    for k, (pname, _) in enumerate(keys):
        s.append(f'<rect x="{left + k * 80}" y="{height - 30}" width="12" height="12" fill="{colors[pname]}"/>'
                 f'<text x="{left + k * 80 + 16}" y="{height - 20}">{pname}</text>')
    s.append(f'<text x="{left + 260}" y="{height - 20}" fill="#555">second label row: requests/s achieved</text>')
    s.append("</svg>")
    path.write_text("\n".join(s) + "\n")


def fmt(v, nd=1):
    return "–" if v is None else f"{v:,.{nd}f}"


def report(data, stem):
    m = data["machine"]
    L = [f"# triad bench {data['stamp']} on {m['host']}", "",
         f"Command: `{data['command']}` (commit `{data['commit']}`{', uncommitted changes' if data['dirty'] else ''}).",
         f"Each load run: wrk, {THREADS} threads, {DURATION} s, after a 5 s warm-up per endpoint; "
         f"item reads rotate over {N_ITEMS} pre-warmed ids (every read a cache hit).", "",
         "**Caveat:** one machine with "
         f"{m['cores']} cores runs the load generator, Docker's userland proxy, Nginx, three JVMs, PostgreSQL "
         "and Redis. Numbers show relative cost and where the limits are, not what the service does on "
         "dedicated hardware.", "",
         "## Machine", "", "| | |", "|---|---|"]
    for k, v in m.items():
        L.append(f"| {k} | {v} |")
    L += ["", "## Throughput and latency through Nginx (host → 127.0.0.1:9999)", "",
          "| endpoint | conns | req/s | p50 ms | p99 ms | p99.9 ms | max ms | 503 | other non-2xx | socket errors |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in data["matrix"]:
        L.append(f"| {LABELS[r['endpoint']]} | {r['connections']} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'], 2)} | "
                 f"{fmt(r['p99_ms'], 1)} | {fmt(r['p999_ms'], 1)} | {fmt(r['max_ms'], 0)} | {r['n503']} | "
                 f"{r['non2xx'] - r['n503']} | {r['socket_errors']} |")
    L += ["", f"Chart: [{stem}-latency.svg]({stem}-latency.svg)", "",
          "## Paced, 64 connections (wrk delay() schedule, no coordinated-omission correction)", "",
          "| endpoint | target req/s | achieved req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-2xx |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in data["paced"]:
        L.append(f"| {LABELS[r['endpoint']]} | {r['target_rate']} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'], 2)} | {fmt(r['p90_ms'], 2)} | "
                 f"{fmt(r['p99_ms'], 1)} | {fmt(r['p999_ms'], 1)} | {fmt(r['max_ms'], 0)} | {r['non2xx']} |")
    L += ["", "## CPU per component during the closed-loop runs (cores, of 2.0)", "",
          "| endpoint | conns | " + " | ".join(k for k in data["matrix"][0]["cpu"]) + " |",
          "|---|---:|" + "---:|" * len(data["matrix"][0]["cpu"])]
    for r in (r for r in data["matrix"] if "cpu" in r):
        L.append(f"| {r['endpoint']} | {r['connections']} | " + " | ".join(f"{v:.2f}" for v in r["cpu"].values()) + " |")
    if data.get("references"):
        refs = {(r["endpoint"], r["target"]): r for r in data["references"]}
        host64 = {r["endpoint"]: r for r in data["matrix"] if r["connections"] == REF_CONNECTIONS}
        ceil = refs.get(("constant", "edge-ceiling"))
        L += ["", f"## References ({REF_CONNECTIONS} connections, wrk in a container on the `edge` network)", "",
              f"Ceiling: a bench-only Nginx answering a constant ({fmt(ceil['rps'], 0)} req/s, p99 "
              f"{fmt(ceil['p99_ms'], 1)} ms). \"one instance\" is web1:8080 directly (1 JVM, but the other two "
              "idle JVMs, PostgreSQL and Redis still share the cores).", "",
              "| endpoint | host→:9999 req/s | edge→nginx req/s | edge→web1 req/s | stack / one instance | "
              "stack / ceiling | host→:9999 / edge→nginx | 503 (edge→web1) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name in ENDPOINTS:
            a, b, h = refs[(name, "edge-nginx")], refs[(name, "edge-web1")], host64[name]
            L.append(f"| {LABELS[name]} | {fmt(h['rps'], 0)} | {fmt(a['rps'], 0)} | {fmt(b['rps'], 0)} | "
                     f"{a['rps'] / b['rps']:.2f} | {a['rps'] / ceil['rps']:.3f} | {h['rps'] / a['rps']:.2f} | {b['n503']} |")
    if data.get("failover"):
        L += ["", f"## Failover under load (paced mix at {FAILOVER_RATE} req/s, 32 connections, 20 s: "
              "item GETs and POSTs with Idempotency-Key)", "",
              "| scenario | requests | non-2xx | socket errors | p99 ms | p99.9 ms | max ms | "
              "nginx p99 before (worst second) | worst second max ms | retried by Nginx |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for f in data["failover"]:
            w = f["wrk"]
            L.append(f"| {f['scenario']} (`{f['command']}` at {fmt(f.get('action_at_s'))} s, took "
                     f"{fmt(f.get('action_s'))} s) | {w['requests']} | {w['non2xx']} | {w['socket_errors']} | "
                     f"{fmt(w['p99_ms'])} | {fmt(w['p999_ms'])} | {fmt(w['max_ms'], 0)} | {fmt(f['baseline_p99_ms'])} | "
                     f"{fmt(f['spike_max_ms'], 0)} | {sum(x['retried'] for x in f['timeline'])} |")
        for f in data["failover"]:
            L += ["", f"Per second, {f['scenario']} (Nginx access log: request_time; retried = more than one upstream tried):",
                  "", "| s | requests | non-2xx | retried | p50 ms | p99 ms | max ms |", "|---:|---:|---:|---:|---:|---:|---:|"]
            for x in f["timeline"]:
                L.append(f"| {x['second']} | {x['requests']} | {x['non2xx']} | {x['retried']} | {x['p50_ms']:.0f} | "
                         f"{x['p99_ms']:.0f} | {x['max_ms']:.0f} |")
    L += ["", "## Footprint", ""]
    mem_idle, mem_load = data["memory_idle"], next(
        (r["memory_under_load"] for r in data["matrix"] if "memory_under_load" in r), {})
    L += ["| instance | RSS idle MiB | RSS under load MiB | cgroup usage under load MiB | cgroup peak MiB (since start) |",
          "|---|---:|---:|---:|---:|"]
    for s in sorted(mem_idle):
        ld = mem_load.get(s, {})
        L.append(f"| {s} | {fmt(mem_idle[s]['rss_mib'])} | {fmt(ld.get('rss_mib'))} | {fmt(ld.get('cgroup_usage_mib'))} | "
                 f"{fmt(data['memory_end'].get(s, {}).get('cgroup_peak_mib'))} |")
    L += ["", f"Image `{m['image']}`: {m['image_size_mb']} MB. "
          f"Load sample: 60 % into the 64-connection item GET run (RSS = VmRSS of the JVM, PID 1 of the container)."]
    if data.get("startup"):
        st = data["startup"]
        L.append(f"Container start → `/health/ready` 200 (web3, polled every 0.2 s with docker exec): "
                 f"{fmt(st['start_to_ready_s'], 2)} s; Helidon: channels up {fmt(st['helidon_since_jvm_start_ms'], 0)} ms after JVM start.")
    if data.get("cold"):
        c = data["cold"]
        L.append(f"Cold `SKIP_IMAGE=1 make up` (images present, containers removed by `make down`, volumes kept) "
                 f"to all healthy: {c['make_up_skip_image_s']} s (`make down` took {c['make_down_s']} s).")
    L += ["", "## Commands (load)", "", "```sh"] + COMMANDS + ["```", ""]
    return "\n".join(L)


# ---- A/B of candidate changes ---------------------------------------------------------------

# A variant: env for web1-3 (compose override) and/or text replacements in a copy of nginx/.
VARIANTS = {
    "pool5": {"env": {"DB_POOL_SIZE": "5"}, "runs": ["list", "post"]},
    "pool20": {"env": {"DB_POOL_SIZE": "20"}, "runs": ["list", "post"]},
    "pool30": {"env": {"DB_POOL_SIZE": "30"}, "runs": ["list", "post"]},
    "nginx-keepalive-128": {"nginx": [("conf.d/10-upstream.conf", "keepalive 32;", "keepalive 128;")],
                            "runs": ["instance", "item"]},
    # measured against the unbuffered log it replaced (kept: see docs/PERFORMANCE.md)
    "nginx-log-buffer": {"nginx": [("conf.d/20-proxy.conf", "access_log /dev/stdout triad_json;",
                                    "access_log /dev/stdout triad_json buffer=64k flush=1s;")],
                         "runs": ["instance", "item"]},
    "nginx-no-log": {"nginx": [("conf.d/20-proxy.conf", "access_log /dev/stdout triad_json buffer=64k flush=1s;",
                                "access_log off;")], "runs": ["instance", "item"]},
    "jvm-1cpu": {"env": {"JAVA_TOOL_OPTIONS": "-XX:ActiveProcessorCount=1"}, "runs": ["instance", "item", "list", "post"]},
    "jvm-parallelgc": {"env": {"JAVA_TOOL_OPTIONS": "-XX:+UseParallelGC"}, "runs": ["instance", "item", "list"]},
    "jvm-g1": {"env": {"JAVA_TOOL_OPTIONS": "-XX:+UseG1GC"}, "runs": ["instance", "item", "list"]},
    # B = the service before its JSON-factory and access-log changes, tagged from commit 621abe8
    # (git worktree add /tmp/old 621abe8 && (cd /tmp/old && ./mvnw jib:dockerBuild …) &&
    # docker tag triad:latest triad:pre-json-log, then make image again). Read the ratio inverted.
    "service-before-json-log": {"image": "triad:pre-json-log", "runs": ["instance", "item", "list", "post"]},
}


def variant_files(name, spec):
    d = TMP / "ab" / name
    d.mkdir(parents=True, exist_ok=True)
    lines = ["services:"]
    if spec.get("env") or spec.get("image"):
        for w in ("web1", "web2", "web3"):
            lines += [f"  {w}:"]
            if spec.get("image"):
                lines += [f"    image: {spec['image']}"]
            if spec.get("env"):
                lines += ["    environment:"] + [f"      {k}: {json.dumps(v)}" for k, v in spec["env"].items()]
    if spec.get("nginx"):
        import shutil
        ng = d / "nginx"
        shutil.rmtree(ng, ignore_errors=True)
        shutil.copytree(ROOT / "nginx", ng)
        for f, old, new in spec["nginx"]:
            p = ng / f
            text = p.read_text()
            if old not in text:
                raise RuntimeError(f"{f}: '{old}' not found")
            p.write_text(text.replace(old, new))
        lines += ["  nginx:", "    volumes:", f"      - {ng}:/etc/nginx/triad:ro"]
    f = d / "override.yaml"
    f.write_text("\n".join(lines) + "\n")
    return f


def ab(name, conns, rounds):
    spec = VARIANTS[name]
    override = variant_files(name, spec)
    run_id = f"ab{int(time.time())}"
    results = {"A": [], "B": []}
    order = ["A", "B"] * rounds + ["A"]    # A B A: drift shows as A vs A
    try:
        for i, which in enumerate(order):
            log(f"{name}: phase {i + 1}/{len(order)} = {which} ({'baseline' if which == 'A' else 'variant'})")
            compose("up", "-d", "--wait", files=() if which == "A" else (override,), timeout=600)
            ids, _ = seed_items(run_id + str(i))
            load = Load(ids, run_id, image_of_stack())
            for n in spec["runs"]:
                mode, path = ENDPOINTS[n]
                load.run(mode, path, 64, duration=5, record=False)
            for n in spec["runs"]:
                mode, path = ENDPOINTS[n]
                for c in conns:
                    r = load.run(mode, path, c, duration=DURATION, record=False)
                    r.update({"endpoint": n, "phase": i})
                    log(f"  {which} {n} c={c}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.1f} ms, 503 {r['n503']}")
                    results[which].append(r)
    finally:
        compose("up", "-d", "--wait", timeout=600)
        cleanup()
    rows = []
    for n in spec["runs"]:
        for c in conns:
            a = [r for r in results["A"] if r["endpoint"] == n and r["connections"] == c]
            b = [r for r in results["B"] if r["endpoint"] == n and r["connections"] == c]
            avg = lambda xs, k: sum(x[k] for x in xs) / len(xs)
            rows.append({"endpoint": n, "connections": c,
                         "A_rps": [x["rps"] for x in a], "B_rps": [x["rps"] for x in b],
                         "rps_ratio": round(avg(b, "rps") / avg(a, "rps"), 3),
                         "ok_rps_ratio": round(avg(b, "ok_rps") / max(avg(a, "ok_rps"), 0.1), 3),
                         "p99_ratio": round(avg(b, "p99_ms") / avg(a, "p99_ms"), 3),
                         "A_p99": [x["p99_ms"] for x in a], "B_p99": [x["p99_ms"] for x in b],
                         "A_503": [x["n503"] for x in a], "B_503": [x["n503"] for x in b]})
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    out = RESULTS / f"ab-{stamp}-{name}.md"
    L = [f"# A/B {name} — {stamp} on {socket.gethostname()}", "",
         f"Variant: `{json.dumps({k: v for k, v in spec.items() if k != 'runs'})}`", "",
         f"Command: `python3 bench/bench.py ab {name}` (phases {' '.join(order)}: A = the committed config, "
         f"B = the variant; each phase recreates what changed, seeds and warms, then wrk {DURATION} s per row "
         f"through 127.0.0.1:9999). Ratios are B / mean(A).", "",
         "| endpoint | conns | A req/s | B req/s | req/s B/A | 2xx req/s B/A | A p99 ms | B p99 ms | p99 B/A | A 503 | B 503 |",
         "|---|---:|---|---|---:|---:|---|---|---:|---|---|"]
    for r in rows:
        L.append(f"| {LABELS[r['endpoint']]} | {r['connections']} | {' / '.join(f'{x:.0f}' for x in r['A_rps'])} | "
                 f"{' / '.join(f'{x:.0f}' for x in r['B_rps'])} | **{r['rps_ratio']:.2f}** | {r['ok_rps_ratio']:.2f} | "
                 f"{' / '.join(f'{x:.1f}' for x in r['A_p99'])} | {' / '.join(f'{x:.1f}' for x in r['B_p99'])} | "
                 f"{r['p99_ratio']:.2f} | {' / '.join(map(str, r['A_503']))} | {' / '.join(map(str, r['B_503']))} |")
    out.write_text("\n".join(L) + "\n")
    (RESULTS / f"ab-{stamp}-{name}.json").write_text(json.dumps({"variant": name, "spec": spec, "rows": rows,
                                                                 "runs": results}, indent=1) + "\n")
    print("\n".join(L))
    log(f"wrote {out.relative_to(ROOT)}")


# ---- main ---------------------------------------------------------------------------------

def main():
    if len(sys.argv) > 2 and sys.argv[1] == "report":   # re-render from a results JSON
        data = json.loads(pathlib.Path(sys.argv[2]).read_text())
        COMMANDS.extend(data.get("commands", []))
        stem = pathlib.Path(sys.argv[2]).stem
        svg_chart(data, RESULTS / f"{stem}-latency.svg")
        (RESULTS / f"{stem}.md").write_text(report(data, stem))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "cleanup":
        cleanup()
        return
    if len(sys.argv) > 1 and sys.argv[1] == "ab":
        if len(sys.argv) < 3 or sys.argv[2] not in VARIANTS:
            sys.exit(f"usage: bench.py ab VARIANT [CONNS]; variants: {', '.join(VARIANTS)}")
        conns = [int(c) for c in (sys.argv[3] if len(sys.argv) > 3 else "64,256").split(",")]
        ab(sys.argv[2], conns, int(os.environ.get("BENCH_ROUNDS", "1")))
        return
    if not os.access(WRK, os.X_OK):
        sys.exit("wrk is missing: apt-get install wrk")
    try:
        http("GET", "/api/instance")
    except OSError as e:
        sys.exit(f"the stack does not answer on {URL} ({e}): run `make up` first")
    TMP.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    wait_healthy(["web1", "web2", "web3", "nginx"])
    started = time.monotonic()
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    run_id = f"r{int(time.time())}"
    image = image_of_stack()
    services = services_map()
    data = {"stamp": stamp, "command": "make bench",
            "commit": sh(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).strip(),
            "dirty": bool(sh(["git", "-C", str(ROOT), "status", "--porcelain", "--", "nginx", "compose", "pom.xml", "src"]).strip()),
            "settings": {"duration_s": DURATION, "connections": CONNECTIONS, "rate": RATE, "threads": THREADS}}
    data["machine"] = versions(image)
    log(f"machine: {data['machine']}")
    data["memory_idle"] = memory(services)
    ids, _ = seed_items(run_id)
    load = Load(ids, run_id, image)
    warmup(load)
    warm_cache(list(range(int(ids.split("-")[0]), int(ids.split("-")[1]) + 1)))
    data["matrix"] = matrix(load, services)
    data["paced"] = paced(load)
    if os.environ.get("BENCH_REFERENCES", "1") == "1":
        data["references"] = references(load)
    data["memory_end"] = memory(services)
    if os.environ.get("BENCH_FAILOVER", "1") == "1":
        data["failover"] = failover(load)
    if os.environ.get("BENCH_STARTUP", "1") == "1":
        data["startup"] = startup(services)
    cleanup()
    if os.environ.get("BENCH_COLD", "1") == "1":
        data["cold"] = cold_up()
    data["elapsed_s"] = round(time.monotonic() - started)
    stem = f"{stamp}-{data['machine']['host']}"
    data["commands"] = COMMANDS
    (RESULTS / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n")
    svg_chart(data, RESULTS / f"{stem}-latency.svg")
    (RESULTS / f"{stem}.md").write_text(report(data, stem))
    log(f"done in {data['elapsed_s']} s: bench/results/{stem}.md, .json, -latency.svg")


if __name__ == "__main__":
    main()
