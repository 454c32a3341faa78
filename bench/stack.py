"""Tools the bench runner uses: shell and Compose calls, CPU counters, the two load generators.

Nothing here decides what is measured; bench/run.py does, and bench/report.py writes it up.
"""
import json
import os
import pathlib
import re
import resource
import shlex
import subprocess
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PROJECT = "triad"
COMPOSE_FILE = ROOT / "compose" / "compose.yaml"
URL = os.environ.get("BENCH_URL", "http://127.0.0.1:9999")
JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
COMMANDS = []   # every load command run, for the report's "reproduce" section

# CPU is reported per group of containers (and Docker's own processes), as the issue counts it.
GROUPS = {
    "instances": ("web1", "web2", "web3"),
    "nginx": ("nginx",),
    "redis": ("redis",),
    "postgres": ("postgres",),
}
DOCKER = "docker (dockerd, containerd, shims, docker-proxy)"
LOADGEN = "load generator"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(args, check=True, timeout=600, env=None):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({r.returncode}): {r.stderr.strip()[-800:]}")
    return r.stdout


def compose(*args, files=(), env=None, check=True, timeout=600):
    cmd = ["docker", "compose", "-f", COMPOSE_FILE]
    for f in files:
        cmd += ["-f", f]
    return sh(cmd + ["--project-name", PROJECT, *args], check=check, timeout=timeout,
              env={**os.environ, **(env or {})})


def container(service):
    ids = compose("ps", "--quiet", service, check=False).split()
    if not ids:
        raise RuntimeError(f"the stack's {service} is not running: start it with `make up`")
    return sh(["docker", "inspect", "-f", "{{.Id}}", ids[0]]).strip()


def pid_of(cid):
    return sh(["docker", "inspect", "-f", "{{.State.Pid}}", cid]).strip()


def http(method, path, body=None, headers=None):
    req = urllib.request.Request(URL + path, data=body.encode() if body else None, method=method,
                                 headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def machine_load():
    """uptime's load averages and the busiest processes right now (other people share the machine)."""
    top = sh(["top", "-bn1", "-w", "160"], check=False).splitlines()
    procs = [l for l in top[7:12] if l.strip()]
    return {"loadavg": pathlib.Path("/proc/loadavg").read_text().split()[:3], "top": procs}


# ---- CPU accounting -------------------------------------------------------------------------

def cpu_snapshot(containers):
    """CPU nanoseconds used so far: per container (cgroup v1 cpuacct or v2 cpu.stat), Docker's
    processes, this script's children (the load generator) and the whole machine."""
    snap = {"t": time.monotonic()}
    for name, cid in containers.items():
        try:
            snap[name] = int(pathlib.Path(f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage").read_text())
        except OSError:
            stat = pathlib.Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/cpu.stat").read_text()
            snap[name] = int(re.search(r"usage_usec (\d+)", stat).group(1)) * 1000
    tick = os.sysconf("SC_CLK_TCK")
    docker = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            comm = pathlib.Path(f"/proc/{pid}/comm").read_text().strip()
            if comm in ("dockerd", "containerd", "docker-proxy") or comm.startswith("containerd-shim"):
                f = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                docker += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    snap[DOCKER] = docker * 1_000_000_000 // tick
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    snap[LOADGEN] = int((ru.ru_utime + ru.ru_stime) * 1e9)
    cpu = [int(x) for x in pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    snap["machine"] = (sum(cpu) - cpu[3] - cpu[4]) * 1_000_000_000 // tick
    return snap


def cpu_per_request(before, after, requests, groups):
    """Microseconds of CPU per request for each group (containers summed), Docker, the load
    generator and the machine; and the cores each used."""
    secs = after["t"] - before["t"]
    used = {k: after[k] - before[k] for k in after if k != "t"}
    out = {}
    for group, members in groups.items():
        ns = sum(used[m] for m in members if m in used)
        out[group] = {"us_per_req": round(ns / 1000 / max(requests, 1), 1), "cores": round(ns / 1e9 / secs, 3)}
    for k in (DOCKER, LOADGEN, "machine"):
        out[k] = {"us_per_req": round(used[k] / 1000 / max(requests, 1), 1), "cores": round(used[k] / 1e9 / secs, 3)}
    return out


# ---- load generators ------------------------------------------------------------------------

def in_netns(cid, cmd):
    """cmd run in a container's network namespace with the host's binaries: no userland proxy,
    no container start per run (what the issue's numbers were measured with)."""
    return ["nsenter", "-t", pid_of(cid), "-n", *cmd]


def wrk(cid, base, path, conns, duration, mode, ids="1-1", run="bench"):
    """Closed loop: wrk -t2 -c<conns> from inside the container cid, through bench/wrk/triad.lua."""
    env = {"BENCH_MODE": mode, "BENCH_IDS": ids, "BENCH_RUN": run, "BENCH_THREADS": "2"}
    cmd = ["wrk", "-t", "2", "-c", str(conns), "-d", f"{duration}s", "--timeout", "10s",
           "-s", str(BENCH / "wrk" / "triad.lua"), base + path]
    COMMANDS.append(" ".join(f"{k}={v}" for k, v in env.items() if k != "BENCH_RUN")
                    + " nsenter -t <pid> -n " + " ".join(shlex.quote(c) for c in cmd).replace(str(ROOT) + "/", ""))
    out = sh(in_netns(cid, cmd), env={**os.environ, **env}, timeout=duration + 60)
    m = re.search(r"^BENCH_JSON (\{.*\})$", out, re.M)
    if not m:
        raise RuntimeError("wrk printed no BENCH_JSON line:\n" + out[-2000:])
    r = json.loads(m.group(1))
    secs = r["duration_us"] / 1e6
    st = {int(k): v for k, v in r["statuses"].items()}
    ok = sum(v for k, v in st.items() if 200 <= k < 300)
    return {"requests": r["requests"], "rps": round(r["requests"] / secs, 1), "ok": ok,
            "non2xx": r["requests"] - ok,
            "socket_errors": sum(v for k, v in r["errors"].items() if k != "status"),
            "p50_ms": r["latency_us"]["p50"] / 1000, "p99_ms": r["latency_us"]["p99"] / 1000,
            "connections": conns, "duration_s": duration, "path": path}


def pacer_classes():
    """Pacer compiled once into bench/tmp/pacer (javac of the JDK that runs it): launching the
    .java directly would compile it on every run, on the cores being measured."""
    src = BENCH / "pacer" / "Pacer.java"
    out = BENCH / "tmp" / "pacer"
    cls = out / "Pacer.class"
    if not cls.exists() or cls.stat().st_mtime < src.stat().st_mtime:
        out.mkdir(parents=True, exist_ok=True)
        sh([os.path.join(os.path.dirname(JAVA), "javac"), "-d", out, src])
    return out


def pacer(cid, base, path, rate, duration, method="GET", ids="1-1", conns=32, warmup=3):
    """Open loop at a constant rate, latency from each request's intended start (bench/pacer)."""
    cmd = [JAVA, "-XX:+UseSerialGC", "-Xmx256m", "-cp", pacer_classes(), "Pacer", "--url", base + path,
           "--method", method, "--ids", ids, "--rate", rate, "--duration", duration,
           "--connections", conns, "--warmup", warmup]
    COMMANDS.append("nsenter -t <pid> -n " + " ".join(shlex.quote(str(c)) for c in cmd)
                    .replace(str(ROOT) + "/", "").replace(JAVA, "java"))
    out = sh(in_netns(cid, cmd), timeout=duration + warmup + 120)
    return json.loads(out.strip().splitlines()[-1])
