"""Fixtures of the CRI lane: one private containerd for the session (in a
network namespace of the lane's own), a ``handler`` parameter (``ocirt``
and ``runc``) for every scenario, and ``pods`` that makes pods and removes
whatever a scenario left."""

import os
import tempfile
from pathlib import Path

import pytest

import crilib
from crilib import HANDLERS, Lane, Pod
from lib.clients import RUNC
from lib.hostproc import xfail_where  # noqa: E402  (tests/ is put on the path by crilib)

OCIRT = os.environ.get("OCIRT", "")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "ocirt_bug(reason): ocirt fails what runc passes; strict xfail for "
        "the ocirt handler only")
    if not OCIRT or not os.path.isabs(OCIRT) or not os.access(OCIRT, os.X_OK):
        raise pytest.UsageError(
            f"OCIRT must be the absolute path of the ocirt binary (got {OCIRT!r})")
    if RUNC is None:
        raise pytest.UsageError("runc (the reference runtime) is not installed")
    if os.geteuid() != 0:
        raise pytest.UsageError("the CRI lane runs as root")
    # before any thread or child: they all inherit the namespace
    crilib.enter_own_netns()


def pytest_generate_tests(metafunc):
    if "handler" in metafunc.fixturenames:
        metafunc.parametrize("handler", HANDLERS)


def pytest_collection_modifyitems(items):
    xfail_where(items, "ocirt_bug", "handler", "ocirt", "ocirt: ")


@pytest.fixture(scope="session")
def lane():
    base = os.environ.get("CRI_LANE_DIR") or tempfile.mkdtemp(prefix="ocirt-cri-", dir="/tmp")
    Path(base).mkdir(exist_ok=True)
    lane = None
    try:
        lane = Lane(base, OCIRT, RUNC, busybox=os.environ.get("BUSYBOX", "/bin/busybox"))
        yield lane
    finally:
        problems = lane.close() if lane is not None else crilib.cleanup_lane_dir(base)
        assert not problems, f"left behind by the CRI lane: {problems}"


class Pods:
    """Makes pods for one scenario; at its end removes those still there
    and checks that none left anything behind."""

    def __init__(self, lane, handler):
        self.lane, self.handler = lane, handler
        self.made = []

    def __call__(self, name, **kw):
        pod = Pod(self.lane, self.handler, name, **kw)
        self.made.append(pod)
        return pod

    def finish(self):
        problems = []
        ids = {p.id for p in self.lane.rt.ListPodSandbox(
            crilib.pb.ListPodSandboxRequest()).items}
        for pod in self.made:
            if pod.id in ids:
                for call in (pod.stop, pod.remove):
                    try:
                        call()
                    except Exception as e:  # noqa: BLE001 (reported below)
                        problems.append(f"{pod.name}: {call.__name__}: {e}")
            problems += [f"{pod.name}: {x}" for x in pod.leftovers()]
            problems += self.wrong_runtime(pod)
        return problems

    def wrong_runtime(self, pod):
        """The pod's sandbox was created by its handler's runtime, and by
        no other."""
        out = []
        for name, rt in self.lane.runtimes.items():
            made = any(cmd == "create" and pod.id in args
                       for cmd, args, _ in rt.calls("cri"))
            if made != (name == self.handler):
                out.append(f"{pod.name}: {name} {'created' if made else 'did not create'} "
                           f"the sandbox of a {self.handler} pod")
        return out


@pytest.fixture
def pods(lane, handler):
    p = Pods(lane, handler)
    yield p
    problems = p.finish()
    assert not problems, f"left behind: {problems}"
