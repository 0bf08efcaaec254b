"""The scripts in contrib/examples, run as a user would run them.

bridge-network.sh makes a bridge, two named network namespaces, veth pairs
and two containers; the tests check its output and that none of what it
made is left, whether it succeeds or fails half way.
"""

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from lib.cgroups import SUITE_CGROUP
from lib.runtime import OCIRT, runc_diff

SCRIPT = Path(__file__).resolve().parents[2] / "contrib" / "examples" / \
    "bridge-network.sh"


def leftovers(tag):
    links = subprocess.run(["ip", "-o", "link", "show"], check=True,
                           stdout=subprocess.PIPE).stdout.decode()
    found = [ln.split(":")[1].strip() for ln in links.splitlines()
             if f"-{tag}" in ln.split(":")[1]]
    netns = os.listdir("/run/netns") if os.path.isdir("/run/netns") else []
    found += [f"netns {n}" for n in netns if n.endswith(f"-{tag}")]
    return found


def run_script(tag, ocirt=OCIRT, timeout=600):
    # generous: a run takes seconds here, minutes in an emulated VM lane
    env = dict(os.environ, OCIRT=ocirt, TAG=tag)
    if SUITE_CGROUP:
        env["CGROUP_PARENT"] = SUITE_CGROUP
    before = set(os.listdir("/tmp"))
    p = subprocess.run([str(SCRIPT)], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    new_tmp = [d for d in set(os.listdir("/tmp")) - before
               if d.startswith("ocirt-bridge.")]
    return p.returncode, p.stdout.decode(errors="replace"), new_tmp


@pytest.fixture
def tag():
    t = uuid.uuid4().hex[:4]
    yield t
    # a failing test still leaves nothing of the script behind
    for name in leftovers(t):
        if name.startswith("netns "):
            subprocess.run(["ip", "netns", "del", name[6:]])
        else:
            subprocess.run(["ip", "link", "del", name.split("@")[0]],
                           stderr=subprocess.DEVNULL)


@runc_diff("runc 1.1 ignores linux.netDevices")
def test_bridge_network(tag):
    rc, out, new_tmp = run_script(tag)
    assert rc == 0, out
    for line in (f"ocirt-a-{tag}: eth0 10.0.11.2/16",
                 f"ocirt-b-{tag}: eth0 10.0.11.3/16",
                 f"ping ocirt-a-{tag} -> 10.0.11.3: ok",
                 f"ping ocirt-b-{tag} -> 10.0.11.2: ok",
                 f"ping ocirt-a-{tag} -> 10.0.11.1: ok",
                 f"ping ocirt-b-{tag} -> 10.0.11.1: ok",
                 "nsenter ping 10.0.11.3: ok",
                 "default via 10.0.11.1 dev eth0",
                 "all pings answered", "cleaned up"):
        assert line in [ln.rstrip() for ln in out.splitlines()], \
            f"{line!r} missing in:\n{out}"
    assert leftovers(tag) == []
    assert new_tmp == []


@runc_diff("runc 1.1 ignores linux.netDevices: the script stops earlier")
def test_bridge_network_cleans_up_after_a_failure(tag, tmp_path):
    """create of the second container fails: the bridge, the namespaces,
    the veth pairs and the first container are removed all the same."""
    wrapper = tmp_path / "ocirt"
    wrapper.write_text("#!/bin/sh\n"
                       f'case " $* " in *" create "*" ocirt-b-{tag}"*)\n'
                       '  echo "injected failure" >&2; exit 1;;\n'
                       "esac\n"
                       f'exec {OCIRT} "$@"\n')
    wrapper.chmod(0o755)
    rc, out, new_tmp = run_script(tag, ocirt=str(wrapper))
    assert rc == 1, out
    assert f"create ocirt-b-{tag}: injected failure" in out
    assert "cleaned up" in out.splitlines()
    assert leftovers(tag) == []
    assert new_tmp == []


def test_bridge_network_refuses_a_bad_tag():
    rc, out, new_tmp = run_script("NOT/OK")
    assert rc == 1
    assert "TAG must be" in out
    assert new_tmp == []
