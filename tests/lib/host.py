"""Host observation: mounts, devices, and a snapshot of the host that a
test compares against to assert that nothing was left behind."""

import os
import re
import stat

from lib.cgroups import cgroup_dirs
from lib.procs import kill_leftovers, leftover_processes, proc_cmdline


def _unescape_mountinfo(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def read_mountinfo(pid="self"):
    """Parse /proc/<pid>/mountinfo into a list of dicts."""
    entries = []
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            left, right = line.rstrip("\n").split(" - ", 1)
            lf = left.split()
            rf = right.split()
            entries.append({
                "id": int(lf[0]),
                "parent": int(lf[1]),
                "dev": lf[2],
                "root": _unescape_mountinfo(lf[3]),
                "mountpoint": _unescape_mountinfo(lf[4]),
                "options": lf[5].split(","),
                "optional": lf[6:],
                "fstype": rf[0],
                "source": _unescape_mountinfo(rf[1]) if len(rf) > 1 else "",
                "super_options": rf[2].split(",") if len(rf) > 2 else [],
                "line": line.rstrip("\n"),
            })
    return entries


def find_mount(mountinfo, mountpoint):
    """The top-most (last) mount at mountpoint, or None."""
    found = None
    for m in mountinfo:
        if m["mountpoint"] == mountpoint:
            found = m
    return found



class HostSnapshot:
    """Records host state so that a test can assert nothing was left behind."""

    def __init__(self, rt):
        self.rt = rt
        self.root = rt.root
        self.base = rt.env.base
        self.mounts = {m["line"].split(" ", 1)[1] for m in read_mountinfo()}
        self.cgroups = self.cgroup_dirs()
        self.root_entries = self._root_entries()
        # re-parented processes that exist already (e.g. other containers
        # of the same test) are not leftovers of what comes next
        self.children = set(leftover_processes())

    @staticmethod
    def cgroup_dirs():
        """The cgroup directories compared (a subclass may look at fewer)."""
        return cgroup_dirs()

    def _root_entries(self):
        root = self.root
        if not os.path.isdir(root):
            return set()
        # dot entries are the runtime's caches (compiled seccomp filters),
        # not any container's state
        return {e for e in os.listdir(root) if not e.startswith(".")}

    def _related(self, text, ids):
        keys = [str(self.base)] + list(ids) + ["ocirt", "runc"]
        return any(k and k in text for k in keys)

    def new_mounts(self, ids=()):
        now = {m["line"].split(" ", 1)[1] for m in read_mountinfo()}
        return sorted(x for x in now - self.mounts if self._related(x, ids))

    def new_cgroups(self, ids=(), paths=()):
        now = self.cgroup_dirs()
        new = now - self.cgroups
        keys = list(ids) + [p.strip("/") for p in paths if p]
        return sorted(d for d in new if any(k and k in d for k in keys))

    def new_state_entries(self):
        return sorted(self._root_entries() - self.root_entries)

    def assert_clean(self, ids=(), cgroup_paths=()):
        """Nothing left: state dirs, host mounts, cgroups, processes."""
        problems = []
        st = self.new_state_entries()
        if st:
            problems.append(f"new entries in state root {self.root}: {st}")
        for cid in ids:
            if os.path.exists(os.path.join(self.root, cid)):
                problems.append(f"state dir for {cid} exists")
        mounts = self.new_mounts(ids)
        if mounts:
            problems.append(f"new host mounts: {mounts}")
        cg = self.new_cgroups(ids, cgroup_paths)
        if cg:
            problems.append(f"new cgroup dirs: {cg}")
        procs = [p for p in leftover_processes()
                 if p not in self.children and p not in self.rt.pids]
        if procs:
            desc = []
            for p in procs:
                try:
                    desc.append(f"{p}:{proc_cmdline(p)}")
                except OSError:
                    desc.append(str(p))
            problems.append(f"leftover processes: {desc}")
            # they were re-parented to us, so they descend from this test
            kill_leftovers(procs)
        assert not problems, "; ".join(problems)



def dev_numbers(path):
    st = os.stat(path)
    return os.major(st.st_rdev), os.minor(st.st_rdev)


def is_char_device(path):
    return stat.S_ISCHR(os.stat(path).st_mode)
