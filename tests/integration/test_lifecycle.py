"""Container lifecycle: create / start / state / kill / delete / run."""

import os
import select
import signal
import time

import pytest

from lib.cgroups import cgroup_dirs_for, cgroup_path_for
from lib.console import FdReceiver, pidfd_pid
from lib.host import HostSnapshot
from lib.procs import exit_status, pid_alive, proc_cmdline, proc_stat
from lib.runtime import assert_single_line_error, create_running, created, runc_diff, unique_id
from lib.waiting import wait_file, wait_for, wait_pid_gone


def test_create_does_not_start_the_program(rt, bundle, host_dir):
    bundle.bind(host_dir, "/out")
    bundle.sh("echo started > /out/flag; sleep 30")
    cid = unique_id()
    rt.create(cid, bundle)
    st = rt.state(cid)
    assert st["status"] == "created"
    pid = st["pid"]
    assert isinstance(pid, int) and pid > 0
    assert pid_alive(pid)
    # the init process is still the runtime, not the container program
    init_cmdline = proc_cmdline(pid)
    assert init_cmdline[:2] != ["sh", "-c"] and init_cmdline[:1] != ["sleep"]
    time.sleep(0.3)
    assert not (host_dir / "flag").exists(), "program ran before start"
    assert rt.status(cid) == "created"

    rt.start(cid)
    assert wait_file(host_dir / "flag").strip() == "started"
    rt.wait_status(cid, "running")
    assert rt.pid(cid) == pid, "start must exec in the created init process"
    # busybox sh execs its last command: the init is now sh or sleep
    now = proc_cmdline(pid)
    assert now != init_cmdline
    assert now[:2] == ["sh", "-c"] or now == ["sleep", "30"], now


def test_program_end_gives_stopped_and_delete_removes_state(rt, bundle):
    bundle.sh("exit 0")
    cid = unique_id()
    rt.create(cid, bundle)
    pid = rt.pid(cid)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    wait_pid_gone(pid)
    st = rt.state(cid)
    assert st["status"] == "stopped"
    assert os.path.isdir(os.path.join(rt.root, cid))
    rt.delete(cid)
    assert not os.path.exists(os.path.join(rt.root, cid))
    res = rt.state_result(cid)
    assert res.rc != 0
    assert cid not in [c["id"] for c in rt.list_json()]


def test_delete_created_container_kills_init(rt, bundle):
    bundle.sh("sleep 30")
    cid, pid = created(rt, bundle)
    rt.delete(cid)
    wait_pid_gone(pid)
    assert rt.state_result(cid).rc != 0


@pytest.mark.parametrize("code", [0, 1, 42, 255])
def test_run_returns_exit_code(rt, bundle, code):
    res = rt.run(unique_id(), bundle.sh(f"echo before-exit; exit {code}"))
    assert res.rc == code, res
    assert res.out == "before-exit\n"


def test_run_output_goes_to_stdout_and_stderr(rt, bundle):
    res = rt.run(unique_id(), bundle.sh("echo to-out; echo to-err >&2"))
    assert res.rc == 0, res
    assert res.out == "to-out\n"
    assert "to-err\n" in res.err


def test_run_removes_container_after_exit(rt, bundle):
    cid = unique_id()
    res = rt.run(cid, bundle.sh("exit 3"))
    assert res.rc == 3
    assert rt.state_result(cid).rc != 0
    assert not os.path.exists(os.path.join(rt.root, cid))


def _kill_run_by_signal(rt, bundle, sig, pidns=True):
    if not pidns:
        bundle.remove_namespace("pid")
    cid = unique_id()
    p = rt.run_bg(cid, bundle.sh("sleep 30"))
    rt.wait_status(cid, "running", proc=p)
    pid = rt.pid(cid)
    wait_for(lambda: proc_cmdline(pid)[:1] == ["sleep"] or
             proc_cmdline(pid)[:2] == ["sh", "-c"], what="program started")
    os.kill(pid, sig)
    return rt.wait(p)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM,
                                 signal.SIGINT])
def test_run_killed_by_signal_returns_128_plus_n(rt, bundle, sig):
    # without a pid namespace so that the program does not ignore signals
    # as an init process would
    res = _kill_run_by_signal(rt, bundle, sig, pidns=False)
    assert res.rc == 128 + sig, res


def test_run_init_killed_by_sigkill_returns_137(rt, ref, env):
    res = _kill_run_by_signal(rt, env.bundle(), signal.SIGKILL)
    assert res.rc == 137, res
    if ref is not None:
        rres = _kill_run_by_signal(ref, env.bundle(), signal.SIGKILL)
        assert rres.rc == res.rc


def test_run_detach(rt, bundle, host_dir):
    bundle.bind(host_dir, "/out")
    cid = unique_id()
    t0 = time.monotonic()
    res = rt.run(cid, bundle.sh("echo up > /out/flag; sleep 30"), "--detach")
    assert res.rc == 0, res
    assert time.monotonic() - t0 < 10
    assert wait_file(host_dir / "flag").strip() == "up"
    rt.wait_status(cid, "running")
    pid = rt.pid(cid)
    assert pid_alive(pid)
    rt.kill(cid, "KILL")
    rt.wait_status(cid, "stopped")
    rt.delete(cid)


def test_run_detach_short_form(rt, bundle):
    cid = unique_id()
    res = rt.run(cid, bundle.sh("sleep 30"), "-d")
    assert res.rc == 0, res
    rt.wait_status(cid, "running")


def test_start_running_container_fails(rt, bundle):
    cid, pid = create_running(rt, bundle)
    res = rt.start(cid, check=False)
    assert res.rc != 0
    assert rt.status(cid) == "running"
    assert pid_alive(pid)


def test_start_twice_fails(rt, bundle):
    bundle.sh("exit 0")
    cid = unique_id()
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    res = rt.start(cid, check=False)
    assert res.rc != 0
    assert rt.status(cid) == "stopped"


def test_delete_running_without_force_fails(rt, bundle):
    cid, pid = create_running(rt, bundle)
    res = rt.delete(cid, check=False)
    assert res.rc != 0
    assert res.err_lines, "an error must be printed"
    assert rt.status(cid) == "running"
    assert pid_alive(pid)


def test_delete_force_running_leaves_nothing(rt, bundle):
    cid = unique_id()
    bundle.config["linux"]["cgroupsPath"] = cgroup_path_for(f"ocirt-test-{cid}")
    snap = HostSnapshot(rt)
    bundle.sh("sleep 30 & sleep 30 & wait")
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "running")
    pid = rt.pid(cid)
    wait_for(lambda: len(_children(pid)) == 2, what="both children")
    procs = [pid] + _children(pid)
    cgdirs = cgroup_dirs_for(pid)
    assert any(cid in d for d in cgdirs), cgdirs
    rt.delete(cid, force=True)
    for p in procs:
        wait_pid_gone(p)
    assert not os.path.exists(os.path.join(rt.root, cid))
    assert rt.state_result(cid).rc != 0
    for d in cgdirs:
        if cid in d:
            assert not os.path.exists(d), f"cgroup {d} left behind"
    snap.assert_clean(ids=[cid], cgroup_paths=[f"ocirt-test-{cid}"])


def test_delete_force_created(rt, bundle):
    cid, pid = created(rt, bundle)
    rt.delete(cid, force=True)
    wait_pid_gone(pid)
    assert not os.path.exists(os.path.join(rt.root, cid))


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def test_kill_default_is_sigterm(rt, bundle, host_dir):
    bundle.bind(host_dir, "/out")
    script = ("trap 'echo TERM > /out/sig; exit 0' TERM; "
              "trap 'echo INT > /out/sig; exit 0' INT; "
              "echo ready > /out/ready; while :; do sleep 0.05; done")
    cid, pid = create_running(rt, bundle, script=script)
    wait_file(host_dir / "ready")
    rt.kill(cid)
    assert wait_file(host_dir / "sig").strip() == "TERM"
    rt.wait_status(cid, "stopped")


@pytest.mark.parametrize("form", ["KILL", "SIGKILL", "9"])
def test_kill_signal_forms(rt, bundle, form):
    cid, pid = create_running(rt, bundle)
    rt.kill(cid, form)
    rt.wait_status(cid, "stopped")
    wait_pid_gone(pid)
    status = exit_status(pid, timeout=1)
    if status is not None:
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9


@pytest.mark.parametrize("form", ["USR1", "SIGUSR1", "10"])
def test_kill_delivers_named_signal(rt, bundle, host_dir, form):
    bundle.bind(host_dir, "/out")
    script = ("trap 'echo USR1 > /out/sig; exit 0' USR1; "
              "echo ready > /out/ready; while :; do sleep 0.05; done")
    cid, pid = create_running(rt, bundle, script=script)
    wait_file(host_dir / "ready")
    rt.kill(cid, form)
    assert wait_file(host_dir / "sig").strip() == "USR1"


def test_kill_unknown_signal_fails(rt, bundle):
    cid, pid = create_running(rt, bundle)
    res = rt.kill(cid, "NOSUCHSIG", check=False)
    assert res.rc != 0
    assert rt.status(cid) == "running"


def test_kill_null_signal_checks_the_container(rt, bundle):
    """Signal 0, as runc takes it: delivered to nobody, it tells whether
    the container's process is there."""
    bundle.sh("sleep 30")
    cid, pid = create_running(rt, bundle, script="sleep 30")
    assert rt.kill(cid, "0", check=False).rc == 0
    assert rt.status(cid) == "running"
    rt.kill(cid, "KILL")
    rt.wait_status(cid, "stopped")
    assert rt.kill(cid, "0", check=False).rc != 0


def test_kill_created_container(rt, bundle):
    bundle.sh("sleep 30")
    cid, pid = created(rt, bundle)
    rt.kill(cid, "KILL")
    wait_pid_gone(pid)
    rt.wait_status(cid, "stopped")


def test_kill_all(rt, bundle):
    # no pid namespace: killing only the init would leave the children alive
    bundle.remove_namespace("pid")
    cid, pid = create_running(rt, bundle,
                              script="sleep 30 & sleep 30 & wait")
    wait_for(lambda: len(_children(pid)) == 2, what="both children")
    kids = _children(pid)
    for k in kids:
        rt.remember_pid(k)
    rt.kill(cid, "KILL", all=True)
    for p in [pid] + kids:
        wait_pid_gone(p)
    rt.wait_status(cid, "stopped")


def test_create_existing_id_fails_and_keeps_container(rt, bundle, env):
    cid, pid = create_running(rt, bundle)
    before = rt.state(cid)
    other = env.bundle()
    other.sh("exit 0")
    res = rt.create(cid, other, check=False)
    assert res.rc != 0
    assert res.err_lines
    after = rt.state(cid)
    assert after["status"] == "running"
    assert after["pid"] == pid and pid_alive(pid)
    assert after["bundle"] == before["bundle"]
    assert after["created"] == before["created"]


def test_run_existing_id_fails(rt, bundle, env):
    cid, pid = create_running(rt, bundle)
    res = rt.run(cid, env.bundle().sh("exit 0"))
    assert res.rc != 0
    assert rt.status(cid) == "running" and pid_alive(pid)


def test_pid_file(rt, bundle, env):
    pidfile = env.base / "pidfile"
    cid = unique_id()
    rt.create(cid, bundle.sh("sleep 30"), "--pid-file", pidfile)
    pid = rt.pid(cid)
    assert int(pidfile.read_text().strip()) == pid


def test_pid_file_relative_path(rt, bundle, env):
    cid = unique_id()
    bundle.sh("sleep 30")
    bundle.write()
    res = rt("create", "--bundle", bundle.path, "--pid-file", "rel.pid", cid,
             cwd=env.base)
    rt.ids.add(cid)
    assert res.rc == 0, res
    assert int((env.base / "rel.pid").read_text().strip()) == rt.pid(cid)


def test_run_detach_pid_file(rt, bundle, env):
    pidfile = env.base / "run.pid"
    cid = unique_id()
    res = rt.run(cid, bundle.sh("sleep 30"), "-d", "--pid-file", pidfile)
    assert res.rc == 0, res
    assert int(pidfile.read_text().strip()) == rt.pid(cid)


# --pidfd-socket is runc 1.2's: Debian's runc 1.1.5 lacks the flag, so these
# tests run on ocirt only (runc_diff).

def create_or_run_detached(rt, how, cid, bundle, *extra):
    if how == "create":
        return rt.create(cid, bundle, *extra, check=False)
    return rt.run(cid, bundle, "--detach", *extra)


@runc_diff("runc 1.1 has no --pidfd-socket (runc 1.2 has)")
@pytest.mark.parametrize("how", ["create", "run"])
def test_pidfd_socket_receives_the_inits_pidfd(rt, bundle, env, how):
    recv = FdReceiver(env.base / "pidfd.sock")
    cid = unique_id()
    try:
        res = create_or_run_detached(rt, how, cid, bundle.sh("sleep 30"),
                                     "--pidfd-socket", recv.path)
        assert res.rc == 0, res
        fd = recv.wait()
        # what runc sends with it: the kind of its init
        assert recv.data == b"standard"
        assert pidfd_pid(fd) == rt.pid(cid)
        # a handle of the init: a signal through it stops the container,
        # and the pidfd says when it is gone
        assert select.select([fd], [], [], 0)[0] == []
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        rt.wait_status(cid, "stopped")
        assert select.select([fd], [], [], 10)[0] == [fd]
    finally:
        recv.close()


@runc_diff("runc 1.1 has no --pidfd-socket (runc 1.2 has)")
@pytest.mark.parametrize("how", ["create", "run"])
def test_pidfd_socket_unreachable_fails_leaving_nothing(rt, bundle, env, how):
    path = env.base / "nobody-listens.sock"
    snap = HostSnapshot(rt)
    cid = unique_id()
    res = create_or_run_detached(rt, how, cid, bundle.sh("sleep 30"),
                                 "--pidfd-socket", path)
    assert_single_line_error(res, "pidfd socket", str(path))
    snap.assert_clean(ids=[cid])


def test_delete_stopped_container_twice_fails(rt, bundle):
    bundle.sh("exit 0")
    cid = unique_id()
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    rt.delete(cid)
    res = rt.delete(cid, check=False)
    assert res.rc != 0


def test_state_tracks_externally_killed_init(rt, bundle):
    cid, pid = create_running(rt, bundle)
    os.kill(pid, signal.SIGKILL)
    rt.wait_status(cid, "stopped")
    rt.delete(cid)
    assert rt.state_result(cid).rc != 0


def test_containers_in_different_roots_are_independent(rt, env, bundle):
    from lib.runtime import Runtime
    other = Runtime(rt.binary, env)
    try:
        cid, pid = create_running(rt, bundle)
        assert other.state_result(cid).rc != 0
        assert cid not in [c["id"] for c in other.list_json()]
        assert cid in [c["id"] for c in rt.list_json()]
    finally:
        other.cleanup()


def test_kill_stopped_container_fails(rt, bundle):
    bundle.sh("exit 0")
    cid = unique_id()
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    res = rt.kill(cid, "KILL", check=False)
    assert res.rc != 0
    assert res.err_lines
    assert rt.status(cid) == "stopped"


@pytest.mark.parametrize("sig,name", [(signal.SIGTERM, "TERM"),
                                      (signal.SIGINT, "INT"),
                                      (signal.SIGHUP, "HUP")])
def test_run_forwards_signals(rt, bundle, host_dir, sig, name):
    bundle.bind(host_dir, "/out")
    bundle.sh(f"trap 'echo {name} > /out/sig; exit 3' {name}; "
              "echo ready > /out/ready; while :; do sleep 0.05; done")
    cid = unique_id()
    p = rt.run_bg(cid, bundle)
    wait_file(host_dir / "ready", proc=p)
    os.kill(p.pid, sig)
    res = rt.wait(p)
    assert wait_file(host_dir / "sig").strip() == name
    assert res.rc == 3, res


def signalling_hook(host_dir, sig="TERM"):
    """A hook that sends SIG to the runtime running it, then succeeds."""
    path = host_dir / f"signal-parent-{sig}.sh"
    path.write_text(f"#!/bin/sh\nkill -{sig} $PPID\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("kind", ["prestart", "createRuntime"])
def test_run_passes_on_a_signal_sent_during_setup(rt, bundle, host_dir, kind):
    """A SIGTERM to `run` while it sets the container up does not kill the
    runtime half-way: it is held and passed on once the program runs (here
    without a pid namespace, so the default action applies), and the
    container is cleaned up as after any exit."""
    bundle.config["hooks"] = {kind: [{"path": signalling_hook(host_dir)}]}
    bundle.remove_namespace("pid").set_args("sleep", "30")
    cid = unique_id()
    snap = HostSnapshot(rt)
    p = rt.run_bg(cid, bundle)
    res = rt.wait(p, timeout=20)
    assert res.rc == 128 + signal.SIGTERM, res
    assert res.err == "", res
    snap.assert_clean(ids=[cid])


def test_create_is_not_stopped_by_a_signal_during_setup(rt, bundle, host_dir):
    """As runc and crun, create goes on when sent SIGTERM or SIGINT while
    it works: a half-made container would be left behind otherwise."""
    bundle.config["hooks"] = {"createRuntime": [{"path": signalling_hook(host_dir, "TERM")},
                                                {"path": signalling_hook(host_dir, "INT")}]}
    cid, pid = created(rt, bundle.sh("sleep 30"))
    assert rt.state(cid)["status"] == "created"
    rt.delete(cid, force=True)


def test_state_keys_match_reference(rt, ref, env):
    if ref is None:
        pytest.skip("no reference runtime")
    keys = []
    for runtime in (rt, ref):
        b = env.bundle()
        b.config["annotations"] = {"a": "b"}
        cid, pid = created(runtime, b.sh("sleep 30"))
        st = runtime.state(cid)
        keys.append(set(st))
        assert st["status"] == "created"
    assert keys[0] >= {"ociVersion", "id", "pid", "status", "bundle",
                       "created", "annotations"}
    assert keys[0] == keys[1], keys


@pytest.mark.parametrize("cmd", ["state", "start", "kill", "delete"])
def test_unknown_id_exit_code_matches_reference(rt, ref, cmd):
    if ref is None:
        pytest.skip("no reference runtime")
    cid = unique_id("nosuch")
    assert rt(cmd, cid).rc == ref(cmd, cid).rc
