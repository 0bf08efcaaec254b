"""The helpers of the client suite (tests/clients): real container
clients (podman, containerd + ctr, Docker) against ocirt.

Every scenario runs twice: once with ocirt (``OCIRT``, absolute path of the
binary) and once with runc (``REFERENCE_RUNTIME``, default ``runc`` on PATH)
as the reference, through the ``rt`` fixture.

The clients never see the runtimes directly: each client is given a wrapper
script (``Runtime.wrapper``) that appends the argv of every call to a log
and execs the real binary.  Scenarios assert on that log, so a client that
silently used another runtime fails.

Everything lives below one private directory per session: storage, state
and data roots, sockets, runtime state roots, logs.  Daemons are started by
the module fixtures and stopped at their teardown, which then checks that
nothing is left: no process that names the private directory or sits in a
cgroup of the session, no mount below the private directory, no cgroup
below the session's cgroup parent.  Leftovers are removed and reported as
an error of the module.

Scenarios that fail on ocirt because ocirt lacks something carry
``@pytest.mark.ocirt_gap("what is missing")``: strict xfail for ocirt only.
"""

import errno
import fcntl
import json
import os
import pty
import re
import secrets
import select
import shutil
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

from lib.bundle import BUSYBOX
from lib.waiting import poll

REPO = Path(__file__).resolve().parents[2]
CONTRIB = REPO / "contrib"


def _runc():
    for cand in (os.environ.get("REFERENCE_RUNTIME"), shutil.which("runc"),
                 "/usr/sbin/runc", "/usr/bin/runc"):
        if cand and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    return None


OCIRT = os.environ.get("OCIRT", "")
RUNC = _runc()
RUNTIMES = ("ocirt", "runc")

#: one name per session: the top of every cgroup the clients make
CG_TOP = "ocirt-clients-" + secrets.token_hex(4)

CGROUP_ROOT = "/sys/fs/cgroup"

#: host paths the clients create whatever their private roots say: the
#: containerd shims' sockets (/run/containerd/s), dockerd's plugin
#: directory, the image library's blob-info cache, podman's shm lock
#: segment.  What the session made of them is removed at its end.
HOST_DROPPINGS = ("/run/containerd", "/run/docker", "/var/lib/containers",
                  "/dev/shm/libpod_lock")


def _bound_unix_paths():
    with open("/proc/net/unix") as f:
        return {line.split()[7] for line in f.readlines()[1:]
                if len(line.split()) >= 8}


def prune_dropping(path):
    """Remove a host path the session created; return what stays.

    Below it go sockets no process listens on, fifos, the blob-info cache
    and the directories that are then empty."""
    import stat as st
    if not os.path.lexists(path):
        return []
    if not os.path.isdir(path) or os.path.islink(path):
        os.unlink(path)
        return []
    bound = _bound_unix_paths()
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for f in filenames:
            full = os.path.join(dirpath, f)
            mode = os.lstat(full).st_mode
            if (st.S_ISSOCK(mode) and full not in bound) or st.S_ISFIFO(mode) \
                    or f == "blob-info-cache-v1.boltdb":
                os.unlink(full)
        try:
            os.rmdir(dirpath)
        except OSError:
            pass
    left = []
    if os.path.exists(path):
        for dirpath, dirnames, filenames in os.walk(path):
            left += [os.path.join(dirpath, f) for f in filenames]
        left = left or [path]
    return left


# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __repr__(self):
        return (f"<{' '.join(map(str, self.argv))}: rc={self.rc} "
                f"out={self.out[-2000:]!r} err={self.err[-2000:]!r}>")


def sh(argv, check=True, timeout=120, input=None, env=None):
    """Run a command to completion; raise with its output unless it is OK."""
    argv = [str(a) for a in argv]
    try:
        p = subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=timeout,
                           text=True, stdin=None if input is not None
                           else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"timed out after {timeout}s: {' '.join(argv)}"
                             f"\nstdout: {e.stdout}\nstderr: {e.stderr}")
    r = Result(argv, p.returncode, p.stdout, p.stderr)
    if check and r.rc != 0:
        raise AssertionError(f"command failed: {r!r}")
    return r


def run_in_pty(argv, env=None, timeout=60, rows=33, cols=101):
    """Run argv with a new pty as its controlling terminal and stdio.

    Returns (exit status, everything written to the terminal)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def ctty():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen([str(a) for a in argv], stdin=slave, stdout=slave,
                         stderr=slave, env=env, start_new_session=True,
                         preexec_fn=ctty)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    data = os.read(master, 65536)
                except OSError as e:  # EIO: every slave fd is closed
                    if e.errno != errno.EIO:
                        raise
                    break
                if not data:
                    break
                out += data
            elif p.poll() is not None:
                break
        else:
            p.kill()
            raise AssertionError(f"timed out in a pty: {argv}: {out!r}")
        rc = p.wait(timeout=30)
    finally:
        os.close(master)
    return rc, out.decode(errors="replace")


def wait_for(pred, timeout=20.0, interval=0.05, what="condition"):
    """Poll PRED until it is true (nothing is reaped here: the client
    suite's pytest is no subreaper)."""
    return poll(pred, timeout, interval, what)


# --------------------------------------------------------------------------
# runtimes and their wrappers
# --------------------------------------------------------------------------

#: global options of runc-compatible runtimes that take a value
_VALUE_OPTS = {"--root", "--log", "--log-format", "--criu", "--cgroup-manager",
               "--rootless"}
_SEP = "\x1f"


def command_of(argv):
    """(command, its arguments) of a runtime argv (without argv[0])."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("-"):
            return a, argv[i + 1:]
        if a in _VALUE_OPTS:
            i += 2
        else:
            i += 1
    return None, []


class Runtime:
    """One runtime as the clients see it: wrapper scripts and their logs."""

    def __init__(self, name, real, base):
        self.name = name
        self.real = real
        self.base = base

    def wrapper(self, client, root=None):
        """An executable named like the runtime that logs and execs it.

        root: a --root the wrapper passes first (for clients that pass
        none and would use the runtime's default state directory)."""
        d = self.base / "wrappers" / client
        d.mkdir(parents=True, exist_ok=True)
        path = d / self.name
        log = self.log(client)
        extra = f"--root '{root}' " if root else ""
        text = (
            "#!/bin/sh\n"
            "# Log this call's argv (pid, then each argument after a US),\n"
            "# then become the real runtime.\n"
            "us=$(printf '\\037')\n"
            "line=$$\n"
            "for a in \"$@\"; do line=\"$line$us$a\"; done\n"
            f"printf '%s\\n' \"$line\" >> '{log}'\n"
            f"exec '{self.real}' {extra}\"$@\"\n")
        if not path.exists() or path.read_text() != text:
            # a new file, renamed over: never a half-written script
            tmp = path.with_name(f".{self.name}.tmp")
            tmp.write_text(text)
            tmp.chmod(0o755)
            os.rename(tmp, path)
        log.touch()
        return str(path)

    def log(self, client):
        return self.base / "logs" / f"{client}-{self.name}.log"

    def mark(self, client):
        """Where the log of this client's calls ends now."""
        try:
            return self.log(client).stat().st_size
        except FileNotFoundError:
            return 0

    def calls(self, client, since=0):
        """[(command, args, argv)] logged since mark."""
        try:
            with open(self.log(client), "rb") as f:
                f.seek(since)
                data = f.read().decode(errors="replace")
        except FileNotFoundError:
            return []
        out = []
        for line in data.splitlines():
            fields = line.split(_SEP)
            argv = fields[1:]
            cmd, args = command_of(argv)
            out.append((cmd, args, argv))
        return out

    def assert_called(self, client, since, cid, commands=("create", "start", "delete")):
        """The client ran this runtime for container cid with each command."""
        calls = self.calls(client, since)
        missing = [c for c in commands
                   if not any(cmd == c and cid in args for cmd, args, _ in calls)]
        assert not missing, (
            f"{client} did not run {self.name} {missing} for {cid}; "
            f"{self.name} calls: {[a for _, _, a in calls]}")
        return calls


# --------------------------------------------------------------------------
# host inspection
# --------------------------------------------------------------------------


def _cgroup_lines(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            yield ctrls.split(",") if ctrls else [], path


def cgroup_dir(pid, controller):
    """Host directory of pid's cgroup for a controller (v1, else v2)."""
    v2 = None
    for ctrls, path in _cgroup_lines(pid):
        if controller in ctrls:
            for d in (os.path.join(CGROUP_ROOT, controller),
                      os.path.join(CGROUP_ROOT, ",".join(ctrls))):
                if os.path.isdir(d + path):
                    return d + path, 1
        if not ctrls:
            v2 = path
    if v2 is not None:
        for d in (CGROUP_ROOT, os.path.join(CGROUP_ROOT, "unified")):
            if os.path.exists(os.path.join(d, "cgroup.controllers")):
                if os.path.exists(os.path.join(d + v2, "cgroup.controllers")):
                    ctl = open(os.path.join(d + v2, "cgroup.controllers")).read()
                    if controller in ctl.split() or controller == "freezer":
                        return d + v2, 2
    raise AssertionError(f"pid {pid} has no {controller} cgroup: "
                         f"{list(_cgroup_lines(pid))}")


def _read(path):
    with open(path) as f:
        return f.read().strip()


def read_file(*parts):
    return _read(os.path.join(*parts))


def cgroup_limits(pid):
    """{memory: bytes|None, pids: int|None, cpu: (quota|None, period)}."""
    out = {}
    d, v = cgroup_dir(pid, "memory")
    raw = _read(os.path.join(d, "memory.limit_in_bytes" if v == 1 else "memory.max"))
    out["memory"] = None if raw == "max" or int(raw) >= 1 << 62 else int(raw)
    d, v = cgroup_dir(pid, "pids")
    raw = _read(os.path.join(d, "pids.max"))
    out["pids"] = None if raw == "max" else int(raw)
    d, v = cgroup_dir(pid, "cpu")
    if v == 1:
        q = int(_read(os.path.join(d, "cpu.cfs_quota_us")))
        per = int(_read(os.path.join(d, "cpu.cfs_period_us")))
    else:
        qs, ps = _read(os.path.join(d, "cpu.max")).split()
        q, per = (-1 if qs == "max" else int(qs)), int(ps)
    out["cpu"] = (None if q < 0 else q, per)
    return out


def frozen(pid):
    d, v = cgroup_dir(pid, "freezer")
    if v == 1:
        return _read(os.path.join(d, "freezer.state")) == "FROZEN"
    return _read(os.path.join(d, "cgroup.freeze")) == "1"


def assert_pause_unpause(client, name, pid):
    """pause and unpause through a client: its status, the freezer, and
    an exec once thawed."""
    client("pause", name)
    assert client.inspect(name, "{{.State.Status}}") == "paused"
    assert frozen(pid)
    client("unpause", name)
    assert client.inspect(name, "{{.State.Status}}") == "running"
    assert not frozen(pid)
    assert client("exec", name, "echo", "alive").out == "alive\n"


def hierarchies():
    """Every cgroup hierarchy mounted below /sys/fs/cgroup."""
    out = []
    if os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
        out.append(CGROUP_ROOT)
    for e in sorted(os.listdir(CGROUP_ROOT)):
        p = os.path.join(CGROUP_ROOT, e)
        if os.path.isdir(p) and not os.path.islink(p) and \
                os.path.exists(os.path.join(p, "cgroup.procs")):
            out.append(p)
    return out


def remove_cgroup_tree(path):
    """rmdir cgroup `path` and everything below it, deepest first.

    Returns the directories that could not be removed."""
    stuck = []
    for h in hierarchies():
        top = h + path
        if not os.path.isdir(top):
            continue
        for dirpath, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except OSError as e:
                stuck.append(f"{dirpath}: {e.strerror}")
    return stuck


def _unescape(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mounts_below(base):
    base = str(base)
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = _unescape(line.split()[4])
            if mp == base or mp.startswith(base + "/"):
                out.append(mp)
    return sorted(set(out), key=len, reverse=True)


def processes_of(needle, cgroup):
    """Live pids whose argv names `needle` or whose cgroup is below `cgroup`."""
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            cg = open(f"/proc/{pid}/cgroup").read()
        except OSError:
            continue
        if state in ("Z", "X"):
            continue
        hit = needle in argv or any(
            line.split(":", 2)[2].startswith(cgroup + "/") or
            line.split(":", 2)[2] == cgroup
            for line in cg.splitlines() if line.count(":") >= 2)
        if hit:
            found.append((pid, argv.replace("\0", " ").strip()))
    return found


def state_left(root):
    """Containers whose state a runtime left in its --root (after delete)."""
    try:
        left = sorted(e for e in os.listdir(root) if not e.startswith("."))
    except FileNotFoundError:
        return []
    return [f"state left in {root}: {left}"] if left else []


def containerd_base_config(d, cri, extra=""):
    """containerd 1.6's config (version 2) with everything below d: root,
    state, the gRPC and ttrpc sockets; the snapshotters that would probe
    the host disabled, and the CRI plugin unless CRI (its settings go in
    EXTRA).  EXTRA goes after the top-level keys."""
    plugins = ['"io.containerd.internal.v1.opt"', '"io.containerd.snapshotter.v1.aufs"',
               '"io.containerd.snapshotter.v1.btrfs"', '"io.containerd.snapshotter.v1.devmapper"',
               '"io.containerd.snapshotter.v1.zfs"', '"io.containerd.tracing.processor.v1.otlp"']
    if not cri:
        plugins.insert(0, '"io.containerd.grpc.v1.cri"')
    disabled = "".join(f"  {p},\n" for p in plugins)
    return f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = [
{disabled}]
{extra}
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[debug]
  level = "info"
[cgroup]
  path = ""
"""


def check_and_clean(what, dirs, cgroup):
    """After a client has been stopped: nothing of it may be left.

    Kills leftover processes, unmounts leftover mounts and removes the
    cgroups of the client (those it made and emptied are removed without
    complaint); returns the problems found."""
    problems = []

    def left():
        return sorted(set(p for d in dirs for p in processes_of(str(d), cgroup)))

    # a shim or monitor told to go may take a moment to exit
    deadline = time.monotonic() + 15
    procs = left()
    while procs and time.monotonic() < deadline:
        time.sleep(0.1)
        procs = left()
    if procs:
        problems.append(f"{what}: processes left: {procs}")
        for pid, _ in procs:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.5)
    for d in dirs:
        ms = mounts_below(d)
        if ms:
            problems.append(f"{what}: mounts left: {ms}")
            for m in ms:
                subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
    stuck = remove_cgroup_tree(cgroup)
    if stuck:
        problems.append(f"{what}: cgroups that cannot be removed: {stuck}")
    return problems


# --------------------------------------------------------------------------
# daemons
# --------------------------------------------------------------------------


_PR_SET_PDEATHSIG = 1


def _term_with_parent():
    """In the child: SIGTERM when the test process dies, however it dies."""
    import ctypes
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Daemon:
    """A daemon of the session: started in its own session, logs to a file."""

    def __init__(self, name, argv, log, env=None):
        self.name = name
        self.log = log
        self._logf = open(log, "ab")
        self.proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True,
                                     preexec_fn=_term_with_parent)

    def alive(self):
        return self.proc.poll() is None

    def tail(self, n=40):
        try:
            return "\n".join(Path(self.log).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def wait_ready(self, probe, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n"
                                     + self.tail())
            if probe():
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready after {timeout}s:\n" + self.tail())

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL; True when it stopped on SIGTERM."""
        clean = True
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                clean = False
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._logf.close()
        return clean


#: a container init that exits 7 on SIGTERM (as PID 1 it ignores signals
#: it has no handler for)
TRAP_TERM = "trap 'exit 7' TERM; sleep 1000 & wait"

#: print the terminal size once the client has set it (clients resize the
#: terminal after the process started: poll)
TTY_SCRIPT = ("tty; i=0; while [ $i -lt 200 ]; do s=$(stty size 2>/dev/null); "
              "[ -n \"$s\" ] && [ \"$s\" != '0 0' ] && break; i=$((i+1)); "
              "sleep 0.05; done; echo \"size=$s\"; exit 5")

#: a seccomp profile that lets everything through but mkdir, which fails
#: with EPERM ("Operation not permitted")
SECCOMP_NO_MKDIR = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                  "errnoRet": 1}],
}


def write_json(path, obj):
    Path(path).write_text(json.dumps(obj, indent=2))
    return str(path)


def busybox_rootfs(root, busybox=BUSYBOX):
    """A busybox-static rootfs with an applet link for each command: the
    image every client suite builds."""
    for d in ("bin", "etc", "dev", "proc", "sys", "tmp", "root", "run", "var"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    shutil.copy2(busybox, root / "bin" / "busybox")
    applets = sh([busybox, "--list"]).out.split()
    for a in applets:
        if a != "busybox" and not (root / "bin" / a).exists():
            os.symlink("busybox", root / "bin" / a)
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (root / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    return root
