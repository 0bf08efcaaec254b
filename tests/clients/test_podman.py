"""podman (with conmon) against ocirt and runc.

podman is run with contrib/containers.conf (CONTAINERS_CONF), a private
store per runtime (--root, --runroot, --tmpdir, --network-config-dir) and
`--runtime` naming the runtime's wrapper script.  Rootful podman passes no
--root to the runtime, so the wrapper adds a private one.
"""

import concurrent.futures
import json
import os
import shutil
import socket

import pytest

from lib.capabilities import cap_eff, cap_mask
from lib.clients import (assert_pause_unpause, CG_TOP, cgroup_dir, cgroup_limits, check_and_clean,
                         CONTRIB, read_file, run_in_pty, SECCOMP_NO_MKDIR, sh, state_left,
                         TRAP_TERM, TTY_SCRIPT, wait_for, write_json)
from lib.hostproc import proc_status

if not shutil.which("podman"):
    pytest.skip("podman is not installed (tests/clients/install.sh)",
                allow_module_level=True)

CLIENT = "podman"
IMAGE = "localhost/busybox:latest"
CONF = CONTRIB / "containers.conf"


class Podman:
    def __init__(self, base, rt, image_tar):
        self.rt = rt
        self.dir = base / f"podman-{rt.name}"
        for d in ("storage", "run", "libpod", "net", "tmp", "state"):
            (self.dir / d).mkdir(parents=True, exist_ok=True)
        storage_conf = self.dir / "storage.conf"
        storage_conf.write_text(
            "[storage]\n"
            "driver = \"overlay\"\n"
            f"graphroot = \"{self.dir / 'storage'}\"\n"
            f"runroot = \"{self.dir / 'run'}\"\n")
        self.wrapper = rt.wrapper(CLIENT, root=self.dir / "state")
        self.env = dict(os.environ, CONTAINERS_CONF=str(CONF),
                        CONTAINERS_STORAGE_CONF=str(storage_conf),
                        TMPDIR=str(self.dir / "tmp"))
        self.argv = ["podman", "--root", self.dir / "storage",
                     "--runroot", self.dir / "run",
                     "--tmpdir", self.dir / "libpod",
                     "--network-config-dir", self.dir / "net",
                     "--storage-driver", "overlay",
                     "--runtime", self.wrapper]
        self.cgroup = f"/{CG_TOP}/podman-{rt.name}"
        self("import", image_tar, IMAGE)

    def __call__(self, *args, check=True, timeout=120, input=None):
        return sh(self.argv + list(args), check=check, timeout=timeout,
                  input=input, env=self.env)

    def run(self, *args, **kw):
        return self("run", "--network", "none", "--cgroup-parent", self.cgroup,
                    *args, **kw)

    def inspect(self, name, fmt):
        return self("inspect", "--format", fmt, name).out.strip()

    def pid(self, name):
        return int(self.inspect(name, "{{.State.Pid}}"))

    def cid(self, name):
        return self.inspect(name, "{{.Id}}")


@pytest.fixture(scope="module")
def stores(session_dir, runtimes, image_tar):
    made = {}

    def store(rt):
        if rt.name not in made:
            made[rt.name] = Podman(session_dir, rt, image_tar)
        return made[rt.name]

    yield store
    problems = []
    for p in made.values():
        r = p("rm", "--all", "--force", "--time", "0", check=False)
        if r.rc != 0:
            problems.append(f"podman rm --all failed: {r!r}")
        problems += state_left(p.dir / "state")
        problems += check_and_clean(f"podman ({p.rt.name})", [p.dir], p.cgroup)
    assert not problems, "\n".join(problems)


@pytest.fixture
def podman(stores, rt):
    p = stores(rt)
    yield p
    p("rm", "--all", "--force", "--time", "0", check=False)


def test_info_reports_conf_and_runtime(podman, rt):
    info = json.loads(podman("info", "--format", "json").out)
    assert info["host"]["cgroupManager"] == "cgroupfs"
    assert info["host"]["eventLogger"] == "file"
    assert info["host"]["ociRuntime"]["path"] == podman.wrapper
    assert info["host"]["ociRuntime"]["version"].startswith(f"{rt.name} version")


def test_run_output_and_exit_code(podman, rt, tmp_path):
    mark = rt.mark(CLIENT)
    cidfile = tmp_path / "cid"
    r = podman.run("--rm", "--cidfile", cidfile, IMAGE,
                   "sh", "-c", "echo hello from $(hostname); exit 3", check=False)
    assert r.rc == 3, r
    assert r.out.startswith("hello from "), r
    calls = rt.assert_called(CLIENT, mark, cidfile.read_text().strip())
    create = [a for c, a, _ in calls if c == "create"][0]
    assert "--bundle" in create and "--pid-file" in create


def test_default_ulimits_from_conf(podman, rt):
    r = podman.run("--rm", IMAGE, "sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Su")
    assert r.out.split() == ["1024", "20000", "32768"], r


@pytest.mark.parametrize("argv,code", [
    (["/nonexistent"], 127),
    (["nonexistent"], 127),
    (["/etc/passwd"], 126),
    (["sh", "-c", "exit 42"], 42),
], ids=["missing", "not-in-path", "not-executable", "exit-42"])
def test_exit_codes(podman, rt, argv, code):
    r = podman.run("--rm", IMAGE, *argv, check=False)
    assert r.rc == code, r


def test_kill_gives_137(podman, rt):
    mark = rt.mark(CLIENT)
    podman.run("-d", "--name", "k", IMAGE, "sleep", "1000")
    cid = podman.cid("k")
    podman("kill", "k")
    assert podman("wait", "k").out.strip() == "137"
    calls = rt.assert_called(CLIENT, mark, cid, ("create", "start", "kill"))
    assert any(c == "kill" and a[-1] in ("9", "KILL", "SIGKILL") for c, a, _ in calls)


def test_detached_exec_stop_rm(podman, rt):
    mark = rt.mark(CLIENT)
    podman.run("-d", "--name", "d", IMAGE, "sh", "-c", TRAP_TERM)
    cid = podman.cid("d")
    assert podman.inspect("d", "{{.State.Status}}") == "running"
    r = podman("exec", "d", "sh", "-c", "echo in-exec; cat /proc/1/cmdline; exit 4",
               check=False)
    assert r.rc == 4, r
    assert r.out.startswith("in-exec\nsh\0-c\0"), r
    podman("stop", "--time", "20", "d")
    assert podman.inspect("d", "{{.State.ExitCode}}") == "7"
    podman("rm", "d")
    assert "d" not in podman("ps", "-a", "--format", "{{.Names}}").out.split()
    rt.assert_called(CLIENT, mark, cid, ("create", "start", "exec", "kill", "delete"))


def test_start_again_after_exit(podman, rt):
    mark = rt.mark(CLIENT)
    r = podman.run("--name", "again", IMAGE, "sh", "-c", "echo round")
    assert r.out == "round\n"
    cid = podman.cid("again")
    r = podman("start", "--attach", "again")
    assert r.out == "round\n", r
    creates = [a for c, a, _ in rt.calls(CLIENT, mark) if c == "create" and cid in a]
    assert len(creates) == 2


def test_interactive_stdin(podman, rt):
    r = podman.run("--rm", "-i", IMAGE, "sh", "-c", "read l; echo got:$l",
                   input="piped\n")
    assert r.out == "got:piped\n", r


def test_tty(podman, rt, tmp_path):
    mark = rt.mark(CLIENT)
    cidfile = tmp_path / "cid"
    rc, out = run_in_pty(podman.argv + [
        "run", "--rm", "-t", "--network", "none", "--cgroup-parent",
        podman.cgroup, "--cidfile", cidfile, IMAGE, "sh", "-c", TTY_SCRIPT],
        env=podman.env)
    assert rc == 5, out
    assert "/dev/pts/0" in out and "size=33 101" in out, out
    calls = rt.assert_called(CLIENT, mark, cidfile.read_text().strip())
    assert any(c == "create" and "--console-socket" in a for c, a, _ in calls)


def test_exec_tty(podman, rt):
    mark = rt.mark(CLIENT)
    podman.run("-d", "--name", "et", IMAGE, "sleep", "1000")
    cid = podman.cid("et")
    rc, out = run_in_pty(podman.argv + ["exec", "-t", "et", "sh", "-c", TTY_SCRIPT],
                         env=podman.env)
    assert rc == 5, out
    assert "/dev/pts/" in out and "size=33 101" in out, out
    calls = rt.assert_called(CLIENT, mark, cid, ("exec",))
    assert any(c == "exec" and "--console-socket" in a for c, a, _ in calls)


def test_resource_limits(podman, rt):
    podman.run("-d", "--name", "r", "--memory", "32m", "--pids-limit", "50",
               "--cpus", "1.5", IMAGE, "sleep", "1000")
    lim = cgroup_limits(podman.pid("r"))
    assert lim["memory"] == 32 << 20
    assert lim["pids"] == 50
    assert lim["cpu"] == (150000, 100000)


def test_cpu_shares_and_cpuset(podman, rt):
    podman.run("-d", "--name", "cs", "--cpu-shares", "512", "--cpuset-cpus", "0",
               IMAGE, "sleep", "1000")
    pid = podman.pid("cs")
    d, v = cgroup_dir(pid, "cpu")
    if v == 1:
        assert read_file(d, "cpu.shares") == "512"
    else:  # runc's conversion of shares to weight
        assert read_file(d, "cpu.weight") == str(1 + ((512 - 2) * 9999) // 262142)
    d, v = cgroup_dir(pid, "cpuset")
    assert read_file(d, "cpuset.cpus") == "0"
    assert proc_status(pid)["Cpus_allowed_list"] == "0"


def test_run_options(podman, rt, tmp_path):
    """Bind mount (ro), tmpfs, workdir, user, hostname, sysctl, shm size,
    environment, oom_score_adj."""
    (tmp_path / "vol").mkdir()
    (tmp_path / "vol" / "f").write_text("volfile\n")
    r = podman.run("--rm", "-v", f"{tmp_path / 'vol'}:/vol:ro",
                   "--tmpfs", "/scratch:size=1m", "-w", "/vol", "--user", "65534:65534",
                   "--hostname", "box", "--sysctl", "net.ipv4.ip_forward=1",
                   "--shm-size", "8m", "-e", "FOO=bar", "--oom-score-adj", "500",
                   IMAGE, "sh", "-c",
                   "pwd; cat f; id -u; id -g; hostname; cat /proc/sys/net/ipv4/ip_forward;"
                   "df -k /dev/shm /scratch | tail -2 | while read a b c; do echo $b; done;"
                   "echo $FOO; cat /proc/self/oom_score_adj; touch /vol/x", check=False)
    assert r.out.split() == ["/vol", "volfile", "65534", "65534", "box", "1",
                             "8192", "1024", "bar", "500"], r
    assert r.rc == 1 and "Read-only file system" in r.err, r


def test_privileged_and_device(podman, rt):
    r = podman.run("--rm", "--privileged", IMAGE, "sh", "-c",
                   "grep CapEff /proc/self/status; test -c /dev/fuse && echo fuse")
    assert r.out.split()[1] == proc_status(os.getpid())["CapBnd"] and "fuse" in r.out, r
    r = podman.run("--rm", "--device", "/dev/fuse", IMAGE, "sh", "-c",
                   "test -c /dev/fuse && echo fuse; test -e /dev/kmsg || echo no-kmsg")
    assert r.out == "fuse\nno-kmsg\n", r


def test_update(podman, rt):
    mark = rt.mark(CLIENT)
    podman.run("-d", "--name", "u", "--memory", "32m", IMAGE, "sleep", "1000")
    cid = podman.cid("u")
    podman("update", "--memory", "64m", "--cpus", "0.5", "u")
    lim = cgroup_limits(podman.pid("u"))
    assert lim["memory"] == 64 << 20
    assert lim["cpu"] == (50000, 100000)
    rt.assert_called(CLIENT, mark, cid, ("update",))


def test_default_capabilities(podman, rt):
    podman.run("-d", "--name", "c", IMAGE, "sleep", "1000")
    caps = podman.inspect("c", "{{json .EffectiveCaps}}")
    want = cap_mask(*json.loads(caps))
    assert want and cap_eff(podman.pid("c")) == want


def test_cap_drop_all_add(podman, rt):
    podman.run("-d", "--name", "c", "--cap-drop", "all", "--cap-add",
               "NET_ADMIN,SYS_TIME", IMAGE, "sleep", "1000")
    st = proc_status(podman.pid("c"))
    want = cap_mask("NET_ADMIN", "SYS_TIME")
    assert int(st["CapEff"], 16) == want
    assert int(st["CapBnd"], 16) == want


def test_cap_drop_chown(podman, rt):
    script = "touch /tmp/f; chown 65534 /tmp/f && echo chowned"
    assert podman.run("--rm", IMAGE, "sh", "-c", script).out == "chowned\n"
    r = podman.run("--rm", "--cap-drop", "CHOWN", IMAGE, "sh", "-c", script,
                   check=False)
    assert r.rc != 0 and "Operation not permitted" in r.err, r


def test_read_only(podman, rt):
    r = podman.run("--rm", "--read-only", IMAGE, "sh", "-c",
                   "touch /x; echo rc=$?; touch /tmp/y && echo tmp-ok")
    assert r.out == "rc=1\ntmp-ok\n", r
    assert "Read-only file system" in r.err


def test_seccomp_default(podman, rt):
    podman.run("-d", "--name", "s", IMAGE, "sleep", "1000")
    st = proc_status(podman.pid("s"))
    assert st["Seccomp"] == "2" and st["Seccomp_filters"] == "1"
    r = podman("exec", "s", "grep", "Seccomp:", "/proc/self/status")
    assert r.out == "Seccomp:\t2\n", r
    podman.run("-d", "--name", "u", "--security-opt", "seccomp=unconfined",
               IMAGE, "sleep", "1000")
    assert proc_status(podman.pid("u"))["Seccomp"] == "0"


def test_seccomp_custom_profile(podman, rt, tmp_path):
    prof = write_json(tmp_path / "seccomp.json", SECCOMP_NO_MKDIR)
    r = podman.run("--rm", "--security-opt", f"seccomp={prof}", IMAGE, "sh", "-c",
                   "touch /tmp/f && echo touch-ok; mkdir /tmp/d; echo mkdir=$?",
                   check=False)
    assert r.out == "touch-ok\nmkdir=1\n", r
    assert "Operation not permitted" in r.err, r


def test_pause_unpause(podman, rt):
    mark = rt.mark(CLIENT)
    podman.run("-d", "--name", "p", IMAGE, "sleep", "1000")
    cid, pid = podman.cid("p"), podman.pid("p")
    assert_pause_unpause(podman, "p", pid)
    rt.assert_called(CLIENT, mark, cid, ("pause", "resume"))


def test_uidmap(podman, rt):
    podman.run("-d", "--name", "m", "--uidmap", "0:100000:65536",
               "--gidmap", "0:100000:65536", IMAGE, "sleep", "1000")
    st = proc_status(podman.pid("m"))
    assert st["Uid"].split()[0] == "100000" and st["Gid"].split()[0] == "100000"
    r = podman("exec", "m", "sh", "-c",
               "cat /proc/self/uid_map; id -u; touch /tmp/f; stat -c %u /tmp/f")
    assert r.out.split() == ["0", "100000", "65536", "0", "0"], r


def test_top(podman, rt):
    podman.run("-d", "--name", "t", IMAGE, "sh", "-c",
               "sleep 1000 & sleep 1001 & wait")
    out = podman("top", "t", "pid", "args").out
    assert "sleep 1000" in out and "sleep 1001" in out, out


def test_stats_no_stream(podman, rt):
    podman.run("-d", "--name", "st", "--memory", "32m", IMAGE, "sh", "-c",
               "sleep 1000 & sleep 1001 & wait")
    r = podman("stats", "--no-stream", "--format",
               "{{.PIDs}}|{{.MemUsage}}", "st")
    pids, mem = r.out.strip().split("|")
    assert pids == "3", r
    assert mem.split("/")[1].strip() in ("33.55MB", "32MiB"), r


def test_healthcheck_repeated_execs(podman, rt):
    mark = rt.mark(CLIENT)
    podman.run("-d", "--name", "h", "--health-cmd", "test -e /proc/1/status",
               "--health-interval", "0", IMAGE, "sleep", "1000")
    cid = podman.cid("h")
    for _ in range(10):
        podman("healthcheck", "run", "h")
    assert podman.inspect("h", "{{.State.Health.Status}}") == "healthy"
    for i in range(10):
        assert podman("exec", "h", "echo", str(i)).out == f"{i}\n"
    execs = [a for c, a, _ in rt.calls(CLIENT, mark) if c == "exec" and cid in a]
    assert len(execs) == 20


def test_several_containers_at_once(podman, rt):
    mark = rt.mark(CLIENT)
    names = [f"many{i}" for i in range(4)]
    with concurrent.futures.ThreadPoolExecutor(len(names)) as ex:
        list(ex.map(lambda n: podman.run("-d", "--name", n, IMAGE, "sh", "-c",
                                         f"echo I am {n}; exec sleep 1000"),
                    names))
    running = podman("ps", "--format", "{{.Names}}").out.split()
    assert set(names) <= set(running)
    pids = {podman.pid(n) for n in names}
    assert len(pids) == len(names)
    for n in names:
        wait_for(lambda: podman("logs", n).out == f"I am {n}\n", what=f"logs of {n}")
    cids = [podman.cid(n) for n in names]
    with concurrent.futures.ThreadPoolExecutor(len(names)) as ex:
        list(ex.map(lambda n: podman("rm", "--force", "--time", "0", n), names))
    calls = rt.calls(CLIENT, mark)
    for cid in cids:
        assert any(c == "create" and cid in a for c, a, _ in calls)
        assert any(c == "delete" and cid in a for c, a, _ in calls)


NOTIFY_READY_C = r"""
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Tell $NOTIFY_SOCKET the service is ready, as systemd-notify would.  */
int main (void)
{
  static const char msg[] = "READY=1\nSTATUS=notify-test";
  const char *path = getenv ("NOTIFY_SOCKET");
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  int s = socket (AF_UNIX, SOCK_DGRAM, 0);

  if (path == NULL || s < 0)
    return 2;
  strncpy (a.sun_path, path, sizeof (a.sun_path) - 1);
  if (sendto (s, msg, sizeof (msg) - 1, 0, (struct sockaddr *) &a, sizeof (a)) < 0)
    return 3;
  pause ();
  return 0;
}
"""


@pytest.fixture(scope="module")
def notify_ready(session_dir):
    """A static helper for the busybox image: busybox has no systemd-notify."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler for the notify helper")
    src = session_dir / "notify-ready.c"
    src.write_text(NOTIFY_READY_C)
    out = session_dir / "notify-ready"
    sh([cc, "-static", "-O2", "-o", out, src])
    return out


def test_sdnotify_container(podman, rt, notify_ready):
    """--sdnotify=container: the container's own READY=1 reaches the
    caller's NOTIFY_SOCKET, through podman and the runtime."""
    mark = rt.mark(CLIENT)
    sock_path = f"/tmp/sdnotify-{os.getpid()}-{rt.name}.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(sock_path)
    listener.settimeout(60)
    try:
        env = dict(podman.env, NOTIFY_SOCKET=sock_path)
        sh(podman.argv + ["run", "-d", "--network", "none", "--cgroup-parent", podman.cgroup,
                          "--name", "sdn", "--sdnotify=container",
                          "-v", f"{notify_ready}:/notify-ready:ro", IMAGE, "/notify-ready"],
           env=env)
        got = []
        while not any("READY=1" in m for m in got):
            got.append(listener.recv(4096).decode(errors="replace"))
        assert any("READY=1" in m for m in got), got
        cid = podman.cid("sdn")
        rt.assert_called(CLIENT, mark, cid, commands=("create", "start"))
        assert podman.inspect("sdn", "{{.State.Status}}") == "running"
        # the contrast: a container that never says it is ready
        sh(podman.argv + ["run", "-d", "--network", "none", "--cgroup-parent", podman.cgroup,
                          "--name", "mute", "--sdnotify=container", IMAGE, "sleep", "1000"],
           env=env)
        listener.settimeout(3)
        later = []
        try:
            while True:
                later.append(listener.recv(4096).decode(errors="replace"))
        except socket.timeout:
            pass
        assert not any("READY=1" in m for m in later), later
    finally:
        listener.close()
        os.unlink(sock_path)
