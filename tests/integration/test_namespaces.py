"""Namespaces, checked from the host through /proc/<pid>/ns."""

import os
import subprocess

import pytest

from lib.host import HostSnapshot, read_mountinfo
from lib.runtime import create_refused, create_running, created, run_output, runc_diff, unique_id

# OCI namespace type -> /proc/PID/ns entry
NS_FILES = {
    "pid": "pid",
    "network": "net",
    "ipc": "ipc",
    "uts": "uts",
    "mount": "mnt",
    "cgroup": "cgroup",
}


def test_requested_namespaces_are_new(rt, bundle):
    cid, pid = created(rt, bundle.sh("sleep 30"))
    for oci, f in NS_FILES.items():
        assert os.stat(f"/proc/{pid}/ns/{f}").st_ino != \
            os.stat(f"/proc/self/ns/{f}").st_ino, f"{oci} not unshared"
    # no user namespace was requested
    assert os.stat(f"/proc/{pid}/ns/user").st_ino == \
        os.stat("/proc/self/ns/user").st_ino


def test_pid_namespace_program_is_pid_1(rt, bundle):
    res = run_output(rt, bundle, "echo $$; ls /proc | grep -c '^[0-9]'")
    assert res.rc == 0, res
    lines = res.out.split()
    assert lines[0] == "1"
    # only sh and the ls/grep pipeline are visible
    assert int(lines[1]) <= 4


def test_join_network_namespace_by_path(rt, bundle, env):
    a, apid = create_running(rt, bundle)
    b_bundle = env.bundle()
    b_bundle.set_namespace("network", f"/proc/{apid}/ns/net")
    b, bpid = created(rt, b_bundle.sh("sleep 30"))
    assert os.stat(f"/proc/{bpid}/ns/net").st_ino == \
        os.stat(f"/proc/{apid}/ns/net").st_ino
    assert os.stat(f"/proc/{bpid}/ns/net").st_ino != \
        os.stat("/proc/self/ns/net").st_ino
    # the other namespaces are still private to b
    for f in ("ipc", "uts", "mnt", "pid"):
        assert os.stat(f"/proc/{bpid}/ns/{f}").st_ino != \
            os.stat(f"/proc/{apid}/ns/{f}").st_ino


@pytest.mark.parametrize("ns", ["ipc", "uts"])
def test_join_other_namespaces_by_path(rt, bundle, env, ns):
    a, apid = create_running(rt, bundle)
    b_bundle = env.bundle()
    b_bundle.set_namespace(ns, f"/proc/{apid}/ns/{NS_FILES[ns]}")
    b, bpid = created(rt, b_bundle.sh("sleep 30"))
    f = NS_FILES[ns]
    assert os.stat(f"/proc/{bpid}/ns/{f}").st_ino == \
        os.stat(f"/proc/{apid}/ns/{f}").st_ino


def test_joined_uts_namespace_sees_hostname(rt, bundle, env):
    bundle.config["hostname"] = "first"
    a, apid = create_running(rt, bundle)
    b_bundle = env.bundle()
    b_bundle.set_namespace("uts", f"/proc/{apid}/ns/uts")
    del b_bundle.config["hostname"]
    res = run_output(rt, b_bundle, "hostname")
    assert res.rc == 0, res
    assert res.out.strip() == "first"


def test_user_namespace_mappings(rt, bundle):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = [
        {"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.linux["gidMappings"] = [
        {"containerID": 0, "hostID": 200000, "size": 65536}]
    cid, pid = created(rt, bundle.sh("sleep 30"))
    assert os.stat(f"/proc/{pid}/ns/user").st_ino != \
        os.stat("/proc/self/ns/user").st_ino
    uid_map = open(f"/proc/{pid}/uid_map").read().split()
    gid_map = open(f"/proc/{pid}/gid_map").read().split()
    assert uid_map == ["0", "100000", "65536"]
    assert gid_map == ["0", "200000", "65536"]
    rt.start(cid)
    rt.wait_status(cid, "running")
    status = open(f"/proc/{pid}/status").read()
    uid_line = [ln for ln in status.splitlines() if ln.startswith("Uid:")][0]
    gid_line = [ln for ln in status.splitlines() if ln.startswith("Gid:")][0]
    assert uid_line.split()[1:] == ["100000"] * 4
    assert gid_line.split()[1:] == ["200000"] * 4


def test_user_namespace_inside_view(rt, bundle):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = [
        {"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.linux["gidMappings"] = [
        {"containerID": 0, "hostID": 100000, "size": 65536}]
    res = run_output(rt, bundle, "id -u; id -g; cat /proc/self/uid_map")
    assert res.rc == 0, res
    out = res.out.split()
    assert out[:2] == ["0", "0"]
    assert out[2:5] == ["0", "100000", "65536"]


def _timens_supported():
    return os.path.exists("/proc/self/ns/time")


@pytest.mark.skipif(not _timens_supported(), reason="no time namespace")
@runc_diff("runc 1.1 has no time namespace support")
def test_time_namespace_offsets(rt, bundle):
    bundle.set_namespace("time")
    bundle.linux["timeOffsets"] = {
        "monotonic": {"secs": 86400, "nanosecs": 0},
        "boottime": {"secs": 172800, "nanosecs": 0},
    }
    cid, pid = created(rt, bundle.sh("sleep 30"))
    rt.start(cid)
    rt.wait_status(cid, "running")
    assert os.stat(f"/proc/{pid}/ns/time").st_ino != \
        os.stat("/proc/self/ns/time").st_ino
    offsets = {}
    for line in open(f"/proc/{pid}/timens_offsets"):
        name, secs, nsecs = line.split()
        offsets[name] = (int(secs), int(nsecs))
    assert offsets["monotonic"] == (86400, 0)
    assert offsets["boottime"] == (172800, 0)


@pytest.mark.skipif(not _timens_supported(), reason="no time namespace")
@runc_diff("runc 1.1 has no time namespace support")
def test_time_namespace_boottime_visible_inside(rt, bundle):
    _ten_days_of_boottime(bundle)
    res = run_output(rt, bundle, "cat /proc/uptime")
    _assert_ten_days_ahead(res)


def _ten_days_of_boottime(bundle):
    bundle.set_namespace("time")
    bundle.linux["timeOffsets"] = {"boottime": {"secs": 10 * 86400,
                                                "nanosecs": 0}}


def _assert_ten_days_ahead(uptime_result):
    assert uptime_result.rc == 0, uptime_result
    host_uptime = float(open("/proc/uptime").read().split()[0])
    inside = float(uptime_result.out.split()[0])
    assert inside - host_uptime > 10 * 86400 - 60


@pytest.mark.skipif(not _timens_supported(), reason="no time namespace")
@runc_diff("runc 1.1 has no time namespace support")
def test_time_namespace_without_offsets_is_still_created(rt, bundle):
    # unshare makes a time namespace for children only; some kernels (6.1)
    # never move the execing process into it.
    bundle.set_namespace("time")
    res = run_output(rt, bundle, "readlink /proc/self/ns/time")
    assert res.rc == 0, res
    assert res.out.strip() != os.readlink("/proc/self/ns/time")


@pytest.mark.skipif(not _timens_supported(), reason="no time namespace")
@runc_diff("runc 1.1 has no time namespace support")
def test_exec_joins_the_time_namespace_with_its_offsets(rt, bundle):
    _ten_days_of_boottime(bundle)
    cid, pid = created(rt, bundle.sh("sleep 30"))
    rt.start(cid)
    _assert_ten_days_ahead(rt("exec", cid, "cat", "/proc/uptime"))
    res = rt("exec", cid, "readlink", "/proc/self/ns/time")
    assert res.out.strip() == os.readlink(f"/proc/{pid}/ns/time")


def _expect_clean_failure(rt, bundle, cid):
    snap = HostSnapshot(rt)
    res = rt.create(cid, bundle, check=False)
    assert res.rc != 0, res
    assert res.err_lines
    snap.assert_clean(ids=[cid])
    return res


def test_namespace_path_regular_file_fails(rt, bundle, env):
    f = env.base / "not-a-namespace"
    f.write_text("x")
    bundle.set_namespace("network", f)
    _expect_clean_failure(rt, bundle.sh("sleep 30"), unique_id())


def test_namespace_path_missing_fails(rt, bundle, env):
    bundle.set_namespace("network", env.base / "no-such-file")
    _expect_clean_failure(rt, bundle.sh("sleep 30"), unique_id())


def test_namespace_path_of_wrong_type_fails(rt, bundle, env):
    a, apid = create_running(rt, env.bundle())
    bundle.set_namespace("network", f"/proc/{apid}/ns/ipc")
    _expect_clean_failure(rt, bundle.sh("sleep 30"), unique_id())


def test_duplicate_namespace_type_fails(rt, bundle):
    bundle.linux["namespaces"].append({"type": "network"})
    _expect_clean_failure(rt, bundle.sh("sleep 30"), unique_id())


def test_unknown_namespace_type_fails(rt, bundle):
    bundle.linux["namespaces"].append({"type": "bogus"})
    _expect_clean_failure(rt, bundle.sh("sleep 30"), unique_id())


def test_uts_without_namespace_hostname_fails(rt, bundle):
    # setting a hostname requires a private UTS namespace
    bundle.remove_namespace("uts")
    bundle.config["hostname"] = "nope"
    _expect_clean_failure(rt, bundle.sh("sleep 30"), unique_id())


@pytest.mark.parametrize("given, missing", [((), "uid"), (("uidMappings",), "gid"),
                                            (("gidMappings",), "uid")])
def test_user_namespace_without_mappings_is_refused_as_runc(rt, ref, env, given, missing):
    """A new user namespace lacking a map is refused at create with runc's
    words, before anything is built."""
    for r in [rt] + ([ref] if ref else []):
        b = env.bundle().sh("sleep 30")
        b.set_namespace("user")
        for key in given:
            b.linux[key] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        create_refused(r, b, f"no {missing} mappings found")


def test_joined_user_namespace_makes_the_process_its_root(rt, bundle, env):
    """setns into a user namespace keeps the caller's ids, which the
    namespace may not map: the container process must become its root."""
    maps = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = maps
    bundle.linux["gidMappings"] = maps
    a, apid = create_running(rt, bundle)
    b_bundle = env.bundle()
    # the pid namespace of the owner too: a new one would belong to the host
    for ns, f in (("user", "user"), ("pid", "pid")):
        b_bundle.set_namespace(ns, f"/proc/{apid}/ns/{f}")
    res = run_output(rt, b_bundle, "id -u; id -g")
    assert res.rc == 0, res
    assert res.out.split() == ["0", "0"], res


@pytest.mark.parametrize("mode", ["create", "run"])
def test_joined_user_namespace_with_a_new_pid_namespace(rt, bundle, env, mode):
    """A pid namespace made for a container that joins a user namespace
    belongs to that user namespace, so that /proc can be mounted in it."""
    maps = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = maps
    bundle.linux["gidMappings"] = maps
    a, apid = create_running(rt, bundle)
    b_bundle = env.bundle()
    b_bundle.set_namespace("user", f"/proc/{apid}/ns/user")
    if mode == "run":
        res = run_output(rt, b_bundle, "echo pid=$$; id -u; exit 7")
        assert res.rc == 7, res
        assert res.out.split() == ["pid=1", "0"], res
        return
    b, bpid = created(rt, b_bundle.sh("sleep 30"))
    assert os.stat(f"/proc/{bpid}/ns/user").st_ino == os.stat(f"/proc/{apid}/ns/user").st_ino
    assert os.stat(f"/proc/{bpid}/ns/pid").st_ino not in (
        os.stat(f"/proc/{apid}/ns/pid").st_ino, os.stat("/proc/self/ns/pid").st_ino)
    # the state's pid is the container's init, pid 1 of its namespace
    nspid = [ln for ln in open(f"/proc/{bpid}/status") if ln.startswith("NSpid:")][0]
    assert nspid.split()[-1] == "1", nspid
    rt.start(b)
    rt.wait_status(b, "running")
    res = rt("exec", b, "sh", "-c", "echo $$; id -u")
    assert res.rc == 0 and res.out.split()[1] == "0", res
    rt.kill(b, "KILL")
    rt.wait_status(b, "stopped")
    rt.delete(b)


# --------------------------------------------------------------------------
# namespaces left out of the config are the runtime's (config-linux.md)
# --------------------------------------------------------------------------

ALL_NS_FILES = dict(NS_FILES, user="user")


def _shared_with_runtime(pid):
    return {f for f in ALL_NS_FILES.values()
            if os.stat(f"/proc/{pid}/ns/{f}").st_ino ==
            os.stat(f"/proc/self/ns/{f}").st_ino}


def _host_root_shared():
    root = [m for m in read_mountinfo() if m["mountpoint"] == "/"][-1]
    return any(o.startswith("shared:") for o in root["optional"])


def _unmount_below(path):
    """runc mounts into the host's namespace and leaves the mounts there."""
    path = str(path)
    for m in reversed(read_mountinfo()):
        if m["mountpoint"] == path or m["mountpoint"].startswith(path + "/"):
            subprocess.run(["umount", "-l", m["mountpoint"]],
                           stderr=subprocess.DEVNULL)


def _without(bundle, omit):
    bundle.remove_namespace(omit)
    if omit == "uts":
        del bundle.config["hostname"]
    if omit == "mount":
        # both runtimes refuse masks without a mount namespace (below)
        del bundle.linux["maskedPaths"]
        del bundle.linux["readonlyPaths"]
    return bundle


@pytest.mark.parametrize("omit", sorted(ALL_NS_FILES))
def test_unlisted_namespace_is_the_runtimes_as_with_runc(rt, ref, env, omit):
    """Each namespace type left out is inherited from the runtime, the
    others are new; the process runs in its rootfs either way."""
    runtimes = [rt]
    # runc makes the host's "/" rslave when there is no mount namespace
    if ref and not (omit == "mount" and _host_root_shared()):
        runtimes.append(ref)
    for r in runtimes:
        b = _without(env.bundle(), omit)
        try:
            cid, pid = created(r, b.sh("sleep 30"))
            assert _shared_with_runtime(pid) == {ALL_NS_FILES[omit], "user"}, \
                r.name
            inside = os.stat(f"/proc/{pid}/root/bin/busybox")
            assert inside.st_ino == os.stat(b.rootfs / "bin/busybox").st_ino
            assert os.path.exists(f"/proc/{pid}/root/proc/uptime"), \
                f"{r.name}: no /proc mounted in the container"
            r.delete(cid, force=True)
        finally:
            _unmount_below(b.rootfs)


@runc_diff("runc 1.1 mounts in the host's namespace and leaves it there")
def test_no_mount_namespace_leaves_the_host_mounts_alone(rt, bundle):
    _without(bundle, "mount")
    # the detached copy is made read-only by mount_setattr (Linux 5.12)
    ro = tuple(map(int, os.uname().release.split(".")[:2])) >= (5, 12)
    bundle.config["root"]["readonly"] = ro
    bundle.process["cwd"] = "/made/here"
    snap = HostSnapshot(rt)
    before = [m["line"] for m in read_mountinfo()]
    try:
        res = run_output(rt, bundle, "pwd; touch /x || echo read-only; "
                         "ls /dev/pts")
        assert res.rc == 0, res
        assert res.out.split() == ["/made/here"] + \
            (["read-only"] if ro else []) + ["ptmx"], res
        assert [m["line"] for m in read_mountinfo()] == before
        snap.assert_clean()
    finally:
        _unmount_below(bundle.rootfs)


def test_no_mount_namespace_refuses_masks_as_runc(rt, ref, env):
    for r in [rt] + ([ref] if ref else []):
        b = env.bundle()
        b.remove_namespace("mount")
        del b.linux["readonlyPaths"]
        _expect_clean_failure(r, b.sh("sleep 30"), unique_id())


def test_new_network_namespace_has_loopback_up(rt, ref, env):
    """As runc and crun: 127.0.0.1 works in a network namespace of the
    container's own, with nothing else set up."""
    # the listener may start late on a loaded machine: the client waits
    # until it listens (port 4711 is 0x1267, 0A is LISTEN) and tries again,
    # and the reader waits for what came; the listener's stdin never ends
    # (a background job's is /dev/null, and busybox nc may close the
    # connection at its end before it read what came)
    script = ("cat /sys/class/net/lo/flags; "
              "sleep 1000000 | nc -l -p 4711 > /tmp/got & "
              "for i in $(seq 300); do cat /proc/net/tcp /proc/net/tcp6 | grep ':1267 ' | "
              "grep -q ' 0A ' && break; sleep 0.1; done; "
              "for i in $(seq 100); do echo hello | nc -w 2 127.0.0.1 4711 && break; sleep 0.1; done; "
              "for i in $(seq 300); do [ -s /tmp/got ] && break; sleep 0.1; done; cat /tmp/got")
    for r in [rt] + ([ref] if ref else []):
        b = env.bundle()
        res = run_output(r, b, script, timeout=120)
        assert res.rc == 0, (r.name, res)
        assert len(res.out.split()) == 2, (r.name, res)
        flags, got = res.out.split()
        assert int(flags, 16) & 0x1, (r.name, res.out)  # IFF_UP
        assert got == "hello", (r.name, res.out)
