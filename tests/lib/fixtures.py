"""The bodies of the fixtures the suites share, as generators: each suite's
conftest.py declares its fixtures (scope, name) and yields from these.

Everything a test creates lives below one private base directory per test
session (state roots, bundles, host directories used for bind mounts).
Every test gets its own state root (``--root``), its own bundle and unique
container ids.  Teardown force-deletes the containers the test created and
kills only the pids that were recorded for them."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from lib.bundle import Env, build_rootfs
from lib.cgroups import cgroup_dirs, cgroups_of_ids, prepare_suite_cgroups, remove_suite_cgroups
from lib.procs import kill_leftovers, leftover_processes
from lib.runtime import OCIRT, Runtime


def session_base():
    """(base directory, rootfs template) of the session; removed at its end."""
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


def env_dirs(session_base, env_class=Env):
    """Per-test directories (an ENV_CLASS) below the session's base."""
    base, template = session_base
    d = Path(tempfile.mkdtemp(prefix="t-", dir=base))
    os.chmod(d, 0o755)
    e = env_class(d, template)
    yield e
    # anything still re-parented to us descends from this test's runtime
    # invocations (the runtimes' own cleanup has run by now)
    kill_leftovers(leftover_processes())
    shutil.rmtree(d, ignore_errors=True)


def checked_runtime(binary, env):
    """A Runtime of BINARY on ENV; at teardown nothing of its containers
    may remain after a forced delete."""
    before = cgroup_dirs()
    r = Runtime(binary, env)
    yield r
    r.cleanup()
    problems = []
    left = [e for e in os.listdir(r.root) if not e.startswith(".")] \
        if os.path.isdir(r.root) else []
    if left:
        problems.append(f"state root {r.root} not empty after delete: {left}")
    cg = cgroups_of_ids(cgroup_dirs() - before, r.ids)
    if cg:
        problems.append(f"cgroups left after delete --force: {cg}")
    assert not problems, "; ".join(problems)
