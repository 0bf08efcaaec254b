"""config.md, POSIX-platform hooks: order, namespaces, state on stdin.

One container per runtime goes through its whole lifecycle with two
recording hooks of every kind (``hooked``); the tests read what the hooks
recorded.
"""

import json
import os
from pathlib import Path

import pytest

from lib.conformance import create_fails, HOOK_NS, hook_recorder
from lib.runtime import created, unique_id
from lib.waiting import wait_pid_gone

KINDS = ["prestart", "createRuntime", "createContainer", "startContainer",
         "poststart", "poststop"]


@pytest.fixture(scope="module")
def hooked(mruntime, menv):
    host = menv.host_dir("hooks")
    b = menv.bundle()
    b.sh("sleep 120")
    hooks = {}
    for kind in KINDS:
        hooks[kind] = [{"path": hook_recorder(host, f"{kind}-{n}")}
                       for n in (1, 2)]
    b.config["hooks"] = hooks
    b.config["annotations"] = {"org.example.hooks": "yes"}
    # startContainer hooks run in the container: the same path there
    b.bind(host, str(host))
    cid = unique_id()
    mruntime.create(cid, b)
    pid = mruntime.pid(cid)
    seen = {"after_create": _order(host)}
    mruntime.start(cid)
    seen["after_start"] = _order(host)
    seen["ctr_ns"] = {n: os.readlink(f"/proc/{pid}/ns/{n}")
                      for n in HOOK_NS}
    mruntime.kill(cid, "KILL")
    wait_pid_gone(pid)
    mruntime.wait_status(cid, "stopped")
    seen["before_delete"] = _order(host)
    mruntime.delete(cid)
    seen["after_delete"] = _order(host)
    seen.update(cid=cid, pid=pid, dir=Path(host), bundle=str(b))
    return seen


def _order(host):
    p = Path(host) / "order"
    return p.read_text().split() if p.exists() else []


def _state(hooked, name):
    return json.loads((hooked["dir"] / f"{name}.json").read_text())


def _ns(hooked, name):
    links = (hooked["dir"] / f"{name}.ns").read_text().split()
    return dict(zip(HOOK_NS, links))


HOST_NS = {n: os.readlink(f"/proc/self/ns/{n}") for n in HOOK_NS}


@pytest.mark.runc_xfail("runc 1.1 runs poststart hooks during `create`, "
                        "before startContainer")
def test_config_md__hooks_must_be_called_in_listed_order(hooked):
    """"Hooks MUST be called in the listed order."

    Both hooks of each kind, and the kinds in lifecycle order."""
    want = [f"{k}-{n}" for k in KINDS for n in (1, 2)]
    assert hooked["after_delete"] == want


def test_config_md__prestart_called_during_create(hooked):
    """"The prestart hooks MUST be called as part of the create operation
    after the runtime environment has been created ... but before the
    pivot_root"."""
    assert hooked["after_create"][:2] == ["prestart-1", "prestart-2"]


def test_config_md__prestart_before_createruntime(hooked):
    """"The prestart hooks MUST be called before the createRuntime
    hooks.\""""
    order = hooked["after_create"]
    assert order.index("prestart-2") < order.index("createRuntime-1")


def test_config_md__createruntime_called_during_create(hooked):
    """"The createRuntime hooks MUST be called as part of the create
    operation after the runtime environment has been created ... but
    before the pivot_root\""""
    assert "createRuntime-1" in hooked["after_create"]


def test_config_md__createcontainer_after_createruntime(hooked):
    """"The createContainer hooks MUST be called after the createRuntime
    hooks.\""""
    order = hooked["after_create"]
    assert order.index("createRuntime-2") < order.index("createContainer-1")
    assert order.index("createContainer-1") < order.index("createContainer-2")


def test_config_md__startcontainer_called_by_start(hooked):
    """"The startContainer hooks MUST be called before the user-specified
    process is executed as part of the start operation.\""""
    assert "startContainer-1" not in hooked["after_create"]
    assert "startContainer-2" in hooked["after_start"]


@pytest.mark.runc_xfail("runc 1.1 runs poststart hooks during `create`")
def test_config_md__poststart_before_start_returns(hooked):
    """"The poststart hooks MUST be called after the user-specified process
    is executed but before the start operation returns.\""""
    assert "poststart-1" not in hooked["after_create"]
    assert hooked["after_start"][-2:] == ["poststart-1", "poststart-2"]
    st = _state(hooked, "poststart-1")
    assert st["status"] == "running"


def test_config_md__poststop_before_delete_returns(hooked):
    """"The poststop hooks MUST be called after the container is deleted
    but before the delete operation returns.\""""
    assert "poststop-1" not in hooked["before_delete"]
    assert hooked["after_delete"][-2:] == ["poststop-1", "poststop-2"]


@pytest.mark.parametrize("kind", KINDS)
def test_config_md__state_must_be_passed_on_stdin(hooked, kind):
    """"The state of the container MUST be passed to hooks over stdin so
    that they may do work appropriate to the current state of the
    container.\""""
    st = _state(hooked, f"{kind}-1")
    assert st["id"] == hooked["cid"]
    assert os.path.samefile(st["bundle"], hooked["bundle"])
    assert st["annotations"] == {"org.example.hooks": "yes"}
    assert st["ociVersion"]
    # the runtime's view for hooks in the runtime namespace
    if kind in ("prestart", "createRuntime", "poststart"):
        assert st["pid"] == hooked["pid"]


@pytest.mark.parametrize("kind,status", [
    ("prestart", "creating"), ("createRuntime", "creating"),
    ("createContainer", "creating"), ("startContainer", "created"),
    pytest.param("poststart", "running", marks=pytest.mark.runc_xfail(
        "runc 1.1 runs poststart hooks during `create`")),
    ("poststop", "stopped")])
def test_config_md__state_status_at_each_hook(hooked, kind, status):
    """"so that they may do work appropriate to the current state of the
    container": the status is the one of the lifecycle step (creating
    during create, created before the program runs, running after,
    stopped at poststop).

    runc 1.1 runs poststart during create: its state says `created`.\""""
    assert _state(hooked, f"{kind}-1")["status"] == status


@pytest.mark.parametrize("ns", HOOK_NS)
@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "poststart",
                                  "poststop"])
def test_config_md__hook_executed_in_runtime_namespace(hooked, kind, ns):
    """"The prestart / createRuntime / poststart / poststop hooks MUST be
    executed in the runtime namespace."

    Each namespace type the container has of its own (mount, network, ipc,
    uts, pid, cgroup): the hook's is the host's, by inode."""
    assert _ns(hooked, f"{kind}-1")[ns] == HOST_NS[ns]


@pytest.mark.parametrize("ns", HOOK_NS)
@pytest.mark.parametrize("kind", ["createContainer", "startContainer"])
def test_config_md__hook_executed_in_container_namespace(hooked, kind, ns):
    """"The createContainer / startContainer hooks MUST be executed in the
    container namespace."

    Each namespace type the container has of its own: the hook's is the
    container process's, by inode."""
    assert _ns(hooked, f"{kind}-1")[ns] == hooked["ctr_ns"][ns]


@pytest.mark.parametrize("kind", ["prestart", "createRuntime",
                                  "createContainer", "poststart",
                                  "poststop"])
def test_config_md__hook_path_resolves_in_runtime_namespace(
        runtime, bundle, host_dir, kind):
    """"The value of path MUST resolve in the runtime namespace." (prestart,
    createRuntime, createContainer, poststart, poststop)

    The hook exists only on the host (not in the rootfs, not bound)."""
    path = hook_recorder(host_dir, kind)
    assert not (bundle.rootfs / path.lstrip("/")).exists()
    bundle.config["hooks"] = {kind: [{"path": path}]}
    bundle.sh("sleep 60")
    cid, pid = created(runtime, bundle)
    runtime.start(cid)
    runtime.kill(cid, "KILL")
    wait_pid_gone(pid)
    runtime.wait_status(cid, "stopped")
    runtime.delete(cid)
    assert (host_dir / "order").read_text().split() == [kind]


def test_config_md__startcontainer_path_resolves_in_container_namespace(
        runtime, bundle, host_dir):
    """"The startContainer hooks' path MUST resolve in the container
    namespace."

    The path names a program that exists only inside the rootfs (at a
    place the host does not have)."""
    inner = "/conformance-only-in-container/hook"
    (bundle.rootfs / inner.lstrip("/")).parent.mkdir(exist_ok=True)
    (bundle.rootfs / inner.lstrip("/")).write_text(
        "#!/bin/sh\ncat > /out/state\n")
    (bundle.rootfs / inner.lstrip("/")).chmod(0o755)
    assert not os.path.exists(inner)
    bundle.bind(host_dir, "/out")
    bundle.config["hooks"] = {"startContainer": [{"path": inner}]}
    bundle.sh("sleep 60")
    cid, _ = created(runtime, bundle)
    runtime.start(cid)
    assert json.loads((host_dir / "state").read_text())["id"] == cid


def _run_through(runtime, bundle):
    """create, start, kill and delete; the first failing step's result (or
    the last one's)."""
    cid = unique_id()
    res = runtime.create(cid, bundle, check=False)
    if res.rc != 0:
        return res
    pid = runtime.pid(cid)
    res = runtime.start(cid, check=False)
    if res.rc != 0:
        return res
    runtime.kill(cid, "KILL", check=False)
    wait_pid_gone(pid)
    runtime.wait_status(cid, "stopped")
    return runtime.delete(cid, check=False)


@pytest.mark.runc_xfail("runc 1.1 runs a hook by a relative path (from "
                        "the bundle directory)")
@pytest.mark.parametrize("kind", KINDS)
def test_config_md__hook_path_must_be_absolute(runtime, bundle, host_dir,
                                               kind):
    """"This specification extends the IEEE standard in that path MUST be
    absolute." (each kind of hook)

    A relative hook path is an invalid value: create fails and the hook
    never runs, although the relative path names the hook from the
    runtime's working directory, from the bundle and from the container's
    working directory alike."""
    rel = f"conformance-hooks/{unique_id('rel')}.sh"
    for base in (bundle.path, bundle.rootfs):
        (base / rel).parent.mkdir(exist_ok=True)
        os.link(hook_recorder(host_dir, kind), base / rel)
    bundle.bind(host_dir, str(host_dir))
    bundle.config["hooks"] = {kind: [{"path": rel}]}
    bundle.sh("sleep 60")
    cid = unique_id()
    res = runtime.create(cid, bundle, check=False, cwd=bundle.path)
    assert res.rc != 0 and res.err_lines, res
    assert runtime.status(cid) is None
    assert not (host_dir / "order").exists()


@pytest.mark.parametrize("kind", [
    pytest.param(k, marks=pytest.mark.runc_xfail(
        f"runc 1.1 takes a {k} hook with a zero timeout (it only "
        "fails when the hook is run)"))
    if k in ("startContainer", "poststop") else k for k in KINDS])
def test_config_md__hook_timeout_must_be_greater_than_zero(runtime, bundle,
                                                           host_dir, kind):
    """"If set, timeout MUST be greater than zero." (each kind of hook)

    A zero timeout is an invalid value: create fails."""
    bundle.bind(host_dir, str(host_dir))
    bundle.config["hooks"] = {kind: [
        {"path": hook_recorder(host_dir, kind), "timeout": 0}]}
    bundle.sh("sleep 60")
    create_fails(runtime, bundle)


def _mountinfo_recorder(dirpath, name):
    """A hook that saves the mount table of the container process as
    ``<name>.mountinfo``: its own (``self``) for a hook in the container
    namespace, else the one of the pid in the state."""
    d = Path(dirpath)
    path = d / f"mi-{name}.sh"
    path.write_text(f"""#!/bin/sh
pid=$(sed -n 's/.*"pid": *\\([0-9][0-9]*\\).*/\\1/p')
[ "$1" = self ] && pid=self
cat /proc/$pid/mountinfo > {d}/{name}.mountinfo
""")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("kind", ["prestart", "createRuntime",
                                  "createContainer"])
def test_config_md__create_hooks_after_environment_before_pivot_root(
        runtime, bundle, host_dir, kind):
    """"The prestart / createRuntime / createContainer hooks MUST be called
    as part of the create operation after the runtime environment has been
    created (according to the configuration in config.json) but before the
    pivot_root or any equivalent operation has been executed."

    The container's mount table as the hook sees it: the configured mount
    is there, below the rootfs path of the host (the root is not pivoted
    yet: mount points are still shown from the host's root)."""
    bundle.add_mount("/conformance-mark", "tmpfs", "tmpfs", ["size=1m"])
    args = ["hook", "self"] if kind == "createContainer" else ["hook"]
    bundle.config["hooks"] = {kind: [
        {"path": _mountinfo_recorder(host_dir, kind), "args": args}]}
    created(runtime, bundle)
    points = [line.split()[4] for line in
              (host_dir / f"{kind}.mountinfo").read_text().splitlines()]
    rootfs = os.path.realpath(bundle.rootfs)
    assert rootfs + "/conformance-mark" in points, points
    assert "/conformance-mark" not in points, points


def test_config_md__hook_timeout_aborts(runtime, bundle, host_dir):
    """"timeout (int, OPTIONAL) is the number of seconds before aborting the
    hook.\""""
    slow = host_dir / "slow.sh"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(slow),
                                                 "timeout": 1}]}
    cid = unique_id()
    res = runtime.create(cid, bundle, check=False, timeout=20)
    assert res.rc != 0, res
    assert runtime.status(cid) is None


def test_config_md__hook_args_and_env(runtime, bundle, host_dir):
    """"args (array of strings, OPTIONAL) with the same semantics as IEEE
    Std 1003.1-2008 execv's argv. env (array of strings, OPTIONAL) with the
    same semantics as ... environ.\""""
    script = host_dir / "args.sh"
    script.write_text(f'#!/bin/sh\necho "$1|$2|$HOOKVAR|$PATH" > '
                      f'{host_dir}/args\n')
    script.chmod(0o755)
    bundle.config["hooks"] = {"createRuntime": [
        {"path": str(script), "args": ["argzero", "a1", "a2"],
         "env": ["HOOKVAR=v1", "PATH=/nowhere"]}]}
    created(runtime, bundle)
    # argv[0] of a script is replaced by the kernel (interpreter, script)
    assert (host_dir / "args").read_text() == "a1|a2|v1|/nowhere\n"
