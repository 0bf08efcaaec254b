"""Faults: a runtime killed half way, a dead container process, a damaged
state file, a full state root, two creates of one id.

The failpoint tests need a runtime built with ``./configure
--enable-failpoints``: with ``OCIRT_FAILPOINT=<step>`` in its environment it
dies by SIGKILL at that step of ``create`` (``create.*``: the runtime;
``child.*``: the container process, before it runs anything of the
user's).  Such a build lists ``+FAILPOINTS`` in the last line of ``ocirt
--version``; on other builds those tests are skipped.
"""

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from lib.cgroups import cgroup_path_for, own_cgroups, SUITE_CGROUP
from lib.procs import leftover_processes, pid_alive
from lib.runtime import assert_single_line_error, OCIRT, unique_id, version_of
from lib.waiting import wait_for, wait_pid_gone
from lib.reliability import Snapshot

CGROUP_ROOT = "/sys/fs/cgroup"

FAILPOINTS_BUILT = "+FAILPOINTS" in version_of(OCIRT).split()
needs_failpoints = pytest.mark.skipif(
    not FAILPOINTS_BUILT,
    reason="the runtime under test was built without --enable-failpoints "
           "(no +FAILPOINTS in `ocirt --version`)")

#: steps of create in the runtime, in the order they happen, with what
#: exists once the step is done
RUNTIME_STEPS = [
    ("create.claimed", "dir"),        # <root>/<id> made and locked
    ("create.recorded", "record"),    # create.json written
    ("create.cgroups", "cgroups"),    # cgroup directories made
    # Until it said READY, the container process reads its socket to the
    # runtime, and ends by itself when the runtime is gone.
    ("create.cloned", "cgroups"),     # container process cloned
    ("create.resources", "cgroups"),  # process in its cgroups, limits set
    # Then it waits for `start` on the exec fifo: only its cgroups find it.
    ("create.ready", "process"),      # the process said READY
    ("create.state", "created"),      # state.json written
]
#: steps in the container process
CHILD_STEPS = ["child.cloned", "child.namespaces", "child.rootfs", "child.ready"]


def fault_bundle(env, cid, args=("sleep", "600")):
    """Cheap config, with a cgroup of its own and limits in it."""
    b = env.bundle()
    b.set_args(*args)
    b.linux["cgroupsPath"] = cgroup_path_for(f"fault-{cid}")
    b.linux["resources"].update({"memory": {"limit": 64 << 20},
                                 "pids": {"limit": 32}})
    return b


def container_cgroups(cid):
    """The container's directories in every hierarchy that has one.

    Its cgroupsPath nests it below this process's own cgroups (beside it,
    in its parent, on pure v2), or below the suite's root (a full walk of
    the host's hierarchies is much slower).
    """
    found = set()
    v2 = os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers"))
    for ctrl, path in own_cgroups().items():
        if ctrl.startswith("name="):
            continue
        if SUITE_CGROUP:
            top, parent = os.path.join(CGROUP_ROOT, ctrl or "unified"), SUITE_CGROUP
        elif v2:
            top, parent = CGROUP_ROOT, os.path.dirname(path)
        else:
            top, parent = os.path.join(CGROUP_ROOT, ctrl or "unified"), path
        d = os.path.join(top + parent.rstrip("/"), f"fault-{cid}")
        if os.path.isdir(d):
            found.add(os.path.realpath(d))
    return sorted(found)


def processes_in_cgroups(cid):
    pids = set()
    for d in container_cgroups(cid):
        try:
            pids |= {int(x) for x in Path(d, "cgroup.procs").read_text().split()}
        except OSError:
            pass
    return sorted(p for p in pids if pid_alive(p))


def assert_gone(snap, cid):
    """Nothing of cid left once every process of it has ended."""
    wait_for(lambda: not processes_in_cgroups(cid) and not leftover_processes(),
             timeout=10, what=f"the processes of {cid} to end")
    assert not container_cgroups(cid)
    snap.assert_clean(ids=[cid], cgroup_paths=[f"fault-{cid}"])


def create_at_failpoint(rt, env, step):
    """create with OCIRT_FAILPOINT=step: (id, snapshot from before, Result)."""
    cid = unique_id()
    b = fault_bundle(env, cid)
    snap = Snapshot(rt)
    rt.ids.add(cid)
    b.write()
    res = rt("create", "--bundle", b, cid, env=dict(os.environ, OCIRT_FAILPOINT=step))
    return cid, snap, res


def one_line_or_state(res):
    """`state` answers with a document, or one error line."""
    if res.rc == 0:
        st = json.loads(res.out)
        assert st["status"] in ("creating", "created", "running", "stopped"), st
        return st
    assert_single_line_error(res)
    return None


# --------------------------------------------------------------------------
# failpoints
# --------------------------------------------------------------------------


@needs_failpoints
@pytest.mark.parametrize("step,made", RUNTIME_STEPS, ids=[s for s, _ in RUNTIME_STEPS])
def test_runtime_killed_at_step_then_forced_delete_leaves_nothing(rt, env, step, made):
    cid, snap, res = create_at_failpoint(rt, env, step)
    assert res.rc == -signal.SIGKILL, res

    # the step was reached, and what it made is there
    assert os.path.isdir(os.path.join(rt.root, cid))
    if made in ("cgroups", "process", "created"):
        assert container_cgroups(cid), "no cgroup made before the step"
    if made in ("process", "created"):
        assert processes_in_cgroups(cid), "no container process in its cgroup"

    # a clear answer about the half-made container
    st = one_line_or_state(rt("state", cid))
    if made == "dir":
        assert st is None
        assert "interrupted" in rt("state", cid).err
    elif made == "created":
        assert st["status"] == "created" and st["pid"] > 0
        rt.remember_pid(st["pid"])
    else:
        # its creator is gone: it will never be more than this
        assert st == {**st, "status": "stopped", "pid": 0}
    if made != "created":
        assert_single_line_error(rt("start", cid))
        assert_single_line_error(rt("kill", cid, "KILL"))
        assert cid not in [c["id"] for c in rt.list_json() if c["status"] != "stopped"]

    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    assert_gone(snap, cid)
    assert rt("state", cid).rc != 0


@needs_failpoints
@pytest.mark.parametrize("step", CHILD_STEPS)
def test_container_process_dies_at_step_create_fails_clean(rt, env, step):
    cid, snap, res = create_at_failpoint(rt, env, step)
    assert_single_line_error(res, "container process exited during setup")
    assert_gone(snap, cid)
    assert_single_line_error(rt("state", cid), "does not exist")


@needs_failpoints
def test_failpoint_elsewhere_changes_nothing(rt, env):
    """A failpoint name no step has: create works as always."""
    cid, _, res = create_at_failpoint(rt, env, "no.such.step")
    assert res.rc == 0, res
    assert rt.state(cid)["status"] == "created"
    rt.delete(cid, force=True)


# --------------------------------------------------------------------------
# a dead container process, a damaged state file
# --------------------------------------------------------------------------


def test_container_whose_process_died_is_stopped(rt, env):
    cid = unique_id()
    b = fault_bundle(env, cid)
    snap = Snapshot(rt)
    rt.create(cid, b)
    rt.start(cid)
    pid = rt.pid(cid)
    assert rt.state(cid)["status"] == "running"
    # the container's process, started by this test through the runtime
    os.kill(pid, signal.SIGKILL)
    wait_pid_gone(pid)
    st = rt.state(cid)
    assert (st["status"], st["pid"]) == ("stopped", 0)
    assert_single_line_error(rt("kill", cid, "TERM"), "not running")
    assert_single_line_error(rt("start", cid))
    rt.delete(cid)
    assert_gone(snap, cid)


DAMAGE = {
    "truncated": lambda text: text[: len(text) // 2],
    "empty": lambda text: "",
    "garbage": lambda text: "\x00\x01not json at all\xff",
    "not-an-object": lambda text: "[1, 2, 3]",
    "no-id": lambda text: json.dumps({k: v for k, v in json.loads(text).items()
                                      if k != "id"}),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_state_file_clear_errors_and_forced_delete_cleans(rt, env, damage):
    cid = unique_id()
    b = fault_bundle(env, cid)
    snap = Snapshot(rt)
    rt.create(cid, b)
    rt.start(cid)
    pid = rt.pid(cid)
    assert container_cgroups(cid)
    path = Path(rt.root, cid, "state.json")
    path.write_bytes(DAMAGE[damage](path.read_text()).encode("utf-8", "surrogateescape"))

    for args in (("state", cid), ("start", cid), ("kill", cid, "KILL"),
                 ("delete", cid)):
        line = assert_single_line_error(rt(*args), cid)
        assert "corrupt" in line or "state" in line, line
    assert pid_alive(pid), "a failed command hurt the container"

    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    assert len(res.err_lines) <= 1, res   # one warning saying what it did
    wait_pid_gone(pid)
    assert_gone(snap, cid)


def test_forced_delete_of_a_dir_without_any_state(rt, env):
    """What a create killed right after claiming the id leaves."""
    cid = unique_id()
    os.makedirs(os.path.join(rt.root, cid))
    assert_single_line_error(rt("state", cid), cid)
    assert_single_line_error(rt("delete", cid), cid)
    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    assert not os.path.exists(os.path.join(rt.root, cid))


# --------------------------------------------------------------------------
# a full state root
# --------------------------------------------------------------------------


@pytest.fixture
def tiny_root(env):
    """A 16 KiB tmpfs for --root, unmounted afterwards."""
    d = env.base / "tiny-root"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k,nr_inodes=64,mode=0700",
                    "tmpfs", str(d)], check=True)
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)


def fill(path, inodes=False):
    """Use up the blocks (or the inodes) of the filesystem at path."""
    n = 0
    try:
        while True:
            with open(path / f"fill-{n}", "wb") as f:
                if not inodes:
                    while True:
                        f.write(b"x" * 4096)
                        f.flush()
            n += 1
    except OSError as e:
        assert e.errno == 28, e   # ENOSPC
    os.sync()


@pytest.mark.parametrize("what", ["blocks", "inodes"])
def test_full_state_root_create_fails_clean(rt, env, tiny_root, what):
    from lib.runtime import Runtime
    small = Runtime(rt.binary, env, root=tiny_root)
    cid = unique_id()
    b = fault_bundle(env, cid)
    fill(tiny_root, inodes=(what == "inodes"))
    before = set(os.listdir(tiny_root))
    snap = Snapshot(small)
    b.write()
    res = small("create", "--bundle", b, cid)
    assert_single_line_error(res, "No space left on device")
    assert set(os.listdir(tiny_root)) == before
    assert_gone(snap, cid)
    # once there is room again, the same id can be created
    for name in before:
        if name.startswith("fill-"):
            os.unlink(tiny_root / name)
    small.ids.add(cid)
    try:
        assert small("create", "--bundle", b, cid).rc == 0
        assert small.state(cid)["status"] == "created"
    finally:
        small.cleanup()
    assert_gone(snap, cid)


# --------------------------------------------------------------------------
# two creates of one id
# --------------------------------------------------------------------------

ROUNDS = 50


def test_racing_creates_of_one_id_one_wins(rt, env):
    b = env.bundle()
    b.set_args("sleep", "600")
    losers = set()
    snap = Snapshot(rt)
    ids = []
    for _ in range(ROUNDS):
        cid = unique_id()
        ids.append(cid)
        b.linux["cgroupsPath"] = cgroup_path_for(f"fault-{cid}")
        b.write()
        rt.ids.add(cid)
        procs = [rt.popen("create", "--bundle", b, cid) for _ in range(2)]
        results = [rt.wait(p) for p in procs]
        ok = [r for r in results if r.rc == 0]
        failed = [r for r in results if r.rc != 0]
        assert len(ok) == 1, results
        line = assert_single_line_error(failed[0], cid)
        losers.add(line.split(cid)[0])
        # the winner's container is whole
        st = rt.state(cid)
        assert st["status"] == "created" and pid_alive(st["pid"]), st
        assert container_cgroups(cid)
        assert st["pid"] in processes_in_cgroups(cid)
        rt.start(cid)
        assert rt.state(cid)["status"] == "running"
        rt.delete(cid, force=True)
        assert not container_cgroups(cid)
        assert not os.path.exists(os.path.join(rt.root, cid))
    assert len(losers) == 1, losers   # always the same, clear reason
    wait_for(lambda: not leftover_processes(), timeout=10, what="no processes")
    snap.assert_clean(ids=ids, cgroup_paths=[f"fault-{c}" for c in ids])


def test_create_racing_forced_delete_of_its_id(rt, env):
    """A forced delete that comes while the id is being claimed waits for
    the create: the create always succeeds, and afterwards the container is
    either whole or gone without a trace."""
    b = env.bundle()
    b.set_args("sleep", "600")
    snap = Snapshot(rt)
    ids, outcomes = [], set()
    for _ in range(30):
        cid = unique_id()
        ids.append(cid)
        b.linux["cgroupsPath"] = cgroup_path_for(f"fault-{cid}")
        b.write()
        rt.ids.add(cid)
        procs = [rt.popen("create", "--bundle", b, cid),
                 rt.popen("delete", "--force", cid)]
        created, deleted = [rt.wait(p) for p in procs]
        assert created.rc == 0, created
        assert deleted.rc == 0, deleted
        res = rt("state", cid)
        if res.rc == 0:
            st = res.json()
            rt.remember_pid(st["pid"])
            assert st["status"] == "created" and pid_alive(st["pid"]), st
            assert st["pid"] in processes_in_cgroups(cid)
            outcomes.add("kept")
            rt.delete(cid, force=True)
        else:
            assert_single_line_error(res, "does not exist")
            outcomes.add("deleted")
        assert not container_cgroups(cid)
        assert not os.path.exists(os.path.join(rt.root, cid))
    print(f"\ncreate racing delete --force: {sorted(outcomes)}")
    wait_for(lambda: not leftover_processes(), timeout=10, what="no processes")
    snap.assert_clean(ids=ids, cgroup_paths=[f"fault-{c}" for c in ids])


def test_container_being_created_is_creating(rt, env):
    """While create is held in a createRuntime hook, the container is
    `creating`: `state` and `list` say so, `kill` refuses with one line
    (`start` and `delete` wait for the create's lock); once the hook
    returns the create completes."""
    cid = unique_id()
    b = fault_bundle(env, cid)
    go = env.host_dir() / "go"
    b.config["hooks"] = {"createRuntime": [{
        "path": "/bin/sh", "timeout": 30,
        "args": ["sh", "-c", f"while [ ! -e {go} ]; do sleep 0.02; done"]}]}
    b.write()
    rt.ids.add(cid)
    proc = rt.popen("create", "--bundle", b, cid)
    rt.wait_status(cid, "creating", proc=proc)
    st = rt.state(cid)
    assert st["pid"] == 0 and st["bundle"] == str(b), st
    assert_single_line_error(rt("kill", cid, "KILL"), "being created")
    assert [c["status"] for c in rt.list_json() if c["id"] == cid] == ["creating"]
    go.touch()
    res = rt.wait(proc)
    assert res.rc == 0, res
    st = rt.state(cid)
    assert st["status"] == "created" and pid_alive(st["pid"]), st
    rt.delete(cid, force=True)
