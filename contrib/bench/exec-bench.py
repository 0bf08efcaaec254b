#!/usr/bin/python3
"""exec into a running container: ocirt, crun and runc side by side.

Each runtime gets one container (run --detach of `sleep`) from the same
bundle, then `RT exec ID /bin/true` runs N times per runtime, alternating
between the runtimes; prints medians and ratios to the first runtime.

    exec-bench.py --bundle DIR [-n N] [--runtime NAME=PATH ...]

The bundle's process is replaced by `sleep 3600`; containers are deleted at
the end.  Must run as root.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True)
    ap.add_argument("-n", type=int, default=50)
    ap.add_argument("--runtime", action="append", default=[],
                    help="NAME=PATH; default: ocirt on PATH, crun, runc")
    args = ap.parse_args()
    rts = []
    for spec in args.runtime or ["ocirt", "crun", "runc"]:
        name, _, path = spec.partition("=")
        path = path or shutil.which(name)
        if path:
            rts.append((name, path))
    work = tempfile.mkdtemp(prefix="ocirt-exec-bench.")
    bundle = os.path.join(work, "bundle")
    shutil.copytree(args.bundle, bundle, symlinks=True)
    cfg = os.path.join(bundle, "config.json")
    c = json.load(open(cfg))
    c["process"]["args"] = ["sleep", "3600"]
    c["process"]["terminal"] = False
    json.dump(c, open(cfg, "w"))
    started, samples = [], {name: [] for name, _ in rts}
    try:
        for name, path in rts:
            root = os.path.join(work, "root-" + name)
            # a cgroup of the benchmark's own, never below the caller's
            c["linux"]["cgroupsPath"] = f"/ocirt-exec-bench-{os.getpid()}-{name}"
            json.dump(c, open(cfg, "w"))
            # the container keeps the stdio it is given: no pipes here
            with tempfile.TemporaryFile() as errf:
                r = subprocess.run([path, "--root", root, "run", "--detach", "--bundle", bundle,
                                    "bench-" + name], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=errf)
                errf.seek(0)
                err = errf.read().decode(errors="replace").strip()
            if r.returncode != 0:
                print(f"{name}: failed: {err.splitlines()[:1]}", file=sys.stderr)
                continue
            started.append((name, path, root))
        for _ in range(args.n):
            for name, path, root in started:
                t = time.perf_counter_ns()
                r = subprocess.run([path, "--root", root, "exec", "bench-" + name, "/bin/true"],
                                   capture_output=True)
                samples[name].append((time.perf_counter_ns() - t) / 1e6)
                if r.returncode != 0:
                    sys.exit(f"{name}: exec failed: {r.stderr.decode().strip()}")
    finally:
        for name, path, root in started:
            subprocess.run([path, "--root", root, "delete", "--force", "bench-" + name],
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    med = {name: statistics.median(v) for name, v in samples.items() if v}
    print(f"exec of /bin/true into a running container, {args.n} runs each, alternating")
    print(f"{'runtime':8} {'median ms':>10} {'p10 ms':>8} {'p90 ms':>8}")
    for name, v in samples.items():
        if not v:
            continue
        q = statistics.quantiles(v, n=10)
        print(f"{name:8} {med[name]:10.2f} {q[0]:8.2f} {q[-1]:8.2f}")
    first = started[0][0] if started else None
    for name in med:
        if name != first and first in med:
            print(f"ratio {first}/{name}: {med[first] / med[name]:.3f}")


if __name__ == "__main__":
    main()
