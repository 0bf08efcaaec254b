"""config-linux.md: filesystems, namespaces, devices, cgroups, sysctl,
seccomp, propagation, masked and readonly paths, personality.

``linux_probe`` is one container per runtime with devices, sysctls,
masked and readonly paths and a personality set; ``res_ctr`` one with the
cgroup resources; ``ns_pair`` an owner container and one joining its
namespaces by path.
"""

import copy
import os
import stat
import subprocess
from pathlib import Path

import pytest

from lib.cgroups import cgroup_dirs_for
from lib.conformance import cgroups_path, create_fails, HostSnapshot, required_cases, start_probe
from lib.console import ConsoleReceiver
from lib.host import dev_numbers, find_mount, is_char_device, read_mountinfo
from lib.procs import ns_inode, proc_cmdline
from lib.runtime import create_running, created, run_output, unique_id
from lib.seccomp_agent import Agent
from lib.waiting import wait_for

#: the cgroup tests read v1 files (this host: hybrid, controllers on v1)
v1_only = pytest.mark.skipif(not os.path.isdir("/sys/fs/cgroup/memory"),
                             reason="needs the cgroup v1 controllers")

# --------------------------------------------------------------------------
# the probe container
# --------------------------------------------------------------------------


#: one device of each type, with the optional fields set
DEVICES = {
    "c": {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
          "fileMode": 0o640, "uid": 1000, "gid": 1001},
    "b": {"path": "/dev/conformance-blk", "type": "b", "major": 7,
          "minor": 201, "fileMode": 0o600, "uid": 1002, "gid": 1003},
    "u": {"path": "/dev/conformance-unbuffered", "type": "u", "major": 1,
          "minor": 7, "fileMode": 0o604, "uid": 1004, "gid": 1005},
    "p": {"path": "/dev/fifo0", "type": "p", "fileMode": 0o600,
          "uid": 1006, "gid": 1007},
}
#: what stat(2) shows of each device type (u: a character device)
DEVICE_KIND = {"c": stat.S_ISCHR, "u": stat.S_ISCHR, "b": stat.S_ISBLK,
               "p": stat.S_ISFIFO}


@pytest.fixture(scope="module")
def linux_probe(mruntime, menv):
    b = menv.bundle()
    b.linux["devices"] = [dict(d) for d in DEVICES.values()] + [
        {"path": "/devices-elsewhere/null2", "type": "c", "major": 1,
         "minor": 3, "fileMode": 0o666}]
    b.linux["resources"]["devices"] += [
        {"allow": True, "type": "c", "major": 10, "minor": 229,
         "access": "rw"}]
    b.linux["sysctl"] = {"net.ipv4.ip_forward": "1",
                         "net.core.somaxconn": "555",
                         "kernel.shmmax": "123456789"}
    b.linux["personality"] = {"domain": "LINUX32"}
    checks = [("ip_forward", "cat /proc/sys/net/ipv4/ip_forward"),
              ("somaxconn", "cat /proc/sys/net/core/somaxconn"),
              ("shmmax", "cat /proc/sys/kernel/shmmax"),
              ("machine", "uname -m"),
              ("keys", "head -c 16 /proc/keys | wc -c"),
              ("firmware", "ls -A /sys/firmware | wc -l"),
              ("procsys", "echo 1 > /proc/sys/vm/drop_caches && echo "
                          "written || echo refused")]
    host = menv.host_dir("lprobe")
    probe = start_probe(mruntime, b, host, checks)
    probe.mountinfo = read_mountinfo(probe.pid)
    return probe


def _in(probe, path):
    return f"/proc/{probe.pid}/root{path}"


# --------------------------------------------------------------------------
# Default filesystems
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path,fstype", [
    ("/proc", "proc"), ("/sys", "sysfs"), ("/dev/pts", "devpts"),
    ("/dev/shm", "tmpfs")])
def test_config_linux_md__default_filesystems_should_be_available(
        linux_probe, path, fstype):
    """"The following filesystems SHOULD be made available in each
    container's filesystem: /proc proc, /sys sysfs, /dev/pts devpts,
    /dev/shm tmpfs\""""
    m = find_mount(linux_probe.mountinfo, path)
    assert m is not None and m["fstype"] == fstype, m


# --------------------------------------------------------------------------
# Namespaces
# --------------------------------------------------------------------------

PROC_NS = {"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc",
           "uts": "uts", "cgroup": "cgroup", "user": "user",
           "time": "time_for_children"}


@pytest.fixture(scope="module")
def ns_pair(mruntime, menv):
    """An owner container and one joining its namespaces by path."""
    owner = menv.bundle()
    owner.sh("sleep 120")
    _, opid = created(mruntime, owner)
    joiner = menv.bundle()
    joiner.sh("sleep 120")
    for ns in ("network", "ipc", "uts", "pid", "cgroup"):
        joiner.set_namespace(ns, f"/proc/{opid}/ns/{PROC_NS[ns]}")
    # a hostname needs a uts namespace of its own: the joined one is shared
    del joiner.config["hostname"]
    _, jpid = created(mruntime, joiner)
    return opid, jpid


@pytest.mark.parametrize("ns", ["pid", "network", "mount", "ipc", "uts",
                                "cgroup"])
def test_config_linux_md__namespace_without_path_must_be_new(ns_pair, ns):
    """"If path is not specified, the runtime MUST create a new container
    namespace of type type.\""""
    opid, _ = ns_pair
    assert ns_inode(opid, PROC_NS[ns]) != ns_inode("self", PROC_NS[ns])


@pytest.fixture(scope="module")
def userns_ctr(mruntime, menv):
    b = menv.bundle()
    b.sh("sleep 120")
    b.set_namespace("user")
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 200000,
                               "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000,
                               "size": 65536}]
    files = [b.rootfs / "bin" / "busybox", b.rootfs / "etc" / "passwd",
             b.rootfs]
    before = [os.stat(f) for f in files]
    _, pid = created(mruntime, b)
    after = [os.stat(f) for f in files]
    return pid, before, after


def test_config_linux_md__user_namespace_without_path_must_be_new(
        userns_ctr):
    """"If path is not specified, the runtime MUST create a new container
    namespace of type type." (user, with its uid and gid mappings)\""""
    pid = userns_ctr[0]
    assert ns_inode(pid, "user") != ns_inode("self", "user")
    assert Path(f"/proc/{pid}/uid_map").read_text().split() == \
        ["0", "200000", "65536"]
    assert Path(f"/proc/{pid}/gid_map").read_text().split() == \
        ["0", "200000", "65536"]


def test_config_linux_md__userns_should_not_chown_rootfs(userns_ctr):
    """"The runtime SHOULD NOT modify the ownership of referenced
    filesystems to realize the mapping.\""""
    _, before, after = userns_ctr
    assert [(s.st_uid, s.st_gid) for s in after] == \
        [(s.st_uid, s.st_gid) for s in before]


needs_timens = pytest.mark.skipif(not os.path.exists("/proc/self/ns/time"),
                                  reason="the kernel has no time namespace")
#: every clock and field of timeOffsets, values of their own
TIME_OFFSETS = {"monotonic": {"secs": 86400, "nanosecs": 1234},
                "boottime": {"secs": 172800, "nanosecs": 5678}}


def _started(rt, bundle):
    """A running container whose process has executed ``sleep 60``."""
    cid, pid = create_running(rt, bundle, script="exec sleep 60")
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "60"], what="exec")
    return cid, pid


@needs_timens
@pytest.mark.runc_xfail("runc 1.1 knows no time namespace")
@pytest.mark.parametrize("offsets", ["timeOffsets", "no-offsets"])
def test_config_linux_md__time_namespace_without_path_must_be_new(
        runtime, bundle, offsets):
    """"If path is not specified, the runtime MUST create a new container
    namespace of type type." (time, with and without timeOffsets)

    The process that runs the user program (after its execve) is in a time
    namespace other than the host's, by inode; with timeOffsets, that
    namespace has each clock's secs and nanosecs."""
    bundle.set_namespace("time")
    if offsets == "timeOffsets":
        bundle.linux["timeOffsets"] = TIME_OFFSETS
    _, pid = _started(runtime, bundle)
    assert ns_inode(pid, "time") != ns_inode("self", "time")
    got = {}
    for line in Path(f"/proc/{pid}/timens_offsets").read_text().split("\n"):
        if line.strip():
            clock, secs, nsecs = line.split()
            got[clock] = {"secs": int(secs), "nanosecs": int(nsecs)}
    if offsets == "timeOffsets":
        assert got == TIME_OFFSETS
    else:
        assert all(v == {"secs": 0, "nanosecs": 0} for v in got.values())


@needs_timens
@pytest.mark.runc_xfail("runc 1.1 knows no time namespace")
def test_config_linux_md__time_namespace_path_must_be_joined(runtime, env):
    """"The runtime MUST place the container process in the namespace
    associated with that path." (time)

    The second container's process, after its execve, is in the first
    one's time namespace (by inode), with its offsets."""
    owner = env.bundle()
    owner.set_namespace("time")
    owner.linux["timeOffsets"] = TIME_OFFSETS
    _, opid = _started(runtime, owner)
    joiner = env.bundle()
    joiner.set_namespace("time", f"/proc/{opid}/ns/time")
    _, jpid = _started(runtime, joiner)
    assert ns_inode(jpid, "time") == ns_inode(opid, "time")
    assert ns_inode(jpid, "time") != ns_inode("self", "time")


@pytest.mark.parametrize("ns", ["network", "ipc", "uts", "pid", "cgroup"])
def test_config_linux_md__namespace_path_must_be_joined(ns_pair, ns):
    """"The runtime MUST place the container process in the namespace
    associated with that path.\""""
    opid, jpid = ns_pair
    assert ns_inode(jpid, PROC_NS[ns]) == ns_inode(opid, PROC_NS[ns])


ALL_NS = ["pid", "network", "mount", "ipc", "uts", "cgroup", "user", "time"]


@pytest.mark.parametrize("ns", ALL_NS)
def test_config_linux_md__namespace_path_of_other_type_must_error(
        runtime, env, ns_pair, ns):
    """"The runtime MUST generate an error if path is not associated with a
    namespace of type type." (each type)

    The path names another container's namespace of another type (network;
    ipc for the network type)."""
    other = "ipc" if ns == "network" else "net"
    b = env.bundle()
    b.set_namespace(ns, f"/proc/{ns_pair[0]}/ns/{other}")
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, b, check=False)
    assert res.rc != 0 and res.err_lines, res
    snap.assert_clean(ids=[cid])


def test_config_linux_md__namespace_path_not_a_namespace_must_error(runtime,
                                                                    bundle):
    """"The runtime MUST generate an error if path is not associated with a
    namespace of type type." (a path that is no namespace at all)\""""
    bundle.set_namespace("network", "/etc/hostname")
    create_fails(runtime, bundle)


def test_config_linux_md__namespace_path_must_be_absolute(runtime, bundle,
                                                          ns_pair):
    """"This value MUST be an absolute path in the runtime mount
    namespace."

    A relative path is an invalid value, even where it would name a
    namespace from the runtime's working directory."""
    bundle.set_namespace("network", f"proc/{ns_pair[0]}/ns/net")
    create_fails(runtime, bundle, cwd="/")


@pytest.mark.parametrize("ns", ["network", "ipc", "uts", "cgroup", "pid",
                                "mount"])
def test_config_linux_md__unlisted_namespace_must_be_inherited(runtime,
                                                               bundle, ns):
    """"If a namespace type is not specified in the namespaces array, the
    container MUST inherit the runtime namespace of that type.\""

    Mount: without masked and read-only paths, which both runtimes refuse
    there."""
    bundle.remove_namespace(ns)
    if ns == "uts":
        del bundle.config["hostname"]
    if ns == "mount":
        del bundle.linux["maskedPaths"], bundle.linux["readonlyPaths"]
    try:
        _, pid = created(runtime, bundle)
        assert ns_inode(pid, PROC_NS[ns]) == ns_inode("self", PROC_NS[ns])
    finally:
        # runc mounts in the runtime's namespace and leaves them there
        for m in reversed(read_mountinfo()):
            if m["mountpoint"].startswith(str(bundle.rootfs)):
                os.system(f"umount -l '{m['mountpoint']}'")


@pytest.mark.parametrize("ns", ALL_NS)
def test_config_linux_md__duplicate_namespace_must_error(runtime, bundle,
                                                         ns):
    """"If a namespaces field contains duplicated namespaces with same
    type, the runtime MUST generate an error." (each type)\""""
    bundle.set_namespace(ns)
    bundle.linux["namespaces"].append({"type": ns})
    if ns == "user":
        for key in ("uidMappings", "gidMappings"):
            bundle.linux[key] = [{"containerID": 0, "hostID": 200000,
                                  "size": 65536}]
    create_fails(runtime, bundle)


# --------------------------------------------------------------------------
# Devices
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", sorted(DEVICES))
def test_config_linux_md__devices_must_be_available(linux_probe, dtype):
    """"devices (array of objects, OPTIONAL) lists devices that MUST be
    available in the container." (each type: c, b, u, p)

    Type, numbers, fileMode, uid and gid as configured."""
    want = DEVICES[dtype]
    st = os.stat(_in(linux_probe, want["path"]))
    assert DEVICE_KIND[dtype](st.st_mode), oct(st.st_mode)
    if dtype != "p":
        assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == \
            (want["major"], want["minor"])
    assert stat.S_IMODE(st.st_mode) == want["fileMode"]
    assert (st.st_uid, st.st_gid) == (want["uid"], want["gid"])


def test_config_linux_md__device_path_may_be_outside_dev(linux_probe):
    """"The path MAY be anywhere in the container filesystem, notably
    outside of /dev.\""""
    path = _in(linux_probe, "/devices-elsewhere/null2")
    assert is_char_device(path) and dev_numbers(path) == (1, 3)


@pytest.mark.runc_xfail("runc 1.1 replaces what is at the path with the "
                        "device node")
@pytest.mark.parametrize("existing", ["regular-file", "other-numbers",
                                      "other-type"])
def test_config_linux_md__device_path_existing_file_mismatch_must_error(
        runtime, env, existing):
    """"If a file already exists at path that does not match the requested
    device, the runtime MUST generate an error."

    c 1:3 is asked for where the rootfs has a regular file, the character
    device 1:5, or the block device 1:3."""
    b = env.private_bundle()
    path = b.rootfs / "not-the-device"
    if existing == "regular-file":
        path.write_text("regular file")
    else:
        kind = stat.S_IFCHR if existing == "other-numbers" else stat.S_IFBLK
        minor = 5 if existing == "other-numbers" else 3
        os.mknod(path, kind | 0o600, os.makedev(1, minor))
    b.linux["devices"] = [{"path": "/not-the-device", "type": "c",
                           "major": 1, "minor": 3}]
    create_fails(runtime, b)


@pytest.mark.parametrize("name,numbers", [
    ("null", (1, 3)), ("zero", (1, 5)), ("full", (1, 7)),
    ("random", (1, 8)), ("urandom", (1, 9)), ("tty", (5, 0))])
def test_config_linux_md__default_devices_must_be_supplied(linux_probe, name,
                                                           numbers):
    """"In addition to any devices configured with this setting, the runtime
    MUST also supply: /dev/null, /dev/zero, /dev/full, /dev/random,
    /dev/urandom, /dev/tty\""""
    path = _in(linux_probe, f"/dev/{name}")
    assert is_char_device(path) and dev_numbers(path) == numbers


def test_config_linux_md__default_device_ptmx(linux_probe):
    """"/dev/ptmx. A bind-mount or symlink of the container's
    /dev/pts/ptmx.\""""
    path = _in(linux_probe, "/dev/ptmx")
    if os.path.islink(path):
        assert os.readlink(path) in ("pts/ptmx", "/dev/pts/ptmx")
    else:
        assert find_mount(linux_probe.mountinfo, "/dev/ptmx") is not None
    pts = find_mount(linux_probe.mountinfo, "/dev/pts")
    assert "ptmxmode=666" in pts["super_options"], pts


def test_config_linux_md__dev_console_bound_from_pty_with_terminal(
        runtime, bundle, env):
    """"/dev/console is set up if terminal is enabled in the config by bind
    mounting the pseudoterminal pty to /dev/console.\""""
    recv = ConsoleReceiver(env.base / "console.sock")
    try:
        bundle.process["terminal"] = True
        bundle.sh("sleep 60")
        cid = unique_id()
        runtime.create(cid, bundle, "--console-socket", recv.path)
        pid = runtime.pid(cid)
        recv.wait()
        m = find_mount(read_mountinfo(pid), "/dev/console")
        assert m is not None and m["fstype"] == "devpts", m
        pty = os.readlink(f"/proc/{pid}/fd/0")
        assert pty.startswith("/dev/pts/"), pty
        assert m["root"] == pty[len("/dev/pts"):], (m["line"], pty)
    finally:
        recv.close()


# --------------------------------------------------------------------------
# Control groups
# --------------------------------------------------------------------------


def _cgroup_file(pid, ctrl, name):
    for d in cgroup_dirs_for(pid):
        p = Path(d) / name
        if f"/{ctrl}" in d and p.exists():
            return p.read_text().strip()
    raise AssertionError(f"no {name} in the cgroups of {pid}")


@pytest.fixture(scope="module")
def res_ctr(mruntime, menv):
    b = menv.bundle()
    b.sh("sleep 120")
    b.linux["cgroupsPath"] = cgroups_path(mruntime)
    b.linux["resources"].update({
        "memory": {"limit": 64 << 20, "reservation": 32 << 20,
                   "swappiness": 10, "disableOOMKiller": True},
        "cpu": {"shares": 512, "quota": 20000, "period": 100000,
                "cpus": "0", "mems": "0"},
        "pids": {"limit": 77},
    })
    b.linux["resources"]["devices"] = [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 11,
         "access": "rwm"},
        {"allow": False, "type": "c", "major": 1, "minor": 11,
         "access": "w"}]
    _, pid = created(mruntime, b)
    return pid, b.linux["cgroupsPath"]


@v1_only
@pytest.mark.parametrize("ctrl,name,value", [
    ("memory", "memory.limit_in_bytes", str(64 << 20)),
    ("memory", "memory.soft_limit_in_bytes", str(32 << 20)),
    ("memory", "memory.swappiness", "10"),
    ("cpu", "cpu.shares", "512"),
    ("cpu", "cpu.cfs_quota_us", "20000"),
    ("cpu", "cpu.cfs_period_us", "100000"),
    ("cpuset", "cpuset.cpus", "0"),
    ("cpuset", "cpuset.mems", "0"),
    ("pids", "pids.max", "77")])
def test_config_linux_md__resources_written_to_cgroup(res_ctr, ctrl, name,
                                                      value):
    """"You can configure a container's cgroups via the resources field of
    the Linux configuration." (memory limit, reservation, swappiness; cpu
    shares, quota, period, cpus, mems; pids limit)\""""
    assert _cgroup_file(res_ctr[0], ctrl, name) == value


@v1_only
def test_config_linux_md__disable_oom_killer(res_ctr):
    """"disableOOMKiller (bool, OPTIONAL) - enables or disables the OOM
    killer. ... To disable it, specify a value of true.\""""
    oom = _cgroup_file(res_ctr[0], "memory", "memory.oom_control")
    assert "oom_kill_disable 1" in oom


@v1_only
def test_config_linux_md__device_allowlist_in_listed_order(res_ctr):
    """"The runtime MUST apply entries in the listed order."

    deny all, allow c 1:11 rwm, deny c 1:11 w: `c 1:11 rm` remains (the
    other order of the last two would leave rwm)."""
    rules = _cgroup_file(res_ctr[0], "devices", "devices.list").split("\n")
    assert "c 1:11 rm" in rules and "c 1:11 rwm" not in rules, rules


def _hierarchies():
    """The cgroup hierarchies of this host by their /proc/PID/cgroup name
    (``unified`` for the cgroup2 one), as parameters."""
    names = []
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        ctrls = line.split(":", 2)[1]
        names.append(ctrls or "unified")
    return [pytest.param(n, marks=pytest.mark.ocirt_xfail(
        "named v1 hierarchies (name=systemd) are left alone: the container "
        "stays in the caller's cgroup there, where runc and crun move it to "
        "cgroupsPath")) if n.startswith("name=") else n
        for n in sorted(names)]


def _cgroups_of(pid):
    out = {}
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, ctrls, cg = line.split(":", 2)
        out[ctrls or "unified"] = cg
    return out


@v1_only
@pytest.mark.parametrize("hierarchy", _hierarchies())
def test_config_linux_md__cgroups_path_relative(runtime, bundle, hierarchy):
    """"In the case of a relative path (not starting with /), the runtime
    MAY interpret the path relative to a runtime-determined location in the
    cgroups hierarchy." (each hierarchy of the host)

    Here: below the caller's own cgroup, in every hierarchy (the runtime is
    started in a cgroup of the suite's own where the runner's is not)."""
    own = runtime.run_from_own_cgroup()
    path = "conformance-" + unique_id()
    bundle.linux["cgroupsPath"] = path
    _, pid = created(runtime, bundle)
    key = "" if hierarchy == "unified" else hierarchy.split(",")[0]
    assert _cgroups_of(pid)[hierarchy] == \
        own.get(key, "/").rstrip("/") + "/" + path


@v1_only
@pytest.mark.parametrize("hierarchy", _hierarchies())
def test_config_linux_md__cgroups_path_absolute_relative_to_mount(
        runtime, bundle, hierarchy):
    """"In the case of an absolute path (starting with /), the runtime MUST
    take the path to be relative to the cgroups mount point." (each
    hierarchy of the host)

    The container process is in the cgroup of that path in each
    hierarchy."""
    path = "/" + cgroups_path(runtime).lstrip("/")
    bundle.linux["cgroupsPath"] = path
    _, pid = created(runtime, bundle)
    assert _cgroups_of(pid)[hierarchy] == path


def test_config_linux_md__cgroups_path_consistent(runtime, env):
    """"If the value is specified, the runtime MUST consistently attach to
    the same place in the cgroups hierarchy given the same value of
    cgroupsPath."

    Two containers, one after the other, with the same path."""
    path = cgroups_path(runtime)
    places = []
    for _ in range(2):
        b = env.bundle()
        b.linux["cgroupsPath"] = path
        cid, pid = created(runtime, b)
        places.append(sorted(cgroup_dirs_for(pid)))
        runtime.delete(cid, force=True)
    assert places[0] == places[1]


@v1_only
def test_config_linux_md__cgroup_ownership_not_changed_on_v1(runtime,
                                                             bundle):
    """"Runtimes SHOULD NOT change the ownership of container cgroups when
    cgroups v1 is in use."

    A non-root process with a cgroup namespace and a read-write
    /sys/fs/cgroup: its v1 cgroup directories stay root's."""
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    for m in bundle.config["mounts"]:
        if m["destination"] == "/sys/fs/cgroup":
            m["options"] = [o for o in m["options"] if o != "ro"]
    bundle.linux["cgroupsPath"] = cgroups_path(runtime)
    _, pid = created(runtime, bundle)
    for d in cgroup_dirs_for(pid):
        if "/unified" not in d and d.rstrip("/") != "/sys/fs/cgroup":
            st = os.stat(d)
            assert (st.st_uid, st.st_gid) == (0, 0), d


@v1_only
@pytest.mark.runc_xfail("runc 1.1 takes a pids limit of 0 as no limit")
def test_config_linux_md__pids_limit_zero_is_valid(runtime, bundle):
    """"0 is a valid limit value for the pids cgroup controller from the
    kernel's perspective and SHOULD be treated as such by runtimes.\""""
    bundle.linux["cgroupsPath"] = cgroups_path(runtime)
    bundle.linux["resources"]["pids"] = {"limit": 0}
    _, pid = created(runtime, bundle)
    assert _cgroup_file(pid, "pids", "pids.max") == "0"


@v1_only
def test_config_linux_md__unified_absent_controller_must_error(runtime,
                                                               bundle):
    """"The runtime MUST generate an error when the configuration refers to
    a cgroup controller that is not present or that cannot be enabled."

    memory is a v1 controller on this host: memory.max in unified is an
    error."""
    bundle.linux["cgroupsPath"] = cgroups_path(runtime)
    bundle.linux["resources"]["unified"] = {"memory.max": "1000000"}
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, bundle, check=False)
    assert res.rc != 0 and res.err_lines, res
    snap.assert_clean(ids=[cid], cgroup_paths=[bundle.linux["cgroupsPath"]])


@pytest.mark.runc_xfail("runc 1.1 refuses unified on a host whose "
                        "controllers are on v1")
def test_config_linux_md__unified_unknown_key_still_written(runtime, bundle):
    """"Configuration unknown to the runtime MUST still be written to the
    relevant file."

    cgroup.max.descendants, a core file of every cgroup2 directory (no
    controller needed, so it holds on this hybrid host): the container's
    unified cgroup has the value."""
    if not os.path.isdir("/sys/fs/cgroup/unified"):
        pytest.skip("no cgroup2 hierarchy at /sys/fs/cgroup/unified")
    bundle.linux["cgroupsPath"] = cgroups_path(runtime)
    bundle.linux["resources"]["unified"] = {"cgroup.max.descendants": "7"}
    _, pid = created(runtime, bundle)
    cg = _cgroups_of(pid)["unified"]
    path = Path("/sys/fs/cgroup/unified" + cg) / "cgroup.max.descendants"
    assert path.read_text().strip() == "7"


@pytest.mark.runc_xfail("runc 1.1 accepts intelRdt without a resctrl mount")
def test_config_linux_md__intel_rdt_without_resctrl_must_error(runtime,
                                                               bundle):
    """"If no mounted resctrl pseudo-filesystem is available in the runtime
    mount namespace, the runtime MUST generate an error.\""""
    assert not any(m["fstype"] == "resctrl" for m in read_mountinfo())
    bundle.linux["intelRdt"] = {"closID": "conformance"}
    create_fails(runtime, bundle)


# --------------------------------------------------------------------------
# Sysctl, seccomp, personality
# --------------------------------------------------------------------------


@pytest.mark.parametrize("key,value", [("ip_forward", "1"),
                                       ("somaxconn", "555"),
                                       ("shmmax", "123456789")])
def test_config_linux_md__sysctl_applied(linux_probe, key, value):
    """"sysctl (object, OPTIONAL) allows kernel parameters to be modified at
    runtime for the container.\""""
    assert linux_probe[key] == value


@pytest.mark.runc_xfail("runc 1.1 has no linux.personality (added in 1.2)")
def test_config_linux_md__personality_linux32(linux_probe):
    """"LINUX32 will set the uname system call to show a 32 bit CPU type,
    such as i686.\""""
    assert linux_probe["machine"] in ("i686", "i386", "armv8l", "armv7l")


def test_config_linux_md__seccomp_rule_applied(runtime, bundle):
    """"Seccomp configuration allows one to configure actions to take for
    matched syscalls"

    mkdir and mkdirat fail with the configured errno (EROFS)."""
    bundle.linux["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "syscalls": [{"names": ["mkdir", "mkdirat"],
                      "action": "SCMP_ACT_ERRNO", "errnoRet": 30}]}
    res = run_output(runtime, bundle, "mkdir /tmp/x 2>&1; echo rc=$?")
    assert res.rc == 0, res
    assert "Read-only file system" in res.out and "rc=1" in res.out, res


#: the actions that take no errno
NO_ERRNO_ACTIONS = ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_KILL",
                    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                    "SCMP_ACT_TRAP"]


@pytest.mark.runc_xfail("runc 1.1 ignores an errno given with an action "
                        "that takes none")
@pytest.mark.parametrize("action", NO_ERRNO_ACTIONS)
@pytest.mark.parametrize("where", ["defaultErrnoRet", "errnoRet"])
def test_config_linux_md__seccomp_errno_for_action_without_must_error(
        runtime, bundle, where, action):
    """"When the action doesn't support an errno, the runtime MUST print and
    error and fail." (defaultErrnoRet with the defaultAction, errnoRet with
    a rule's action; each action that takes no errno)\""""
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]}
    if where == "defaultErrnoRet":
        profile.update(defaultAction=action, defaultErrnoRet=1)
    else:
        profile["syscalls"] = [{"names": ["mkdir", "mkdirat"],
                                "action": action, "errnoRet": 1}]
    bundle.linux["seccomp"] = profile
    create_fails(runtime, bundle)


def _notify_profile(bundle, listener):
    bundle.linux["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
        "listenerPath": str(listener), "listenerMetadata": "conformance",
        "syscalls": [{"names": ["mkdir", "mkdirat"],
                      "action": "SCMP_ACT_NOTIFY"}]}


def test_config_linux_md__seccomp_listener_send_failure_must_error(
        runtime, bundle, host_dir):
    """"If sending to this socket fails, the runtime MUST generate an
    error."

    Nothing listens at listenerPath: create fails, nothing is left."""
    _notify_profile(bundle, host_dir / "nobody-listens.sock")
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, bundle, check=False)
    assert res.rc != 0 and res.err_lines, res
    snap.assert_clean(ids=[cid])


def test_config_linux_md__seccomp_listener_protocol(runtime, bundle,
                                                    host_dir):
    """"This socket MUST use AF_UNIX domain and SOCK_STREAM type. The
    runtime MUST send exactly one container process state per connection.
    The connection MUST NOT be reused and it MUST be closed after sending a
    seccomp state." "file descriptors MUST be sent using SCM_RIGHTS ... only
    in the first call."

    An agent on a SOCK_STREAM socket gets one connection carrying one JSON
    state, then end of file; the one fd comes with the first message and
    is named seccompFd; the state names the container and its pid."""
    agent = Agent(host_dir / "agent.sock")
    agent.start()
    try:
        _notify_profile(bundle, agent.path)
        bundle.sh("sleep 60")
        cid, pid = created(runtime, bundle)
        # with noNewPrivileges the filter may be loaded at start
        runtime.start(cid)
        wait_for(lambda: agent.state is not None or agent.problem,
                 what="the seccomp state at the agent")
        assert agent.problem is None, agent.problem
        st = agent.state
        assert agent.nfds == 1 and st["fds"] == ["seccompFd"], st
        assert st["metadata"] == "conformance"
        assert st["pid"] == pid and st["state"]["id"] == cid
        assert st["ociVersion"] and st["state"]["ociVersion"]
    finally:
        agent.close()


# --------------------------------------------------------------------------
# Rootfs propagation, masked and readonly paths
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [
    pytest.param("shared", marks=pytest.mark.runc_xfail(
        "runc 1.1 leaves the new root private")),
    "private",
    pytest.param("unbindable", marks=pytest.mark.runc_xfail(
        "runc 1.1 makes / unbindable before binding the rootfs: EINVAL"))])
def test_config_linux_md__rootfs_propagation(runtime, bundle, mode):
    """"rootfsPropagation (string, OPTIONAL) sets the rootfs's mount
    propagation. Its value is either shared, slave, private or unbindable."

    (slave cannot be told from private here: the host's / is private.)"""
    bundle.linux["rootfsPropagation"] = mode
    _, pid = created(runtime, bundle)
    root = find_mount(read_mountinfo(pid), "/")
    tags = " ".join(root["optional"])
    if mode == "shared":
        assert "shared:" in tags, root["line"]
    elif mode == "unbindable":
        assert "unbindable" in tags, root["line"]
    else:
        assert "shared:" not in tags and "master:" not in tags, root["line"]


@pytest.mark.parametrize("mode", [
    "private",
    pytest.param("slave", marks=pytest.mark.runc_xfail(
        "runc 1.1 leaves the root private"))])
def test_config_linux_md__rootfs_propagation_of_a_shared_rootfs(
        runtime, bundle, mode):
    """"rootfsPropagation (string, OPTIONAL) sets the rootfs's mount
    propagation. Its value is either shared, slave, private or unbindable."
    (private and slave, the rootfs being a shared mount point)

    The runtime is started in a mount namespace of its own where the rootfs
    is a shared bind mount, as a rootfs often is on a host whose / is
    shared: slave receives from that peer group (master:N), private neither
    receives nor sends.  A process holds that namespace until the check: a
    peer group whose last member goes leaves its slaves private."""
    bundle.linux["rootfsPropagation"] = mode
    root = os.path.realpath(bundle.rootfs)
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "shared", "sh", "-c",
         f"mount --bind {root} {root} && mount --make-shared {root} && "
         "echo ready && exec cat"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n"
        cid = unique_id()
        runtime.create(cid, bundle, prefix=[
            "nsenter", f"--mount=/proc/{holder.pid}/ns/mnt"])
        m = find_mount(read_mountinfo(runtime.pid(cid)), "/")
    finally:
        holder.stdin.close()
        holder.wait()
    tags = " ".join(m["optional"])
    assert "shared:" not in tags, m["line"]
    assert ("master:" in tags) == (mode == "slave"), m["line"]


def test_config_linux_md__masked_paths_cannot_be_read(linux_probe):
    """"maskedPaths (array of strings, OPTIONAL) will mask over the provided
    paths inside the container so that they cannot be read.\""""
    # read from inside, when the probe ran: /proc/keys is masked by a
    # /dev/null, /sys/firmware by an empty read-only tmpfs
    assert linux_probe["keys"] == "0"
    assert linux_probe["firmware"] == "0"
    fw = find_mount(linux_probe.mountinfo, "/sys/firmware")
    assert fw is not None and "ro" in fw["options"], fw


def test_config_linux_md__readonly_paths_read_only(linux_probe):
    """"readonlyPaths (array of strings, OPTIONAL) will set the provided
    paths as readonly inside the container.\""""
    for path in ("/proc/sys", "/proc/irq", "/proc/bus"):
        m = find_mount(linux_probe.mountinfo, path)
        assert m is not None and "ro" in m["options"], (path, m)
    assert linux_probe["procsys"].endswith("Read-only file system\nrefused")


@pytest.mark.runc_xfail("runc 1.1 accepts a relative masked path")
def test_config_linux_md__masked_paths_must_be_absolute(runtime, bundle):
    """"The values MUST be absolute paths in the container namespace."

    A relative masked path is an invalid value: create fails."""
    bundle.linux["maskedPaths"] = ["proc/kcore"]
    create_fails(runtime, bundle)


@pytest.mark.runc_xfail("runc 1.1 accepts a relative read-only path")
def test_config_linux_md__readonly_paths_must_be_absolute(runtime, bundle):
    """"The values MUST be absolute paths in the container namespace."
    (readonlyPaths)

    A relative read-only path is an invalid value: create fails."""
    bundle.linux["readonlyPaths"] = ["proc/sys"]
    create_fails(runtime, bundle)


# --------------------------------------------------------------------------
# REQUIRED fields
# --------------------------------------------------------------------------

_MAPPING = [{"containerID": 0, "hostID": 200000, "size": 65536}]
_DEVICE = [{"path": "/dev/conformance-null", "type": "c", "major": 1,
            "minor": 3}]
_DEV_RULE = [{"allow": True, "type": "c", "major": 1, "minor": 3,
              "access": "rwm"}]
_THROTTLE = {"throttleReadBpsDevice": [{"major": 1, "minor": 3,
                                        "rate": 1 << 20}]}
_SECCOMP = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                          "args": [{"index": 0, "value": 1,
                                    "op": "SCMP_CMP_EQ"}]}]}


def _userns(config):
    config["linux"]["namespaces"].append({"type": "user"})
    config["linux"]["gidMappings"] = copy.deepcopy(_MAPPING)


def _required(keys, value, drop, before=None):
    """Set linux.<keys> to a copy of value, then delete the field at the
    path ``drop`` inside it (list indexes and keys)."""
    def change(config):
        if before:
            before(config)
        obj = config["linux"]
        for k in keys[:-1]:
            obj = obj.setdefault(k, {})
        obj[keys[-1]] = new = copy.deepcopy(value)
        for k in drop[:-1]:
            new = new[k]
        del new[drop[-1]]
    return change


REQUIRED_LINUX = {
    "namespaces.type": _required(("namespaces",), [{"type": "ipc"}],
                                 (0, "type")),
    "idMapping.containerID": _required(("uidMappings",), _MAPPING,
                                       (0, "containerID"), _userns),
    "idMapping.hostID": _required(("uidMappings",), _MAPPING,
                                  (0, "hostID"), _userns),
    "idMapping.size": _required(("uidMappings",), _MAPPING, (0, "size"),
                                _userns),
    "devices.type": _required(("devices",), _DEVICE, (0, "type")),
    "devices.path": _required(("devices",), _DEVICE, (0, "path")),
    "devices.major": _required(("devices",), _DEVICE, (0, "major")),
    "devices.minor": _required(("devices",), _DEVICE, (0, "minor")),
    "resources.devices.allow": _required(("resources", "devices"),
                                         _DEV_RULE, (0, "allow")),
    "blockIO.throttle.major": _required(("resources", "blockIO"), _THROTTLE,
                                        ("throttleReadBpsDevice", 0,
                                         "major")),
    "blockIO.throttle.rate": _required(("resources", "blockIO"), _THROTTLE,
                                       ("throttleReadBpsDevice", 0,
                                        "rate")),
    "hugepageLimits.pageSize": _required(
        ("resources", "hugepageLimits"),
        [{"pageSize": "2MB", "limit": 1 << 21}], (0, "pageSize")),
    "seccomp.defaultAction": _required(("seccomp",), _SECCOMP,
                                       ("defaultAction",)),
    "seccomp.syscalls.names": _required(("seccomp",), _SECCOMP,
                                        ("syscalls", 0, "names")),
    "seccomp.syscalls.action": _required(("seccomp",), _SECCOMP,
                                         ("syscalls", 0, "action")),
    "seccomp.args.index": _required(("seccomp",), _SECCOMP,
                                    ("syscalls", 0, "args", 0, "index")),
    "seccomp.args.value": _required(("seccomp",), _SECCOMP,
                                    ("syscalls", 0, "args", 0, "value")),
    "seccomp.args.op": _required(("seccomp",), _SECCOMP,
                                 ("syscalls", 0, "args", 0, "op")),
    "personality.domain": _required(("personality",),
                                    {"domain": "LINUX", "flags": []},
                                    ("domain",)),
    "memoryPolicy.mode": _required(("memoryPolicy",),
                                   {"mode": "MPOL_DEFAULT"}, ("mode",)),
}

#: the fields runc 1.1 does not miss (filled in by its defaults)
RUNC_ACCEPTS_LINUX = {
    "idMapping.containerID": "a missing containerID is taken as 0",
    "idMapping.hostID": "a missing hostID is taken as 0",
    "devices.path": "a device without path is accepted",
    "devices.major": "a missing major is taken as 0",
    "devices.minor": "a missing minor is taken as 0",
    "resources.devices.allow": "a missing allow is taken as false",
    "seccomp.syscalls.names": "a rule without names is accepted",
    "seccomp.args.index": "a missing index is taken as 0",
    "seccomp.args.value": "a missing value is taken as 0",
    "personality.domain": "runc 1.1 has no linux.personality (ignored)",
    "memoryPolicy.mode": "runc 1.1 has no linux.memoryPolicy (ignored)",
}
#: the fields ocirt does not miss (each a bug to fix)
OCIRT_ACCEPTS_LINUX = {}


@pytest.mark.parametrize("field", required_cases(
    REQUIRED_LINUX, RUNC_ACCEPTS_LINUX, OCIRT_ACCEPTS_LINUX))
def test_config_linux_md__required_field_missing_must_error(runtime, bundle,
                                                            field):
    """"(REQUIRED)" fields of config-linux.md; "Runtimes MUST generate an
    error when invalid or unsupported values are encountered."

    A config without the field (the rest valid) is invalid: create fails
    and no container exists."""
    REQUIRED_LINUX[field](bundle.config)
    create_fails(runtime, bundle)
