"""Device rules on a pure cgroup v2 host: linux.resources.devices, the
default allow list and linux.devices become an eBPF program attached to
the container's cgroup.  On a v1 or hybrid host the v1 devices controller
applies instead and these tests are skipped; run them on v2 with
``tests/cgroup-v2/run.sh tests/integration/test_devices_cgroup.py``.

The checks are made inside the container, by opening device nodes made
with CAP_MKNOD (mknod itself is allowed by the default "c *:* m" and
"b *:* m" rules, as with runc).  The results are compared with runc's.
"""

import os

import pytest

from lib.cgroups import cgroup_path_for
from lib.runtime import unique_id

CG = "/sys/fs/cgroup"
V2 = os.path.exists(os.path.join(CG, "cgroup.controllers"))
pytestmark = pytest.mark.skipif(
    not V2, reason="pure cgroup v2 host needed (device rules use the v1 "
    "devices controller here); run tests/cgroup-v2/run.sh")

EPERM = "Operation not permitted"

# Each line: NAME ok, or NAME and the shell's error.
PROBE = """
try() { name=$1; shift; if out=$( ("$@") 2>&1 ); then echo "$name ok"; \
else echo "$name ${out##*: }"; fi; }
try null sh -c 'echo x > /dev/null'
try mknod-b mknod /dev/sda0 b 8 0
try mknod-c mknod /dev/mem c 1 1
try open-b sh -c 'exec 3< /dev/sda0'
try open-c sh -c 'exec 3< /dev/mem'
mknod /dev/kmsg c 1 11
try kmsg sh -c 'echo ocirt-devices-test > /dev/kmsg'
"""


def configure(bundle, cid, extra_rules=()):
    bundle.sh(PROBE)
    caps = bundle.process["capabilities"]
    for key in ("bounding", "effective", "permitted"):
        if "CAP_MKNOD" not in caps[key]:
            caps[key].append("CAP_MKNOD")
    bundle.linux["cgroupsPath"] = cgroup_path_for(cid)
    bundle.linux["resources"]["devices"] += list(extra_rules)
    return bundle


def probe(rt, bundle, extra_rules=()):
    cid = unique_id()
    res = rt.run(cid, configure(bundle, cid, extra_rules), timeout=60)
    assert res.rc == 0, res
    out = dict(line.split(" ", 1) for line in res.out.splitlines() if line)
    return out


def test_default_rules(rt, bundle):
    out = probe(rt, bundle)
    assert out["null"] == "ok"
    assert out["mknod-b"] == "ok"
    assert out["mknod-c"] == "ok"
    assert out["open-b"] == EPERM
    assert out["open-c"] == EPERM
    assert out["kmsg"] == EPERM


def test_explicit_allow(rt, bundle):
    out = probe(rt, bundle, [
        {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"},
        {"allow": True, "type": "b", "major": 8, "minor": 0, "access": "r"},
    ])
    assert out["null"] == "ok"
    assert out["kmsg"] == "ok"
    # Past the program: the disk may be missing (ENXIO), not refused.
    assert out["open-b"] != EPERM
    assert out["open-c"] == EPERM


def test_deny_after_allow(rt, bundle):
    # The last matching rule wins: the deny of write hides the allow.
    out = probe(rt, bundle, [
        {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "rw"},
        {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "w"},
    ])
    assert out["kmsg"] == EPERM
    assert out["null"] == "ok"


def test_allow_all(rt, bundle):
    out = probe(rt, bundle, [{"allow": True, "access": "rwm"}])
    assert out["kmsg"] == "ok"
    assert out["open-b"] != EPERM


def test_program_outlives_runtime(rt, bundle):
    """create exits; the attached program stays in force for exec."""
    cid = unique_id()
    configure(bundle, cid)
    bundle.sh("sleep 60")
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "running")
    res = rt("exec", cid, "sh", "-c",
             "echo x > /dev/null && echo null-ok; "
             "mknod /dev/kmsg c 1 11; "
             "echo x > /dev/kmsg || echo kmsg-denied")
    assert res.rc == 0, res
    assert res.out.split() == ["null-ok", "kmsg-denied"]
    assert EPERM in res.err
    rt.kill(cid, "KILL")


@pytest.mark.parametrize("extra", [
    [],
    [{"allow": True, "type": "c", "major": 1, "minor": 11, "access": "w"}],
    [{"allow": True, "type": "c", "major": 1, "minor": 11, "access": "rw"},
     {"allow": False, "type": "c", "major": 1, "minor": 11, "access": "w"}],
    [{"allow": True, "type": "b", "major": 8, "minor": 0, "access": "r"}],
], ids=["default", "allow-kmsg", "deny-after-allow", "allow-block"])
def test_same_as_runc(rt, ref, bundle, env, extra):
    if ref is None:
        pytest.skip("runc is not installed")
    ours = probe(rt, bundle, extra)
    theirs = probe(ref, env.bundle(), extra)
    assert ours == theirs
