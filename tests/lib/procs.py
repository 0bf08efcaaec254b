"""Processes of the host: the suite as a child subreaper, zombies and
leftovers re-parented to it, and what /proc says of a pid.

The pytest process of the integration and conformance suites makes itself
a child subreaper (:func:`become_subreaper`), so that any process left
behind by a runtime invocation (for example an init process that was not
cleaned up after a failed ``create``) is re-parented to the test process
where :func:`leftover_processes` can see it.  Zombies of container
processes re-parented this way are reaped by :func:`reap_zombies`, the way
a container shim would."""

import ctypes
import os
import signal
import time

PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)

#: pids of Popen objects the suite will wait for itself; never reaped here.
ACTIVE_PIDS = set()
#: exit statuses of re-parented children reaped by reap_zombies().
REAPED = {}


def become_subreaper():
    """Make the calling process a child subreaper (PR_SET_CHILD_SUBREAPER)."""
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")



def proc_stat(pid):
    """(state, ppid, starttime) of a pid, or None if it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); starttime is field 22.
    return rest[0], int(rest[1]), int(rest[19])


def children_of(ppid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st and st[1] == ppid:
            out.append(int(name))
    return out


def reap_zombies():
    """Reap zombie children that were re-parented to the test process."""
    me = os.getpid()
    for pid in children_of(me):
        if pid in ACTIVE_PIDS:
            continue
        st = proc_stat(pid)
        if st and st[0] in ("Z", "X"):
            try:
                got, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if got:
                REAPED[pid] = status


def leftover_processes():
    """Live processes re-parented to the test process (after reaping)."""
    reap_zombies()
    me = os.getpid()
    return [p for p in children_of(me) if p not in ACTIVE_PIDS
            and (proc_stat(p) or ("Z",))[0] not in ("Z", "X")]


def kill_leftovers(pids):
    """SIGKILL processes that were re-parented to the test process."""
    if not pids:
        return
    me = os.getpid()
    for p in pids:
        st = proc_stat(p)
        if st and st[1] == me:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.05)
    reap_zombies()


def pid_alive(pid):
    """True when pid exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def exit_status(pid, timeout=5.0):
    """Raw wait status of a re-parented container process, or None.

    Only available when the process became our child (which it does when the
    runtime does not keep a monitor process around).
    """
    deadline = time.monotonic() + timeout
    while True:
        if pid in REAPED:
            return REAPED[pid]
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return REAPED.get(pid)
        if got:
            REAPED[pid] = status
            return status
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)



def ns_inode(pid, ns):
    return os.stat(f"/proc/{pid}/ns/{ns}").st_ino


def proc_limits(pid):
    """/proc/<pid>/limits as {name: (soft, hard)} with raw strings."""
    out = {}
    with open(f"/proc/{pid}/limits") as f:
        lines = f.read().splitlines()
    for line in lines[1:]:
        name = line[:26].strip()
        fields = line[26:].split()
        out[name] = (fields[0], fields[1])
    return out


def proc_cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]


def proc_environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]

