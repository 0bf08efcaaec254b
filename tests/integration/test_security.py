"""Escapes that shaped runc and crun, attempted from inside a container."""

import os

from lib.procs import proc_cmdline
from lib.runtime import create_running, created, unique_id
from lib.waiting import wait_for


def _ns_pid(host_pid):
    """The pid of HOST_PID in its innermost pid namespace."""
    for line in open(f"/proc/{host_pid}/status"):
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError("no NSpid line")


def test_runtime_binary_out_of_reach_in_shared_pid_namespace(rt, bundle, env):
    """CVE-2019-5736: a created container that joins another's pid namespace
    is the runtime's binary until start; the other container must not be able
    to open it through /proc/PID/exe."""
    a, apid = create_running(rt, env.bundle())
    bundle.set_namespace("pid", f"/proc/{apid}/ns/pid")
    bundle.sh("sleep 30")
    b = unique_id("victim")
    rt.create(b, bundle)
    bpid = rt.pid(b)
    # the waiting process is still the runtime (from a read-only view of
    # its binary or a sealed copy, test_binary_overwrite.py), visible in
    # a's namespace
    with open(f"/proc/{bpid}/exe", "rb") as f, open(rt.binary, "rb") as g:
        assert f.read() == g.read()
    inner = _ns_pid(bpid)
    # the container sees it ...
    res = rt("exec", a, "cat", f"/proc/{inner}/cmdline")
    assert res.rc == 0 and b in res.out, res
    # ... but can neither resolve nor open its executable
    res = rt("exec", a, "sh", "-c", f"cat /proc/{inner}/exe > /dev/null")
    assert res.rc != 0, res
    assert "denied" in res.err.lower() or "not permitted" in res.err.lower(), res
    res = rt("exec", a, "readlink", f"/proc/{inner}/exe")
    assert res.out.strip() == "", res
    rt.delete(b, force=True)


def test_no_runtime_fd_or_cwd_outside_reaches_the_container(rt, bundle):
    """CVE-2024-21626: no fd of the runtime survives into the container, and
    its cwd is inside its root."""
    bundle.sh("sleep 30")
    cid, pid = created(rt, bundle)
    rt.start(cid)
    # until its exec the process still holds the runtime's close-on-exec fds
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec")
    fds = sorted(int(f) for f in os.listdir(f"/proc/{pid}/fd"))
    assert fds == [0, 1, 2], [os.readlink(f"/proc/{pid}/fd/{f}") for f in fds]
    root = os.stat(f"/proc/{pid}/root/")
    cwd = os.readlink(f"/proc/{pid}/cwd")
    assert cwd == "/", cwd
    assert os.stat(f"/proc/{pid}/cwd").st_ino == root.st_ino


import pytest  # noqa: E402

from lib.host import HostSnapshot
from lib.runtime import assert_single_line_error


def _lsm_absent(name):
    if name == "apparmor":
        try:
            return open("/sys/module/apparmor/parameters/enabled").read()[0] != "Y"
        except OSError:
            return True
    return not os.path.exists("/sys/fs/selinux/enforce")


@pytest.mark.parametrize("field,lsm", [
    (("process", "apparmorProfile"), "apparmor"),
    (("process", "selinuxLabel"), "selinux"),
    (("linux", "mountLabel"), "selinux"),
])
def test_lsm_asked_for_but_absent_is_an_error(rt, bundle, field, lsm):
    """A profile or label the host cannot apply must not become a silently
    unconfined container."""
    if not _lsm_absent(lsm):
        pytest.skip(f"{lsm} is enabled on this host")
    getattr(bundle, field[0])[field[1]] = "ocirt-test-profile"
    bundle.sh("true")
    cid = unique_id()
    snap = HostSnapshot(rt)
    res = rt.create(cid, bundle, check=False)
    line = assert_single_line_error(res, "ocirt-test-profile")
    assert lsm.lower() in line.lower()
    snap.assert_clean(ids=[cid])


@pytest.mark.parametrize("flag", ["--apparmor", "--process-label"])
def test_exec_lsm_flags_on_a_host_without_them(rt, bundle, flag):
    lsm = "apparmor" if flag == "--apparmor" else "selinux"
    if not _lsm_absent(lsm):
        pytest.skip(f"{lsm} is enabled on this host")
    cid, _ = create_running(rt, bundle)
    res = rt("exec", flag, "ocirt-test-profile", cid, "true")
    assert_single_line_error(res, "ocirt-test-profile")
