"""Concurrency stress: many containers through their whole life at once.

Eight workers drive the runtime binary in parallel against one state root.
Each worker takes its own containers through create, start, kill and delete
while it also runs ``state``, ``list``, ``kill`` and ``delete`` on the
containers of the other workers, which may be at any step.  Those foreign
calls may fail (the container is not there yet, or is gone already), but
every call must end on its own with either success or one error line and a
non-zero exit: no crash, no hang, no sanitizer report.  Afterwards nothing
may remain: no state directory, no cgroup in any hierarchy, no host mount,
no process and no zombie.
"""

import json
import os
import random
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lib.cgroups import cgroup_dirs, cgroup_path_for
from lib.procs import ACTIVE_PIDS, children_of, leftover_processes, proc_stat, reap_zombies
from lib.runtime import unique_id
from lib.reliability import Snapshot

WORKERS = 8
#: STRESS_CONTAINERS changes it (a sanitizer build is about 6x slower)
CONTAINERS = int(os.environ.get("STRESS_CONTAINERS", "200"))
#: one call of the runtime that takes longer than this is a hang
CALL_TIMEOUT = 60

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:", "Segmentation fault")

# Popen and the bookkeeping of the pids the suite waits for itself go
# together, so that no reaper sees a runtime exit before it is recorded.
_spawn_lock = threading.Lock()


class Call:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    @property
    def err_lines(self):
        return [ln for ln in self.err.splitlines() if ln.strip()]

    def __repr__(self):
        return f"<Call rc={self.rc} argv={self.argv!r} err={self.err[:500]!r}>"


class Driver:
    """Runs the binary from many threads; records every bad outcome."""

    def __init__(self, rt):
        self.rt = rt
        self.calls = 0
        self.problems = []
        self.inits = set()  # pids of the containers' processes
        self.current = {}   # worker -> the id it is busy with
        self.hits = 0       # meddling calls that found a container
        self.lock = threading.Lock()
        self.tmp = Path(rt.env.base) / "stress-calls"
        self.tmp.mkdir(exist_ok=True)

    def __call__(self, *args):
        argv = self.rt.argv(*args)
        tag = uuid.uuid4().hex[:12]
        out_p, err_p = self.tmp / f"{tag}.out", self.tmp / f"{tag}.err"
        # files, not pipes: a container inherits the runtime's stdio
        with open(out_p, "wb") as fo, open(err_p, "wb") as fe, _spawn_lock:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
            ACTIVE_PIDS.add(p.pid)
        try:
            rc = p.wait(timeout=CALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
            self.problem(f"hang: {argv} did not end in {CALL_TIMEOUT}s")
        finally:
            ACTIVE_PIDS.discard(p.pid)
        call = Call(argv, rc, out_p.read_text(errors="replace"),
                    err_p.read_text(errors="replace"))
        out_p.unlink()
        err_p.unlink()
        self.check(call)
        return call

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def check(self, call):
        with self.lock:
            self.calls += 1
        if any(m in call.err for m in SANITIZER_MARKS):
            self.problem(f"sanitizer report or crash: {call!r}")
        elif call.rc < 0 or call.rc > 125:
            self.problem(f"killed by a signal or crashed: {call!r}")
        elif call.rc != 0 and len(call.err_lines) != 1:
            self.problem(f"failure without exactly one error line: {call!r}")


def stress_bundle(env, name):
    b = env.bundle(name=name)
    b.set_args("sleep", "600")
    b.linux["resources"].update({"memory": {"limit": 64 << 20},
                                 "pids": {"limit": 32}})
    return b


def worker(drive, bundle, mine, everyone, seed):
    rnd = random.Random(seed)

    def meddle():
        """A call on the container another worker is busy with (or, now and
        then, on any id), wherever in its life that container is."""
        busy = [c for w, c in list(drive.current.items()) if w != seed]
        other = rnd.choice(busy if busy and rnd.random() < 0.8 else everyone)
        op = rnd.random()
        if op < 0.35:
            res = drive("state", other)
            if res.rc == 0:
                json.loads(res.out)
                with drive.lock:
                    drive.hits += 1
        elif op < 0.5:
            res = drive("list", "--format", "json")
            if res.rc != 0:
                drive.problem(f"list failed: {res!r}")
            else:
                json.loads(res.out or "[]")
        elif op < 0.75:
            drive("kill", other, rnd.choice(["KILL", "TERM", "0"]))
        elif op < 0.9:
            drive("delete", other)
        else:
            drive("delete", "--force", other)

    for cid in mine:
        drive.current[seed] = cid
        bundle.linux["cgroupsPath"] = cgroup_path_for(f"stress-{cid}")
        bundle.write()
        pid_file = drive.tmp / f"{cid}.pid"
        res = drive("create", "--bundle", str(bundle), "--pid-file", pid_file, cid)
        if res.rc != 0:
            # meddlers only wait for a create, they cannot make it fail
            drive.problem(f"create failed: {res!r}")
            continue
        with drive.lock:
            drive.inits.add(int(pid_file.read_text()))
        meddle()
        drive("start", cid)
        meddle()
        drive("kill", cid, "KILL")
        meddle()
        # the container may be gone already (a meddler deleted it)
        for _ in range(200):
            res = drive("delete", cid)
            if res.rc == 0 or "does not exist" in res.err:
                break
            time.sleep(0.01)
        else:
            drive.problem(f"delete of a killed container kept failing: {res!r}")
            drive("delete", "--force", cid)


def processes_in_cgroups_of(ids):
    """Pids anywhere on the host whose cgroup path names one of ids."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            text = Path(f"/proc/{name}/cgroup").read_text()
        except OSError:
            continue
        if any(f"stress-{cid}" in text for cid in ids):
            found.append(int(name))
    return found


def test_parallel_lifecycles_leave_nothing(rt, env):
    ids = [unique_id("s") for _ in range(CONTAINERS)]
    snap = Snapshot(rt)
    cg_before = cgroup_dirs()
    drive = Driver(rt)
    bundles = [stress_bundle(env, f"stress-bundle-{i}") for i in range(WORKERS)]
    shares = [ids[i::WORKERS] for i in range(WORKERS)]

    start = time.monotonic()
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            futures = [pool.submit(worker, drive, bundles[i], shares[i], ids, i)
                       for i in range(WORKERS)]
            for f in futures:
                f.result()
    finally:
        # The fixture's teardown deletes the ids it knows of one by one;
        # only what is still there needs it.
        rt.ids.update(c for c in ids if os.path.lexists(os.path.join(rt.root, c)))
    wall = time.monotonic() - start
    print(f"\nstress: {CONTAINERS} containers, {drive.calls} runtime calls, "
          f"{WORKERS} workers: {wall:.1f} s, {CONTAINERS / wall:.1f} containers/s; "
          f"`state` of another worker's container found it {drive.hits} times")

    assert not drive.problems, "\n".join(drive.problems[:20])

    # Every runtime call has ended, so whatever a runtime left behind was
    # re-parented to this process.  The only zombies allowed are the
    # containers' own processes, which a shim reaps.
    zombies = [p for p in children_of(os.getpid())
               if p not in ACTIVE_PIDS and (proc_stat(p) or ("?",))[0] == "Z"]
    strays = sorted(set(zombies) - drive.inits)
    assert not strays, f"zombies that are no container's process: {strays}"
    reap_zombies()
    assert not processes_in_cgroups_of(ids)
    assert not leftover_processes()
    left = [e for e in os.listdir(rt.root) if not e.startswith(".")]
    assert not left, f"state root not empty: {left[:10]}"
    new_cg = sorted(d for d in cgroup_dirs() - cg_before if "stress-" in d)
    assert not new_cg, f"cgroups left: {new_cg[:10]}"
    snap.assert_clean(ids=ids)
