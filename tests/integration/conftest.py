"""Fixtures of the ocirt integration suite; the helpers are in tests/lib
(see lib/__init__.py for the map).

The runtime under test is taken from the environment variable ``OCIRT``
(absolute path of the binary); when it is unset the suite runs against
``runc`` so that it can be validated against the reference behaviour.
``REFERENCE_RUNTIME`` (default: ``runc`` on PATH) is used by tests that run
the same case on both runtimes and compare the outcome.

Every test gets its own state root (``--root``), its own bundle and unique
container ids, below one private base directory per session.  The pytest
process is a child subreaper (see lib/procs.py), so that what a runtime
invocation leaves behind is re-parented to it and found.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib import fixtures  # noqa: E402
from lib.procs import become_subreaper  # noqa: E402
from lib.runtime import OCIRT, REFERENCE_RUNTIME, unique_id  # noqa: E402

become_subreaper()


@pytest.fixture(scope="session")
def session_base():
    yield from fixtures.session_base()


@pytest.fixture
def env(session_base):
    yield from fixtures.env_dirs(session_base)


@pytest.fixture
def rt(env):
    """The runtime under test, bound to a private state root."""
    yield from fixtures.checked_runtime(OCIRT, env)


@pytest.fixture
def ref(env):
    """The reference runtime (own state root), or None if unavailable."""
    if not REFERENCE_RUNTIME or not os.access(REFERENCE_RUNTIME, os.X_OK):
        yield None
        return
    yield from fixtures.checked_runtime(REFERENCE_RUNTIME, env)


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
