#!/usr/bin/env python3
"""The bench report: turns what bench/run.py measured (a results .json) into Markdown.

    python3 bench/report.py bench/results/<stamp>-<host>.json   # rewrite the .md, update the docs

write() puts <stem>.md beside the .json and, in docs/PERFORMANCE.md, replaces the block between
the `bench:latest` markers and appends one row to the table between the `bench:history` markers
(earlier rows are kept: the history of what changed and by how much).
"""
import json
import pathlib
import re
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
DOCKER = "docker (dockerd, containerd, shims, docker-proxy)"
TARGETS = {"instance": 0.9, "item": 0.8}
P99_TARGET_MS = 5.0
FLOOR_JVMS = "floor upstreams (3 Helidon JVMs)"   # bench/run.py's group name
ORDER = ["instances", "nginx", "redis", "postgres", DOCKER, "load generator", "machine"]


def dig(value, *path):
    for key in path:
        value = value[key]
    return value


def median(values):
    return statistics.median(values) if values else float("nan")


def summary(data):
    """The numbers the issue's targets are about: medians over the rounds."""
    rounds = data["rounds"]
    alone = median([r["ceiling_alone"]["rps"] for r in rounds])
    out = {"ceiling_alone": alone, "ceiling_beside": median([r["ceiling_beside"]["rps"] for r in rounds])}
    # runs before 2026-12-03 have no framework floors: None then
    floors = [r for r in rounds if "floor_alone" in r]
    redis_floors = [r for r in rounds if "floor_redis_alone" in r]

    def floor_median(rs, key, *path):
        return median([dig(r[key], *path) for r in rs]) if rs else None
    out["floor_alone"] = floor_median(floors, "floor_alone", "rps")
    out["floor_cpu"] = floor_median(floors, "floor_alone", "cpu", FLOOR_JVMS, "us_per_req")
    out["floor_redis_alone"] = floor_median(redis_floors, "floor_redis_alone", "rps")
    out["floor_redis_cpu"] = floor_median(redis_floors, "floor_redis_alone", "cpu", FLOOR_JVMS, "us_per_req")
    out["floor_redis_redis_cpu"] = floor_median(redis_floors, "floor_redis_alone", "cpu", "redis", "us_per_req")
    for name in ("instance", "item"):
        rps = median([r[name]["rps"] for r in rounds])
        out[name] = {
            "rps": rps,
            # each round's stack against the ceiling measured right after it, in the same round
            "ratio": median([r[name]["rps"] / r["ceiling_alone"]["rps"] for r in rounds]),
            "p99_ms": median([r[name]["p99_ms"] for r in rounds]),
            "floor_ratio": median([r[name]["rps"] / r["floor_alone"]["rps"] for r in floors]) if floors else None,
            "floor_redis_ratio": median([r[name]["rps"] / r["floor_redis_alone"]["rps"] for r in redis_floors]) if redis_floors else None,
            "cpu": {g: median([r[name]["cpu"][g]["us_per_req"] for r in rounds]) for g in ORDER},
        }
    out["paced"] = {k: v["latency_ms"] | {"errors": v["errors"], "achieved_rate": v["achieved_rate"]}
                    for k, v in data["paced"].items()}
    return out


def ok(flag):
    return "**met**" if flag else "not met"


def markdown(data):
    m = summary(data)
    cfg = data["settings"]
    lines = [f"# Bench {data['stamp']} on {data['host']} ({data['cores']} cores)", "",
             f"Image `{data['image']}`; {data['jdk'].splitlines()[0] if data.get('jdk') else ''}. "
             f"Machine load before: {' '.join(data['load_before']['loadavg'])}, after: "
             f"{' '.join(data['load_after']['loadavg'])} (1/5/15 min; other people share this machine).", "",
             "## Against the targets (issue 13)", "",
             "| | measured (median of rounds) | target | |", "|---|---:|---:|---|"]
    for name, label in (("instance", "GET /api/instance"), ("item", "GET /api/items/{id} (cache hit)")):
        lines.append(f"| {label} ÷ proxy ceiling alone | {m[name]['ratio']:.2f} × "
                     f"({m[name]['rps']:,.0f} ÷ {m['ceiling_alone']:,.0f} req/s) | ≥ {TARGETS[name]} × | "
                     f"{ok(m[name]['ratio'] >= TARGETS[name])} |")
    if m["floor_alone"]:
        lines.append(f"| framework floor (3 Helidon JVMs answering a constant) ÷ proxy ceiling alone | "
                     f"{m['floor_alone'] / m['ceiling_alone']:.2f} × ({m['floor_alone']:,.0f} ÷ {m['ceiling_alone']:,.0f} req/s) | "
                     "what the runtime leaves on this machine | |")
        for name, label in (("instance", "GET /api/instance"), ("item", "GET /api/items/{id} (cache hit)")):
            lines.append(f"| {label} ÷ framework floor | {m[name]['floor_ratio']:.2f} × | the project's share of the gap | |")
    if m["floor_redis_alone"]:
        lines.append(f"| framework floor with one Redis GET per request ÷ proxy ceiling alone | "
                     f"{m['floor_redis_alone'] / m['ceiling_alone']:.2f} × ({m['floor_redis_alone']:,.0f} ÷ {m['ceiling_alone']:,.0f} req/s) | "
                     "what a cached read can reach here | |")
        lines.append(f"| GET /api/items/{{id}} (cache hit) ÷ framework floor with one Redis GET | {m['item']['floor_redis_ratio']:.2f} × | "
                     "the project's share of the cached read's gap | |")
    if data.get("floor_pg_alone") and data.get("post_capacity"):
        fp, pc = data["floor_pg_alone"], data["post_capacity"]
        lines.append(f"| POST /api/items closed loop ÷ framework floor with one INSERT per request (alone) | "
                     f"{pc['rps'] / fp['rps']:.2f} × ({pc['rps']:,.0f} ÷ {fp['rps']:,.0f} req/s) | "
                     "the project's share of a create's gap | |")
    lines.append(f"| instances' CPU per cached-item request | {m['item']['cpu']['instances']:.0f} µs | ≤ 221 µs (442 ÷ 2) | "
                 f"{ok(m['item']['cpu']['instances'] <= 221)} |")
    lines.append(f"| Docker's CPU per cached-item request | {m['item']['cpu'][DOCKER]:.0f} µs | a small fraction of 174 µs | |")
    for name, label in (("item", "cached item"), ("post", "POST /api/items")):
        p = m["paced"][name]
        lines.append(f"| p99 at {cfg['rate']:,} req/s paced, {label} | {p['p99']:.2f} ms ({p['errors']} errors) | < 5 ms | "
                     f"{ok(p['p99'] < P99_TARGET_MS and p['errors'] == 0)} |")
    lines += ["", f"## Closed loop (`wrk -t2 -c{cfg['connections']} -d{cfg['duration_s']}s` inside Nginx's network namespace)", "",
              "| round | /api/instance req/s (p99 ms) | cached item req/s (p99 ms) | ceiling beside the idle stack | ceiling alone | instance ÷ alone | item ÷ alone |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for i, r in enumerate(data["rounds"], 1):
        a = r["ceiling_alone"]["rps"]
        lines.append(f"| {i} | {r['instance']['rps']:,.0f} ({r['instance']['p99_ms']:.1f}) | "
                     f"{r['item']['rps']:,.0f} ({r['item']['p99_ms']:.1f}) | {r['ceiling_beside']['rps']:,.0f} | {a:,.0f} | "
                     f"{r['instance']['rps'] / a:.2f} | {r['item']['rps'] / a:.2f} |")
    non2xx = sum(r[n]["non2xx"] + r[n]["socket_errors"] for r in data["rounds"] for n in ("instance", "item"))
    if m["floor_alone"]:
        lines += ["", "Framework floor alone per round: " + ", ".join(
            f"{r['floor_alone']['rps']:,.0f} req/s (p99 {r['floor_alone']['p99_ms']:.1f} ms)" for r in data["rounds"])
            + f"; its three JVMs used {m['floor_cpu']:.0f} µs of CPU per request (median)."]
    if m["floor_redis_alone"]:
        lines += ["", "Framework floor with one Redis GET per request, alone (the stack paused but its Redis): " + ", ".join(
            f"{r['floor_redis_alone']['rps']:,.0f} req/s (p99 {r['floor_redis_alone']['p99_ms']:.1f} ms)" for r in data["rounds"])
            + f"; its three JVMs used {m['floor_redis_cpu']:.0f} µs and Redis {m['floor_redis_redis_cpu']:.0f} µs of CPU per request (median)."]
    lines += ["", f"Non-2xx answers and socket errors in these runs: {non2xx}. The ceiling is the stack's own "
              "`nginx/` configuration in front of three Nginx answering a constant (`bench/ceiling/upstream.conf`); "
              "\"alone\" is with the stack paused (`docker compose pause`).", "",
              "## CPU per request, µs (median of rounds; cgroup CPU of each group ÷ requests)", "",
              "| | " + " | ".join(ORDER) + " |", "|---|" + "---:|" * len(ORDER)]
    for name, label in (("item", "cached item"), ("instance", "/api/instance")):
        lines.append(f"| {label} | " + " | ".join(f"{m[name]['cpu'][g]:.0f}" for g in ORDER) + " |")
    r0 = data["rounds"][0]["ceiling_alone"]["cpu"]
    lines += ["", "The ceiling alone, round 1: " + ", ".join(f"{g} {v['us_per_req']:.0f}" for g, v in r0.items()
                                                             if v["us_per_req"] >= 0.5) + " µs per request.", "",
              f"## Paced: {cfg['rate']:,} requests/s for {cfg['duration_s']} s, latency from each request's intended start",
              "", "| | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | achieved req/s |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, label in (("item", "GET /api/items/{id} (hit)"), ("post", "POST /api/items")):
        p = m["paced"][name]
        lines.append(f"| {label} | {p['p50']:.2f} | {p['p90']:.2f} | {p['p99']:.2f} | {p['p99.9']:.2f} | "
                     f"{p['max']:.2f} | {p['errors']} | {p['achieved_rate']:,.0f} |")
    for kind, label in (("plain beside", "framework floor (constant), beside the idle stack"),
                        ("plain alone", "framework floor (constant), alone"),
                        ("redis beside", "framework floor with one Redis GET, beside the idle stack"),
                        ("pg beside", "framework floor with one INSERT (POST), beside the idle stack")):
        if kind in data.get("paced_floor", {}):
            v = data["paced_floor"][kind]
            p = v["latency_ms"]
            lines.append(f"| {label} | {p['p50']:.2f} | {p['p90']:.2f} | {p['p99']:.2f} | {p['p99.9']:.2f} | "
                         f"{p['max']:.2f} | {v['errors']} | {v['achieved_rate']:,.0f} |")
    if "post_capacity" in data:
        c = data["post_capacity"]
        lines += ["", f"POST /api/items closed loop (`wrk -c{cfg['connections']}`, same run): {c['rps']:,.0f} req/s, "
                  f"p99 {c['p99_ms']:.1f} ms, {c['non2xx']} non-2xx; CPU per POST: instances {c['cpu']['instances']['us_per_req']:.0f} µs, "
                  f"PostgreSQL {c['cpu']['postgres']['us_per_req']:.0f} µs, Nginx {c['cpu']['nginx']['us_per_req']:.0f} µs, "
                  f"machine {c['cpu']['machine']['us_per_req']:.0f} µs. The paced POST rate is "
                  f"{cfg['rate'] / c['rps']:.0%} of that.", ""]
        if data.get("floor_pg_alone"):
            f = data["floor_pg_alone"]
            lines += [f"The framework floor with one INSERT per request, alone (the stack paused but PostgreSQL): "
                      f"{f['rps']:,.0f} req/s, p99 {f['p99_ms']:.1f} ms; CPU per request: its JVMs "
                      f"{f['cpu'][FLOOR_JVMS]['us_per_req']:.0f} µs, PostgreSQL "
                      f"{f['cpu']['postgres']['us_per_req']:.0f} µs.", ""]
    f = data["footprint"]
    lines += ["", f"## Footprint", "", f"Image {f['image_mb']} MB; instance RSS after the bench: "
              + ", ".join(f"{f[k]} MiB" for k in sorted(f) if k.endswith("rss_mib")) + ".", "",
              "## Machine", "", "Busiest processes before the run:", "", "```",
              *data["load_before"]["top"], "```", "", "## Commands", "", "```sh", *data["commands"], "```", ""]
    return "\n".join(lines)


def history_row(data, stem_name):
    m = summary(data)
    return (f"| [{data['stamp']}](../bench/results/{stem_name}.md) | `{data['image']}` | "
            f"{m['instance']['rps']:,.0f} ({m['instance']['ratio']:.2f} ×) | {m['item']['rps']:,.0f} ({m['item']['ratio']:.2f} ×) | "
            f"{m['ceiling_alone']:,.0f} | {m['item']['cpu']['instances']:.0f} / {m['instance']['cpu']['instances']:.0f} | "
            f"{m['item']['cpu'][DOCKER]:.0f} / {m['instance']['cpu'][DOCKER]:.0f} | "
            f"{m['paced']['item']['p99']:.2f} / {m['paced']['post']['p99']:.2f} | {' '.join(data['load_before']['loadavg'])} | "
            + (f"{m['floor_alone']:,.0f} |" if m["floor_alone"] else "— |"))


def replace_block(text, name, body):
    pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
    if not pattern.search(text):
        raise RuntimeError(f"docs/PERFORMANCE.md has no <!-- {name} --> ... <!-- /{name} --> block")
    return pattern.sub(lambda mt: mt.group(1) + body + mt.group(2), text)


def write(data, stem):
    stem = pathlib.Path(stem)
    md = markdown(data)
    stem.with_suffix(".md").write_text(md)
    doc = DOC.read_text()
    latest = md.split("\n## Closed loop")[0].split("\n", 1)[1].strip()
    doc = replace_block(doc, "bench:latest",
                        f"Latest run: [`bench/results/{stem.name}.md`](../bench/results/{stem.name}.md).\n\n{latest}\n")
    history = re.search(r"<!-- bench:history -->\n(.*?)<!-- /bench:history -->", doc, re.S).group(1)
    doc = replace_block(doc, "bench:history", history + history_row(data, stem.name) + "\n")
    DOC.write_text(doc)


def ab_markdown(out):
    lines = [f"# A/B {out['name']} ({out['stamp']})", "",
             *[f"{k}: `{v or 'the committed configuration'}`  " for k, v in out["variants"].items()], "",
             f"Machine load before: {' '.join(out['load_before']['loadavg'])}, after: {' '.join(out['load_after']['loadavg'])}.",
             "", "| phase | /api/instance req/s | instances µs/req | Docker µs/req | cached item req/s | instances µs/req | "
             "Nginx µs/req | Redis µs/req | Docker µs/req | paced item p50 / p99 ms | paced POST p50 / p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in out["phases"]:
        i, it = p["instance"], p["item"]
        lines.append(f"| {p['label']} | {i['rps']:,.0f} | {i['cpu']['instances']['us_per_req']:.0f} | "
                     f"{i['cpu'][DOCKER]['us_per_req']:.0f} | {it['rps']:,.0f} | {it['cpu']['instances']['us_per_req']:.0f} | "
                     f"{it['cpu']['nginx']['us_per_req']:.0f} | {it['cpu']['redis']['us_per_req']:.0f} | "
                     f"{it['cpu'][DOCKER]['us_per_req']:.0f} | {p['paced_item']['latency_ms']['p50']:.2f} / "
                     f"{p['paced_item']['latency_ms']['p99']:.2f} | {p['paced_post']['latency_ms']['p50']:.2f} / "
                     f"{p['paced_post']['latency_ms']['p99']:.2f} |")
    lines += ["", "Command: `python3 bench/run.py ab " + " ".join(repr(x) for x in (out["name"], *out["variants"].values())) + "`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = pathlib.Path(sys.argv[1])
    write(json.loads(path.read_text()), path.with_suffix(""))
