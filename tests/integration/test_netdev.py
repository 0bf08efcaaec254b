"""linux.netDevices: host interfaces moved into the container's network
namespace, checked from the host with ``ip`` (through ``nsenter`` into the
container's namespace).

The devices are veth pairs made for each test (this kernel may lack the
dummy driver) with unique ``oc…`` names; a finalizer deletes whatever end is
still on the host, which takes the peer with it.  runc 1.1 ignores
``netDevices``: every test here is marked ``runc_diff``.
"""

import json
import os
import re
import subprocess
import uuid

import pytest

from lib.host import HostSnapshot
from lib.procs import ns_inode
from lib.runtime import assert_single_line_error, created, run_output, runc_diff, unique_id
from lib.waiting import wait_for

V4 = ("10.99.7.5", 24)
V6 = ("fd00:99:7::5", 64)

pytestmark = runc_diff("runc 1.1 ignores linux.netDevices")


def ip(*args, pid=None, check=True):
    argv = ["ip"] + list(args)
    if pid is not None:
        argv = ["nsenter", "-t", str(pid), "-n"] + argv
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=20)
    if check and p.returncode != 0:
        raise AssertionError(f"{argv}: {p.stderr.decode()}")
    return p


def link(name, pid=None, netns=None):
    """`ip -j addr show` of one device (dict), or None when it is not there."""
    pre = ["-n", netns] if netns else []
    p = ip(*pre, "-j", "addr", "show", "dev", name, pid=pid, check=False)
    if p.returncode != 0:
        return None
    data = json.loads(p.stdout)
    return data[0] if data else None


def global_addrs(info):
    return sorted((a["family"], a["local"], a["prefixlen"])
                  for a in info.get("addr_info", []) if a.get("scope") == "global")


def names_in(pid=None, netns=None):
    pre = ["-n", netns] if netns else []
    return {d["ifname"] for d in json.loads(ip(*pre, "-j", "link", "show",
                                               pid=pid).stdout)}


class Veth:
    """A veth pair on the host; ``a`` carries the test addresses."""

    def __init__(self):
        tag = uuid.uuid4().hex[:8]
        self.a, self.b = f"oc{tag}a", f"oc{tag}b"
        ip("link", "add", self.a, "type", "veth", "peer", "name", self.b)
        ip("addr", "add", f"{V4[0]}/{V4[1]}", "dev", self.a)
        ip("addr", "add", f"{V6[0]}/{V6[1]}", "dev", self.a, "nodad")
        ip("link", "set", self.a, "up")
        ip("link", "set", self.b, "up")
        self.before = link(self.a)

    def remove(self):
        for n in (self.a, self.b):
            if link(n) is not None:
                ip("link", "del", n, check=False)

    def assert_untouched(self):
        now = link(self.a)
        assert now is not None, f"{self.a} is gone from the host"
        assert now["ifindex"] == self.before["ifindex"]
        assert global_addrs(now) == global_addrs(self.before)
        assert "UP" in now["flags"]
        assert link(self.b) is not None


@pytest.fixture
def veth():
    v = Veth()
    yield v
    v.remove()


@pytest.fixture
def netns():
    """A named network namespace (``ip netns add``), deleted afterwards."""
    name = f"ocirt-nd-{uuid.uuid4().hex[:8]}"
    ip("netns", "add", name)
    yield name
    ip("netns", "del", name, check=False)


EXPECTED = [("inet", V4[0], V4[1]), ("inet6", V6[0], V6[1])]


def test_moved_renamed_with_addresses_and_up(rt, bundle, veth):
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    cid, pid = created(rt, bundle.sh("sleep 30"))

    inside = link("eth1", pid=pid)
    assert inside is not None, names_in(pid=pid)
    assert inside["ifindex"] == veth.before["ifindex"]
    assert inside["address"] == veth.before["address"]
    assert global_addrs(inside) == EXPECTED
    assert "UP" in inside["flags"]
    assert names_in(pid=pid) == {"lo", "eth1"}
    # gone from the host; the peer stays
    assert link(veth.a) is None
    assert link(veth.b) is not None
    assert veth.a not in names_in()


def test_kept_name_without_rename(rt, bundle, veth):
    bundle.linux["netDevices"] = {veth.a: {}}
    cid, pid = created(rt, bundle.sh("sleep 30"))
    inside = link(veth.a, pid=pid)
    assert inside is not None
    assert global_addrs(inside) == EXPECTED
    assert link(veth.a) is None


def test_container_sees_the_device(rt, bundle, veth):
    bundle.linux["netDevices"] = {veth.a: {"name": "net0"}}
    res = run_output(rt, bundle, "ip -o addr show dev net0; "
                                 "ip -o link show dev net0")
    assert res.rc == 0, res
    assert f"inet {V4[0]}/{V4[1]}" in res.out
    assert f"inet6 {V6[0]}/{V6[1]}" in res.out
    assert re.search(r"net0@\S+ <\S*\bUP\b", res.out), res.out


def test_name_template(rt, bundle, veth):
    bundle.linux["netDevices"] = {veth.a: {"name": "ext%d"}}
    cid, pid = created(rt, bundle.sh("sleep 30"))
    assert names_in(pid=pid) == {"lo", "ext0"}
    assert global_addrs(link("ext0", pid=pid)) == EXPECTED


def test_two_devices(rt, bundle, veth):
    other = Veth()
    try:
        bundle.linux["netDevices"] = {veth.a: {"name": "eth0"},
                                      other.a: {"name": "eth1"}}
        cid, pid = created(rt, bundle.sh("sleep 30"))
        assert names_in(pid=pid) == {"lo", "eth0", "eth1"}
        assert link(veth.a) is None and link(other.a) is None
    finally:
        other.remove()


def test_delete_destroys_a_virtual_device(rt, bundle, veth):
    """The runtime does not move it back (the spec forbids it): the
    namespace dies with the container and the kernel destroys a veth, its
    peer on the host with it."""
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    cid, pid = created(rt, bundle.sh("sleep 30"))
    rt.delete(cid, force=True)
    # the kernel tears a dead namespace's devices down in the background
    wait_for(lambda: link(veth.b) is None, 60, what=f"{veth.b} to go away")
    assert link(veth.a) is None
    assert link("eth1") is None


def test_joined_namespace_keeps_the_device(rt, bundle, veth, netns):
    bundle.set_namespace("network", f"/run/netns/{netns}")
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    cid, pid = created(rt, bundle.sh("sleep 30"))
    assert global_addrs(link("eth1", netns=netns)) == EXPECTED
    assert link(veth.a) is None
    rt.delete(cid, force=True)
    # the namespace outlives the container, the device stays in it
    assert global_addrs(link("eth1", netns=netns)) == EXPECTED
    assert link(veth.a) is None


def _user_namespace(bundle, host_id=100000):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = [
        {"containerID": 0, "hostID": host_id, "size": 65536}]
    bundle.linux["gidMappings"] = [
        {"containerID": 0, "hostID": host_id, "size": 65536}]
    return bundle


def test_user_namespace(rt, bundle, veth):
    """The network namespace belongs to the container's user namespace."""
    _user_namespace(bundle).linux["netDevices"] = {veth.a: {"name": "eth1"}}
    cid, pid = created(rt, bundle.sh("sleep 30"))
    assert global_addrs(link("eth1", pid=pid)) == EXPECTED
    assert link(veth.a) is None


@pytest.mark.parametrize("hook", [None, "createRuntime"])
def test_joined_user_namespace(rt, bundle, env, veth, hook):
    """Joining a user namespace by path, the container process makes its
    network namespace itself: the device moves once it has."""
    # the joining runtime keeps its ids: map root to root
    owner, owner_pid = created(rt, _user_namespace(bundle, 0).sh("sleep 30"))
    b = env.bundle()
    b.set_namespace("user", f"/proc/{owner_pid}/ns/user")
    # /proc is mounted for a pid namespace of that user namespace
    b.set_namespace("pid", f"/proc/{owner_pid}/ns/pid")
    b.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    if hook:
        b.config["hooks"] = {hook: [{"path": "/bin/true"}]}
    cid, pid = created(rt, b.sh("sleep 30"))
    assert ns_inode(pid, "net") != ns_inode(owner_pid, "net")
    assert global_addrs(link("eth1", pid=pid)) == EXPECTED
    assert link(veth.a) is None


@pytest.mark.parametrize("hook", ["prestart", "createRuntime"])
def test_runtime_hooks_see_the_device(rt, bundle, veth, host_dir, hook):
    out = host_dir / "hook.out"
    script = host_dir / "hook.sh"
    script.write_text("#!/bin/sh\n"
                      "pid=$(sed 's/.*\"pid\": *\\([0-9]*\\).*/\\1/')\n"
                      f"nsenter -t \"$pid\" -n ip -o addr show > {out}\n")
    script.chmod(0o755)
    bundle.config["hooks"] = {hook: [{"path": str(script)}]}
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    created(rt, bundle.sh("sleep 30"))
    assert f"eth1    inet {V4[0]}/{V4[1]}" in out.read_text()


def test_sysctl_of_the_device(rt, bundle, veth):
    """Sysctls are written in the container once the device is there."""
    bundle.linux["sysctl"] = {"net.ipv6.conf.eth1.accept_ra": "0",
                              "net.ipv4.conf.eth1.rp_filter": "2"}
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    res = run_output(rt, bundle, "cat /proc/sys/net/ipv6/conf/eth1/accept_ra "
                                 "/proc/sys/net/ipv4/conf/eth1/rp_filter")
    assert res.rc == 0, res
    assert res.out.split() == ["0", "2"]


def test_failed_create_moves_the_device_back(rt, bundle, veth):
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    snap = HostSnapshot(rt)
    cid = unique_id()
    res = rt.create(cid, bundle, check=False)
    assert_single_line_error(res, "createRuntime")
    snap.assert_clean(ids=[cid])
    veth.assert_untouched()


def test_failed_container_setup_leaves_the_device(rt, bundle, veth, env):
    """The container process fails (a bind mount of nothing) while or
    before the runtime moves the device: its error is the one reported,
    and the device ends up where it was."""
    missing = env.base / "no-such-source"
    bundle.add_mount("/mnt", missing, "bind", ["rbind"])
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    _fails(rt, bundle, str(missing))
    veth.assert_untouched()


def test_failed_create_in_joined_namespace_moves_back(rt, bundle, veth,
                                                      netns):
    bundle.set_namespace("network", f"/run/netns/{netns}")
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    cid = unique_id()
    res = rt.create(cid, bundle, check=False)
    assert_single_line_error(res, "createRuntime")
    veth.assert_untouched()
    assert names_in(netns=netns) == {"lo"}


def _fails(rt, bundle, *mentions):
    snap = HostSnapshot(rt)
    cid = unique_id()
    res = rt.create(cid, bundle, check=False)
    line = assert_single_line_error(res, *mentions)
    snap.assert_clean(ids=[cid])
    return line


def test_missing_device(rt, bundle, veth):
    bundle.linux["netDevices"] = {veth.a: {}, "ocnosuchdev0": {}}
    _fails(rt, bundle, "`ocnosuchdev0`", "does not exist")
    veth.assert_untouched()


def test_needs_a_network_namespace(rt, bundle, veth):
    bundle.remove_namespace("network")
    bundle.linux["netDevices"] = {veth.a: {}}
    _fails(rt, bundle, "netDevices", "network namespace")
    veth.assert_untouched()


def test_runtime_network_namespace_by_path(rt, bundle, veth):
    path = f"/proc/{os.getpid()}/ns/net"
    bundle.set_namespace("network", path)
    bundle.linux["netDevices"] = {veth.a: {}}
    _fails(rt, bundle, path, "runtime's own")
    veth.assert_untouched()


@pytest.mark.parametrize("key,name,why", [
    ("a/b", None, "contains `/`"),
    ("x" * 16, None, "longer than 15 bytes"),
    ("..", None, "not a valid interface name"),
    ("a b", None, "white space"),
    ("eth%d", None, "contains `%`"),
    (None, "eth:0", "contains `:`"),
    (None, "bad/name", "contains `/`"),
    (None, "y" * 16, "longer than 15 bytes"),
    (None, "e%s", "not one `%d`"),
])
def test_bad_names(rt, bundle, veth, key, name, why):
    bundle.linux["netDevices"] = {key or veth.a:
                                  {"name": name} if name else {}}
    _fails(rt, bundle, "netDevices", why, name or key)
    veth.assert_untouched()


def test_same_name_twice(rt, bundle, veth):
    other = Veth()
    try:
        bundle.linux["netDevices"] = {veth.a: {"name": "eth0"},
                                      other.a: {"name": "eth0"}}
        _fails(rt, bundle, veth.a, other.a, "`eth0`")
        veth.assert_untouched()
        other.assert_untouched()
    finally:
        other.remove()


def test_name_taken_in_the_container(rt, bundle, veth):
    bundle.linux["netDevices"] = {veth.a: {"name": "lo"}}
    _fails(rt, bundle, f"`{veth.a}`", "`lo` exists")
    veth.assert_untouched()


def test_name_taken_in_joined_namespace(rt, bundle, veth, netns):
    ip("-n", netns, "link", "add", "eth1", "type", "veth", "peer", "name",
       "eth2")
    bundle.set_namespace("network", f"/run/netns/{netns}")
    bundle.linux["netDevices"] = {veth.a: {"name": "eth1"}}
    _fails(rt, bundle, f"`{veth.a}`", "`eth1` exists")
    veth.assert_untouched()
    assert names_in(netns=netns) == {"lo", "eth1", "eth2"}


def test_netns_local_device_cannot_move(rt, bundle):
    """A bridge stays in its namespace: the kernel's refusal is the error,
    after the container process exists, and nothing is left."""
    br = f"oc{uuid.uuid4().hex[:8]}br"
    ip("link", "add", br, "type", "bridge")
    try:
        bundle.linux["netDevices"] = {br: {"name": "eth1"}}
        _fails(rt, bundle, f"move `{br}`", "Invalid argument")
        assert link(br) is not None
    finally:
        ip("link", "del", br, check=False)


def test_loopback_cannot_move(rt, bundle):
    bundle.linux["netDevices"] = {"lo": {"name": "lo0"}}
    _fails(rt, bundle, "`lo`", "loopback")
    assert link("lo") is not None


def test_features_report_net_devices(rt):
    res = rt("features", root=False)
    assert res.rc == 0, res
    assert json.loads(res.out)["linux"]["netDevices"] == {"enabled": True}
