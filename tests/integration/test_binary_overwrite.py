"""The runtime's binary cannot be overwritten from a container
(CVE-2019-5736): a container with CAP_SYS_PTRACE that shares its pid
namespace with another container opens /proc/PID/exe of the runtime
process that enters that container (create's init before `start`, an
`exec` before it runs the command), waits until the process has become
the container's program, and reopens the handle through /proc/self/fd/N
for writing.  That must fail: the process ran from a read-only mount of
the binary (EROFS) or from a sealed memfd copy (EPERM on write), never
from the binary itself.

The attacks aim at a copy of the runtime under test, which every call
here runs, and each test checks that the copy is unchanged.  Each runs
twice: as the kernel allows, and with mount_setattr refused with ENOSYS
by a seccomp filter around the runtime, as on kernels before 5.12, so
that the sealed memfd fallback is exercised on every host.  The bundles
leave out readonlyPaths and the read-only /sys/fs/cgroup, which the
mount code makes read-only with mount_setattr too.  See
docs/security.md."""

import errno
import hashlib
import os
import shutil
import sys

import pytest

from lib.fixtures import checked_runtime
from lib.host import HostSnapshot
from lib.runtime import (assert_single_line_error, not_sanitized, OCIRT, REFERENCE_RUNTIME, runc_diff,
                         unique_id)
from lib.waiting import wait_file, wait_for
from test_rootless import ubundle, urt, user  # noqa: F401 (fixtures)

ATTACKER_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_SYS_PTRACE"]

# What a write through a handle on a protected binary gets.
REFUSED = {errno.EROFS, errno.ETXTBSY, errno.EACCES, errno.EPERM}

# Runs the rest of its command line under a seccomp filter that fails the
# named system calls with ENOSYS (libseccomp through ctypes; root needs no
# no_new_privs for it).
DENY = r"""
import ctypes, errno, os, sys
lib = ctypes.CDLL("libseccomp.so.2")
lib.seccomp_init.restype = ctypes.c_void_p
ctx = ctypes.c_void_p(lib.seccomp_init(ctypes.c_uint32(0x7fff0000)))  # allow
lib.seccomp_attr_set(ctx, 3, ctypes.c_uint32(0))  # SCMP_FLTATR_CTL_NNP off
names = sys.argv[1].split(",")
for n in names:
    nr = lib.seccomp_syscall_resolve_name(n.encode())
    if lib.seccomp_rule_add(ctx, ctypes.c_uint32(0x00050000 | errno.ENOSYS), nr, 0) != 0:
        sys.exit("seccomp_rule_add " + n)
if lib.seccomp_load(ctx) != 0:
    sys.exit("seccomp_load")
os.execv(sys.argv[2], sys.argv[2:])
"""


def deny(*syscalls):
    """A runtime ``prefix``: the runtime runs with SYSCALLS failing ENOSYS."""
    return [sys.executable, "-c", DENY, ",".join(syscalls)]


def kernel_has_mount_setattr():
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    return (major, minor) >= (5, 12)


def mode_of(name):
    """(prefix for the runtime's create/run/exec, expected kind of view)."""
    if name == "kernel":
        return (), "read-only mount" if kernel_has_mount_setattr() else "memfd"
    return deny("mount_setattr"), "memfd"


@pytest.fixture(params=["kernel", "no-mount-setattr"])
def mode(request):
    return mode_of(request.param)


def copy_of(binary, env):
    """A Runtime running a copy of BINARY, the one the attacks aim at."""
    d = env.base / "bin"
    d.mkdir()
    copy = d / os.path.basename(binary)
    shutil.copy2(binary, copy)
    os.chmod(copy, 0o755)
    yield from checked_runtime(str(copy), env)


@pytest.fixture
def victim(env):
    yield from copy_of(OCIRT, env)


# The attacks: on the runtime under test in both modes, and on the
# reference runtime, which resists them too (runc 1.1: a memfd copy).
@pytest.fixture(params=["kernel", "no-mount-setattr", "reference"])
def attacked(request, env):
    """(a Runtime on a copy of its binary, prefix for create/exec)."""
    if request.param == "reference":
        if not REFERENCE_RUNTIME or not os.access(REFERENCE_RUNTIME, os.X_OK):
            pytest.skip("no reference runtime")
        for r in copy_of(REFERENCE_RUNTIME, env):
            yield r, ()
        return
    for r in copy_of(OCIRT, env):
        yield r, mode_of(request.param)[0]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def exe_kind(pid):
    """How /proc/PID/exe is held: memfd, read-only mount, or the binary."""
    if os.readlink(f"/proc/{pid}/exe").startswith("/memfd:"):
        return "memfd"
    if os.statvfs(f"/proc/{pid}/exe").f_flag & os.ST_RDONLY:
        return "read-only mount"
    return "the binary itself"


def ns_pid(pid):
    """PID as seen in its innermost pid namespace."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError(f"no NSpid for {pid}")


def plain_bundle(env, host_dir, script, caps=None):
    """A bundle running SCRIPT with HOST_DIR at /x, without what the mount
    code makes read-only through mount_setattr."""
    b = env.bundle()
    b.sh(script)
    b.linux.pop("readonlyPaths", None)
    b.config["mounts"] = [m for m in b.config["mounts"]
                          if m["destination"] != "/sys/fs/cgroup"]
    if caps:
        for k in ("bounding", "effective", "permitted"):
            b.process["capabilities"][k] = list(caps)
        b.process["capabilities"]["ambient"] = []
    return b.bind(host_dir, "/x")


# The attacker: opens /proc/PID/exe of the process the host names, says
# so, and after the go reopens that handle for writing and appends.
ATTACK = """
while [ ! -s /x/pid ]; do sleep 0.05; done
pid=$(cat /x/pid)
{
  echo opened > /x/opened
  while [ ! -e /x/go ]; do sleep 0.05; done
  if { echo MARK >> /proc/self/fd/3; } 2> /x/write.err
  then echo written > /x/result
  else echo refused > /x/result
  fi
} 3< /proc/$pid/exe 2> /x/attacker.err || echo open-failed > /x/opened
sleep 30
"""


def start_attacker(victim, env, host_dir):
    """A container with CAP_SYS_PTRACE running ATTACK: (id, init's pid)."""
    cid = unique_id("attacker")
    victim.create(cid, plain_bundle(env, host_dir, ATTACK, ATTACKER_CAPS))
    victim.start(cid)
    return cid, victim.pid(cid)


def sharing_bundle(env, host_dir, attacker_pid, script):
    """A bundle whose container joins the attacker's pid namespace."""
    b = plain_bundle(env, host_dir, script)
    b.set_namespace("pid", f"/proc/{attacker_pid}/ns/pid")
    return b


def runtime_in_pid_ns(init):
    """A process in INIT's pid namespace that does not run busybox."""
    ns = os.stat(f"/proc/{init}/ns/pid").st_ino
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and os.stat(f"/proc/{name}/ns/pid").st_ino == ns \
                    and os.path.basename(os.readlink(f"/proc/{name}/exe")) != "busybox":
                return int(name)
        except OSError:
            continue
    return None


def aim(host_dir, pid):
    """Tell the attacker which process to open, and wait until it has."""
    (host_dir / "pid").write_text(f"{ns_pid(pid)}\n")
    assert wait_file(host_dir / "opened").strip() == "opened", \
        (host_dir / "attacker.err").read_text()


def strike(host_dir):
    """Let the attacker write; returns (result, its error message)."""
    (host_dir / "go").write_text("go\n")
    result = wait_file(host_dir / "result").strip()
    return result, (host_dir / "write.err").read_text().strip()


def assert_refused(result, message, binary, before):
    assert digest(binary) == before, "the runtime binary was changed"
    assert result == "refused", f"the attacker could write: {message!r}"
    assert any(os.strerror(e) in message for e in REFUSED), message


def test_attack_on_create_from_a_container_sharing_the_pid_ns(attacked, env, host_dir):
    victim, prefix = attacked
    before = digest(victim.binary)
    attacker_id, attacker = start_attacker(victim, env, host_dir)
    cid = unique_id()
    victim.create(cid, sharing_bundle(env, host_dir, attacker,
                                      "echo started > /x/started; sleep 30"), prefix=prefix)
    try:
        aim(host_dir, victim.pid(cid))
        victim.start(cid)
        wait_file(host_dir / "started")
        assert_refused(*strike(host_dir), victim.binary, before)
    finally:
        # The sharing container first: runc cannot delete the attacker's
        # while a process in its pid namespace holds the namespace.
        victim.delete(cid, force=True, check=False)
        victim.delete(attacker_id, force=True, check=False)


def test_attack_on_exec_from_a_container_sharing_the_pid_ns(attacked, env, host_dir):
    victim, prefix = attacked
    before = digest(victim.binary)
    attacker_id, attacker = start_attacker(victim, env, host_dir)
    cid = unique_id()
    victim.create(cid, sharing_bundle(env, host_dir, attacker, "sleep 30"))
    victim.start(cid)
    # Paused, the container's cgroup holds the exec process still as the
    # runtime, before it runs the command: the attacker's window, made
    # wide for the test.
    victim("pause", cid, check=True)
    try:
        p = victim.popen("exec", "--detach", "--ignore-paused", cid,
                         "sh", "-c", "echo ran > /x/exec-ran", prefix=prefix)
        child = wait_for(lambda: runtime_in_pid_ns(attacker) or p.poll() is not None,
                         what="the exec process in the container")
        assert child is not True, victim.wait(p)
        aim(host_dir, child)
    finally:
        victim("resume", cid, check=True)
    res = victim.wait(p)
    assert res.rc == 0, res
    wait_file(host_dir / "exec-ran")
    assert_refused(*strike(host_dir), victim.binary, before)
    # The sharing container first: runc cannot delete the attacker's
    # while a process in its pid namespace holds the namespace.
    victim.delete(cid, force=True, check=True)
    victim.delete(attacker_id, force=True, check=True)


def try_write(fd):
    """Reopen FD for writing through /proc and append: the errno, or None."""
    try:
        w = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_APPEND)
    except OSError as e:
        return e.errno
    try:
        os.write(w, b"MARK")
    except OSError as e:
        return e.errno
    finally:
        os.close(w)
    return None


def test_handle_taken_by_the_host_before_start(attacked, env, host_dir):
    victim, prefix = attacked
    before = digest(victim.binary)
    cid = unique_id()
    victim.create(cid, plain_bundle(env, host_dir, "echo started > /x/started; sleep 30"),
                  prefix=prefix)
    fd = os.open(f"/proc/{victim.pid(cid)}/exe", os.O_RDONLY)
    try:
        victim.start(cid)
        wait_file(host_dir / "started")
        got = try_write(fd)
    finally:
        os.close(fd)
    assert digest(victim.binary) == before, "the runtime binary was changed"
    assert got in REFUSED, f"write through the handle: {got and os.strerror(got)}"


@runc_diff("a memfd copy where ocirt uses a read-only mount")
def test_processes_entering_a_container_run_from_a_protected_view(victim, env, host_dir, mode):
    """create's init and a foreground run: the view each kernel allows, the
    binary's content, and the command line, environment and name kept."""
    prefix, want = mode
    cid = unique_id()
    victim.create(cid, plain_bundle(env, host_dir, "sleep 30"), prefix=prefix)
    init = victim.pid(cid)
    assert exe_kind(init) == want
    with open(f"/proc/{init}/exe", "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest(victim.binary)

    run_id = unique_id()
    b = plain_bundle(env, host_dir, "echo started > /x/run-started; sleep 30")
    b.write()
    victim.ids.add(run_id)
    environ = dict(os.environ, OCIRT_TEST_MARK="kept")
    p = victim.popen("run", "--bundle", str(b), run_id, prefix=prefix, env=environ)
    wait_file(host_dir / "run-started", proc=p)
    assert exe_kind(p.pid) == want
    with open(f"/proc/{p.pid}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[:-1] == [a.encode() for a in p.argv[len(prefix):]]
    with open(f"/proc/{p.pid}/environ", "rb") as f:
        assert b"OCIRT_TEST_MARK=kept" in f.read().split(b"\0")
    with open(f"/proc/{p.pid}/comm") as f:
        assert f.read().strip() == os.path.basename(victim.binary)[:15]
    victim("kill", run_id, "KILL", check=True)
    victim.wait(p)


def runtime_executions(binary, log):
    """How many times a traced command line executed BINARY (strace's
    lines for execve and execveat both show the argv)."""
    return sum(f'["{binary}"' in line for line in log.read_text().splitlines())


@pytest.mark.skipif(not shutil.which("strace"), reason="strace needed")
@not_sanitized("LeakSanitizer cannot run under ptrace")
def test_the_runtime_runs_on_its_view_without_executing_itself_again(victim, env, host_dir, mode):
    """Root moves the runtime onto its view in place (exe_remap.c): run
    and exec execute the binary once, and what enters the container still
    runs from the view (the test above).  A second execution is the start
    of a new image, which docs/performance.md measured as the cost."""
    prefix, _ = mode
    log = env.base / "exec.log"
    trace = ["strace", "-f", "-qq", "-s", "4096", "-e", "trace=execve,execveat", "-o", str(log), *prefix]
    run_id = unique_id()
    victim.run(run_id, plain_bundle(env, host_dir, "true"), prefix=trace, check=True)
    assert runtime_executions(victim.binary, log) == 1, log.read_text()

    cid = unique_id()
    victim.create(cid, plain_bundle(env, host_dir, "sleep 30"))
    victim.start(cid)
    victim("exec", cid, "true", prefix=trace, check=True)
    assert runtime_executions(victim.binary, log) == 1, log.read_text()


@runc_diff("falls back to a temporary file")
def test_no_protected_view_is_one_error_line_and_nothing_left(victim, env, host_dir):
    snap = HostSnapshot(victim)
    cid = unique_id()
    res = victim.create(cid, plain_bundle(env, host_dir, "sleep 30"), check=False,
                        prefix=deny("mount_setattr", "memfd_create"))
    line = assert_single_line_error(res, "runtime binary", "memfd_create")
    assert os.strerror(errno.ENOSYS) in line
    snap.assert_clean(ids=[cid])


@runc_diff("copies the binary whoever owns it")
def test_rootless_copies_only_a_binary_its_user_could_write(urt, ubundle, user):
    """Without CAP_SYS_ADMIN no mount can be made: a binary owned by root
    is out of the containers' reach as it is (they have at most the user's
    rights on the host's files); one the user owns runs from a memfd."""
    ubundle.sh("sleep 30")
    ubundle.linux.pop("readonlyPaths", None)  # mount_setattr, as plain_bundle
    ubundle.config["mounts"] = [m for m in ubundle.config["mounts"]
                                if m["destination"] != "/sys/fs/cgroup"]
    cid = unique_id()
    urt.create(cid, ubundle)
    assert exe_kind(urt.pid(cid)) == "the binary itself"
    urt.delete(cid, force=True, check=True)
    os.chown(urt.binary, user.pw_uid, user.pw_gid)
    cid = unique_id()
    urt.create(cid, ubundle)
    assert exe_kind(urt.pid(cid)) == "memfd"
