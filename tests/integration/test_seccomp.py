"""linux.seccomp: actions, errno values, argument filters, flags, the
notification listener, a podman-like profile, and when the filter is
installed (as late as possible, so that the runtime's own setup is not
filtered)."""

import ctypes
import ctypes.util
import errno
import json
import os
import signal
import subprocess

import pytest

from lib.host import HostSnapshot
from lib.hostproc import proc_status
from lib.seccomp_agent import Agent
from lib.runtime import assert_single_line_error, OCIRT, runc_diff, unique_id
from lib.waiting import wait_file, wait_for
from lib.kernel import seccomp_flags_unsupported

ARCHS = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
MKDIR = ["mkdir", "mkdirat"]
SIGSYS = 31
PER_LINUX32 = 8
CLONE_NEWUTS = 0x04000000


def _built_with_seccomp():
    try:
        out = subprocess.run([OCIRT, "features"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=20).stdout
        return bool(json.loads(out)["linux"]["seccomp"].get("enabled"))
    except (OSError, ValueError, KeyError, subprocess.SubprocessError):
        return True


WITH_SECCOMP = _built_with_seccomp()


@pytest.fixture(autouse=True)
def _needs_seccomp(request):
    if request.function.__name__ == "test_build_without_seccomp":
        if WITH_SECCOMP:
            pytest.skip("this build has seccomp support")
    elif not WITH_SECCOMP:
        pytest.skip("this build has no seccomp support")


def set_seccomp(bundle, default="SCMP_ACT_ALLOW", syscalls=(), **extra):
    profile = {"defaultAction": default, "architectures": list(ARCHS),
               "syscalls": list(syscalls)}
    profile.update(extra)
    bundle.linux["seccomp"] = profile
    return profile


def rule(names, action, errno_ret=None, args=None):
    r = {"names": list(names), "action": action}
    if errno_ret is not None:
        r["errnoRet"] = errno_ret
    if args is not None:
        r["args"] = list(args)
    return r


def arg(index, value, op, value_two=None):
    a = {"index": index, "value": value, "op": op}
    if value_two is not None:
        a["valueTwo"] = value_two
    return a


def run_sh(rt, bundle, script, *extra, **kw):
    bundle.sh(script)
    return rt.run(unique_id(), bundle, *extra, **kw)


def no_new_privs_off(bundle):
    """podman's default: no no_new_privs, and no CAP_SYS_ADMIN either."""
    bundle.process["noNewPrivileges"] = False
    caps = bundle.process["capabilities"]
    for k in caps:
        assert "CAP_SYS_ADMIN" not in caps[k]


# --------------------------------------------------------------------------
# podman-like default profile
# --------------------------------------------------------------------------

PODMAN_ALLOW = """
_llseek _newselect accept accept4 access adjtimex alarm arch_prctl bind brk
cachestat capget capset chdir chmod chown chown32 clock_adjtime
clock_adjtime64 clock_getres clock_getres_time64 clock_gettime
clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range
connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1
epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old
eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2
fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat
fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs
fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64
futex_wait futex_waitv futex_wake futimesat get_mempolicy get_robust_list
get_thread_area getcpu getcwd getdents getdents64 getegid getegid32 geteuid
geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername
getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32
getresuid getresuid32 getrlimit getrusage getsid getsockname getsockopt
gettid gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch
inotify_init inotify_init1 inotify_rm_watch io_cancel io_destroy
io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit
io_uring_enter io_uring_register io_uring_setup ioctl ioprio_get ioprio_set
ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
lchown lchown32 lgetxattr link linkat listen listmount listxattr
listxattrat llistxattr lremovexattr lseek lsetxattr lsm_get_self_attr
lsm_list_modules lsm_set_self_attr lstat lstat64 madvise map_shadow_stack
mbind membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod
mknodat mlock mlock2 mlockall mmap mmap2 modify_ldt mprotect mq_getsetattr
mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget msgrcv msgsnd
msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat open
openat openat2 pause pidfd_getfd pidfd_open pidfd_send_signal pipe pipe2
pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64
preadv preadv2 prlimit64 process_mrelease process_vm_readv
process_vm_writev pselect6 pselect6_time64 ptrace pwrite64 pwritev pwritev2
read readahead readlink readlinkat readv recv recvfrom recvmmsg
recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename
renameat renameat2 restart_syscall riscv_flush_icache rmdir rseq
rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
sched_get_priority_max sched_get_priority_min sched_getaffinity
sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval
sched_rr_get_interval_time64 sched_setaffinity sched_setattr
sched_setparam sched_setscheduler sched_yield seccomp select semctl semget
semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg
sendmsg sendto set_mempolicy set_mempolicy_home_node set_robust_list
set_thread_area set_tid_address setdomainname setfsgid setfsgid32 setfsuid
setfsuid32 setgid setgid32 setgroups setgroups32 sethostname setitimer
setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid
setresuid32 setreuid setreuid32 setrlimit setsid setsockopt setuid setuid32
setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd
signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64
statfs statfs64 statmount statx symlink symlinkat sync sync_file_range
syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun
timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create
timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times
tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat uretprobe
utime utimensat utimensat_time64 utimes vfork wait4 waitid waitpid write
writev
""".split()

PODMAN_EPERM = """
bdflush kexec_file_load kexec_load migrate_pages move_pages nfsservctl nice
oldfstat oldlstat oldolduname oldstat olduname pciconfig_iobase
pciconfig_read pciconfig_write sgetmask ssetmask swapcontext swapoff swapon
sysfs uselib userfaultfd ustat vm86 vm86old vmsplice
""".split()

# what podman masks out of clone(2) without CAP_SYS_ADMIN: every CLONE_NEW*
CLONE_NS_MASK = 2114060288
AF_VSOCK = 40


def podman_profile():
    syscalls = [rule(PODMAN_ALLOW, "SCMP_ACT_ALLOW")]
    for v in (0, 8, 131072, 131080, 4294967295):
        syscalls.append(rule(["personality"], "SCMP_ACT_ALLOW",
                             args=[arg(0, v, "SCMP_CMP_EQ")]))
    syscalls += [
        rule(["clone"], "SCMP_ACT_ALLOW",
             args=[arg(0, CLONE_NS_MASK, "SCMP_CMP_MASKED_EQ", 0)]),
        # the same as the default action: dropped, not an error
        rule(["clone3"], "SCMP_ACT_ERRNO", errno_ret=errno.ENOSYS),
        rule(["socket"], "SCMP_ACT_ALLOW",
             args=[arg(0, AF_VSOCK, "SCMP_CMP_NE")]),
        rule(["socket"], "SCMP_ACT_ERRNO", errno_ret=errno.EPERM,
             args=[arg(0, AF_VSOCK, "SCMP_CMP_EQ")]),
        rule(PODMAN_EPERM, "SCMP_ACT_ERRNO", errno_ret=errno.EPERM),
    ]
    return {"defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": errno.ENOSYS,
            "architectures": list(ARCHS),
            "syscalls": syscalls}


def libseccomp_unknown(names):
    """The names the host's libseccomp does not know."""
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or
                      "libseccomp.so.2")
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    return [n for n in names
            if lib.seccomp_syscall_resolve_name(n.encode()) == -1]


def test_podman_profile_runs_a_shell(rt, bundle):
    assert len(PODMAN_ALLOW) >= 300
    # the profile names syscalls newer than this libseccomp: they are skipped
    assert libseccomp_unknown(PODMAN_ALLOW)
    bundle.linux["seccomp"] = podman_profile()
    res = run_sh(rt, bundle,
                 "mkdir /tmp/d && echo hi > /tmp/d/f && cat /tmp/d/f && "
                 "ls /tmp/d | wc -l && (sleep 0; echo sub) && "
                 "linux32 uname -m && echo done")
    assert res.rc == 0, res
    assert res.out.split() == ["hi", "1", "sub", "i686", "done"], res


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_podman_profile_blocks(rt, bundle, nnp):
    if not nnp:
        no_new_privs_off(bundle)
    bundle.linux["seccomp"] = podman_profile()
    res = run_sh(rt, bundle,
                 "mount -t tmpfs t /mnt 2>&1; "          # not allowed: ENOSYS
                 "swapoff /x 2>&1; "                     # EPERM rule
                 "unshare -u true 2>&1; "                # clone/unshare
                 "nc -l -p 1 -s 127.0.0.1 -w 1 </dev/null 2>&1 & "
                 "sleep 0.1; kill $! 2>/dev/null; echo end")
    assert res.rc == 0, res
    out = res.out
    assert "mount" in out and "Function not implemented" in out, res
    assert "Operation not permitted" in out, res
    assert out.rstrip().endswith("end"), res


# --------------------------------------------------------------------------
# actions and errno values
# --------------------------------------------------------------------------


def test_errno_default_eperm(rt, bundle):
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO")])
    res = run_sh(rt, bundle, "mkdir /tmp/x 2>&1; echo rc=$?; "
                 "test -d /tmp/x || echo absent")
    assert res.rc == 0, res
    assert "Operation not permitted" in res.out, res
    assert "rc=1" in res.out and "absent" in res.out, res


def test_errno_ret(rt, bundle):
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO",
                                       errno_ret=errno.ENOSYS)])
    res = run_sh(rt, bundle, "mkdir /tmp/x 2>&1; echo rc=$?")
    assert res.rc == 0, res
    assert "Function not implemented" in res.out, res


def test_default_errno_ret(rt, bundle):
    # podman's allow list, with another errno for everything else
    profile = podman_profile()
    profile["defaultErrnoRet"] = errno.EXDEV
    bundle.linux["seccomp"] = profile
    res = run_sh(rt, bundle, "mount -t tmpfs t /mnt 2>&1; echo rc=$?")
    assert res.rc == 0, res
    assert "Invalid cross-device link" in res.out, res


def test_kill(rt, bundle):
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_KILL")])
    res = run_sh(rt, bundle, "exec mkdir /tmp/x")
    assert res.rc == 128 + SIGSYS, res
    assert not (bundle.rootfs / "tmp" / "x").exists()


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL_PROCESS",
                                    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP"])
def test_kill_process_thread_trap(rt, bundle, action):
    set_seccomp(bundle, syscalls=[rule(MKDIR, action)])
    res = run_sh(rt, bundle, "exec mkdir /tmp/x")
    assert res.rc == 128 + SIGSYS, res


def test_kill_seen_by_the_shell(rt, bundle):
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_KILL")])
    res = run_sh(rt, bundle, "mkdir /tmp/x; echo rc=$?")
    assert res.rc == 0, res
    assert f"rc={128 + SIGSYS}" in res.out, res


@pytest.mark.parametrize("action", ["SCMP_ACT_LOG", "SCMP_ACT_ALLOW"])
def test_log_and_allow_let_it_through(rt, bundle, action):
    set_seccomp(bundle, syscalls=[rule(MKDIR, action)])
    res = run_sh(rt, bundle, "mkdir /tmp/x && echo made")
    assert res.rc == 0 and "made" in res.out, res


def test_trace_without_tracer_is_enosys(rt, bundle):
    # no tracer attached: the kernel fails the syscall with ENOSYS
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_TRACE",
                                       errno_ret=7)])
    res = run_sh(rt, bundle, "mkdir /tmp/x 2>&1; echo rc=$?")
    assert res.rc == 0, res
    assert "Function not implemented" in res.out, res


def test_default_kill_with_allow_list(rt, bundle):
    profile = podman_profile()
    profile["defaultAction"] = "SCMP_ACT_KILL_PROCESS"
    del profile["defaultErrnoRet"]
    profile["syscalls"] = [s for s in profile["syscalls"]
                           if s["action"] == "SCMP_ACT_ALLOW"]
    bundle.linux["seccomp"] = profile
    res = run_sh(rt, bundle, "echo alive; exec mount -t tmpfs t /mnt")
    assert res.rc == 128 + SIGSYS, res
    assert "alive" in res.out, res


def test_rule_like_the_default_is_skipped(rt, bundle):
    set_seccomp(bundle, default="SCMP_ACT_ALLOW",
                syscalls=[rule(["getpid"], "SCMP_ACT_ALLOW"),
                          rule(MKDIR, "SCMP_ACT_ERRNO")])
    res = run_sh(rt, bundle, "mkdir /tmp/x 2>&1; echo rc=$?")
    assert res.rc == 0, res
    assert "Operation not permitted" in res.out, res


def test_unknown_syscall_is_skipped(rt, bundle):
    set_seccomp(bundle, syscalls=[rule(["no_such_syscall_ocirt"] + MKDIR,
                                       "SCMP_ACT_ERRNO")])
    bundle.sh("mkdir /tmp/x 2>&1; echo rc=$?")
    res = rt.run(unique_id(), bundle, global_args=("--debug",))
    assert res.rc == 0, res
    assert "Operation not permitted" in res.out, res
    assert any("no_such_syscall_ocirt" in ln for ln in res.err_lines), res


# --------------------------------------------------------------------------
# argument filters
# --------------------------------------------------------------------------


def test_arg_eq(rt, bundle):
    set_seccomp(bundle, syscalls=[
        rule(["personality"], "SCMP_ACT_ERRNO", errno_ret=errno.ENOSYS,
             args=[arg(0, PER_LINUX32, "SCMP_CMP_EQ")])])
    res = run_sh(rt, bundle, "linux64 echo ok64; linux32 echo ok32 2>&1; "
                 "echo rc=$?")
    assert res.rc == 0, res
    assert "ok64" in res.out and "ok32" not in res.out, res
    assert "Function not implemented" in res.out, res


def test_arg_masked_eq(rt, bundle):
    # unshare only refused (ENOSYS) when CLONE_NEWUTS is among the flags
    set_seccomp(bundle, syscalls=[
        rule(["unshare"], "SCMP_ACT_ERRNO", errno_ret=errno.ENOSYS,
             args=[arg(0, CLONE_NEWUTS, "SCMP_CMP_MASKED_EQ",
                       CLONE_NEWUTS)])])
    res = run_sh(rt, bundle, "unshare -u true 2>&1; unshare -i true 2>&1; "
                 "echo end")
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert "Function not implemented" in lines[0], res
    # no CAP_SYS_ADMIN: the kernel's own answer
    assert "Operation not permitted" in lines[1], res


@pytest.mark.parametrize("op,value,blocked,allowed", [
    ("SCMP_CMP_NE", 0, [PER_LINUX32], [0]),
    ("SCMP_CMP_GT", 0, [PER_LINUX32], [0]),
    ("SCMP_CMP_GE", PER_LINUX32, [PER_LINUX32], [0]),
    ("SCMP_CMP_LT", PER_LINUX32, [0], [PER_LINUX32]),
    ("SCMP_CMP_LE", 0, [0], [PER_LINUX32]),
])
def test_arg_comparisons(rt, bundle, op, value, blocked, allowed):
    set_seccomp(bundle, syscalls=[
        rule(["personality"], "SCMP_ACT_ERRNO", errno_ret=errno.ENOSYS,
             args=[arg(0, value, op)])])
    cmd = {0: "linux64", PER_LINUX32: "linux32"}
    script = "; ".join(f"{cmd[v]} echo ok{v} 2>/dev/null"
                       for v in blocked + allowed)
    res = run_sh(rt, bundle, script + "; true")
    assert res.rc == 0, res
    for v in blocked:
        assert f"ok{v}" not in res.out.split(), (op, res)
    for v in allowed:
        assert f"ok{v}" in res.out.split(), (op, res)


def test_same_index_twice_means_any(rt, bundle):
    # two comparisons on arg 0: either one matching blocks (one rule each)
    set_seccomp(bundle, syscalls=[
        rule(["personality"], "SCMP_ACT_ERRNO", errno_ret=errno.ENOSYS,
             args=[arg(0, PER_LINUX32, "SCMP_CMP_EQ"),
                   arg(0, 0, "SCMP_CMP_EQ")])])
    res = run_sh(rt, bundle, "linux32 echo a 2>/dev/null; "
                 "linux64 echo b 2>/dev/null; echo end")
    assert res.rc == 0, res
    assert res.out.split() == ["end"], res


def test_different_indexes_mean_all(rt, bundle):
    # kill(pid > 0, SIGUSR1) only: both comparisons must match
    set_seccomp(bundle, syscalls=[
        rule(["kill"], "SCMP_ACT_ERRNO", errno_ret=errno.ENOSYS,
             args=[arg(0, 0, "SCMP_CMP_GT"),
                   arg(1, signal.SIGUSR1, "SCMP_CMP_EQ")])])
    res = run_sh(rt, bundle,
                 "trap 'echo got-usr1' USR1; trap 'echo got-usr2' USR2; "
                 "kill -USR1 $$ 2>&1; kill -USR2 $$; kill -USR1 0; echo end")
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert "Function not implemented" in lines[0], res
    assert lines[1:] == ["got-usr2", "got-usr1", "end"], res


# --------------------------------------------------------------------------
# when the filter is installed
# --------------------------------------------------------------------------


def test_status_of_created_and_started(rt, bundle, cid):
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO")])
    bundle.sh("sleep 30")
    rt.create(cid, bundle)
    pid = rt.pid(cid)
    # still the runtime's code, waiting for start: not filtered yet
    assert proc_status(pid)["Seccomp"] == "0"
    rt.start(cid)
    rt.wait_status(cid, "running")

    def filtered():
        return proc_status(pid).get("Seccomp") == "2"
    wait_for(filtered, what="the filter")
    st = proc_status(pid)
    assert st["Seccomp_filters"] == "1"
    assert st["NoNewPrivs"] == "1"


def test_without_no_new_privs(rt, bundle, cid):
    # the kernel wants no_new_privs or CAP_SYS_ADMIN: the second is kept in
    # the effective set until exec, so the filter still waits for start
    no_new_privs_off(bundle)
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO",
                                       errno_ret=errno.ENOSYS)])
    bundle.sh("mkdir /tmp/x 2>/tmp/err; grep Cap /proc/self/status >/tmp/caps;"
              " sleep 30")
    rt.create(cid, bundle)
    pid = rt.pid(cid)
    assert proc_status(pid)["Seccomp"] == "0"
    rt.start(cid)
    err = wait_file(bundle.rootfs / "tmp" / "err")
    assert "Function not implemented" in err
    st = proc_status(pid)
    assert st["Seccomp"] == "2"
    # no_new_privs is not set behind the config's back, and what was kept
    # for the filter ends at exec
    assert st["NoNewPrivs"] == "0"
    caps = dict(ln.split(":\t") for ln in
                wait_file(bundle.rootfs / "tmp" / "caps").splitlines())
    want = sum(1 << n for n in (5, 10, 29))  # KILL NET_BIND_SERVICE AUDIT_WRITE
    assert int(caps["CapEff"], 16) == want, caps
    assert int(caps["CapPrm"], 16) == want, caps


def test_with_cap_sys_admin_loads_at_exec(rt, bundle, cid):
    bundle.process["noNewPrivileges"] = False
    for k in bundle.process["capabilities"]:
        bundle.process["capabilities"][k].append("CAP_SYS_ADMIN")
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO")])
    bundle.sh("sleep 30")
    rt.create(cid, bundle)
    pid = rt.pid(cid)
    assert proc_status(pid)["Seccomp"] == "0"
    rt.start(cid)
    wait_for(lambda: proc_status(pid).get("Seccomp") == "2",
             what="the filter")
    assert proc_status(pid)["NoNewPrivs"] == "0"


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_runtime_setup_is_not_filtered(rt, bundle, nnp):
    # the runtime mounts, pivots and sets the hostname itself; the program
    # may not
    if not nnp:
        no_new_privs_off(bundle)
    set_seccomp(bundle, syscalls=[
        rule(["mount", "umount2", "pivot_root", "sethostname", "chroot",
              "setns", "unshare", "mount_setattr", "open_tree", "move_mount",
              "fsopen", "fsmount", "fsconfig"],
             "SCMP_ACT_ERRNO", errno_ret=errno.ENOSYS)])
    res = run_sh(rt, bundle, "hostname; hostname other 2>&1; "
                 "mount -t tmpfs t /mnt 2>&1; echo end")
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[0] == "ocirt", res
    assert "Function not implemented" in lines[1], res
    assert "Function not implemented" in lines[2], res
    assert lines[-1] == "end", res


#: what the runtime calls around the filter: a profile may deny any of
#: them, the container must still start (only execve follows the filter).
AROUND_FILTER = ["getcwd", "chdir", "fchdir", "capset", "capget", "setresuid",
                 "setresgid", "setgroups", "prctl", "openat", "write", "read",
                 "close", "close_range", "fcntl", "newfstatat", "faccessat2",
                 "sendmsg", "setsid"]
#: where runc 1.1 makes the call after loading the filter, and fails
RUNC_FAILS = {
    True: {"openat", "write", "close"},
    False: {"getcwd", "chdir", "capset", "capget", "setgroups", "prctl",
            "openat", "write", "read", "close", "newfstatat"},
}


def _denying_cases():
    for nnp in (True, False):
        for name in AROUND_FILTER:
            marks = [runc_diff(f"runc 1.1 calls {name} after the filter")] \
                if name in RUNC_FAILS[nnp] else []
            yield pytest.param(name, nnp, marks=marks,
                               id=f"{name}-{'nnp' if nnp else 'no-nnp'}")


@pytest.mark.parametrize("name,nnp", list(_denying_cases()))
def test_profile_denying_a_runtime_syscall_still_starts(rt, ref, env, name,
                                                        nnp):
    runtimes = [rt]
    if ref and name not in RUNC_FAILS[nnp]:
        runtimes.append(ref)
    for r in runtimes:
        b = env.bundle()
        if not nnp:
            no_new_privs_off(b)
        set_seccomp(b, syscalls=[rule([name], "SCMP_ACT_ERRNO")])
        b.sh("exit 7")
        res = r.run(unique_id(), b)
        assert res.rc == 7, (r.name, res)


@runc_diff("runc 1.1 loads the filter of exec before its chdir")
def test_exec_with_a_profile_denying_getcwd(rt, bundle, cid):
    no_new_privs_off(bundle)
    set_seccomp(bundle, syscalls=[rule(["getcwd"], "SCMP_ACT_ERRNO")])
    bundle.sh("sleep 30")
    rt.create(cid, bundle)
    rt.start(cid)
    res = rt("exec", cid, "sh", "-c", "exit 7")
    assert res.rc == 7, res


def test_exec_failure_blocked_execve(rt, bundle):
    set_seccomp(bundle, syscalls=[rule(["execve", "execveat"],
                                       "SCMP_ACT_ERRNO")])
    bundle.set_args("/bin/true")
    res = rt.run(unique_id(), bundle)
    assert res.rc != 0, res
    assert "Operation not permitted" in res.err, res


# --------------------------------------------------------------------------
# flags
# --------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["SECCOMP_FILTER_FLAG_LOG",
                                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                  "SECCOMP_FILTER_FLAG_TSYNC"])
def test_flags(rt, bundle, flag):
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO")],
                flags=[flag])
    res = run_sh(rt, bundle, "mkdir /tmp/x 2>&1; echo rc=$?")
    assert res.rc == 0, res
    assert "Operation not permitted" in res.out, res


def ssb_mode():
    try:
        with open("/sys/devices/system/cpu/vulnerabilities/"
                  "spec_store_bypass") as f:
            return f.read()
    except OSError:
        return ""


@pytest.mark.skipif("seccomp" not in ssb_mode(),
                    reason="the kernel does not mitigate SSB for seccomp")
def test_spec_allow_keeps_speculation_open(rt, env):
    got = {}
    for flags in ([], ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]):
        bundle = env.bundle()
        set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO")],
                    flags=flags)
        _, pid = started(rt, bundle, unique_id())
        got[bool(flags)] = proc_status(pid)["Speculation_Store_Bypass"]
    assert "mitigated" in got[False], got
    assert "mitigated" not in got[True], got


def started(rt, bundle, cid, script="sleep 30"):
    bundle.sh(script)
    rt.create(cid, bundle)
    pid = rt.pid(cid)
    rt.start(cid)
    rt.wait_status(cid, "running")
    wait_for(lambda: proc_status(pid).get("Seccomp") == "2",
             what="the filter")
    return cid, pid


# --------------------------------------------------------------------------
# bad profiles: one line, nothing left behind
# --------------------------------------------------------------------------

BAD = {
    "unknown-action": ({"syscalls": [rule(MKDIR, "SCMP_ACT_FOO")]},
                       ["SCMP_ACT_FOO", "syscalls[0]"]),
    "unknown-default": ({"defaultAction": "SCMP_ACT_NOPE"},
                        ["SCMP_ACT_NOPE", "defaultAction"]),
    "unknown-operator": ({"syscalls": [rule(MKDIR, "SCMP_ACT_ERRNO", args=[
        arg(0, 1, "SCMP_CMP_ALMOST")])]}, ["SCMP_CMP_ALMOST"]),
    "unknown-arch": ({"architectures": ["SCMP_ARCH_Z80"]},
                     ["SCMP_ARCH_Z80"]),
    "unknown-flag": ({"flags": ["SECCOMP_FILTER_FLAG_MAGIC"]},
                     ["SECCOMP_FILTER_FLAG_MAGIC"]),
    "errno-for-kill": ({"syscalls": [rule(MKDIR, "SCMP_ACT_KILL",
                                          errno_ret=1)]},
                       ["SCMP_ACT_KILL", "errno"]),
    "default-errno-for-allow": ({"defaultErrnoRet": 1},
                                ["SCMP_ACT_ALLOW", "errno"]),
    "arg-index": ({"syscalls": [rule(MKDIR, "SCMP_ACT_ERRNO", args=[
        arg(6, 1, "SCMP_CMP_EQ")])]}, ["index 6"]),
    "notify-default": ({"defaultAction": "SCMP_ACT_NOTIFY",
                        "listenerPath": "/nonexistent.sock"},
                       ["SCMP_ACT_NOTIFY"]),
    "notify-without-listener": (
        {"syscalls": [rule(MKDIR, "SCMP_ACT_NOTIFY")]}, ["listenerPath"]),
    "notify-on-sendmsg": (
        {"syscalls": [rule(["sendmsg"], "SCMP_ACT_NOTIFY")],
         "listenerPath": "/nonexistent.sock"}, ["sendmsg"]),
    "listener-unreachable": (
        {"syscalls": [rule(MKDIR, "SCMP_ACT_NOTIFY")],
         "listenerPath": "/nonexistent/agent.sock"},
        ["/nonexistent/agent.sock"]),
    "metadata-without-path": ({"listenerMetadata": "x"},
                              ["listenerMetadata"]),
}


@pytest.mark.parametrize("command", ["create", "run"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_profile(rt, bundle, command, case):
    extra, mentions = BAD[case]
    set_seccomp(bundle, **extra)
    bundle.sh("echo should-not-run")
    cid = unique_id()
    rt.ids.add(cid)
    bundle.write()
    snap = HostSnapshot(rt)
    res = rt(command, "--bundle", bundle.path, cid)
    assert_single_line_error(res, *mentions)
    assert "should-not-run" not in res.out
    snap.assert_clean(ids=[cid])
    assert rt.state_result(cid).rc != 0


def test_architectures_unknown_to_libseccomp_are_skipped(rt, bundle):
    # in the spec, but not in libseccomp 2.5: no kernel here could run them
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO")])
    bundle.linux["seccomp"]["architectures"] += [
        "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH",
        "SCMP_ARCH_SHEB", "SCMP_ARCH_AARCH64", "SCMP_ARCH_S390X"]
    res = run_sh(rt, bundle, "mkdir /tmp/x 2>&1; echo rc=$?")
    assert res.rc == 0, res
    assert "Operation not permitted" in res.out, res


def test_features(rt):
    res = rt("features", root=False)
    assert res.rc == 0, res
    sc = res.json()["linux"]["seccomp"]
    assert sc["enabled"] is True
    assert set(sc["actions"]) == {
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
        "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",
        "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}
    assert set(sc["operators"]) == {
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}
    assert set(ARCHS) <= set(sc["archs"])
    assert set(sc["supportedFlags"]) <= set(sc["knownFlags"])
    assert "SECCOMP_FILTER_FLAG_LOG" in sc["supportedFlags"]
    assert "SECCOMP_FILTER_FLAG_TSYNC" in sc["supportedFlags"]


# --------------------------------------------------------------------------
# SCMP_ACT_NOTIFY and the listener
# --------------------------------------------------------------------------

def notify_profile(bundle, agent_path, metadata=None, flags=()):
    p = set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_NOTIFY")],
                    listenerPath=str(agent_path))
    if metadata is not None:
        p["listenerMetadata"] = metadata
    if flags:
        p["flags"] = list(flags)
    return p


@pytest.mark.parametrize("flags", [(), ("SECCOMP_FILTER_FLAG_TSYNC",
                                        "SECCOMP_FILTER_FLAG_LOG"),
                                   ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",)],
                         ids=["plain", "tsync-log", "wait-killable"])
def test_notify_listener(rt, env, bundle, cid, flags):
    reason = seccomp_flags_unsupported(flags)
    if reason:
        pytest.skip(reason)
    path = env.base / "agent.sock"
    agent = Agent(path)
    agent.start()
    try:
        notify_profile(bundle, path, metadata="MKNOD=/dev/null;x=1",
                       flags=flags)
        bundle.config["annotations"] = {"org.example.key": "value"}
        bundle.sh("mkdir /tmp/x 2>/tmp/err; echo rc=$? >> /tmp/err; "
                  "sleep 30")
        rt.create(cid, bundle)
        pid = rt.pid(cid)
        rt.start(cid)
        err = wait_file(bundle.rootfs / "tmp" / "err")
        assert agent.problem is None, agent.problem
        assert agent.nfds == 1
        st = agent.state
        assert st["fds"] == ["seccompFd"]
        assert st["pid"] == pid, (st, pid)
        assert st["metadata"] == "MKNOD=/dev/null;x=1"
        assert st["ociVersion"]
        s = st["state"]
        assert s["id"] == cid
        assert s["pid"] == pid
        assert s["status"] == "running"
        assert s["bundle"] == str(bundle.path)
        assert s["annotations"] == {"org.example.key": "value"}
        # the agent's answer reached the program
        assert "Invalid cross-device link" in err, err
        assert agent.notified
        # the container does not keep the fd nor the connection
        fds = os.listdir(f"/proc/{pid}/fd")
        for fd in fds:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            assert "seccomp" not in target and "socket" not in target, \
                (fd, target)
    finally:
        agent.close()


def test_notify_without_nnp(rt, env, bundle, cid):
    # loaded at exec, as with no_new_privs, CAP_SYS_ADMIN kept until then:
    # the state says "running"
    path = env.base / "agent.sock"
    agent = Agent(path)
    agent.start()
    try:
        no_new_privs_off(bundle)
        notify_profile(bundle, path)
        bundle.sh("mkdir /tmp/x 2>/tmp/err; sleep 30")
        rt.create(cid, bundle)
        pid = rt.pid(cid)
        rt.start(cid)
        wait_for(lambda: agent.state is not None or agent.problem,
                 what="the state")
        assert agent.problem is None, agent.problem
        assert agent.state["state"]["status"] == "running"
        assert agent.state["pid"] == pid
        assert "metadata" not in agent.state
        err = wait_file(bundle.rootfs / "tmp" / "err")
        assert "Invalid cross-device link" in err, err
    finally:
        agent.close()


def test_notify_run(rt, env, bundle):
    path = env.base / "agent.sock"
    agent = Agent(path, error=errno.ENOSPC)
    agent.start()
    try:
        notify_profile(bundle, path)
        res = run_sh(rt, bundle, "mkdir /tmp/x 2>&1; echo rc=$?")
        assert res.rc == 0, res
        assert "No space left on device" in res.out, res
        assert agent.state["state"]["status"] == "running"
    finally:
        agent.close()


RUNC_NO_LISTENER = pytest.mark.xfail(
    strict=True, reason="runc 1.1.5 does not connect to listenerPath "
    "without an SCMP_ACT_NOTIFY rule: the listener waits on")


@pytest.mark.parametrize("which", ["ocirt", pytest.param("runc", marks=RUNC_NO_LISTENER)])
def test_listener_without_notify_rule_is_not_left_waiting(rt, ref, env, which):
    """A listenerPath with no SCMP_ACT_NOTIFY rule: as crun, the listener
    still gets its connection, the state and a seccomp notification fd
    (that never notifies), so that a caller waiting on it goes on."""
    r = rt if which == "ocirt" else ref
    if r is None:
        pytest.skip("no reference runtime")
    path = env.base / "agent.sock"
    agent = Agent(path)
    agent.start()
    try:
        b = env.bundle()
        set_seccomp(b, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO")],
                    listenerPath=str(path))
        res = run_sh(r, b, "mkdir /tmp/x 2>&1; echo rc=$?")
        assert res.rc == 0, res
        assert "Operation not permitted" in res.out, res
        # a listener still waiting ten seconds after the container ran
        # is one left hanging
        wait_for(lambda: agent.state is not None or agent.problem,
                 what="the listener's connection")
        assert agent.problem is None, agent.problem
        assert agent.nfds == 1
        assert agent.fd_kind == "anon_inode:seccomp notify", agent.fd_kind
        assert agent.state["fds"] == ["seccompFd"]
        assert agent.state["state"]["status"] == "running"
    finally:
        agent.close()


@pytest.mark.parametrize("command", ["create", "run"])
def test_build_without_seccomp(rt, bundle, command):
    set_seccomp(bundle, syscalls=[rule(MKDIR, "SCMP_ACT_ERRNO")])
    bundle.sh("echo should-not-run")
    cid = unique_id()
    rt.ids.add(cid)
    bundle.write()
    snap = HostSnapshot(rt)
    res = rt(command, "--bundle", bundle.path, cid)
    assert_single_line_error(
        res, "seccomp requested but this build has no seccomp support")
    snap.assert_clean(ids=[cid])


def _blocking_mkdir_profile(errno_ret):
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": errno_ret}],
    }


def test_compiled_filter_cache_is_used_and_checked(rt, bundle):
    """The second container with the same profile takes the cached program;
    a damaged cache entry is never trusted."""
    import pathlib
    bundle.linux["seccomp"] = _blocking_mkdir_profile(38)
    bundle.sh("mkdir /tmp/x")
    first = rt.run(unique_id(), bundle)
    assert first.rc != 0 and "Function not implemented" in first.err, first
    cache = pathlib.Path(rt.root) / ".seccomp-cache"
    entries = list(cache.iterdir())
    assert len(entries) == 1
    second = rt.run(unique_id(), bundle)
    assert second.rc != 0 and "Function not implemented" in second.err, second
    # a different profile gets its own entry, and its own errno
    bundle.linux["seccomp"] = _blocking_mkdir_profile(1)
    third = rt.run(unique_id(), bundle)
    assert "Operation not permitted" in third.err, third
    assert len(list(cache.iterdir())) == 2
    # damage every entry: the runtime must compile again, not load garbage
    for e in cache.iterdir():
        data = bytearray(e.read_bytes())
        data[-3] ^= 0xFF
        e.write_bytes(bytes(data[:-1]))
    fourth = rt.run(unique_id(), bundle)
    assert "Operation not permitted" in fourth.err, fourth
    # the list of containers does not show the cache
    assert rt("list", "-q").out.strip() == ""
