"""Rootless: ocirt run by an ordinary user the tests create, with the
config of ``ocirt spec --rootless``.  Checked from the host: the
container's uid and user namespace, its id maps, its cgroups (none without
delegation), and the state under $XDG_RUNTIME_DIR/ocirt."""

import json
import os
import pwd
import shutil
import subprocess

import pytest

from lib.hostproc import proc_status
from lib.runtime import assert_single_line_error, create_refused, OCIRT, runc_diff, Runtime, unique_id
from lib.systemd import cgroup_of, systemd_running, tracked
from lib.waiting import wait_for

# runc keeps a rootless state under $XDG_RUNTIME_DIR/runc, refuses
# additionalGids even with newgidmap, ignores limits it cannot set, and
# reports a failed newuidmap in several lines.
pytestmark = runc_diff("rootless: state dir name, additionalGids, limits, error lines")

USER = "ocirt-rootless"
SUBID_START = 300000
SUBID_COUNT = 65536


def _drop_lines(path):
    if os.path.exists(path):
        lines = open(path).read().splitlines(keepends=True)
        with open(path, "w") as out:
            out.writelines(ln for ln in lines if not ln.startswith(USER + ":"))


def _remove_user():
    subprocess.run(["userdel", "-r", USER], stderr=subprocess.DEVNULL, check=False)
    # whatever userdel left, or _add_user_by_hand wrote
    for f in ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/subuid", "/etc/subgid"):
        _drop_lines(f)


def _free_id(path, start=2000):
    taken = {int(ln.split(":")[2]) for ln in open(path) if ln.count(":") >= 3}
    return next(i for i in range(start, 60000) if i not in taken)


def _add_user_by_hand():
    """What useradd writes, written directly: in the VM lanes, where / is an
    overlay on a shared read-only root, useradd sometimes fails with
    "failure while writing changes to /etc/passwd"."""
    uid = _free_id("/etc/passwd")
    gid = _free_id("/etc/group", uid)
    with open("/etc/group", "a") as out:
        out.write(f"{USER}:x:{gid}:\n")
    with open("/etc/passwd", "a") as out:
        out.write(f"{USER}:x:{uid}:{gid}::/nonexistent:/bin/false\n")


@pytest.fixture(scope="module")
def user():
    if not shutil.which("useradd"):
        pytest.skip("useradd not found")
    _remove_user()
    p = subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/false", USER],
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        _remove_user()
        _add_user_by_hand()
    for f in ("/etc/subuid", "/etc/subgid"):
        with open(f, "a") as out:
            out.write(f"{USER}:{SUBID_START}:{SUBID_COUNT}\n")
    try:
        yield pwd.getpwnam(USER)
    finally:
        _remove_user()


class UserRuntime(Runtime):
    """The runtime binary run as USER, with its own XDG_RUNTIME_DIR."""

    # an ordinary user's containers go where its cgroups are delegated
    places_cgroups = False

    def __init__(self, binary, env, pw, xdg):
        self.pw = pw
        self.xdg = xdg
        super().__init__(binary, env, root=os.path.join(xdg, "ocirt"))
        self.default_root = False
        self.join_cgroup = None
        self.extra_env = []

    def argv(self, *args, global_args=(), root=True, prefix=()):
        argv = ["setpriv", f"--reuid={self.pw.pw_uid}", f"--regid={self.pw.pw_gid}",
                "--clear-groups", "--reset-env", "env", f"XDG_RUNTIME_DIR={self.xdg}",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin", *self.extra_env, self.binary]
        # with default_root the runtime must find $XDG_RUNTIME_DIR/ocirt itself
        if root and not self.default_root:
            argv += ["--root", self.root]
        argv += [str(a) for a in global_args] + [str(a) for a in args]
        if self.join_cgroup:
            # start in a cgroup first, as a user's session would be
            argv = ["sh", "-c", f'echo $$ > {self.join_cgroup}/cgroup.procs && exec "$@"',
                    "sh"] + argv
        return argv


@pytest.fixture
def urt(env, user):
    xdg = env.base / "xdg"
    xdg.mkdir()
    os.chown(xdg, user.pw_uid, user.pw_gid)
    os.chmod(xdg, 0o700)
    # a copy the user can surely reach, wherever the build tree is
    binary = env.base / "ocirt"
    shutil.copy2(OCIRT, binary)
    os.chmod(binary, 0o755)
    r = UserRuntime(str(binary), env, user, str(xdg))
    yield r
    r.cleanup()


@pytest.fixture
def ubundle(env, urt, user):
    """A busybox bundle whose config is ``ocirt spec --rootless`` as USER."""
    b = env.bundle()
    b.config = None
    os.chown(b.path, user.pw_uid, user.pw_gid)
    res = urt("spec", "--rootless", "--bundle", str(b.path), root=False)
    assert res.rc == 0, res
    os.chown(b.path, 0, 0)
    cfg = json.loads(b.config_path.read_text())
    cfg["process"]["terminal"] = False
    b.config = cfg
    return b


def _own_cgroup(pid):
    return sorted(open(f"/proc/{pid}/cgroup").read().splitlines())


def test_rootless_run_with_its_own_id(urt, ubundle, user):
    urt.default_root = True
    ubundle.config["process"]["args"] = ["sh", "-c", "id -u; id -g; cat /proc/self/uid_map"]
    cid = unique_id()
    res = urt.run(cid, ubundle)
    assert res.rc == 0, res
    out = res.out.split()
    assert out[:2] == ["0", "0"], res
    assert out[2:5] == ["0", str(user.pw_uid), "1"], res
    # the default state root of an ordinary user, and nothing left in it
    assert os.path.isdir(os.path.join(urt.xdg, "ocirt"))
    assert os.listdir(os.path.join(urt.xdg, "ocirt")) == []


def test_rootless_lifecycle_seen_from_the_host(urt, ubundle, user):
    urt.default_root = True
    ubundle.config["process"]["args"] = ["sleep", "30"]
    cid = unique_id()
    urt.create(cid, ubundle)
    st = urt.state(cid)
    assert st["status"] == "created"
    assert os.path.isdir(os.path.join(urt.xdg, "ocirt", cid))
    pid = st["pid"]
    urt.start(cid)
    urt.wait_status(cid, "running")
    uids = proc_status(pid)["Uid"].split()
    assert uids == [str(user.pw_uid)] * 4
    assert os.stat(f"/proc/{pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino
    # no cgroup is delegated to the user: it stays in the caller's
    assert _own_cgroup(pid) == _own_cgroup(os.getpid())
    # ps finds the processes without a cgroup: init and what is below it
    res = urt("ps", "--format", "json", cid)
    assert res.rc == 0, res
    assert json.loads(res.out) == [pid]
    urt.kill(cid, "KILL")
    urt.wait_status(cid, "stopped")
    urt.delete(cid)
    assert not os.path.exists(os.path.join(urt.xdg, "ocirt", cid))


def _subid_mapping(ubundle, user):
    maps = [{"containerID": 0, "hostID": user.pw_uid, "size": 1},
            {"containerID": 1, "hostID": SUBID_START, "size": SUBID_COUNT}]
    ubundle.linux["uidMappings"] = maps
    ubundle.linux["gidMappings"] = [dict(m, hostID=user.pw_gid if m["containerID"] == 0
                                         else m["hostID"]) for m in maps]


@pytest.mark.skipif(not shutil.which("newuidmap"), reason="newuidmap (uidmap) not installed")
def test_rootless_multi_id_mapping_through_newuidmap(urt, ubundle, user):
    _subid_mapping(ubundle, user)
    ubundle.config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5]}
    ubundle.config["process"]["args"] = ["sleep", "30"]
    cid = unique_id()
    urt.create(cid, ubundle)
    pid = urt.pid(cid)
    uid_map = open(f"/proc/{pid}/uid_map").read().split()
    assert uid_map == ["0", str(user.pw_uid), "1", "1", str(SUBID_START), str(SUBID_COUNT)]
    urt.start(cid)
    urt.wait_status(cid, "running")
    status = proc_status(pid)
    assert status["Uid"].split() == [str(SUBID_START + 999)] * 4
    assert status["Gid"].split() == [str(SUBID_START + 999)] * 4
    assert status["Groups"].split() == [str(SUBID_START + 4)]
    urt.kill(cid, "KILL")
    urt.wait_status(cid, "stopped")
    urt.delete(cid)


@pytest.mark.skipif(not shutil.which("newuidmap"), reason="newuidmap (uidmap) not installed")
def test_rootless_mapping_not_granted_fails(urt, ubundle, user):
    maps = [{"containerID": 0, "hostID": user.pw_uid, "size": 1},
            {"containerID": 1, "hostID": SUBID_START + SUBID_COUNT, "size": 10}]
    ubundle.linux["uidMappings"] = maps
    create_refused(urt, ubundle, "newuidmap", "/etc/subuid")


def test_rootless_device_missing_on_the_host_fails(urt, ubundle, user):
    """An ordinary user cannot make the node outside the user namespace
    either: one error names it."""
    path = "/dev/ocirt-rootless-null"
    assert not os.path.exists(path)
    ubundle.linux["devices"] = [{"path": path, "type": "c", "major": 1, "minor": 3}]
    create_refused(urt, ubundle, path, "no such node on the host")


def test_rootless_limits_without_delegation_fail(urt, ubundle, user):
    ubundle.linux.setdefault("resources", {})["memory"] = {"limit": 64 << 20}
    create_refused(urt, ubundle, "linux.resources", "delegated", str(user.pw_uid))


@pytest.mark.parametrize("value, ok", [("false", False), ("auto", True), ("true", True)])
def test_rootless_option_decides_if_a_missing_cgroup_is_an_error(urt, ubundle, user, value, ok):
    """--rootless false: the cgroup an ordinary user cannot make fails
    create; auto (by the euid) and true leave it out."""
    ubundle.config["process"]["args"] = ["sleep", "30"]
    cid = unique_id()
    res = urt.create(cid, ubundle, global_args=["--rootless", value], check=False)
    if ok:
        assert res.rc == 0, res
        urt.delete(cid, force=True)
    else:
        assert_single_line_error(res)


def test_rootless_cannot_map_someone_else(urt, ubundle, user):
    """Without subordinate ids an ordinary user maps only itself."""
    ubundle.linux["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    create_refused(urt, ubundle, "newuidmap")


UNIFIED = "/sys/fs/cgroup"


@pytest.fixture
def delegated(user):
    """On a pure cgroup v2 host, a cgroup handed to USER as systemd would
    hand one to a user session: the user's processes start in its
    ``session`` child, containers go next to it."""
    if not os.path.exists(f"{UNIFIED}/cgroup.controllers"):
        pytest.skip("needs a pure cgroup v2 host (the VM lane)")
    top = f"{UNIFIED}/ocirt-delegated-{os.getpid()}"
    os.mkdir(top)
    try:
        wanted = [c for c in ("memory", "pids")
                  if c in open(f"{UNIFIED}/cgroup.subtree_control").read().split()]
        os.mkdir(f"{top}/session")
        with open(f"{top}/cgroup.subtree_control", "w") as f:
            f.write(" ".join("+" + c for c in wanted))
        for name in ("", "/cgroup.procs", "/cgroup.subtree_control", "/cgroup.threads",
                     "/session", "/session/cgroup.procs"):
            os.chown(top + name, user.pw_uid, user.pw_gid)
        yield top
    finally:
        for d in (f"{top}/session", top):
            try:
                os.rmdir(d)
            except OSError:
                pass


def test_rootless_uses_a_delegated_cgroup(urt, ubundle, user, delegated):
    urt.join_cgroup = f"{delegated}/session"
    ubundle.linux["cgroupsPath"] = delegated[len(UNIFIED):] + "/ctr"
    ubundle.linux.setdefault("resources", {}).update(
        {"memory": {"limit": 64 << 20}, "pids": {"limit": 42}})
    ubundle.config["process"]["args"] = ["sleep", "30"]
    cid = unique_id()
    urt.create(cid, ubundle)
    pid = urt.pid(cid)
    ctr = f"{delegated}/ctr"
    assert open(f"/proc/{pid}/cgroup").read().strip() == f"0::{ctr[len(UNIFIED):]}"
    assert open(f"{ctr}/memory.max").read().strip() == str(64 << 20)
    assert open(f"{ctr}/pids.max").read().strip() == "42"
    urt.delete(cid, force=True)
    assert not os.path.exists(ctr)


@pytest.fixture
def user_manager(user):
    """USER's own systemd instance, as a login starts it: its runtime
    directory, which holds its bus."""
    if not systemd_running():
        pytest.skip("systemd as PID 1 needed (the systemd VM lanes)")
    unit = f"user@{user.pw_uid}.service"
    # an emulated VM may start it slower than systemd waits: try again
    for attempt in range(3):
        p = subprocess.run(["systemctl", "start", unit], timeout=300)
        if p.returncode == 0:
            break
        subprocess.run(["systemctl", "reset-failed", unit], timeout=60, check=False)
    else:
        raise AssertionError(f"systemctl start {unit} failed three times")
    run = f"/run/user/{user.pw_uid}"
    try:
        wait_for(lambda: os.path.exists(f"{run}/bus"), 60, what=f"the bus of {unit}")
        yield run
    finally:
        subprocess.run(["systemctl", "stop", unit], timeout=120, check=False)


def test_rootless_systemd_driver_uses_the_users_own_systemd(urt, ubundle, user, user_manager):
    """--systemd-cgroup as an ordinary user (rootless podman's default on a
    systemd host): the container's scope is started by the user's own
    systemd, on its user bus, in its user.slice, with the limits of the
    controllers it delegates; delete stops it."""
    uid = user.pw_uid
    urt.extra_env = [f"DBUS_SESSION_BUS_ADDRESS=unix:path={user_manager}/bus"]
    cid = unique_id()
    # no cgroupsPath: the user's user.slice, ocirt-<id>.scope
    ubundle.linux.pop("cgroupsPath", None)
    ubundle.linux.setdefault("resources", {}).update({"pids": {"limit": 42}})
    ubundle.config["process"]["args"] = ["sleep", "30"]
    urt.create(cid, ubundle, global_args=["--systemd-cgroup"])
    pid = urt.pid(cid)
    scope = f"/user.slice/user-{uid}.slice/user@{uid}.service/user.slice/ocirt-{cid}.scope"
    assert cgroup_of(pid) == scope
    assert open(tracked(scope) + "/pids.max").read().strip() == "42"
    urt.delete(cid, force=True)
    wait_for(lambda: not os.path.exists(tracked(scope)), 30, what=f"{scope} to go")
