"""exec: a new process in a running container, checked from the host."""

import json
import os
import select
import signal

import pytest

from lib.console import FdReceiver, pidfd_pid
from lib.hostproc import proc_status
from lib.runtime import (assert_single_line_error, create_running, created, runc_diff, unique_id,
                         with_fds)
from lib.waiting import wait_file, wait_for, wait_pid_gone

NS = ("pid", "net", "ipc", "uts", "mnt")


def run_exec(rt, cid, *args, opts=(), **kw):
    """``exec [opts] cid args...``"""
    return rt("exec", *opts, cid, *args, **kw)


def detached(rt, cid, env, *args, opts=()):
    """exec --detach with a pid file; returns the pid of the new process."""
    pidfile = env.base / f"exec-{unique_id()}.pid"
    res = rt("exec", "--detach", "--pid-file", pidfile, *opts, cid, *args)
    assert res.rc == 0, res
    pid = int(pidfile.read_text())
    wait_for(lambda: os.readlink(f"/proc/{pid}/exe") != os.readlink(f"/proc/{os.getpid()}/exe")
             and "sleep" in open(f"/proc/{pid}/cmdline").read(), what="exec'd sleep")
    return pid


def test_exec_exit_code_and_output(rt, bundle):
    cid, _ = create_running(rt, bundle)
    res = run_exec(rt, cid, "sh", "-c", "echo hello; exit 7")
    assert res.rc == 7, res
    assert res.out == "hello\n"


def test_exec_killed_by_signal(rt, bundle):
    cid, _ = create_running(rt, bundle)
    res = run_exec(rt, cid, "sh", "-c", "kill -9 $$")
    assert res.rc == 128 + 9, res


@pytest.mark.parametrize("sig,name", [(signal.SIGTERM, "TERM"), (signal.SIGUSR1, "USR1"),
                                      (signal.SIGPIPE, "PIPE")])
def test_exec_forwards_signals(rt, bundle, host_dir, sig, name):
    """A signal to a foreground exec reaches the exec'd process, as with run."""
    bundle.bind(host_dir, "/out")
    cid, _ = create_running(rt, bundle)
    p = rt.popen("exec", cid, "sh", "-c", f"trap 'echo {name} > /out/sig; exit 4' {name}; "
                 "echo ready > /out/ready; while :; do sleep 0.05; done")
    wait_file(host_dir / "ready", proc=p)
    os.kill(p.pid, sig)
    res = rt.wait(p)
    assert wait_file(host_dir / "sig").strip() == name
    assert res.rc == 4, res


def test_exec_joins_namespaces_and_cgroup(rt, bundle, env):
    cid, init = create_running(rt, bundle)
    pid = detached(rt, cid, env, "sleep", "30")
    for ns in NS:
        assert os.readlink(f"/proc/{pid}/ns/{ns}") == os.readlink(f"/proc/{init}/ns/{ns}"), ns
        assert os.readlink(f"/proc/{pid}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}"), ns
    assert open(f"/proc/{pid}/cgroup").read() == open(f"/proc/{init}/cgroup").read()
    # the same root as the container's init
    assert os.stat(f"/proc/{pid}/root/").st_ino == os.stat(f"/proc/{init}/root/").st_ino
    # it really is in the container's pid namespace: not pid 1, but visible
    res = run_exec(rt, cid, "sh", "-c", "ls /proc | grep -c '^[0-9]'")
    assert res.rc == 0 and int(res.out) >= 3, res
    os.kill(pid, 9)


def test_exec_user_and_groups(rt, bundle, env):
    cid, _ = create_running(rt, bundle)
    pid = detached(rt, cid, env, "sleep", "30", opts=("--user", "1000:1001",
                                                      "--additional-gids", "20",
                                                      "--additional-gids", "30"))
    st = proc_status(pid)
    assert st["Uid"].split()[:2] == ["1000", "1000"]
    assert st["Gid"].split()[:2] == ["1001", "1001"]
    assert sorted(st["Groups"].split()) == ["20", "30"]
    os.kill(pid, 9)


@pytest.mark.parametrize("bad", ["x", "1:", ":1", "-1", "1:x", "4294967295", "1:2:3", ""])
def test_exec_bad_user_rejected(rt, bundle, bad):
    cid, _ = create_running(rt, bundle)
    res = run_exec(rt, cid, "true", opts=("--user", bad))
    assert_single_line_error(res)


def test_exec_env_and_cwd(rt, bundle):
    bundle.process["env"] = ["PATH=/bin:/sbin", "KEEP=config", "OVER=config"]
    cid, _ = create_running(rt, bundle)
    res = run_exec(rt, cid, "sh", "-c", 'echo "$KEEP $OVER $NEW"; pwd',
                   opts=("--env", "OVER=cli", "-e", "NEW=1", "--cwd", "/tmp"))
    assert res.rc == 0, res
    assert res.out.splitlines() == ["config cli 1", "/tmp"]


def test_exec_env_without_value_rejected(rt, bundle):
    cid, _ = create_running(rt, bundle)
    assert_single_line_error(run_exec(rt, cid, "true", opts=("--env", "NOEQUALS")))


def test_exec_cap_and_no_new_privs(rt, bundle, env):
    cid, init = create_running(rt, bundle)
    base = int(proc_status(init)["CapEff"], 16)
    pid = detached(rt, cid, env, "sleep", "30", opts=("--cap", "CAP_SYS_ADMIN", "--no-new-privs"))
    st = proc_status(pid)
    assert int(st["CapEff"], 16) == base | (1 << 21)
    assert int(st["CapBnd"], 16) & (1 << 21)
    assert st["NoNewPrivs"] == "1"
    os.kill(pid, 9)


def test_exec_process_file(rt, bundle, env):
    cid, _ = create_running(rt, bundle)
    proc = {"args": ["sh", "-c", "echo $FROMFILE; id -u; exit 3"], "cwd": "/",
            "env": ["PATH=/bin", "FROMFILE=yes"], "user": {"uid": 123, "gid": 456}}
    path = env.base / "process.json"
    path.write_text(json.dumps(proc))
    res = run_exec(rt, cid, opts=("--process", path))
    assert res.rc == 3, res
    assert res.out.splitlines() == ["yes", "123"]


def test_exec_bad_process_file(rt, bundle, env):
    cid, _ = create_running(rt, bundle)
    path = env.base / "process.json"
    path.write_text('{"args": "sh", "cwd": "/"}')
    line = assert_single_line_error(run_exec(rt, cid, opts=("--process", path)))
    assert ".args" in line


def test_exec_command_not_found(rt, bundle):
    cid, _ = create_running(rt, bundle)
    line = assert_single_line_error(run_exec(rt, cid, "no-such-program"))
    assert "no-such-program" in line


def test_exec_unknown_container(rt):
    cid = unique_id("nosuch")
    line = assert_single_line_error(run_exec(rt, cid, "true"))
    assert cid in line


def test_exec_stopped_container(rt, bundle):
    bundle.sh("exit 0")
    cid, _ = created(rt, bundle)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    assert_single_line_error(run_exec(rt, cid, "true"), cid)


def test_exec_failure_exit_codes(rt, ref, env):
    """As runc: 255 when the process cannot be started (no such program,
    no such container, a stopped one, no command given); 1 for a usage
    error."""
    for runtime in (rt, ref) if ref is not None else (rt,):
        cid, _ = create_running(runtime, env.bundle(), cid=unique_id("x"))
        stopped, _ = created(runtime, env.bundle().sh("exit 0"), cid=unique_id("s"))
        runtime.start(stopped)
        runtime.wait_status(stopped, "stopped")
        got = [run_exec(runtime, cid, "no-such-program").rc,
               run_exec(runtime, unique_id("nosuch"), "true").rc,
               run_exec(runtime, stopped, "true").rc,
               run_exec(runtime, cid).rc,
               runtime("exec", "--bogus-option", cid, "true").rc,
               runtime("exec").rc]
        assert got == [255, 255, 255, 255, 1, 1], (runtime.name, got)


def test_exec_no_command(rt, bundle):
    cid, _ = create_running(rt, bundle)
    res = run_exec(rt, cid)
    assert res.rc != 0 and res.err_lines, res


def test_exec_only_stdio_fds(rt, bundle):
    cid, _ = create_running(rt, bundle)
    res = run_exec(rt, cid, "ls", "/proc/self/fd")
    assert res.rc == 0, res
    # 0, 1, 2 and the directory ls itself opened
    assert len(res.out.split()) == 4, res.out


def test_exec_preserve_fds(rt, bundle, env):
    cid, _ = create_running(rt, bundle)
    f = env.base / "passed"
    f.write_text("through fd 3\n")
    res = rt("exec", "--preserve-fds", "1", cid, "cat", "/proc/self/fd/3",
             prefix=with_fds(fd3=f))
    assert res.rc == 0, res
    assert res.out == "through fd 3\n"


def test_exec_detach_leaves_process_running(rt, bundle, env):
    cid, _ = create_running(rt, bundle)
    pid = detached(rt, cid, env, "sleep", "30")
    assert proc_status(pid)["State"][0] in "SR"
    rt.delete(cid, force=True)
    wait_pid_gone(pid)


# --pidfd-socket is runc 1.2's: Debian's runc 1.1.5 lacks the flag, so this
# runs on ocirt only (runc_diff).
@runc_diff("runc 1.1 has no --pidfd-socket (runc 1.2 has)")
def test_exec_pidfd_socket_receives_the_process_pidfd(rt, bundle, env):
    cid, init = create_running(rt, bundle)
    recv = FdReceiver(env.base / "exec-pidfd.sock")
    try:
        pid = detached(rt, cid, env, "sleep", "30", opts=("--pidfd-socket", recv.path))
        fd = recv.wait()
        assert recv.data == b"setns"
        assert pidfd_pid(fd) == pid and pid != init
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        assert select.select([fd], [], [], 10)[0] == [fd]
        wait_pid_gone(pid)
        assert rt.status(cid) == "running"
    finally:
        recv.close()
    bad = env.base / "nobody-listens.sock"
    res = run_exec(rt, cid, "sleep", "31", opts=("--detach", "--pidfd-socket", bad))
    assert_single_line_error(res, "pidfd socket", str(bad))
    assert res.rc == 255
    res = run_exec(rt, cid, "ps", "-o", "args")
    assert res.rc == 0 and "sleep 31" not in res.out, res


def test_exec_in_created_container_matches_reference(rt, ref, env):
    results = {}
    for r in (rt, ref):
        b = env.bundle()
        b.sh("sleep 30")
        cid, _ = created(r, b)
        results[r] = r("exec", cid, "true").rc == 0
        r.delete(cid, force=True)
    assert results[rt] == results[ref], results


def test_exec_gets_the_containers_seccomp_filter(rt, bundle, env):
    bundle.linux["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": 1}],
    }
    cid, _ = create_running(rt, bundle)
    res = run_exec(rt, cid, "mkdir", "/tmp/blocked")
    assert res.rc != 0
    assert "Operation not permitted" in res.err, res
    pid = detached(rt, cid, env, "sleep", "30")
    assert proc_status(pid)["Seccomp"] == "2"
    os.kill(pid, 9)


def test_exec_refused_in_paused_container_unless_ignore_paused(rt, bundle):
    cid, _ = create_running(rt, bundle)
    assert rt("pause", cid).rc == 0
    res = run_exec(rt, cid, "true")
    assert_single_line_error(res, "paused")
    # with --ignore-paused it goes in, and finishes once the container runs
    p = rt.popen("exec", "--ignore-paused", cid, "sh", "-c", "exit 9")
    assert rt("resume", cid).rc == 0
    res = rt.wait(p, timeout=20)
    assert res.rc == 9, res



def poll_for_host_views(runtime, env, host_dir):
    """Start a container running ``sh`` and, joining its pid namespace with
    CAP_SYS_PTRACE, a poller that looks through /proc/PID/root and
    /proc/PID/cwd of every process there for a marker only the host's
    filesystem (root) or the runtime's cwd (HOST_DIR) holds, and logs any
    hit to HOST_DIR/leaks until HOST_DIR/stop exists.  Returns the id of
    the first container once the poller runs."""
    marker = host_dir / "host-marker"
    marker.write_text("the host\n")
    first = env.bundle()
    (first.rootfs / "ctl-marker").write_text("the container\n")
    cid, init = create_running(runtime, first, script="sleep 300")
    poller = env.bundle()
    poller.set_namespace("pid", f"/proc/{init}/ns/pid")
    poller.bind(host_dir, "/h")
    caps = poller.process["capabilities"]
    for kind in ("bounding", "effective", "permitted"):
        caps[kind] = caps[kind] + ["CAP_SYS_PTRACE"]
    create_running(runtime, poller, script=f"""cd /
[ -e /proc/1/root/ctl-marker ] && echo yes > /h/polling
while [ ! -e /h/stop ]; do
  for p in /proc/[0-9]*; do
    [ -e "$p/root/{str(marker).lstrip("/")}" ] && echo "$p/root" >> /h/leaks
    [ -e "$p/cwd/host-marker" ] && echo "$p/cwd" >> /h/leaks
  done
done
echo done > /h/done""")
    # it reaches the roots of the other container's processes
    wait_file(host_dir / "polling")
    return cid


def test_exec_process_never_seen_with_the_host_root(rt, ref, env):
    """The exec process is in the container's mount namespace before it is
    in its pid namespace: a neighbour there with CAP_SYS_PTRACE, polling
    while execs start, never reaches the host's filesystem through
    /proc/PID/root or /proc/PID/cwd of any of them (runc joins every
    namespace before it forks into the pid namespace too)."""
    for runtime in (rt, ref) if ref is not None else (rt,):
        host_dir = env.host_dir()
        cid = poll_for_host_views(runtime, env, host_dir)
        for _ in range(20):
            res = run_exec(runtime, cid, "true", cwd=host_dir)
            assert res.rc == 0, res
        (host_dir / "stop").write_text("")
        wait_file(host_dir / "done")
        leaks = host_dir / "leaks"
        assert not leaks.exists(), (runtime.name, leaks.read_text())
