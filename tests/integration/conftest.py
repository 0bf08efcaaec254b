"""Shared fixtures and helpers for the ocirt integration suite.

The runtime under test is taken from the environment variable ``OCIRT``
(absolute path of the binary); when it is unset the suite runs against
``runc`` so that it can be validated against the reference behaviour.
``REFERENCE_RUNTIME`` (default: ``runc`` on PATH) is used by tests that run
the same case on both runtimes and compare the outcome.

Everything a test creates lives below one private base directory per test
session (state roots, bundles, host directories used for bind mounts).
Every test gets its own state root (``--root``), its own bundle and unique
container ids.  Teardown force-deletes the containers the test created and
kills only the pids that were recorded for them.

The pytest process makes itself a child subreaper, so that any process left
behind by a runtime invocation (for example an init process that was not
cleaned up after a failed ``create``) is re-parented to the test process
where :func:`leftover_processes` can see it.  Zombies of container processes
re-parented this way are reaped by :func:`reap_zombies`, the way a
container shim would.
"""

import ctypes
import errno
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from hostproc import proc_status  # noqa: E402,F401  (tests import it from here)

# --------------------------------------------------------------------------
# runtimes
# --------------------------------------------------------------------------


def _which_runc():
    found = shutil.which("runc")
    if found:
        return found
    for cand in ("/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"):
        if os.access(cand, os.X_OK):
            return cand
    return None


def _abs(path):
    return os.path.abspath(path) if path else None


OCIRT = _abs(os.environ.get("OCIRT") or _which_runc())
REFERENCE_RUNTIME = _abs(os.environ.get("REFERENCE_RUNTIME") or _which_runc())
BUSYBOX = os.environ.get("BUSYBOX", "/bin/busybox")


def _version_of(binary):
    if not binary:
        return ""
    try:
        p = subprocess.run([binary, "--version"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=20)
        return p.stdout.decode(errors="replace")
    except (OSError, subprocess.SubprocessError):
        return ""


_OCIRT_VERSION = _version_of(OCIRT)
#: True when the runtime under test is runc itself (the reference).  Used
#: by ``xfail`` markers on the few tests where runc's behaviour differs from
#: what ocirt must do.
runtime_is_runc = _OCIRT_VERSION.lower().startswith("runc version")


def runc_diff(reason):
    """Marker for a behaviour that ocirt must have and runc lacks."""
    return pytest.mark.xfail(condition=runtime_is_runc, strict=True,
                             reason="runc differs: " + reason)


#: True when the runtime under test is built with ASan + UBSan
#: (tests/sanitizers/run.sh sets OCIRT_SANITIZED=1).
sanitized = os.environ.get("OCIRT_SANITIZED") == "1"


def not_sanitized(reason):
    """Skip a test that cannot hold under ASan (say why, in reason)."""
    return pytest.mark.skipif(sanitized, reason="under ASan: " + reason)


# --------------------------------------------------------------------------
# process bookkeeping (subreaper, zombies, leftovers)
# --------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)

#: pids of Popen objects the suite will wait for itself; never reaped here.
ACTIVE_PIDS = set()
#: exit statuses of re-parented children reaped by reap_zombies().
REAPED = {}


def _set_subreaper():
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


_set_subreaper()


def proc_stat(pid):
    """(state, ppid, starttime) of a pid, or None if it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); starttime is field 22.
    return rest[0], int(rest[1]), int(rest[19])


def children_of(ppid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st and st[1] == ppid:
            out.append(int(name))
    return out


def reap_zombies():
    """Reap zombie children that were re-parented to the test process."""
    me = os.getpid()
    for pid in children_of(me):
        if pid in ACTIVE_PIDS:
            continue
        st = proc_stat(pid)
        if st and st[0] in ("Z", "X"):
            try:
                got, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if got:
                REAPED[pid] = status


def leftover_processes():
    """Live processes re-parented to the test process (after reaping)."""
    reap_zombies()
    me = os.getpid()
    return [p for p in children_of(me) if p not in ACTIVE_PIDS
            and (proc_stat(p) or ("Z",))[0] not in ("Z", "X")]


def kill_leftovers(pids):
    """SIGKILL processes that were re-parented to the test process."""
    if not pids:
        return
    me = os.getpid()
    for p in pids:
        st = proc_stat(p)
        if st and st[1] == me:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.05)
    reap_zombies()


def pid_alive(pid):
    """True when pid exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def exit_status(pid, timeout=5.0):
    """Raw wait status of a re-parented container process, or None.

    Only available when the process became our child (which it does when the
    runtime does not keep a monitor process around).
    """
    deadline = time.monotonic() + timeout
    while True:
        if pid in REAPED:
            return REAPED[pid]
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return REAPED.get(pid)
        if got:
            REAPED[pid] = status
            return status
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        reap_zombies()
        time.sleep(interval)


def wait_pid_gone(pid, timeout=10.0):
    wait_for(lambda: not pid_alive(pid), timeout, what=f"pid {pid} to exit")


# --------------------------------------------------------------------------
# host inspection helpers
# --------------------------------------------------------------------------


def _unescape_mountinfo(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def read_mountinfo(pid="self"):
    """Parse /proc/<pid>/mountinfo into a list of dicts."""
    entries = []
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            left, right = line.rstrip("\n").split(" - ", 1)
            lf = left.split()
            rf = right.split()
            entries.append({
                "id": int(lf[0]),
                "parent": int(lf[1]),
                "dev": lf[2],
                "root": _unescape_mountinfo(lf[3]),
                "mountpoint": _unescape_mountinfo(lf[4]),
                "options": lf[5].split(","),
                "optional": lf[6:],
                "fstype": rf[0],
                "source": _unescape_mountinfo(rf[1]) if len(rf) > 1 else "",
                "super_options": rf[2].split(",") if len(rf) > 2 else [],
                "line": line.rstrip("\n"),
            })
    return entries


def find_mount(mountinfo, mountpoint):
    """The top-most (last) mount at mountpoint, or None."""
    found = None
    for m in mountinfo:
        if m["mountpoint"] == mountpoint:
            found = m
    return found


def ns_inode(pid, ns):
    return os.stat(f"/proc/{pid}/ns/{ns}").st_ino


def proc_limits(pid):
    """/proc/<pid>/limits as {name: (soft, hard)} with raw strings."""
    out = {}
    with open(f"/proc/{pid}/limits") as f:
        lines = f.read().splitlines()
    for line in lines[1:]:
        name = line[:26].strip()
        fields = line[26:].split()
        out[name] = (fields[0], fields[1])
    return out


def proc_cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]


def proc_environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]


def cgroup_dirs():
    """Set of all directories in every cgroup hierarchy of the host."""
    dirs = set()
    base = "/sys/fs/cgroup"
    for top in [base] + [os.path.join(base, d) for d in os.listdir(base)]:
        if not os.path.isdir(top):
            continue
        for dirpath, dirnames, _ in os.walk(top):
            dirs.add(dirpath)
            # the tmpfs holding the hierarchies is walked only one level
            if dirpath == base:
                dirnames[:] = []
    return dirs


def own_cgroups():
    """{controller-or-'' : path} of the test process."""
    out = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in (ctrls.split(",") if ctrls else [""]):
                out[c] = path
    return out


def _runner_in_a_v1_cgroup_of_others():
    return any(c and not c.startswith("name=") and path != "/"
               for c, path in own_cgroups().items())


#: Absolute cgroup below which the suite puts containers that name no
#: cgroup of their own, or "".  On cgroup v1 a runtime (runc too) nests such
#: a container, and a relative cgroupsPath, below its caller's cgroup: where
#: the test runner sits in a v1 cgroup that is not the suite's (a CI job's
#: memory cgroup), that would write below a cgroup the suite does not own.
#: There every container gets an absolute path below this root instead; on
#: hosts whose runner sits at each hierarchy's root (the VM lanes) default
#: placement is exercised as it is.  OCIRT_TEST_CGROUP_ROOT overrides it.
SUITE_CGROUP = os.environ.get(
    "OCIRT_TEST_CGROUP_ROOT",
    "/ocirt-tests" if _runner_in_a_v1_cgroup_of_others() else "").rstrip("/")


def cgroup_path_for(name):
    """linux.cgroupsPath for a test container named NAME: below the
    suite's own root where there is one, else NAME itself (relative)."""
    return f"{SUITE_CGROUP}/{name}" if SUITE_CGROUP else name


def prepare_suite_cgroups():
    """Give the suite's root in the v1 cpu hierarchy real-time runtime to
    hand out: a new cpu cgroup has none, and a child may not exceed its
    parent (with the runner at the root, the root's was there)."""
    if not SUITE_CGROUP:
        return
    try:
        d = _v1_hierarchy_dir("cpu") + SUITE_CGROUP
    except AssertionError:
        return
    if not os.path.exists(os.path.join(os.path.dirname(d), "cpu.rt_runtime_us")):
        return
    os.makedirs(d, exist_ok=True)
    for us in ("200000", "100000", "50000"):
        try:
            with open(os.path.join(d, "cpu.rt_runtime_us"), "w") as f:
                f.write(us)
            return
        except OSError:
            continue


def remove_suite_cgroups():
    """Remove the suite's (empty) root cgroups; any left non-empty is a
    leak that the tests report themselves."""
    if not SUITE_CGROUP:
        return
    base = "/sys/fs/cgroup"
    for top in [base] + [os.path.join(base, d) for d in os.listdir(base)]:
        try:
            os.rmdir(top + SUITE_CGROUP)
        except OSError:
            pass


def _v1_hierarchy_dir(ctrl):
    """Directory of the v1 hierarchy holding CTRL (cpu -> cpu,cpuacct)."""
    base = "/sys/fs/cgroup"
    for name in sorted(os.listdir(base)):
        if ctrl in name.split(",") and os.path.isdir(os.path.join(base, name)):
            return os.path.realpath(os.path.join(base, name))
    raise AssertionError(f"no v1 hierarchy for {ctrl}")


def cgroup_dirs_for(pid):
    """Host directories of every cgroup the given pid is a member of."""
    dirs = []
    base = "/sys/fs/cgroup"
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if not ctrls:
                cands = [os.path.join(base, "unified"), base]
            else:
                names = [c.replace("name=", "") for c in ctrls.split(",")]
                cands = [os.path.join(base, ",".join(names))] + \
                        [os.path.join(base, n) for n in names]
            for c in cands:
                full = c + path
                if os.path.isdir(full):
                    dirs.append(full)
                    break
    return dirs


class HostSnapshot:
    """Records host state so that a test can assert nothing was left behind."""

    def __init__(self, rt):
        self.rt = rt
        self.root = rt.root
        self.base = rt.env.base
        self.mounts = {m["line"].split(" ", 1)[1] for m in read_mountinfo()}
        self.cgroups = self.cgroup_dirs()
        self.root_entries = self._root_entries()
        # re-parented processes that exist already (e.g. other containers
        # of the same test) are not leftovers of what comes next
        self.children = set(leftover_processes())

    @staticmethod
    def cgroup_dirs():
        """The cgroup directories compared (a subclass may look at fewer)."""
        return cgroup_dirs()

    def _root_entries(self):
        root = self.root
        if not os.path.isdir(root):
            return set()
        # dot entries are the runtime's caches (compiled seccomp filters),
        # not any container's state
        return {e for e in os.listdir(root) if not e.startswith(".")}

    def _related(self, text, ids):
        keys = [str(self.base)] + list(ids) + ["ocirt", "runc"]
        return any(k and k in text for k in keys)

    def new_mounts(self, ids=()):
        now = {m["line"].split(" ", 1)[1] for m in read_mountinfo()}
        return sorted(x for x in now - self.mounts if self._related(x, ids))

    def new_cgroups(self, ids=(), paths=()):
        now = self.cgroup_dirs()
        new = now - self.cgroups
        keys = list(ids) + [p.strip("/") for p in paths if p]
        return sorted(d for d in new if any(k and k in d for k in keys))

    def new_state_entries(self):
        return sorted(self._root_entries() - self.root_entries)

    def assert_clean(self, ids=(), cgroup_paths=()):
        """Nothing left: state dirs, host mounts, cgroups, processes."""
        problems = []
        st = self.new_state_entries()
        if st:
            problems.append(f"new entries in state root {self.root}: {st}")
        for cid in ids:
            if os.path.exists(os.path.join(self.root, cid)):
                problems.append(f"state dir for {cid} exists")
        mounts = self.new_mounts(ids)
        if mounts:
            problems.append(f"new host mounts: {mounts}")
        cg = self.new_cgroups(ids, cgroup_paths)
        if cg:
            problems.append(f"new cgroup dirs: {cg}")
        procs = [p for p in leftover_processes()
                 if p not in self.children and p not in self.rt.pids]
        if procs:
            desc = []
            for p in procs:
                try:
                    desc.append(f"{p}:{proc_cmdline(p)}")
                except OSError:
                    desc.append(str(p))
            problems.append(f"leftover processes: {desc}")
            # they were re-parented to us, so they descend from this test
            kill_leftovers(procs)
        assert not problems, "; ".join(problems)


# --------------------------------------------------------------------------
# bundle and config
# --------------------------------------------------------------------------

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

MASKED_PATHS = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
]
READONLY_PATHS = [
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
]


def default_mounts():
    return [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                     "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777",
                     "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup",
         "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ]


def default_config(args=("sh",), rootfs="rootfs"):
    """A config.json dict modelled on ``runc spec`` (terminal off).

    Differences from ``runc spec``: ``terminal`` is false, the root is
    writable (tests opt into ``readonly``), the hostname is ``ocirt`` and a
    cgroup namespace is requested.
    """
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": [DEFAULT_PATH, "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": list(DEFAULT_CAPS),
                "effective": list(DEFAULT_CAPS),
                "permitted": list(DEFAULT_CAPS),
                "ambient": list(DEFAULT_CAPS),
            },
            "rlimits": [
                {"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024},
            ],
            "noNewPrivileges": True,
        },
        "root": {"path": rootfs, "readonly": False},
        "hostname": "ocirt",
        "mounts": default_mounts(),
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in
                           ("pid", "network", "ipc", "uts", "mount",
                            "cgroup")],
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
        },
    }


PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
GROUP = """root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
"""


def build_rootfs(dest):
    """Busybox rootfs: /bin/busybox plus one symlink per applet."""
    dest = Path(dest)
    (dest / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], stdout=subprocess.PIPE,
                             check=True).stdout.decode().split()
    for a in applets:
        if a == "busybox" or "/" in a:
            continue
        link = dest / "bin" / a
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    for d in ("proc", "sys", "dev", "tmp", "etc", "root"):
        (dest / d).mkdir(exist_ok=True)
    os.chmod(dest / "tmp", 0o1777)
    os.chmod(dest / "root", 0o700)
    (dest / "etc" / "passwd").write_text(PASSWD)
    (dest / "etc" / "group").write_text(GROUP)
    (dest / "etc" / "hostname").write_text("ocirt\n")


def _copy_rootfs(template, dest):
    """Copy the template; busybox is hard-linked (never written to)."""
    def copy(src, dst):
        if os.path.basename(src) == "busybox":
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass
        return shutil.copy2(src, dst)
    shutil.copytree(template, dest, symlinks=True, copy_function=copy)


class Bundle:
    """A bundle directory with a busybox rootfs and an editable config."""

    def __init__(self, path, template, args=("sh",)):
        self.path = Path(path)
        self.path.mkdir(parents=True)
        os.chmod(self.path, 0o755)
        self.rootfs = self.path / "rootfs"
        _copy_rootfs(template, self.rootfs)
        #: the config as a dict; written to config.json by write() and
        #: before every create/run issued through Runtime.  Set it to None
        #: to keep a hand-written config.json.
        self.config = default_config(args)
        #: True: no cgroupsPath is added for the test runner's sake (see
        #: SUITE_CGROUP); for the tests of default placement
        self.default_cgroup = False

    def __str__(self):
        return str(self.path)

    def __fspath__(self):
        return str(self.path)

    @property
    def config_path(self):
        return self.path / "config.json"

    def write(self):
        if self.config is not None:
            with open(self.config_path, "w") as f:
                json.dump(self.config, f, indent=2)
        return self

    def write_raw(self, text):
        self.config = None
        self.config_path.write_text(text)
        return self

    # convenience accessors -------------------------------------------------
    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config["linux"]

    def set_args(self, *args):
        self.process["args"] = list(args)
        return self

    def sh(self, script):
        """Make the container run ``sh -c script``."""
        return self.set_args("sh", "-c", script)

    def namespaces(self):
        return [n["type"] for n in self.linux["namespaces"]]

    def remove_namespace(self, ns):
        self.linux["namespaces"] = [n for n in self.linux["namespaces"]
                                    if n["type"] != ns]
        return self

    def set_namespace(self, ns, path=None):
        self.remove_namespace(ns)
        entry = {"type": ns}
        if path:
            entry["path"] = str(path)
        self.linux["namespaces"].append(entry)
        return self

    def add_mount(self, destination, source, type="bind", options=None):
        m = {"destination": destination, "type": type, "source": str(source)}
        if options is not None:
            m["options"] = list(options)
        self.config["mounts"].append(m)
        return self

    def bind(self, host_dir, destination, *options):
        opts = ["rbind"] + list(options or ())
        return self.add_mount(destination, host_dir, "bind", opts)


# --------------------------------------------------------------------------
# running the runtime
# --------------------------------------------------------------------------


class Result:
    def __init__(self, argv, rc, out_path, err_path):
        self.argv = argv
        self.rc = rc
        self.out_path = out_path
        self.err_path = err_path

    @property
    def out(self):
        return Path(self.out_path).read_text(errors="replace")

    @property
    def err(self):
        return Path(self.err_path).read_text(errors="replace")

    @property
    def err_lines(self):
        return [ln for ln in self.err.splitlines() if ln.strip()]

    @property
    def ok(self):
        return self.rc == 0

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return (f"<Result rc={self.rc} argv={self.argv!r}\n"
                f"stdout={self.out[:2000]!r}\nstderr={self.err[:2000]!r}>")


class RuntimeFailed(AssertionError):
    pass


class Runtime:
    """One runtime binary bound to one private state root."""

    def __init__(self, binary, env, root=None):
        self.binary = binary
        self.env = env
        self.root = str(root or env.new_root())
        self.ids = set()
        self.pids = {}  # pid -> starttime
        #: cgroup directories the runtime is started in (run_from_own_cgroup)
        self.caller_dirs = []
        #: containers whose bundle asked for the default cgroup placement
        self.default_cgroup_ids = set()

    @property
    def name(self):
        return os.path.basename(self.binary)

    def argv(self, *args, global_args=(), root=True, prefix=()):
        argv = [str(a) for a in prefix] + [self.binary]
        if not root and not any(str(a).startswith("--root") for a in args):
            # never touch the default state root of the machine
            stateful = {"create", "run", "start", "state", "kill", "delete",
                        "list", "exec", "ps", "pause", "resume", "events",
                        "update"}
            if stateful & {str(a) for a in args}:
                raise AssertionError(f"refusing to run {args} without --root")
        if root:
            argv += ["--root", self.root]
        argv += [str(a) for a in global_args] + [str(a) for a in args]
        if self.caller_dirs:
            procs = " ".join(shlex.quote(d + "/cgroup.procs") for d in self.caller_dirs)
            argv = ["sh", "-c", f'for f in {procs}; do echo $$ > "$f" || exit 125; done; '
                    'exec "$@"', "sh"] + argv
        return argv

    def run_from_own_cgroup(self):
        """Start this runtime from now on in a cgroup of the suite's own
        (below SUITE_CGROUP) in each hierarchy where the runner is not at
        the root, so that relative paths nest below a cgroup the suite
        owns.  Returns the caller's cgroups as own_cgroups() does; cleanup()
        removes them."""
        caller = own_cgroups()
        if not SUITE_CGROUP:
            return caller
        path = f"{SUITE_CGROUP}/{unique_id('caller')}"
        for ctrl, own in list(caller.items()):
            if not ctrl or ctrl.startswith("name=") or own == "/":
                continue
            d = _v1_hierarchy_dir(ctrl) + path
            if d in self.caller_dirs:
                continue
            os.makedirs(d)
            if os.path.exists(os.path.join(d, "cpuset.cpus")):
                for f in ("cpuset.cpus", "cpuset.mems"):
                    for lvl in (os.path.dirname(d), d):
                        with open(os.path.join(os.path.dirname(lvl), f)) as src:
                            value = src.read()
                        with open(os.path.join(lvl, f), "w") as dst:
                            dst.write(value)
            self.caller_dirs.append(d)
        for ctrl in caller:
            if ctrl and not ctrl.startswith("name=") and caller[ctrl] != "/":
                caller[ctrl] = path
        return caller

    def _files(self):
        d = self.env.calls_dir
        tag = uuid.uuid4().hex[:12]
        return (os.path.join(d, f"{tag}.out"), os.path.join(d, f"{tag}.err"))

    def popen(self, *args, global_args=(), root=True, pass_fds=(), cwd=None,
              stdin=subprocess.DEVNULL, env=None, prefix=()):
        """Start the runtime in the background (stdout/stderr to files).

        ``prefix`` is prepended to the command line (e.g. a host shell that
        sets up extra file descriptors before exec'ing the runtime).
        """
        self._place_in_suite_cgroup(args, global_args, cwd)
        argv = self.argv(*args, global_args=global_args, root=root,
                         prefix=prefix)
        out_path, err_path = self._files()
        with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
            p = subprocess.Popen(argv, stdin=stdin, stdout=fo, stderr=fe,
                                 pass_fds=pass_fds, cwd=cwd, env=env)
        ACTIVE_PIDS.add(p.pid)
        p.out_path, p.err_path, p.argv = out_path, err_path, argv
        return p

    def wait(self, p, timeout=30):
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            ACTIVE_PIDS.discard(p.pid)
            raise AssertionError(f"{p.argv} did not finish in {timeout}s")
        ACTIVE_PIDS.discard(p.pid)
        return Result(p.argv, rc, p.out_path, p.err_path)

    def __call__(self, *args, timeout=30, check=False, **kw):
        """Run the runtime with args; stdout/stderr go to files.

        Files (not pipes) are used because the container inherits the
        runtime's stdio: waiting for EOF on a pipe would wait for the
        container to exit.
        """
        res = self.wait(self.popen(*args, **kw), timeout=timeout)
        reap_zombies()
        if check and res.rc != 0:
            raise RuntimeFailed(f"runtime failed: {res!r}")
        return res

    # lifecycle ---------------------------------------------------------------
    #: containers without a cgroupsPath go below SUITE_CGROUP (see there)
    places_cgroups = True

    def _prepare(self, cid, bundle):
        self.ids.add(cid)
        if isinstance(bundle, Bundle):
            bundle.write()
            if getattr(bundle, "default_cgroup", False):
                self.default_cgroup_ids.add(cid)

    #: options of create and run that take the next argument as their value
    _VALUE_OPTIONS = {"--console-socket", "--pid-file", "--preserve-fds", "--config",
                      "--criu", "--preserve-fd"}

    def _place_in_suite_cgroup(self, args, global_args, cwd):
        """Before a create or run: a config without cgroupsPath gets one
        below SUITE_CGROUP (see there).  Configs that are not plain JSON
        objects (hostile-input tests) are left as they are."""
        args = [str(a) for a in args]
        if not SUITE_CGROUP or not self.places_cgroups or not args \
                or args[0] not in ("create", "run") or any(
                    str(a).startswith(("--systemd-cgroup", "--cgroup-manager"))
                    for a in global_args):
            return
        cid, bundle, rest = None, cwd or os.getcwd(), iter(args[1:])
        for a in rest:
            if a in ("--bundle", "-b"):
                bundle = next(rest, bundle)
            elif a.startswith("--bundle="):
                bundle = a.split("=", 1)[1]
            elif a in self._VALUE_OPTIONS:
                next(rest, None)
            elif not a.startswith("-") and cid is None:
                cid = a
        # ids that a test expects create to refuse are left to that test
        if cid is None or cid in self.default_cgroup_ids or cid in (".", "..") \
                or not re.fullmatch(r"[A-Za-z0-9_.+-]+", cid):
            return
        path = os.path.join(bundle, "config.json")

        def no_duplicates(pairs):
            if len({k for k, _ in pairs}) != len(pairs):
                raise ValueError("duplicate key")
            return dict(pairs)

        def no_constant(name):
            raise ValueError(name)
        try:
            with open(path) as f:
                config = json.load(f, object_pairs_hook=no_duplicates,
                                   parse_constant=no_constant)
        except (OSError, ValueError, RecursionError):
            return
        linux = config.get("linux") if isinstance(config, dict) else None
        if not isinstance(linux, dict) or "cgroupsPath" in linux:
            return
        linux["cgroupsPath"] = cgroup_path_for(cid)
        with open(path, "w") as f:
            json.dump(config, f, indent=2)

    def create(self, cid, bundle, *extra, check=True, **kw):
        self._prepare(cid, bundle)
        res = self("create", "--bundle", str(bundle), *extra, cid,
                   check=check, **kw)
        if res.ok:
            self._record(cid)
        return res

    def run(self, cid, bundle, *extra, check=False, **kw):
        self._prepare(cid, bundle)
        res = self("run", "--bundle", str(bundle), *extra, cid,
                   check=check, **kw)
        if res.ok and ("--detach" in extra or "-d" in extra):
            self._record(cid)
        return res

    def run_bg(self, cid, bundle, *extra, **kw):
        """Foreground ``run`` in the background; returns the Popen."""
        self._prepare(cid, bundle)
        return self.popen("run", "--bundle", str(bundle), *extra, cid, **kw)

    def start(self, cid, check=True, **kw):
        return self("start", cid, check=check, **kw)

    def state_result(self, cid):
        return self("state", cid)

    def state(self, cid):
        res = self("state", cid)
        if res.rc != 0:
            raise RuntimeFailed(f"state {cid} failed: {res!r}")
        st = json.loads(res.out)
        if st.get("pid"):
            self._remember_pid(st["pid"])
        return st

    def status(self, cid):
        """Status string, or None when ``state`` fails."""
        res = self("state", cid)
        if res.rc != 0:
            return None
        return json.loads(res.out).get("status")

    def pid(self, cid):
        return self.state(cid)["pid"]

    def wait_status(self, cid, want, timeout=10.0, proc=None):
        """Poll ``state`` until status is want.

        ``proc``: a background runtime Popen (e.g. a foreground ``run``);
        if it exits before the status is reached, fail right away.
        """
        last = {}

        def check():
            last["s"] = self.status(cid)
            if last["s"] != want and proc is not None and \
                    proc.poll() is not None:
                res = self.wait(proc)
                raise AssertionError(f"runtime exited early: {res!r}")
            return last["s"] == want
        try:
            wait_for(check, timeout, what=f"{cid} to be {want}")
        except AssertionError:
            raise AssertionError(
                f"{cid}: status {last.get('s')!r}, wanted {want!r}")

    def kill(self, cid, *sig, all=False, check=True):
        extra = ["--all"] if all else []
        return self("kill", *extra, cid, *sig, check=check)

    def delete(self, cid, force=False, check=True):
        extra = ["--force"] if force else []
        return self("delete", *extra, cid, check=check)

    def list_json(self):
        res = self("list", "--format", "json", check=True)
        data = json.loads(res.out) if res.out.strip() else []
        return data or []

    # bookkeeping -------------------------------------------------------------
    def _remember_pid(self, pid):
        st = proc_stat(pid)
        if st and pid not in self.pids:
            self.pids[pid] = st[2]

    def remember_pid(self, pid):
        self._remember_pid(pid)

    def _record(self, cid):
        try:
            self.state(cid)
        except (RuntimeFailed, ValueError):
            pass

    def cleanup(self):
        ids = set(self.ids)
        try:
            res = self("list", "-q", timeout=20)
            if res.rc == 0:
                ids |= {x.strip() for x in res.out.splitlines() if x.strip()}
        except AssertionError:
            pass
        for cid in ids:
            # "--" so that ids such as "-x" are not taken for flags
            argv = ["delete", "--force"] + (["--"] if cid.startswith("-")
                                            else []) + [cid]
            try:
                self(*argv, timeout=20)
            except AssertionError:
                pass
        for pid, start in self.pids.items():
            st = proc_stat(pid)
            if st and st[2] == start:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        reap_zombies()
        for d in self.caller_dirs:
            try:
                os.rmdir(d)
            except OSError:
                pass
        self.caller_dirs = []


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------


class Env:
    """Per-test directories."""

    def __init__(self, base, template):
        self.base = Path(base)
        self.template = template
        self.calls_dir = self.base / "calls"
        self.calls_dir.mkdir(parents=True, exist_ok=True)

    def new_root(self):
        d = Path(tempfile.mkdtemp(prefix="root-", dir=self.base))
        os.chmod(d, 0o700)
        return d

    def bundle(self, args=("sh",), name=None):
        path = self.base / (name or f"bundle-{uuid.uuid4().hex[:8]}")
        return Bundle(path, self.template, args)

    def host_dir(self, name=None):
        d = Path(tempfile.mkdtemp(prefix=(name or "host") + "-",
                                  dir=self.base))
        os.chmod(d, 0o777)
        return d


def unique_id(prefix="c"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def session_base():
    if not OCIRT or not os.access(OCIRT, os.X_OK):
        pytest.exit(f"runtime under test not found (OCIRT={OCIRT!r})", 2)
    if os.geteuid() != 0:
        pytest.exit("the integration suite must run as root", 2)
    base = Path(tempfile.mkdtemp(prefix="ocirt-it-"))
    os.chmod(base, 0o755)   # reachable from user namespaces
    template = base / "rootfs-template"
    build_rootfs(template)
    prepare_suite_cgroups()
    yield base, template
    shutil.rmtree(base, ignore_errors=True)
    remove_suite_cgroups()


@pytest.fixture
def env(session_base):
    base, template = session_base
    d = Path(tempfile.mkdtemp(prefix="t-", dir=base))
    os.chmod(d, 0o755)
    e = Env(d, template)
    yield e
    # anything still re-parented to us descends from this test's runtime
    # invocations (the runtimes' own cleanup has run by now)
    kill_leftovers(leftover_processes())
    shutil.rmtree(d, ignore_errors=True)


def _cgroups_of_ids(dirs, ids):
    out = []
    for d in dirs:
        name = os.path.basename(d)
        for cid in ids:
            if name == cid or (len(cid) >= 8 and cid in name):
                out.append(d)
    return sorted(out)


def _runtime_fixture(binary, env):
    before = cgroup_dirs()
    r = Runtime(binary, env)
    yield r
    r.cleanup()
    # after a forced delete nothing of the containers may remain
    problems = []
    left = [e for e in os.listdir(r.root) if not e.startswith(".")] \
        if os.path.isdir(r.root) else []
    if left:
        problems.append(f"state root {r.root} not empty after delete: {left}")
    cg = _cgroups_of_ids(cgroup_dirs() - before, r.ids)
    if cg:
        problems.append(f"cgroups left after delete --force: {cg}")
    assert not problems, "; ".join(problems)


@pytest.fixture
def rt(env):
    """The runtime under test, bound to a private state root."""
    yield from _runtime_fixture(OCIRT, env)


@pytest.fixture
def ref(env):
    """The reference runtime (own state root), or None if unavailable."""
    if not REFERENCE_RUNTIME or not os.access(REFERENCE_RUNTIME, os.X_OK):
        yield None
        return
    yield from _runtime_fixture(REFERENCE_RUNTIME, env)


@pytest.fixture
def bundle(env):
    """A fresh busybox bundle (``sh`` by default; tests set the args)."""
    return env.bundle()


@pytest.fixture
def cid():
    return unique_id()


@pytest.fixture
def host_dir(env):
    return env.host_dir()


# --------------------------------------------------------------------------
# small shared helpers for tests
# --------------------------------------------------------------------------


def create_running(rt, bundle, cid=None, script="sleep 30"):
    """Create + start a container running ``sh -c script``; returns (id, pid)."""
    cid = cid or unique_id()
    bundle.sh(script)
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "running")
    return cid, rt.pid(cid)


def created(rt, bundle, cid=None):
    """Create (not start) a container; returns (id, pid of its init)."""
    cid = cid or unique_id()
    rt.create(cid, bundle)
    return cid, rt.pid(cid)


def run_output(rt, bundle, script, cid=None, timeout=30):
    """``run`` sh -c script in the foreground; returns the Result."""
    bundle.sh(script)
    return rt.run(cid or unique_id(), bundle, timeout=timeout)


def assert_single_line_error(res, *mentions):
    """Non-zero exit and exactly one non-empty line on stderr."""
    assert res.rc != 0, res
    lines = res.err_lines
    assert len(lines) == 1, f"expected one error line, got {lines!r}"
    for m in mentions:
        assert m in lines[0], f"{m!r} not in error {lines[0]!r}"
    return lines[0]


def create_refused(rt, bundle, *mentions):
    """``create`` fails with one error line naming MENTIONS, and leaves
    nothing behind; returns the Result."""
    snap = HostSnapshot(rt)
    cid = unique_id()
    res = rt.create(cid, bundle, check=False)
    assert_single_line_error(res, *mentions)
    snap.assert_clean(ids=[cid])
    return res


def wait_file(path, timeout=10.0, proc=None):
    """Wait for a file to be written; fail early if ``proc`` exits."""
    path = Path(path)

    def check():
        if path.exists() and path.stat().st_size > 0:
            return True
        if proc is not None and proc.poll() is not None:
            raise AssertionError(
                f"runtime exited (rc={proc.returncode}) before {path} was "
                f"written: {Path(proc.err_path).read_text()[:2000]!r}")
        return False
    wait_for(check, timeout, what=f"{path} to be written")
    return path.read_text()


def with_fds(**fds):
    """A ``prefix`` that opens files on given fd numbers, then execs.

    ``with_fds(fd3="/path", fd4="/other")``: the runtime starts with fd 3
    and fd 4 open (read-only) on those files.
    """
    names = sorted(fds, key=lambda k: int(k[2:]))
    shifts = "; ".join(f"f{i}=$1; shift" for i in range(len(names)))
    redir = " ".join(f'{int(k[2:])}<"$f{i}"' for i, k in enumerate(names))
    script = f'{shifts}; exec "$@" {redir}'
    return ["/bin/sh", "-c", script, "sh"] + [str(fds[k]) for k in names]


def dev_numbers(path):
    st = os.stat(path)
    return os.major(st.st_rdev), os.minor(st.st_rdev)


def is_char_device(path):
    return stat.S_ISCHR(os.stat(path).st_mode)
