#!/usr/bin/env python3
"""The bench runner: measures the running Compose stack and writes bench/results/<stamp>.json,
then hands it to bench/report.py (which writes the .md next to it and updates docs/PERFORMANCE.md).

    make up && make bench                       # or: python3 bench/run.py
    python3 bench/run.py ab NAME A B            # one-run A/B/A of two stack variants (see VARIANTS)
    python3 bench/run.py cleanup                # delete the bench's items and cache keys

What one `make bench` measures, in this order (about 8 minutes):
  1. seed 100 items and read each twice, so every item read of the bench is a cache hit;
  2. closed loop, `wrk -t2 -c64 -d10s` from inside the Nginx container's network namespace
     (no Docker userland proxy): GET /api/instance and GET /api/items/{id}, each after a
     BENCH_WARMUP s (5) warm-up, with CPU per request of every container group, Docker's processes and wrk;
  3. the proxy ceiling: a throwaway copy of the edge (the stack's own nginx/ config) in front of
     three Nginx that answer a constant, measured the same way, first with the stack idle beside
     it, then alone (the stack paused: `docker compose pause`, no CPU at all);
     then the framework floors, alone: the same edge in front of three Helidon SE servers in
     the image's JVM (bench/floor/Floor.java) that answer a constant, and three that first read
     it from the stack's Redis with one GET (the stack paused but its Redis): the best a Helidon
     service, and a cached read, do here; stack vs floor is the project's gap, floor vs ceiling
     the runtime's and the machine's (a third floor, one INSERT per request, is measured once
     beside the POST capacity of step 4);
     steps 2-3 are repeated BENCH_ROUNDS times (2) so the noise is visible, after one warm-up
     of BENCH_FIRST_WARMUP s (20) per endpoint;
  4. POST /api/items closed loop (its capacity), then open loop: 1,000 requests/s for 10 s
     (after 3 s of the same) of the cached item and of POST /api/items, latency from each
     request's intended start (bench/pacer/Pacer.java); the same schedule against the floors;
  5. footprint: each instance's RSS, the image's size.
Knobs: BENCH_DURATION (10), BENCH_CONNECTIONS (64), BENCH_RATE (1000), BENCH_ROUNDS (2),
BENCH_WARMUP (5), BENCH_FIRST_WARMUP (20).
"""
import contextlib
import datetime
import json
import os
import pathlib
import socket
import sys
import time
import typing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack as s  # noqa: E402
import report  # noqa: E402

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
RATE = int(os.environ.get("BENCH_RATE", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
# Per loop; the first round is preceded by a longer warm-up of every endpoint (FIRST_WARMUP):
# three JVMs on two cores need tens of seconds of load before C2 has compiled the hot paths,
# and with 3 s the two rounds of one run differed by 2x.
WARMUP = int(os.environ.get("BENCH_WARMUP", "5"))
FIRST_WARMUP = int(os.environ.get("BENCH_FIRST_WARMUP", "20"))
N_ITEMS = 100
EDGE = "http://127.0.0.1:80"   # Nginx, from inside its own network namespace

CEILING_NET = "triad-bench-ceiling"
CEILING_SUBNET = os.environ.get("BENCH_CEILING_NET", "10.213.98")
CEILING_IMAGE = "nginx:1.28-alpine"
CEILING_UPSTREAM_BASE = 10     # the constant Nginx upstreams: <CEILING_SUBNET>.11-.13


# ---- the stack -----------------------------------------------------------------------------

def stack_containers():
    return {name: s.container(name) for name in ("nginx", "web1", "web2", "web3", "postgres", "redis")}


def seed(run):
    """N_ITEMS fresh items, each read twice so every later read is a hit; their id range."""
    ids = []
    for i in range(N_ITEMS):
        body = json.dumps({"name": f"bench-seed-{run}-{i}", "description": "bench item", "quantity": i})
        _, h, _ = s.http("POST", "/api/items", body, {"Content-Type": "application/json"})
        ids.append(int(h["Location"].rsplit("/", 1)[1]))
    for i in ids:
        for _ in range(2):
            s.http("GET", f"/api/items/{i}")
    _, h, _ = s.http("GET", f"/api/items/{ids[0]}")
    if h.get("X-Cache") != "HIT":
        raise RuntimeError(f"item {ids[0]} is not a cache hit after warming (X-Cache: {h.get('X-Cache')})")
    return min(ids), max(ids)


def closed_loop(nginx_cid, containers, groups, path, mode, ids, run):
    """wrk through Nginx after a warm-up, with CPU per request of every group."""
    s.wrk(nginx_cid, EDGE, path, CONNECTIONS, WARMUP, mode, ids, run)
    s.COMMANDS.pop()   # the warm-up is the same command, shorter
    before = s.cpu_snapshot(containers)
    r = s.wrk(nginx_cid, EDGE, path, CONNECTIONS, DURATION, mode, ids, run)
    r["cpu"] = s.cpu_per_request(before, s.cpu_snapshot(containers), r["requests"], groups)
    return r


# ---- the proxy ceiling ---------------------------------------------------------------------

def ceiling_up():
    """The stack's Nginx config in front of three constant Nginx, on a network of its own."""
    ceiling_down()
    s.sh(["docker", "network", "create", "--subnet", f"{CEILING_SUBNET}.0/24", CEILING_NET])
    cids = {}
    for i in (1, 2, 3):
        cids[f"upstream{i}"] = s.sh([
            "docker", "run", "-d", "--name", f"triad-bench-up{i}", "--network", CEILING_NET,
            "--ip", f"{CEILING_SUBNET}.{CEILING_UPSTREAM_BASE + i}", "-v", f"{s.BENCH / 'ceiling'}:/bench:ro",
            CEILING_IMAGE, "nginx", "-c", "/bench/upstream.conf", "-g", "daemon off;"]).strip()
    cids["edge"] = edge_up("triad-bench-edge", CEILING_UPSTREAM_BASE)
    return cids


def edge_up(name, upstream_base):
    """A throwaway copy of the stack's edge (its own nginx/ config) on the ceiling's network, with
    web1-web3 at <CEILING_SUBNET>.<upstream_base + 1..3>; returns once a request through each of
    the three upstreams (Nginx's round robin passes each in turn) has answered 200."""
    s.sh(["docker", "rm", "-f", name], check=False)
    hosts = []
    for i in (1, 2, 3):
        hosts += ["--add-host", f"web{i}:{CEILING_SUBNET}.{upstream_base + i}"]
    cid = s.sh([
        "docker", "run", "-d", "--name", name, "--network", CEILING_NET, *hosts,
        "-v", f"{s.ROOT / 'nginx'}:/etc/nginx/triad:ro", "--memory", "128m",
        CEILING_IMAGE, "nginx", "-c", "/etc/nginx/triad/nginx.conf", "-g", "daemon off;"]).strip()
    probe = s.in_netns(cid, ["curl", "-s", "-w", "%{http_code}\\n", *["-o", "/dev/null", EDGE + "/api/instance"] * 3])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if s.sh(probe, check=False).split().count("200") == 3:
            return cid
        time.sleep(0.3)
    raise RuntimeError(f"{name} did not answer 200 within 30 s: docker logs {name}")


@contextlib.contextmanager
def paused(*services):
    """The stack's services frozen (`docker compose pause`; all of them when none is named)."""
    s.compose("pause", *services)
    try:
        yield
    finally:
        s.compose("unpause", *services)


def all_but(containers, service):
    return [n for n in containers if n != service]


def ceiling_down():
    for name in ("triad-bench-edge", "triad-bench-up1", "triad-bench-up2", "triad-bench-up3"):
        s.sh(["docker", "rm", "-f", name], check=False)
    s.sh(["docker", "network", "rm", CEILING_NET], check=False)


def ceiling_run(cids, stack, label):
    containers = {**cids, **stack}
    groups = {"ceiling edge (nginx)": ("edge",), "ceiling upstreams (3 nginx)": ("upstream1", "upstream2", "upstream3"),
              **{f"stack {g}": members for g, members in s.GROUPS.items()}}
    r = closed_loop(cids["edge"], containers, groups, "/api/instance", "get", "1-1", "ceiling")
    r["label"] = label
    return r


# ---- the framework floor -------------------------------------------------------------------

def floor_classes(image):
    """bench/floor/Floor.java compiled against the jars of the image under test (its /app/libs),
    so the floor runs the same Helidon as the stack."""
    out = s.BENCH / "tmp" / "floor"
    libs = s.BENCH / "tmp" / "floor-libs"
    s.sh(["rm", "-rf", out, libs])
    out.mkdir(parents=True)
    cid = s.sh(["docker", "create", image]).strip()
    try:
        s.sh(["docker", "cp", f"{cid}:/app/libs", libs])
    finally:
        s.sh(["docker", "rm", cid])
    s.sh([os.path.join(os.path.dirname(s.JAVA), "javac"), "--release", "21", "-cp", f"{libs}/*", "-d", out,
          s.BENCH / "floor" / "Floor.java"])
    return out


class Floor(typing.NamedTuple):
    upstream_base: int   # its upstreams are <CEILING_SUBNET>.<upstream_base + 1..3>
    does: str
    served_by: str       # the stack's service it uses (kept running while the rest is paused), or ""
    path: str
    wrk_mode: str
    method: str


FLOORS = {
    "plain": Floor(20, "answers a constant", "", "/api/instance", "get", "GET"),
    "redis": Floor(30, "answers a constant read from the stack's Redis with one GET", "redis", "/api/instance", "get", "GET"),
    "pg": Floor(40, "inserts one row into the stack's PostgreSQL and answers 201", "postgres", "/api/items", "post", "POST"),
}
FLOOR_JVMS = report.FLOOR_JVMS   # the CPU group of the floors' three JVMs


def floor_up(image, kind, classes):
    """Three Floor JVMs (the image's JVM, flags, user, memory limit) behind a copy of the edge,
    on the ceiling's network; kinds "redis" and "pg" also join the stack's backend network and
    use its Redis or PostgreSQL (passwords from the stack's secret files). Returns container ids."""
    base = FLOORS[kind].upstream_base
    flags = json.loads(s.sh(["docker", "inspect", "-f", "{{json .Config.Entrypoint}}", image]))
    jvm = [f for f in flags[1:flags.index("-cp")] if f.startswith("-X") or f.startswith("-D")] if "-cp" in flags else []
    user = s.sh(["docker", "inspect", "-f", "{{.Config.User}}", image]).strip()
    def secret_of(service, name):
        return s.sh(["docker", "inspect", "-f",
                     f'{{{{range .Mounts}}}}{{{{if eq .Destination "/run/secrets/{name}"}}}}{{{{.Source}}}}{{{{end}}}}{{{{end}}}}',
                     s.container(service)]).strip()
    backend = []
    if kind == "redis":
        # the service's own Redis user (its keys triad:* and commands only), as web1-web3 connect
        backend = ["-e", "FLOOR_REDIS_HOST=redis", "-e", "FLOOR_REDIS_USER=triad", "-e", "FLOOR_REDIS_PASSWORD_FILE=/run/secrets/redis_password",
                   "-v", f"{secret_of('redis', 'redis_password')}:/run/secrets/redis_password:ro"]
    elif kind == "pg":
        # the service's own role and password (DML only), as web1-web3 connect
        backend = ["-e", "FLOOR_DB_URL=jdbc:postgresql://postgres:5432/triad", "-e", "FLOOR_DB_USER=triad",
                   "-e", "FLOOR_DB_PASSWORD_FILE=/run/secrets/db_password",
                   "-v", f"{secret_of('web1', 'db_password')}:/run/secrets/db_password:ro"]
    cids = {}
    for i in (1, 2, 3):
        name = f"triad-bench-floor-{kind}{i}"
        s.sh(["docker", "rm", "-f", name], check=False)
        cids[f"floor{i}"] = s.sh([
            "docker", "run", "-d", "--name", name, "--network", CEILING_NET,
            "--ip", f"{CEILING_SUBNET}.{base + i}", "--memory", "512m", "--user", user, *backend,
            "--read-only", "--tmpfs", "/tmp", "-v", f"{classes}:/floor:ro", "--entrypoint", "java",
            image, *jvm, "-cp", "/app/libs/*:/floor", "Floor"]).strip()
        if backend:
            s.sh(["docker", "network", "connect", f"{s.PROJECT}_backend", name])
    cids["floor edge"] = edge_up(f"triad-bench-floor-{kind}-edge", base)
    return cids


def floor_down():
    for kind in FLOORS:
        for name in (f"triad-bench-floor-{kind}-edge", *[f"triad-bench-floor-{kind}{i}" for i in (1, 2, 3)]):
            s.sh(["docker", "rm", "-f", name], check=False)


def floor_run(cids, kind):
    floor = FLOORS[kind]
    groups = {"floor edge (nginx)": ("floor edge",), FLOOR_JVMS: ("floor1", "floor2", "floor3")}
    if floor.served_by:
        cids = {**cids, floor.served_by: s.container(floor.served_by)}
        groups[floor.served_by] = (floor.served_by,)
    r = closed_loop(cids["floor edge"], cids, groups, floor.path, floor.wrk_mode, "1-1", "floor")
    r["label"] = f"alone ({floor.does})"
    return r


# ---- phases --------------------------------------------------------------------------------

def measure():
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d-%H%M")
    run = stamp.replace("-", "")
    containers = stack_containers()
    data = {"stamp": stamp, "host": socket.gethostname(), "cores": os.cpu_count(),
            "load_before": s.machine_load(), "settings": {
                "duration_s": DURATION, "connections": CONNECTIONS, "rate": RATE, "rounds": ROUNDS,
                "warmup_s": WARMUP, "first_warmup_s": FIRST_WARMUP},
            "image": s.sh(["docker", "inspect", "-f", "{{.Config.Image}}", containers["web1"]]).strip()}
    data["jdk"] = s.sh(["docker", "exec", containers["web1"], "java", "-version"], check=False).strip() or \
        s.sh(["docker", "exec", containers["web1"], "sh", "-c", "java -version 2>&1"], check=False).strip()
    s.log(f"stack image {data['image']}; machine load {data['load_before']['loadavg']}")
    first, last = seed(run)
    ids = f"{first}-{last}"
    s.log(f"seeded items {ids} (cache hits)")
    data["rounds"] = []
    cids = ceiling_up()
    floor = {}
    try:
        classes = floor_classes(data["image"])
        floor = {kind: floor_up(data["image"], kind, classes) for kind in FLOORS}
        s.log(f"warming up every endpoint for {FIRST_WARMUP} s each (JIT)")
        for cid, path, mode, i in ((containers["nginx"], "/api/instance", "get", ids),
                                   (containers["nginx"], "/api/items/", "item", ids),
                                   *[(f["floor edge"], FLOORS[k].path, FLOORS[k].wrk_mode, "1-1") for k, f in floor.items()]):
            s.wrk(cid, EDGE, path, CONNECTIONS, FIRST_WARMUP, mode, i, run)
            s.COMMANDS.pop()
        for rnd in range(ROUNDS):
            entry = {}
            for name, path, mode in (("instance", "/api/instance", "get"), ("item", "/api/items/", "item")):
                r = closed_loop(containers["nginx"], containers, s.GROUPS, path, mode, ids, run)
                s.log(f"round {rnd + 1} stack {name}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.1f} ms, "
                      f"instances {r['cpu']['instances']['us_per_req']} µs/req")
                entry[name] = r
            r = ceiling_run(cids, containers, "beside the idle stack")
            s.log(f"round {rnd + 1} ceiling beside the idle stack: {r['rps']:.0f} req/s")
            entry["ceiling_beside"] = r
            with paused():
                r = ceiling_run(cids, {}, "alone (stack paused)")
            s.log(f"round {rnd + 1} ceiling alone: {r['rps']:.0f} req/s")
            entry["ceiling_alone"] = r
            with paused():
                entry["floor_alone"] = floor_run(floor["plain"], "plain")
            with paused(*all_but(containers, "redis")):
                entry["floor_redis_alone"] = floor_run(floor["redis"], "redis")
            s.log(f"round {rnd + 1} framework floor alone: {entry['floor_alone']['rps']:.0f} req/s, "
                  f"with a Redis GET: {entry['floor_redis_alone']['rps']:.0f} req/s "
                  f"({entry['floor_redis_alone']['cpu'][FLOOR_JVMS]['us_per_req']} µs/req in the JVMs)")
            data["rounds"].append(entry)
        # After a pause the instances' heartbeats and pools catch up; give them the warm-up of the
        # paced runs (Pacer's --warmup) and check every instance answers first.
        for _ in range(6):
            s.http("GET", "/api/instance")
        # What POST does closed-loop, so the paced POST's rate can be read as a share of it.
        data["post_capacity"] = closed_loop(containers["nginx"], containers, s.GROUPS, "/api/items", "post", ids, run)
        s.log(f"POST closed loop: {data['post_capacity']['rps']:.0f} req/s, p99 {data['post_capacity']['p99_ms']:.1f} ms, "
              f"instances {data['post_capacity']['cpu']['instances']['us_per_req']} µs/req, "
              f"postgres {data['post_capacity']['cpu']['postgres']['us_per_req']} µs/req")
        with paused(*all_but(containers, "postgres")):
            data["floor_pg_alone"] = floor_run(floor["pg"], "pg")
        s.log(f"floor with one INSERT, alone: {data['floor_pg_alone']['rps']:.0f} req/s, p99 {data['floor_pg_alone']['p99_ms']:.1f} ms")
        data["paced"] = {}
        for name, path, method in (("item", "/api/items/{id}", "GET"), ("post", "/api/items", "POST")):
            r = s.pacer(containers["nginx"], EDGE, path, RATE, DURATION, method, ids)
            s.log(f"paced {name} {RATE}/s: p50 {r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms, "
                  f"errors {r['errors']}")
            data["paced"][name] = r
        # The same schedule against the floors: beside the idle stack (as the stack's own paced
        # runs had the idle floors beside them) and alone: the latency a Helidon JVM, and one with
        # a Redis GET, gives on this machine, against which the stack's tail is judged.
        data["paced_floor"] = {}
        for key, kind, frozen in (("plain beside", "plain", contextlib.nullcontext()), ("plain alone", "plain", paused()),
                                  ("redis beside", "redis", contextlib.nullcontext()),
                                  ("pg beside", "pg", contextlib.nullcontext())):
            with frozen:
                r = s.pacer(floor[kind]["floor edge"], EDGE, FLOORS[kind].path, RATE, DURATION, FLOORS[kind].method, "1-1")
            s.log(f"paced floor ({key}) {RATE}/s: p50 {r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms")
            data["paced_floor"][key] = r
    finally:
        floor_down()
        ceiling_down()
    data["footprint"] = footprint(containers, data["image"])
    data["load_after"] = s.machine_load()
    data["commands"] = s.COMMANDS
    return data


def footprint(containers, image):
    out = {"image_mb": round(int(s.sh(["docker", "image", "inspect", "-f", "{{.Size}}", image])) / 1e6, 1)}
    for name in ("web1", "web2", "web3"):
        status = pathlib.Path(f"/proc/{s.pid_of(containers[name])}/status").read_text()
        out[f"{name}_rss_mib"] = round(int(status.split("VmRSS:")[1].split()[0]) / 1024, 1)
    return out


def cleanup():
    """Deletes what the bench created (items named bench-*, their idempotency keys) and the item
    cache: left behind, some 20,000 items per run would bury everyone else's data. Deleting
    cache keys is always safe: a missing key is a miss that reads PostgreSQL."""
    sql = ["DELETE FROM idempotency_keys WHERE key LIKE 'bench-%'", "DELETE FROM items WHERE name LIKE 'bench-%'",
           "VACUUM ANALYZE items", "VACUUM ANALYZE idempotency_keys"]
    # As the image's superuser over the socket: the service's role may not VACUUM.
    args = ["docker", "exec", s.container("postgres"), "sh", "-c",
            'exec psql -q -U "$POSTGRES_USER" -d "$POSTGRES_DB" "$@"', "psql"]
    for statement in sql:   # one -c each: VACUUM cannot run inside a multi-statement -c
        args += ["-c", statement]
    s.sh(args)
    s.sh(["docker", "exec", s.container("redis"), "sh", "-c",
          'export REDISCLI_AUTH="$(cat /run/secrets/redis_admin_password)"; '
          'redis-cli --user triad-admin --scan --pattern "triad:item:*" | xargs -r -n 500 redis-cli --user triad-admin unlink >/dev/null; '
          'redis-cli --user triad-admin unlink triad:bench:floor >/dev/null'])
    s.log("cleanup: deleted the bench's items and keys, unlinked the item cache")


# ---- A/B of two variants -------------------------------------------------------------------

def variant_override(name, spec):
    """A Compose override for web1-web3 (image tag, environment) and Nginx (config directory)."""
    tmp = s.BENCH / "tmp"
    tmp.mkdir(exist_ok=True)
    lines = ["services:"]
    for svc in ("web1", "web2", "web3"):
        lines.append(f"  {svc}:")
        if "image" in spec:
            lines.append(f"    image: {spec['image']}")
        if spec.get("env"):
            lines.append("    environment:")
            lines += [f"      {k}: {json.dumps(v)}" for k, v in spec["env"].items()]
        if "logging" in spec:
            lines.append(f"    logging: {json.dumps(spec['logging'])}")
    if "nginx" in spec or "logging" in spec:
        lines.append("  nginx:")
        if "nginx" in spec:
            lines += ["    volumes: !override", f"      - {spec['nginx']}:/etc/nginx/triad:ro"]
        if "logging" in spec:
            lines.append(f"    logging: {json.dumps(spec['logging'])}")
    path = tmp / f"variant-{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def ab(name, *variants):
    """A, B (, C ...), A again, in one sitting: each phase recreates what differs, seeds, and
    measures both GETs closed-loop and the paced item and POST; writes
    bench/results/ab-<stamp>-<name>.{json,md}. A variant is a list
    `image=<tag>,env:KEY=VALUE,nginx=<dir>,logging=<driver>` ('' is the committed config)."""
    def parse(text):
        spec = {}
        for part in filter(None, text.split(",")):
            key, _, value = part.partition("=")
            if key.startswith("env:"):
                spec.setdefault("env", {})[key[4:]] = value
            elif key == "logging":
                spec["logging"] = {"driver": value}
            else:
                spec[key] = value
        return spec
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d-%H%M")
    labels = [chr(ord("A") + i) for i in range(len(variants))]
    out = {"stamp": stamp, "name": name, "variants": dict(zip(labels, variants)), "load_before": s.machine_load(),
           "phases": []}
    try:
        for label, text in [*zip(labels, variants), (labels[0], variants[0])]:
            files = [variant_override(f"{name}-{label}", parse(text))] if text else []
            s.compose("up", "-d", "--wait", "--no-deps", "web1", "web2", "web3", files=files, timeout=300)
            s.compose("up", "-d", "--wait", "--no-deps", "--force-recreate", "nginx", files=files, timeout=120)
            containers = stack_containers()
            run = f"{stamp.replace('-', '')}{label}{len(out['phases'])}"
            first, last = seed(run)
            ids = f"{first}-{last}"
            phase = {"label": label, "spec": text}
            # every phase starts new JVMs: the same JIT warm-up as make bench's first round
            for path, mode in (("/api/instance", "get"), ("/api/items/", "item")):
                s.wrk(containers["nginx"], EDGE, path, CONNECTIONS, FIRST_WARMUP, mode, ids, run)
                s.COMMANDS.pop()
            for key, path, mode in (("instance", "/api/instance", "get"), ("item", "/api/items/", "item")):
                phase[key] = closed_loop(containers["nginx"], containers, s.GROUPS, path, mode, ids, run)
            phase["paced_item"] = s.pacer(containers["nginx"], EDGE, "/api/items/{id}", RATE, DURATION, "GET", ids)
            phase["paced_post"] = s.pacer(containers["nginx"], EDGE, "/api/items", RATE, DURATION, "POST", ids)
            s.log(f"{label}: instance {phase['instance']['rps']:.0f} req/s "
                  f"({phase['instance']['cpu']['instances']['us_per_req']} µs), item {phase['item']['rps']:.0f} req/s "
                  f"({phase['item']['cpu']['instances']['us_per_req']} µs instances, "
                  f"{phase['item']['cpu'][s.DOCKER]['us_per_req']} µs docker), paced item p99 "
                  f"{phase['paced_item']['latency_ms']['p99']} ms, post p99 {phase['paced_post']['latency_ms']['p99']} ms")
            out["phases"].append(phase)
    finally:
        s.log("back to the committed configuration")
        s.compose("up", "-d", "--wait", "--no-deps", "web1", "web2", "web3", timeout=300)
        s.compose("up", "-d", "--wait", "--no-deps", "--force-recreate", "nginx", timeout=120)
    out["load_after"] = s.machine_load()
    s.RESULTS.mkdir(exist_ok=True)
    stem = s.RESULTS / f"ab-{stamp}-{name}"
    stem.with_suffix(".json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    stem.with_suffix(".md").write_text(report.ab_markdown(out))
    s.log(f"wrote {stem.with_suffix('.md').relative_to(s.ROOT)}")


def main(argv):
    if argv[:1] == ["cleanup"]:
        cleanup()
        return
    if argv[:1] == ["ab"]:
        if len(argv) < 4:
            sys.exit("usage: python3 bench/run.py ab NAME A B [C ...]   (each: image=<tag>,env:KEY=VALUE,nginx=<dir>; '' = committed)")
        ab(*argv[1:])
        return
    if argv:
        sys.exit(__doc__)
    try:
        data = measure()
    finally:
        cleanup()
    s.RESULTS.mkdir(exist_ok=True)
    stem = s.RESULTS / f"{data['stamp']}-{data['host']}"
    stem.with_suffix(".json").write_text(json.dumps(data, indent=1, ensure_ascii=False))
    report.write(data, stem)
    s.log(f"wrote {stem.with_suffix('.md').relative_to(s.ROOT)} and updated docs/PERFORMANCE.md")


if __name__ == "__main__":
    main(sys.argv[1:])
