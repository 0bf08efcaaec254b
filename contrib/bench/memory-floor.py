#!/usr/bin/python3
"""The smallest memory cgroup in which each runtime can `run` /bin/true.

For each runtime, bisects linux.resources.memory.limit (with swap equal to
the limit, so no swap either) between --low and --high, in steps of one
page, for the smallest limit at which `RT run` of /bin/true succeeds
--trials times in a row.  The limit applies to the container's cgroup: what
is charged there is whatever the runtime's process that enters it touches
afterwards (its page faults, page tables, kernel objects of the namespaces
and mounts it makes, the exec of /bin/true).

    memory-floor.py --bundle DIR [--runtime NAME=PATH ...] [--trials 3]
                    [--low 0] [--high 64M] [--fix-hybrid] [--json FILE]

Each attempt gets its own cgroupsPath under /ocirt-memfloor-<pid>/, so what
a failed attempt leaves behind can be found and removed (only cgroups this
benchmark asked for, and only when they hold no process).  Must run as
root.  Only the Python standard library is used.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (HybridFix, cgroup_layout, first_line)

PAGE = os.sysconf("SC_PAGE_SIZE")
CGROOT = "/sys/fs/cgroup"


def log(msg):
    print("memory-floor: " + msg, file=sys.stderr, flush=True)


def size(s):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    s = s.strip().lower().rstrip("ib")
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    return int(s)


def human(n):
    if n >= 1 << 20 and n % (1 << 10) == 0:
        return "%.2f MiB" % (n / (1 << 20))
    return "%d KiB" % (n // 1024) if n % 1024 == 0 else "%d B" % n


def hierarchies():
    """Mount points of every cgroup hierarchy (v1 and v2)."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            m = line.split()
            fstype = m[m.index("-") + 1]
            if fstype in ("cgroup", "cgroup2") and m[4].startswith(CGROOT):
                out.append(m[4])
    return out


def remove_cgroups(rel):
    """rmdir <hierarchy>/<rel> wherever it exists and holds no process."""
    busy = []
    for h in hierarchies():
        d = os.path.join(h, rel.lstrip("/"))
        if not os.path.isdir(d):
            continue
        # deepest first
        for sub, _, _ in sorted(os.walk(d), key=lambda t: -len(t[0])):
            try:
                os.rmdir(sub)
            except OSError:
                try:
                    with open(os.path.join(sub, "cgroup.procs")) as f:
                        if f.read().strip():
                            busy.append(sub)
                except OSError:
                    pass
    return busy


class Runtime:
    def __init__(self, name, path, work, bundle, parent):
        self.name = name
        self.path = path
        self.root = os.path.join(work, "root-" + name)
        self.bundle = os.path.join(work, "bundle-" + name)
        self.parent = parent
        self.seq = 0
        self.error = None
        self.version = ""
        self.floor = None
        self.tried = []          # (limit, ok, first error)
        shutil.copytree(bundle, self.bundle, symlinks=True)
        with open(os.path.join(self.bundle, "config.json")) as f:
            self.config = json.load(f)
        self.config["process"]["terminal"] = False
        self.config["process"]["args"] = ["/bin/true"]

    def attempt(self, limit):
        """One `run` in a cgroup of LIMIT bytes; (ok, error line)."""
        self.seq += 1
        cid = "omf%d-%s-%d" % (os.getpid(), self.name, self.seq)
        cgpath = "%s/%s" % (self.parent, cid)
        c = self.config
        res = c["linux"].setdefault("resources", {})
        if limit is None:
            res.pop("memory", None)
        else:
            res["memory"] = {"limit": limit, "swap": limit}
        c["linux"]["cgroupsPath"] = cgpath
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(c, f)
        with tempfile.TemporaryFile() as errf:
            try:
                p = subprocess.run([self.path, "--root", self.root, "run",
                                    "--bundle", self.bundle, cid],
                                   stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=errf,
                                   timeout=30)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
            errf.seek(0)
            err = errf.read().decode(errors="replace")
        if rc != 0:
            subprocess.run([self.path, "--root", self.root, "delete",
                            "--force", cid], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        busy = []
        for _ in range(20):
            busy = remove_cgroups(cgpath)
            if not busy:
                break
            time.sleep(0.1)
        ok = rc == 0
        why = "" if ok else ("exit %s: %s" % (rc, bench.first_line(err)))
        if busy:
            why += " (cgroup still holds processes: %s)" % " ".join(busy)
        self.tried.append((limit, ok, why))
        return ok, why


def survives(rt, limit, trials):
    for _ in range(trials):
        ok, why = rt.attempt(limit)
        if not ok:
            return False, why
    return True, ""


def kernel_minimum(parent):
    """What memory.limit_in_bytes of an empty v1 cgroup accepts."""
    base = os.path.join(CGROOT, "memory")
    if not os.path.isfile(os.path.join(base, "memory.limit_in_bytes")):
        return None
    d = os.path.join(base, parent.lstrip("/"), "limit-probe")
    os.makedirs(d)
    out = []
    try:
        for v in ("0", "1", str(PAGE - 1), str(PAGE), str(PAGE + 1)):
            try:
                with open(os.path.join(d, "memory.limit_in_bytes"), "w") as f:
                    f.write(v)
                with open(os.path.join(d, "memory.limit_in_bytes")) as f:
                    out.append((v, f.read().strip()))
            except OSError as e:
                out.append((v, "error: " + e.strerror))
    finally:
        os.rmdir(d)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--runtime", action="append", default=[],
                    help="NAME=PATH (repeatable); default: ocirt (or $OCIRT), "
                    "crun, runc")
    ap.add_argument("--trials", type=int, default=3,
                    help="runs that must all succeed at a limit (default 3)")
    ap.add_argument("--low", default="0")
    ap.add_argument("--high", default="64M")
    ap.add_argument("--fix-hybrid", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("memory-floor: must run as root")
    low, high = size(args.low), size(args.high)
    low -= low % PAGE
    high += -high % PAGE

    specs = args.runtime or ["ocirt=" + os.environ.get("OCIRT", "ocirt"),
                             "crun", "runc"]
    work = tempfile.mkdtemp(prefix="ocirt-memfloor.")
    parent = "/ocirt-memfloor-%d" % os.getpid()
    rts, notes = [], []
    fix = bench.HybridFix()
    layout = bench.cgroup_layout()
    kmin = None
    try:
        for spec in specs:
            name, path, error, version = bench.locate(spec)
            rt = Runtime(name, path, work, args.bundle, parent)
            rt.error, rt.version = error, version
            rts.append(rt)
        kmin = kernel_minimum(parent)

        def check(rt):
            ok, why = rt.attempt(None)
            return None if ok else "fails without a limit: " + why

        bench.preflight_all(rts, check, fix, args.fix_hybrid, notes)

        for rt in rts:
            if rt.error:
                log("%s: %s" % (rt.name, rt.error))
                continue
            ok, why = survives(rt, high, args.trials)
            if not ok:
                rt.error = "fails at the upper bound %s: %s" % (human(high),
                                                                why)
                log("%s: %s" % (rt.name, rt.error))
                continue
            lo, hi = low, high   # lo: fails (or untested bound), hi: works
            if lo > 0 and survives(rt, lo, args.trials)[0]:
                hi = lo
            while hi - lo > PAGE:
                mid = (lo + hi) // 2
                mid -= mid % PAGE
                ok, why = survives(rt, mid, args.trials)
                log("%s: %s %s%s" % (rt.name, human(mid),
                                     "ok" if ok else "fails",
                                     "" if ok else ": " + why))
                if ok:
                    hi = mid
                else:
                    lo = mid
            rt.floor = hi
            rt.fail_below = [t for t in rt.tried
                             if t[0] == lo and not t[1]][:1]
    finally:
        # Our cgroups first: the hugetlb hierarchy only goes with none left.
        busy = remove_cgroups(parent)
        if busy:
            notes.append("cgroups left (still hold processes): " +
                         " ".join(busy))
        if fix.mounted:
            err = fix.revert()
            notes.append("--fix-hybrid: " + (
                "hugetlb v1 mount removed again" if err is None else err))
        shutil.rmtree(work, ignore_errors=True)

    print()
    print("Smallest memory cgroup (limit = limit+swap) in which `run` of "
          "/bin/true succeeds %d times in a row" % args.trials)
    print("host:    %s %s, %d CPUs, cgroups %s, page %d B" % (
        platform.system(), platform.release(), os.cpu_count() or 0, layout,
        PAGE))
    if kmin:
        print("kernel:  empty v1 cgroup, memory.limit_in_bytes written -> "
              "read back: " + ", ".join("%s -> %s" % kv for kv in kmin))
    print()
    doc = {"benchmark": "oci-runtime-memory-floor", "trials": args.trials,
           "page": PAGE, "host": {"kernel": platform.release(),
                                  "cgroups": layout},
           "kernel_minimum": kmin, "results": [], "notes": notes}
    for rt in rts:
        if rt.error:
            print("%-6s %s" % (rt.name, rt.error))
        else:
            below = rt.fail_below[0] if rt.fail_below else None
            print("%-6s %10s   (%s)%s" % (
                rt.name, human(rt.floor), rt.version,
                "; fails at %s: %s" % (human(below[0]), below[2]) if below else ""))
        doc["results"].append({
            "runtime": rt.name, "version": rt.version, "error": rt.error,
            "floor_bytes": rt.floor,
            "attempts": [{"limit": t[0], "ok": t[1], "error": t[2]}
                         for t in rt.tried]})
    for n in notes:
        print("note: " + n)
    if args.json:
        bench.write_json(args.json, doc)
        log("wrote " + args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
