"""Terminals: run in the foreground with a pty, and --console-socket."""

import os
import re
import shlex
import subprocess

from lib.console import ConsoleReceiver, read_until
from lib.runtime import created, unique_id
from lib.waiting import wait_for


def test_run_foreground_terminal_proxies_stdio(rt, bundle, env):
    bundle.process["terminal"] = True
    bundle.sh("tty; echo size=$(stty size); read line; echo got:$line; exit 4")
    cid = unique_id()
    bundle.write()
    p = subprocess.run(rt.argv("run", "--bundle", bundle, cid), input=b"hello\n",
                       capture_output=True, timeout=30)
    out = p.stdout.decode()
    assert p.returncode == 4, (p.returncode, out, p.stderr)
    assert "/dev/pts/0" in out
    assert "got:hello" in out
    assert rt.status(cid) is None


def test_run_terminal_console_size(rt, bundle):
    bundle.process["terminal"] = True
    bundle.process["consoleSize"] = {"height": 33, "width": 101}
    bundle.sh("stty size")
    bundle.write()
    p = subprocess.run(rt.argv("run", "--bundle", bundle, unique_id()),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    assert p.returncode == 0, p
    assert "33 101" in p.stdout.decode()


def test_create_with_console_socket(rt, bundle, env):
    bundle.process["terminal"] = True
    bundle.sh("tty; ls -l /dev/console; read x; echo reply:$x; sleep 30")
    recv = ConsoleReceiver(env.base / "console.sock")
    try:
        cid = unique_id()
        rt.create(cid, bundle, "--console-socket", recv.path)
        master = recv.wait()
        pid = rt.pid(cid)
        # the container's stdio is the terminal, not the runtime's files
        assert os.readlink(f"/proc/{pid}/fd/0").startswith("/dev/pts/")
        rt.start(cid)
        os.write(master, b"ping\n")
        out = read_until(master, "reply:ping")
        assert "/dev/pts/0" in out
        assert "reply:ping" in out
        # /dev/console is the same terminal (a bind of the pty)
        assert "136," in out or "pts" in out or "console" in out
    finally:
        recv.close()


def test_console_socket_without_terminal_rejected(rt, bundle, env):
    bundle.sh("true")
    res = rt.create(unique_id(), bundle, "--console-socket", env.base / "nosuch.sock",
                    check=False)
    assert res.rc != 0 and res.err_lines


def test_terminal_without_console_socket_detached_rejected(rt, bundle):
    bundle.process["terminal"] = True
    bundle.sh("true")
    res = rt.create(unique_id(), bundle, check=False)
    assert res.rc != 0 and len(res.err_lines) == 1


def test_exec_tty_with_console_socket(rt, bundle, env):
    bundle.sh("sleep 30")
    cid, _ = created(rt, bundle)
    rt.start(cid)
    recv = ConsoleReceiver(env.base / "exec.sock")
    try:
        p = rt.popen("exec", "--tty", "--console-socket", recv.path, cid, "sh", "-c",
                     "tty; exit 5")
        master = recv.wait()
        out = read_until(master, "/dev/pts/")
        res = rt.wait(p)
        assert res.rc == 5, res
        assert "/dev/pts/" in out
    finally:
        recv.close()


def _tty_owner(runtime, bundle):
    # under script(1): runc wants a terminal of the caller's to proxy
    cmd = " ".join(shlex.quote(str(a)) for a in runtime.argv("run", "--bundle", bundle,
                                                              unique_id()))
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p
    out = p.stdout.decode()
    owner = re.search(r"(\d+):(\d+)", out)
    assert owner and "ok" in out.split(), out
    return owner.group(0)


def test_terminal_belongs_to_the_process_user_as_with_runc(rt, ref, env):
    """A process that is not root can reopen its terminal (/dev/stdout)."""
    b = env.bundle(("sh", "-c", "stat -c %u:%g $(tty) && echo ok > /dev/stdout"))
    b.process["terminal"] = True
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.write()
    ours = _tty_owner(rt, b)
    assert ours.startswith("1000:"), ours
    if ref is not None:
        assert _tty_owner(ref, b) == ours
