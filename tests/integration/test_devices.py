"""Device nodes in the container's /dev."""

import os
import stat

import pytest

from lib.runtime import created, run_output

DEFAULT_DEVICES = {
    "null": (1, 3),
    "zero": (1, 5),
    "full": (1, 7),
    "random": (1, 8),
    "urandom": (1, 9),
    "tty": (5, 0),
}


def test_default_devices_from_host(rt, bundle):
    cid, pid = created(rt, bundle.sh("sleep 30"))
    for name, (major, minor) in DEFAULT_DEVICES.items():
        st = os.stat(f"/proc/{pid}/root/dev/{name}")
        assert stat.S_ISCHR(st.st_mode), name
        assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (major, minor), name
        assert st.st_mode & 0o666 == 0o666, (name, oct(st.st_mode))


def test_default_devices_inside(rt, bundle):
    script = "; ".join(f"stat -c '%n %F %t:%T' /dev/{n}"
                       for n in DEFAULT_DEVICES)
    res = run_output(rt, bundle, script)
    assert res.rc == 0, res
    seen = {}
    for line in res.out.splitlines():
        path, rest = line.split(" ", 1)
        kind, nums = rest.rsplit(" ", 1)
        seen[path.rsplit("/", 1)[1]] = (kind, nums)
    for name, (major, minor) in DEFAULT_DEVICES.items():
        assert seen[name] == ("character special file",
                              f"{major:x}:{minor:x}"), name


def test_default_devices_usable(rt, bundle):
    res = run_output(rt, bundle,
                     "echo x > /dev/null && echo null-ok; "
                     "head -c 4 /dev/zero | wc -c; "
                     "head -c 4 /dev/urandom | wc -c; "
                     "echo x > /dev/full || echo full-enospc")
    assert res.rc == 0, res
    assert res.out.split() == ["null-ok", "4", "4", "full-enospc"]


@pytest.mark.parametrize("link,target", [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
])
def test_dev_symlinks(rt, bundle, link, target):
    cid, pid = created(rt, bundle.sh("sleep 30"))
    path = f"/proc/{pid}/root/dev/{link}"
    assert os.path.islink(path), link
    assert os.readlink(path) == target


def test_dev_ptmx(rt, bundle):
    cid, pid = created(rt, bundle.sh("sleep 30"))
    path = f"/proc/{pid}/root/dev/ptmx"
    assert os.path.lexists(path)
    if os.path.islink(path):
        assert os.readlink(path) in ("pts/ptmx", "/dev/pts/ptmx")
    else:
        st = os.stat(path)
        assert stat.S_ISCHR(st.st_mode)
        assert (os.major(st.st_rdev), os.minor(st.st_rdev)) in ((5, 2),)
    assert os.path.exists(f"/proc/{pid}/root/dev/pts/ptmx")


def test_dev_is_fresh_tmpfs(rt, bundle):
    # nothing of the host's /dev is visible
    cid, pid = created(rt, bundle.sh("sleep 30"))
    names = set(os.listdir(f"/proc/{pid}/root/dev"))
    assert "vda" not in names and "kmsg" not in names and "mem" not in names
    assert {"null", "zero", "pts", "shm", "mqueue"} <= names


def test_shell_stdio_through_dev_links(rt, bundle):
    res = run_output(rt, bundle, "echo via-link > /dev/stdout; "
                                 "echo err-link > /dev/stderr")
    assert res.rc == 0, res
    assert res.out == "via-link\n"
    assert "err-link" in res.err


def test_linux_devices_char(rt, bundle):
    bundle.linux["devices"] = [{
        "path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
        "fileMode": 0o666, "uid": 1000, "gid": 1001,
    }]
    cid, pid = created(rt, bundle.sh("sleep 30"))
    st = os.stat(f"/proc/{pid}/root/dev/mynull")
    assert stat.S_ISCHR(st.st_mode)
    assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (1, 3)
    assert stat.S_IMODE(st.st_mode) == 0o666, oct(st.st_mode)
    assert (st.st_uid, st.st_gid) == (1000, 1001)


def test_linux_devices_usable_inside(rt, bundle):
    bundle.linux["devices"] = [{
        "path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
        "fileMode": 0o666, "uid": 0, "gid": 0,
    }]
    res = run_output(rt, bundle, "echo x > /dev/mynull && echo ok; "
                                 "stat -c '%t:%T %a' /dev/mynull")
    assert res.rc == 0, res
    assert res.out.split() == ["ok", "1:3", "666"]


def test_linux_devices_block_and_subdir(rt, bundle):
    bundle.linux["devices"] = [{
        "path": "/dev/sub/dir/myloop", "type": "b", "major": 7, "minor": 0,
        "fileMode": 0o600, "uid": 0, "gid": 6,
    }]
    cid, pid = created(rt, bundle.sh("sleep 30"))
    st = os.stat(f"/proc/{pid}/root/dev/sub/dir/myloop")
    assert stat.S_ISBLK(st.st_mode)
    assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (7, 0)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_gid == 6


def test_linux_devices_fifo(rt, bundle):
    bundle.linux["devices"] = [{"path": "/dev/myfifo", "type": "p",
                                "fileMode": 0o644}]
    cid, pid = created(rt, bundle.sh("sleep 30"))
    st = os.stat(f"/proc/{pid}/root/dev/myfifo")
    assert stat.S_ISFIFO(st.st_mode)


def test_device_path_with_a_trailing_slash(rt, ref, env):
    """As runc: "/dev/x/" names the device /dev/x."""
    for r in [rt] + ([ref] if ref else []):
        b = env.bundle()
        b.linux["devices"] = [{"path": "/dev/mynull/", "type": "c", "major": 1, "minor": 3,
                               "fileMode": 0o620, "uid": 0, "gid": 0},
                              {"path": "/dev/null/", "type": "c", "major": 1, "minor": 3,
                               "fileMode": 0o666, "uid": 0, "gid": 0}]
        res = run_output(r, b, "stat -c '%F %t,%T %a' /dev/mynull /dev/null")
        assert res.rc == 0, (r.name, res)
        assert res.out.splitlines() == ["character special file 1,3 620",
                                        "character special file 1,3 666"], (r.name, res.out)
