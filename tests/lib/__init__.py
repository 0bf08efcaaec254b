"""The library every test suite imports (``from lib.runtime import ...``,
with tests/ on sys.path; each suite's conftest.py puts it there):

- ``runtime``: the runtimes under test (``OCIRT``, ``REFERENCE_RUNTIME``),
  ``Runtime`` (one binary on a private state root) and the shared steps
  (``created``, ``create_running``, ``assert_single_line_error``, ...);
- ``bundle``: the busybox rootfs, the default config, ``Bundle``, ``Env``;
- ``host``: mounts, devices, ``HostSnapshot`` (nothing left behind);
- ``cgroups``: the host's cgroups and the suite's own root cgroup;
- ``procs``: the subreaper, zombies, leftovers, /proc of a pid;
- ``waiting``: ``wait_for`` and its kin;
- ``capabilities``: capability numbers and masks;
- ``console``, ``seccomp_agent``: the peers of --console-socket and of
  a seccomp listener;
- ``fixtures``: the bodies of the fixtures the conftest.py files declare;
- ``reliability``: the snapshot of the stress and fault-injection tests;
- ``conformance``, ``clients``: what only those suites use;
- ``hostproc``, ``kernel``: /proc/<pid>/status, xfail markers by
  parameter, and what the running kernel can do.
- ``criu``: CRIU's binary and whether it works here (``criu check``);
- ``systemd``: systemd as PID 1, its units and their cgroups.

The conftest.py files hold only fixtures and hooks."""
