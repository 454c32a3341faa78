#!/usr/bin/env python3
"""CPU per request of the JVMs and Nginx: GET /api/instance from a container on the edge network,
to web1 directly at 4/16/64 connections and through Nginx at 64 (5 s each; stack must be up).

    python3 bench/cpu_per_request.py

CPU comes from each container's cgroup cpuacct counter (bench.cpu_snapshot)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as b  # noqa: E402

svc = b.services_map()
load = b.Load("1-100", "cpu", b.image_of_stack())
for target, base, c in (("edge->web1", "http://web1:8080", 4), ("edge->web1", "http://web1:8080", 16),
                        ("edge->web1", "http://web1:8080", 64), ("edge->nginx", "http://nginx:80", 64)):
    before = b.cpu_snapshot(svc)
    r = load.run("get", "/api/instance", c, duration=5, where="edge", base=base, record=False)
    d = b.cpu_delta(before, b.cpu_snapshot(svc))
    jvm = d["web1"] + d["web2"] + d["web3"]
    print(f"{target:12} c={c:<3} {r['rps']:8.0f} req/s  p99 {r['p99_ms']:7.1f} ms  JVMs {jvm:.2f} cores = "
          f"{jvm * 1e6 / r['rps']:4.0f} us/req  nginx {d['nginx'] * 1e6 / r['rps']:3.0f} us/req  "
          f"machine busy {d['machine busy (of 2.0)']:.2f}")
