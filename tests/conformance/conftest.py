"""Fixtures of the OCI runtime-spec conformance suite.

Every test runs twice: once on the runtime under test (``OCIRT``) and once
on the reference runtime (``REFERENCE_RUNTIME``, default ``runc`` on PATH),
through the module-scoped ``rtname`` parameter, so that a report shows both
side by side.  The helpers and per-test fixtures (``env``, bundles,
``Runtime``, host inspection) are those of the integration suite, loaded
from ``tests/integration/conftest.py`` under another module name.

Markers:

- ``runc_xfail(reason)``: the reference runtime fails this sentence and
  ocirt honours it; the ``runc`` parameter is a strict xfail.
- ``ocirt_xfail(reason)``: ocirt fails this sentence (a known bug, the
  reason says how); the ``ocirt`` parameter is a strict xfail, so that the
  marker has to go with the fix.

With ``CONFORMANCE_RESULTS=file.json`` the outcome of every test is written
there (read by ``gen_doc.py``).
"""

import importlib.util
import json
import os
import uuid
from pathlib import Path

import pytest

_IT = Path(__file__).resolve().parent.parent / "integration" / "conftest.py"
_spec = importlib.util.spec_from_file_location("ocirt_integration_conftest",
                                               _IT)
it = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(it)
from hostproc import xfail_where  # noqa: E402  (tests/lib, on the path now)


def _integration_module(name):
    """Load tests/integration/<name>.py for its helpers (its own
    ``from conftest import`` finds them in this module)."""
    spec = importlib.util.spec_from_file_location(
        "ocirt_integration_" + name, _IT.parent / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# fixtures of the integration suite, used as they are
session_base = it.session_base
env = it.env

Bundle = it.Bundle
Env = it.Env
RuntimeFailed = it.RuntimeFailed
find_mount = it.find_mount
read_mountinfo = it.read_mountinfo
proc_status = it.proc_status
proc_limits = it.proc_limits
proc_cmdline = it.proc_cmdline
proc_environ = it.proc_environ
ns_inode = it.ns_inode
cgroup_dirs_for = it.cgroup_dirs_for
unique_id = it.unique_id
wait_for = it.wait_for
wait_file = it.wait_file
wait_pid_gone = it.wait_pid_gone
pid_alive = it.pid_alive
dev_numbers = it.dev_numbers
is_char_device = it.is_char_device

RUNTIMES = {"ocirt": it.OCIRT, "runc": it.REFERENCE_RUNTIME}
# names the integration modules whose helpers are used here import
OCIRT = it.OCIRT
assert_single_line_error = it.assert_single_line_error
runc_diff = it.runc_diff


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "runc_xfail(reason): the reference runtime fails this "
        "sentence (strict xfail on the runc parameter)")
    config.addinivalue_line(
        "markers", "ocirt_xfail(reason): ocirt fails this sentence (strict "
        "xfail on the ocirt parameter)")
    if not os.environ.get("OCIRT"):
        pytest.exit("set OCIRT to the ocirt binary under test", 2)
    for name, binary in RUNTIMES.items():
        if not binary or not os.access(binary, os.X_OK):
            pytest.exit(f"{name} runtime not found ({binary!r})", 2)


def pytest_collection_modifyitems(config, items):
    xfail_where(items, "runc_xfail", "rtname", "runc", "runc 1.1 fails: ")
    xfail_where(items, "ocirt_xfail", "rtname", "ocirt", "ocirt fails: ")


# --------------------------------------------------------------------------
# the two runtimes
# --------------------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(RUNTIMES))
def rtname(request):
    """'ocirt' or 'runc': which runtime this instance of the test runs."""
    return request.param


class SharedRootBundle(Bundle):
    """A bundle whose root.path is (absolute) the session's one shared
    rootfs instead of a copy of its own: copying the busybox rootfs takes
    half a second on this host.  The containers write only to their own
    mounts, and a mount destination made in the rootfs is harmless to the
    next container."""

    def __init__(self, path, rootfs, args=("sh",)):
        self.path = Path(path)
        self.path.mkdir(parents=True)
        os.chmod(self.path, 0o755)
        self.rootfs = Path(rootfs)
        self.config = it.default_config(args, rootfs=str(rootfs))


class SharedRootEnv(Env):
    """The integration suite's Env whose bundles share one rootfs;
    ``private_bundle()`` makes one with a copy of its own."""

    def bundle(self, args=("sh",), name=None):
        shared = self.template.parent / "shared-rootfs"
        if not shared.exists():
            it._copy_rootfs(self.template, shared)
        path = self.base / (name or f"bundle-{uuid.uuid4().hex[:8]}")
        return SharedRootBundle(path, shared, args)

    def private_bundle(self, args=("sh",)):
        return Env.bundle(self, args)


# the integration suite's env fixture makes its Env from this global
it.Env = SharedRootEnv

#: the integration suite's ``env`` (per-test directories), once per module
#: for the containers that the tests of one module share
menv = pytest.fixture(scope="module", name="menv")(
    it.env.__pytest_wrapped__.obj)


# --------------------------------------------------------------------------
# leftover checks that do not walk every cgroup of the host
# --------------------------------------------------------------------------

CGROUP_ROOT = "/sys/fs/cgroup"


def _hierarchies():
    """(hierarchy dir, the test process's cgroup in it) pairs."""
    own = it.own_cgroups()
    out = []
    for name in os.listdir(CGROUP_ROOT):
        top = os.path.join(CGROUP_ROOT, name)
        if not os.path.isdir(top):
            continue
        ctrl = "" if name == "unified" else name
        key = "name=systemd" if name == "systemd" else ctrl
        out.append((top, own.get(key, own.get(ctrl.split(",")[0], "/"))))
    return out


def _near_cgroup_dirs():
    """Cgroup dirs where a container of this suite can land: the children
    of each hierarchy's root (ids as default paths) and of the test
    process's own cgroup (relative cgroupsPath) or of the suite's root
    (it.SUITE_CGROUP), one level deep each."""
    dirs = set()
    for top, own in _hierarchies():
        for parent in {top, top + own.rstrip("/"), top + it.SUITE_CGROUP}:
            try:
                with os.scandir(parent) as it_:
                    dirs |= {e.path for e in it_ if e.is_dir()}
            except OSError:
                pass
    return dirs


class HostSnapshot(it.HostSnapshot):
    """The integration suite's snapshot, comparing only the cgroups near
    the root and the test process's cgroup: this host has tens of
    thousands of cgroups, and walking them all takes seconds."""

    cgroup_dirs = staticmethod(_near_cgroup_dirs)


def _leftover_cgroups(rt, paths):
    found = []
    for top, own in _hierarchies():
        for key in list(rt.ids) + list(paths):
            for cand in (os.path.join(top, key.strip("/")),
                         os.path.join(top + own.rstrip("/"), key.strip("/"))):
                if os.path.isdir(cand):
                    found.append(cand)
    return sorted(set(found))


def _runtime(binary, env, shared=False):
    r = it.Runtime(binary, env)
    #: relative cgroupsPath values used by the tests (checked at teardown)
    r.cgroup_paths = set()
    if shared:
        # the containers of a module outlive each test: keep the per-test
        # teardown from killing them as leftovers re-parented to pytest
        remember = r._remember_pid

        def protect(pid):
            remember(pid)
            it.ACTIVE_PIDS.add(pid)
        r._remember_pid = protect
    yield r
    it.ACTIVE_PIDS.difference_update(r.pids)
    r.cleanup()
    left = [e for e in os.listdir(r.root) if not e.startswith(".")] \
        if os.path.isdir(r.root) else []
    assert not left, f"state root {r.root} not empty after delete: {left}"
    cg = _leftover_cgroups(r, r.cgroup_paths)
    assert not cg, f"cgroups left after delete --force: {cg}"


@pytest.fixture
def runtime(rtname, env):
    """The runtime of this parameter, bound to a private state root."""
    yield from _runtime(RUNTIMES[rtname], env)


@pytest.fixture(scope="module")
def mruntime(rtname, menv):
    """The same, shared by the module-scoped containers of a module."""
    yield from _runtime(RUNTIMES[rtname], menv, shared=True)


def cgroups_path(rt):
    """A fresh linux.cgroupsPath (relative, or below the suite's root where
    the runner's cgroup is not the suite's), removed-checked at teardown."""
    path = it.cgroup_path_for("conformance-" + unique_id())
    rt.cgroup_paths.add(path)
    return path


@pytest.fixture
def bundle(env):
    return env.bundle()


@pytest.fixture
def host_dir(env):
    return env.host_dir()


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


created = it.created
create_running = it.create_running


def console_receiver(path):
    """The integration suite's console socket (receives the pty master)."""
    return _integration_module("test_terminal").ConsoleReceiver(path)


def seccomp_agent(path):
    """The integration suite's seccomp agent listening on ``path``: it takes
    one connection, keeps the state and the fds, and answers
    notifications (``start()`` it, ``close()`` it)."""
    return _integration_module("test_seccomp").Agent(path)


def required_cases(table, runc_accepts, ocirt_accepts=None):
    """The parameters: a field's name, with the xfail markers of the
    runtimes that accept a config without it."""
    ocirt_accepts = ocirt_accepts or {}
    cases = []
    for k in table:
        marks = []
        if k in runc_accepts:
            marks.append(pytest.mark.runc_xfail(runc_accepts[k]))
        if k in ocirt_accepts:
            marks.append(pytest.mark.ocirt_xfail(ocirt_accepts[k]))
        cases.append(pytest.param(k, marks=marks))
    return cases


def create_fails(rt, bundle, **kw):
    """create must fail with an error message and leave no container."""
    cid = unique_id()
    res = rt.create(cid, bundle, check=False, **kw)
    assert res.rc != 0 and res.err_lines, res
    assert rt.status(cid) is None
    return res


def stopped(rt, bundle, cid=None):
    """A container whose process has exited (status ``stopped``)."""
    bundle.sh("exit 0")
    cid, pid = created(rt, bundle, cid)
    rt.start(cid)
    wait_pid_gone(pid)
    rt.wait_status(cid, "stopped")
    return cid, pid


class Probe:
    """A container that ran a script writing ``KEY<TAB>VALUE`` lines.

    The script runs in the container and prints into ``/probe/out``, a bind
    mount of a host directory; then it writes ``/probe/done`` and sleeps so
    that the host can also look at the live process (``pid``).
    """

    def __init__(self, rt, bundle, host_dir, cid, pid):
        self.rt, self.bundle, self.dir = rt, bundle, Path(host_dir)
        self.cid, self.pid = cid, pid
        self.values = {}
        for line in (self.dir / "out").read_text().splitlines():
            key, _, value = line.partition("\t")
            self.values.setdefault(key, []).append(value)

    def __getitem__(self, key):
        assert key in self.values, f"probe printed no {key!r}"
        return "\n".join(self.values[key])


def probe_script(checks):
    """sh script printing KEY<TAB>output-line for each (key, command)."""
    lines = ["exec 3>/probe/out"]
    for key, cmd in checks:
        lines.append(f"( {cmd} ) 2>&1 | while IFS= read -r l; do "
                     f"printf '%s\\t%s\\n' {key} \"$l\" >&3; done")
    lines += ["exec 3>&-", "echo ok > /probe/done", "exec sleep 120"]
    return "\n".join(lines)


def start_probe(rt, bundle, host_dir, checks, cid=None):
    """Run the checks in a container (see :class:`Probe`)."""
    bundle.add_mount("/probe", str(host_dir), "bind", ["rbind", "rw"])
    bundle.sh(probe_script(checks))
    cid = cid or unique_id()
    rt.create(cid, bundle)
    pid = rt.pid(cid)
    rt.start(cid)
    wait_file(Path(host_dir) / "done")
    # the script's last step, after writing done
    wait_for(lambda: proc_cmdline(pid)[:1] == ["sleep"], what="the probe's exec")
    return Probe(rt, bundle, host_dir, cid, pid)


#: the namespace types a hook records (``/proc/self/ns`` names)
HOOK_NS = ["mnt", "net", "ipc", "uts", "pid", "cgroup"]


def hook_recorder(dirpath, name):
    """A host script for hook ``name``: it appends ``name`` to ``order``,
    saves the state it reads on stdin as ``<name>.json`` and its namespaces
    (HOOK_NS, one link a line) as ``<name>.ns``."""
    d = Path(dirpath)
    path = d / f"hook-{name}.sh"
    links = "; ".join(f"readlink /proc/self/ns/{n}" for n in HOOK_NS)
    path.write_text(f"""#!/bin/sh
cat > {d}/{name}.json
{{ {links}; }} > {d}/{name}.ns
echo {name} >> {d}/order
""")
    path.chmod(0o755)
    return str(path)


def failing_hook(dirpath, code):
    path = Path(dirpath) / f"fail-{uuid.uuid4().hex[:6]}.sh"
    path.write_text(f"#!/bin/sh\ncat >/dev/null\nexit {code}\n")
    path.chmod(0o755)
    return str(path)


# --------------------------------------------------------------------------
# results for docs/conformance.md
# --------------------------------------------------------------------------

_RESULTS = {}


def pytest_runtest_logreport(report):
    path = os.environ.get("CONFORMANCE_RESULTS")
    if not path:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome
                                 != "passed"):
        if hasattr(report, "wasxfail"):
            outcome = "xfail" if report.skipped else "XPASS"
        else:
            outcome = report.outcome
        _RESULTS[report.nodeid] = outcome


def pytest_sessionfinish(session):
    path = os.environ.get("CONFORMANCE_RESULTS")
    if not path:
        return
    docs = {}
    for item in session.items:
        func = item.function
        params = dict(getattr(item, "callspec", None).params
                      if hasattr(item, "callspec") else {})
        mark = item.get_closest_marker("runc_xfail")
        own = item.get_closest_marker("ocirt_xfail")
        docs[item.nodeid] = {
            "name": func.__name__,
            "module": item.module.__name__,
            "doc": func.__doc__ or "",
            "runtime": params.pop("rtname", ""),
            "case": "-".join(str(v) for v in params.values()),
            "runc_xfail": mark.args[0] if mark else "",
            "ocirt_xfail": own.args[0] if own else "",
            "outcome": _RESULTS.get(item.nodeid, "not run")}
    with open(path, "w") as f:
        json.dump(docs, f, indent=1)
