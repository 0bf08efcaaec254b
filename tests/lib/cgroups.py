"""The host's cgroups as the suites see them, and the suite's own root
cgroup (``SUITE_CGROUP``, ``OCIRT_TEST_CGROUP_ROOT``)."""

import os


def cgroup_dirs():
    """Set of all directories in every cgroup hierarchy of the host."""
    dirs = set()
    base = "/sys/fs/cgroup"
    for top in [base] + [os.path.join(base, d) for d in os.listdir(base)]:
        if not os.path.isdir(top):
            continue
        for dirpath, dirnames, _ in os.walk(top):
            dirs.add(dirpath)
            # the tmpfs holding the hierarchies is walked only one level
            if dirpath == base:
                dirnames[:] = []
    return dirs


def own_cgroups():
    """{controller-or-'' : path} of the test process."""
    out = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in (ctrls.split(",") if ctrls else [""]):
                out[c] = path
    return out


def _runner_in_a_v1_cgroup_of_others():
    return any(c and not c.startswith("name=") and path != "/"
               for c, path in own_cgroups().items())


#: Absolute cgroup below which the suite puts containers that name no
#: cgroup of their own, or "".  On cgroup v1 a runtime (runc too) nests such
#: a container, and a relative cgroupsPath, below its caller's cgroup: where
#: the test runner sits in a v1 cgroup that is not the suite's (a CI job's
#: memory cgroup), that would write below a cgroup the suite does not own.
#: There every container gets an absolute path below this root instead; on
#: hosts whose runner sits at each hierarchy's root (the VM lanes) default
#: placement is exercised as it is.  OCIRT_TEST_CGROUP_ROOT overrides it.
SUITE_CGROUP = os.environ.get(
    "OCIRT_TEST_CGROUP_ROOT",
    "/ocirt-tests" if _runner_in_a_v1_cgroup_of_others() else "").rstrip("/")


def cgroup_path_for(name):
    """linux.cgroupsPath for a test container named NAME: below the
    suite's own root where there is one, else NAME itself (relative)."""
    return f"{SUITE_CGROUP}/{name}" if SUITE_CGROUP else name


def prepare_suite_cgroups():
    """Give the suite's root in the v1 cpu hierarchy real-time runtime to
    hand out: a new cpu cgroup has none, and a child may not exceed its
    parent (with the runner at the root, the root's was there)."""
    if not SUITE_CGROUP:
        return
    try:
        d = v1_hierarchy_dir("cpu") + SUITE_CGROUP
    except AssertionError:
        return
    if not os.path.exists(os.path.join(os.path.dirname(d), "cpu.rt_runtime_us")):
        return
    os.makedirs(d, exist_ok=True)
    for us in ("200000", "100000", "50000"):
        try:
            with open(os.path.join(d, "cpu.rt_runtime_us"), "w") as f:
                f.write(us)
            return
        except OSError:
            continue


def remove_suite_cgroups():
    """Remove the suite's (empty) root cgroups; any left non-empty is a
    leak that the tests report themselves."""
    if not SUITE_CGROUP:
        return
    base = "/sys/fs/cgroup"
    for top in [base] + [os.path.join(base, d) for d in os.listdir(base)]:
        try:
            os.rmdir(top + SUITE_CGROUP)
        except OSError:
            pass


def v1_hierarchy_dir(ctrl):
    """Directory of the v1 hierarchy holding CTRL (cpu -> cpu,cpuacct)."""
    base = "/sys/fs/cgroup"
    for name in sorted(os.listdir(base)):
        if ctrl in name.split(",") and os.path.isdir(os.path.join(base, name)):
            return os.path.realpath(os.path.join(base, name))
    raise AssertionError(f"no v1 hierarchy for {ctrl}")


def cgroup_dirs_for(pid):
    """Host directories of every cgroup the given pid is a member of."""
    dirs = []
    base = "/sys/fs/cgroup"
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if not ctrls:
                cands = [os.path.join(base, "unified"), base]
            else:
                names = [c.replace("name=", "") for c in ctrls.split(",")]
                cands = [os.path.join(base, ",".join(names))] + \
                        [os.path.join(base, n) for n in names]
            for c in cands:
                full = c + path
                if os.path.isdir(full):
                    dirs.append(full)
                    break
    return dirs



def cgroups_of_ids(dirs, ids):
    out = []
    for d in dirs:
        name = os.path.basename(d)
        for cid in ids:
            if name == cid or (len(cid) >= 8 and cid in name):
                out.append(d)
    return sorted(out)

