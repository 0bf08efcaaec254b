"""systemd on the host, seen from the tests: whether it is PID 1, what it
says of a unit, and where it keeps a unit's processes."""

import os
import shutil
import subprocess

CG = "/sys/fs/cgroup"
V2 = os.path.exists(os.path.join(CG, "cgroup.controllers"))


def systemd_running():
    """systemd is PID 1 and answers (running or degraded)."""
    if shutil.which("systemctl") is None:
        return False
    try:
        p = subprocess.run(["systemctl", "is-system-running"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    state = p.stdout.decode().strip()
    return state in ("running", "degraded", "starting", "initializing")


def show(unit, *props):
    p = subprocess.run(["systemctl", "show", unit, "-p", ",".join(props)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, check=True)
    out = {}
    for line in p.stdout.decode().splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def tracked(cgpath):
    """CGPATH in the hierarchy where systemd keeps its units' processes."""
    if V2:
        return CG + cgpath
    if os.path.exists(os.path.join(CG, "unified", "cgroup.procs")):
        return os.path.join(CG, "unified") + cgpath
    return os.path.join(CG, "systemd") + cgpath


def unit_loaded(unit):
    return show(unit, "LoadState")["LoadState"] == "loaded"


def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            h, ctrls, path = line.rstrip("\n").split(":", 2)
            # the hierarchy systemd tracks processes in
            if h == "0" or ctrls == "name=systemd":
                return path
    raise AssertionError(f"no unified or name=systemd cgroup for {pid}")
