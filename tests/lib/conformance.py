"""What only the conformance suite uses: bundles sharing one rootfs,
leftover checks that do not walk every cgroup of the host, probes that
report from inside a container, hook recorders, and the runtime of one
parameter of a test (ocirt or the reference)."""

import os
import uuid
from pathlib import Path

import pytest

from lib import host
from lib.bundle import Bundle, Env, copy_rootfs, default_config
from lib.cgroups import SUITE_CGROUP, cgroup_path_for, own_cgroups
from lib.procs import ACTIVE_PIDS, proc_cmdline
from lib.runtime import Runtime, created, unique_id
from lib.waiting import wait_file, wait_for, wait_pid_gone


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
        self.config = default_config(args, rootfs=str(rootfs))


class SharedRootEnv(Env):
    """The Env whose bundles share one rootfs;
    ``private_bundle()`` makes one with a copy of its own."""

    def bundle(self, args=("sh",), name=None):
        shared = self.template.parent / "shared-rootfs"
        if not shared.exists():
            copy_rootfs(self.template, shared)
        path = self.base / (name or f"bundle-{uuid.uuid4().hex[:8]}")
        return SharedRootBundle(path, shared, args)

    def private_bundle(self, args=("sh",)):
        return Env.bundle(self, args)


CGROUP_ROOT = "/sys/fs/cgroup"


def _hierarchies():
    """(hierarchy dir, the test process's cgroup in it) pairs."""
    own = own_cgroups()
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
    (SUITE_CGROUP), one level deep each."""
    dirs = set()
    for top, own in _hierarchies():
        for parent in {top, top + own.rstrip("/"), top + SUITE_CGROUP}:
            try:
                with os.scandir(parent) as it_:
                    dirs |= {e.path for e in it_ if e.is_dir()}
            except OSError:
                pass
    return dirs


class HostSnapshot(host.HostSnapshot):
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


def runtime_of(binary, env, shared=False):
    """A Runtime of BINARY on ENV, checked at teardown for leftovers near
    the roots; SHARED: its containers outlive each test of a module."""
    r = Runtime(binary, env)
    #: relative cgroupsPath values used by the tests (checked at teardown)
    r.cgroup_paths = set()
    if shared:
        # the containers of a module outlive each test: keep the per-test
        # teardown from killing them as leftovers re-parented to pytest
        remember = r._remember_pid

        def protect(pid):
            remember(pid)
            ACTIVE_PIDS.add(pid)
        r._remember_pid = protect
    yield r
    ACTIVE_PIDS.difference_update(r.pids)
    r.cleanup()
    left = [e for e in os.listdir(r.root) if not e.startswith(".")] \
        if os.path.isdir(r.root) else []
    assert not left, f"state root {r.root} not empty after delete: {left}"
    cg = _leftover_cgroups(r, r.cgroup_paths)
    assert not cg, f"cgroups left after delete --force: {cg}"


def cgroups_path(rt):
    """A fresh linux.cgroupsPath (relative, or below the suite's root where
    the runner's cgroup is not the suite's), removed-checked at teardown."""
    path = cgroup_path_for("conformance-" + unique_id())
    rt.cgroup_paths.add(path)
    return path


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
