"""Path attacks on the runtime's setup, performed with a hostile rootfs or
a hostile volume, and shown to fail.  Each test names the CVE whose
pattern it replays; docs/security.md maps defences to these tests."""

import os
import subprocess
import threading

import pytest

from lib.host import find_mount, read_mountinfo
from lib.runtime import create_refused, create_running, run_output, runc_diff, unique_id


def _replace_dev_with(bundle, host_dir):
    """/dev of the container is HOST_DIR (a volume the attacker fills);
    the filesystems below /dev are still mounted on it."""
    mounts = bundle.config["mounts"]
    i = next(i for i, m in enumerate(mounts) if m["destination"] == "/dev")
    mounts[i] = {"destination": "/dev", "type": "bind", "source": str(host_dir),
                 "options": ["rbind"]}
    if not os.path.lexists(host_dir / "ptmx"):
        os.symlink("pts/ptmx", host_dir / "ptmx")


@runc_diff("runc 1.1.5 masks with whatever /dev/null is (CVE-2025-31133)")
@pytest.mark.parametrize("kind", ["symlink", "file"])
def test_masking_refuses_a_dev_null_that_is_not_the_null_device(rt, bundle, host_dir, kind):
    """CVE-2025-31133: /dev/null swapped for a symlink to a sysctl (or for
    a plain file) would turn every masked file into a writable window on
    it.  The runtime checks that /dev/null is char 1:3 first."""
    if kind == "symlink":
        os.symlink("/proc/sys/kernel/core_pattern", host_dir / "null")
    else:
        (host_dir / "null").write_text("not a device")
    _replace_dev_with(bundle, host_dir)
    bundle.sh("true")
    create_refused(rt, bundle, "/dev/null", "null device")


@pytest.mark.parametrize("target", ["/proc", "/sys"])
def test_proc_and_sys_never_mounted_through_a_symlink(rt, bundle, target):
    """CVE-2019-16884 / CVE-2019-19921: the rootfs makes /proc (or /sys) a
    symlink to another directory so that the filesystem lands where the
    LSM policy or a shared volume does not expect it."""
    path = bundle.rootfs / target.lstrip("/")
    os.rmdir(path)
    (bundle.rootfs / "elsewhere").mkdir()
    os.symlink("/elsewhere", path)
    bundle.sh("true")
    res = create_refused(rt, bundle, target)
    assert "symlink" in res.err or "ordinary directory" in res.err, res
    assert os.listdir(bundle.rootfs / "elsewhere") == []


@runc_diff("runc 1.1.5 makes /dev entries through the symlink (CVE-2026-41579)")
@pytest.mark.parametrize("link", ["absolute", "relative"])
def test_dev_symlink_out_of_the_rootfs_touches_nothing_on_the_host(rt, bundle, host_dir, link):
    """CVE-2026-41579: a rootfs whose /dev points outside it (to a host
    directory) made runc delete a host file named ptmx and create its
    /dev symlinks there.  Every /dev entry is made relative to the rootfs,
    the symlink resolved inside it."""
    (host_dir / "ptmx").write_text("decoy")
    before = sorted(os.listdir(host_dir))
    os.rmdir(bundle.rootfs / "dev")
    if link == "absolute":
        os.symlink(str(host_dir), bundle.rootfs / "dev")
    else:
        os.symlink("../" * 12 + str(host_dir).lstrip("/"), bundle.rootfs / "dev")
    res = run_output(rt, bundle, "ls /dev/null /dev/ptmx /dev/fd >/dev/null && echo ok")
    assert res.rc == 0 and "ok" in res.out, res
    assert sorted(os.listdir(host_dir)) == before
    assert (host_dir / "ptmx").read_text() == "decoy"


@runc_diff("runc 1.1.5 writes sysctls through the container's /proc (CVE-2025-52881)")
def test_sysctl_write_cannot_be_redirected_by_a_mount(rt, bundle, host_dir):
    """CVE-2025-52881: a mount over a /proc/sys file redirects the
    runtime's write to whatever was mounted there.  Writes go through a
    private procfs instance."""
    decoy = host_dir / "decoy"
    decoy.write_text("0\n")
    bundle.config["mounts"].append({
        "destination": "/proc/sys/net/ipv4/ip_forward", "type": "bind",
        "source": str(decoy), "options": ["bind"]})
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1"}
    bundle.linux["readonlyPaths"] = []
    cid, pid = create_running(rt, bundle)
    assert decoy.read_text() == "0\n"
    out = subprocess.run(["nsenter", "-t", str(pid), "-n", "cat",
                          "/proc/sys/net/ipv4/ip_forward"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"


@runc_diff("runc 1.1.5 binds the terminal through a /dev/console symlink")
def test_console_never_bound_through_a_symlink(rt, bundle, host_dir):
    """CVE-2025-52565: /dev/console planted as a symlink (here to a procfs
    file) would receive the terminal's bind mount instead."""
    os.symlink("/proc/sysrq-trigger", host_dir / "console")
    os.mknod(host_dir / "null", 0o666 | 0o020000, os.makedev(1, 3))
    _replace_dev_with(bundle, host_dir)
    bundle.process["terminal"] = True
    bundle.sh("true")
    bundle.write()
    p = subprocess.run(rt.argv("run", "--bundle", bundle, unique_id()),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    err = p.stderr.decode().strip().splitlines()
    assert p.returncode != 0, (p.returncode, p.stdout, err)
    assert len(err) == 1 and "/dev/console" in err[0], err
    assert "symlink" in err[0] or "symbolic links" in err[0], err


def test_mount_destination_race_stays_in_the_rootfs(rt, bundle, host_dir, env):
    """CVE-2021-30465: a volume shared with a hostile container, in which a
    directory on a mount destination's path is swapped for a symlink
    while the runtime mounts.  Mounts are made through fds resolved inside
    the rootfs: whatever the racer does, nothing lands outside it."""
    victim = env.host_dir("victim")
    vol = host_dir
    (vol / "d").mkdir()
    stop = threading.Event()
    link_target = "../" * 12 + str(victim).lstrip("/")
    in_root = {"/vol/d/tmp", "/vol/d.real/tmp", f"{victim}/tmp"}

    def racer():
        while not stop.is_set():
            try:
                os.rename(vol / "d", vol / "d.real")
                os.symlink(link_target, vol / "d")
                os.unlink(vol / "d")
                os.rename(vol / "d.real", vol / "d")
            except OSError:
                pass

    bundle.bind(vol, "/vol")
    bundle.config["mounts"].append({"destination": "/vol/d/tmp", "type": "tmpfs",
                                    "source": "tmpfs", "options": ["size=64k"]})
    bundle.sh("sleep 30")
    t = threading.Thread(target=racer, daemon=True)
    t.start()
    try:
        for _ in range(15):
            cid = unique_id()
            res = rt.create(cid, bundle, check=False)
            if res.rc == 0:
                pid = rt.pid(cid)
                mi = read_mountinfo(pid)
                tmp = [m for m in mi if m["fstype"] == "tmpfs"
                       and "size=64k" in m["super_options"]]
                assert len(tmp) == 1, [m["mountpoint"] for m in mi]
                # it is in the container's own tree: mountinfo shows it
                # below the container's root as /vol/d/tmp or /vol/d.real/tmp
                # (whichever name the racer's directory has right now; a
                # later isdir would race), or, when the link was in place,
                # where the link leads resolved inside the rootfs, as a
                # chroot would (mountinfo hides mounts outside the root)
                assert tmp[0]["mountpoint"] in in_root, tmp[0]
                rt.delete(cid, force=True)
    finally:
        stop.set()
        t.join()
    # the victim directory on the host was never written to
    assert os.listdir(victim) == []


MASKED_FILE = next((p for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list")
                    if os.path.exists(p)), None)


@pytest.mark.skipif(MASKED_FILE is None, reason="no maskable /proc file on this kernel")
def test_masked_paths_cannot_be_unmounted(rt, bundle):
    """A container with the default capabilities cannot take a mask off."""
    assert MASKED_FILE in bundle.linux["maskedPaths"]
    cid, pid = create_running(rt, bundle, script=f"umount {MASKED_FILE} 2>/dev/null;"
                              f" umount -l {MASKED_FILE} 2>/dev/null; echo tried > /tmp/t; sleep 30")
    root = f"/proc/{pid}/root"
    wait_for_file = 0
    while not os.path.exists(f"{root}/tmp/t") and wait_for_file < 500:
        wait_for_file += 1
        threading.Event().wait(0.02)
    assert os.path.exists(f"{root}/tmp/t")
    m = find_mount(read_mountinfo(pid), MASKED_FILE)
    assert m is not None, f"the mask on {MASKED_FILE} is gone"
