"""pytest plugin for the VM lanes: a lane that cannot run all its tests
within CI's hour runs what fits, most telling first, and says what it did
not reach.

Environment (all optional):
  LANE_BUDGET   seconds from the start of the run; a test not started by
                then is skipped as "not reached" (listed by -ra), never
                passed or failed.
  LANE_FIRST    comma-separated test file names (test_cgroups.py, ...)
                that run first, in that order.
  LANE_ROTATE   an integer (CI gives the commit count): the other files
                start at a third of the way further each time, so that
                three consecutive runs together reach every test.
"""

import os
import time

import pytest

_start = time.monotonic()


def _file_of(item):
    return os.path.basename(str(item.fspath))


def _ordered(items, first, rotate):
    head = [i for name in first for i in items if _file_of(i) == name]
    rest = [i for i in items if _file_of(i) not in first]
    if rest and rotate:
        k = (rotate % 3) * len(rest) // 3
        rest = rest[k:] + rest[:k]
    return head + rest


def pytest_collection_modifyitems(session, config, items):
    first = [f for f in os.environ.get("LANE_FIRST", "").split(",") if f]
    rotate = int(os.environ.get("LANE_ROTATE", "0") or 0)
    items[:] = _ordered(items, first, rotate)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    budget = os.environ.get("LANE_BUDGET")
    if budget and time.monotonic() - _start > float(budget):
        pytest.skip("not reached: the lane's share of CI's hour ran out")
