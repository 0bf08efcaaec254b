"""Docker (dockerd with its own containerd) against ocirt and runc.

One dockerd per module with private data, exec and pid paths, its API on a
private unix socket, no bridge and no iptables, the cgroupfs driver and a
cgroup parent of the session.  Both runtimes are added with --add-runtime:
"ocirt" and "runc-ref" (runc is a reserved name); every `docker run` names
its runtime and --network none.  /usr/bin/docker is Debian's client.
"""

import concurrent.futures
import json
import os
import shutil

import pytest

from lib.capabilities import cap_eff, cap_mask
from lib.clients import (assert_pause_unpause, CG_TOP, cgroup_limits, check_and_clean, CONTRIB,
                         Daemon, mounts_below, run_in_pty, SECCOMP_NO_MKDIR, sh, state_left,
                         TRAP_TERM, TTY_SCRIPT, write_json)
from lib.hostproc import proc_status

DOCKER = "/usr/bin/docker"

if not (shutil.which("dockerd") and os.access(DOCKER, os.X_OK)):
    pytest.skip("docker.io is not installed (tests/clients/install.sh)",
                allow_module_level=True)

CLIENT = "docker"
IMAGE = "busybox:local"
NAMES = {"ocirt": "ocirt", "runc": "runc-ref"}
SNIPPET = CONTRIB / "docker" / "daemon.json"

#: Docker's default capability set (oci/caps/defaults.go)
DOCKER_DEFAULT_CAPS = ("CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID "
                       "SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL "
                       "AUDIT_WRITE").split()


class Docker:
    def __init__(self, base, name, config, flags, runtimes_flags=()):
        self.dir = base / name
        self.dir.mkdir()
        (self.dir / "client").mkdir()
        self.sock = self.dir / "docker.sock"
        self.exec_root = self.dir / "exec"
        cfg = dict(config)
        # dockerd writes its identity key to /etc/docker unless told
        cfg["deprecated-key-path"] = str(self.dir / "key.json")
        self.config = write_json(self.dir / "daemon.json", cfg)
        self.cgroup = f"/{CG_TOP}/{name}"
        self.env = dict(os.environ, DOCKER_CONFIG=str(self.dir / "client"))
        self.env.pop("DOCKER_HOST", None)
        argv = ["dockerd", "--config-file", self.config,
                "--data-root", self.dir / "data",
                "--exec-root", self.exec_root,
                "--pidfile", self.dir / "docker.pid",
                "-H", f"unix://{self.sock}",
                "--bridge", "none", "--iptables=false", "--ip6tables=false",
                "--ip-masq=false", "--ip-forward=false",
                "--userland-proxy=false",
                "--storage-driver", "overlay2",
                "--cgroup-parent", self.cgroup,
                *runtimes_flags, *flags]
        (self.dir / "tmp").mkdir()
        self.daemon = Daemon(name, argv, self.dir / "dockerd.log",
                             env=dict(self.env, TMPDIR=str(self.dir / "tmp")))
        self.daemon.wait_ready(lambda: self("version", check=False).rc == 0)

    def __call__(self, *args, check=True, timeout=120, input=None):
        return sh([DOCKER, "-H", f"unix://{self.sock}", *args], check=check,
                  timeout=timeout, input=input, env=self.env)

    def run(self, rt, *args, **kw):
        return self("run", "--runtime", NAMES[rt.name], "--network", "none",
                    *args, **kw)

    def inspect(self, name, fmt):
        return self("inspect", "--format", fmt, name).out.strip()

    def pid(self, name):
        return int(self.inspect(name, "{{.State.Pid}}"))

    def cid(self, name):
        return self.inspect(name, "{{.Id}}")

    def bundle(self, cid):
        return (self.exec_root / "containerd" / "daemon" /
                "io.containerd.runtime.v2.task" / "moby" / cid)

    def remove_all(self):
        ids = self("ps", "--all", "--quiet", check=False).out.split()
        if ids:
            return self("rm", "--force", *ids, check=False)
        return None

    def stop(self):
        problems = []
        r = self.remove_all()
        if r is not None and r.rc != 0:
            problems.append(f"docker rm failed: {r!r}")
        if not self.daemon.stop():
            problems.append(f"{self.daemon.name} did not stop on SIGTERM")
        problems += state_left(self.exec_root / "runtime-runc" / "moby")
        return problems + check_and_clean(self.daemon.name, [self.dir], self.cgroup)


@pytest.fixture(scope="module")
def dockerd(session_dir, runtimes, image_tar):
    flags = ["--exec-opt", "native.cgroupdriver=cgroupfs"]
    rflags = []
    for name, rtobj in runtimes.items():
        rflags += ["--add-runtime", f"{NAMES[name]}={rtobj.wrapper(CLIENT)}"]
    d = Docker(session_dir, "docker", {}, flags, rflags)
    try:
        d("import", image_tar, IMAGE)
    except BaseException:
        d.stop()
        raise
    yield d
    problems = d.stop()
    assert not problems, "\n".join(problems)


@pytest.fixture
def docker(dockerd):
    yield dockerd
    dockerd.remove_all()


def test_info(docker, rt):
    info = json.loads(docker("info", "--format", "{{json .}}").out)
    assert info["CgroupDriver"] == "cgroupfs"
    assert info["Runtimes"][NAMES[rt.name]]["path"] == rt.wrapper(CLIENT)


def test_run_output_and_exit_code(docker, rt, tmp_path):
    mark = rt.mark(CLIENT)
    cidfile = tmp_path / "cid"
    r = docker.run(rt, "--rm", "--cidfile", cidfile, IMAGE,
                   "sh", "-c", "echo hello; exit 3", check=False)
    assert r.rc == 3, r
    assert r.out == "hello\n", r
    calls = rt.assert_called(CLIENT, mark, cidfile.read_text().strip())
    create = [a for c, a, _ in calls if c == "create"][0]
    assert "--bundle" in create and "--pid-file" in create


#: the docker client turns a failed start into 127 or 126 when the error
#: holds the lower-case words runc writes; it compares case-sensitively
@pytest.mark.parametrize("argv,code", [
    (["/nonexistent"], 127),
    (["nonexistent"], 127),
    (["/etc/passwd"], 126),
    (["sh", "-c", "exit 42"], 42),
], ids=["missing", "not-in-path", "not-executable", "exit-42"])
def test_exit_codes(docker, rt, argv, code):
    r = docker.run(rt, "--name", "c-x", IMAGE, *argv, check=False)
    # the daemon's own mapping ignores case: the container's exit code
    assert docker.inspect("c-x", "{{.State.ExitCode}}") == str(code)
    assert r.rc == code, r


def test_kill_gives_137(docker, rt):
    mark = rt.mark(CLIENT)
    docker.run(rt, "-d", "--name", "c-k", IMAGE, "sleep", "1000")
    cid = docker.cid("c-k")
    docker("kill", "c-k")
    assert docker("wait", "c-k").out.strip() == "137"
    calls = rt.assert_called(CLIENT, mark, cid, ("create", "start", "kill"))
    assert any(c == "kill" and a[-1] == "9" for c, a, _ in calls)


def test_lifecycle(docker, rt):
    mark = rt.mark(CLIENT)
    docker.run(rt, "-d", "--name", "c-l", IMAGE, "sh", "-c", TRAP_TERM)
    cid = docker.cid("c-l")
    r = docker("exec", "c-l", "sh", "-c", "echo in-exec; cat /proc/1/cmdline; exit 4",
               check=False)
    assert r.rc == 4, r
    assert r.out.startswith("in-exec\nsh\0-c\0"), r
    docker("stop", "--time", "20", "c-l")
    assert docker.inspect("c-l", "{{.State.ExitCode}}") == "7"
    docker("start", "c-l")
    assert docker.inspect("c-l", "{{.State.Status}}") == "running"
    assert docker("exec", "c-l", "echo", "again").out == "again\n"
    docker("rm", "--force", "c-l")
    assert docker("ps", "--all", "--quiet", "--filter", "name=^c-l$").out == ""
    calls = rt.assert_called(CLIENT, mark, cid,
                             ("create", "start", "exec", "kill", "delete"))
    assert len([1 for c, a, _ in calls if c == "create" and cid in a]) == 2


def test_memory_pids_cpus(docker, rt):
    docker.run(rt, "-d", "--name", "c-m", "--memory", "32m", "--pids-limit", "50",
               "--cpus", "1.5", IMAGE, "sleep", "1000")
    lim = cgroup_limits(docker.pid("c-m"))
    assert lim["memory"] == 32 << 20
    assert lim["pids"] == 50
    assert lim["cpu"] == (150000, 100000)


def test_update(docker, rt):
    mark = rt.mark(CLIENT)
    docker.run(rt, "-d", "--name", "c-u", "--memory", "32m", IMAGE, "sleep", "1000")
    cid = docker.cid("c-u")
    docker("update", "--memory", "48m", "--cpus", "0.5", "--pids-limit", "77", "c-u")
    lim = cgroup_limits(docker.pid("c-u"))
    assert lim["memory"] == 48 << 20
    assert lim["cpu"] == (50000, 100000)
    assert lim["pids"] == 77
    rt.assert_called(CLIENT, mark, cid, ("update",))


def test_pause_unpause(docker, rt):
    mark = rt.mark(CLIENT)
    docker.run(rt, "-d", "--name", "c-p", IMAGE, "sleep", "1000")
    cid, pid = docker.cid("c-p"), docker.pid("c-p")
    assert_pause_unpause(docker, "c-p", pid)
    rt.assert_called(CLIENT, mark, cid, ("pause", "resume"))


def test_tty(docker, rt, tmp_path):
    mark = rt.mark(CLIENT)
    cidfile = tmp_path / "cid"
    rc, out = run_in_pty([DOCKER, "-H", f"unix://{docker.sock}", "run", "--rm",
                          "-t", "-i", "--runtime", NAMES[rt.name], "--network",
                          "none", "--cidfile", cidfile, IMAGE, "sh", "-c",
                          TTY_SCRIPT], env=docker.env)
    assert rc == 5, out
    assert "/dev/pts/0" in out and "size=33 101" in out, out
    calls = rt.assert_called(CLIENT, mark, cidfile.read_text().strip())
    assert any(c == "create" and "--console-socket" in a for c, a, _ in calls)


def test_exec_tty(docker, rt):
    mark = rt.mark(CLIENT)
    docker.run(rt, "-d", "--name", "c-et", IMAGE, "sleep", "1000")
    cid = docker.cid("c-et")
    rc, out = run_in_pty([DOCKER, "-H", f"unix://{docker.sock}", "exec", "-t", "-i",
                          "c-et", "sh", "-c", TTY_SCRIPT], env=docker.env)
    assert rc == 5, out
    assert "/dev/pts/" in out and "size=33 101" in out, out
    calls = rt.assert_called(CLIENT, mark, cid, ("exec",))
    assert any(c == "exec" and "--console-socket" in a for c, a, _ in calls)


def test_top(docker, rt):
    mark = rt.mark(CLIENT)
    docker.run(rt, "-d", "--name", "c-t", IMAGE, "sh", "-c",
               "sleep 1000 & sleep 1001 & wait")
    cid = docker.cid("c-t")
    out = docker("top", "c-t").out
    assert "sleep 1000" in out and "sleep 1001" in out, out
    rt.assert_called(CLIENT, mark, cid, ("ps",))


def test_default_capabilities(docker, rt):
    docker.run(rt, "-d", "--name", "c-c", IMAGE, "sleep", "1000")
    assert cap_eff(docker.pid("c-c")) == cap_mask(*DOCKER_DEFAULT_CAPS)


def test_cap_drop_all_add(docker, rt):
    docker.run(rt, "-d", "--name", "c-c", "--cap-drop", "ALL", "--cap-add",
               "NET_ADMIN", "--cap-add", "SYS_TIME", IMAGE, "sleep", "1000")
    st = proc_status(docker.pid("c-c"))
    want = cap_mask("NET_ADMIN", "SYS_TIME")
    assert int(st["CapEff"], 16) == want
    assert int(st["CapBnd"], 16) == want


def test_cap_drop_chown(docker, rt):
    r = docker.run(rt, "--rm", "--cap-drop", "CHOWN", IMAGE, "sh", "-c",
                   "touch /tmp/f; chown 65534 /tmp/f", check=False)
    assert r.rc == 1 and "Operation not permitted" in r.err, r


def test_seccomp_default(docker, rt):
    docker.run(rt, "-d", "--name", "c-s", IMAGE, "sleep", "1000")
    st = proc_status(docker.pid("c-s"))
    assert st["Seccomp"] == "2" and st["Seccomp_filters"] == "1"
    # Docker's profile allows unshare(2) only with CAP_SYS_ADMIN
    r = docker("exec", "c-s", "sh", "-c", "grep Seccomp: /proc/self/status; "
               "unshare -U true", check=False)
    assert r.out == "Seccomp:\t2\n", r
    assert r.rc != 0 and "Operation not permitted" in r.err, r
    docker.run(rt, "-d", "--name", "c-u", "--security-opt", "seccomp=unconfined",
               IMAGE, "sleep", "1000")
    assert proc_status(docker.pid("c-u"))["Seccomp"] == "0"
    assert docker("exec", "c-u", "unshare", "-U", "true").rc == 0


def test_seccomp_custom_profile(docker, rt, tmp_path):
    prof = write_json(tmp_path / "seccomp.json", SECCOMP_NO_MKDIR)
    r = docker.run(rt, "--rm", "--security-opt", f"seccomp={prof}", IMAGE, "sh",
                   "-c", "touch /tmp/f && echo touch-ok; mkdir /tmp/d; echo mkdir=$?",
                   check=False)
    assert r.out == "touch-ok\nmkdir=1\n", r
    assert "Operation not permitted" in r.err, r


def test_network_none_prestart_hook(docker, rt):
    """With --network none Docker still installs libnetwork-setkey as a
    prestart hook; the runtime must run it with the container's state, and
    dockerd then bind-mounts the container's network namespace at the
    sandbox key."""
    docker.run(rt, "-d", "--name", "c-n", IMAGE, "sleep", "1000")
    cid, pid = docker.cid("c-n"), docker.pid("c-n")
    with open(docker.bundle(cid) / "config.json") as f:
        spec = json.load(f)
    pre = spec.get("hooks", {}).get("prestart", [])
    assert [h["args"][:2] for h in pre] == \
        [["libnetwork-setkey", f"-exec-root={docker.exec_root}"]], pre
    assert {"type": "network"} in spec["linux"]["namespaces"]
    key = docker.inspect("c-n", "{{.NetworkSettings.SandboxKey}}")
    assert key in mounts_below(docker.exec_root)
    assert os.stat(key).st_ino == os.stat(f"/proc/{pid}/ns/net").st_ino
    r = docker("exec", "c-n", "cat", "/proc/net/dev")
    ifaces = [line.split(":")[0].strip() for line in r.out.splitlines()[2:]]
    assert ifaces == ["lo"], r


def test_several_containers_at_once(docker, rt):
    mark = rt.mark(CLIENT)
    names = [f"many{i}" for i in range(4)]
    with concurrent.futures.ThreadPoolExecutor(len(names)) as ex:
        outs = list(ex.map(lambda n: docker.run(rt, "--rm", "--name", n, IMAGE,
                                                "sh", "-c", f"echo I am {n}").out,
                           names))
    assert outs == [f"I am {n}\n" for n in names]
    creates = [a for c, a, _ in rt.calls(CLIENT, mark) if c == "create"]
    assert len(creates) == len(names)


def test_daemon_json_snippet(session_dir, runtimes, image_tar):
    """contrib/docker/daemon.json, with the runtime's path made the
    wrapper's, is a working dockerd configuration."""
    rt = runtimes["ocirt"]
    with open(SNIPPET) as f:
        cfg = json.load(f)
    assert cfg["runtimes"]["ocirt"]["path"].endswith("/ocirt")
    assert "native.cgroupdriver=cgroupfs" in cfg["exec-opts"]
    cfg["runtimes"]["ocirt"]["path"] = rt.wrapper("docker-snippet")
    d = Docker(session_dir, "docker-snippet", cfg, [])
    try:
        d("import", image_tar, IMAGE)
        info = json.loads(d("info", "--format", "{{json .}}").out)
        assert info["CgroupDriver"] == "cgroupfs"
        mark = rt.mark("docker-snippet")
        r = d("run", "--rm", "--runtime", "ocirt", "--network", "none",
              "--cidfile", d.dir / "cid", IMAGE, "echo", "snippet")
        assert r.out == "snippet\n"
        rt.assert_called("docker-snippet", mark, (d.dir / "cid").read_text().strip())
    finally:
        problems = d.stop()
    assert not problems, "\n".join(problems)
