"""Malformed and hostile config.json files.

Each case of ERRORS changes the default config (or replaces the file) and
expects ``create`` to fail with exactly one line on stderr that matches
the case's regular expression (which names the field and the cause), and
to leave no state, mount, cgroup or process behind.  ACCEPTED lists
oddities that the runtime tolerates (with a warning at most) and that
must still run the container.

The table is the reference for docs/reliability.md ("Hostile
configurations").
"""

import copy
import json
import re
import uuid

import pytest

from lib.bundle import Bundle, default_config
from lib.host import HostSnapshot
from lib.runtime import not_sanitized, unique_id

# --------------------------------------------------------------------------
# patches
# --------------------------------------------------------------------------


def _walk(cfg, path):
    """The container of the last component of a dotted path, and the key."""
    parts = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = cfg
    for p in parts[:-1]:
        if isinstance(node, dict) and p not in node:
            node[p] = {}
        node = node[p]
    return node, parts[-1]


def setp(path, value):
    def patch(cfg):
        node, key = _walk(cfg, path)
        if isinstance(node, list) and key == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[key] = copy.deepcopy(value)
    return patch


def delp(path):
    def patch(cfg):
        node, key = _walk(cfg, path)
        del node[key]
    return patch


def addp(path, value):
    """Append value to the list at path."""
    def patch(cfg):
        node, key = _walk(cfg, path)
        node.setdefault(key, []).append(copy.deepcopy(value))
    return patch


def both(*patches):
    def patch(cfg):
        for p in patches:
            p(cfg)
    return patch


def raw(make):
    """A case that writes the bytes make(default config as JSON)."""
    make.raw = True
    return make


def userns(*patches):
    """A user namespace with sane mappings, then the patches."""
    return both(
        addp("linux.namespaces", {"type": "user"}),
        setp("linux.uidMappings", [{"containerID": 0, "hostID": 100000,
                                    "size": 65536}]),
        setp("linux.gidMappings", [{"containerID": 0, "hostID": 100000,
                                    "size": 65536}]),
        *patches)


def seccomp(**fields):
    prof = {"defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}]}
    prof.update(fields)
    return setp("linux.seccomp", prof)


def syscall_rule(**fields):
    rule = {"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}
    rule.update(fields)
    return seccomp(syscalls=[rule])


def device(**fields):
    dev = {"path": "/dev/fuzz", "type": "c", "major": 1, "minor": 3}
    dev.update(fields)
    return setp("linux.devices", [dev])


def hook(kind, **fields):
    h = {"path": "/bin/true"}
    h.update(fields)
    return setp("hooks." + kind, [h])


def ranges(n, size=1):
    return [{"containerID": i * size, "hostID": 100000 + i * size,
             "size": size} for i in range(n)]


MiB = 1 << 20
U32 = 1 << 32
U64 = 1 << 64


def _replace_hostname(cfg_json, value: bytes):
    return cfg_json.encode().replace(b'"hostname": "ocirt"',
                                     b'"hostname": "' + value + b'"')


def _host_sysctl(name):
    with open("/proc/sys/" + name) as f:
        return f.read().rstrip("\n")


def _deep(cfg_json, depth):
    return cfg_json.encode().replace(
        b'"hostname"', b'"x": ' + b"[" * depth + b"]" * depth +
        b', "hostname"', 1)


# --------------------------------------------------------------------------
# the table: id -> (patch, expected error)
# --------------------------------------------------------------------------

ERRORS = {
    # wrong types, at many depths
    "ociVersion-int": (setp("ociVersion", 1),
                       r"\.ociVersion: expected a string"),
    "process-array": (setp("process", []), r"\.process: expected an object"),
    "args-string": (setp("process.args", "sh"),
                    r"\.process\.args: expected an array"),
    "args-elem-int": (setp("process.args", ["sh", 1]),
                      r"\.process\.args\[1\]: expected a string"),
    "env-object": (setp("process.env", {"A": "b"}),
                   r"\.process\.env: expected an array"),
    "uid-string": (setp("process.user.uid", "0"),
                   r"\.process\.user\.uid: expected an integer"),
    "gid-float": (setp("process.user.gid", 1.5),
                  r"\.process\.user\.gid: expected an integer"),
    "additionalGids-string": (setp("process.user.additionalGids", ["5"]),
                              r"\.process\.user\.additionalGids\[0\]: "
                              r"expected an integer"),
    "terminal-string": (setp("process.terminal", "false"),
                        r"\.process\.terminal: expected a boolean"),
    "rlimit-hard-string": (setp("process.rlimits.0.hard", "1024"),
                           r"\.process\.rlimits\[0\]\.hard: "
                           r"expected an integer"),
    "capabilities-array": (setp("process.capabilities", ["CAP_KILL"]),
                           r"\.process\.capabilities: expected an object"),
    "root-string": (setp("root", "rootfs"), r"\.root: expected an object"),
    "readonly-int": (setp("root.readonly", 1),
                     r"\.root\.readonly: expected a boolean"),
    "mounts-object": (setp("mounts", {"destination": "/x"}),
                      r"\.mounts: expected an array"),
    "mount-options-string": (setp("mounts.0.options", "nosuid"),
                             r"\.mounts\[0\]\.options: expected an array"),
    "hostname-array": (setp("hostname", ["x"]),
                       r"\.hostname: expected a string"),
    "annotation-int": (setp("annotations", {"a": 1}),
                       r'\.annotations\["a"\]: expected a string'),
    "namespaces-object": (setp("linux.namespaces", {"type": "pid"}),
                          r"\.linux\.namespaces: expected an array"),
    "memory-limit-string": (setp("linux.resources.memory",
                                 {"limit": "1g"}),
                            r"\.linux\.resources\.memory\.limit: "
                            r"expected an integer"),
    "sysctl-array": (setp("linux.sysctl", ["net.ipv4.ip_forward"]),
                     r"\.linux\.sysctl: expected an object"),
    "sysctl-value-int": (setp("linux.sysctl", {"net.ipv4.ip_forward": 1}),
                         r'\.linux\.sysctl\["net\.ipv4\.ip_forward"\]: '
                         r"expected a string"),
    "hooks-prestart-object": (setp("hooks", {"prestart": {}}),
                              r"\.hooks\.prestart: expected an array"),
    "document-array": (raw(lambda j: b"[" + j.encode() + b"]"),
                       r"config\.json: \.: expected an object"),

    # missing required fields
    "no-ociVersion": (delp("ociVersion"),
                      r'config\.json: \.: missing required field '
                      r'"ociVersion"'),
    "no-root": (delp("root"), r"root\.path is not set"),
    "no-root-path": (setp("root", {"readonly": False}),
                     r'\.root: missing required field "path"'),
    "empty-root-path": (setp("root.path", ""), r"root\.path is not set"),
    "no-process": (delp("process"), r"no process to run"),
    "no-args": (delp("process.args"), r"process\.args must not be empty"),
    "empty-args": (setp("process.args", []),
                   r"process\.args must not be empty"),
    "empty-arg0": (setp("process.args", [""]),
                   r"process\.args must not be empty"),
    "no-cwd": (delp("process.cwd"),
               r'\.process: missing required field "cwd"'),
    "no-uid": (delp("process.user.uid"),
               r'\.process\.user: missing required field "uid"'),
    "no-mount-destination": (delp("mounts.0.destination"),
                             r'\.mounts\[0\]: missing required field '
                             r'"destination"'),
    "empty-mount-destination": (setp("mounts.0.destination", ""),
                                r"mounts\[0\]\.destination is empty"),
    "no-namespace-type": (setp("linux.namespaces.0", {"path": "/x"}),
                          r'\.linux\.namespaces\[0\]: missing required '
                          r'field "type"'),
    "no-rlimit-type": (delp("process.rlimits.0.type"),
                       r'\.process\.rlimits\[0\]: missing required field '
                       r'"type"'),
    "no-hook-path": (setp("hooks", {"prestart": [{"args": ["x"]}]}),
                     r'\.hooks\.prestart\[0\]: missing required field '
                     r'"path"'),
    "no-device-path": (setp("linux.devices", [{"type": "c"}]),
                       r'\.linux\.devices\[0\]: missing required field '
                       r'"path"'),
    "no-seccomp-default": (setp("linux.seccomp", {"syscalls": []}),
                           r'\.linux\.seccomp: missing required field '
                           r'"defaultAction"'),
    "no-mapping-size": (userns(setp("linux.uidMappings",
                                    [{"containerID": 0, "hostID": 1}])),
                        r'\.linux\.uidMappings\[0\]: missing required '
                        r'field "size"'),
    "no-linux": (delp("linux"), r"the linux section is missing"),

    # ociVersion
    "ociVersion-2": (setp("ociVersion", "2.0.0"),
                     r'\.ociVersion: unsupported version "2\.0\.0"'),
    "ociVersion-0": (setp("ociVersion", "0.9.0"),
                     r'\.ociVersion: unsupported version "0\.9\.0"'),
    "ociVersion-10": (setp("ociVersion", "10.0.0"),
                      r'\.ociVersion: unsupported version "10\.0\.0"'),
    "ociVersion-empty": (setp("ociVersion", ""),
                         r'\.ociVersion: unsupported version ""'),
    "ociVersion-1dot": (setp("ociVersion", "1.x"),
                        r'\.ociVersion: unsupported version "1\.x"'),

    # namespaces
    "namespace-duplicate": (addp("linux.namespaces", {"type": "pid"}),
                            r"linux\.namespaces\[6\]: `pid` is listed more "
                            r"than once"),
    "namespace-unknown": (addp("linux.namespaces", {"type": "pidd"}),
                          r"linux\.namespaces\[6\]: unknown namespace type "
                          r"`pidd`"),
    "namespace-empty-type": (addp("linux.namespaces", {"type": ""}),
                             r"linux\.namespaces\[6\]: unknown namespace "
                             r"type ``"),
    "namespace-relative-path": (setp("linux.namespaces.1",
                                     {"type": "network",
                                      "path": "proc/1/ns/net"}),
                                r"linux\.namespaces\[1\]\.path "
                                r"`proc/1/ns/net` is not absolute"),
    "namespace-path-not-ns": (setp("linux.namespaces.1",
                                   {"type": "network", "path": "/etc/passwd"}),
                              r"network namespace path `/etc/passwd` is not "
                              r"a namespace"),
    "masks-without-mount-namespace": (setp("linux.namespaces",
                                           [{"type": "pid"}]),
                                      r"maskedPaths and readonlyPaths need a "
                                      r"mount namespace"),
    "hostname-without-uts": (setp("linux.namespaces",
                                  [{"type": "mount"}, {"type": "pid"}]),
                             r"hostname needs a uts namespace"),
    "mappings-without-userns": (setp("linux.uidMappings", ranges(1)),
                                r"uidMappings and gidMappings need a user "
                                r"namespace"),

    # mounts
    "mount-dotdot": (addp("mounts", {"destination": "/../../etc",
                                     "type": "tmpfs", "source": "tmpfs"}),
                     r"mounts\[7\]\.destination `/\.\./\.\./etc` "
                     r"contains `\.\.`"),
    "mount-dotdot-relative": (addp("mounts", {"destination": "tmp/../..",
                                              "type": "tmpfs",
                                              "source": "tmpfs"}),
                              r"mounts\[7\]\.destination `tmp/\.\./\.\.` "
                              r"contains `\.\.`"),
    "mount-unknown-fs": (addp("mounts", {"destination": "/mnt",
                                         "type": "nosuchfs",
                                         "source": "none"}),
                         r"mount none on /mnt: No such device"),

    # process
    "cwd-relative": (setp("process.cwd", "tmp"),
                     r"process\.cwd `tmp` is not an absolute path"),
    "cwd-empty": (setp("process.cwd", ""),
                  r"process\.cwd `` is not an absolute path"),
    "rlimit-unknown": (setp("process.rlimits.0.type", "RLIMIT_BOGUS"),
                       r"process\.rlimits\[0\]: unknown rlimit "
                       r"`RLIMIT_BOGUS`"),
    "rlimit-soft-above-hard": (setp("process.rlimits.0",
                                    {"type": "RLIMIT_NOFILE", "soft": 2048,
                                     "hard": 1024}),
                               r"process\.rlimits\[0\]: RLIMIT_NOFILE soft "
                               r"limit 2048 exceeds hard limit 1024"),
    "rlimit-duplicate": (addp("process.rlimits",
                              {"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}),
                         r"process\.rlimits\[1\]: RLIMIT_NOFILE is given "
                         r"more than once"),
    "rlimit-huge": (setp("process.rlimits.0",
                         {"type": "RLIMIT_NOFILE", "soft": U64 - 1,
                          "hard": U64 - 1}),
                    r"setrlimit RLIMIT_NOFILE \(soft 18446744073709551615, "
                    r"hard 18446744073709551615\): Operation not permitted"),
    "rlimit-2^64": (setp("process.rlimits.0.hard", U64),
                    r"\.process\.rlimits\[0\]\.hard: integer out of range"),
    "rlimit-negative": (setp("process.rlimits.0.soft", -1),
                        r"\.process\.rlimits\[0\]\.soft: integer out of "
                        r"range"),
    "uid-negative": (setp("process.user.uid", -1),
                     r"\.process\.user\.uid: integer out of range"),
    "uid-2^32": (setp("process.user.uid", U32),
                 r"\.process\.user\.uid: integer out of range"),
    "uid-2^32-1": (setp("process.user.uid", U32 - 1),
                   r"process\.user\.uid 4294967295 is not a valid id"),
    "additionalGids-2^32-1": (setp("process.user.additionalGids", [5, U32 - 1]),
                              r"process\.user\.additionalGids\[1\] "
                              r"4294967295 is not a valid id"),
    "uid-2^63": (setp("process.user.uid", 1 << 63),
                 r"\.process\.user\.uid: integer out of range"),
    "umask-2^64-1": (setp("process.user.umask", U64 - 1),
                     r"\.process\.user\.umask: integer out of range"),
    "oomScoreAdj-2^63": (setp("process.oomScoreAdj", 1 << 63),
                         r"\.process\.oomScoreAdj: integer out of range"),
    "oomScoreAdj-range": (setp("process.oomScoreAdj", 1001),
                          r"process\.oomScoreAdj 1001 is out of range "
                          r"-1000\.\.1000"),
    "pids-limit-2^63": (setp("linux.resources.pids", {"limit": 1 << 63}),
                        r"\.linux\.resources\.pids\.limit: integer out of "
                        r"range"),
    "memory-limit-2^64-1": (setp("linux.resources.memory",
                                 {"limit": U64 - 1}),
                            r"\.linux\.resources\.memory\.limit: integer out "
                            r"of range"),
    "env-no-equals": (setp("process.env", ["PATH=/bin", "JUSTANAME"]),
                      r"process\.env\[1\] `JUSTANAME` is not NAME=VALUE"),
    "console-size-huge": (both(setp("process.terminal", True),
                               setp("process.consoleSize",
                                    {"height": 70000, "width": 80})),
                          r"process\.consoleSize\.height 70000 is out of "
                          r"range 0\.\.65535"),

    # gigantic, deep, broken input
    "hostname-16MiB": (setp("hostname", "h" * (16 * MiB)),
                       r"hostname is longer than 64 bytes"),
    "hostname-65": (setp("hostname", "h" * 65),
                    r"hostname is longer than 64 bytes"),
    "domainname-16MiB": (setp("domainname", "d" * (16 * MiB)),
                         r"domainname is longer than 64 bytes"),
    "env-16MiB": (addp("process.env", "BIG=" + "x" * (16 * MiB)),
                  r"process\.env\[2\] takes 16777221 bytes, execve takes "
                  r"at most 131072 per string"),
    "args-1M": (setp("process.args", ["sh"] + ["x"] * (1 << 20)),
                r"process\.args and process\.env take \d+ bytes, execve "
                r"takes at most \d+ here"),
    "deep-100k": (raw(lambda j: _deep(j, 100000)),
                  r"config\.json: invalid JSON: nesting too deep"),
    "invalid-utf8": (raw(lambda j: _replace_hostname(j, b"\xff\xfe")),
                     r"config\.json: invalid JSON: invalid UTF-8 at byte "
                     r"\d+"),
    # "/" in two bytes: yajl alone would let it through
    "overlong-utf8": (raw(lambda j: _replace_hostname(j, b"..\xc0\xaf..")),
                      r"config\.json: invalid JSON: invalid UTF-8 at byte "
                      r"\d+"),
    "surrogate-utf8": (raw(lambda j: _replace_hostname(j, b"\xed\xa0\x80")),
                       r"config\.json: invalid JSON: invalid UTF-8 at byte "
                       r"\d+"),
    "nul-byte-raw": (raw(lambda j: _replace_hostname(j, b"a\x00b")),
                     r"config\.json: invalid JSON: NUL byte in input"),
    "nul-escape-hostname": (raw(lambda j: _replace_hostname(j, b"a\\u0000b")),
                            r"config\.json: \.hostname: string contains a "
                            r"NUL character"),
    "nul-escape-arg": (setp("process.args", ["sh", "-c", "true\u0000rm"]),
                       r"config\.json: \.process\.args\[2\]: string "
                       r"contains a NUL character"),
    "nul-escape-key": (setp("annotations", {"a\u0000b": "c"}),
                       r"config\.json: \.annotations: key contains a NUL "
                       r"character"),
    "truncated": (raw(lambda j: j.encode()[:len(j) // 2]),
                  r"config\.json: invalid JSON: (lexical|parse) error"),
    "empty-file": (raw(lambda j: b""),
                   r"config\.json: invalid JSON: parse error: premature EOF"),

    # uid/gid mappings
    "mapping-size-0": (userns(setp("linux.uidMappings",
                                   [{"containerID": 0, "hostID": 100000,
                                     "size": 0}])),
                       r"linux\.uidMappings\[0\]: size is 0"),
    "mapping-container-wraps": (userns(setp("linux.uidMappings",
                                            [{"containerID": U32 - 10,
                                              "hostID": 100000,
                                              "size": 20}])),
                                r"linux\.uidMappings\[0\]: containerID "
                                r"4294967286 \+ size 20 is past 2\^32"),
    "mapping-host-wraps": (userns(setp("linux.gidMappings",
                                       [{"containerID": 0,
                                         "hostID": U32 - 1, "size": 2}])),
                           r"linux\.gidMappings\[0\]: hostID 4294967295 "
                           r"\+ size 2 is past 2\^32"),
    "mapping-2^32": (userns(setp("linux.uidMappings.0.size", U32)),
                     r"\.linux\.uidMappings\[0\]\.size: integer out of "
                     r"range"),
    "mapping-overlap-container": (userns(setp("linux.uidMappings", [
        {"containerID": 0, "hostID": 100000, "size": 1000},
        {"containerID": 500, "hostID": 300000, "size": 1000}])),
        r"linux\.uidMappings\[1\]: container ids 500\.\.1499 overlap "
        r"uidMappings\[0\]"),
    "mapping-overlap-host": (userns(setp("linux.gidMappings", [
        {"containerID": 0, "hostID": 100000, "size": 1000},
        {"containerID": 5000, "hostID": 100999, "size": 10}])),
        r"linux\.gidMappings\[1\]: host ids 100999\.\.101008 overlap "
        r"gidMappings\[0\]"),
    "mapping-too-many": (userns(setp("linux.uidMappings", ranges(341))),
                         r"linux\.uidMappings: 341 ranges, the kernel takes "
                         r"at most 340"),

    # capabilities, seccomp
    "seccomp-unknown-action": (syscall_rule(action="SCMP_ACT_EXPLODE"),
                               r"linux\.seccomp\.syscalls\[0\]: unknown "
                               r"action `SCMP_ACT_EXPLODE`"),
    "seccomp-unknown-default": (seccomp(defaultAction="ALLOW"),
                                r"linux\.seccomp\.defaultAction: unknown "
                                r"action `ALLOW`"),
    "seccomp-unknown-arch": (seccomp(architectures=["SCMP_ARCH_Z80"]),
                             r"linux\.seccomp\.architectures: unknown "
                             r"architecture `SCMP_ARCH_Z80`"),
    "seccomp-bad-operator": (syscall_rule(args=[{"index": 0, "value": 1,
                                                 "op": "SCMP_CMP_ALMOST"}]),
                             r"linux\.seccomp\.syscalls\[0\]\.args\[0\]: "
                             r"unknown operator `SCMP_CMP_ALMOST`"),
    "seccomp-arg-index": (syscall_rule(args=[{"index": 6, "value": 1,
                                              "op": "SCMP_CMP_EQ"}]),
                          r"linux\.seccomp\.syscalls\[0\]\.args\[0\]: index "
                          r"6 is not 0 to 5"),
    "seccomp-unknown-flag": (seccomp(flags=["SECCOMP_FILTER_FLAG_NOPE"]),
                             r"linux\.seccomp\.flags: unknown flag "
                             r"`SECCOMP_FILTER_FLAG_NOPE`"),
    "seccomp-errno-on-allow": (syscall_rule(action="SCMP_ACT_KILL",
                                            errnoRet=1),
                               r"linux\.seccomp\.syscalls\[0\]: action "
                               r"SCMP_ACT_KILL takes no errno"),
    "seccomp-no-names": (setp("linux.seccomp",
                              {"defaultAction": "SCMP_ACT_ALLOW",
                               "syscalls": [{"action": "SCMP_ACT_ERRNO"}]}),
                         r'\.linux\.seccomp\.syscalls\[0\]: missing '
                         r'required field "names"'),
    "seccomp-value-2^64": (syscall_rule(args=[{"index": 0, "value": U64,
                                               "op": "SCMP_CMP_EQ"}]),
                           r"\.linux\.seccomp\.syscalls\[0\]\.args\[0\]\."
                           r"value: integer out of range"),

    # devices
    "device-bad-type": (device(type="x"),
                        r"linux\.devices\[0\]: invalid type `x`"),
    "device-relative-path": (device(path="dev/fuzz"),
                             r"linux\.devices\[0\]\.path `dev/fuzz` is not "
                             r"absolute"),
    "device-dotdot": (device(path="/dev/../../etc/fuzz"),
                      r"linux\.devices\[0\]\.path `/dev/\.\./\.\./etc/fuzz` "
                      r"contains `\.\.`"),
    "device-no-major": (setp("linux.devices", [{"path": "/dev/fuzz",
                                                "type": "c"}]),
                        r"linux\.devices\[0\]: type c needs major and minor"),
    "device-major-huge": (device(major=1 << 40),
                          r"linux\.devices\[0\]: major 1099511627776 is out "
                          r"of range 0\.\.4095"),
    "device-major-negative": (device(major=-1),
                              r"linux\.devices\[0\]: major -1 is out of "
                              r"range 0\.\.4095"),
    "device-minor-huge": (device(minor=1 << 20),
                          r"linux\.devices\[0\]: minor 1048576 is out of "
                          r"range 0\.\.1048575"),
    "device-mode-2^32": (device(fileMode=U32),
                         r"\.linux\.devices\[0\]\.fileMode: integer out of "
                         r"range"),

    # sysctl
    # the host's own values: harmless should the check ever be missing
    "sysctl-core-pattern": (setp("linux.sysctl", {
        "kernel.core_pattern": _host_sysctl("kernel/core_pattern")}),
        r"linux\.sysctl: `kernel\.core_pattern` is not namespaced"),
    "sysctl-vm": (setp("linux.sysctl",
                       {"vm.swappiness": _host_sysctl("vm/swappiness")}),
                  r"linux\.sysctl: `vm\.swappiness` is not namespaced"),
    "sysctl-dotdot": (setp("linux.sysctl", {"net/../../kernel/x": "1"}),
                      r"linux\.sysctl: invalid name `net/\.\./\.\./kernel/x`"),
    "sysctl-net-host-netns": (both(
        setp("linux.sysctl", {"net.ipv4.ip_forward":
                              _host_sysctl("net/ipv4/ip_forward")}),
        setp("linux.namespaces", [{"type": t} for t in
                                  ("pid", "ipc", "uts", "mount")])),
        r"linux\.sysctl: `net\.ipv4\.ip_forward` needs a network namespace"),
    "sysctl-ipc-host-ipcns": (both(
        setp("linux.sysctl", {"kernel.shmmax":
                              _host_sysctl("kernel/shmmax")}),
        setp("linux.namespaces", [{"type": t} for t in
                                  ("pid", "network", "uts", "mount")])),
        r"linux\.sysctl: `kernel\.shmmax` needs an ipc namespace"),

    # hooks
    "hook-relative": (hook("prestart", path="bin/true"),
                      r"hooks\.prestart\[0\]: path `bin/true` is not "
                      r"absolute"),
    "hook-empty-path": (hook("poststop", path=""),
                        r"hooks\.poststop\[0\]: path `` is not absolute"),
    "hook-timeout-0": (hook("createRuntime", timeout=0),
                       r"hooks\.createRuntime\[0\]: timeout must be "
                       r"positive"),
    "hook-timeout-2^63": (hook("createRuntime", timeout=1 << 63),
                          r"\.hooks\.createRuntime\[0\]\.timeout: integer "
                          r"out of range"),
}

#: cases also tried with ``run``
RUN_TOO = ["args-string", "no-cwd", "ociVersion-2", "namespace-duplicate",
           "mount-dotdot", "mapping-container-wraps", "sysctl-core-pattern",
           "hostname-16MiB", "deep-100k", "seccomp-unknown-action",
           "device-major-huge"]


def _write_case(bundle, patch):
    if getattr(patch, "raw", False):
        text = json.dumps(bundle.config, indent=2)
        bundle.write_raw("")
        bundle.config_path.write_bytes(patch(text))
    else:
        patch(bundle.config)
        bundle.write()


@pytest.fixture(scope="module")
def one_bundle(session_base):
    """One bundle for the whole table: only its config changes."""
    base, template = session_base
    return Bundle(base / f"hostile-{uuid.uuid4().hex[:8]}", template)


@pytest.fixture
def fresh(one_bundle):
    one_bundle.config = default_config()
    one_bundle.sh("exit 0")
    return one_bundle


#: yajl grows an array or a map by one element per realloc, which ASan's
#: allocator always moves: parsing these takes minutes under ASan.
QUADRATIC_UNDER_ASAN = {"args-1M", "annotations-many"}


def _cases(names):
    return [pytest.param(n, marks=not_sanitized("quadratic parse")) if n in QUADRATIC_UNDER_ASAN
            else n for n in names]


@pytest.mark.parametrize("case", _cases(sorted(ERRORS)))
def test_hostile_config(rt, fresh, case):
    _check(rt, fresh, case, "create")


@pytest.mark.parametrize("case", _cases(RUN_TOO))
def test_hostile_config_run(rt, fresh, case):
    _check(rt, fresh, case, "run")


def _check(rt, bundle, case, command):
    patch, expected = ERRORS[case]
    _write_case(bundle, patch)
    cid = unique_id()
    rt.ids.add(cid)
    snap = HostSnapshot(rt)
    res = rt(command, "--bundle", bundle.path, cid, timeout=60)
    assert res.rc != 0, res
    lines = res.err_lines
    assert len(lines) == 1, f"expected one error line, got {lines[:5]!r}"
    assert len(lines[0]) < 1000, f"error line of {len(lines[0])} bytes"
    assert re.search(expected, lines[0]), \
        f"{lines[0]!r} does not match {expected!r}"
    snap.assert_clean(ids=[cid])
    assert rt.state_result(cid).rc != 0


# --------------------------------------------------------------------------
# tolerated: the container runs
# --------------------------------------------------------------------------

ACCEPTED = {
    # a name of a newer kernel: warned about, the rest applies
    "unknown-capability": (setp("process.capabilities.bounding",
                                ["CAP_KILL", "CAP_TIME_TRAVEL"]),
                           r"unknown capability `CAP_TIME_TRAVEL` in the "
                           r"bounding set: ignored"),
    # the spec: ignored when terminal is false
    "console-size-without-terminal": (setp("process.consoleSize",
                                           {"height": 70000,
                                            "width": U64 - 1}), None),
    # as runc: profiles name syscalls of newer kernels
    "seccomp-unknown-syscall": (syscall_rule(names=["no_such_syscall",
                                                    "getpid"]), None),
    # relative destinations are deprecated, read as relative to /
    "mount-relative-destination": (addp("mounts", {"destination": "mnt",
                                                   "type": "tmpfs",
                                                   "source": "tmpfs"}), None),
    # unknown fields are for other platforms and later versions
    "unknown-fields": (both(setp("windows", {"layerFolders": ["x"]}),
                            setp("process.futureField", [1, {"a": None}])),
                       None),
    "ociVersion-1.99": (setp("ociVersion", "1.99.0"), None),
    "uid-2^32-1": (setp("process.user.uid", U32 - 2), None),
    "annotations-many": (setp("annotations", {f"k{i}": "v" * 100
                                              for i in range(100000)}),
                         None),
}


@pytest.mark.parametrize("case", _cases(sorted(ACCEPTED)))
def test_tolerated_config(rt, fresh, case):
    patch, warning = ACCEPTED[case]
    bundle = fresh
    _write_case(bundle, patch)
    res = rt.run(unique_id(), bundle, timeout=60)
    assert res.rc == 0, res
    if warning:
        assert any(re.search(warning, ln) for ln in res.err_lines), res
    else:
        assert res.err_lines == [], res
