"""Fixtures of the client suite; the helpers are in tests/lib (clients.py
for what only this suite uses)."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.clients import (CG_TOP, busybox_rootfs, HOST_DROPPINGS, OCIRT, RUNC, RUNTIMES,  # noqa: E402
                         Runtime, mounts_below, prune_dropping, remove_cgroup_tree)
from lib.hostproc import xfail_where  # noqa: E402


# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "ocirt_gap(reason): ocirt lacks what the scenario needs; strict "
        "xfail for the ocirt parameter only")
    if not OCIRT or not os.path.isabs(OCIRT) or not os.access(OCIRT, os.X_OK):
        raise pytest.UsageError(
            "OCIRT must be the absolute path of the ocirt binary "
            f"(got {OCIRT!r})")
    if RUNC is None:
        raise pytest.UsageError("runc (the reference runtime) is not installed")
    if os.geteuid() != 0:
        raise pytest.UsageError("the client tests run as root")


def pytest_generate_tests(metafunc):
    if "rt" in metafunc.fixturenames:
        metafunc.parametrize("rt", RUNTIMES, indirect=True)


def pytest_collection_modifyitems(items):
    xfail_where(items, "ocirt_gap", "rt", "ocirt", "ocirt: ")


@pytest.fixture(scope="session")
def session_dir():
    base = Path(tempfile.mkdtemp(prefix="ocirt-clients-", dir="/tmp"))
    before = {p: os.path.lexists(p) for p in HOST_DROPPINGS}
    (base / "logs").mkdir()
    yield base
    left = []
    for p in HOST_DROPPINGS:
        if not before[p]:
            left += prune_dropping(p)
    left += remove_cgroup_tree("/" + CG_TOP)
    for m in mounts_below(base):
        left.append(f"mount {m}")
        subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
    if not os.environ.get("CLIENTS_KEEP"):
        shutil.rmtree(base, ignore_errors=True)
    assert not left, f"left on the host by the clients: {left}"


@pytest.fixture(scope="session")
def runtimes(session_dir):
    return {"ocirt": Runtime("ocirt", OCIRT, session_dir),
            "runc": Runtime("runc", RUNC, session_dir)}


@pytest.fixture
def rt(request, runtimes):
    return runtimes[request.param]


# --------------------------------------------------------------------------
# the image: busybox-static
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def rootfs(session_dir):
    """A busybox rootfs directory (read by the containers, never written)."""
    return busybox_rootfs(session_dir / "rootfs")


@pytest.fixture(scope="session")
def image_tar(session_dir, rootfs):
    tar = session_dir / "busybox.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tar), "."], check=True)
    return tar


@pytest.fixture
def tmp_path(session_dir):
    """A fresh directory below the session directory (removed with it)."""
    return Path(tempfile.mkdtemp(prefix="t-", dir=session_dir))
