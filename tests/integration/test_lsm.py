"""LSM labels applied for real: process.apparmorProfile and exec --apparmor,
on a host with AppArmor (the pure cgroup v2 VM lane boots a Debian kernel
that has it; this development host has no LSM and skips).  Checked from
the host through /proc/<pid>/attr/current, and by what the profile denies."""

import os
import shutil
import subprocess
import uuid

import pytest

from lib.procs import proc_cmdline
from lib.runtime import create_refused, create_running, run_output
from lib.waiting import wait_for


def _apparmor_usable():
    try:
        enabled = open("/sys/module/apparmor/parameters/enabled").read().startswith("Y")
    except OSError:
        return False
    if not enabled or not shutil.which("apparmor_parser"):
        return False
    if not os.path.isdir("/sys/kernel/security/apparmor"):
        subprocess.run(["mount", "-t", "securityfs", "securityfs", "/sys/kernel/security"],
                       stderr=subprocess.DEVNULL, check=False)
    return os.path.isdir("/sys/kernel/security/apparmor")


pytestmark = pytest.mark.skipif(not _apparmor_usable(), reason="AppArmor is not enabled here")

PROFILE = """
profile %s flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  unix,
  ptrace,
  mount,
  umount,
  pivot_root,
  deny /forbidden rw,
}
"""


@pytest.fixture
def profile(env):
    name = f"ocirt-test-{uuid.uuid4().hex[:8]}"
    path = env.base / f"{name}.aa"
    path.write_text(PROFILE % name)
    subprocess.run(["apparmor_parser", "-r", str(path)], check=True)
    try:
        yield name
    finally:
        subprocess.run(["apparmor_parser", "-R", str(path)], check=False)


def _attr(pid):
    return open(f"/proc/{pid}/attr/current").read().strip()


def test_apparmor_profile_confines_the_container(rt, bundle, profile):
    (bundle.rootfs / "forbidden").write_text("secret")
    bundle.process["apparmorProfile"] = profile
    cid, pid = create_running(rt, bundle)
    # the profile is taken at the exec
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec")
    assert _attr(pid) == f"{profile} (enforce)"
    res = rt("exec", cid, "cat", "/forbidden")
    assert res.rc != 0 and "secret" not in res.out, res
    assert "denied" in res.err.lower(), res


def test_without_a_profile_the_file_is_readable(rt, bundle):
    """The contrast: the same rootfs, no profile."""
    (bundle.rootfs / "forbidden").write_text("secret")
    res = run_output(rt, bundle, "cat /forbidden")
    assert res.rc == 0 and res.out == "secret", res


def test_exec_apparmor_flag(rt, bundle, profile):
    (bundle.rootfs / "forbidden").write_text("secret")
    cid, pid = create_running(rt, bundle)
    assert _attr(pid) in ("unconfined", "unconfined (unconfined)")
    res = rt("exec", "--apparmor", profile, cid, "sh", "-c", "cat /proc/self/attr/current; cat /forbidden")
    assert res.rc != 0, res
    assert res.out.startswith(f"{profile} (enforce)"), res
    assert "secret" not in res.out


def test_unknown_profile_is_an_error(rt, bundle):
    bundle.process["apparmorProfile"] = f"ocirt-absent-{uuid.uuid4().hex[:8]}"
    create_refused(rt, bundle, "apparmor")
