"""Waiting for a condition, a pid or a file, reaping re-parented zombies
meanwhile."""

import time
from pathlib import Path

from lib.procs import pid_alive, reap_zombies


def poll(predicate, timeout, interval, what, between=None):
    """PREDICATE's first true value, polled every INTERVAL seconds (calling
    BETWEEN before each sleep); AssertionError after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        if between:
            between()
        time.sleep(interval)


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """poll() reaping the zombies re-parented to the suite meanwhile."""
    return poll(predicate, timeout, interval, what, between=reap_zombies)


def wait_pid_gone(pid, timeout=10.0):
    wait_for(lambda: not pid_alive(pid), timeout, what=f"pid {pid} to exit")


def wait_file(path, timeout=10.0, proc=None):
    """Wait for a file to be written; fail early if ``proc`` exits."""
    path = Path(path)

    def check():
        if path.exists() and path.stat().st_size > 0:
            return True
        if proc is not None and proc.poll() is not None:
            raise AssertionError(
                f"runtime exited (rc={proc.returncode}) before {path} was "
                f"written: {Path(proc.err_path).read_text()[:2000]!r}")
        return False
    wait_for(check, timeout, what=f"{path} to be written")
    return path.read_text()

