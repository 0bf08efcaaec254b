"""config.md: root, mounts, process, hostname, annotations, extensibility.

Most sentences are checked on a few containers per runtime that the tests
of this module share: ``proc_probe`` (a process with every field set) and
``mounts_ctr`` (a created container with one mount per option).
"""

import copy
import os
from pathlib import Path

import pytest

from lib.capabilities import cap_mask
from lib.conformance import create_fails, HostSnapshot, required_cases, start_probe
from lib.host import find_mount, read_mountinfo
from lib.hostproc import proc_status
from lib.procs import proc_cmdline, proc_environ, proc_limits
from lib.runtime import created, unique_id
from lib.waiting import wait_pid_gone
from lib.kernel import mount_setattr_missing

# --------------------------------------------------------------------------
# Specification version, root
# --------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0", "1.2.0", "1.3.0"])
def test_config_md__ociversion_semver_accepted(runtime, bundle, version):
    """"ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format ...
    retains forward and backward compatibility within major versions."

    Bundles of every 1.x minor version are run."""
    bundle.config["ociVersion"] = version
    bundle.sh("exit 0")
    res = runtime.run(unique_id(), bundle)
    assert res.rc == 0, res


@pytest.mark.parametrize("what", ["missing", "regular-file"])
def test_config_md__root_path_directory_must_exist(runtime, bundle, what):
    """"A directory MUST exist at the path declared by the field."

    Nothing at the path, or a regular file there: an error and no container
    is created."""
    if what == "regular-file":
        (bundle.path / "not-a-rootfs").write_text("not a directory")
    bundle.config["root"]["path"] = "not-a-rootfs"
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, bundle, check=False)
    assert res.rc != 0 and res.err_lines, res
    snap.assert_clean(ids=[cid])


def test_config_md__root_path_relative_to_bundle_or_absolute(runtime, env):
    """"On POSIX platforms, path is either an absolute path or a relative
    path to the bundle."

    The runtime is started from another directory with an absolute root
    path, and a relative one is resolved against the bundle, not the
    runtime's working directory."""
    bundle = env.private_bundle()
    assert bundle.config["root"]["path"] == "rootfs"
    bundle.sh("exit 0")
    res = runtime.run(unique_id(), bundle, cwd=env.host_dir())
    assert res.rc == 0, res
    bundle.config["root"]["path"] = str(bundle.rootfs)
    res = runtime.run(unique_id(), bundle, cwd=env.host_dir())
    assert res.rc == 0, res


def test_config_md__root_readonly_must_be_read_only(runtime, bundle):
    """"readonly (bool, OPTIONAL) If true then the root filesystem MUST be
    read-only inside the container.\""""
    bundle.config["root"]["readonly"] = True
    bundle.sh("touch /should-fail")
    cid, pid = created(runtime, bundle)
    root = find_mount(read_mountinfo(pid), "/")
    assert "ro" in root["options"], root
    runtime.start(cid)
    wait_pid_gone(pid)
    assert not (bundle.rootfs / "should-fail").exists()


# --------------------------------------------------------------------------
# Mounts
# --------------------------------------------------------------------------

#: (option list, check on the mountinfo entry); each is mounted as a tmpfs
#: at /opt/<name> of one shared container
FLAG_OPTIONS = {
    # option: (options given, per-mount flags wanted, flags not wanted)
    "ro": (["ro"], ["ro"], ["rw"]),
    "rw": (["ro", "rw"], ["rw"], ["ro"]),
    "nosuid": (["nosuid"], ["nosuid"], []),
    "suid": (["nosuid", "suid"], [], ["nosuid"]),
    "nodev": (["nodev"], ["nodev"], []),
    "dev": (["nodev", "dev"], [], ["nodev"]),
    "noexec": (["noexec"], ["noexec"], []),
    "exec": (["noexec", "exec"], [], ["noexec"]),
    "noatime": (["noatime"], ["noatime"], ["relatime"]),
    "atime": (["noatime", "atime"], [], ["noatime"]),
    "nodiratime": (["nodiratime"], ["nodiratime"], []),
    "diratime": (["nodiratime", "diratime"], [], ["nodiratime"]),
    "relatime": (["strictatime", "relatime"], ["relatime"], ["noatime"]),
    "strictatime": (["strictatime"], [], ["relatime", "noatime"]),
    "nostrictatime": (["strictatime", "nostrictatime"], ["relatime"], []),
    "norelatime": (["norelatime"], [], ["noatime"]),
    "nosymfollow": (["nosymfollow"], ["nosymfollow"], []),
    "symfollow": (["nosymfollow", "symfollow"], [], ["nosymfollow"]),
    "defaults": (["defaults"], ["rw"], ["ro", "nosuid", "nodev", "noexec"]),
}
#: the per-mount flags, also checked on a bind mount (``defaults`` adds no
#: flag to a bind mount in mount(8))
BIND_FLAGS = [n for n in FLAG_OPTIONS if n != "defaults"]
#: super-block flags shown in the last field of mountinfo
SB_OPTIONS = {
    "sync": (["sync"], ["sync"], []),
    "async": (["sync", "async"], [], ["sync"]),
    "dirsync": (["dirsync"], ["dirsync"], []),
    "lazytime": (["lazytime"], ["lazytime"], []),
    "nolazytime": (["lazytime", "nolazytime"], [], ["lazytime"]),
}
#: options with no trace in mountinfo: the mount is made with them
ACCEPTED_OPTIONS = ["silent", "loud", "iversion", "noiversion", "remount"]
#: propagation of a tmpfs mount
PROPAGATION = ["shared", "rshared", "private", "rprivate", "unbindable",
               "runbindable"]
RECURSIVE = ["rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec",
             "rexec", "rnoatime", "ratime", "rnodiratime", "rdiratime",
             "rrelatime", "rnorelatime", "rstrictatime", "rnostrictatime",
             "rnosymfollow", "rsymfollow"]


#: options runc 1.1.5 fails on: the runc container leaves them out, and
#: their tests make a container of their own (which runc fails to create)
RUNC_LACKS = {
    "defaults": "passes `defaults` to the filesystem as data: EINVAL",
    "relatime": "ORs the atime flags: `strictatime,relatime` stays "
                "strictatime, where mount(8) takes the last",
    "remount": "passes MS_REMOUNT to mount(2) of a new mount: EINVAL",
    "ratime": "mount_setattr with an unknown atime mode: EINVAL",
    "rnostrictatime": "mount_setattr with an unknown atime mode: EINVAL",
}


def options(names):
    """Parameters, with the runc xfail on the options runc lacks."""
    return [pytest.param(n, marks=pytest.mark.runc_xfail(RUNC_LACKS[n]))
            if n in RUNC_LACKS else n for n in names]


def _tmpfs(b, dest, options):
    b.add_mount(dest, "tmpfs", "tmpfs", list(options))


def _option_mounts(b, names, skip=()):
    """Mount /opt/<name> (tmpfs) or /r/<name> (recursive bind of /srcdir)
    for each option name."""
    table = {**FLAG_OPTIONS, **SB_OPTIONS}
    src = str(b.rootfs / "srcdir")
    for name in names:
        if name in skip:
            continue
        if name in table:
            _tmpfs(b, f"/opt/{name}", table[name][0])
        elif name in RECURSIVE:
            b.add_mount(f"/r/{name}", src, "bind", ["rbind", name])
        else:
            _tmpfs(b, f"/opt/{name}", [name])


class MountsContainer:
    def __init__(self, rt, env, skip):
        self.rt, self.env, self.skip = rt, env, skip

    def entry(self, dest, option=None):
        """The mountinfo entry at dest; for an option the shared container
        left out, from a container of its own with just that mount."""
        if option in self.skip:
            b = self.env.bundle()
            _tmpfs(b, "/srcdir/sub", ["size=5m"])
            _option_mounts(b, [option])
            _, pid = created(self.rt, b)
            mi = read_mountinfo(pid)
        else:
            mi = self.mountinfo
        m = find_mount(mi, dest)
        assert m is not None, f"nothing mounted at {dest}"
        return m


@pytest.fixture(scope="module")
def mounts_ctr(mruntime, menv, rtname):
    """A created container with one mount per option (and order checks)."""
    skip = set(RUNC_LACKS) if rtname == "runc" else set()
    if mount_setattr_missing():
        skip |= set(RECURSIVE)
    b = menv.bundle()
    b.sh("sleep 120")
    host = menv.host_dir("mnt")
    (host / "file").write_text("from host")
    _tmpfs(b, "/srcdir/sub", ["size=5m"])
    _option_mounts(b, list(FLAG_OPTIONS) + list(SB_OPTIONS) +
                   ACCEPTED_OPTIONS + RECURSIVE, skip)
    for name in PROPAGATION:
        _tmpfs(b, f"/opt/p-{name}", [name])
    # order: the later of two mounts on one destination is on top; a mount
    # inside an earlier one needs it to be there first
    _tmpfs(b, "/order", ["size=1m"])
    _tmpfs(b, "/order", ["size=2m"])
    _tmpfs(b, "/order/inner", ["size=3m"])
    # data options go to the filesystem
    _tmpfs(b, "/data-opts", ["mode=0711", "size=4m", "nr_inodes=1234"])
    # destination relative to "/", source relative to the bundle
    os.symlink(host, b.path / "hostlink")
    b.config["mounts"].append({"destination": "relative/dest", "type": "bind",
                               "source": "hostlink", "options": ["rbind"]})
    b.add_mount("/deep/new/dir", host, "bind", ["bind"])
    # bind and rbind of a directory of the rootfs holding a submount (made
    # by the first mount, in the container's mount namespace)
    src = str(b.rootfs / "srcdir")
    b.add_mount("/b-bind", src, "bind", ["bind"])
    b.add_mount("/b-rbind", src, "bind", ["rbind"])
    # slave: a bind of a shared mount made slave
    _tmpfs(b, "/prop-master", ["shared"])
    b.add_mount("/prop-slave", str(b.rootfs / "prop-master"), "bind",
                ["bind", "slave"])
    b.add_mount("/prop-rslave", str(b.rootfs / "prop-master"), "bind",
                ["rbind", "rslave"])
    for name in BIND_FLAGS:
        b.add_mount(f"/bo/{name}", host, "bind",
                    ["bind"] + FLAG_OPTIONS[name][0])
    cid, pid = created(mruntime, b)
    mc = MountsContainer(mruntime, menv, skip)
    mc.pid, mc.mountinfo = pid, read_mountinfo(pid)
    return mc


def _mount(mounts_ctr, dest, option=None):
    return mounts_ctr.entry(dest, option)


def test_config_md__mounts_must_be_in_listed_order(mounts_ctr):
    """"The runtime MUST mount entries in the listed order."

    Of two mounts on /order the second is on top, and /order/inner (listed
    after them) is mounted inside the top one."""
    mi = mounts_ctr.mountinfo
    order = [m for m in mi if m["mountpoint"] == "/order"]
    assert [("size=1024k" in m["super_options"],
             "size=2048k" in m["super_options"]) for m in order] == \
        [(True, False), (False, True)]
    inner = _mount(mounts_ctr, "/order/inner")
    assert inner["parent"] == order[-1]["id"]


def test_config_md__mount_destination_relative_to_root(mounts_ctr):
    """"it MAY be a relative path, in which case it MUST be interpreted as
    relative to "/"."

    ``relative/dest`` is mounted at /relative/dest."""
    assert _mount(mounts_ctr, "/relative/dest")
    path = f"/proc/{mounts_ctr.pid}/root/relative/dest/file"
    assert Path(path).read_text() == "from host"


def test_config_md__mount_bind_source_relative_to_bundle(mounts_ctr):
    """"Path values for bind mounts are either absolute or relative to the
    bundle.\""""
    path = f"/proc/{mounts_ctr.pid}/root/relative/dest/file"
    assert Path(path).read_text() == "from host"


def test_config_md__mount_destination_created(mounts_ctr):
    """"destination (string, REQUIRED) Destination of mount point: path
    inside container."

    A destination whose directories do not exist in the rootfs is created
    (runc and crun create it; the spec leaves it implied)."""
    path = f"/proc/{mounts_ctr.pid}/root/deep/new/dir/file"
    assert Path(path).read_text() == "from host"


@pytest.mark.parametrize("option", options(sorted({**FLAG_OPTIONS,
                                                    **SB_OPTIONS})))
def test_config_md__mount_option_must_be_implemented(mounts_ctr, option):
    """"Runtimes MUST/SHOULD/MAY implement the following option strings for
    Linux" (rows marked MUST, [^1]: mount(8) filesystem-independent
    options).

    Each option (after its opposite, for the ones that clear a flag) on a
    tmpfs; the flag shows in mountinfo."""
    given, want, unwanted = {**FLAG_OPTIONS, **SB_OPTIONS}[option]
    m = _mount(mounts_ctr, f"/opt/{option}", option)
    opts = m["super_options"] if option in SB_OPTIONS else m["options"]
    for w in want:
        assert w in opts, (given, m["line"])
    for u in unwanted:
        assert u not in opts, (given, m["line"])


@pytest.mark.parametrize("option", options(BIND_FLAGS))
def test_config_md__mount_option_on_bind_mount(mounts_ctr, option):
    """"Runtimes MUST/SHOULD/MAY implement the following option strings for
    Linux" "The "MUST" options correspond to mount(8)." (the per-mount
    flags, on a bind mount)

    mount(2) ignores them along with MS_BIND; mount(8) applies them to the
    new bind mount with a remount.  Each one (after its opposite, for the
    ones that clear a flag) on a bind mount of a host directory."""
    given, want, unwanted = FLAG_OPTIONS[option]
    m = _mount(mounts_ctr, f"/bo/{option}")
    for w in want:
        assert w in m["options"], (given, m["line"])
    for u in unwanted:
        assert u not in m["options"], (given, m["line"])


@pytest.mark.parametrize("option", options(ACCEPTED_OPTIONS))
def test_config_md__mount_option_accepted(mounts_ctr, option):
    """"Runtimes MUST/SHOULD/MAY implement the following option strings for
    Linux" (rows marked MUST whose flag mountinfo does not show: silent,
    loud, iversion, noiversion, and remount, meaningless on a new mount).

    The mount is made with the option."""
    m = _mount(mounts_ctr, f"/opt/{option}", option)
    assert m["fstype"] == "tmpfs"


def test_config_md__mount_option_bind(mounts_ctr):
    """"bind | MUST | Bind mount"

    A bind mount of a directory does not carry its submounts."""
    assert _mount(mounts_ctr, "/b-bind")
    assert find_mount(mounts_ctr.mountinfo, "/b-bind/sub") is None


def test_config_md__mount_option_rbind(mounts_ctr):
    """"rbind | MUST | Recursive bind mount\""""
    sub = _mount(mounts_ctr, "/b-rbind/sub")
    assert "size=5120k" in sub["super_options"]


@pytest.mark.parametrize("option", PROPAGATION)
def test_config_md__mount_option_propagation(mounts_ctr, option):
    """"private / rprivate / shared / rshared / unbindable / runbindable |
    MUST | Bind mount propagation\""""
    m = _mount(mounts_ctr, f"/opt/p-{option}")
    tags = " ".join(m["optional"])
    if "shared" in option:
        assert "shared:" in tags, m["line"]
    elif "unbindable" in option:
        assert "unbindable" in tags, m["line"]
    else:
        assert "shared:" not in tags and "master:" not in tags, m["line"]


@pytest.mark.parametrize("option", ["slave", "rslave"])
def test_config_md__mount_option_slave(mounts_ctr, option):
    """"slave / rslave | MUST | Bind mount propagation"

    A bind of a shared mount made slave receives from its peer group."""
    master = _mount(mounts_ctr, "/prop-master")
    group = [t for t in master["optional"] if t.startswith("shared:")]
    assert group, master["line"]
    m = _mount(mounts_ctr, f"/prop-{option}")
    assert "master:" + group[0].split(":")[1] in m["optional"], m["line"]


@pytest.mark.parametrize("option", options(RECURSIVE))
def test_config_md__mount_option_recursive_should(mounts_ctr, option):
    """"rro / rrw / rnosuid / ... | SHOULD | Recursive ro, rw, nosuid, ...
    [^3]: applied with mount_setattr(AT_RECURSIVE)"

    The flag shows on the submount of the recursive bind mount too."""
    if mount_setattr_missing():
        pytest.skip(mount_setattr_missing())
    flag = option[1:]
    sub = _mount(mounts_ctr, f"/r/{option}/sub", option)
    opts = sub["options"]
    positive = {"ro": "ro", "nosuid": "nosuid", "nodev": "nodev",
                "noexec": "noexec", "noatime": "noatime",
                "nodiratime": "nodiratime", "relatime": "relatime",
                "nosymfollow": "nosymfollow"}
    negative = {"rw": "ro", "suid": "nosuid", "dev": "nodev",
                "exec": "noexec", "atime": "noatime",
                "diratime": "nodiratime", "norelatime": None,
                "strictatime": "relatime", "nostrictatime": None,
                "symfollow": "nosymfollow"}
    if flag in positive:
        assert positive[flag] in opts, sub["line"]
    elif negative[flag]:
        assert negative[flag] not in opts, sub["line"]


def test_config_md__unknown_mount_options_passed_as_data(mounts_ctr):
    """"Runtimes SHOULD treat unknown options as filesystem-specific ones
    and pass those as a comma-separated string to the fifth (const void
    *data) argument of mount(2).\""""
    m = _mount(mounts_ctr, "/data-opts")
    for opt in ("mode=711", "size=4096k", "nr_inodes=1234"):
        assert opt in m["super_options"], m["line"]


@pytest.mark.runc_xfail("runc 1.1 has no idmapped mounts and ignores "
                        "uidMappings and gidMappings")
@pytest.mark.parametrize("option", ["idmap", "ridmap"])
@pytest.mark.parametrize("given,missing", [("uidMappings", "gidMappings"),
                                           ("gidMappings", "uidMappings")])
def test_config_md__mount_id_mappings_must_come_together(
        runtime, bundle, host_dir, given, missing, option):
    """"uidMappings ... If specified, it MUST be specified along with
    gidMappings." "gidMappings ... If specified, it MUST be specified along
    with uidMappings."

    Either one alone (with idmap, and with ridmap) is an invalid value:
    create fails."""
    bundle.config["mounts"].append({
        "destination": "/idm", "type": "bind", "source": str(host_dir),
        "options": ["rbind", option],
        given: [{"containerID": 0, "hostID": 100000, "size": 10}]})
    create_fails(runtime, bundle)


@pytest.mark.runc_xfail("runc 1.1 has no idmapped mounts: the option is "
                        "passed on and the mount made unmapped")
@pytest.mark.parametrize("option", ["idmap", "ridmap"])
def test_config_md__mount_idmap_without_mappings_or_userns_must_error(
        runtime, bundle, host_dir, option):
    """"If there are no uidMappings and gidMappings specified and the
    container isn't using user namespaces, an error MUST be returned."
    (idmap and ridmap)"""
    bundle.add_mount("/idm", host_dir, "bind", ["rbind", option])
    create_fails(runtime, bundle)


# --------------------------------------------------------------------------
# Process
# --------------------------------------------------------------------------

PROBE_CAPS = {
    "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                 "CAP_SETUID"],
    "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "effective": ["CAP_CHOWN", "CAP_KILL"],
    "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "ambient": ["CAP_KILL"],
}
OWN_OOM = 123
#: every getrlimit(2) type: (its row in /proc/PID/limits, soft, hard);
#: values of their own, below the test process's hard limit (raising a hard
#: limit takes CAP_SYS_RESOURCE, which the probe lacks)
_RLIMITS = {
    "RLIMIT_AS": ("Max address space", 3 << 30, 4 << 30),
    "RLIMIT_CORE": ("Max core file size", 0, 4096),
    "RLIMIT_CPU": ("Max cpu time", 3601, 7201),
    "RLIMIT_DATA": ("Max data size", 1 << 30, 2 << 30),
    "RLIMIT_FSIZE": ("Max file size", 1 << 29, 1 << 31),
    "RLIMIT_LOCKS": ("Max file locks", 101, 201),
    "RLIMIT_MEMLOCK": ("Max locked memory", 65536, 131072),
    "RLIMIT_MSGQUEUE": ("Max msgqueue size", 8192, 16384),
    "RLIMIT_NICE": ("Max nice priority", 5, 10),
    "RLIMIT_NOFILE": ("Max open files", 512, 1024),
    "RLIMIT_NPROC": ("Max processes", 4001, 5001),
    "RLIMIT_RSS": ("Max resident set", 1 << 28, 1 << 29),
    "RLIMIT_RTPRIO": ("Max realtime priority", 1, 2),
    "RLIMIT_RTTIME": ("Max realtime timeout", 1000001, 2000001),
    "RLIMIT_SIGPENDING": ("Max pending signals", 1001, 2001),
    "RLIMIT_STACK": ("Max stack size", 8 << 20, 16 << 20),
}


def _below_own_hard_limit(row, soft, hard):
    own = proc_limits("self")[row][1]
    if own == "unlimited":
        return soft, hard
    return min(soft, int(own)), min(hard, int(own))


RLIMITS = {t: (row, *_below_own_hard_limit(row, soft, hard))
           for t, (row, soft, hard) in _RLIMITS.items()}


@pytest.fixture(scope="module")
def own_oom_score_adj():
    """The test process's oom_score_adj, set to a value of its own (the
    containers inherit it from the runtime) and restored afterwards."""
    path = Path("/proc/self/oom_score_adj")
    old = path.read_text().strip()
    path.write_text(str(OWN_OOM))
    yield OWN_OOM
    path.write_text(old)


@pytest.fixture(scope="module")
def proc_probe(mruntime, menv, own_oom_score_adj):
    """A running container with every process field set."""
    b = menv.bundle()
    p = b.process
    p["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 1234],
                 "umask": 0o027}
    p["cwd"] = "/tmp"
    p["env"] = ["PATH=/bin", "PROBE_VAR=some value", "EMPTY="]
    p["rlimits"] = [{"type": t, "soft": soft, "hard": hard}
                    for t, (_, soft, hard) in RLIMITS.items()]
    p["capabilities"] = {k: list(v) for k, v in PROBE_CAPS.items()}
    p["noNewPrivileges"] = True
    p["oomScoreAdj"] = 250
    p["consoleSize"] = {"height": 10, "width": 20}
    b.config["hostname"] = "probe-host"
    b.config["domainname"] = "probe.example"
    checks = [("id", "id -u; id -g; id -G"), ("umask", "umask"),
              ("pwd", "pwd"), ("hostname", "hostname"),
              ("domainname", "cat /proc/sys/kernel/domainname"),
              ("tty", "test -t 0 && echo tty || echo notty")]
    host = menv.host_dir("probe")
    return start_probe(mruntime, b, host, checks)


def test_config_md__process_args_execvp_semantics(proc_probe):
    """"args ... with similar semantics to IEEE Std 1003.1-2008 execvp's
    argv ... that entry is used with the same semantics as execvp's file."

    args[0] `sh` is found through PATH=/bin."""
    assert proc_cmdline(proc_probe.pid) == ["sleep", "120"]
    assert proc_probe["pwd"] == "/tmp"


def test_config_md__process_cwd_is_working_directory(proc_probe):
    """"cwd (string, REQUIRED) is the working directory that will be set for
    the executable.\""""
    assert proc_probe["pwd"] == "/tmp"
    assert os.readlink(f"/proc/{proc_probe.pid}/cwd") == "/tmp"


def test_config_md__process_cwd_must_be_absolute(runtime, bundle):
    """"cwd ... This value MUST be an absolute path."

    A relative cwd is an invalid value: an error, no container."""
    bundle.process["cwd"] = "tmp"
    create_fails(runtime, bundle)


def test_config_md__process_env_is_environ(proc_probe):
    """"env (array of strings, OPTIONAL) with the same semantics as IEEE Std
    1003.1-2008's environ.\""""
    environ = proc_environ(proc_probe.pid)
    for var in ("PATH=/bin", "PROBE_VAR=some value", "EMPTY="):
        assert var in environ, environ


def test_config_md__console_size_ignored_without_terminal(proc_probe):
    """"Runtimes MUST ignore consoleSize if terminal is false or unset."

    The probe has consoleSize and terminal false: it runs, without a tty."""
    assert proc_probe["tty"] == "notty"


def test_config_md__user_uid_gid(proc_probe):
    """"uid (int, REQUIRED) specifies the user ID in the container
    namespace. gid (int, REQUIRED) specifies the group ID ..."""
    st = proc_status(proc_probe.pid)
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1001"] * 4


def test_config_md__user_additional_gids(proc_probe):
    """"additionalGids (array of ints, OPTIONAL) specifies additional group
    IDs in the container namespace to be added to the process.\""""
    groups = set(proc_status(proc_probe.pid)["Groups"].split())
    assert {"5", "1234"} <= groups
    assert set(proc_probe["id"].split("\n")[2].split()) >= {"5", "1234"}


def test_config_md__user_umask(proc_probe):
    """"umask (int, OPTIONAL) specifies the umask of the user.\""""
    assert proc_status(proc_probe.pid)["Umask"] == "0027"
    assert proc_probe["umask"] == "0027"


@pytest.mark.parametrize("rtype", sorted(RLIMITS))
def test_config_md__rlimits_must_match(proc_probe, rtype):
    """"rlim.rlim_cur MUST match the configured value." "rlim.rlim_max MUST
    match the configured value." (each of the 16 types of getrlimit(2))

    Each type has values of its own, so that a type set as another one
    shows."""
    kind, soft, hard = RLIMITS[rtype]
    assert proc_limits(proc_probe.pid)[kind] == (str(soft), str(hard))


def test_config_md__rlimits_unknown_type_must_error(runtime, bundle):
    """"The runtime MUST generate an error for any values which cannot be
    mapped to a relevant kernel interface.\""""
    bundle.process["rlimits"] = [{"type": "RLIMIT_NO_SUCH", "soft": 1,
                                  "hard": 1}]
    create_fails(runtime, bundle)


def test_config_md__rlimits_duplicate_type_must_error(runtime, bundle):
    """"If rlimits contains duplicated entries with same type, the runtime
    MUST generate an error.\""""
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100},
        {"type": "RLIMIT_NOFILE", "soft": 200, "hard": 200}]
    create_fails(runtime, bundle)


@pytest.mark.parametrize("capset,field", [
    ("effective", "CapEff"), ("bounding", "CapBnd"),
    ("inheritable", "CapInh"), ("permitted", "CapPrm"),
    ("ambient", "CapAmb")])
def test_config_md__capabilities_sets_kept(proc_probe, capset, field):
    """"the effective / bounding / inheritable / permitted / ambient field is
    an array of ... capabilities that are kept for the process."

    The process runs as uid 1000: the sets are what the config says (the
    ambient CAP_KILL is raised in permitted and effective too, as
    capabilities(7) has it for a non-root execve)."""
    got = int(proc_status(proc_probe.pid)[field], 16)
    want = cap_mask(*PROBE_CAPS[capset])
    if capset in ("effective", "permitted"):
        # after execve as non-root: P'(perm) = P'(eff) = ambient
        want = cap_mask(*PROBE_CAPS["ambient"])
    assert got == want, (capset, hex(got), hex(want))


def test_config_md__capabilities_unknown_must_warn_should_not_fail(runtime,
                                                                   bundle):
    """"Any value which cannot be mapped to a relevant kernel interface, or
    cannot be granted otherwise MUST be logged as a warning by the runtime.
    Runtimes SHOULD NOT fail if the container configuration requests
    capabilities that cannot be granted"."""
    caps = bundle.process["capabilities"]
    for k in ("bounding", "permitted", "effective"):
        caps[k] = caps[k] + ["CAP_NO_SUCH_THING"]
    bundle.sh("exit 0")
    res = runtime.run(unique_id(), bundle)
    assert res.rc == 0, res
    assert "CAP_NO_SUCH_THING" in res.err, res


def test_config_md__no_new_privileges(proc_probe):
    """"setting noNewPrivileges to true prevents the process from gaining
    additional privileges.\""""
    assert proc_status(proc_probe.pid)["NoNewPrivs"] == "1"


def test_config_md__oom_score_adj_must_be_set(proc_probe):
    """"If oomScoreAdj is set, the runtime MUST set oom_score_adj to the
    given value.\""""
    path = Path(f"/proc/{proc_probe.pid}/oom_score_adj")
    assert path.read_text().strip() == "250"


def test_config_md__oom_score_adj_unset_must_not_change(runtime, bundle,
                                                        own_oom_score_adj):
    """"If oomScoreAdj is not set, the runtime MUST NOT change the value of
    oom_score_adj."

    The container keeps the value of the process that ran the runtime."""
    bundle.process.pop("oomScoreAdj", None)
    cid, pid = created(runtime, bundle)
    path = Path(f"/proc/{pid}/oom_score_adj")
    assert path.read_text().strip() == str(own_oom_score_adj)


# --------------------------------------------------------------------------
# Hostname, domainname
# --------------------------------------------------------------------------


def test_config_md__hostname_in_uts_namespace(proc_probe):
    """"hostname (string, OPTIONAL) specifies the container's hostname as
    seen by processes running inside the container.\""""
    assert proc_probe["hostname"] == "probe-host"
    assert os.uname().nodename != "probe-host"


@pytest.mark.runc_xfail("runc 1.1.5 does not set the domainname: the "
                        "container sees `(none)`")
def test_config_md__domainname_in_uts_namespace(proc_probe):
    """"domainname (string, OPTIONAL) specifies the container's domainname
    as seen by processes running inside the container.\""""
    assert proc_probe["domainname"] == "probe.example"


# --------------------------------------------------------------------------
# Annotations, extensibility, valid values
# --------------------------------------------------------------------------


def test_config_md__unknown_annotation_keys_handled_as_unknown_property(
        runtime, bundle):
    """"Runtimes MUST handle unknown annotation keys like any other unknown
    property."

    They are accepted and reported in the state as given."""
    ann = {"com.example.unknown": "x", "org.example.key": "",
           "run.oci.whatever": "1"}
    bundle.config["annotations"] = ann
    cid, _ = created(runtime, bundle)
    assert runtime.state(cid)["annotations"] == ann


def test_config_md__annotation_values_must_be_strings(runtime, bundle):
    """"Values MUST be strings."

    A number as an annotation value is an invalid value: create fails."""
    bundle.config["annotations"] = {"org.example.n": 5}
    create_fails(runtime, bundle)


def test_config_md__unknown_properties_must_be_ignored(runtime, bundle,
                                                       host_dir):
    """"Runtimes MAY log unknown properties but MUST otherwise ignore them.
    That includes not generating errors if they encounter an unknown
    property."

    Unknown keys at the top level, in root, process, user, a mount, linux
    and linux.resources: the container runs as if they were absent."""
    c = bundle.config
    c["x-top"] = {"nested": [1, 2, {"a": None}]}
    c["root"]["x-root"] = True
    c["process"]["x-process"] = "v"
    c["process"]["user"]["x-user"] = 5
    c["mounts"][0]["x-mount"] = []
    c["linux"]["x-linux"] = {"k": "v"}
    c["linux"]["resources"]["x-resources"] = 1.5
    bundle.bind(host_dir, "/out")
    bundle.sh("echo ran > /out/ran")
    res = runtime.run(unique_id(), bundle)
    assert res.rc == 0, res
    assert (host_dir / "ran").read_text() == "ran\n"


@pytest.mark.parametrize("where", ["namespace-type", "mount-type",
                                   "rootfs-propagation", "seccomp-action"])
def test_config_md__invalid_values_must_error(runtime, bundle, where):
    """"Runtimes MUST generate an error when invalid or unsupported values
    are encountered.\""""
    if where == "namespace-type":
        bundle.linux["namespaces"].append({"type": "no-such-ns"})
    elif where == "mount-type":
        bundle.add_mount("/x", "none", "no-such-fs-type", [])
    elif where == "rootfs-propagation":
        bundle.linux["rootfsPropagation"] = "sideways"
    else:
        bundle.linux["seccomp"] = {"defaultAction": "SCMP_ACT_NO_SUCH"}
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, bundle, check=False)
    assert res.rc != 0 and res.err_lines, res
    snap.assert_clean(ids=[cid])


# --------------------------------------------------------------------------
# REQUIRED fields
# --------------------------------------------------------------------------


def _drop(*keys):
    """A change to the config: delete the field at the path ``keys``."""
    def change(config):
        obj = config
        for k in keys[:-1]:
            obj = obj[k]
        del obj[keys[-1]]
    return change


def _with(keys, value, *drop):
    """Set the field at ``keys`` to (a copy of) ``value``, then drop the
    ``drop`` key of that value (a REQUIRED field of an OPTIONAL object)."""
    def change(config):
        obj = config
        for k in keys[:-1]:
            obj = obj.setdefault(k, {})
        obj[keys[-1]] = new = copy.deepcopy(value)
        for d in drop:
            del (new[0] if isinstance(new, list) else new)[d]
    return change


#: an rlimit whose missing value, taken as 0, would still be valid
RLIMIT_ZERO = [{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]

REQUIRED_CONFIG = {
    "ociVersion": _drop("ociVersion"),
    "root": _drop("root"),
    "root.path": _drop("root", "path"),
    "process.cwd": _drop("process", "cwd"),
    "process.args": _drop("process", "args"),
    "process.user.uid": _drop("process", "user", "uid"),
    "process.user.gid": _drop("process", "user", "gid"),
    "rlimits.type": _with(("process", "rlimits"), RLIMIT_ZERO, "type"),
    "rlimits.soft": _with(("process", "rlimits"), RLIMIT_ZERO, "soft"),
    "rlimits.hard": _with(("process", "rlimits"), RLIMIT_ZERO, "hard"),
    "scheduler.policy": _with(("process", "scheduler"),
                              {"policy": "SCHED_OTHER", "nice": 1},
                              "policy"),
    "ioPriority.class": _with(("process", "ioPriority"),
                              {"class": "IOPRIO_CLASS_BE", "priority": 3},
                              "class"),
    "ioPriority.priority": _with(("process", "ioPriority"),
                                 {"class": "IOPRIO_CLASS_BE",
                                  "priority": 3}, "priority"),
    "hooks.path": _with(("hooks", "createRuntime"),
                        [{"path": "/bin/true", "args": ["true"]}], "path"),
}


#: the fields runc 1.1 does not miss (the Go zero value stands in)
RUNC_ACCEPTS = {
    "ociVersion": "a config without ociVersion is run",
    "process.user.uid": "a missing uid is taken as 0",
    "process.user.gid": "a missing gid is taken as 0",
    "rlimits.soft": "a missing soft limit is taken as 0",
    "rlimits.hard": "a missing hard limit is taken as 0",
    "scheduler.policy": "runc 1.1 has no process.scheduler (ignored)",
    "ioPriority.class": "runc 1.1 has no process.ioPriority (ignored)",
    "ioPriority.priority": "runc 1.1 has no process.ioPriority (ignored)",
}
#: the fields ocirt does not miss (each a bug to fix)
OCIRT_ACCEPTS = {}


@pytest.mark.parametrize("field", required_cases(REQUIRED_CONFIG,
                                                 RUNC_ACCEPTS,
                                                 OCIRT_ACCEPTS))
def test_config_md__required_field_missing_must_error(runtime, bundle,
                                                      field):
    """"(REQUIRED)" fields of config.md; "Runtimes MUST generate an error
    when invalid or unsupported values are encountered."

    A config without the field (the rest valid) is invalid: create fails
    and no container exists."""
    REQUIRED_CONFIG[field](bundle.config)
    create_fails(runtime, bundle)
