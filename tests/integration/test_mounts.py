"""Rootfs and mounts, checked from the host through /proc/<pid>/mountinfo."""

import os
import shutil

import pytest

from lib.bundle import READONLY_PATHS
from lib.host import find_mount, HostSnapshot, read_mountinfo
from lib.runtime import create_refused, created, run_output, runc_diff, unique_id
from lib.kernel import mount_setattr_missing


def _first_existing(*paths):
    for p in paths:
        if os.path.exists(p):
            return p
    return None


# masked paths the kernel of this machine actually has
MASKED_FILE = _first_existing("/proc/kcore", "/proc/keys", "/proc/timer_list")
MASKED_DIR = _first_existing("/sys/firmware", "/proc/acpi", "/proc/scsi")


def container_mounts(rt, bundle):
    cid, pid = created(rt, bundle.sh("sleep 30"))
    return cid, pid, read_mountinfo(pid)


def test_default_mounts(rt, bundle):
    cid, pid, mi = container_mounts(rt, bundle)
    expect = {
        "/proc": "proc",
        "/dev": "tmpfs",
        "/dev/pts": "devpts",
        "/dev/shm": "tmpfs",
        "/dev/mqueue": "mqueue",
        "/sys": "sysfs",
    }
    for mp, fstype in expect.items():
        m = find_mount(mi, mp)
        assert m is not None, f"{mp} not mounted: {[x['mountpoint'] for x in mi]}"
        assert m["fstype"] == fstype, m
    sys_ = find_mount(mi, "/sys")
    assert "ro" in sys_["options"]
    for opt in ("nosuid", "noexec", "nodev"):
        assert opt in sys_["options"], sys_
    dev = find_mount(mi, "/dev")
    assert "nosuid" in dev["options"]
    assert "mode=755" in dev["super_options"]
    assert "size=65536k" in dev["super_options"]
    pts = find_mount(mi, "/dev/pts")
    assert "ptmxmode=666" in pts["super_options"], pts
    assert "gid=5" in pts["super_options"]
    assert "mode=620" in pts["super_options"]
    shm = find_mount(mi, "/dev/shm")
    for opt in ("nosuid", "noexec", "nodev"):
        assert opt in shm["options"], shm
    # the cgroup mount is there and read-only
    cg = [m for m in mi if (m["mountpoint"] == "/sys/fs/cgroup" or
                            m["mountpoint"].startswith("/sys/fs/cgroup/"))
          and m["fstype"] in ("cgroup", "cgroup2")]
    assert cg, "no cgroup mount"
    assert all("ro" in m["options"] for m in cg), cg
    # on v1 and hybrid hosts the tmpfs holding the hierarchies too
    top = find_mount(mi, "/sys/fs/cgroup")
    assert top is not None and "ro" in top["options"], top
    for opt in ("nosuid", "nodev", "noexec"):
        assert all(opt in m["options"] for m in cg + [top]), (opt, cg)
    # the root of the container is its rootfs, not the host's /
    root = find_mount(mi, "/")
    assert root is not None
    host_root = find_mount(read_mountinfo(), "/")
    assert (root["dev"], root["root"]) != (host_root["dev"], host_root["root"])


def test_no_host_mounts_leak_into_container(rt, bundle):
    cid, pid, mi = container_mounts(rt, bundle)
    mps = {m["mountpoint"] for m in mi}
    # nothing above the rootfs is visible (e.g. host paths)
    assert not any(mp.startswith(str(bundle.path)) for mp in mps), mps
    assert not any(mp.startswith("/mnt/") for mp in mps), mps


def test_bind_mount_with_options(rt, bundle, host_dir):
    (host_dir / "hello").write_text("from host\n")
    bundle.bind(host_dir, "/mnt/data", "ro", "nosuid", "nodev", "noexec")
    cid, pid, mi = container_mounts(rt, bundle)
    m = find_mount(mi, "/mnt/data")
    assert m is not None, [x["mountpoint"] for x in mi]
    for opt in ("ro", "nosuid", "nodev", "noexec"):
        assert opt in m["options"], m
    st_host = os.stat(host_dir)
    st_cont = os.stat(f"/proc/{pid}/root/mnt/data")
    assert (st_host.st_dev, st_host.st_ino) == (st_cont.st_dev, st_cont.st_ino)


def test_bind_mount_content_and_readonly_inside(rt, bundle, host_dir):
    (host_dir / "hello").write_text("from host\n")
    bundle.bind(host_dir, "/mnt/data", "ro")
    res = run_output(rt, bundle,
                     "cat /mnt/data/hello; touch /mnt/data/new && echo wrote")
    assert res.out.splitlines()[0] == "from host"
    assert "wrote" not in res.out
    assert not (host_dir / "new").exists()


def test_bind_mount_rw_writes_through(rt, bundle, host_dir):
    bundle.bind(host_dir, "/mnt/data")
    res = run_output(rt, bundle, "echo inside > /mnt/data/out")
    assert res.rc == 0, res
    assert (host_dir / "out").read_text() == "inside\n"


def test_bind_mount_file(rt, bundle, env):
    f = env.base / "single-file"
    f.write_text("file-content\n")
    bundle.add_mount("/etc/single", f, "bind", ["bind", "ro"])
    res = run_output(rt, bundle, "cat /etc/single")
    assert res.rc == 0, res
    assert res.out == "file-content\n"


def test_mount_destination_created(rt, bundle, host_dir):
    bundle.bind(host_dir, "/a/b/c/d")
    cid, pid, mi = container_mounts(rt, bundle)
    assert find_mount(mi, "/a/b/c/d") is not None
    assert (bundle.rootfs / "a/b/c/d").is_dir()


def test_tmpfs_with_size_and_mode(rt, bundle):
    bundle.add_mount("/scratch", "tmpfs", "tmpfs",
                     ["nosuid", "nodev", "size=2m", "mode=1770"])
    cid, pid, mi = container_mounts(rt, bundle)
    m = find_mount(mi, "/scratch")
    assert m is not None and m["fstype"] == "tmpfs"
    assert "size=2048k" in m["super_options"], m
    assert "mode=1770" in m["super_options"], m
    assert "nosuid" in m["options"] and "nodev" in m["options"]
    assert oct(os.stat(f"/proc/{pid}/root/scratch").st_mode & 0o7777) == \
        oct(0o1770)


def test_mounts_applied_in_order(rt, bundle, host_dir):
    (host_dir / "marker").write_text("bound\n")
    bundle.add_mount("/data", "tmpfs", "tmpfs", ["size=1m"])
    bundle.bind(host_dir, "/data/sub")
    res = run_output(rt, bundle, "cat /data/sub/marker; grep ' /data' "
                                 "/proc/self/mountinfo | wc -l")
    assert res.rc == 0, res
    lines = res.out.split()
    assert lines[0] == "bound"
    assert lines[1] == "2"


def test_root_readonly(rt, bundle):
    bundle.config["root"]["readonly"] = True
    cid, pid, mi = container_mounts(rt, bundle)
    root = find_mount(mi, "/")
    assert "ro" in root["options"], root
    # /dev is still a writable tmpfs
    assert "rw" in find_mount(mi, "/dev")["options"]


def test_root_readonly_inside(rt, bundle):
    bundle.config["root"]["readonly"] = True
    res = run_output(rt, bundle,
                     "touch /x 2>/dev/null && echo root-rw; "
                     "touch /dev/x && echo dev-rw")
    assert "root-rw" not in res.out
    assert "dev-rw" in res.out
    assert not (bundle.rootfs / "x").exists()


@runc_diff("runc 1.1 needs the container's /proc to close its fds")
@pytest.mark.parametrize("case", ["no-proc", "root-hidden"])
def test_root_readonly_without_the_containers_proc(rt, bundle, case):
    """The read-only remount of / does not go through the container's
    /proc: none is mounted, or a plain bind on "/" hides it (and /dev).
    Before Linux 5.12 (no mount_setattr) / is remounted by its path."""
    bundle.config["root"]["readonly"] = True
    if case == "no-proc":
        bundle.config["mounts"] = [m for m in bundle.config["mounts"]
                                   if m["destination"] != "/proc"]
    else:
        bundle.add_mount("/", bundle.rootfs, options=["bind"])
    res = run_output(rt, bundle, "if touch /x; then echo rw; else echo ro; fi; "
                     "ls /proc | wc -l")
    assert res.rc == 0, res
    assert res.out.split() == ["ro", "0"], res
    assert not (bundle.rootfs / "x").exists()


def test_root_writable_by_default(rt, bundle):
    res = run_output(rt, bundle, "echo hi > /tmp/written")
    assert res.rc == 0, res
    assert (bundle.rootfs / "tmp/written").read_text() == "hi\n"


def test_masked_paths(rt, bundle):
    assert MASKED_FILE and MASKED_DIR
    cid, pid, mi = container_mounts(rt, bundle)
    assert find_mount(mi, MASKED_FILE) is not None
    assert find_mount(mi, MASKED_DIR) is not None
    with open(f"/proc/{pid}/root{MASKED_FILE}", "rb") as f:
        assert f.read(16) == b""
    assert os.listdir(f"/proc/{pid}/root{MASKED_DIR}") == []


def test_masked_paths_inside(rt, bundle):
    res = run_output(rt, bundle,
                     f"cat {MASKED_FILE} | wc -c; ls -A {MASKED_DIR} | wc -l; "
                     f"touch {MASKED_DIR}/x 2>/dev/null && echo wrote")
    lines = res.out.split()
    assert lines[:2] == ["0", "0"], res
    assert "wrote" not in res.out


def test_masked_path_custom(rt, bundle):
    bundle.linux["maskedPaths"].append("/etc/hostname")
    res = run_output(rt, bundle, "cat /etc/hostname | wc -c")
    assert res.rc == 0, res
    assert res.out.strip() == "0"


def test_masked_path_missing_is_ignored(rt, bundle):
    bundle.linux["maskedPaths"].append("/no/such/path")
    res = run_output(rt, bundle, "echo ok")
    assert res.rc == 0, res
    assert res.out.strip() == "ok"


def test_readonly_paths(rt, bundle):
    proc = next(m for m in bundle.config["mounts"] if m["destination"] == "/proc")
    proc["options"] = ["nosuid", "nodev", "noexec"]
    cid, pid, mi = container_mounts(rt, bundle)
    paths = [p for p in READONLY_PATHS if os.path.exists(p)]
    assert "/proc/sys" in paths
    for p in paths:
        m = find_mount(mi, p)
        assert m is not None, p
        assert "ro" in m["options"], m
        # made read-only, keeping what /proc has
        for opt in ("nosuid", "nodev", "noexec"):
            assert opt in m["options"], m
    assert "rw" in find_mount(mi, "/proc")["options"]


def test_readonly_paths_inside(rt, bundle):
    res = run_output(rt, bundle, "echo x > /proc/sys/kernel/domainname "
                                 "2>/dev/null && echo wrote; echo done")
    assert res.out.split() == ["done"], res


def test_readonly_path_custom(rt, bundle):
    (bundle.rootfs / "data").mkdir()
    bundle.linux["readonlyPaths"].append("/data")
    res = run_output(rt, bundle,
                     "touch /data/x 2>/dev/null && echo wrote; echo done")
    assert res.out.split() == ["done"], res


def test_recursive_option_without_mount_setattr_fails_clearly(rt, bundle, host_dir):
    reason = mount_setattr_missing()
    if reason is None:
        pytest.skip("this kernel has mount_setattr")
    bundle.bind(host_dir, "/data", "rro")
    create_refused(rt, bundle, "/data", "mount_setattr", "Linux 5.12")


@runc_diff("runc 1.1 leaves the container's root mount private")
def test_rootfs_propagation_shared(rt, bundle):
    bundle.linux["rootfsPropagation"] = "shared"
    cid, pid, mi = container_mounts(rt, bundle)
    root = find_mount(mi, "/")
    assert "shared:" in " ".join(root["optional"]), root


def test_rootfs_propagation_private(rt, bundle):
    bundle.linux["rootfsPropagation"] = "private"
    cid, pid, mi = container_mounts(rt, bundle)
    root = find_mount(mi, "/")
    tags = " ".join(root["optional"])
    assert "shared:" not in tags and "master:" not in tags, root


@pytest.mark.parametrize("prop", ["shared", "rshared", "slave", "rslave",
                                  "private"])
def test_rootfs_propagation_does_not_change_host(rt, bundle, prop):
    before = {m["mountpoint"]: m["optional"] for m in read_mountinfo()}
    bundle.linux["rootfsPropagation"] = prop
    cid, pid, mi = container_mounts(rt, bundle)
    assert find_mount(mi, "/") is not None
    after = {m["mountpoint"]: m["optional"] for m in read_mountinfo()}
    for mp in ("/", "/proc", "/sys", "/dev"):
        if mp in before:
            assert after.get(mp) == before[mp], mp


def test_rootfs_propagation_invalid_fails(rt, bundle):
    bundle.linux["rootfsPropagation"] = "sideways"
    cid = unique_id()
    snap = HostSnapshot(rt)
    res = rt.create(cid, bundle.sh("sleep 30"), check=False)
    assert res.rc != 0, res
    assert res.err_lines
    snap.assert_clean(ids=[cid])


def test_relative_root_path(rt, bundle):
    sub = bundle.path / "images" / "fs"
    sub.parent.mkdir()
    shutil.move(str(bundle.rootfs), str(sub))
    bundle.config["root"]["path"] = "images/fs"
    cid, pid = created(rt, bundle.sh("sleep 30"))
    st = os.stat(f"/proc/{pid}/root/bin/busybox")
    host = os.stat(sub / "bin" / "busybox")
    assert (st.st_dev, st.st_ino) == (host.st_dev, host.st_ino)
    assert rt.state(cid)["bundle"] == str(bundle.path)


def test_absolute_root_path(rt, bundle, env):
    elsewhere = env.base / "elsewhere-rootfs"
    shutil.move(str(bundle.rootfs), str(elsewhere))
    bundle.config["root"]["path"] = str(elsewhere)
    res = run_output(rt, bundle, "cat /etc/hostname")
    assert res.rc == 0, res
    assert res.out.strip() == "ocirt"


def test_no_pivot(rt, bundle):
    cid = unique_id()
    bundle.sh("cat /etc/hostname; ls /; test -e /bin/busybox && echo bb")
    res = rt.run(cid, bundle, "--no-pivot")
    assert res.rc == 0, res
    lines = res.out.split()
    assert lines[0] == "ocirt"
    assert "bb" in lines
    # nothing of the host's / is visible
    assert "vmlinuz" not in lines and "lost+found" not in lines
    assert "usr" not in lines


def test_no_pivot_created_root(rt, bundle):
    cid = unique_id()
    rt.create(cid, bundle.sh("sleep 30"), "--no-pivot")
    pid = rt.pid(cid)
    st = os.stat(f"/proc/{pid}/root/bin/busybox")
    host = os.stat(bundle.rootfs / "bin/busybox")
    assert (st.st_dev, st.st_ino) == (host.st_dev, host.st_ino)


def _escape_case(rt, bundle, host_dir, link_target, mount):
    """rootfs/evil -> link_target; a mount at /evil/x must stay in rootfs."""
    os.symlink(link_target, bundle.rootfs / "evil")
    mount(bundle)
    before_listing = sorted(os.listdir(host_dir))
    snap = HostSnapshot(rt)
    cid = unique_id()
    res = rt.create(cid, bundle.sh("sleep 30"), check=False)
    # the host must be untouched whether or not the runtime accepted it
    assert sorted(os.listdir(host_dir)) == before_listing
    assert not (host_dir / "x").exists()
    host_mps = [m["mountpoint"] for m in read_mountinfo()]
    assert not any(mp.startswith(str(host_dir)) for mp in host_mps)
    assert not snap.new_mounts([cid])
    if res.rc != 0:
        return cid, None, None
    pid = rt.pid(cid)
    mi = read_mountinfo(pid)
    # resolved as if the rootfs were "/": the mount is inside the rootfs
    inside = os.path.normpath(os.path.join("/", str(host_dir).lstrip("/"),
                                           "x"))
    assert find_mount(mi, inside) is not None, [m["mountpoint"] for m in mi]
    assert (bundle.rootfs / str(host_dir).lstrip("/") / "x").is_dir()
    return cid, pid, mi


def test_symlink_escape_absolute_tmpfs(rt, bundle, host_dir):
    cid, pid, mi = _escape_case(
        rt, bundle, host_dir, str(host_dir),
        lambda b: b.add_mount("/evil/x", "tmpfs", "tmpfs", ["size=1m"]))
    assert pid is not None, "runtime refused a mount it can resolve safely"


def test_symlink_escape_relative_bind(rt, bundle, host_dir, env):
    src = env.host_dir("src")
    (src / "payload").write_text("p")
    cid, pid, mi = _escape_case(
        rt, bundle, host_dir, "../" * 12 + str(host_dir).lstrip("/"),
        lambda b: b.bind(src, "/evil/x"))
    assert pid is not None, "runtime refused a mount it can resolve safely"


@runc_diff("runc 1.1 accepts `..` in a destination and keeps it inside the rootfs")
def test_symlink_escape_through_dotdot_destination(rt, bundle, host_dir):
    # a destination with ".." components is refused, and leaves nothing
    rel = "/" + "../" * 12 + str(host_dir).lstrip("/") + "/x"
    bundle.add_mount(rel, "tmpfs", "tmpfs", ["size=1m"])
    before = sorted(os.listdir(host_dir))
    cid = unique_id()
    res = rt.create(cid, bundle.sh("sleep 30"), check=False)
    assert sorted(os.listdir(host_dir)) == before
    host_mps = [m["mountpoint"] for m in read_mountinfo()]
    assert not any(mp.startswith(str(host_dir)) for mp in host_mps)
    assert res.rc != 0, res
    assert len(res.err_lines) == 1 and "destination" in res.err and "`..`" in res.err, res
    assert not (bundle.rootfs / str(host_dir).lstrip("/")).exists()


def test_container_mounts_not_visible_on_host(rt, bundle, host_dir):
    snap = HostSnapshot(rt)
    bundle.bind(host_dir, "/mnt/data")
    bundle.add_mount("/scratch", "tmpfs", "tmpfs", ["size=1m"])
    cid, pid, mi = container_mounts(rt, bundle)
    assert find_mount(mi, "/scratch") is not None
    assert snap.new_mounts([cid]) == []
    assert not os.listdir(bundle.rootfs / "dev")


def test_mounts_gone_after_delete(rt, bundle):
    snap = HostSnapshot(rt)
    cid, pid, mi = container_mounts(rt, bundle)
    rt.delete(cid, force=True)
    assert snap.new_mounts([cid]) == []


@pytest.mark.parametrize("case", ["dir-0750", "dir-1730", "missing", "mode-option"])
def test_tmpfs_root_takes_the_mode_of_the_mountpoint(rt, ref, env, case):
    """As runc and crun: a tmpfs on a directory that is there takes its
    mode; on one the runtime makes, the kernel's 1777.  As runc, the
    directory's mode wins over a mode= option (crun lets the option win)."""
    want = {"dir-0750": "750", "dir-1730": "1730", "missing": "1777",
            "mode-option": "750"}[case]
    for r in [rt] + ([ref] if ref else []):
        b = env.bundle()
        if case != "missing":
            d = b.rootfs / "mnt" / "t"
            d.mkdir(parents=True)
            os.chmod(d, 0o1730 if case == "dir-1730" else 0o750)
        b.add_mount("/mnt/t", "tmpfs", type="tmpfs",
                    options=["nosuid"] + (["mode=0700"] if case == "mode-option" else []))
        res = run_output(r, b, "stat -c %a /mnt/t")
        assert res.rc == 0, (r.name, res)
        assert res.out.strip() == want, (r.name, res.out)



def _userns_without_netns(b):
    b.set_namespace("user").remove_namespace("network")
    for key in ("uidMappings", "gidMappings"):
        b.linux[key] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    return b


RUNC_NO_SYSFS_BIND = pytest.mark.xfail(
    strict=True, reason="runc 1.1.5 fails: mount sysfs: operation not permitted")


@pytest.mark.parametrize("which", ["ocirt", pytest.param("runc", marks=RUNC_NO_SYSFS_BIND)])
@pytest.mark.parametrize("case", ["ro", "rw", "no-cgroup-mount"])
def test_sysfs_in_a_user_namespace_without_a_network_namespace(rt, ref, env, which, case):
    """sysfs may not be mounted in a user namespace that does not own the
    network namespace: as crun, /sys is then the host's, bound
    recursively, nosuid, nodev, noexec, read-only if asked (the whole
    tree from Linux 5.12), and the host's cgroupfs is hidden unless the
    config mounts something on /sys/fs/cgroup."""
    r = rt if which == "ocirt" else ref
    if r is None:
        pytest.skip("no reference runtime")
    b = _userns_without_netns(env.bundle())
    sysfs = [m for m in b.config["mounts"] if m["destination"] == "/sys"][0]
    if case == "rw":
        sysfs["options"].remove("ro")
    if case == "no-cgroup-mount":
        b.config["mounts"] = [m for m in b.config["mounts"]
                              if m["destination"] != "/sys/fs/cgroup"]
    res = run_output(r, b, "ls /sys/kernel >/dev/null && echo sys-there; "
                     "ls /sys/fs/cgroup | wc -l; "
                     "grep -E ' /sys(/| )' /proc/self/mountinfo")
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[0] == "sys-there", res.out
    if case == "no-cgroup-mount":
        assert lines[1] == "0", res.out
    else:
        assert int(lines[1]) > 0, res.out
    top = lines[2].split()
    assert top[4] == "/sys", res.out
    opts = set(top[5].split(","))
    assert {"nosuid", "nodev", "noexec"} <= opts, lines[2]
    assert ("ro" in opts) == (case != "rw"), lines[2]
    if case == "ro" and not mount_setattr_missing():
        # the host's submounts too
        assert all("ro" in ln.split()[5].split(",") for ln in lines[3:]), res.out
