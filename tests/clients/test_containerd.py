"""containerd (runc v2 shim) and ctr against ocirt and runc.

One containerd per module, with a private config: root, state, gRPC and
ttrpc sockets below the session directory, CRI and the snapshotters that
would probe the host disabled.  Each container names its runtime with
`ctr run --runc-binary WRAPPER --runc-root DIR --rootfs DIR` and gets an
explicit cgroupfs path below the session's cgroup parent.
"""

import os
import shutil
import subprocess
import tomllib

import pytest

from lib.capabilities import cap_eff, cap_mask
from lib.clients import (CG_TOP, cgroup_dir, cgroup_limits, check_and_clean, CONTRIB,
                         containerd_base_config, Daemon,
                         frozen, run_in_pty, sh, state_left, TRAP_TERM, TTY_SCRIPT, wait_for)
from lib.hostproc import proc_status

if not (shutil.which("containerd") and shutil.which("ctr")):
    pytest.skip("containerd is not installed (tests/clients/install.sh)",
                allow_module_level=True)

CLIENT = "containerd"
NAMESPACE = "ocirt-clients"
SNIPPET = CONTRIB / "containerd" / "config.toml"

#: ctr's default capability set (containerd's oci.populateDefaultUnixSpec)
CTR_DEFAULT_CAPS = ("CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID "
                    "SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL "
                    "AUDIT_WRITE").split()


def private_config(d, extra=""):
    return containerd_base_config(d, cri=False, extra=extra)


class Containerd:
    def __init__(self, base, rootfs):
        self.dir = base / "containerd"
        self.dir.mkdir()
        self.rootfs = rootfs
        self.sock = self.dir / "containerd.sock"
        self.config = self.dir / "config.toml"
        self.config.write_text(private_config(self.dir))
        self.cgroup = f"/{CG_TOP}/containerd"
        (self.dir / "tmp").mkdir()
        # the shims' process files and terminal sockets go to TMPDIR
        self.daemon = Daemon("containerd", ["containerd", "--config", self.config],
                             self.dir / "containerd.log",
                             env=dict(os.environ, TMPDIR=str(self.dir / "tmp")))
        self.daemon.wait_ready(lambda: self.ctr("version", check=False).rc == 0)

    def ctr(self, *args, **kw):
        return sh(["ctr", "--address", self.sock, "--namespace", NAMESPACE,
                   *args], **kw)

    def run_argv(self, rt, cid, *opts):
        """argv of `ctr run` for container cid with runtime rt."""
        return ["ctr", "--address", self.sock, "--namespace", NAMESPACE, "run",
                "--runc-binary", rt.wrapper(CLIENT),
                "--runc-root", self.dir / f"runc-root-{rt.name}",
                "--cgroup", f"{self.cgroup}/{rt.name}/{cid}",
                "--fifo-dir", self.dir / "fifo",
                *opts, "--rootfs", self.rootfs, cid]

    def run(self, rt, cid, *opts, cmd, **kw):
        return sh(self.run_argv(rt, cid, *opts) + list(cmd), **kw)

    def tasks(self):
        """{id: (pid, status)}"""
        out = {}
        for line in self.ctr("task", "ls").out.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3:
                out[f[0]] = (int(f[1]), f[2])
        return out

    def exec_(self, cid, eid, *cmd, check=True, opts=()):
        return self.ctr("task", "exec", "--exec-id", eid, "--fifo-dir",
                        self.dir / "fifo", *opts, cid, *cmd, check=check)

    def remove_all(self):
        """Kill and delete every task and container of the namespace."""
        problems = []
        for cid in self.tasks():
            self.ctr("task", "kill", "--all", "--signal", "SIGKILL", cid, check=False)
        for cid in self.tasks():
            try:
                wait_for(lambda: self.tasks().get(cid, (0, "STOPPED"))[1] == "STOPPED",
                         timeout=20, what=f"task {cid} to stop")
            except AssertionError as e:
                problems.append(str(e))
            r = self.ctr("task", "delete", "--force", cid, check=False)
            if r.rc != 0:
                problems.append(f"task delete {cid}: {r!r}")
        for line in self.ctr("containers", "ls", "--quiet").out.split():
            r = self.ctr("containers", "rm", line, check=False)
            if r.rc != 0:
                problems.append(f"container rm {line}: {r!r}")
        return problems


@pytest.fixture(scope="module")
def containerd(session_dir, rootfs):
    c = Containerd(session_dir, rootfs)
    yield c
    problems = c.remove_all()
    if not c.daemon.stop():
        problems.append("containerd did not stop on SIGTERM")
    for name in ("ocirt", "runc"):
        problems += state_left(c.dir / f"runc-root-{name}" / NAMESPACE)
    problems += check_and_clean("containerd", [c.dir], c.cgroup)
    assert not problems, "\n".join(problems)


@pytest.fixture
def ctd(containerd):
    yield containerd
    containerd.remove_all()


def background(argv):
    return subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_running(ctd, cid):
    return wait_for(lambda: ctd.tasks().get(cid, (0, ""))[1] == "RUNNING" and
                    ctd.tasks()[cid][0], what=f"task {cid} running")


def test_run_output_and_exit_code(ctd, rt):
    mark = rt.mark(CLIENT)
    r = ctd.run(rt, "hello", "--rm",
                cmd=["/bin/sh", "-c", "echo hello; exit 3"],
                check=False)
    assert r.rc == 3, r
    assert r.out == "hello\n", r
    calls = rt.assert_called(CLIENT, mark, "hello")
    create = [a for c, a, _ in calls if c == "create"][0]
    assert "--bundle" in create and "--pid-file" in create


def test_exec(ctd, rt):
    mark = rt.mark(CLIENT)
    ctd.run(rt, "ex", "--detach", cmd=["/bin/sleep", "1000"])
    r = ctd.exec_("ex", "e1", "/bin/sh", "-c", "echo in-exec; cat /proc/1/cmdline; exit 6",
                  check=False)
    assert r.rc == 6, r
    assert r.out == "in-exec\n/bin/sleep\x001000\x00", r
    rt.assert_called(CLIENT, mark, "ex", ("create", "start", "exec"))


def test_exec_tty(ctd, rt):
    mark = rt.mark(CLIENT)
    ctd.run(rt, "ext", "--detach", cmd=["/bin/sleep", "1000"])
    rc, out = run_in_pty(["ctr", "--address", ctd.sock, "--namespace", NAMESPACE,
                          "task", "exec", "--tty", "--exec-id", "t1", "--fifo-dir",
                          ctd.dir / "fifo", "ext", "/bin/sh", "-c", TTY_SCRIPT])
    assert rc == 5, out
    assert "/dev/pts/" in out and "size=33 101" in out, out
    calls = rt.assert_called(CLIENT, mark, "ext", ("exec",))
    assert any(c == "exec" and "--console-socket" in a for c, a, _ in calls)


def test_task_ps(ctd, rt):
    mark = rt.mark(CLIENT)
    ctd.run(rt, "ps", "--detach",
            cmd=["/bin/sh", "-c", "sleep 1000 & sleep 1001 & wait"])
    pid = wait_running(ctd, "ps")
    d, _ = cgroup_dir(pid, "pids")
    wait_for(lambda: len(open(os.path.join(d, "cgroup.procs")).read().split()) == 3,
             what="three processes")
    procs = set(map(int, open(os.path.join(d, "cgroup.procs")).read().split()))
    lines = ctd.ctr("task", "ps", "ps").out.splitlines()[1:]
    assert {int(x.split()[0]) for x in lines} == procs
    rt.assert_called(CLIENT, mark, "ps", ("ps",))


def test_pause_resume(ctd, rt):
    mark = rt.mark(CLIENT)
    ctd.run(rt, "pr", "--detach", cmd=["/bin/sleep", "1000"])
    pid = wait_running(ctd, "pr")
    ctd.ctr("task", "pause", "pr")
    assert ctd.tasks()["pr"][1] == "PAUSED"
    assert frozen(pid)
    ctd.ctr("task", "resume", "pr")
    assert ctd.tasks()["pr"][1] == "RUNNING"
    assert not frozen(pid)
    assert ctd.exec_("pr", "after", "/bin/echo", "alive").out == "alive\n"
    rt.assert_called(CLIENT, mark, "pr", ("pause", "resume"))


def test_kill_sigterm(ctd, rt):
    mark = rt.mark(CLIENT)
    p = background(ctd.run_argv(rt, "term", "--rm") + ["/bin/sh", "-c", TRAP_TERM])
    try:
        wait_running(ctd, "term")
        ctd.ctr("task", "kill", "term")
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 7, (out, err)
    calls = rt.assert_called(CLIENT, mark, "term", ("create", "start", "kill", "delete"))
    assert any(c == "kill" and a[-1] == "15" for c, a, _ in calls)


def test_kill_all(ctd, rt):
    mark = rt.mark(CLIENT)
    p = background(ctd.run_argv(rt, "all", "--rm") +
                   ["/bin/sh", "-c", "sleep 1000 & sleep 1001 & wait"])
    try:
        pid = wait_running(ctd, "all")
        d, _ = cgroup_dir(pid, "pids")
        wait_for(lambda: len(open(os.path.join(d, "cgroup.procs")).read().split()) == 3,
                 what="three processes")
        pids = list(map(int, open(os.path.join(d, "cgroup.procs")).read().split()))
        ctd.ctr("task", "kill", "--all", "--signal", "SIGKILL", "all")
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 137, (out, err)
    for q in pids:
        assert not os.path.exists(f"/proc/{q}") or \
            proc_status(q)["State"].startswith(("Z", "X")), q
    calls = rt.assert_called(CLIENT, mark, "all", ("create", "start", "kill", "delete"))
    assert any(c == "kill" and "--all" in a and a[-1] == "9" for c, a, _ in calls)


def test_memory_limit(ctd, rt):
    ctd.run(rt, "mem", "--detach", "--memory-limit", str(32 << 20),
            cmd=["/bin/sleep", "1000"])
    pid = wait_running(ctd, "mem")
    assert cgroup_limits(pid)["memory"] == 32 << 20
    d, _ = cgroup_dir(pid, "memory")
    assert d.endswith(f"{ctd.cgroup}/{rt.name}/mem")


def test_tty(ctd, rt):
    mark = rt.mark(CLIENT)
    rc, out = run_in_pty(ctd.run_argv(rt, "tty", "--rm", "--tty") +
                         ["/bin/sh", "-c", TTY_SCRIPT])
    assert rc == 5, out
    assert "/dev/pts/0" in out and "size=33 101" in out, out
    calls = rt.assert_called(CLIENT, mark, "tty")
    assert any(c == "create" and "--console-socket" in a for c, a, _ in calls)


def test_capabilities(ctd, rt):
    ctd.run(rt, "caps", "--detach", "--cap-add", "CAP_SYS_TIME",
            "--cap-drop", "CAP_CHOWN", cmd=["/bin/sleep", "1000"])
    pid = wait_running(ctd, "caps")
    want = (cap_mask(*CTR_DEFAULT_CAPS) | cap_mask("SYS_TIME")) & ~cap_mask("CHOWN")
    assert cap_eff(pid) == want
    r = ctd.exec_("caps", "chown", "/bin/sh", "-c",
                  "touch /tmp/f.$$; chown 65534 /tmp/f.$$; echo $?; rm -f /tmp/f.$$",
                  check=False)
    assert r.out == "1\n" and "Operation not permitted" in r.err, r


def test_seccomp(ctd, rt):
    ctd.run(rt, "sc", "--detach", "--seccomp", cmd=["/bin/sleep", "1000"])
    ctd.run(rt, "nosc", "--detach", cmd=["/bin/sleep", "1000"])
    assert proc_status(wait_running(ctd, "sc"))["Seccomp"] == "2"
    r = ctd.exec_("sc", "e", "/bin/grep", "Seccomp:", "/proc/self/status")
    assert r.out == "Seccomp:\t2\n", r
    assert proc_status(wait_running(ctd, "nosc"))["Seccomp"] == "0"


# --------------------------------------------------------------------------
# the CRI snippet (contrib/containerd/config.toml)
# --------------------------------------------------------------------------


def test_cri_snippet(tmp_path):
    """containerd takes the snippet as an import, and its CRI plugin loads
    with the ocirt handler (and the default one, runc)."""
    with open(SNIPPET, "rb") as f:
        snippet = tomllib.load(f)
    runtimes = snippet["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    ocirt = runtimes["ocirt"]
    assert ocirt["runtime_type"] == "io.containerd.runc.v2"
    assert ocirt["options"]["BinaryName"].endswith("/ocirt")
    assert ocirt["options"]["SystemdCgroup"] is False
    assert runtimes["runc"]["runtime_type"] == "io.containerd.runc.v2"

    main = tmp_path / "config.toml"
    main.write_text(private_config(tmp_path, f'imports = ["{SNIPPET}"]')
                    .replace('  "io.containerd.grpc.v1.cri",\n', ""))
    dump = tomllib.loads(sh(["containerd", "--config", main, "config", "dump"]).out)
    got = dump["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    assert got["ocirt"]["runtime_type"] == "io.containerd.runc.v2"
    assert got["ocirt"]["options"]["BinaryName"] == ocirt["options"]["BinaryName"]

    sock = tmp_path / "containerd.sock"
    d = Daemon("containerd-cri", ["containerd", "--config", main],
               tmp_path / "containerd.log")
    try:
        d.wait_ready(lambda: sh(["ctr", "--address", sock, "version"],
                                check=False).rc == 0)
        plugins = sh(["ctr", "--address", sock, "plugins", "ls"]).out
        cri = [line.split() for line in plugins.splitlines() if " cri " in line]
        assert cri and cri[0][-1] == "ok", plugins + d.tail()
    finally:
        stopped = d.stop()
    problems = check_and_clean("containerd (CRI)", [tmp_path], f"/{CG_TOP}/cri")
    assert stopped and not problems, problems
