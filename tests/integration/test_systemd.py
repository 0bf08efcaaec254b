"""The systemd cgroup driver (``--systemd-cgroup``, ``--cgroup-manager
systemd``).

Without systemd as PID 1 (this suite's usual host) only the error is
checked: one clear line, and nothing left behind.  With systemd (the VM of
``tests/systemd/run.sh``) the container's scope is checked from the host:
the unit, its cgroup, the limits, an ``org.systemd.property.`` annotation,
and that ``delete`` leaves neither unit nor directory.
"""

import os
import shutil
import subprocess

import pytest

from conftest import (HostSnapshot, assert_single_line_error, runc_diff,
                      runtime_is_runc, unique_id, wait_for)

CG = "/sys/fs/cgroup"
MiB = 1024 * 1024
SD = ["--systemd-cgroup"]


def systemd_running():
    """systemd is PID 1 and answers (running or degraded)."""
    if shutil.which("systemctl") is None:
        return False
    try:
        p = subprocess.run(["systemctl", "is-system-running"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    state = p.stdout.decode().strip()
    return state in ("running", "degraded", "starting", "initializing")


HAVE_SYSTEMD = systemd_running()
needs_systemd = pytest.mark.skipif(not HAVE_SYSTEMD,
                                   reason="systemd as PID 1 needed")
no_systemd = pytest.mark.skipif(HAVE_SYSTEMD,
                                reason="checks the error without systemd")


def show(unit, *props):
    p = subprocess.run(["systemctl", "show", unit, "-p", ",".join(props)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, check=True)
    out = {}
    for line in p.stdout.decode().splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def unit_loaded(unit):
    return show(unit, "LoadState")["LoadState"] == "loaded"


def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            h, _, path = line.rstrip("\n").split(":", 2)
            if h == "0":
                return path
    raise AssertionError(f"no unified cgroup for {pid}")


# --------------------------------------------------------------------------
# without systemd
# --------------------------------------------------------------------------

@no_systemd
@pytest.mark.parametrize("flag", [["--systemd-cgroup"],
                                  ["--cgroup-manager", "systemd"]])
@pytest.mark.parametrize("command", ["create", "run"])
def test_no_systemd_is_a_clear_error(rt, bundle, flag, command):
    cid = unique_id()
    bundle.set_args("true")
    rt.ids.add(cid)
    bundle.write()
    snap = HostSnapshot(rt)
    res = rt(command, "--bundle", bundle.path, cid, global_args=flag)
    line = assert_single_line_error(res)
    if not runtime_is_runc:
        assert res.rc == 1, res
        assert "systemd cgroup driver: connect to the system bus" in line
    snap.assert_clean(ids=[cid])
    assert rt.state_result(cid).rc != 0


@no_systemd
def test_cgroupfs_still_default(rt, bundle):
    cid = unique_id()
    bundle.set_args("true")
    res = rt.run(cid, bundle)
    assert res.rc == 0, res


# --------------------------------------------------------------------------
# with systemd
# --------------------------------------------------------------------------

def sd_create(rt, bundle, cid, check=True):
    return rt.create(cid, bundle, check=check, global_args=SD)


@needs_systemd
def test_scope_limits_and_delete(rt, bundle):
    cid = unique_id()
    unit = f"ocirt-{cid}.scope" if not runtime_is_runc else f"runc-{cid}.scope"
    bundle.set_args("sleep", "600")
    bundle.linux["cgroupsPath"] = f"system.slice:{unit.split('-')[0]}:{cid}"
    bundle.linux["resources"] = {"memory": {"limit": 64 * MiB},
                                 "pids": {"limit": 42},
                                 "cpu": {"quota": 50000, "period": 100000}}
    bundle.config.setdefault("annotations", {})[
        "org.systemd.property.CollectMode"] = "'inactive-or-failed'"
    bundle.config["annotations"]["org.systemd.property.TimeoutStopSec"] = "7"
    sd_create(rt, bundle, cid)
    pid = rt.pid(cid)
    p = show(unit, "ControlGroup", "MemoryMax", "TasksMax", "Slice",
             "Delegate", "CollectMode", "TimeoutStopUSec", "ActiveState")
    assert p["ActiveState"] == "active", p
    assert p["Slice"] == "system.slice", p
    assert p["ControlGroup"] == f"/system.slice/{unit}", p
    assert p["MemoryMax"] == str(64 * MiB), p
    assert p["TasksMax"] == "42", p
    assert p["Delegate"] == "yes", p
    assert p["CollectMode"] == "inactive-or-failed", p
    assert p["TimeoutStopUSec"] == "7s", p
    assert cgroup_of(pid) == p["ControlGroup"]
    d = CG + p["ControlGroup"]
    with open(os.path.join(d, "memory.max")) as f:
        assert f.read().strip() == str(64 * MiB)
    with open(os.path.join(d, "pids.max")) as f:
        assert f.read().strip() == "42"
    with open(os.path.join(d, "cpu.max")) as f:
        assert f.read().split() == ["50000", "100000"]
    st = rt.state(cid)
    assert st["pid"] == pid
    rt.start(cid)
    rt.kill(cid, "KILL")
    rt.delete(cid, force=True)
    wait_for(lambda: not os.path.exists(d), timeout=20, what=f"{d} removed")
    wait_for(lambda: not unit_loaded(unit), timeout=20, what=f"{unit} gone")


@needs_systemd
def test_default_path_and_run(rt, bundle):
    """No cgroupsPath: system.slice, ocirt-<id>.scope; run cleans up."""
    if runtime_is_runc:
        pytest.skip("runc names its default differently")
    cid = unique_id()
    bundle.set_args("sh", "-c", "cat /proc/self/cgroup")
    bundle.linux.pop("cgroupsPath", None)
    # the host's view of the path, not the cgroup namespace's "/"
    bundle.remove_namespace("cgroup")
    rt._prepare(cid, bundle)
    res = rt("run", "--bundle", bundle.path, cid, global_args=SD)
    assert res.rc == 0, res
    assert f"/system.slice/ocirt-{cid}.scope" in res.out
    unit = f"ocirt-{cid}.scope"
    wait_for(lambda: not unit_loaded(unit), timeout=20, what=f"{unit} gone")
    assert not os.path.exists(f"{CG}/system.slice/{unit}")


@needs_systemd
def test_stopped_container_delete(rt, bundle):
    """The scope ends with its last process; delete still succeeds."""
    cid = unique_id()
    bundle.set_args("true")
    bundle.linux["cgroupsPath"] = f":ocirt:{cid}"
    sd_create(rt, bundle, cid)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    rt.delete(cid)
    unit = f"ocirt-{cid}.scope"
    wait_for(lambda: not unit_loaded(unit), timeout=20, what=f"{unit} gone")
    assert not os.path.exists(f"{CG}/system.slice/{unit}")


@needs_systemd
@pytest.mark.parametrize("path", [
    "/not/systemd", "a:b", "nota-slice:ocirt:x",
    pytest.param("system.slice:ocirt:",
                 marks=runc_diff("takes an empty unit name"))])
def test_bad_cgroups_path(rt, bundle, path):
    cid = unique_id()
    bundle.set_args("true")
    bundle.linux["cgroupsPath"] = path
    bundle.write()
    rt.ids.add(cid)
    snap = HostSnapshot(rt)
    res = rt("create", "--bundle", bundle.path, cid, global_args=SD)
    assert_single_line_error(res)
    if not runtime_is_runc:
        assert "linux.cgroupsPath" in res.err, res
    snap.assert_clean(ids=[cid])


@needs_systemd
@runc_diff("prints a warning line besides the error")
def test_bad_annotation_leaves_nothing(rt, bundle):
    cid = unique_id()
    bundle.set_args("true")
    bundle.linux["cgroupsPath"] = f"system.slice:ocirt:{cid}"
    bundle.config.setdefault("annotations", {})[
        "org.systemd.property.NoSuchProperty"] = "1"
    bundle.write()
    rt.ids.add(cid)
    snap = HostSnapshot(rt)
    res = rt("create", "--bundle", bundle.path, cid, global_args=SD)
    assert_single_line_error(res)
    snap.assert_clean(ids=[cid])
    unit = f"ocirt-{cid}.scope"
    wait_for(lambda: not unit_loaded(unit), timeout=20, what=f"{unit} gone")
