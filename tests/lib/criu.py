"""CRIU on this host: where its binary is, and whether it can work on the
running kernel (``criu check``), for the checkpoint tests to skip with
the reason where it cannot."""

import functools
import os
import shutil
import subprocess


def criu_binary():
    return shutil.which("criu") or next(
        (p for p in ("/usr/sbin/criu", "/sbin/criu") if os.access(p, os.X_OK)), None)


@functools.lru_cache(maxsize=None)
def criu_problem():
    """Why CRIU cannot work here, or None when `criu check` passes."""
    criu = criu_binary()
    if criu is None:
        return "criu is not installed"
    try:
        p = subprocess.run([criu, "check"], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as e:
        return f"criu check: {e}"
    if p.returncode == 0:
        return None
    errors = [ln.split("): ", 1)[-1] for ln in p.stderr.splitlines() if "Error (" in ln]
    return "criu check fails on kernel %s: %s" % (os.uname().release,
                                                 "; ".join(errors[:2]) or p.stderr.strip())
