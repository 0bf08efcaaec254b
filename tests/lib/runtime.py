"""The runtime under test and the reference runtime: which binaries
(``OCIRT``, ``REFERENCE_RUNTIME``), a wrapper that runs one of them on a
private state root (``Runtime``), and the steps most tests share.

The runtime under test is taken from the environment variable ``OCIRT``
(absolute path of the binary); when it is unset the suites run against
``runc`` so that they can be validated against the reference behaviour.
``REFERENCE_RUNTIME`` (default: ``runc`` on PATH) is used by tests that run
the same case on both runtimes and compare the outcome."""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from lib.bundle import Bundle
from lib.cgroups import SUITE_CGROUP, v1_hierarchy_dir, cgroup_path_for, own_cgroups
from lib.host import HostSnapshot
from lib.procs import ACTIVE_PIDS, proc_stat, reap_zombies
from lib.waiting import wait_for

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


def version_of(binary):
    if not binary:
        return ""
    try:
        p = subprocess.run([binary, "--version"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=20)
        return p.stdout.decode(errors="replace")
    except (OSError, subprocess.SubprocessError):
        return ""


_OCIRT_VERSION = version_of(OCIRT)
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
            d = v1_hierarchy_dir(ctrl) + path
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
                      "--criu", "--preserve-fd", "--pidfd-socket"}

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


def unique_id(prefix="c"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


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

