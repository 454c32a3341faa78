#!/usr/bin/env python3
"""Inclusive share of methods in a JFR recording's execution samples (bench/ profiling helper).

    jfr print --json --stack-depth 96 --events jdk.ExecutionSample rec.jfr > exec.json
    python3 bench/jfr_inclusive.py exec.json [top]

Each sample counts once for every distinct method on its stack, so the percentages say how
much of the sampled Java CPU time was spent inside (or below) that method."""
import collections
import json
import sys

events = json.load(open(sys.argv[1]))["recording"]["events"]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 60
incl = collections.Counter()
for e in events:
    seen = set()
    for f in e["values"]["stackTrace"]["frames"]:
        m = f["method"]
        name = f'{m["type"]["name"]}.{m["name"]}'
        if name not in seen:
            seen.add(name)
            incl[name] += 1
n = len(events)
print(f"{n} execution samples")
for name, c in incl.most_common(top):
    print(f"{100 * c / n:5.1f}%  {c:5d}  {name}")
