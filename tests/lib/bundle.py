"""Bundles: a busybox rootfs, a config modelled on ``runc spec``, and the
per-test directories (``Env``) they live in.  ``BUSYBOX`` names the
(static) busybox binary copied into every rootfs."""

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

BUSYBOX = os.environ.get("BUSYBOX", "/bin/busybox")

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

MASKED_PATHS = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
]
READONLY_PATHS = [
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
]


def default_mounts():
    return [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                     "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777",
                     "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
         "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup",
         "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ]


def default_config(args=("sh",), rootfs="rootfs"):
    """A config.json dict modelled on ``runc spec`` (terminal off).

    Differences from ``runc spec``: ``terminal`` is false, the root is
    writable (tests opt into ``readonly``), the hostname is ``ocirt`` and a
    cgroup namespace is requested.
    """
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": [DEFAULT_PATH, "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": list(DEFAULT_CAPS),
                "effective": list(DEFAULT_CAPS),
                "permitted": list(DEFAULT_CAPS),
                "ambient": list(DEFAULT_CAPS),
            },
            "rlimits": [
                {"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024},
            ],
            "noNewPrivileges": True,
        },
        "root": {"path": rootfs, "readonly": False},
        "hostname": "ocirt",
        "mounts": default_mounts(),
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in
                           ("pid", "network", "ipc", "uts", "mount",
                            "cgroup")],
            "maskedPaths": list(MASKED_PATHS),
            "readonlyPaths": list(READONLY_PATHS),
        },
    }


PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
GROUP = """root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
"""


def build_rootfs(dest):
    """Busybox rootfs: /bin/busybox plus one symlink per applet."""
    dest = Path(dest)
    (dest / "bin").mkdir(parents=True)
    shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], stdout=subprocess.PIPE,
                             check=True).stdout.decode().split()
    for a in applets:
        if a == "busybox" or "/" in a:
            continue
        link = dest / "bin" / a
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    for d in ("proc", "sys", "dev", "tmp", "etc", "root"):
        (dest / d).mkdir(exist_ok=True)
    os.chmod(dest / "tmp", 0o1777)
    os.chmod(dest / "root", 0o700)
    (dest / "etc" / "passwd").write_text(PASSWD)
    (dest / "etc" / "group").write_text(GROUP)
    (dest / "etc" / "hostname").write_text("ocirt\n")


def copy_rootfs(template, dest):
    """Copy the template; busybox is hard-linked (never written to)."""
    def copy(src, dst):
        if os.path.basename(src) == "busybox":
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass
        return shutil.copy2(src, dst)
    shutil.copytree(template, dest, symlinks=True, copy_function=copy)


class Bundle:
    """A bundle directory with a busybox rootfs and an editable config."""

    def __init__(self, path, template, args=("sh",)):
        self.path = Path(path)
        self.path.mkdir(parents=True)
        os.chmod(self.path, 0o755)
        self.rootfs = self.path / "rootfs"
        copy_rootfs(template, self.rootfs)
        #: the config as a dict; written to config.json by write() and
        #: before every create/run issued through Runtime.  Set it to None
        #: to keep a hand-written config.json.
        self.config = default_config(args)
        #: True: no cgroupsPath is added for the test runner's sake (see
        #: SUITE_CGROUP); for the tests of default placement
        self.default_cgroup = False

    def __str__(self):
        return str(self.path)

    def __fspath__(self):
        return str(self.path)

    @property
    def config_path(self):
        return self.path / "config.json"

    def write(self):
        if self.config is not None:
            with open(self.config_path, "w") as f:
                json.dump(self.config, f, indent=2)
        return self

    def write_raw(self, text):
        self.config = None
        self.config_path.write_text(text)
        return self

    # convenience accessors -------------------------------------------------
    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config["linux"]

    def set_args(self, *args):
        self.process["args"] = list(args)
        return self

    def sh(self, script):
        """Make the container run ``sh -c script``."""
        return self.set_args("sh", "-c", script)

    def namespaces(self):
        return [n["type"] for n in self.linux["namespaces"]]

    def remove_namespace(self, ns):
        self.linux["namespaces"] = [n for n in self.linux["namespaces"]
                                    if n["type"] != ns]
        return self

    def set_namespace(self, ns, path=None):
        self.remove_namespace(ns)
        entry = {"type": ns}
        if path:
            entry["path"] = str(path)
        self.linux["namespaces"].append(entry)
        return self

    def add_mount(self, destination, source, type="bind", options=None):
        m = {"destination": destination, "type": type, "source": str(source)}
        if options is not None:
            m["options"] = list(options)
        self.config["mounts"].append(m)
        return self

    def bind(self, host_dir, destination, *options):
        opts = ["rbind"] + list(options or ())
        return self.add_mount(destination, host_dir, "bind", opts)


class Env:
    """Per-test directories."""

    def __init__(self, base, template):
        self.base = Path(base)
        self.template = template
        self.calls_dir = self.base / "calls"
        self.calls_dir.mkdir(parents=True, exist_ok=True)

    def new_root(self):
        d = Path(tempfile.mkdtemp(prefix="root-", dir=self.base))
        os.chmod(d, 0o700)
        return d

    def bundle(self, args=("sh",), name=None):
        path = self.base / (name or f"bundle-{uuid.uuid4().hex[:8]}")
        return Bundle(path, self.template, args)

    def host_dir(self, name=None):
        d = Path(tempfile.mkdtemp(prefix=(name or "host") + "-",
                                  dir=self.base))
        os.chmod(d, 0o777)
        return d

