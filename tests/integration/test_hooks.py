"""Hooks: order, namespaces, state on stdin, env/args, timeouts, failures."""

import json
import os
from pathlib import Path

import pytest

from lib.host import HostSnapshot
from lib.runtime import assert_single_line_error, created, runc_diff, unique_id
from lib.waiting import wait_for, wait_pid_gone

KINDS = ("prestart", "createRuntime", "createContainer", "startContainer",
         "poststart", "poststop")


def hook_script(dirpath, name, body=""):
    """A host shell script that records its kind, namespaces and stdin."""
    log = dirpath / "hooks.log"
    path = dirpath / f"{name}.sh"
    path.write_text(f"""#!/bin/sh
state=$(cat)
printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "{name}" "$(readlink /proc/self/ns/mnt)" \\
    "$(readlink /proc/self/ns/uts)" "$*" "$HOOKVAR" >> {log}
printf '%s\\n' "$state" > {dirpath}/{name}.state
{body}
""")
    path.chmod(0o755)
    return str(path)


def read_log(dirpath):
    log = dirpath / "hooks.log"
    if not log.exists():
        return []
    return [line.split("\t") for line in log.read_text().splitlines()]


@pytest.fixture
def hooked(bundle, host_dir):
    """A bundle with one recording hook of every kind."""
    hooks = {}
    for kind in KINDS:
        hooks[kind] = [{"path": hook_script(host_dir, kind), "args": [kind, "a1", "a2"],
                        "env": ["HOOKVAR=v-" + kind, "PATH=/usr/bin:/bin"]}]
    bundle.config["hooks"] = hooks
    # startContainer runs in the container: its path must resolve there
    bundle.bind(host_dir, str(host_dir))
    return bundle


def test_hook_order_and_state(rt, hooked, host_dir):
    hooked.sh("sleep 30")
    cid, pid = created(rt, hooked)
    names = [r[0] for r in read_log(host_dir)]
    assert names == ["prestart", "createRuntime", "createContainer"]
    rt.start(cid)
    names = [r[0] for r in read_log(host_dir)]
    assert names[3:] == ["startContainer", "poststart"]
    rt.delete(cid, force=True)
    names = [r[0] for r in read_log(host_dir)]
    assert names == list(KINDS)

    for kind, status in (("createRuntime", "creating"), ("poststart", "running"),
                         ("poststop", "stopped")):
        st = json.loads((host_dir / f"{kind}.state").read_text())
        assert st["id"] == cid and st["status"] == status, (kind, st)
        assert st["bundle"] == str(hooked)
        assert st["ociVersion"]
    assert json.loads((host_dir / "createRuntime.state").read_text())["pid"] == pid


def test_hook_namespaces(rt, hooked, host_dir):
    hooked.sh("sleep 30")
    cid, pid = created(rt, hooked)
    rt.start(cid)
    rows = {r[0]: r for r in read_log(host_dir)}
    host_mnt, host_uts = os.readlink("/proc/self/ns/mnt"), os.readlink("/proc/self/ns/uts")
    ctr_mnt, ctr_uts = os.readlink(f"/proc/{pid}/ns/mnt"), os.readlink(f"/proc/{pid}/ns/uts")
    # runtime namespace
    for kind in ("prestart", "createRuntime", "poststart"):
        assert rows[kind][1] == host_mnt and rows[kind][2] == host_uts, kind
    # container namespace
    assert rows["createContainer"][1] == ctr_mnt and rows["createContainer"][2] == ctr_uts
    assert rows["startContainer"][2] == ctr_uts
    rt.delete(cid, force=True)


def test_hook_args_and_env(rt, hooked, host_dir):
    hooked.sh("sleep 30")
    cid, _ = created(rt, hooked)
    row = [r for r in read_log(host_dir) if r[0] == "createRuntime"][0]
    assert row[3] == "a1 a2"
    assert row[4] == "v-createRuntime"
    rt.delete(cid, force=True)


def test_hooks_in_run(rt, hooked, host_dir):
    hooked.sh("exit 3")
    res = rt.run(unique_id(), hooked)
    assert res.rc == 3, res
    assert [r[0] for r in read_log(host_dir)] == list(KINDS)


def test_hook_not_reading_stdin_is_harmless(rt, bundle, host_dir):
    path = host_dir / "nostdin.sh"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(path)}] * 3}
    # a large annotation makes the state bigger than a pipe buffer
    bundle.config["annotations"] = {"big": "x" * 200000}
    bundle.sh("true")
    res = rt.run(unique_id(), bundle)
    assert res.rc == 0, res


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_aborts_cleanly(rt, bundle, host_dir, kind):
    path = host_dir / "fail.sh"
    path.write_text("#!/bin/sh\nexit 5\n")
    path.chmod(0o755)
    bundle.config["hooks"] = {kind: [{"path": str(path)}]}
    bundle.sh("sleep 30")
    cid = unique_id()
    snap = HostSnapshot(rt)
    res = rt.create(cid, bundle, check=False)
    line = assert_single_line_error(res)
    assert kind in line and "5" in line
    snap.assert_clean(ids=[cid])


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_runs_failing_poststop(rt, bundle, host_dir, kind):
    """A failing create hook still leads to the poststop hooks (lifecycle
    steps 12 and 13); their own failure is only a warning, and the one
    error line is still the create hook's."""
    fail = host_dir / "fail.sh"
    fail.write_text("#!/bin/sh\nexit 5\n")
    fail.chmod(0o755)
    post = host_dir / "post.sh"
    post.write_text(f"#!/bin/sh\necho \"$1\" >> {host_dir}/poststop.log\nexit 8\n")
    post.chmod(0o755)
    bundle.config["hooks"] = {
        kind: [{"path": str(fail)}],
        "poststop": [{"path": str(post), "args": ["post", "first"]},
                     {"path": str(post), "args": ["post", "second"]}]}
    bundle.bind(host_dir, str(host_dir))
    bundle.sh("sleep 30")
    cid = unique_id()
    snap = HostSnapshot(rt)
    res = rt.create(cid, bundle, check=False)
    assert res.rc != 0, res
    warnings = [ln for ln in res.err_lines if "warning" in ln]
    errors = [ln for ln in res.err_lines if "warning" not in ln]
    assert len(errors) == 1 and kind in errors[0] and "5" in errors[0], res
    assert len(warnings) == 2 and all("poststop" in w for w in warnings), res
    assert (host_dir / "poststop.log").read_text().split() == ["first", "second"]
    snap.assert_clean(ids=[cid])


def test_failing_start_container_hook(rt, bundle, host_dir):
    path = host_dir / "fail.sh"
    path.write_text("#!/bin/sh\nexit 6\n")
    path.chmod(0o755)
    bundle.config["hooks"] = {"startContainer": [{"path": str(path)}]}
    bundle.bind(host_dir, str(host_dir))
    bundle.sh("sleep 30")
    cid, pid = created(rt, bundle)
    res = rt.start(cid, check=False)
    line = assert_single_line_error(res)
    assert "startContainer" in line
    wait_pid_gone(pid)
    assert rt.status(cid) == "stopped"


def test_failing_poststart_stops_container(rt, bundle, host_dir):
    path = host_dir / "fail.sh"
    path.write_text("#!/bin/sh\nexit 7\n")
    path.chmod(0o755)
    bundle.config["hooks"] = {"poststart": [{"path": str(path)}]}
    bundle.sh("sleep 30")
    cid, pid = created(rt, bundle)
    res = rt.start(cid, check=False)
    line = assert_single_line_error(res)
    assert "poststart" in line
    wait_pid_gone(pid)


def test_failing_poststop_is_only_a_warning(rt, bundle, host_dir):
    path = host_dir / "fail.sh"
    path.write_text("#!/bin/sh\nexit 8\n")
    path.chmod(0o755)
    bundle.config["hooks"] = {"poststop": [{"path": str(path)}]}
    bundle.sh("sleep 30")
    cid, _ = created(rt, bundle)
    res = rt.delete(cid, force=True, check=False)
    assert res.rc == 0, res
    assert "poststop" in res.err
    assert rt.status(cid) is None


def test_hook_timeout(rt, bundle, host_dir):
    path = host_dir / "slow.sh"
    path.write_text("#!/bin/sh\nsleep 20\n")
    path.chmod(0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(path), "timeout": 1}]}
    bundle.sh("sleep 30")
    cid = unique_id()
    snap = HostSnapshot(rt)
    res = rt.create(cid, bundle, check=False, timeout=15)
    line = assert_single_line_error(res)
    assert "timed out" in line
    snap.assert_clean(ids=[cid])


def test_relative_hook_path_rejected(rt, bundle):
    bundle.config["hooks"] = {"createRuntime": [{"path": "bin/true"}]}
    bundle.sh("true")
    cid = unique_id()
    res = rt.create(cid, bundle, check=False)
    assert res.rc != 0 and res.err_lines


def test_runtime_hooks_stay_in_the_host_pid_namespace(rt, env, host_dir):
    """Joining a pid namespace by path is for the container only: the
    runtime's own hooks, forked after it, still run in the host's."""
    first = env.bundle()
    first.sh("sleep 30")
    _, first_pid = created(rt, first)
    ns = f"/proc/{first_pid}/ns/pid"
    log = host_dir / "pidns.log"
    path = host_dir / "pidns.sh"
    path.write_text(f"#!/bin/sh\ncat >/dev/null\necho \"$1 $(readlink /proc/self/ns/pid)\" >> {log}\n")
    path.chmod(0o755)
    second = env.bundle()
    second.set_namespace("pid", ns)
    second.config["hooks"] = {k: [{"path": str(path), "args": ["pidns.sh", k]}]
                              for k in ("prestart", "createRuntime", "poststart")}
    second.sh("sleep 30")
    cid, pid = created(rt, second)
    rt.start(cid)
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(ns)
    host = os.readlink("/proc/self/ns/pid")
    rows = dict(line.split(" ", 1) for line in log.read_text().splitlines())
    assert rows == {k: host for k in ("prestart", "createRuntime", "poststart")}


def _marker_hooks(host_dir, tag):
    """poststart and poststop hooks that append TAG-kind to a log."""
    log = host_dir / "markers.log"
    path = host_dir / f"mark-{tag}.sh"
    path.write_text(f"#!/bin/sh\necho {tag}-$1 >> {log}\n")
    path.chmod(0o755)
    return {kind: [{"path": str(path), "args": ["mark", kind]}]
            for kind in ("poststart", "poststop")}, log


def test_later_hooks_are_those_of_create(rt, bundle, host_dir):
    """start and delete run the poststart/poststop hooks the config had at
    create, as runc does: a config changed or gone afterwards is not read."""
    bundle.config["hooks"], log = _marker_hooks(host_dir, "create")
    bundle.sh("sleep 30")
    cid, _ = created(rt, bundle)
    bundle.config["hooks"], _ = _marker_hooks(host_dir, "edited")
    bundle.write()
    rt.start(cid)
    bundle.config_path.unlink()
    rt.delete(cid, force=True)
    assert log.read_text().split() == ["create-poststart", "create-poststop"]
    assert rt.status(cid) is None


def test_start_and_delete_do_not_read_the_config(rt, bundle):
    """Without such hooks there is nothing to read again: a bundle whose
    config.json became garbage still starts and deletes."""
    bundle.sh("sleep 30")
    cid, pid = created(rt, bundle)
    assert not (Path(rt.root) / cid / "hooks.json").exists()
    bundle.write_raw("{ not json")
    rt.start(cid)
    assert rt.status(cid) == "running"
    rt.delete(cid, force=True)
    wait_pid_gone(pid)
    assert rt.status(cid) is None


def test_damaged_saved_hooks_refuse_start(rt, bundle, host_dir):
    """An unreadable hooks file: one error line, and the container is not
    started."""
    bundle.config["hooks"], log = _marker_hooks(host_dir, "create")
    bundle.sh("sleep 30")
    cid, pid = created(rt, bundle)
    (Path(rt.root) / cid / "hooks.json").write_text("{ damaged")
    res = rt.start(cid, check=False)
    line = assert_single_line_error(res, "hooks.json")
    assert cid in line, line
    assert rt.status(cid) == "created"
    assert not log.exists()
    rt.delete(cid, force=True)
    wait_pid_gone(pid)


def test_state_without_saved_hooks_reads_the_config(rt, bundle, host_dir):
    """A state written before hooks were saved (no hooks_saved) falls back
    to the bundle's config for them."""
    bundle.config["hooks"], log = _marker_hooks(host_dir, "create")
    bundle.sh("sleep 30")
    cid, _ = created(rt, bundle)
    state_path = Path(rt.root) / cid / "state.json"
    state = json.loads(state_path.read_text())
    assert state.pop("hooks_saved") is True
    state_path.write_text(json.dumps(state))
    (Path(rt.root) / cid / "hooks.json").unlink()
    bundle.config["hooks"], _ = _marker_hooks(host_dir, "bundle")
    bundle.write()
    rt.start(cid)
    rt.delete(cid, force=True)
    assert log.read_text().split() == ["bundle-poststart", "bundle-poststop"]


@pytest.mark.parametrize("hook_env", ["absent", "empty"])
def test_hook_without_env_gets_the_runtime_environment(rt, ref, env, hook_env):
    """As runc and crun: a hook with no "env" runs with the runtime's
    environment; "env": [] is an empty one."""
    kinds = ("prestart", "createRuntime", "poststart", "poststop")
    for r in [rt] + ([ref] if ref else []):
        out = env.host_dir()
        hooks = {}
        for kind in kinds:
            path = _script(out / f"{kind}.sh", f"echo \"[$HOOK_PROBE]\" > {out}/{kind}.env")
            hooks[kind] = [{"path": path}]
            if hook_env == "empty":
                hooks[kind][0]["env"] = []
        b = env.bundle()
        b.config["hooks"] = hooks
        b.sh("sleep 30")
        caller_env = dict(os.environ, HOOK_PROBE="from-the-caller")
        cid = unique_id()
        r.create(cid, b, env=caller_env)
        r.start(cid, env=caller_env)
        r("delete", "--force", cid, env=caller_env, check=True)
        want = "[from-the-caller]" if hook_env == "absent" else "[]"
        got = {k: (out / f"{k}.env").read_text().strip() for k in kinds}
        assert got == {k: want for k in kinds}, (r.name, got)


def _script(path, body):
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def _poststart_failing(b, out):
    b.config["hooks"] = {
        "poststart": [{"path": _script(out / "fail.sh", "exit 7")}],
        "poststop": [{"path": _script(out / "poststop.sh", f"touch {out}/poststop-ran")}]}
    b.sh("sleep 30")
    return b


def _gone_after_poststart(r, cid, res, out):
    assert res.rc != 0, (r.name, res)
    assert "does not exist" in r.state_result(cid).err, r.name
    assert (out / "poststop-ran").exists(), r.name


def test_failing_poststart_deletes_the_container_in_run(rt, ref, env):
    """As runc: the container is killed and deleted, its poststop hooks
    run, and run exits non-zero."""
    for r in [rt] + ([ref] if ref else []):
        out = env.host_dir()
        b = _poststart_failing(env.bundle(), out)
        snap = HostSnapshot(r)
        cid = unique_id()
        res = r.run(cid, b, "--detach")
        _gone_after_poststart(r, cid, res, out)
        snap.assert_clean(ids=[cid])


@runc_diff("runc 1.1 runs poststart hooks at create")
def test_failing_poststart_deletes_the_container_in_start(rt, env):
    """The same at start (runc 1.1 runs poststart hooks in create already,
    and deletes the container there the same way)."""
    out = env.host_dir()
    b = _poststart_failing(env.bundle(), out)
    snap = HostSnapshot(rt)
    cid, pid = created(rt, b)
    res = rt.start(cid, check=False)
    assert "poststart" in assert_single_line_error(res)
    wait_pid_gone(pid)
    _gone_after_poststart(rt, cid, res, out)
    snap.assert_clean(ids=[cid])
