"""The systemd cgroup driver (``--systemd-cgroup``, ``--cgroup-manager
systemd``).

Without systemd as PID 1 (this suite's usual host) only the error is
checked: one clear line, and nothing left behind, with no bus and with a
bus that systemd is not on.  With systemd (the VM of
``tests/systemd/run.sh``) the container's scope is checked from the host:
the unit, its cgroup, the limits, an ``org.systemd.property.`` annotation,
device rules, ``update`` across a daemon-reload, and that ``delete``
leaves neither unit nor directory.
"""

import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from lib.host import HostSnapshot
from lib.systemd import CG, V2, cgroup_of, show, systemd_running, tracked, unit_loaded
from lib.runtime import assert_single_line_error, runc_diff, runtime_is_runc, unique_id
from lib.waiting import wait_for

MiB = 1024 * 1024
SD = ["--systemd-cgroup"]


HAVE_SYSTEMD = systemd_running()
needs_systemd = pytest.mark.skipif(not HAVE_SYSTEMD,
                                   reason="systemd as PID 1 needed")
no_systemd = pytest.mark.skipif(HAVE_SYSTEMD,
                                reason="checks the error without systemd")


def show_all(unit, prop):
    """Every value of PROP (DeviceAllow has one line per entry)."""
    p = subprocess.run(["systemctl", "show", unit, "-p", prop],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, check=True)
    return [line.partition("=")[2] for line in p.stdout.decode().splitlines()
            if line.startswith(prop + "=") and line != prop + "="]


def read_cg(d, name):
    with open(os.path.join(d, name)) as f:
        return f.read().strip()


def limit(cgpath, name):
    """The limit in the v2 file NAME of cgroup CGPATH, in v2's form; on v1
    and hybrid hosts read from the v1 files of the same meaning (for
    cpu.weight, v1's cpu.shares as it is)."""
    if V2:
        return read_cg(CG + cgpath, name)
    ctrl = name.split(".")[0]
    d = os.path.realpath(os.path.join(CG, ctrl)) + cgpath
    if name == "cpu.max":
        quota = read_cg(d, "cpu.cfs_quota_us")
        return ("max" if quota == "-1" else quota) + " " + \
            read_cg(d, "cpu.cfs_period_us")
    v1 = {"memory.max": "memory.limit_in_bytes", "pids.max": "pids.max",
          "cpu.weight": "cpu.shares"}[name]
    return read_cg(d, v1)


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


BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def bus_without_systemd():
    """A private message bus with no service files: nobody owns (or can
    start) org.freedesktop.systemd1 there.  Yields its address."""
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed (Debian dbus-daemon)")
    d = tempfile.mkdtemp(prefix="ocirt-bus-")
    path = os.path.join(d, "bus")
    conf = os.path.join(d, "bus.conf")
    with open(conf, "w") as f:
        f.write(BUS_CONFIG.format(path=path))
    p = subprocess.Popen(["dbus-daemon", "--nofork", "--config-file", conf],
                         stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(path), timeout=20,
                 what="the private bus listening")
        yield f"unix:path={path}"
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        shutil.rmtree(d)


@pytest.mark.parametrize("command", ["create", "run"])
def test_bus_without_systemd_is_a_clear_error(rt, bundle, bus_without_systemd,
                                              command):
    """A bus answers but systemd is not on it (a dbus-daemon on a host
    whose PID 1 is not systemd): one line, before anything is made."""
    cid = unique_id()
    bundle.set_args("true")
    rt.ids.add(cid)
    bundle.write()
    snap = HostSnapshot(rt)
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_without_systemd)
    res = rt(command, "--bundle", bundle.path, cid, global_args=SD, env=env)
    line = assert_single_line_error(res)
    if not runtime_is_runc:
        assert res.rc == 1, res
        assert "systemd cgroup driver: systemd is not reachable on the " \
            "system bus: " in line, line
        assert "org.freedesktop.systemd1" in line, line
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
    d = tracked(p["ControlGroup"])
    assert limit(p["ControlGroup"], "memory.max") == str(64 * MiB)
    assert limit(p["ControlGroup"], "pids.max") == "42"
    assert limit(p["ControlGroup"], "cpu.max") == "50000 100000"
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
    assert not os.path.exists(tracked(f"/system.slice/{unit}"))


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
    assert not os.path.exists(tracked(f"/system.slice/{unit}"))


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



@needs_systemd
@runc_diff("runc 1.1 creates the container in the existing unit")
def test_existing_unit_is_left_alone(rt, bundle):
    """A unit of the container's name exists (not ours): the create fails
    in one line and the unit, with its process, is left running."""
    cid = unique_id()
    unit = f"ocirt-{cid}.scope"
    other = subprocess.Popen(["systemd-run", "--quiet", "--scope",
                              f"--unit={unit}", "sleep", "600"],
                             stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: show(unit, "ActiveState")["ActiveState"] == "active",
                 timeout=30, what=f"{unit} started by systemd-run")
        cgroup = show(unit, "ControlGroup")["ControlGroup"]
        bundle.set_args("true")
        bundle.linux["cgroupsPath"] = f"system.slice:ocirt:{cid}"
        bundle.write()
        rt.ids.add(cid)
        snap = HostSnapshot(rt)
        res = rt("create", "--bundle", bundle.path, cid, global_args=SD)
        line = assert_single_line_error(res)
        if not runtime_is_runc:
            assert f"start unit `{unit}`: a unit of that name exists " \
                "already" in line, line
        snap.assert_clean(ids=[cid])
        assert show(unit, "ActiveState")["ActiveState"] == "active"
        assert show(unit, "ControlGroup")["ControlGroup"] == cgroup
        assert other.poll() is None
        assert cgroup_of(other.pid) == cgroup
    finally:
        other.kill()
        other.wait(timeout=20)
        # On v1 systemd learns that a scope is empty from its release
        # agent, which it does not set up everywhere (not in a container):
        # stop the unit this test made.
        subprocess.run(["systemctl", "stop", unit], timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: not unit_loaded(unit), timeout=20, what=f"{unit} gone")

# --------------------------------------------------------------------------
# the cgroupfs driver started from a unit
# --------------------------------------------------------------------------

def in_unit(kind, unit):
    """A prefix that runs a command in a new transient unit: a service
    (as a daemon would run the runtime) or a scope (as a login session's
    shell would)."""
    if kind == "scope":
        return ["systemd-run", "--quiet", "--scope", f"--unit={unit}", "--"]
    # On v1 and hybrid the container stays in the service's cgroup of the
    # hierarchy systemd tracks, and would be killed with it: a daemon that
    # starts containers keeps them as containerd.service does.
    keep = [] if V2 else ["-p", "KillMode=process"]
    return ["systemd-run", "--quiet", "--wait", "--pipe", "--collect",
            *keep, f"--unit={unit}", "--"]


def memory_cgroup(pid):
    """PID's memory cgroup on the host and the file of its limit."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if V2 and ctrls == "":
                return CG + path, "memory.max"
            if "memory" in ctrls.split(","):
                return f"{CG}/{ctrls}{path}", "memory.limit_in_bytes"
    raise AssertionError(f"no memory cgroup for {pid}")


@needs_systemd
@pytest.mark.parametrize("kind", ["service", "scope"])
def test_cgroupfs_from_a_unit_as_with_runc(rt, ref, env, kind):
    """The cgroupfs driver (no --systemd-cgroup) run from inside a unit,
    with a memory limit and no cgroupsPath: the container lands where runc
    puts it, with its limit.  On pure v2 that is the unit's slice: the
    unit holds processes, so it can enable no controller for a child."""
    placed = {}
    runtimes = [(rt, unique_id())] + ([(ref, unique_id("r"))] if ref else [])
    for r, cid in runtimes:
        unit = unique_id("caller") + "." + kind
        bundle = env.bundle()
        bundle.sh("sleep 60")
        bundle.linux["resources"]["memory"] = {"limit": 64 * MiB}
        r.create(cid, bundle, prefix=in_unit(kind, unit), timeout=90)
        d, limit = memory_cgroup(r.pid(cid))
        assert read_cg(d, limit) == str(64 * MiB), (r.name, d)
        if V2:
            assert d == f"{CG}/system.slice/{cid}", (r.name, d)
        placed[r] = d.replace(cid, "ID").replace(unit, "UNIT")
        r.delete(cid, force=True)
        assert not os.path.exists(d), (r.name, d)
    if ref:
        assert placed[rt] == placed[ref], placed


# --------------------------------------------------------------------------
# device rules
# --------------------------------------------------------------------------

# Each line of /probe.log: NAME ok, or NAME and the shell's error.  Nodes
# are made with CAP_MKNOD ("c *:* m" and "b *:* m" are in every rule set);
# 42, 43 and the disk 8:0 have no driver here: past the device rules an
# open fails with ENXIO, never EPERM.
PROBE = """
try() { name=$1; shift; if out=$( ("$@") 2>&1 ); then echo "$name ok"; \
else echo "$name ${out##*: }"; fi; }
{
mknod /dev/kmsg c 1 11
mknod /dev/c42 c 42 0
mknod /dev/c43 c 43 7
mknod /dev/b8 b 8 0
try null sh -c 'echo x > /dev/null'
try kmsg-w sh -c 'echo ocirt-systemd-test > /dev/kmsg'
try c42-r sh -c 'exec 3< /dev/c42'
try c43-r sh -c 'exec 3< /dev/c43'
try c43-w sh -c 'exec 3> /dev/c43'
try b8-r sh -c 'exec 3< /dev/b8'
} > /probe.tmp 2>&1
mv /probe.tmp /probe.log
exec sleep 600
"""
EPERM = "Operation not permitted"
DENY_ALL = {"allow": False, "access": "rwm"}


def device_probe(rt, bundle, rules):
    """Start a container of the systemd driver with RULES as
    linux.resources.devices; returns its id, unit and what PROBE saw."""
    cid = unique_id()
    bundle.sh(PROBE)
    caps = bundle.process["capabilities"]
    for key in ("bounding", "effective", "permitted"):
        if "CAP_MKNOD" not in caps[key]:
            caps[key].append("CAP_MKNOD")
    bundle.linux["cgroupsPath"] = f"system.slice:ocirt:{cid}"
    bundle.linux["resources"]["devices"] = rules
    sd_create(rt, bundle, cid)
    rt.start(cid)
    log = os.path.join(bundle.path, bundle.config["root"]["path"], "probe.log")
    wait_for(lambda: os.path.exists(log), timeout=60, what="the device probe")
    with open(log) as f:
        out = dict(line.split(" ", 1) for line in f.read().splitlines() if line)
    return cid, f"ocirt-{cid}.scope", out


@needs_systemd
def test_device_rules_strict(rt, bundle):
    """Deny-all first: DevicePolicy=strict and one DeviceAllow entry per
    allowed rule, in systemd's syntax; what is not allowed cannot be
    opened, and an access not granted is refused."""
    cid, unit, out = device_probe(rt, bundle, [
        DENY_ALL,
        {"allow": True, "type": "c", "major": 43, "access": "w"},
        {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"},
        {"allow": True, "type": "b", "major": 8, "minor": 0, "access": "r"},
    ])
    assert out["null"] == "ok", out
    assert out["kmsg-w"] == "ok", out
    assert out["c42-r"] == EPERM, out
    assert out["c43-r"] == EPERM, out
    assert out["c43-w"] not in ("ok", EPERM), out
    assert out["b8-r"] not in ("ok", EPERM), out
    assert show(unit, "DevicePolicy")["DevicePolicy"] == "strict"
    allow = show_all(unit, "DeviceAllow")
    for entry in ["char-* m", "block-* m", "/dev/char/1:3 rwm",
                  "/dev/char/1:5 rwm", "/dev/char/1:11 w", "/dev/block/8:0 r"]:
        assert entry in allow, (entry, allow)
    # A wildcard minor by number (runc 1.1 names the group of
    # /proc/devices instead, and has none for 43).
    if not runtime_is_runc:
        assert "char-136 rwm" in allow, allow
        assert "char-43 w" in allow, allow
    assert not any(e.startswith("/dev/char/42:") for e in allow), allow
    rt.kill(cid, "KILL")


DENY_LIST = [
    {"allow": True, "access": "rwm"},
    {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "w"},
    {"allow": False, "type": "c", "major": 43, "minor": 7, "access": "w"},
]


@needs_systemd
@runc_diff("runc 1.1 tells systemd DevicePolicy=strict for a deny list")
def test_device_deny_list_uses_own_program(rt, bundle):
    """Rules that allow by default: systemd is told "auto" with no
    entries (it has no deny lists), and the runtime's own rules (a program
    attached to the scope too on v2, devices.deny on v1) deny what the
    rules deny."""
    cid, unit, out = device_probe(rt, bundle, DENY_LIST)
    assert out["null"] == "ok", out
    assert out["kmsg-w"] == EPERM, out
    assert out["c43-w"] == EPERM, out
    assert out["c43-r"] not in ("ok", EPERM), out
    assert out["c42-r"] not in ("ok", EPERM), out
    assert show(unit, "DevicePolicy")["DevicePolicy"] == "auto"
    assert show_all(unit, "DeviceAllow") == []
    rt.kill(cid, "KILL")


@needs_systemd
@pytest.mark.skipif(not V2, reason="on v1 systemd writes `a *:* rwm` to "
                    "devices.allow of an `auto` unit at a daemon-reload; "
                    "it has no deny rules (see docs/cgroups.md)")
@runc_diff("runc 1.1 tells systemd DevicePolicy=strict for a deny list")
def test_device_deny_list_survives_daemon_reload(rt, bundle):
    """systemd puts back only its own program at a daemon-reload: the
    runtime's, with the denials, stays."""
    cid, unit, out = device_probe(rt, bundle, DENY_LIST)
    assert out["kmsg-w"] == EPERM, out
    subprocess.run(["systemctl", "daemon-reload"], check=True, timeout=120)
    res = rt("exec", cid, "sh", "-c", "echo x > /dev/kmsg")
    assert res.rc != 0 and EPERM in res.err, res
    res = rt("exec", cid, "sh", "-c", "echo x > /dev/null")
    assert res.rc == 0, res
    rt.kill(cid, "KILL")


# --------------------------------------------------------------------------
# update
# --------------------------------------------------------------------------

@needs_systemd
def test_update_survives_daemon_reload(rt, bundle):
    """update sets the unit's properties as well as the files: a
    daemon-reload, which makes systemd write its values again, keeps the
    new limits."""
    cid = unique_id()
    unit = f"ocirt-{cid}.scope" if not runtime_is_runc else f"runc-{cid}.scope"
    bundle.set_args("sleep", "600")
    bundle.linux["cgroupsPath"] = f"system.slice:{unit.split('-')[0]}:{cid}"
    bundle.linux["resources"].update({
        "memory": {"limit": 64 * MiB}, "pids": {"limit": 42},
        "cpu": {"quota": 50000, "period": 100000, "shares": 1024}})
    sd_create(rt, bundle, cid)
    cgpath = show(unit, "ControlGroup")["ControlGroup"]
    res = rt("update", "--memory", "128m", "--pids-limit", "50",
             "--cpu-quota", "30000", "--cpu-share", "2048", cid)
    assert res.rc == 0, res
    want = {"memory.max": str(128 * MiB), "pids.max": "50",
            "cpu.max": "30000 100000", "cpu.weight": "79" if V2 else "2048"}
    assert {k: limit(cgpath, k) for k in want} == want
    cpu = ("CPUWeight", "79") if V2 else ("CPUShares", "2048")
    p = show(unit, "MemoryMax", "TasksMax", "CPUQuotaPerSecUSec", cpu[0])
    assert p == {"MemoryMax": str(128 * MiB), "TasksMax": "50",
                 "CPUQuotaPerSecUSec": "300ms", cpu[0]: cpu[1]}, p
    subprocess.run(["systemctl", "daemon-reload"], check=True, timeout=120)
    assert {k: limit(cgpath, k) for k in want} == want
    # A period alone keeps the quota: 30000 of 200000 is 15 %.
    res = rt("update", "--cpu-period", "200000", cid)
    assert res.rc == 0, res
    subprocess.run(["systemctl", "daemon-reload"], check=True, timeout=120)
    assert limit(cgpath, "cpu.max") == "30000 200000"
    rt.kill(cid, "KILL")
