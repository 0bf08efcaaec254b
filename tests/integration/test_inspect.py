"""`ocirt inspect`: every field checked against what the host itself reads
from /proc and the cgroupfs.  runc has no inspect: ocirt only."""

import json
import os
import subprocess

import pytest

from lib.capabilities import cap_mask
from lib.cgroups import cgroup_dirs_for
from lib.host import read_mountinfo
from lib.hostproc import proc_status
from lib.runtime import assert_single_line_error, create_running, created, unique_id
from lib.waiting import wait_for

pytestmark = pytest.mark.usefixtures("ocirt_only")

# config.json's namespace type -> /proc/PID/ns entry
NS_FILES = {"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc",
            "uts": "uts", "user": "user", "cgroup": "cgroup", "time": "time"}
SECCOMP_MODES = {"0": "disabled", "1": "strict", "2": "filter"}
MEMORY = 64 * 1024 * 1024
PIDS = 42
KEPT_CAPS = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]


@pytest.fixture
def ocirt_only(rt):
    if rt.name != "ocirt":
        pytest.skip("inspect is ocirt's own command")


def inspect_json(rt, cid):
    res = rt("inspect", "--format", "json", cid)
    assert res.rc == 0, res
    return res.json()


def ns_ino(pid, ns):
    try:
        return os.stat(f"/proc/{pid}/ns/{NS_FILES[ns]}").st_ino
    except FileNotFoundError:
        return None


def host_ino(ns):
    """The host's namespace: PID 1's, or where that cannot be read (PID 1
    of a user namespace above ours), the suite's own."""
    try:
        return ns_ino(1, ns)
    except PermissionError:
        return ns_ino("self", ns)


def id_map(pid, name):
    with open(f"/proc/{pid}/{name}") as f:
        return [dict(zip(("containerID", "hostID", "size"), map(int, ln.split())))
                for ln in f if ln.strip()]


def check_namespaces(doc, pid):
    """Every namespace of /proc/PID/ns, with its inode, and host sharing as
    PID 1's show it."""
    seen = {ns["type"]: ns for ns in doc["namespaces"]}
    assert set(seen) == {t for t in NS_FILES if ns_ino(pid, t) is not None}
    for t, ns in seen.items():
        assert ns["inode"] == ns_ino(pid, t), t
        assert ns["host"] == (host_ino(t) == ns_ino(pid, t)), t


def check_cgroups(doc, pid):
    """The directories are those the init is in; each limit is the file's
    content; the memory and pids limits are there."""
    member_of = set(cgroup_dirs_for(pid))
    limits = {}
    assert doc["cgroups"]
    for cg in doc["cgroups"]:
        assert cg["path"] in member_of, cg
        for name, value in cg["limits"].items():
            with open(os.path.join(cg["path"], name)) as f:
                assert value == f.read().strip(), (cg["path"], name)
        for name in ("memory.max", "memory.limit_in_bytes", "pids.max"):
            if os.path.exists(os.path.join(cg["path"], name)):
                assert name in cg["limits"], (cg["path"], name)
        limits.update(cg["limits"])
    assert str(MEMORY) in (limits.get("memory.max"), limits.get("memory.limit_in_bytes"))
    assert limits["pids.max"] == str(PIDS)


def check_credentials(doc, pid):
    status = proc_status(pid)
    for key, name in (("CapBnd", "bounding"), ("CapEff", "effective"),
                      ("CapInh", "inheritable"), ("CapPrm", "permitted"),
                      ("CapAmb", "ambient")):
        assert cap_mask(*doc["capabilities"][name]) == int(status[key], 16), name
    assert doc["noNewPrivileges"] == (status["NoNewPrivs"] == "1")
    assert doc["seccomp"]["mode"] == SECCOMP_MODES[status["Seccomp"]]
    assert doc["seccomp"]["filters"] == int(status["Seccomp_filters"])
    assert doc["uidMappings"] == id_map(pid, "uid_map")
    assert doc["gidMappings"] == id_map(pid, "gid_map")
    try:
        with open(f"/proc/{pid}/attr/current") as f:
            label = f.read().rstrip("\n\0")
    except OSError:
        label = None
    assert doc.get("label") == label


def check_root_and_mounts(rt, doc, cid, pid, config):
    mounts = read_mountinfo(pid)
    root = [m for m in mounts if m["mountpoint"] == "/"][-1]
    assert doc["root"]["path"] == rt.state(cid)["rootfs"]
    assert doc["root"]["type"] == root["fstype"]
    assert doc["root"]["readonly"] == ("ro" in root["options"])
    configured = {os.path.normpath(m["destination"]) for m in config["mounts"]}
    mounted = {m["mountpoint"] for m in mounts}
    for m in doc["mounts"]:
        if m["difference"] == "added":
            assert m["destination"] in mounted - configured, m
        elif m["difference"] == "missing":
            assert m["destination"] in configured - mounted, m
        else:
            assert m["destination"] in configured & mounted, m
    # every mount the config does not have is listed
    listed = {m["destination"] for m in doc["mounts"]}
    assert (mounted - configured - {"/"}) <= listed


def cgroup_procs(doc):
    cg = next(c for c in doc["cgroups"] if c["controllers"] in ("", "pids"))
    with open(os.path.join(cg["path"], "cgroup.procs")) as f:
        return sorted(int(p) for p in f.read().split())


def limited(bundle):
    bundle.linux["resources"]["memory"] = {"limit": MEMORY}
    bundle.linux["resources"]["pids"] = {"limit": PIDS}
    # sets that differ, so that each is told from the others
    bundle.process["capabilities"] = {
        "bounding": KEPT_CAPS + ["CAP_CHOWN", "CAP_SETUID"], "effective": KEPT_CAPS,
        "permitted": KEPT_CAPS + ["CAP_CHOWN"], "inheritable": ["CAP_KILL"],
        "ambient": ["CAP_KILL"]}
    bundle.process["noNewPrivileges"] = True
    bundle.linux["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [{"names": ["mknod", "mknodat"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.add_mount("/scratch", "tmpfs", "tmpfs", ["size=1m", "ro"])
    bundle.add_mount("/scratch2", "tmpfs", "tmpfs", ["size=1m"])
    (bundle.rootfs / "scratch").mkdir()
    (bundle.rootfs / "scratch2").mkdir()
    (bundle.rootfs / "extra").mkdir()
    return bundle


def test_inspect_json_matches_the_host(rt, bundle):
    cid, pid = create_running(rt, limited(bundle), script="sleep 60 & sleep 60; wait")
    # a mount config.json does not have, made from the host
    subprocess.run(["nsenter", "-t", str(pid), "-m", "mount", "-t", "tmpfs", "extra", "/extra"],
                   check=True)
    # and one made read-only where the config has it writable
    subprocess.run(["nsenter", "-t", str(pid), "-m", "-p", "mount", "-o", "remount,bind,ro", "/scratch2"],
                   check=True)
    wait_for(lambda: len(cgroup_procs(inspect_json(rt, cid))) == 3, timeout=10)
    doc = inspect_json(rt, cid)
    assert (doc["id"], doc["pid"], doc["status"]) == (cid, pid, "running")
    assert doc["bundle"] == str(bundle.path)
    check_namespaces(doc, pid)
    check_cgroups(doc, pid)
    check_credentials(doc, pid)
    caps = {k: sorted(v) for k, v in doc["capabilities"].items()}
    assert caps["bounding"] == sorted(KEPT_CAPS + ["CAP_CHOWN", "CAP_SETUID"])
    # root's execve makes the effective set the permitted one
    assert caps["permitted"] == caps["effective"] == sorted(KEPT_CAPS + ["CAP_CHOWN"])
    assert caps["inheritable"] == caps["ambient"] == ["CAP_KILL"]
    assert doc["noNewPrivileges"] is True
    assert doc["seccomp"]["mode"] == "filter" and doc["seccomp"]["filters"] >= 1
    check_root_and_mounts(rt, doc, cid, pid, bundle.config)
    extra = [m for m in doc["mounts"] if m["destination"] == "/extra"]
    assert [(m["type"], m["difference"]) for m in extra] == [("tmpfs", "added")]
    assert "/scratch" not in {m["destination"] for m in doc["mounts"]}
    scratch2 = [m for m in doc["mounts"] if m["destination"] == "/scratch2"]
    assert [(m["type"], m["difference"]) for m in scratch2] == [("tmpfs", "readonly")]
    assert sorted(doc["processes"]) == cgroup_procs(doc)
    assert pid in doc["processes"] and len(doc["processes"]) == 3


def test_inspect_a_created_container(rt, bundle):
    cid, pid = created(rt, bundle.sh("sleep 30"))
    doc = inspect_json(rt, cid)
    assert (doc["pid"], doc["status"]) == (pid, "created")
    check_namespaces(doc, pid)
    check_credentials(doc, pid)
    # no seccomp profile, and the config's own mounts are as configured
    assert doc["seccomp"] == {"mode": "disabled", "filters": 0}


def test_inspect_a_paused_container(rt, bundle):
    cid, pid = create_running(rt, bundle)
    rt("pause", cid, check=True)
    doc = inspect_json(rt, cid)
    assert (doc["pid"], doc["status"], doc["processes"]) == (pid, "paused", [pid])
    rt("resume", cid, check=True)


def test_inspect_defaults_no_new_privs_off(rt, bundle):
    bundle.process["noNewPrivileges"] = False
    cid, pid = create_running(rt, bundle)
    doc = inspect_json(rt, cid)
    assert doc["noNewPrivileges"] is False
    check_credentials(doc, pid)


def test_inspect_names_shared_namespaces(rt, bundle, env):
    a, apid = create_running(rt, bundle)
    other = env.bundle()
    other.set_namespace("network", f"/proc/{apid}/ns/net")
    other.set_namespace("ipc", f"/proc/{apid}/ns/ipc")
    other.remove_namespace("uts")  # the host's
    del other.config["hostname"]
    b, bpid = create_running(rt, other)
    doc_b = {ns["type"]: ns for ns in inspect_json(rt, b)["namespaces"]}
    doc_a = {ns["type"]: ns for ns in inspect_json(rt, a)["namespaces"]}
    assert doc_b["network"]["containers"] == [a] and not doc_b["network"]["host"]
    assert doc_b["ipc"]["containers"] == [a]
    assert doc_b["pid"]["containers"] == [] and not doc_b["pid"]["host"]
    assert doc_b["uts"]["host"] and doc_b["uts"]["containers"] == []
    assert doc_a["network"]["containers"] == [b]
    assert doc_a["mount"]["containers"] == []
    # both share the host's user namespace, and so each other's
    assert doc_b["user"]["host"] and doc_b["user"]["containers"] == [a]
    check_namespaces(inspect_json(rt, b), bpid)


def test_inspect_user_namespace_maps(rt, bundle):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 1000},
                                   {"containerID": 1000, "hostID": 300000, "size": 10}]
    cid = unique_id()
    res = rt.create(cid, bundle.sh("sleep 30"), check=False)
    if res.rc != 0:
        pytest.skip(f"no user namespace here: {res.err.strip()}")
    pid = rt.pid(cid)
    doc = inspect_json(rt, cid)
    assert doc["uidMappings"] == bundle.linux["uidMappings"]
    assert doc["gidMappings"] == bundle.linux["gidMappings"]
    users = {ns["type"]: ns for ns in doc["namespaces"]}["user"]
    assert not users["host"]
    check_credentials(doc, pid)
    check_namespaces(doc, pid)


def test_inspect_table(rt, bundle):
    cid, pid = create_running(rt, limited(bundle))
    doc = inspect_json(rt, cid)
    res = rt("inspect", cid)
    assert res.rc == 0, res
    lines = res.out.splitlines()
    rows = {ln.split()[0]: ln.split()[1:] for ln in lines if ln.strip()}
    assert rows["ID"] == [cid] and rows["PID"] == [str(pid)] and rows["STATUS"] == ["running"]
    for ns in doc["namespaces"]:
        assert rows[ns["type"]][0] == str(ns["inode"])
    assert rows["pids.max"] == [str(PIDS)]
    assert rows["effective"] == [",".join(doc["capabilities"]["effective"])]
    assert rows["NO_NEW_PRIVS"] == ["true"]
    assert rows["SECCOMP"][0] == "filter,"
    assert rows["PROCESSES"] == [str(p) for p in doc["processes"]]
    cgroups = [ln.split()[-1] for ln in lines if ln.startswith("CGROUP")]
    assert cgroups == [c["path"] for c in doc["cgroups"]]


def test_inspect_unknown_container(rt):
    cid = unique_id()
    assert_single_line_error(rt("inspect", cid), cid, "does not exist")


def test_inspect_stopped_container(rt, bundle):
    cid = unique_id()
    rt.create(cid, bundle.sh("exit 0"))
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    for fmt in ("table", "json"):
        res = rt("inspect", "--format", fmt, cid)
        assert_single_line_error(res, cid, "not running")
        assert res.out == ""


@pytest.mark.parametrize("args, mention", [
    ((), "missing argument"),
    (("a", "b"), "too many arguments"),
    (("--format", "yaml", "x"), "invalid format `yaml`"),
    (("--bogus", "x"), "unknown or incomplete option"),
])
def test_inspect_usage_errors(rt, args, mention):
    assert_single_line_error(rt("inspect", *args), mention)


def test_inspect_only_ocirt_state(rt, ref, env):
    """A container of another runtime, in a root of its own, is no
    container of ocirt's: refused, never read as one."""
    if ref is None:
        pytest.skip("no reference runtime")
    bundle = env.bundle()
    cid, _ = create_running(ref, bundle)
    res = rt("inspect", cid, global_args=("--root", str(ref.root)), root=False)
    assert_single_line_error(res, cid)
    assert res.out == ""
    assert json.loads(ref("state", cid).out)["status"] == "running"
