"""Cgroups: linux.resources in the right files (v1, hybrid, v2), pause and
resume, ps, update, events, kill --all, delete of what a container left.

Everything is checked from the host, in the cgroup files.  Containers use
a ``linux.cgroupsPath`` of their own (``cgroup_path_for``): relative, so
below the test's own cgroup on v1 and hybrid hosts and beside it (in its
parent) on pure v2, as with runc, where the test's cgroup is the suite's;
below the suite's root otherwise.  The same file runs on a pure cgroup v2
host (see ``tests/cgroup-v2/run.sh``) and with systemd as PID 1
(``tests/systemd/run-all.sh``); tests that only make sense on one layout
are skipped on the other.
"""

import json
import os
import signal
import subprocess
import time

import pytest

from lib.cgroups import cgroup_path_for, own_cgroups
from lib.host import HostSnapshot
from lib.procs import pid_alive
from lib.runtime import assert_single_line_error, runc_diff, unique_id
from lib.waiting import wait_for, wait_pid_gone

CG = "/sys/fs/cgroup"
V2 = os.path.exists(os.path.join(CG, "cgroup.controllers"))
needs_v1 = pytest.mark.skipif(V2, reason="cgroup v1 controllers needed")
needs_v2 = pytest.mark.skipif(not V2, reason="pure cgroup v2 host needed")

MiB = 1024 * 1024


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def cg_dir(pid, controller):
    """Host directory of pid's cgroup that holds controller."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [ln.rstrip("\n").split(":", 2) for ln in f]
    for _, ctrls, path in lines:
        if V2:
            return CG + path
        if controller in (ctrls.split(",") if ctrls else []):
            return os.path.join(CG, ctrls) + path
    raise AssertionError(f"no {controller} cgroup for pid {pid}")


def relative_base(ctrls="", caller=None):
    """Where a relative cgroupsPath is joined in the hierarchy of CTRLS
    ("" for v2): the caller's cgroup (own_cgroups() form; default: this
    process's), its parent on pure v2."""
    caller = caller or own_cgroups()
    path = caller[ctrls.split(",")[0]]
    return os.path.dirname(path) if V2 else path


def cg_read(pid, controller, name):
    with open(os.path.join(cg_dir(pid, controller), name)) as f:
        return f.read().strip()


def v1_has(controller):
    return not V2 and os.path.isdir(os.path.join(CG, controller))


def block_device():
    """major:minor of a real disk, or None."""
    for name in sorted(os.listdir("/sys/block")):
        if name.startswith(("loop", "ram", "zram")):
            continue
        try:
            with open(f"/sys/block/{name}/dev") as f:
                return tuple(int(x) for x in f.read().strip().split(":"))
        except OSError:
            continue
    return None


def configure(bundle, cid, resources=None, script="sleep 60"):
    """A cgroup of the container's own, with resources."""
    bundle.sh(script)
    bundle.linux["cgroupsPath"] = cgroup_path_for(cid)
    bundle.linux["resources"].update(resources or {})
    return bundle


def running(rt, bundle, cid, resources=None, script="sleep 60"):
    configure(bundle, cid, resources, script)
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "running")
    return rt.pid(cid)


def all_cgroup_dirs_named(name):
    found = []
    for top in os.listdir(CG) if not V2 else [""]:
        base = os.path.join(CG, top)
        if not os.path.isdir(base):
            continue
        for dirpath, _, _ in os.walk(base):
            if os.path.basename(dirpath) == name:
                found.append(dirpath)
    return found


V1_FILES = {
    "memory": ["memory.limit_in_bytes", "memory.soft_limit_in_bytes",
               "memory.memsw.limit_in_bytes", "memory.swappiness",
               "memory.kmem.tcp.limit_in_bytes"],
    "cpu": ["cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us",
            "cpu.rt_period_us", "cpu.rt_runtime_us"],
    "cpuset": ["cpuset.cpus", "cpuset.mems"],
    "pids": ["pids.max"],
    "blkio": ["blkio.throttle.read_bps_device",
              "blkio.throttle.write_iops_device"],
}


def cpu_list(text):
    """The numbers of a cpuset list such as 0-2,4."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def snapshot(pid, files):
    out = {}
    for ctrl, names in files.items():
        for n in names:
            path = os.path.join(cg_dir(pid, ctrl), n)
            if os.path.exists(path):
                with open(path) as f:
                    out[n] = f.read().strip()
    return out


# --------------------------------------------------------------------------
# resources at create
# --------------------------------------------------------------------------

def test_relative_path_nests_below_the_runtime_cgroup_in_every_hierarchy(rt, env):
    """A relative cgroupsPath goes below the cgroup the runtime is in (its
    parent on pure v2), in each hierarchy separately (here memory is
    nested, the others may be at their root); a named hierarchy
    (name=systemd) is not touched."""
    cid = unique_id()
    caller = rt.run_from_own_cgroup()
    bundle = configure(env.bundle(), cid)
    bundle.linux["cgroupsPath"] = cid
    rt.create(cid, bundle)
    pid = rt.pid(cid)
    with open(f"/proc/{pid}/cgroup") as f:
        theirs = {c: p for _, c, p in (ln.rstrip("\n").split(":", 2) for ln in f)}
    checked = 0
    for ctrls, path in theirs.items():
        if ctrls.startswith("name="):
            assert path == caller[ctrls], (ctrls, path)
            continue
        want = relative_base(ctrls, caller).rstrip("/") + "/" + cid
        assert path == want, (ctrls, path, want)
        checked += 1
    assert checked >= 1
    rt.delete(cid, force=True)


@needs_v1
def test_v1_resources_land_in_their_files_as_with_runc(rt, ref, env):
    dev = block_device()
    res = {
        "memory": {"limit": 64 * MiB, "reservation": 32 * MiB,
                   "swap": 128 * MiB, "swappiness": 20,
                   "kernelTCP": 16 * MiB, "disableOOMKiller": True},
        "cpu": {"shares": 512, "quota": 50000, "period": 100000,
                "realtimePeriod": 1000000, "realtimeRuntime": 10000,
                "cpus": "0", "mems": "0"},
        "pids": {"limit": 42},
    }
    if dev:
        res["blockIO"] = {
            "throttleReadBpsDevice": [{"major": dev[0], "minor": dev[1],
                                       "rate": MiB}],
            "throttleWriteIOPSDevice": [{"major": dev[0], "minor": dev[1],
                                         "rate": 100}]}
    cid = unique_id()
    pid = running(rt, env.bundle(), cid, res)
    got = snapshot(pid, V1_FILES)
    assert got["memory.limit_in_bytes"] == str(64 * MiB)
    assert got["memory.soft_limit_in_bytes"] == str(32 * MiB)
    assert got["memory.memsw.limit_in_bytes"] == str(128 * MiB)
    assert got["memory.swappiness"] == "20"
    assert got["memory.kmem.tcp.limit_in_bytes"] == str(16 * MiB)
    assert "oom_kill_disable 1" in cg_read(pid, "memory", "memory.oom_control")
    assert got["cpu.shares"] == "512"
    assert got["cpu.cfs_quota_us"] == "50000"
    assert got["cpu.cfs_period_us"] == "100000"
    assert got["cpu.rt_runtime_us"] == "10000"
    assert got["cpuset.cpus"] == "0" and got["cpuset.mems"] == "0"
    assert got["pids.max"] == "42"
    if dev:
        assert got["blkio.throttle.read_bps_device"] == \
            f"{dev[0]}:{dev[1]} {MiB}"
        assert got["blkio.throttle.write_iops_device"] == \
            f"{dev[0]}:{dev[1]} 100"
    if ref is None:
        return
    rcid = unique_id("r")
    rpid = running(ref, env.bundle(), rcid, res)
    # runc 1.1 ignores kernel memory settings
    del got["memory.kmem.tcp.limit_in_bytes"]
    theirs = snapshot(rpid, V1_FILES)
    del theirs["memory.kmem.tcp.limit_in_bytes"]
    assert theirs == got


@needs_v1
def test_v1_device_rules_land_in_devices_list_as_with_runc(rt, ref, env):
    """Every rule (config, defaults, linux.devices) is written to the v1
    devices controller in order: the host's devices.list shows the
    result, the same as runc's for the same config."""
    rules = [{"allow": False, "access": "rwm"},
             {"allow": True, "type": "c", "major": 10, "minor": 229,
              "access": "rw"},
             {"allow": True, "type": "b", "major": 7, "access": "r"},
             {"allow": False, "type": "c", "major": 1, "minor": 9,
              "access": "w"}]

    def devices_list(runtime, prefix):
        bundle = env.bundle()
        bundle.linux["resources"]["devices"] = list(rules)
        cid = unique_id(prefix)
        pid = running(runtime, bundle, cid)
        with open(os.path.join(cg_dir(pid, "devices"), "devices.list")) as f:
            got = sorted(f.read().split("\n"))
        runtime.delete(cid, force=True)
        return [line for line in got if line]

    ours = devices_list(rt, "c")
    assert "c 10:229 rw" in ours, ours
    assert "b 7:* r" in ours, ours
    assert "a *:* rwm" not in ours, ours
    assert "c 1:3 rwm" in ours, ours          # a default rule
    assert "c 5:1 rwm" not in ours, ours      # not the host console
    if ref is not None:
        theirs = devices_list(ref, "r")
        assert theirs == ours, (theirs, ours)


def v1_root_has(controller, *files):
    """The first of FILES that the v1 hierarchy's root offers, or None:
    which ones exist depends on the machine (CFQ/BFQ for blkio weights,
    the kernel version for kmem)."""
    for f in files:
        if os.path.exists(os.path.join(CG, controller, f)):
            return f
    return None


@needs_v1
def test_v1_blkio_weight_where_the_io_scheduler_has_weights(rt, env):
    """blkio.weight needs CFQ, blkio.bfq.weight BFQ: with neither (none,
    mq-deadline, kyber) the weight cannot be kept, and create says so in
    one line."""
    cid = unique_id()
    bundle = configure(env.bundle(), cid, {"blockIO": {"weight": 300}})
    weight_file = v1_root_has("blkio", "blkio.weight", "blkio.bfq.weight")
    if weight_file is None:
        snap = HostSnapshot(rt)
        res = rt.create(cid, bundle, check=False)
        assert_single_line_error(res, "blockIO.weight")
        snap.assert_clean(ids=[cid], cgroup_paths=[cid])
        return
    rt.create(cid, bundle)
    # BFQ shows "default 300", CFQ "300"
    assert cg_read(rt.pid(cid), "blkio", weight_file).split()[-1] == "300"


@needs_v1
def test_v1_kernel_memory_is_set_or_warned_about(rt, env):
    cid = unique_id()
    bundle = configure(env.bundle(), cid, {"memory": {"kernel": 32 * MiB}})
    if v1_root_has("memory", "memory.kmem.limit_in_bytes") is None:
        pytest.skip("this kernel has no v1 kernel memory accounting files")
    res = rt.create(cid, bundle)
    kmem = cg_read(rt.pid(cid), "memory", "memory.kmem.limit_in_bytes")
    if kmem != str(32 * MiB):
        # newer kernels take the write and keep no limit: say so
        assert "memory.kernel" in res.err, res
    else:
        assert not res.err_lines, res


@needs_v2
def test_v2_resources_and_conversions_as_with_runc(rt, ref, env):
    res = {
        "memory": {"limit": 64 * MiB, "swap": 96 * MiB,
                   "reservation": 16 * MiB},
        "cpu": {"shares": 1024, "quota": 50000, "period": 100000,
                "cpus": "0", "mems": "0"},
        "pids": {"limit": 42},
        "blockIO": {"weight": 500},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4 * MiB}],
        "unified": {"memory.high": str(60 * MiB)},
    }
    files = ["memory.max", "memory.swap.max", "memory.low", "memory.high",
             "cpu.weight", "cpu.max", "cpuset.cpus", "pids.max", "io.weight",
             "hugetlb.2MB.max"]
    cid = unique_id()
    pid = running(rt, env.bundle(), cid, res)
    got = {f: cg_read(pid, "", f) for f in files}
    assert got["memory.max"] == str(64 * MiB)
    # swap is memory+swap in the spec, swap alone in memory.swap.max
    assert got["memory.swap.max"] == str(32 * MiB)
    assert got["memory.low"] == str(16 * MiB)
    assert got["memory.high"] == str(60 * MiB)
    assert got["cpu.weight"] == "39"        # 1 + (1024-2)*9999/262142
    assert got["cpu.max"] == "50000 100000"
    assert got["cpuset.cpus"] == "0"
    assert got["pids.max"] == "42"
    assert got["io.weight"] == "default 4950"   # 1 + (500-10)*9999/990
    assert got["hugetlb.2MB.max"] == str(4 * MiB)
    if os.path.exists(os.path.join(cg_dir(pid, ""), "hugetlb.2MB.rsvd.max")):
        assert cg_read(pid, "", "hugetlb.2MB.rsvd.max") == str(4 * MiB)
    if ref is None:
        return
    rcid = unique_id("r")
    rpid = running(ref, env.bundle(), rcid, res)
    assert {f: cg_read(rpid, "", f) for f in files} == got


@runc_diff("runc 1.1 has no --cgroup-manager")
@pytest.mark.parametrize("managers, made", [
    (["--cgroup-manager", "disabled"], False),
    (["--systemd-cgroup", "--cgroup-manager", "disabled"], False),
    (["--cgroup-manager", "cgroupfs", "--cgroup-manager", "disabled"], False),
    (["--cgroup-manager", "disabled", "--cgroup-manager", "cgroupfs"], True),
])
def test_cgroup_manager_disabled_makes_no_cgroup(rt, env, managers, made):
    """disabled: the container stays in the caller's cgroups, its
    cgroupsPath is never made; the last manager option wins."""
    cid = unique_id()
    bundle = configure(env.bundle(), cid, {"pids": {"limit": 42}})
    rt.create(cid, bundle, global_args=managers)
    pid = rt.pid(cid)
    name = os.path.basename(bundle.linux["cgroupsPath"])
    if made:
        assert cg_read(pid, "pids", "pids.max") == "42"
    else:
        assert sorted(open(f"/proc/{pid}/cgroup").read().splitlines()) == \
            sorted(open("/proc/self/cgroup").read().splitlines())
        assert all_cgroup_dirs_named(name) == []
    rt.delete(cid, force=True)
    assert all_cgroup_dirs_named(name) == []


V1_ONLY_RESOURCES = {
    "memory": {"limit": 64 * MiB, "kernel": 32 * MiB, "kernelTCP": 16 * MiB,
               "swappiness": 20},
    "cpu": {"realtimePeriod": 1000000, "realtimeRuntime": 10000},
    "blockIO": {"weight": 500, "leafWeight": 300},
    "network": {"classID": 1048577, "priorities": [{"name": "lo", "priority": 2}]},
}


@needs_v2
def test_v1_only_resources_are_ignored_on_v2_as_with_runc(rt, ref, env):
    """Configs written for v1 hosts: the v1-only settings are left out
    with a warning each, the others still land."""
    for r in [rt] + ([ref] if ref else []):
        cid = unique_id()
        pid = running(r, env.bundle(), cid, V1_ONLY_RESOURCES)
        assert cg_read(pid, "", "memory.max") == str(64 * MiB), r.name
        r.delete(cid, force=True)
    cid = unique_id()
    res = rt.run(cid, configure(env.bundle(), cid, V1_ONLY_RESOURCES, script="true"))
    assert res.rc == 0, res
    for what in ("memory.kernel", "memory.kernelTCP", "memory.swappiness",
                 "cpu.realtimePeriod", "cpu.realtimeRuntime", "blockIO.leafWeight",
                 "network.classID", "network.priorities"):
        assert f"{what}: not supported on cgroup v2, ignored" in res.err, res


def in_cgroup(cgroup):
    """A prefix that starts a command in CGROUP (a v2 directory)."""
    return ["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$@"', "sh"]


@pytest.fixture
def service_cgroup():
    """A slice and a service in it at the v2 root, laid out as systemd
    does: the slice has no process and gives memory and pids to its
    children, the service holds its main process.  Yields both paths."""
    if not V2:
        pytest.skip("pure cgroup v2 host needed: v1 has no rule against "
                    "processes in a cgroup with children, and this host's "
                    "own cgroups are not ours to nest into")
    slice_dir = os.path.join(CG, unique_id("slice"))
    service = os.path.join(slice_dir, "service")
    os.mkdir(slice_dir)
    holder = None
    try:
        with open(os.path.join(slice_dir, "cgroup.subtree_control"), "w") as f:
            f.write("+memory +pids")
        os.mkdir(service)
        holder = subprocess.Popen(in_cgroup(service) + ["sleep", "600"])
        wait_for(lambda: str(holder.pid) in
                 open(os.path.join(service, "cgroup.procs")).read().split(),
                 timeout=10, what="the service's main process in place")
        yield slice_dir, service
    finally:
        if holder is not None:
            holder.kill()
            holder.wait(timeout=20)
        for d in (service, slice_dir):
            # the kernel lets go of a dead process's cgroup a little later
            wait_for(lambda: not os.path.exists(d) or _rmdir(d), timeout=30,
                     what=f"{d} removed (it holds {_subdirs(d)})")


def _subdirs(d):
    try:
        return [e for e in os.listdir(d) if os.path.isdir(os.path.join(d, e))]
    except OSError:
        return []


def _rmdir(d):
    try:
        os.rmdir(d)
        return True
    except OSError:
        return False


@pytest.mark.parametrize("nested", [False, True],
                         ids=["no-cgroupsPath", "relative-cgroupsPath"])
def test_v2_caller_cgroup_with_a_process_as_with_runc(rt, ref, env,
                                                      service_cgroup, nested):
    """Started from a service's cgroup, which holds a process and so can
    enable no controller for a child: without a cgroupsPath, or with a
    relative one, the container goes into the service's parent, as with
    runc; its limit is set, and update, events --stats and delete work
    from there too."""
    slice_dir, service = service_cgroup
    runtimes = [(rt, unique_id())] + ([(ref, unique_id("r"))] if ref else [])
    for r, cid in runtimes:
        bundle = env.bundle()
        bundle.sh("sleep 60")
        path = os.path.join(slice_dir, cid)
        if nested:
            bundle.linux["cgroupsPath"] = f"{cid}-box/{cid}"
            path = os.path.join(slice_dir, f"{cid}-box", cid)
        bundle.linux["resources"]["memory"] = {"limit": 64 * MiB}
        r.create(cid, bundle, prefix=in_cgroup(service))
        pid = r.pid(cid)
        assert cg_dir(pid, "") == path, r.name
        assert cg_read(pid, "", "memory.max") == str(64 * MiB), r.name
        if r is not rt:
            continue
        res = rt("update", "--memory", "128m", "--pids-limit", "17", cid,
                 prefix=in_cgroup(service))
        assert res.rc == 0, res
        assert cg_read(pid, "", "memory.max") == str(128 * MiB)
        assert cg_read(pid, "", "pids.max") == "17"
        res = rt("events", "--stats", cid, prefix=in_cgroup(service))
        assert res.rc == 0, res
        stats = json.loads(res.out)["data"]
        assert stats["memory"]["usage"]["limit"] == 128 * MiB, stats
        assert stats["pids"]["limit"] == 17, stats
        res = rt("delete", "--force", cid, prefix=in_cgroup(service))
        assert res.rc == 0, res
        assert not os.path.exists(path)
        assert not os.path.exists(os.path.join(slice_dir, f"{cid}-box"))
    for r, cid in runtimes[1:]:
        r.delete(cid, force=True)
        if nested:
            # runc leaves the parents it made
            _rmdir(os.path.join(slice_dir, f"{cid}-box"))


@needs_v2
def test_v2_nested_path_gets_the_controllers_enabled(rt, env):
    cid = unique_id()
    parent = f"{cid}-parent"
    bundle = env.bundle()
    configure(bundle, cid, {"memory": {"limit": 32 * MiB}, "pids": {"limit": 9}})
    bundle.linux["cgroupsPath"] = f"{parent}/{cid}"
    snap = HostSnapshot(rt)
    rt.create(cid, bundle)
    pid = rt.pid(cid)
    top = CG + relative_base().rstrip("/") + "/" + parent
    ctl = open(os.path.join(top, "cgroup.subtree_control")).read()
    assert "memory" in ctl.split() and "pids" in ctl.split(), ctl
    assert cg_read(pid, "", "memory.max") == str(32 * MiB)
    assert cg_read(pid, "", "pids.max") == "9"
    rt.delete(cid, force=True)
    assert not os.path.exists(top)
    snap.assert_clean(ids=[cid], cgroup_paths=[parent])


def test_pids_limit_zero_is_a_limit(rt, env):
    cid = unique_id()
    bundle = configure(env.bundle(), cid, {"pids": {"limit": 0}})
    rt.create(cid, bundle)
    assert cg_read(rt.pid(cid), "pids", "pids.max") == "0"
    rt.delete(cid, force=True)


@pytest.mark.parametrize("resources,mention", [
    ({"unified": {"nosuch.thing": "1"}}, "nosuch.thing"),
    ({"unified": {"../escape": "1"}}, "../escape"),
    ({"network": {"classID": 1048577}}, "network.classID"),
    ({"cpu": {"shares": 1}}, "cpu.shares"),
    ({"memory": {"swappiness": 101}}, "memory.swappiness"),
])
def test_unusable_resource_is_one_clear_error(rt, env, resources, mention):
    if "network" in resources and (V2 or v1_has("net_cls")):
        pytest.skip("net_cls is mounted here, or ignored on cgroup v2")
    cid = unique_id()
    bundle = configure(env.bundle(), cid, resources)
    snap = HostSnapshot(rt)
    res = rt.create(cid, bundle, check=False)
    assert_single_line_error(res, mention)
    snap.assert_clean(ids=[cid])


@needs_v1
def test_unified_on_a_hybrid_host_names_the_v1_controller(rt, env):
    if not os.path.isdir(os.path.join(CG, "unified")):
        pytest.skip("no unified hierarchy")
    cid = unique_id()
    bundle = configure(env.bundle(), cid, {"unified": {"memory.max": "1"}})
    res = rt.create(cid, bundle, check=False)
    assert_single_line_error(res, "memory.max")


# --------------------------------------------------------------------------
# pause / resume
# --------------------------------------------------------------------------

def test_pause_stops_the_processes_and_resume_lets_them_go(rt, ref, env,
                                                           host_dir):
    cid = unique_id()
    bundle = env.bundle()
    bundle.bind(host_dir, "/out")
    counter = host_dir / "n"
    size = lambda: counter.stat().st_size if counter.exists() else 0  # noqa
    pid = running(rt, bundle, cid, script="i=0; while :; do i=$((i+1)); "
                  "echo $i >> /out/n; done")
    wait_for(lambda: size() > 0, 5, what="the loop to count")
    rt("pause", cid, check=True)
    assert rt.status(cid) == "paused"
    assert [c["status"] for c in rt.list_json() if c["id"] == cid] == \
        ["paused"]
    if V2:
        assert cg_read(pid, "", "cgroup.freeze") == "1"
        assert "frozen 1" in cg_read(pid, "", "cgroup.events")
    else:
        assert cg_read(pid, "freezer", "freezer.state") == "FROZEN"
    a = size()
    time.sleep(0.5)
    assert size() == a, "a frozen loop went on counting"
    # as in runc: pausing twice, or resuming what runs, is an error
    assert_single_line_error(rt("pause", cid), cid)
    rt("resume", cid, check=True)
    assert rt.status(cid) == "running"
    wait_for(lambda: size() > a, 5, what="the loop to go on")
    assert_single_line_error(rt("resume", cid), cid)
    if ref is not None:
        rcid = unique_id("r")
        running(ref, env.bundle(), rcid)
        ref("pause", rcid, check=True)
        assert ref.status(rcid) == "paused"
        assert ref("pause", rcid).rc != 0
        ref("resume", rcid, check=True)
        assert ref("resume", rcid).rc != 0


def test_paused_container_is_deleted_with_force(rt, env):
    cid = unique_id()
    bundle = env.bundle()
    bundle.remove_namespace("pid")
    snap = HostSnapshot(rt)
    running(rt, bundle, cid, script="sleep 100 & sleep 100 & exec sleep 100")
    # the program forks after start has returned
    pids = wait_for(lambda: (lambda p: p if len(p) == 3 else None)(
        rt("ps", "--format", "json", cid, check=True).json()), 10,
        what="three processes")
    rt("pause", cid, check=True)
    rt.delete(cid, force=True)
    for p in pids:
        wait_pid_gone(p)
    assert all_cgroup_dirs_named(cid) == []
    snap.assert_clean(ids=[cid])


def test_run_keep_leaves_a_stopped_container_for_delete(rt, ref, env, host_dir):
    """run --keep: once the program has exited the container is still
    there, stopped, with its cgroups, as with runc; delete removes them and
    runs the poststop hooks then."""
    hook = host_dir / "poststop.sh"
    hook.write_text(f"#!/bin/sh\necho ran >> {host_dir}/poststop\n")
    hook.chmod(0o755)
    cid = unique_id()
    bundle = configure(env.bundle(), cid, script="exit 3")
    bundle.config["hooks"] = {"poststop": [{"path": str(hook)}]}
    snap = HostSnapshot(rt)
    res = rt.run(cid, bundle, "--keep")
    assert res.rc == 3, res
    assert rt.state(cid)["status"] == "stopped"
    assert cid in [c["id"] for c in rt.list_json()]
    assert all_cgroup_dirs_named(cid) != []
    assert not (host_dir / "poststop").exists()
    rt.delete(cid)
    assert (host_dir / "poststop").read_text() == "ran\n"
    assert all_cgroup_dirs_named(cid) == []
    snap.assert_clean(ids=[cid])
    if ref is not None:
        rcid = unique_id("r")
        res = ref.run(rcid, configure(env.bundle(), rcid, script="exit 3"), "--keep")
        assert res.rc == 3, res
        assert ref.state(rcid)["status"] == "stopped"
        ref.delete(rcid)


# --------------------------------------------------------------------------
# ps
# --------------------------------------------------------------------------

def test_ps_json_and_table(rt, ref, env):
    cid = unique_id()
    pid = running(rt, env.bundle(), cid,
                  script="sleep 100 & sleep 100 & wait")
    pids = wait_for(lambda: (lambda p: p if len(p) == 3 else None)(
        rt("ps", "-f", "json", cid, check=True).json()), 5,
        what="three processes")
    assert pid in pids and all(isinstance(p, int) for p in pids)
    with open(os.path.join(cg_dir(pid, "pids"), "cgroup.procs")) as f:
        assert sorted(pids) == sorted(int(x) for x in f.read().split())
    res = rt("ps", cid, check=True)
    lines = res.out.splitlines()
    assert "PID" in lines[0].split() and len(lines) == 4, res
    col = lines[0].split().index("PID")
    assert sorted(int(ln.split()[col]) for ln in lines[1:]) == sorted(pids)
    res = rt("ps", cid, "--", "-o", "pid,comm", check=True)
    lines = res.out.splitlines()
    assert lines[0].split() == ["PID", "COMMAND"]
    # the forked children are `sh` until they have exec'd sleep
    wait_for(lambda: sorted(ln.split()[1] for ln in rt(
        "ps", cid, "--", "-o", "pid,comm", check=True).out.splitlines()[1:])
        == ["sh", "sleep", "sleep"], 10, what="both sleeps exec'd")
    assert_single_line_error(rt("ps", "--format", "yaml", cid), "yaml")
    if ref is not None:
        rcid = unique_id("r")
        running(ref, env.bundle(), rcid,
                script="sleep 100 & sleep 100 & wait")
        wait_for(lambda: len(ref("ps", "-f", "json", rcid).json()) == 3, 5,
                 what="runc's three processes")
        assert len(ref("ps", rcid, check=True).out.splitlines()) == 4


# --------------------------------------------------------------------------
# update
# --------------------------------------------------------------------------

def limits(pid):
    if V2:
        return {"memory": cg_read(pid, "", "memory.max"),
                "pids": cg_read(pid, "", "pids.max"),
                "cpu": cg_read(pid, "", "cpu.weight"),
                "cpu.max": cg_read(pid, "", "cpu.max")}
    return {"memory": cg_read(pid, "memory", "memory.limit_in_bytes"),
            "pids": cg_read(pid, "pids", "pids.max"),
            "cpu": cg_read(pid, "cpu", "cpu.shares"),
            "cpu.max": cg_read(pid, "cpu", "cpu.cfs_quota_us") + " " +
            cg_read(pid, "cpu", "cpu.cfs_period_us")}


def test_update_flags_read_back_as_with_runc(rt, ref, env):
    start = {"memory": {"limit": 64 * MiB}, "pids": {"limit": 20},
             "cpu": {"shares": 256}}
    flags = ["--memory", "128m", "--pids-limit", "30", "--cpu-share", "512",
             "--cpu-quota", "20000", "--cpu-period", "100000"]
    cid = unique_id()
    pid = running(rt, env.bundle(), cid, start)
    rt("update", *flags, cid, check=True)
    got = limits(pid)
    assert got["memory"] == str(128 * MiB)
    assert got["pids"] == "30"
    assert got["cpu"] == ("20" if V2 else "512")
    assert got["cpu.max"] == "20000 100000"
    # only what is given changes
    rt("update", "--pids-limit", "-1", cid, check=True)
    after = limits(pid)
    assert after["pids"] == "max" and after["memory"] == got["memory"]
    if ref is not None:
        rcid = unique_id("r")
        rpid = running(ref, env.bundle(), rcid, start)
        ref("update", *flags, rcid, check=True)
        assert limits(rpid) == got


def test_update_swap_with_memory(rt, env):
    cid = unique_id()
    pid = running(rt, env.bundle(), cid, {"memory": {"limit": 64 * MiB}})
    res = rt("update", "--memory", "128m", "--memory-swap", "256m", cid)
    if V2:
        assert res.rc == 0, res
        if os.path.exists(os.path.join(cg_dir(pid, ""), "memory.swap.max")):
            assert cg_read(pid, "", "memory.swap.max") == str(128 * MiB)
        return
    d = cg_dir(pid, "memory")
    if not os.path.exists(os.path.join(d, "memory.memsw.limit_in_bytes")):
        assert_single_line_error(res, "memory.swap")
        return
    assert res.rc == 0, res
    assert cg_read(pid, "memory", "memory.memsw.limit_in_bytes") == \
        str(256 * MiB)
    # lowering both needs the limit first: the order is the runtime's job
    rt("update", "--memory", "32m", "--memory-swap", "48m", cid, check=True)
    assert cg_read(pid, "memory", "memory.limit_in_bytes") == str(32 * MiB)
    assert cg_read(pid, "memory", "memory.memsw.limit_in_bytes") == \
        str(48 * MiB)


def test_update_resources_from_file_and_stdin(rt, env):
    cid = unique_id()
    pid = running(rt, env.bundle(), cid,
                  {"memory": {"limit": 64 * MiB}, "pids": {"limit": 20}})
    doc = env.base / "res.json"
    doc.write_text(json.dumps({"memory": {"limit": 96 * MiB},
                               "pids": {"limit": 25},
                               "cpu": {"shares": 0, "cpus": ""}}))
    # -r replaces every other flag, as in runc
    rt("update", "-r", str(doc), "--pids-limit", "99", cid, check=True)
    got = limits(pid)
    assert got["memory"] == str(96 * MiB) and got["pids"] == "25"
    doc.write_text('{"pids": {"limit": 11}, "cpu": {"shares": 1024}}')
    with open(doc) as f:
        rt("update", "--resources", "-", cid, stdin=f, check=True)
    got = limits(pid)
    assert got["pids"] == "11" and got["cpu"] == ("39" if V2 else "1024")
    assert got["memory"] == str(96 * MiB)


# --cpu-burst and --cpu-idle are runc 1.2's: Debian's runc 1.1.5 lacks both
# flags, so these tests run on ocirt only (runc_diff).

def cpu_file(pid, v1, v2):
    """The host path of the cpu file of PID's cgroup (V1 or V2 by the
    layout), or the test is skipped when this kernel lacks it."""
    path = os.path.join(cg_dir(pid, "" if V2 else "cpu"), v2 if V2 else v1)
    if not os.path.exists(path):
        pytest.skip(f"this kernel has no {os.path.basename(path)}")
    return path


def read_file(path):
    with open(path) as f:
        return f.read().strip()


def update_by_document(rt, env, cid, resources):
    doc = env.base / "res.json"
    doc.write_text(json.dumps(resources))
    rt("update", "-r", doc, cid, check=True)


def assert_updates_refused(rt, cid, path, *cases):
    """Each (args, mention) of CASES fails with one error line naming
    mention, and the file PATH keeps its value."""
    before = read_file(path)
    for args, mention in cases:
        assert_single_line_error(rt("update", *args, cid), mention)
    assert read_file(path) == before


@runc_diff("runc 1.1 has no update --cpu-burst (runc 1.2 has)")
def test_update_cpu_burst(rt, env):
    cid = unique_id()
    pid = running(rt, env.bundle(), cid, {"cpu": {"quota": 50000, "period": 100000}})
    burst = cpu_file(pid, "cpu.cfs_burst_us", "cpu.max.burst")
    rt("update", "--cpu-burst", "20000", cid, check=True)
    assert read_file(burst) == "20000"
    # a quota below the burst in force: the burst is lowered first
    rt("update", "--cpu-quota", "10000", "--cpu-burst", "5000", cid, check=True)
    assert read_file(burst) == "5000"
    assert limits(pid)["cpu.max"] == "10000 100000"
    # other flags leave it alone; -r takes "burst" too
    rt("update", "--pids-limit", "40", cid, check=True)
    assert read_file(burst) == "5000"
    update_by_document(rt, env, cid, {"cpu": {"burst": 7000}})
    assert read_file(burst) == "7000"
    # more than the quota is the kernel's refusal
    assert_updates_refused(rt, cid, burst, (["--cpu-burst", "90000"], "cpu.burst"),
                           (["--cpu-burst", "x"], "--cpu-burst"),
                           (["--cpu-burst", "-1"], "--cpu-burst"))


@runc_diff("runc 1.1 has no update --cpu-idle (runc 1.2 has)")
def test_update_cpu_idle(rt, env):
    cid = unique_id()
    pid = running(rt, env.bundle(), cid, {"cpu": {"shares": 256}})
    idle = cpu_file(pid, "cpu.idle", "cpu.idle")
    rt("update", "--cpu-idle", "1", cid, check=True)
    assert read_file(idle) == "1"
    # an idle group takes no weight: out of idle first, then the weight
    rt("update", "--cpu-idle", "0", "--cpu-share", "512", cid, check=True)
    assert read_file(idle) == "0"
    assert limits(pid)["cpu"] == ("20" if V2 else "512")
    update_by_document(rt, env, cid, {"cpu": {"idle": 1}})
    assert read_file(idle) == "1"
    assert_updates_refused(rt, cid, idle, (["--cpu-idle", "2"], "cpu.idle"),
                           (["--cpu-idle", "x"], "--cpu-idle"))


@pytest.mark.parametrize("args,mention", [
    (["--memory", "abc"], "--memory"),
    (["--pids-limit", "x"], "--pids-limit"),
    (["--blkio-weight", "5"], "--blkio-weight"),
    (["--cpu-share", "-3"], "--cpu-share"),
])
def test_update_invalid_values_as_with_runc(rt, ref, env, args, mention):
    cid = unique_id()
    pid = running(rt, env.bundle(), cid, {"memory": {"limit": 64 * MiB}})
    before = limits(pid)
    assert_single_line_error(rt("update", *args, cid), mention)
    assert limits(pid) == before
    if ref is not None and mention != "--blkio-weight":
        rcid = unique_id("r")
        running(ref, env.bundle(), rcid)
        assert ref("update", *args, rcid).rc != 0


def test_update_bad_documents_and_states(rt, env):
    cid = unique_id()
    running(rt, env.bundle(), cid, script="sleep 60")
    doc = env.base / "bad.json"
    doc.write_text('{"memory": {"limit": "lots"}}')
    assert_single_line_error(rt("update", "-r", str(doc), cid),
                             "memory.limit")
    doc.write_text('{"unified": {"nosuch.knob": "1"}}')
    assert_single_line_error(rt("update", "-r", str(doc), cid),
                             "nosuch.knob")
    assert_single_line_error(rt("update", "-r", str(env.base / "none"),
                                cid), "none")
    rt.kill(cid, "KILL")
    rt.wait_status(cid, "stopped")
    assert_single_line_error(rt("update", "--pids-limit", "5", cid), cid)
    assert_single_line_error(rt("pause", cid), cid)
    assert_single_line_error(rt("events", "--stats", cid), cid)


# --------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------

def test_events_stats_shape_and_values_as_with_runc(rt, ref, env):
    res = {"memory": {"limit": 64 * MiB}, "pids": {"limit": 50}}
    cid = unique_id()
    pid = running(rt, env.bundle(), cid, res,
                  script="sleep 100 & sleep 100 & wait")
    wait_for(lambda: len(rt("ps", "-f", "json", cid).json()) == 3, 5,
             what="three processes")
    out = rt("events", "--stats", cid, check=True).out
    assert len(out.splitlines()) == 1
    ev = json.loads(out)
    assert ev["type"] == "stats" and ev["id"] == cid
    data = ev["data"]
    for k in ("cpu", "memory", "pids", "blkio", "hugetlb"):
        assert isinstance(data[k], dict), k
    assert set(data["cpu"]) >= {"usage", "throttling"}
    assert {"kernel", "user"} <= set(data["cpu"]["usage"])
    assert data["cpu"]["usage"]["total"] > 0
    assert set(data["memory"]) >= {"usage", "swap", "kernel", "raw"}
    assert set(data["memory"]["usage"]) >= {"limit", "usage", "failcnt"}
    assert data["memory"]["usage"]["limit"] == 64 * MiB
    assert data["memory"]["usage"]["usage"] > 0
    assert data["pids"] == {"current": int(cg_read(pid, "pids",
                                                   "pids.current")),
                            "limit": 50}
    assert data["pids"]["current"] == 3
    if not V2:
        assert len(data["cpu"]["usage"]["percpu"]) == os.cpu_count()
        assert data["cpuset"]["cpus"] == cpu_list(
            cg_read(pid, "cpuset", "cpuset.cpus"))
    if ref is None:
        return
    rcid = unique_id("r")
    running(ref, env.bundle(), rcid, res,
            script="sleep 100 & sleep 100 & wait")
    wait_for(lambda: len(ref("ps", "-f", "json", rcid).json()) == 3, 5,
             what="runc's three processes")
    rdata = json.loads(ref("events", "--stats", rcid, check=True).out)["data"]
    assert set(rdata) == set(data)
    # "cache" is only there when the page cache is not empty (omitempty in
    # runc's types, the same in ocirt's): it differs between two
    # containers, not between the runtimes
    maybe = {"memory": {"cache"}}
    for k in ("cpu", "memory", "pids"):
        assert set(rdata[k]) - maybe.get(k, set()) == set(data[k]) - maybe.get(k, set()), k
    assert data["memory"].get("cache", 1) > 0
    assert set(rdata["memory"]["usage"]) <= set(data["memory"]["usage"])
    assert rdata["pids"] == data["pids"]


def test_events_stream_until_the_container_is_gone(rt, env):
    cid = unique_id()
    running(rt, env.bundle(), cid)
    p = rt.popen("events", "--interval", "200ms", cid)
    path = p.out_path
    wait_for(lambda: len(open(path).read().splitlines()) >= 2, 10,
             what="two stats events")
    rt.kill(cid, "KILL")
    res = rt.wait(p, timeout=10)
    assert res.rc == 0, res
    lines = [json.loads(ln) for ln in res.out.splitlines()]
    assert all(ev["type"] == "stats" and ev["id"] == cid for ev in lines)
    assert_single_line_error(rt("events", "--interval", "soon", cid),
                             "soon")


def test_events_report_oom(rt, env):
    cid = unique_id()
    mem = {"limit": 16 * MiB}
    if V2 or os.path.exists(os.path.join(cg_dir(os.getpid(), "memory"),
                                         "memory.memsw.limit_in_bytes")):
        mem["swap"] = 16 * MiB
    bundle = env.bundle()
    configure(bundle, cid, {"memory": mem},
          script="tail /dev/zero; sleep 60")
    rt.create(cid, bundle)
    p = rt.popen("events", "--interval", "100ms", cid)
    # events counts OOM kills from what it reads first: start the hog only
    # once it is looping (a stats line comes after that first read)
    wait_for(lambda: '"stats"' in open(p.out_path).read(), 30,
             what="events looping")
    rt.start(cid)
    wait_for(lambda: '"oom"' in open(p.out_path).read(), 30,
             what="an oom event")
    rt.kill(cid, "KILL")
    res = rt.wait(p, timeout=10)
    assert res.rc == 0, res
    assert {"type": "oom", "id": cid} in [json.loads(ln) for ln in res.out.splitlines()]


# --------------------------------------------------------------------------
# kill --all and delete
# --------------------------------------------------------------------------

@pytest.mark.parametrize("sig", ["KILL", "TERM"])
def test_kill_all_reaches_every_process(rt, env, sig):
    cid = unique_id()
    bundle = env.bundle()
    # without a pid namespace the init's death takes nobody along
    bundle.remove_namespace("pid")
    running(rt, bundle, cid,
            script="sleep 100 & sleep 100 & sleep 100 & wait")
    pids = wait_for(lambda: (lambda p: p if len(p) == 4 else None)(
        rt("ps", "-f", "json", cid).json()), 5, what="four processes")
    rt.kill(cid, sig, all=True)
    for p in pids:
        wait_pid_gone(p)
    rt.wait_status(cid, "stopped")
    snap = HostSnapshot(rt)
    rt.delete(cid)
    snap.assert_clean(ids=[cid])
    assert all_cgroup_dirs_named(cid) == []


def test_delete_kills_what_outlived_the_init(rt, env, host_dir):
    cid = unique_id()
    bundle = env.bundle()
    bundle.remove_namespace("pid")
    bundle.bind(host_dir, "/out")
    running(rt, bundle, cid, script="sleep 100 & sleep 100 & "
            "while [ ! -e /out/go ]; do sleep 0.05; done")
    pids = wait_for(lambda: (lambda p: p if len(p) >= 3 else None)(
        rt("ps", "-f", "json", cid).json()), 5, what="three processes")
    (host_dir / "go").write_text("")
    rt.wait_status(cid, "stopped")
    left = [p for p in pids if pid_alive(p)]
    assert left, "the background sleeps should outlive the init"
    rt.delete(cid)
    for p in left:
        wait_pid_gone(p)
    assert all_cgroup_dirs_named(cid) == []


# --- the container's own view: cgroup namespace and the cgroup mount --------

def _hybrid_or_v1():
    return not os.path.exists(os.path.join(CG, "cgroup.controllers"))


@pytest.mark.parametrize("cgroupns", [True, False], ids=["cgroupns", "no-cgroupns"])
def test_container_sees_its_own_cgroup(rt, bundle, cgroupns):
    """With a cgroup namespace its cgroup is the root; the cgroup mount
    shows only the container's own hierarchy, read-only."""
    if cgroupns:
        bundle.set_namespace("cgroup")
    else:
        bundle.remove_namespace("cgroup")
    script = ("cat /proc/self/cgroup; echo ---; "
              "if [ -e /sys/fs/cgroup/cgroup.procs ]; then cat /sys/fs/cgroup/cgroup.procs; "
              "else cat /sys/fs/cgroup/pids/cgroup.procs; fi; echo ---; "
              "mkdir /sys/fs/cgroup/x 2>&1 || true; echo ---; ls /sys/fs/cgroup")
    bundle.sh(script)
    res = rt.run(unique_id(), bundle)
    assert res.rc == 0, res
    own, procs, mkdir, listing = res.out.split("---\n")
    if cgroupns:
        # every hierarchy's path is the namespace root
        for line in own.split():
            assert line.split(":", 2)[2] == "/", own
    # only the container's processes are in the cgroup it sees
    pids = [int(p) for p in procs.split()]
    assert 1 <= len(pids) <= 4, procs
    assert "Read-only file system" in mkdir, mkdir
    if _hybrid_or_v1():
        names = listing.split()
        assert "memory" in names and "pids" in names, listing
        if os.path.ismount(os.path.join(CG, "unified")):
            assert "unified" in names, listing


def test_intel_rdt_without_resctrl_is_one_clear_error(rt, bundle):
    if os.path.exists("/sys/fs/resctrl/schemata"):
        pytest.skip("the host has resctrl")
    bundle.linux["intelRdt"] = {"closID": "guaranteed", "l3CacheSchema": "L3:0=ff"}
    bundle.sh("true")
    cid = unique_id()
    snap = HostSnapshot(rt)
    res = rt.create(cid, bundle, check=False)
    assert_single_line_error(res, "intelRdt")
    snap.assert_clean(ids=[cid])


def test_features_cgroup_support_is_truthful(rt):
    feat = json.loads(rt("features", root=False).out)["linux"]["cgroup"]
    assert feat["v1"] is True and feat["v2"] is True
    assert feat["rdma"] is True
    # the systemd driver is in every build configured with libsystemd
    built = subprocess.run([rt.binary, "--version"], capture_output=True, text=True).stdout
    assert feat["systemd"] is ("+SYSTEMD" in built)
    assert feat["systemdUser"] is False


def test_exec_into_sub_cgroups_by_controller_as_with_runc(rt, ref, env):
    """v1 and hybrid: "controller[,controller]:path", repeatable, names
    the sub-cgroup in each hierarchy; the others stay the container's."""
    if not _hybrid_or_v1():
        pytest.skip("controller:path needs cgroup v1 controllers")
    for r in [rt] + ([ref] if ref else []):
        cid = unique_id()
        init = running(r, env.bundle(), cid)
        tools = [os.path.join(cg_dir(init, c), "tools") for c in ("pids", "freezer", "memory")]
        for d in tools:
            os.mkdir(d)
        res = r("exec", "--cgroup", "pids,freezer:tools", "--cgroup", "memory:/tools",
                cid, "cat", "/proc/self/cgroup")
        assert res.rc == 0, (r.name, res)
        own = {}
        for line in res.out.split():
            _, ctrls, path = line.split(":", 2)
            for c in ctrls.split(","):
                own[c] = path
        base = open(f"/proc/{init}/cgroup").read()
        assert all(own[c].endswith("/tools") for c in ("pids", "freezer", "memory")), (r.name, own)
        assert not own["cpu"].endswith("/tools") and own["cpu"] in base, (r.name, own)
        res = r("exec", "--cgroup", "tools", "--cgroup", "other", cid, "true")
        assert res.rc != 0 and "missing <controller>: prefix" in res.err, (r.name, res)
        for d in tools:
            os.rmdir(d)
        r.delete(cid, force=True)


def test_exec_into_a_sub_cgroup_on_v2(rt, bundle, env):
    if _hybrid_or_v1():
        pytest.skip("exec --cgroup needs a pure cgroup v2 host")
    bundle.sh("sleep 30")
    cid = unique_id()
    rt.create(cid, bundle)
    rt.start(cid)
    init = rt.pid(cid)
    rel = open(f"/proc/{init}/cgroup").read().strip().split("::", 1)[1]
    sub = os.path.join(CG, rel.lstrip("/"), "tools")
    os.mkdir(sub)
    res = rt("exec", "--cgroup", "tools", cid, "cat", "/proc/self/cgroup")
    assert res.rc == 0, res
    assert res.out.strip().endswith("/tools"), res.out
    res = rt("exec", "--cgroup", "../escape", cid, "true")
    assert res.rc != 0 and len(res.err_lines) == 1, res
