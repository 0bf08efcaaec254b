"""What the running kernel can do, asked of the kernel itself (not read
from its version), so that a test of a newer feature is skipped with the
reason on a kernel without it.  Each function returns None when the
kernel has the feature, else the reason to skip."""

import ctypes
import errno
import os
import subprocess
import sys
import time

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# x86_64 and the generic table share these numbers
SYS_open_tree, SYS_mount_setattr = 428, 442
SYS_set_mempolicy = 238
SYS_seccomp = 317
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FLAGS = {"SECCOMP_FILTER_FLAG_TSYNC": 1, "SECCOMP_FILTER_FLAG_LOG": 2,
                 "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 4,
                 "SECCOMP_FILTER_FLAG_NEW_LISTENER": 8,
                 "SECCOMP_FILTER_FLAG_TSYNC_ESRCH": 16,
                 "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": 32}
OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC = 1, os.O_CLOEXEC
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
AT_EMPTY_PATH = 0x1000
MOUNT_ATTR_IDMAP = 0x100000

MPOL_MODES = {"MPOL_DEFAULT": 0, "MPOL_PREFERRED": 1, "MPOL_BIND": 2,
              "MPOL_INTERLEAVE": 3, "MPOL_LOCAL": 4,
              "MPOL_PREFERRED_MANY": 5, "MPOL_WEIGHTED_INTERLEAVE": 6}
MPOL_FLAGS = {"MPOL_F_NUMA_BALANCING": 1 << 13,
              "MPOL_F_RELATIVE_NODES": 1 << 14,
              "MPOL_F_STATIC_NODES": 1 << 15}


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]


def _syscall(*args):
    r = _libc.syscall(*args)
    return r, (ctypes.get_errno() if r < 0 else 0)


def _fstype(path):
    best, fstype = "", "?"
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mnt = fields[4]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) \
                    and len(mnt) >= len(best):
                best, fstype = mnt, fields[fields.index("-") + 1]
    return fstype


def _user_namespace():
    """A process in a new user namespace mapping 0 to 0; the caller opens
    /proc/PID/ns/user and kills it."""
    own = os.readlink("/proc/self/ns/user")
    p = subprocess.Popen(["unshare", "--user", "sleep", "60"])
    ns = f"/proc/{p.pid}/ns/user"
    for _ in range(500):
        try:
            if os.readlink(ns) != own:
                break
        except OSError:
            pass
        time.sleep(0.01)
    for name in ("uid_map", "gid_map"):
        with open(f"/proc/{p.pid}/{name}", "w") as f:
            f.write("0 0 1\n")
    return p


def mount_setattr_missing():
    """Whether the kernel lacks mount_setattr (Linux 5.12), which the
    recursive mount options (rro, rnosuid, ...) and idmapped mounts need."""
    r, err = _syscall(SYS_mount_setattr, -1, b"", AT_EMPTY_PATH, None, 0)
    if r < 0 and err == errno.ENOSYS:
        return "this kernel has no mount_setattr (Linux 5.12)"
    return None


_idmap_cache = {}


def idmap_unsupported(path, recursive=False):
    """Whether the kernel cannot make an idmapped mount of PATH (of every
    mount below it too with RECURSIVE): mount_setattr came in Linux 5.12,
    and each filesystem gains idmapped mounts on its own (tmpfs in 6.3)."""
    path = os.path.realpath(path)
    key = (path if recursive else _fstype(path), recursive)
    if key in _idmap_cache:
        return _idmap_cache[key]
    flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (AT_RECURSIVE if recursive else 0)
    tree, err = _syscall(SYS_open_tree, AT_FDCWD, path.encode(), flags)
    if tree < 0:
        raise OSError(err, f"open_tree {path}")
    proc = _user_namespace()
    try:
        userns = os.open(f"/proc/{proc.pid}/ns/user", os.O_RDONLY)
        attr = _MountAttr(MOUNT_ATTR_IDMAP, 0, 0, userns)
        r, err = _syscall(SYS_mount_setattr, tree, b"",
                          AT_EMPTY_PATH | (AT_RECURSIVE if recursive else 0),
                          ctypes.byref(attr), ctypes.sizeof(attr))
        os.close(userns)
    finally:
        proc.kill()
        proc.wait()
        os.close(tree)
    if r == 0:
        reason = None
    elif err == errno.ENOSYS:
        reason = "this kernel has no idmapped mounts (mount_setattr, Linux 5.12)"
    elif err == errno.EINVAL:
        reason = (f"this kernel cannot idmap {_fstype(path)}"
                  + (" or a filesystem mounted below it" if recursive else "")
                  + f" ({path})")
    else:
        raise OSError(err, f"mount_setattr MOUNT_ATTR_IDMAP on {path}")
    _idmap_cache[key] = reason
    return reason


def mempolicy_unsupported(mode, flags=()):
    """Whether the kernel refuses memory policy MODE with FLAGS on node 0
    (MPOL_PREFERRED_MANY came in Linux 5.15, MPOL_WEIGHTED_INTERLEAVE in
    6.9, MPOL_F_NUMA_BALANCING in 5.12).  Asked in a child process, whose
    policy does not matter."""
    value = MPOL_MODES[mode]
    for f in flags:
        value |= MPOL_FLAGS[f]
    nodes = "[1]" if value & 0xff not in (0, 4) else "None"
    code = ("import ctypes, sys\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            f"nodes = {nodes}\n"
            "mask = (ctypes.c_ulong * 16)(*nodes) if nodes else None\n"
            f"r = libc.syscall({SYS_set_mempolicy}, {value}, mask,"
            " 1025 if nodes else 0)\n"
            "sys.exit(0 if r == 0 else ctypes.get_errno())\n")
    rc = subprocess.run([sys.executable, "-c", code]).returncode
    if rc == 0:
        return None
    if rc == errno.EINVAL:
        return (f"this kernel does not support {mode}"
                + (f" with {'|'.join(flags)}" if flags else ""))
    raise OSError(rc, f"set_mempolicy {mode} {flags}")


def older_than(major, minor):
    """For what no probe can show without making cgroups: whether the
    running kernel is older than MAJOR.MINOR."""
    release = os.uname().release.split("-")[0].split(".")
    return (int(release[0]), int(release[1])) < (major, minor)


def seccomp_flags_unsupported(flags):
    """Whether the kernel refuses the seccomp filter FLAGS of a notifying
    filter (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV came in Linux 5.19):
    with known flags and no filter the kernel answers EFAULT, else
    EINVAL, and installs nothing."""
    listener = SECCOMP_FLAGS["SECCOMP_FILTER_FLAG_NEW_LISTENER"]
    for f in flags:
        value = listener | SECCOMP_FLAGS[f]
        # a listener goes with TSYNC only when TSYNC reports with ESRCH
        if f == "SECCOMP_FILTER_FLAG_TSYNC":
            value |= SECCOMP_FLAGS["SECCOMP_FILTER_FLAG_TSYNC_ESRCH"]
        r, err = _syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, value, None)
        if r < 0 and err == errno.EINVAL:
            return f"this kernel does not support {f}"
    return None
