"""The container process: args, env, cwd, user, limits, caps, fds, ..."""

import os
import signal
import sys

import pytest

from lib.capabilities import cap_mask
from lib.hostproc import proc_status
from lib.procs import proc_environ, proc_limits
from lib.host import HostSnapshot
from lib.runtime import (assert_single_line_error, create_running, created, run_output,
                         runc_diff, unique_id, with_fds)
from lib.waiting import wait_file

def capmask(caps):
    return cap_mask(*caps)


def running_status(rt, bundle, script="sleep 30"):
    cid, pid = create_running(rt, bundle, script=script)
    # wait until the program has been exec'd
    return cid, pid, proc_status(pid)


# --------------------------------------------------------------------------
# args / env / cwd
# --------------------------------------------------------------------------


def test_args_passed_verbatim(rt, bundle):
    bundle.set_args("sh", "-c", 'printf "%s|" "$0" "$@"', "zero", "a b", "",
                    "c*", "'q'", "$HOME")
    res = rt.run(unique_id(), bundle)
    assert res.rc == 0, res
    assert res.out == "zero|a b||c*|'q'|$HOME|"


def test_args_cmdline_from_host(rt, bundle):
    bundle.set_args("sleep", "30")
    cid = unique_id()
    rt.create(cid, bundle)
    rt.start(cid)
    pid = rt.pid(cid)
    from lib.procs import proc_cmdline
    from lib.waiting import wait_for
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec")


def test_env_exact(rt, bundle):
    bundle.process["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY=",
                             "WITH_EQ=a=b"]
    res = run_output(rt, bundle, "env")
    assert res.rc == 0, res
    env = dict(line.split("=", 1) for line in res.out.splitlines())
    assert env["PATH"] == "/bin"
    assert env["FOO"] == "bar baz"
    assert env["EMPTY"] == ""
    assert env["WITH_EQ"] == "a=b"


def test_env_from_host_not_leaked(rt, bundle):
    bundle.process["env"] = ["PATH=/bin", "ONLY=this"]
    bundle.set_args("sleep", "30")
    cid = unique_id()
    hostenv = dict(os.environ, LEAK_CHECK_VARIABLE="leaked")
    rt.create(cid, bundle, env=hostenv)
    rt.start(cid)
    pid = rt.pid(cid)
    from lib.procs import proc_cmdline
    from lib.waiting import wait_for
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec")
    env = proc_environ(pid)
    assert "ONLY=this" in env and "PATH=/bin" in env
    assert not any(e.startswith("LEAK_CHECK_VARIABLE=") for e in env), env
    assert not any(e.startswith("_LIBCONTAINER") for e in env), env
    # only what was configured plus, at most, HOME
    extra = {e.split("=", 1)[0] for e in env} - {"PATH", "ONLY"}
    assert extra <= {"HOME"}, env


def test_home_set_from_passwd(rt, bundle):
    bundle.process["env"] = ["PATH=/bin"]
    res = run_output(rt, bundle, 'echo "$HOME"')
    assert res.rc == 0, res
    assert res.out.strip() == "/root"


def test_home_from_env_wins(rt, bundle):
    bundle.process["env"] = ["PATH=/bin", "HOME=/custom"]
    res = run_output(rt, bundle, 'echo "$HOME"')
    assert res.out.strip() == "/custom"


def test_args0_resolved_with_container_path(rt, bundle):
    (bundle.rootfs / "opt/tools").mkdir(parents=True)
    prog = bundle.rootfs / "opt/tools/hello"
    prog.write_text("#!/bin/sh\necho hello-from-path\n")
    prog.chmod(0o755)
    bundle.process["env"] = ["PATH=/opt/tools:/bin"]
    bundle.set_args("hello")
    res = rt.run(unique_id(), bundle)
    assert res.rc == 0, res
    assert res.out == "hello-from-path\n"


def test_cwd(rt, bundle):
    (bundle.rootfs / "work").mkdir()
    prog = bundle.rootfs / "work" / "prog"
    prog.write_text("#!/bin/sh\npwd\necho relative-ok\n")
    prog.chmod(0o755)
    bundle.process["cwd"] = "/work"
    bundle.set_args("./prog")
    res = rt.run(unique_id(), bundle)
    assert res.rc == 0, res
    assert res.out.split() == ["/work", "relative-ok"]


def test_cwd_from_host(rt, bundle):
    (bundle.rootfs / "srv/app").mkdir(parents=True)
    bundle.process["cwd"] = "/srv/app"
    cid, pid = create_running(rt, bundle)
    assert os.readlink(f"/proc/{pid}/cwd") == "/srv/app"


def test_missing_cwd_is_created(rt, bundle):
    # runc creates a missing (absolute) cwd inside the rootfs
    bundle.process["cwd"] = "/does/not/exist"
    res = run_output(rt, bundle, "pwd")
    assert res.rc == 0, res
    assert res.out.strip() == "/does/not/exist"
    assert (bundle.rootfs / "does/not/exist").is_dir()


# --------------------------------------------------------------------------
# user
# --------------------------------------------------------------------------


def test_user_uid_gid_groups(rt, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1001,
                              "additionalGids": [10, 20, 30]}
    cid, pid, st = running_status(rt, bundle)
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1001"] * 4
    assert sorted(int(g) for g in st["Groups"].split()) == [10, 20, 30]


def test_user_no_additional_groups(rt, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    cid, pid, st = running_status(rt, bundle)
    assert st["Uid"].split() == ["1000"] * 4
    # supplementary groups of the runtime's caller are dropped
    assert [int(g) for g in st["Groups"].split()] in ([], [1000])


def caller_with_groups(*gids):
    """A prefix that runs the runtime with the supplementary groups GIDS."""
    return ["setpriv", "--groups", ",".join(str(g) for g in gids), "--"]


def groups_of(pid):
    return sorted(int(g) for g in proc_status(pid)["Groups"].split())


# runc ignores the annotation: this runs on ocirt only (runc_diff).
@runc_diff("runc ignores run.oci.keep_original_groups (crun honours it)")
@pytest.mark.parametrize("value", ["1", "true"])
def test_keep_original_groups_annotation(rt, bundle, env, value):
    """podman --group-add keep-groups: the process keeps the groups of the
    runtime's caller instead of additionalGids, as with crun; exec too."""
    bundle.config["annotations"] = {"run.oci.keep_original_groups": value}
    bundle.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [20]}
    res = run_output(rt, bundle, "grep ^Groups: /proc/self/status")
    assert res.rc == 0, res
    assert sorted(int(g) for g in res.out.split()[1:]) == sorted(os.getgroups()), res
    cid = unique_id()
    rt.create(cid, bundle.sh("sleep 30"), prefix=caller_with_groups(1234, 5678))
    rt.start(cid)
    assert groups_of(rt.pid(cid)) == [1234, 5678]
    pidfile = env.base / "exec.pid"
    rt("exec", "--detach", "--pid-file", pidfile, cid, "sleep", "31",
       prefix=caller_with_groups(4321), check=True)
    assert groups_of(int(pidfile.read_text())) == [4321]


def test_keep_original_groups_zero_is_off(rt, ref, bundle):
    """"0" keeps the config's groups (crun reads it so); runc ignores the
    annotation whatever its value."""
    bundle.config["annotations"] = {"run.oci.keep_original_groups": "0"}
    bundle.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [20]}
    bundle.sh("sleep 30")
    for r in (rt, ref) if ref else (rt,):
        cid = unique_id()
        r.create(cid, bundle, prefix=caller_with_groups(1234))
        assert groups_of(r.pid(cid)) == [20], r.name


def test_user_inside(rt, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1000,
                              "additionalGids": [5]}
    res = run_output(rt, bundle, "id -u; id -g; id -G")
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[0] == "1000" and lines[1] == "1000"
    assert "5" in lines[2].split()


def test_umask(rt, bundle):
    bundle.process["user"]["umask"] = 0o077
    res = run_output(rt, bundle, "umask; touch /tmp/f; stat -c %a /tmp/f")
    assert res.rc == 0, res
    assert res.out.split() == ["0077", "600"]


def test_default_umask(rt, bundle):
    res = run_output(rt, bundle, "umask")
    assert res.out.strip() == "0022"


# --------------------------------------------------------------------------
# rlimits, oom score, hostname, sysctl
# --------------------------------------------------------------------------


def test_rlimits_from_host(rt, bundle):
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 2048},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
    ]
    cid, pid, st = running_status(rt, bundle)
    lim = proc_limits(pid)
    assert lim["Max open files"] == ("512", "2048")
    assert lim["Max core file size"] == ("0", "4096")
    assert lim["Max processes"] == ("300", "400")


def test_rlimit_default_nofile(rt, bundle):
    cid, pid = created(rt, bundle.sh("sleep 30"))
    assert proc_limits(pid)["Max open files"] == ("1024", "1024")


def test_rlimits_inside(rt, bundle):
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]
    res = run_output(rt, bundle, "ulimit -n; ulimit -Hn")
    assert res.out.split() == ["100", "200"], res


def test_oom_score_adj(rt, bundle):
    bundle.process["oomScoreAdj"] = 500
    cid, pid = created(rt, bundle.sh("sleep 30"))
    assert open(f"/proc/{pid}/oom_score_adj").read().strip() == "500"
    rt.start(cid)
    rt.wait_status(cid, "running")
    assert open(f"/proc/{pid}/oom_score_adj").read().strip() == "500"


def test_oom_score_adj_inside(rt, bundle):
    # (a negative value would need CAP_SYS_RESOURCE, which the bounding set
    # of the test machine may lack)
    bundle.process["oomScoreAdj"] = 123
    res = run_output(rt, bundle, "cat /proc/self/oom_score_adj")
    assert res.out.strip() == "123", res


def test_hostname(rt, bundle):
    bundle.config["hostname"] = "box-one"
    res = run_output(rt, bundle, "hostname; cat /proc/sys/kernel/hostname")
    assert res.rc == 0, res
    assert res.out.split() == ["box-one", "box-one"]
    # the host is untouched
    assert os.uname().nodename != "box-one"


@runc_diff("runc 1.1 ignores the domainname field")
def test_domainname(rt, bundle):
    bundle.config["hostname"] = "box-one"
    bundle.config["domainname"] = "example.test"
    res = run_output(rt, bundle,
                     "hostname; cat /proc/sys/kernel/domainname")
    assert res.rc == 0, res
    assert res.out.split() == ["box-one", "example.test"]


def test_sysctl(rt, bundle):
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1",
                              "kernel.shmmni": "1234"}
    res = run_output(rt, bundle, "cat /proc/sys/net/ipv4/ip_forward "
                                 "/proc/sys/kernel/shmmni")
    assert res.rc == 0, res
    assert res.out.split() == ["1", "1234"]
    # set in the container's namespaces only
    assert open("/proc/sys/kernel/shmmni").read().strip() != "1234"


# --------------------------------------------------------------------------
# capabilities and privileges
# --------------------------------------------------------------------------


def _caps(st, field):
    return int(st[field], 16)


def test_default_capabilities(rt, bundle):
    cid, pid, st = running_status(rt, bundle)
    from lib.bundle import DEFAULT_CAPS
    want = capmask(DEFAULT_CAPS)
    assert _caps(st, "CapEff") == want
    assert _caps(st, "CapPrm") == want
    assert _caps(st, "CapBnd") == want


def test_configured_capabilities(rt, bundle):
    bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"]
    effective = ["CAP_CHOWN", "CAP_NET_RAW"]
    bundle.process["capabilities"] = {
        "bounding": bounding,
        "effective": effective,
        "permitted": effective,
    }
    cid, pid, st = running_status(rt, bundle)
    assert _caps(st, "CapBnd") == capmask(bounding)
    assert _caps(st, "CapEff") == capmask(effective)
    assert _caps(st, "CapPrm") == capmask(effective)
    assert _caps(st, "CapAmb") == 0


def test_ambient_capabilities(rt, bundle):
    caps = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.process["capabilities"] = {
        "bounding": caps, "effective": caps, "permitted": caps,
        "inheritable": caps, "ambient": caps,
    }
    cid, pid, st = running_status(rt, bundle)
    assert _caps(st, "CapAmb") == capmask(caps)
    assert _caps(st, "CapInh") == capmask(caps)
    # ambient caps survive the exec by a non-root user
    assert _caps(st, "CapEff") == capmask(caps)


def test_no_capabilities(rt, bundle):
    bundle.process["capabilities"] = {}
    cid, pid, st = running_status(rt, bundle)
    assert _caps(st, "CapEff") == 0
    assert _caps(st, "CapBnd") == 0


def test_capabilities_enforced_inside(rt, bundle):
    bundle.process["capabilities"] = {"bounding": ["CAP_KILL"],
                                      "effective": ["CAP_KILL"],
                                      "permitted": ["CAP_KILL"]}
    res = run_output(rt, bundle, "touch /tmp/f; chown 1000 /tmp/f && "
                                 "echo chowned; echo end")
    assert res.out.split() == ["end"], res


def test_non_root_user_keeps_configured_caps(rt, bundle):
    caps = ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.process["capabilities"] = {"bounding": caps, "effective": caps,
                                      "permitted": caps}
    cid, pid, st = running_status(rt, bundle)
    assert st["Uid"].split()[0] == "1000"
    assert _caps(st, "CapBnd") == capmask(caps)


@pytest.mark.parametrize("nnp,want", [(True, "1"), (False, "0")])
def test_no_new_privileges(rt, bundle, nnp, want):
    bundle.process["noNewPrivileges"] = nnp
    cid, pid, st = running_status(rt, bundle)
    assert st["NoNewPrivs"] == want


def test_unknown_capability_like_reference(rt, ref, bundle, env):
    # runc 1.1 warns about (and ignores) capabilities it does not know
    def attempt(runtime, b):
        b.process["capabilities"]["bounding"].append("CAP_NOT_A_THING")
        cid = unique_id()
        res = runtime.create(cid, b.sh("sleep 30"), check=False)
        if res.rc == 0:
            runtime.start(cid)
            runtime.wait_status(cid, "running")
            st = proc_status(runtime.pid(cid))
            from lib.bundle import DEFAULT_CAPS
            assert _caps(st, "CapBnd") == capmask(DEFAULT_CAPS)
            assert res.err_lines, "no warning about the unknown capability"
        else:
            assert res.err_lines
        return res.rc == 0
    ok = attempt(rt, bundle)
    if ref is not None:
        assert ok == attempt(ref, env.bundle())


# --------------------------------------------------------------------------
# file descriptors
# --------------------------------------------------------------------------


def _fds_of(pid):
    return sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))


def test_only_stdio_fds_inside(rt, bundle):
    res = run_output(rt, bundle, "ls /proc/self/fd")
    assert res.rc == 0, res
    fds = sorted(int(x) for x in res.out.split())
    # 0 1 2 and the directory ls itself opened
    assert fds[:3] == [0, 1, 2]
    assert len(fds) == 4, fds


def test_only_stdio_fds_from_host(rt, bundle, env):
    # the runtime itself is started with an extra fd 3 and fd 5: neither
    # may reach the container
    f = env.base / "secret"
    f.write_text("secret\n")
    bundle.set_args("sleep", "30")
    cid = unique_id()
    rt.create(cid, bundle, prefix=with_fds(fd3=f, fd5=f))
    rt.start(cid)
    pid = rt.pid(cid)
    from lib.procs import proc_cmdline
    from lib.waiting import wait_for
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec")
    assert _fds_of(pid) == [0, 1, 2]


def test_only_stdio_fds_while_created(rt, bundle):
    # in the created state the init may hold its own fds, but after start
    # the program has exactly stdio
    cid, pid = create_running(rt, bundle)
    from lib.procs import proc_cmdline
    from lib.waiting import wait_for
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec")
    assert _fds_of(pid) == [0, 1, 2]


def test_preserve_fds_run(rt, bundle, env):
    f = env.base / "passed"
    f.write_text("through-fd-3\n")
    bundle.sh("cat <&3; ls /proc/self/fd | wc -l")
    res = rt.run(unique_id(), bundle, "--preserve-fds", "1",
                 prefix=with_fds(fd3=f))
    assert res.rc == 0, res
    lines = res.out.split()
    assert lines[0] == "through-fd-3"
    # 0 1 2 3 and the fd of ls
    assert lines[1] == "5"


def test_preserve_fds_create_start(rt, bundle, env, host_dir):
    f = env.base / "passed"
    f.write_text("via-create\n")
    bundle.bind(host_dir, "/out")
    bundle.sh("cat <&3 > /out/got; sleep 30")
    cid = unique_id()
    rt.create(cid, bundle, "--preserve-fds", "1", prefix=with_fds(fd3=f))
    rt.start(cid)
    assert wait_file(host_dir / "got") == "via-create\n"


def test_preserve_fds_two(rt, bundle, env):
    a, b = env.base / "a", env.base / "b"
    a.write_text("A\n")
    b.write_text("B\n")
    bundle.sh("cat <&3; cat <&4")
    res = rt.run(unique_id(), bundle, "--preserve-fds=2",
                 prefix=with_fds(fd3=a, fd4=b))
    assert res.rc == 0, res
    assert res.out.split() == ["A", "B"]


def test_preserve_fds_zero_passes_nothing(rt, bundle, env):
    f = env.base / "passed"
    f.write_text("x\n")
    bundle.sh("cat <&3 && echo leaked; echo done")
    res = rt.run(unique_id(), bundle, "--preserve-fds", "0",
                 prefix=with_fds(fd3=f))
    assert "leaked" not in res.out
    assert "done" in res.out


def test_stdin_is_passed(rt, bundle, env):
    f = env.base / "input"
    f.write_text("from-stdin\n")
    bundle.sh("cat")
    with open(f, "rb") as stdin:
        res = rt.run(unique_id(), bundle, stdin=stdin)
    assert res.rc == 0, res
    assert res.out == "from-stdin\n"


def test_listen_fds_are_passed_with_socket_activation(rt, bundle, env):
    f3, f4 = env.base / "fd3", env.base / "fd4"
    f3.write_text("three\n")
    f4.write_text("four\n")
    bundle.sh('echo "$LISTEN_FDS $LISTEN_PID"; cat /proc/self/fd/3 /proc/self/fd/4; '
              'ls /proc/self/fd')
    bundle.write()
    envv = dict(os.environ, LISTEN_FDS="2", LISTEN_PID=str(os.getpid()))
    res = rt("run", "--bundle", bundle, unique_id(), prefix=with_fds(fd3=f3, fd4=f4), env=envv)
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[0] == "2 1"
    assert lines[1:3] == ["three", "four"]
    # 0-4 and the directory ls opened: nothing else of the runtime's
    fds = " ".join(lines[3:]).split()
    assert sorted(fds, key=int) == ["0", "1", "2", "3", "4", "5"], lines


# A caller that ignores SIGPIPE (Python does), SIGCHLD and SIGUSR2 and
# blocks SIGUSR1 while it runs the runtime.
SIGNAL_CALLER = [sys.executable, "-c",
                 "import ctypes, os, signal, sys\n"
                 "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})\n"
                 "for s in (signal.SIGPIPE, signal.SIGCHLD, signal.SIGUSR2):\n"
                 "    signal.signal(s, signal.SIG_IGN)\n"
                 "# rt_sigaction(32, {SIG_IGN}): glibc's sigaction refuses it\n"
                 "import platform\n"
                 "nr = {'x86_64': 13, 'aarch64': 134}[platform.machine()]\n"
                 "ign = (ctypes.c_ulong * 4)(1, 0, 0, 0)\n"
                 "assert ctypes.CDLL(None).syscall(nr, 32, ign, None, 8) == 0\n"
                 "os.execvp(sys.argv[1], sys.argv[1:])\n"]


def signal_sets(text):
    """SigIgn and SigBlk of a /proc/PID/status text, as sets of numbers."""
    out = {}
    for line in text.splitlines():
        key, _, val = line.partition(":")
        if key in ("SigIgn", "SigBlk"):
            bits = int(val.strip(), 16)
            out[key] = {n + 1 for n in range(64) if bits >> n & 1}
    return out


def test_container_does_not_inherit_ignored_signals(rt, ref, bundle):
    """An ignored signal survives execve: the container's program, a hook
    and an exec'd process start with every signal at its default action,
    whatever the caller ignored (here also glibc's own signal 32, which
    glibc's sigaction cannot reset); the caller's blocked signals stay
    blocked, as with runc."""
    # a hook's stdout is the runtime's stderr; no shell, which would change
    # what it got
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/cat",
                                                 "args": ["cat", "/proc/self/status"]}]}
    bundle.set_args("cat", "/proc/self/status")
    want = {"SigIgn": set(), "SigBlk": {signal.SIGUSR1}}
    res = rt.run(unique_id(), bundle, prefix=SIGNAL_CALLER)
    assert res.rc == 0, res
    assert signal_sets(res.out) == want, res.out
    assert signal_sets(res.err) == want, res.err
    cid, _ = create_running(rt, bundle, script="sleep 30")
    res = rt("exec", cid, "cat", "/proc/self/status", prefix=SIGNAL_CALLER)
    assert res.rc == 0, res
    assert signal_sets(res.out) == want, res.out
    if ref is not None:
        # runc: the same for what the caller set (it leaves the signals
        # glibc keeps for itself as it found them)
        bundle.config["hooks"] = {}
        bundle.set_args("cat", "/proc/self/status")
        res = ref.run(unique_id("r"), bundle, prefix=SIGNAL_CALLER)
        got = signal_sets(res.out)
        assert got["SigBlk"] == want["SigBlk"], res.out
        assert not got["SigIgn"] & {signal.SIGPIPE, signal.SIGCHLD, signal.SIGUSR2}, res.out


def test_stdio_pipes_belong_to_the_process_user_as_with_runc(rt, ref, env):
    """A process that is not root reopens the caller's stdio pipes."""
    for runtime in (rt, ref) if ref is not None else (rt,):
        b = env.bundle()
        b.process["user"] = {"uid": 1000, "gid": 1000}
        b.sh("echo out > /proc/self/fd/1; echo err > /dev/stderr")
        # the runtime's stdout and stderr are pipes of a host shell
        res = runtime.run(unique_id(), b, prefix=["sh", "-c", '"$@" 2>&1 | cat', "sh"])
        assert res.rc == 0, res
        assert sorted(res.out.split()) == ["err", "out"], res


def test_hostname_sysctl_is_refused(rt, ref, env):
    """As runc and crun: the hostname is set by "hostname" only."""
    for r in [rt] + ([ref] if ref else []):
        b = env.bundle()
        b.linux["sysctl"] = {"kernel.hostname": "from-sysctl"}
        snap = HostSnapshot(r)
        cid = unique_id()
        res = r.run(cid, b.sh("hostname"))
        assert res.rc != 0, (r.name, res)
        assert "kernel.hostname" in res.err, (r.name, res)
        snap.assert_clean(ids=[cid])


def test_domainname_sysctl_without_the_field(rt, ref, env):
    for r in [rt] + ([ref] if ref else []):
        b = env.bundle()
        b.linux["sysctl"] = {"kernel.domainname": "from-sysctl"}
        res = run_output(r, b, "cat /proc/sys/kernel/domainname")
        assert res.rc == 0, (r.name, res)
        assert res.out.strip() == "from-sysctl", (r.name, res)


def test_domainname_sysctl_equal_to_the_field(rt, bundle):
    bundle.config["domainname"] = "example.test"
    bundle.linux["sysctl"] = {"kernel.domainname": "example.test"}
    res = run_output(rt, bundle, "cat /proc/sys/kernel/domainname")
    assert res.rc == 0 and res.out.strip() == "example.test", res


@runc_diff("runc 1.1 lets the sysctl override the domainname field")
def test_domainname_sysctl_conflicting_with_the_field(rt, bundle):
    """As crun: a kernel.domainname sysctl that says otherwise than
    "domainname" is an error, not a silent override."""
    bundle.config["domainname"] = "example.test"
    bundle.linux["sysctl"] = {"kernel.domainname": "other.test"}
    res = run_output(rt, bundle, "cat /proc/sys/kernel/domainname")
    assert res.rc != 0, res
    assert "kernel.domainname" in assert_single_line_error(res), res
