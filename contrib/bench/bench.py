#!/usr/bin/python3
"""Start-up benchmark for OCI runtimes: `RT run` of a /bin/true bundle.

Normally started through run-bench.sh, which builds the bundle and the
private work directory.  Only the Python standard library is used.

Every iteration runs each runtime once, in a fixed alternating order
(e.g. ocirt, crun, runc, floor, ocirt, crun, runc, floor, ...), so that slow
drift of the machine (frequency scaling, page cache, background load) is
spread evenly over all of them.  The wall time of each run is taken with
time.perf_counter_ns() around subprocess.run().

Peak RSS is measured in separate runs under GNU time (`/usr/bin/time -f %M`).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

FLOOR = "floor"
HUGETLB_V1 = "/sys/fs/cgroup/hugetlb"
UNIFIED = "/sys/fs/cgroup/unified"


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def first_line(text):
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line
    return "(no error message)"


class Runtime:
    """One runtime under test (or the unshare+chroot floor)."""

    def __init__(self, label, path, workdir, bundle):
        self.label = label
        self.path = path
        self.bundle = bundle
        self.root = os.path.join(workdir, "root-" + safe(label))
        self.version = ""
        self.error = None          # "failed: ..." when unusable
        self.samples_ns = []
        self.failures = 0
        self.first_failure = None
        self.rss_kib = []
        self.leftovers = 0         # containers that `run` did not remove

    @property
    def is_floor(self):
        return self.label == FLOOR

    def argv(self, cid):
        if self.is_floor:
            return [self.path, "--fork", "--pid", "--mount", "--uts", "--ipc",
                    "--net", "--cgroup", "chroot",
                    os.path.join(self.bundle, "rootfs"), "/bin/true"]
        return [self.path, "--root", self.root, "run", "--bundle",
                self.bundle, cid]

    def cleanup(self, cid):
        """`run` deletes its container; check, and force-delete if left."""
        if self.is_floor:
            return
        if os.path.lexists(os.path.join(self.root, cid)):
            self.leftovers += 1
            subprocess.run([self.path, "--root", self.root, "delete",
                            "--force", cid],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

    def final_cleanup(self):
        """Delete whatever is still listed under our private root."""
        if self.is_floor or self.error or not os.path.isdir(self.root):
            return
        p = subprocess.run([self.path, "--root", self.root, "list", "-q"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        for cid in p.stdout.split():
            self.leftovers += 1
            subprocess.run([self.path, "--root", self.root, "delete",
                            "--force", cid],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)


def safe(s):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in s)


class Bench:
    def __init__(self, args):
        self.args = args
        self.seq = 0
        self.notes = []
        self.layout_found = cgroup_layout()
        self.layout_run = self.layout_found

    def next_id(self, rt):
        self.seq += 1
        return "ocb-%d-%s-%d" % (os.getpid(), safe(rt.label), self.seq)

    def run_once(self, rt, wrap=None, timeout=60):
        """Run rt once; return (ok, elapsed_ns, stderr_text)."""
        cid = self.next_id(rt)
        argv = rt.argv(cid)
        if wrap:
            argv = wrap + argv
        try:
            t0 = time.perf_counter_ns()
            p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=timeout)
            t1 = time.perf_counter_ns()
        except subprocess.TimeoutExpired:
            rt.cleanup(cid)
            return False, 0, "timed out after %ds" % timeout
        except OSError as e:
            return False, 0, str(e)
        rt.cleanup(cid)
        err = p.stderr.decode(errors="replace")
        if p.returncode != 0:
            return False, t1 - t0, "exit status %d: %s" % (
                p.returncode, first_line(err))
        return True, t1 - t0, err

    def preflight(self, rts):
        for rt in rts:
            if rt.error:
                continue
            ok, _, err = self.run_once(rt)
            if not ok:
                rt.error = "failed: " + err
            else:
                rt.error = None

    def timing(self, rts):
        live = [rt for rt in rts if not rt.error]
        n = self.args.iterations
        for i in range(n):
            for rt in live:
                ok, ns, err = self.run_once(rt)
                if ok:
                    rt.samples_ns.append(ns)
                else:
                    rt.failures += 1
                    if rt.first_failure is None:
                        rt.first_failure = err
            if self.args.progress and (i + 1) % 10 == 0:
                log("%d/%d iterations" % (i + 1, n))

    def rss(self, rts):
        timebin = self.args.time_bin
        if not os.access(timebin, os.X_OK):
            self.notes.append("peak RSS not measured: %s not found "
                              "(Debian package time)" % timebin)
            return
        out = os.path.join(self.args.workdir, "time.out")
        live = [rt for rt in rts if not rt.error]
        for _ in range(self.args.rss_runs):
            for rt in live:
                ok, _, err = self.run_once(
                    rt, wrap=[timebin, "-f", "%M", "-o", out])
                if not ok:
                    continue
                try:
                    with open(out) as f:
                        rt.rss_kib.append(int(f.read().split()[-1]))
                except (OSError, ValueError, IndexError):
                    pass


# --- hybrid cgroup handling ------------------------------------------------

def is_mountpoint(path):
    try:
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == path for line in f)
    except OSError:
        return False


def read(path):
    try:
        with open(path) as f:
            return f.read().split()
    except OSError:
        return None


def cgroup_layout():
    try:
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split() for line in f]
    except OSError:
        return "unknown"
    fstypes = {}
    for m in mounts:
        sep = m.index("-")
        fstypes.setdefault(m[sep + 1], []).append(m[4])
    if "/sys/fs/cgroup" in fstypes.get("cgroup2", []):
        return "unified (cgroup v2)"
    if fstypes.get("cgroup"):
        v2 = fstypes.get("cgroup2", [])
        if v2:
            ctrls = read(os.path.join(v2[0], "cgroup.controllers")) or []
            return "hybrid (cgroup v1 + cgroup2 at %s, cgroup2 controllers: %s)" % (
                v2[0], " ".join(ctrls) or "none")
        return "legacy (cgroup v1)"
    return "none"


class HybridFix:
    """Move hugetlb from the cgroup2 tree of a hybrid host to cgroup v1."""

    def __init__(self):
        self.mounted = False
        self.made_dir = False

    def applicable(self):
        if not is_mountpoint(UNIFIED):
            return False, "%s is not a cgroup2 mount" % UNIFIED
        ctrls = read(os.path.join(UNIFIED, "cgroup.controllers"))
        if not ctrls:
            return False, "no controllers in %s" % UNIFIED
        if ctrls != ["hugetlb"]:
            return False, ("cgroup2 controllers are '%s', only hugetlb is "
                           "handled" % " ".join(ctrls))
        if "hugetlb" in (read(os.path.join(UNIFIED, "cgroup.subtree_control"))
                         or []):
            return False, "hugetlb is enabled in %s/cgroup.subtree_control " \
                          "(in use)" % UNIFIED
        if is_mountpoint(HUGETLB_V1):
            return False, "%s is already a mount point" % HUGETLB_V1
        return True, ""

    def apply(self):
        if not os.path.isdir(HUGETLB_V1):
            os.makedirs(HUGETLB_V1)
            self.made_dir = True
        p = subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup",
                            HUGETLB_V1], capture_output=True, text=True)
        if p.returncode != 0:
            if self.made_dir:
                os.rmdir(HUGETLB_V1)
                self.made_dir = False
            return first_line(p.stderr)
        self.mounted = True
        return None

    def revert(self):
        """Unmount again so that hugetlb goes back to the cgroup2 tree.

        A v1 hierarchy is only destroyed at umount time if its root has no
        child cgroups left, including ones that were removed but are still
        dying; otherwise it lives on unmounted and hugetlb stays out of
        cgroup2.  So wait for num_cgroups to drop to 1, unmount, check, and
        mount/unmount once more if needed.
        """
        if not self.mounted:
            return "not mounted by us"
        for attempt in range(3):
            # Someone else may have made cgroups here meanwhile: wait for
            # them to go (never remove them), or give up and say so.
            deadline = time.monotonic() + 30
            while True:
                children = [d for d in os.listdir(HUGETLB_V1)
                            if os.path.isdir(os.path.join(HUGETLB_V1, d))]
                if (not children and hugetlb_info()[1] <= 1) or \
                        time.monotonic() >= deadline:
                    break
                time.sleep(0.2)
            if children:
                return ("left mounted: %s has child cgroups not made by this "
                        "benchmark (%s); undo later with: umount %s"
                        % (HUGETLB_V1, " ".join(children), HUGETLB_V1))
            p = subprocess.run(["umount", HUGETLB_V1], capture_output=True,
                               text=True)
            if p.returncode != 0:
                return "umount failed: " + first_line(p.stderr)
            self.mounted = False
            deadline = time.monotonic() + 5
            while hugetlb_info()[0] != 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            if hugetlb_info()[0] == 0:
                break
            # The hierarchy survived the umount: mount it again and retry.
            p = subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb",
                                "cgroup", HUGETLB_V1], capture_output=True,
                               text=True)
            if p.returncode != 0:
                return ("hugetlb v1 hierarchy outlived umount and could not "
                        "be mounted again: " + first_line(p.stderr))
            self.mounted = True
        if self.mounted:
            return ("left mounted: the hugetlb v1 hierarchy did not go away "
                    "after umount; undo later with: umount %s" % HUGETLB_V1)
        if self.made_dir:
            try:
                os.rmdir(HUGETLB_V1)
            except OSError:
                pass
        if "hugetlb" not in (read(os.path.join(UNIFIED, "cgroup.controllers"))
                             or []):
            return ("unmounted, but hugetlb is not back in %s; run: "
                    "mount -t cgroup -o hugetlb cgroup %s && umount %s"
                    % (UNIFIED, HUGETLB_V1, HUGETLB_V1))
        return None


def hugetlb_info():
    """(hierarchy id, num_cgroups) of hugetlb from /proc/cgroups."""
    try:
        with open("/proc/cgroups") as f:
            for line in f:
                fields = line.split()
                if fields and fields[0] == "hugetlb":
                    return int(fields[1]), int(fields[2])
    except (OSError, ValueError, IndexError):
        pass
    return 0, 1


# --- reporting -------------------------------------------------------------

def stats_ms(samples_ns):
    ms = sorted(s / 1e6 for s in samples_ns)
    if not ms:
        return None
    if len(ms) == 1:
        return {"median": ms[0], "p10": ms[0], "p90": ms[0],
                "min": ms[0], "max": ms[0], "n": 1}
    q = statistics.quantiles(ms, n=10, method="inclusive")
    return {"median": statistics.median(ms), "p10": q[0], "p90": q[8],
            "min": ms[0], "max": ms[-1], "n": len(ms)}


def version_of(rt):
    if rt.is_floor:
        return "unshare+chroot"
    try:
        p = subprocess.run([rt.path, "--version"], capture_output=True,
                           text=True, timeout=10)
        line = first_line(p.stdout)
        return line if p.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def report(bench, rts, args):
    results = []
    for rt in rts:
        st = stats_ms(rt.samples_ns)
        rss = statistics.median(rt.rss_kib) if rt.rss_kib else None
        results.append({
            "runtime": rt.label, "path": rt.path, "version": rt.version,
            "status": rt.error or "ok", "runs_ms": st,
            "failed_runs": rt.failures, "first_failure": rt.first_failure,
            "peak_rss_kib": rss, "rss_samples_kib": rt.rss_kib,
            "leftover_containers": rt.leftovers,
            "samples_ms": [s / 1e6 for s in rt.samples_ns],
        })

    # Ratios: the first runtime listed against each other one.
    ratios = []
    real = [r for r in results if r["runtime"] != FLOOR]
    if real:
        ref = real[0]
        for other in real[1:]:
            if ref["runs_ms"] and other["runs_ms"]:
                val = ref["runs_ms"]["median"] / other["runs_ms"]["median"]
            else:
                val = None
            ratios.append({"name": "%s/%s" % (ref["runtime"],
                                              other["runtime"]),
                           "median_ratio": val})

    order = " ".join(rt.label for rt in rts if not rt.error)
    print()
    print("OCI runtime start-up benchmark: `RT run` of a /bin/true container")
    print("host:      %s %s, %d CPUs" % (platform.system(), platform.release(),
                                       os.cpu_count() or 0))
    print("cgroups:   %s" % bench.layout_found)
    if bench.layout_run != bench.layout_found:
        print("  during runs: %s" % bench.layout_run)
    print("runs:      %d per runtime, alternating order: %s" % (
        args.iterations, order or "(none)"))
    print("peak RSS:  median of %d runs under %s -f %%M" % (
        args.rss_runs, args.time_bin))
    print()
    hdr = ("runtime", "median ms", "p10 ms", "p90 ms", "ok/runs",
           "peak RSS KiB", "version")
    rows = []
    for r in results:
        st = r["runs_ms"]
        if r["status"] != "ok":
            rows.append((r["runtime"], r["status"]))
            continue
        total = (st["n"] if st else 0) + r["failed_runs"]
        rows.append((r["runtime"],
                     "%.2f" % st["median"] if st else "-",
                     "%.2f" % st["p10"] if st else "-",
                     "%.2f" % st["p90"] if st else "-",
                     "%d/%d" % (st["n"] if st else 0, total),
                     "%d" % r["peak_rss_kib"] if r["peak_rss_kib"] is not None
                     else "-",
                     r["version"]))
    widths = [len(h) for h in hdr]
    for row in rows:
        if len(row) == len(hdr):
            widths = [max(w, len(c)) for w, c in zip(widths, row)]
    fmt = "  ".join("%%-%ds" % w if i in (0, 6) else "%%%ds" % w
                    for i, w in enumerate(widths))
    print((fmt % hdr).rstrip())
    for row in rows:
        if len(row) == len(hdr):
            print((fmt % row).rstrip())
        else:
            print(("%%-%ds  %%s" % widths[0]) % row)
    if ratios:
        print()
        for ra in ratios:
            v = ra["median_ratio"]
            print("ratio %-14s %s" % (ra["name"] + ":",
                                      "%.3f" % v if v is not None else "n/a"))
    extra = []
    for r in results:
        if r["failed_runs"]:
            extra.append("%s: %d failed runs, first: %s" % (
                r["runtime"], r["failed_runs"], r["first_failure"]))
        if r["leftover_containers"]:
            extra.append("%s: %d containers left after run, force-deleted" % (
                r["runtime"], r["leftover_containers"]))
    notes = bench.notes + extra
    if notes:
        print()
        for n in notes:
            print("note: " + n)
    print()

    if args.json:
        doc = {
            "benchmark": "oci-runtime-run-true",
            "iterations": args.iterations, "rss_runs": args.rss_runs,
            "host": {"kernel": platform.release(),
                     "cpus": os.cpu_count(),
                     "cgroups": bench.layout_found,
                     "cgroups_during_runs": bench.layout_run},
            "order": order.split(), "results": results, "ratios": ratios,
            "notes": notes,
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        log("wrote " + args.json)


def preflight_all(rts, check, fix, use_fix, notes):
    """rt.error = check(rt) for each usable runtime; with use_fix, apply the
    hybrid fix when one failed and check the failed ones again."""
    for rt in rts:
        if not rt.error:
            rt.error = check(rt)
    failed = [rt for rt in rts if rt.error and
              not rt.error.startswith("not found")]
    if not failed or not use_fix:
        return
    ok, why = fix.applicable()
    if not ok:
        notes.append("--fix-hybrid not applied: " + why)
        return
    err = fix.apply()
    if err:
        notes.append("--fix-hybrid: mount failed: " + err)
        return
    notes.append("--fix-hybrid: hugetlb mounted as cgroup v1 at %s for the "
                 "run" % HUGETLB_V1)
    for rt in failed:
        rt.error = check(rt)


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def locate(spec):
    """'NAME' or 'NAME=PATH' -> (name, path, error or None, version line)."""
    name, _, path = spec.partition("=")
    path = path or name
    found = shutil.which(path) if os.sep not in path else path
    if not found or not os.access(found, os.X_OK):
        return name, path, "not found: " + path, ""
    p = subprocess.run([found, "--version"], capture_output=True, text=True)
    return name, found, None, first_line(p.stdout)


def resolve(spec, ocirt):
    """'NAME' or 'NAME=PATH' -> (label, path or None)."""
    if "=" in spec:
        label, path = spec.split("=", 1)
    else:
        label, path = spec, None
    if path is None:
        if label == "ocirt":
            path = ocirt
        elif label == FLOOR:
            path = "unshare"
        else:
            path = label
    if os.sep not in path:
        found = shutil.which(path)
        if found is None:
            return label, path, "failed: %s not found on PATH" % path
        path = found
    elif not os.access(path, os.X_OK):
        return label, path, "failed: %s is not executable" % path
    return label, path, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("-n", "--iterations", type=int, default=50)
    ap.add_argument("--ocirt", default="ocirt")
    ap.add_argument("--runtimes", default="ocirt crun runc")
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--rss-runs", type=int, default=5)
    ap.add_argument("--time-bin", default="/usr/bin/time")
    ap.add_argument("--json")
    ap.add_argument("--fix-hybrid", action="store_true")
    ap.add_argument("--keep-fix", action="store_true")
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args()
    if args.iterations < 1 or args.rss_runs < 0:
        ap.error("-n must be >= 1 and --rss-runs >= 0")

    bench = Bench(args)
    rts = []
    specs = args.runtimes.split()
    if not args.no_floor and FLOOR not in [s.split("=")[0] for s in specs]:
        specs.append(FLOOR)
    seen = set()
    for spec in specs:
        label, path, err = resolve(spec, args.ocirt)
        if label in seen:
            continue
        seen.add(label)
        rt = Runtime(label, path, args.workdir, args.bundle)
        rt.error = err
        rts.append(rt)
        if not err:
            os.makedirs(rt.root, exist_ok=True)
            rt.version = version_of(rt)

    fix = HybridFix()
    try:
        log("preflight run of each runtime")
        bench.preflight(rts)
        failed = [rt for rt in rts if rt.error and not rt.is_floor
                  and "not found" not in rt.error
                  and "not executable" not in rt.error]
        if failed:
            ok, why = fix.applicable()
            names = " ".join(rt.label for rt in failed)
            if not args.fix_hybrid:
                if ok:
                    bench.notes.append(
                        "%s failed; this hybrid host has hugetlb in cgroup2, "
                        "--fix-hybrid may help" % names)
            elif not ok:
                bench.notes.append("--fix-hybrid not applied: " + why)
                log("--fix-hybrid not applied: " + why)
            else:
                log("--fix-hybrid: %s failed; mounting hugetlb as cgroup v1 "
                    "at %s (moves it out of %s)" % (names, HUGETLB_V1,
                                                     UNIFIED))
                err = fix.apply()
                if err:
                    bench.notes.append("--fix-hybrid: mount failed: " + err)
                    log("--fix-hybrid: mount failed: " + err)
                else:
                    before = {rt.label: rt.error for rt in failed}
                    for rt in failed:
                        rt.error = None
                    bench.preflight(failed)
                    for rt in failed:
                        bench.notes.append(
                            "--fix-hybrid: hugetlb mounted as cgroup v1 at %s;"
                            " %s before: %s; after: %s" % (
                                HUGETLB_V1, rt.label, before[rt.label],
                                rt.error or "works"))
        for rt in rts:
            if rt.error:
                log("%s %s" % (rt.label, rt.error))

        bench.layout_run = cgroup_layout()
        log("timing: %d iterations" % args.iterations)
        bench.timing(rts)
        if args.rss_runs:
            log("peak RSS: %d runs each" % args.rss_runs)
            bench.rss(rts)
    finally:
        for rt in rts:
            rt.final_cleanup()
        if fix.mounted:
            if args.keep_fix:
                bench.notes.append("--keep-fix: hugetlb stays mounted at %s; "
                                   "undo with: umount %s" % (HUGETLB_V1,
                                                             HUGETLB_V1))
                log("hugetlb left mounted at %s (--keep-fix)" % HUGETLB_V1)
            else:
                err = fix.revert()
                msg = ("hugetlb v1 mount removed again, host as before"
                       if err is None else "hugetlb: " + err)
                bench.notes.append("--fix-hybrid: " + msg)
                log("--fix-hybrid: " + msg)

    report(bench, rts, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
