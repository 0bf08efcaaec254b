"""podman checkpoints and restores a container with ocirt as its runtime,
and with runc, the reference: `podman container checkpoint` and `restore`,
and `checkpoint --export` then `restore --import` after the container was
removed.  Each time a counter goes on from where it was.

podman (Debian 12's 4.3, with conmon) runs with contrib/containers.conf, a
private store and state below the session's directory, `--network none`,
and the runtime through a wrapper that logs its calls (lib.clients), so
that a podman that used another runtime fails.  The image is imported from
the suite's busybox rootfs: no network.  Skipped where `criu check` fails
(the CI host's 6.18) or podman is missing; tests/criu/run.sh runs it in a
VM with Debian 12's 6.1.
"""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lib.cgroups import cgroup_path_for
from lib.clients import (CONTRIB, HOST_DROPPINGS, Runtime as Wrapped, check_and_clean,
                         prune_dropping, sh, state_left)
from lib.criu import criu_problem
from lib.runtime import OCIRT, REFERENCE_RUNTIME, unique_id
from lib.systemd import cgroup_of, show, systemd_running, unit_loaded
from lib.waiting import wait_for

IMAGE = "localhost/busybox-ckpt:latest"
COUNTER = "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done"


@pytest.fixture(scope="module", autouse=True)
def usable():
    if not shutil.which("podman") or not shutil.which("conmon"):
        pytest.skip("podman or conmon is not installed (tests/clients/install.sh)")
    why = criu_problem()
    if why:
        pytest.skip(why)


class Podman:
    """podman on a store of its own, with one runtime behind a wrapper."""

    def __init__(self, base, name, binary, image_tar):
        self.dir = base
        for d in ("storage", "run", "libpod", "net", "tmp", "state", "logs"):
            (base / d).mkdir(parents=True, exist_ok=True)
        conf = base / "storage.conf"
        conf.write_text(f'[storage]\ndriver = "overlay"\ngraphroot = "{base}/storage"\n'
                        f'runroot = "{base}/run"\n')
        self.runtime = Wrapped(name, binary, base)
        self.env = dict(os.environ, CONTAINERS_CONF=str(CONTRIB / "containers.conf"),
                        CONTAINERS_STORAGE_CONF=str(conf), TMPDIR=str(base / "tmp"))
        self.argv = ["podman", "--root", base / "storage", "--runroot", base / "run",
                     "--tmpdir", base / "libpod", "--network-config-dir", base / "net",
                     "--storage-driver", "overlay",
                     "--runtime", self.runtime.wrapper("podman", root=base / "state")]
        self.cgroup = "/" + cgroup_path_for(unique_id("podman")).lstrip("/")
        self("import", image_tar, IMAGE)

    def __call__(self, *args, timeout=300):
        return sh(self.argv + list(args), timeout=timeout, env=self.env)

    def inspect(self, name, fmt):
        return self("inspect", "--format", fmt, name).out.strip()

    def counter(self, *global_args):
        """A running container that counts in /tmp/count: its name.  With
        GLOBAL_ARGS (podman's), in the cgroup podman then chooses."""
        name = unique_id("count")
        where = () if global_args else ("--cgroup-parent", self.cgroup)
        self(*global_args, "run", "-d", "--name", name, "--network", "none", *where,
             IMAGE, "sh", "-c", COUNTER)
        upper = self.upper(name)
        wait_for(lambda: count(upper) >= 3, 60, what="the counter to count")
        return name

    def upper(self, name):
        """The container's own layer: it holds /tmp/count, mounted or not."""
        return Path(self.inspect(name, "{{.GraphDriver.Data.UpperDir}}"))

    def calls(self, since):
        return [cmd for cmd, _, _ in self.runtime.calls("podman", since)]


@pytest.fixture(scope="module")
def stores(session_base):
    base, template = session_base
    tar = base / "podman-busybox.tar"
    subprocess.run(["tar", "-C", template, "-cf", tar, "."], check=True)
    before = {p: os.path.lexists(p) for p in HOST_DROPPINGS}
    made = {}

    def store(name, binary):
        if name not in made:
            made[name] = Podman(base / f"podman-{name}", name, binary, tar)
        return made[name]
    yield store
    problems = []
    for p in made.values():
        r = sh(p.argv + ["rm", "--all", "--force", "--time", "0"], check=False, env=p.env)
        if r.rc != 0:
            problems.append(f"podman rm --all failed: {r!r}")
        problems += state_left(p.dir / "state")
        problems += check_and_clean(f"podman ({p.runtime.name})", [p.dir], p.cgroup)
    for path, existed in before.items():
        if not existed:
            problems += prune_dropping(path)
    assert not problems, "\n".join(problems)


@pytest.fixture(params=["ocirt", "runc"])
def podman(request, stores):
    binary = OCIRT if request.param == "ocirt" else REFERENCE_RUNTIME
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip(f"no {request.param}")
    p = stores(request.param, binary)
    yield p
    sh(p.argv + ["rm", "--all", "--force", "--time", "0"], check=False, env=p.env)


def count(upper):
    try:
        return int((upper / "tmp/count").read_text().strip() or 0)
    except (OSError, ValueError):
        return 0


def stopped_at(upper):
    """The counter's last value, once it no longer changes."""
    at = count(upper)
    time.sleep(0.5)
    assert count(upper) == at, "the checkpointed container still counts"
    return at


def keeps_counting(upper, since):
    first = count(upper)
    assert first >= since, f"counter went back from {since} to {first}"
    wait_for(lambda: count(upper) > first + 2, 60, what="the restored counter to count")


def test_checkpoint_restore_export_import(podman):
    """One container through both ways (a podman command is slow in the
    VM): checkpoint and restore in place; then an exported checkpoint that
    restores after the container was removed, as on another host."""
    name = podman.counter()
    upper = podman.upper(name)
    mark = podman.runtime.mark("podman")
    podman("container", "checkpoint", name)
    assert podman.inspect(name, "{{.State.Status}} {{.State.Checkpointed}}") == "exited true"
    at = stopped_at(upper)
    podman("container", "restore", name)
    assert podman.inspect(name, "{{.State.Status}} {{.State.Restored}}") == "running true"
    keeps_counting(upper, at)
    # podman asked the runtime whether it can, then had it do both
    calls = podman.calls(mark)
    assert {"checkpoint", "restore"} <= set(calls), calls

    archive = podman.dir / f"{name}.tar.gz"
    podman("container", "checkpoint", "--export", archive, name)
    at = stopped_at(upper)
    podman("rm", name)
    podman("container", "restore", "--import", archive)
    assert podman.inspect(name, "{{.State.Status}} {{.State.Restored}}") == "running true"
    keeps_counting(podman.upper(name), at)


def test_checkpoint_restore_with_the_systemd_manager(podman):
    """podman's default on a systemd host: --cgroup-manager systemd, so the
    runtime gets --systemd-cgroup, at restore too."""
    if not systemd_running():
        pytest.skip("systemd as PID 1 needed (tests/criu/run.sh)")
    sd = ("--cgroup-manager", "systemd")
    name = podman.counter(*sd)
    upper = podman.upper(name)
    mark = podman.runtime.mark("podman")
    podman(*sd, "container", "checkpoint", name)
    at = stopped_at(upper)
    podman(*sd, "container", "restore", name)
    assert podman.inspect(name, "{{.State.Status}} {{.State.Restored}}") == "running true"
    keeps_counting(upper, at)
    pid = int(podman.inspect(name, "{{.State.Pid}}"))
    unit = cgroup_of(pid).rsplit("/", 1)[-1]
    assert unit.endswith(".scope") and show(unit, "ActiveState")["ActiveState"] == "active", unit
    assert {"checkpoint", "restore"} <= set(podman.calls(mark))
    podman(*sd, "rm", "--force", "--time", "0", name)
    wait_for(lambda: not unit_loaded(unit), 30, what=f"{unit} to go")
