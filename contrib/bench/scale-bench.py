#!/usr/bin/python3
"""Cost of state, kill, list and delete against the number of containers.

For each N in --counts (default 10,100,1000) every runtime gets N containers
in the created state (created round-robin, one per runtime in turn), each
under the runtime's own private --root; then, alternating between the
runtimes, the benchmark times

    RT state ID          (a different, random container each time)
    RT kill ID SIGNAL    (WINCH by default: ignored, the container survives)
    RT list              (table)
    RT list --format json
    RT delete --force ID (a random container; it is not replaced)

-r times each (medians), prints a table per operation and the ratio of the
first runtime to each other one, and the growth from the smallest to the
largest N.  Everything it created is force-deleted at the end.

    scale-bench.py --bundle DIR [--counts 10,100,1000] [-r 20]
                   [--runtime NAME=PATH ...] [--fix-hybrid] [--json FILE]

The bundle is copied and made cheap: no network namespace, no cgroup
limits, no hooks, stdio /dev/null.  Must run as root.  Before each batch of
creates it checks free memory and task count and stops growing a runtime
(with a note) when they get low.  Only the Python standard library is used.
"""

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (HybridFix, cgroup_layout, first_line)

OPS = ("state", "kill", "list", "list-json", "delete")


def log(msg):
    print("scale-bench: " + msg, file=sys.stderr, flush=True)


def meminfo_kib(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def tasks_in_use():
    with open("/proc/loadavg") as f:
        return int(f.read().split()[3].split("/")[1])


def pid_max():
    with open("/proc/sys/kernel/pid_max") as f:
        return int(f.read())


#: Every container gets a cgroup of its own below this absolute path: on
#: cgroup v1 a runtime nests a container without cgroupsPath below its
#: caller's cgroup, which may not be ours to write below.  Removed at the end.
CGROUP_PARENT = "/ocirt-scale-%d" % os.getpid()


def place(bundle, cid):
    """Point BUNDLE's cgroupsPath at CID's own cgroup (creates are one at
    a time: the runtime reads the config before the next one is written)."""
    cfg = os.path.join(bundle, "config.json")
    with open(cfg) as f:
        c = json.load(f)
    c.setdefault("linux", {})["cgroupsPath"] = "%s/%s" % (CGROUP_PARENT, cid)
    with open(cfg, "w") as f:
        json.dump(c, f, indent=1)


def remove_cgroup_parent():
    base = "/sys/fs/cgroup"
    for top in [base] + [os.path.join(base, d) for d in os.listdir(base)]:
        try:
            os.rmdir(top + CGROUP_PARENT)
        except OSError:
            pass


class Runtime:
    def __init__(self, name, path, work):
        self.name = name
        self.path = path
        self.root = os.path.join(work, "root-" + name)
        self.ids = []          # live containers
        self.all_ids = []      # every container ever created, for clean-up
        self.seq = 0
        self.error = None
        self.stopped_at = None  # why it stopped growing
        self.create_ns = {}    # N -> [ns]
        self.samples = {}      # (op, N) -> [ns]
        self.version = ""

    def cmd(self, *args):
        return [self.path, "--root", self.root] + list(args)

    def run(self, *args, out=False):
        """Run one command; return (elapsed ns, returncode, stdout, stderr)."""
        with tempfile.TemporaryFile() as errf:
            t0 = time.perf_counter_ns()
            p = subprocess.run(self.cmd(*args), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE if out
                               else subprocess.DEVNULL,
                               stderr=errf, timeout=120)
            t1 = time.perf_counter_ns()
            errf.seek(0)
            err = errf.read().decode(errors="replace")
        return t1 - t0, p.returncode, p.stdout or b"", err

    def create(self, bundle, tag):
        self.seq += 1
        cid = "osb%d-%s-%d" % (tag, self.name, self.seq)
        place(bundle, cid)
        # stdout must not be a pipe: the created container keeps it open
        ns, rc, _, err = self.run("create", "--bundle", bundle, cid)
        self.all_ids.append(cid)
        if rc != 0:
            return None, "create failed: " + bench.first_line(err)
        self.ids.append(cid)
        return ns, None

    def delete(self, cid):
        ns, rc, _, err = self.run("delete", "--force", cid)
        if rc == 0 and cid in self.ids:
            self.ids.remove(cid)
        return ns, (None if rc == 0 else bench.first_line(err))

    def cleanup(self):
        """Force-delete what is left; returns (count, error or None)."""
        left = 0
        try:
            listed = []
            if os.path.isdir(self.root):
                _, _, out, _ = self.run("list", "-q", out=True)
                listed = out.decode(errors="replace").split()
            for cid in sorted(set(self.ids) | set(listed)):
                left += 1
                self.run("delete", "--force", cid)
        except (OSError, subprocess.SubprocessError) as e:
            return left, "clean-up failed: %s; containers may be left under %s" % (
                e, self.root)
        return left, None


def make_bundle(src, dst):
    shutil.copytree(src, dst, symlinks=True)
    cfg = os.path.join(dst, "config.json")
    with open(cfg) as f:
        c = json.load(f)
    c["process"]["terminal"] = False
    c["process"]["args"] = ["/bin/true"]
    lin = c.setdefault("linux", {})
    lin["namespaces"] = [n for n in lin.get("namespaces", [])
                         if n.get("type") != "network"]
    lin.pop("resources", None)
    lin.pop("cgroupsPath", None)
    lin.pop("seccomp", None)
    c.pop("hooks", None)
    with open(cfg, "w") as f:
        json.dump(c, f, indent=1)
    return dst


def stats(ns):
    ms = sorted(x / 1e6 for x in ns)
    if not ms:
        return None
    q = statistics.quantiles(ms, n=10, method="inclusive") if len(ms) > 1 \
        else [ms[0]] * 9
    return {"median": statistics.median(ms), "p10": q[0], "p90": q[8],
            "n": len(ms)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--counts", default="10,100,1000")
    ap.add_argument("-r", "--reps", type=int, default=20)
    ap.add_argument("--deletes", type=int, default=5,
                    help="timed deletes per runtime and N (default 5)")
    ap.add_argument("--runtime", action="append", default=[],
                    help="NAME=PATH (repeatable); default: ocirt (or $OCIRT), "
                    "crun, runc")
    # WINCH: ignored by default, so the created container survives it
    # (USR1 would end ocirt's and crun's waiting child); ocirt refuses 0.
    ap.add_argument("--signal", default="WINCH",
                    help="signal for the timed kill (default WINCH)")
    ap.add_argument("--min-free-mib", type=int, default=3072,
                    help="stop growing when MemAvailable falls below this")
    ap.add_argument("--fix-hybrid", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    counts = sorted({int(x) for x in args.counts.split(",") if x.strip()})
    if not counts or counts[0] < 1 or args.reps < 1:
        ap.error("--counts needs positive integers and -r must be >= 1")
    if os.geteuid() != 0:
        sys.exit("scale-bench: must run as root")

    specs = args.runtime or ["ocirt=" + os.environ.get("OCIRT", "ocirt"),
                             "crun", "runc"]
    work = tempfile.mkdtemp(prefix="ocirt-scale-bench.")
    tag = os.getpid()
    rts = []
    for spec in specs:
        name, path, error, version = bench.locate(spec)
        rt = Runtime(name, path, work)
        rt.error, rt.version = error, version
        rts.append(rt)
    fix = bench.HybridFix()
    notes = []
    layout = bench.cgroup_layout()
    try:
        bundle = make_bundle(args.bundle, os.path.join(work, "bundle"))

        def preflight(rt):
            _, err = rt.create(bundle, tag)
            if err:
                return err
            ns, rc, _, e = rt.run("kill", rt.ids[0], args.signal)
            if rc != 0:
                rt.delete(rt.ids[0])
                return "kill %s failed: %s" % (args.signal,
                                                bench.first_line(e))
            _, err = rt.delete(rt.ids[0])
            return err

        bench.preflight_all(rts, preflight, fix, args.fix_hybrid, notes)
        for rt in rts:
            if rt.error:
                log("%s: %s" % (rt.name, rt.error))
                notes.append("%s: %s" % (rt.name, rt.error))
        live = [rt for rt in rts if not rt.error]
        layout_run = bench.cgroup_layout()

        for n in counts:
            # Grow every runtime to n containers, round-robin.
            log("growing to %d containers each" % n)
            growing = [rt for rt in live if rt.stopped_at is None]
            while True:
                todo = [rt for rt in growing if len(rt.ids) < n
                        and rt.stopped_at is None]
                if not todo:
                    break
                for rt in todo:
                    avail = meminfo_kib("MemAvailable") // 1024
                    if avail < args.min_free_mib:
                        rt.stopped_at = ("stopped at %d containers: "
                                         "MemAvailable %d MiB < %d MiB"
                                         % (len(rt.ids), avail,
                                            args.min_free_mib))
                    elif tasks_in_use() > pid_max() * 6 // 10:
                        rt.stopped_at = ("stopped at %d containers: %d tasks,"
                                         " pid_max %d" % (len(rt.ids),
                                                          tasks_in_use(),
                                                          pid_max()))
                    else:
                        ns, err = rt.create(bundle, tag)
                        if err:
                            rt.stopped_at = "stopped at %d containers: %s" % (
                                len(rt.ids), err)
                        else:
                            rt.create_ns.setdefault(n, []).append(ns)
                    if rt.stopped_at:
                        log("%s: %s" % (rt.name, rt.stopped_at))
                        notes.append("%s: %s" % (rt.name, rt.stopped_at))
            at_n = [rt for rt in live if len(rt.ids) >= n]
            if not at_n:
                break
            log("timing at N=%d: %s" % (n, " ".join(rt.name for rt in at_n)))
            for _ in range(args.reps):
                for rt in at_n:
                    for op in OPS[:-1]:
                        cid = random.choice(rt.ids)
                        argv = {"state": ("state", cid),
                                "kill": ("kill", cid, args.signal),
                                "list": ("list",),
                                "list-json": ("list", "--format", "json")}[op]
                        ns, rc, out, err = rt.run(*argv, out=True)
                        if rc != 0:
                            notes.append("%s %s at N=%d failed: %s" % (
                                rt.name, op, n, bench.first_line(err)))
                            continue
                        if op == "list-json" and \
                                len(json.loads(out)) != len(rt.ids):
                            notes.append("%s list at N=%d: %d entries, "
                                         "expected %d" % (rt.name, n,
                                                          len(json.loads(out)),
                                                          len(rt.ids)))
                        rt.samples.setdefault((op, n), []).append(ns)
            for _ in range(args.deletes):
                for rt in at_n:
                    ns, err = rt.delete(random.choice(rt.ids))
                    if err:
                        notes.append("%s delete at N=%d failed: %s" % (
                            rt.name, n, err))
                    else:
                        rt.samples.setdefault(("delete", n), []).append(ns)
    finally:
        log("cleaning up")
        kept = False
        for rt in rts:
            if not rt.error or rt.ids:
                left, err = rt.cleanup()
                if left:
                    log("%s: %d containers force-deleted" % (rt.name, left))
                if err:
                    log("%s: %s" % (rt.name, err))
                    notes.append("%s: %s" % (rt.name, err))
                    kept = True
        if fix.mounted:
            err = fix.revert()
            notes.append("--fix-hybrid: " + (
                "hugetlb v1 mount removed again" if err is None else err))
        if not kept:
            shutil.rmtree(work, ignore_errors=True)
        remove_cgroup_parent()

    report(rts, counts, args, layout, layout_run, notes)
    return 0


def report(rts, counts, args, layout, layout_run, notes):
    live = [rt for rt in rts if not rt.error]
    print()
    print("OCI runtime scaling benchmark: created containers per runtime")
    print("host:    %s %s, %d CPUs, cgroups %s" % (
        platform.system(), platform.release(), os.cpu_count() or 0, layout))
    if layout_run != layout:
        print("  during runs: %s" % layout_run)
    print("runs:    %d per operation, runtime and N (delete: %d), "
          "alternating: %s" % (args.reps, args.deletes,
                               " ".join(rt.name for rt in live)))
    for rt in live:
        print("  %-6s %s" % (rt.name, rt.version))
    doc = {"benchmark": "oci-runtime-scale", "counts": counts,
           "reps": args.reps, "signal": args.signal,
           "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                    "cgroups": layout, "cgroups_during_runs": layout_run},
           "results": {}, "notes": notes}
    first = live[0] if live else None
    for op in ("create",) + OPS:
        print()
        label = {"kill": "kill %s" % args.signal,
                 "list-json": "list --format json",
                 "delete": "delete --force",
                 "create": "create (while growing to N)"}.get(op, op)
        print("%s, median ms (p10-p90)" % label)
        print("  %-6s" % "N" + "".join("%22s" % rt.name for rt in live) +
              "".join("%12s" % ("%s/%s" % (first.name, rt.name))
                      for rt in live[1:]))
        for n in counts:
            cells, meds = [], {}
            for rt in live:
                s = stats(rt.create_ns.get(n, []) if op == "create"
                          else rt.samples.get((op, n), []))
                doc["results"].setdefault(rt.name, {}).setdefault(
                    op, {})[str(n)] = s
                if s:
                    meds[rt.name] = s["median"]
                    cells.append("%8.2f (%5.1f-%5.1f)" % (
                        s["median"], s["p10"], s["p90"]))
                else:
                    cells.append("%22s" % "-")
            ratios = []
            for rt in live[1:]:
                if first.name in meds and rt.name in meds:
                    ratios.append("%12.3f" % (meds[first.name] /
                                              meds[rt.name]))
                else:
                    ratios.append("%12s" % "-")
            print("  %-6d" % n + "".join("%22s" % c for c in cells) +
                  "".join(ratios))
    if len(counts) > 1:
        lo, hi = counts[0], counts[-1]
        print()
        print("growth, median at N=%d / median at N=%d:" % (hi, lo))
        for rt in live:
            parts = []
            for op in OPS:
                a = stats(rt.samples.get((op, lo), []))
                b = stats(rt.samples.get((op, hi), []))
                parts.append("%s %s" % (op, "%.2f" % (b["median"] /
                                                     a["median"])
                                        if a and b else "-"))
            print("  %-6s %s" % (rt.name, ", ".join(parts)))
    if notes:
        print()
        for n in notes:
            print("note: " + n)
    if args.json:
        bench.write_json(args.json, doc)
        log("wrote " + args.json)


if __name__ == "__main__":
    sys.exit(main())
