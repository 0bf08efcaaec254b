"""A container with a user namespace, as Kubernetes makes it for a pod with
`hostUsers: false`: bind mount sources its user cannot reach, devices it
cannot make, and the flags of the device nodes bound from the host. Each
case runs on ocirt and on the reference runtime; where runc 1.1 differs,
its parameter is an expected failure that says how."""

import os
import stat

import pytest

from lib.host import find_mount, read_mountinfo
from lib.runtime import create_running, run_output

HOST_ID = 100000


def _xfail_runc(reason):
    return pytest.param("runc", marks=pytest.mark.xfail(
        strict=True, reason="runc 1.1 differs: " + reason))


@pytest.fixture
def runtime(request, rt, ref):
    if request.param == "ocirt":
        return rt
    if ref is None:
        pytest.skip("no reference runtime")
    return ref


def _userns(bundle):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = [
        {"containerID": 0, "hostID": HOST_ID, "size": 65536}]
    bundle.linux["gidMappings"] = [
        {"containerID": 0, "hostID": HOST_ID, "size": 65536}]


def _locked_source(host_dir):
    """HOST_DIR/state/shm with a file in it: state/ is root's, mode 0000,
    as containerd's state directory that holds a pod's /dev/shm."""
    shm = host_dir / "state" / "shm"
    shm.mkdir(parents=True)
    (shm / "hello").write_text("from the host\n")
    os.chmod(shm, 0o777)
    os.chmod(host_dir / "state", 0)
    return shm


def _bind_shm(bundle, source, *options):
    bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                               if m["destination"] != "/dev/shm"]
    bundle.add_mount("/dev/shm", source, "bind", list(options))


@pytest.mark.parametrize("runtime", ["ocirt", "runc"], indirect=True)
@pytest.mark.parametrize("options", [("rbind", "rw"), ("bind", "ro")])
def test_bind_source_the_user_namespace_cannot_reach(runtime, bundle, host_dir,
                                                     options):
    locked = os.statvfs(host_dir).f_flag & (os.ST_NOSUID | os.ST_NODEV | os.ST_NOEXEC)
    if runtime.name == "runc" and options == ("bind", "ro") and locked:
        pytest.xfail("runc 1.1 drops the source mount's nosuid, nodev or noexec "
                     "in the read-only remount of the bind, which a user "
                     "namespace may not: operation not permitted")
    _userns(bundle)
    _bind_shm(bundle, _locked_source(host_dir), *options)
    res = run_output(runtime, bundle, "cat /dev/shm/hello")
    assert res.rc == 0, res
    assert res.out == "from the host\n"


@pytest.mark.parametrize("runtime", ["ocirt", "runc"], indirect=True)
def test_bind_source_written_from_the_container(runtime, bundle, host_dir):
    shm = _locked_source(host_dir)
    _userns(bundle)
    _bind_shm(bundle, shm, "rbind", "nosuid", "nodev", "noexec")
    res = run_output(runtime, bundle, "echo from the pod > /dev/shm/out")
    assert res.rc == 0, res
    out = shm / "out"
    assert out.read_text() == "from the pod\n"
    assert out.stat().st_uid == HOST_ID


@pytest.mark.parametrize("runtime", ["ocirt", "runc"], indirect=True)
def test_missing_bind_source_still_named(runtime, bundle, host_dir):
    """A source that the runtime cannot open either: the error names it."""
    _userns(bundle)
    _bind_shm(bundle, host_dir / "nothing-here", "rbind")
    res = run_output(runtime, bundle, "true")
    assert res.rc != 0, res
    assert "nothing-here" in res.err, res


@pytest.mark.parametrize("runtime", [
    "ocirt", _xfail_runc("it binds the host's node, and there is none")],
    indirect=True)
def test_device_missing_on_the_host(runtime, bundle):
    path = "/dev/ocirt-userns-null"
    assert not os.path.exists(path)
    _userns(bundle)
    bundle.linux["devices"] = [{
        "path": path, "type": "c", "major": 1, "minor": 3,
        "fileMode": 0o620, "uid": 1000, "gid": 1001}]
    # the owner writes it (the default capabilities do not override modes)
    bundle.process["user"] = {"uid": 1000, "gid": 1001}
    res = run_output(runtime, bundle, f"stat -c '%t:%T %a %u %g' {path};"
                     f" echo data > {path} && echo written")
    assert res.rc == 0, res
    assert res.out.split("\n")[:2] == ["1:3 620 1000 1001", "written"]
    assert not os.path.exists(path)


@pytest.mark.parametrize("runtime", [
    "ocirt", _xfail_runc("the host's /dev is not noexec, nor are its binds")],
    indirect=True)
@pytest.mark.parametrize("device", ["/dev/null", "/dev/urandom", "/dev/fuse"])
def test_device_mounts_nosuid_noexec(runtime, bundle, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} on this host")
    _userns(bundle)
    if device == "/dev/fuse":
        st = os.stat(device)
        bundle.linux["devices"] = [{
            "path": device, "type": "c", "major": os.major(st.st_rdev),
            "minor": os.minor(st.st_rdev), "fileMode": 0o666}]
    cid, pid = create_running(runtime, bundle)
    m = find_mount(read_mountinfo(pid), device)
    assert m is not None
    opts = m["options"]
    assert "nosuid" in opts and "noexec" in opts, m
    assert stat.S_ISCHR(os.stat(f"/proc/{pid}/root{device}").st_mode)


@pytest.mark.parametrize("runtime", ["ocirt", "runc"], indirect=True)
def test_bind_source_with_a_joined_user_namespace(runtime, env, host_dir):
    """A pod's containers join the user namespace of its sandbox."""
    sandbox = env.bundle()
    _userns(sandbox)
    _, spid = create_running(runtime, sandbox)
    b = env.bundle()
    _userns(b)
    b.set_namespace("user", f"/proc/{spid}/ns/user")
    _bind_shm(b, _locked_source(host_dir), "rbind")
    res = run_output(runtime, b, "cat /dev/shm/hello")
    assert res.rc == 0, res
    assert res.out == "from the host\n"
