"""Fixtures of the OCI runtime-spec conformance suite.

Every test runs twice: once on the runtime under test (``OCIRT``) and once
on the reference runtime (``REFERENCE_RUNTIME``, default ``runc`` on PATH),
through the module-scoped ``rtname`` parameter, so that a report shows both
side by side.  The helpers are those of tests/lib (lib.conformance for what only this
suite uses); this file holds the fixtures and hooks.

Markers:

- ``runc_xfail(reason)``: the reference runtime fails this sentence and
  ocirt honours it; the ``runc`` parameter is a strict xfail.
- ``ocirt_xfail(reason)``: ocirt fails this sentence (a known bug, the
  reason says how); the ``ocirt`` parameter is a strict xfail, so that the
  marker has to go with the fix.

With ``CONFORMANCE_RESULTS=file.json`` the outcome of every test is written
there (read by ``gen_doc.py``).
"""

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib import fixtures  # noqa: E402
from lib.conformance import SharedRootEnv, runtime_of  # noqa: E402
from lib.hostproc import xfail_where  # noqa: E402
from lib.procs import become_subreaper  # noqa: E402
from lib.runtime import OCIRT, REFERENCE_RUNTIME  # noqa: E402

become_subreaper()

RUNTIMES = {"ocirt": OCIRT, "runc": REFERENCE_RUNTIME}


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
# fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(RUNTIMES))
def rtname(request):
    """'ocirt' or 'runc': which runtime this instance of the test runs."""
    return request.param


@pytest.fixture(scope="session")
def session_base():
    yield from fixtures.session_base()


@pytest.fixture
def env(session_base):
    """Per-test directories; bundles share one rootfs (SharedRootEnv)."""
    yield from fixtures.env_dirs(session_base, SharedRootEnv)


@pytest.fixture(scope="module")
def menv(session_base):
    """The same, once per module, for the containers that the tests of one
    module share."""
    yield from fixtures.env_dirs(session_base, SharedRootEnv)


@pytest.fixture
def runtime(rtname, env):
    """The runtime of this parameter, bound to a private state root."""
    yield from runtime_of(RUNTIMES[rtname], env)


@pytest.fixture(scope="module")
def mruntime(rtname, menv):
    """The same, shared by the module-scoped containers of a module."""
    yield from runtime_of(RUNTIMES[rtname], menv, shared=True)


@pytest.fixture
def bundle(env):
    return env.bundle()


@pytest.fixture
def host_dir(env):
    return env.host_dir()


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
