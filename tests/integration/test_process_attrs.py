"""Scheduling, I/O priority, CPU affinity, personality and NUMA memory
policy of the container's processes (runtime-spec 1.1-1.3), each checked
from the host; and the umask as the host sees it."""

import json
import os
import subprocess

import pytest

from lib.host import HostSnapshot
from lib.hostproc import proc_status
from lib.procs import proc_cmdline
from lib.runtime import assert_single_line_error, create_running, run_output, runc_diff, unique_id
from lib.waiting import wait_for
from lib.kernel import mempolicy_unsupported, older_than

SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = \
    0, 1, 2, 3, 5, 6

# Real-time tasks need a share of real-time runtime in their cpu cgroup
# when the kernel has RT group scheduling; a new cgroup has none.
RT_GROUP_SCHED = os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us")
RT_RESOURCES = {"realtimePeriod": 1000000, "realtimeRuntime": 20000}

HAS_UCLAMP = os.path.exists("/proc/sys/kernel/sched_util_clamp_min")

# runc 1.1 knows none of these fields and ignores them
runc_no_scheduler = runc_diff("runc 1.1 ignores process.scheduler")
runc_no_ioprio = runc_diff("runc 1.1 ignores process.ioPriority")
runc_no_affinity = runc_diff("runc 1.1 ignores process.execCPUAffinity")
runc_no_personality = runc_diff("runc 1.1 ignores linux.personality")
runc_no_mempolicy = runc_diff("runc 1.1 ignores linux.memoryPolicy")
runc_no_checks = runc_diff("runc 1.1 does not check these fields")


def host_cpus():
    with open("/sys/devices/system/cpu/online") as f:
        return f.read().strip()


def numa_nodes():
    with open("/sys/devices/system/node/online") as f:
        return f.read().strip()


def started(rt, bundle, cid=None):
    """A created and started container whose init has exec'd sleep."""
    cid, pid = create_running(rt, bundle, cid=cid, script="exec sleep 30")
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec of sleep")
    return cid, pid


def exec_detached(rt, cid, env, process):
    """exec --process with a process.json; returns the pid once it runs
    sleep."""
    path = env.base / f"process-{unique_id()}.json"
    path.write_text(json.dumps(process))
    pidfile = env.base / f"exec-{unique_id()}.pid"
    res = rt("exec", "--detach", "--pid-file", pidfile, "--process", path, cid)
    assert res.rc == 0, res
    pid = int(pidfile.read_text())
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec'd sleep")
    return pid


def exec_attempt(rt, cid, env, process):
    """exec --process expected to fail; returns the Result."""
    path = env.base / f"process-{unique_id()}.json"
    path.write_text(json.dumps(process))
    snap = HostSnapshot(rt)
    res = rt("exec", "--process", path, cid)
    assert res.rc != 0, res
    snap.assert_clean()
    return res


def exec_process(bundle, **fields):
    """The container's process for exec, running sleep, with FIELDS."""
    proc = json.loads(json.dumps(bundle.process))
    proc["args"] = ["sleep", "30"]
    proc.update(fields)
    return proc


def create_fails(rt, bundle, command="create"):
    """create (or run) that must fail and leave nothing behind."""
    cid = unique_id()
    rt.ids.add(cid)
    bundle.sh("exit 0")
    bundle.write()
    snap = HostSnapshot(rt)
    res = rt(command, "--bundle", bundle.path, cid)
    assert res.rc != 0, res
    snap.assert_clean(ids=[cid])
    assert rt.state_result(cid).rc != 0
    return res


def sched_of(pid):
    """(policy, rt_priority, nice) from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    rest = data[data.rindex(")") + 2:].split()
    # rest[i] is field i + 3: nice is 19, rt_priority 40, policy 41
    return int(rest[38]), int(rest[37]), int(rest[16])


def chrt(pid):
    return subprocess.run(["chrt", "-p", str(pid)], stdout=subprocess.PIPE,
                          check=True).stdout.decode()


def ionice(pid):
    return subprocess.run(["ionice", "-p", str(pid)], stdout=subprocess.PIPE,
                          check=True).stdout.decode().strip()


def personality(pid):
    with open(f"/proc/{pid}/personality") as f:
        return int(f.read(), 16)


def task_mempolicies(pid):
    """The policies numa_maps shows: the task's own for every mapping that
    has none of its own, i.e. all of them for a plain program."""
    out = set()
    with open(f"/proc/{pid}/numa_maps") as f:
        for line in f:
            _, rest = line.rstrip("\n").split(" ", 1)
            # "weighted interleave" and "prefer (many)" hold a space
            words = rest.split(" ")
            policy = words[0]
            if policy in ("weighted", "prefer") and len(words) > 1 and \
                    (words[1].startswith("interleave") or words[1].startswith("(many)")):
                policy += " " + words[1]
            out.add(policy)
    return out


# --------------------------------------------------------------------------
# process.scheduler
# --------------------------------------------------------------------------


@runc_no_scheduler
@pytest.mark.parametrize("policy,nice,want", [
    ("SCHED_OTHER", 7, SCHED_OTHER),
    ("SCHED_OTHER", -5, SCHED_OTHER),
    ("SCHED_BATCH", 3, SCHED_BATCH),
    ("SCHED_IDLE", 0, SCHED_IDLE),
])
def test_scheduler_fair_policies(rt, bundle, policy, nice, want):
    bundle.process["scheduler"] = {"policy": policy, "nice": nice}
    cid, pid = started(rt, bundle)
    assert sched_of(pid) == (want, 0, nice)
    assert f"policy: {policy}" in chrt(pid)


def test_scheduler_absent_leaves_the_runtimes(rt, bundle):
    cid, pid = started(rt, bundle)
    assert sched_of(pid) == sched_of(os.getpid())


@runc_no_scheduler
def test_scheduler_reset_on_fork(rt, bundle):
    bundle.process["scheduler"] = {"policy": "SCHED_BATCH", "nice": 2,
                                   "flags": ["SCHED_FLAG_RESET_ON_FORK"]}
    cid, pid = started(rt, bundle)
    assert sched_of(pid) == (SCHED_BATCH, 0, 2)
    assert "SCHED_BATCH|SCHED_RESET_ON_FORK" in chrt(pid)


@runc_no_scheduler
@pytest.mark.parametrize("policy,want", [("SCHED_FIFO", SCHED_FIFO),
                                         ("SCHED_RR", SCHED_RR)])
def test_scheduler_realtime(rt, bundle, policy, want):
    bundle.process["scheduler"] = {"policy": policy, "priority": 10}
    if RT_GROUP_SCHED:
        bundle.linux.setdefault("resources", {})["cpu"] = dict(RT_RESOURCES)
    cid, pid = started(rt, bundle)
    assert sched_of(pid) == (want, 10, 0)
    out = chrt(pid)
    assert f"policy: {policy}" in out and "priority: 10" in out


@runc_no_scheduler
def test_scheduler_realtime_without_cgroup_namespace(rt, bundle):
    # the process is in its cgroup before it asks for the policy
    bundle.remove_namespace("cgroup")
    bundle.process["scheduler"] = {"policy": "SCHED_FIFO", "priority": 20}
    if RT_GROUP_SCHED:
        bundle.linux.setdefault("resources", {})["cpu"] = dict(RT_RESOURCES)
    cid, pid = started(rt, bundle)
    assert sched_of(pid) == (SCHED_FIFO, 20, 0)


@runc_no_scheduler
@pytest.mark.skipif(not RT_GROUP_SCHED, reason="no RT group scheduling")
@pytest.mark.parametrize("cgroupns", [True, False])
def test_scheduler_realtime_without_rt_runtime_fails(rt, bundle, cgroupns):
    # a new cgroup has no real-time runtime: the kernel refuses the policy
    if not cgroupns:
        bundle.remove_namespace("cgroup")
    bundle.process["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
    res = create_fails(rt, bundle)
    assert_single_line_error(res, "process.scheduler", "SCHED_FIFO",
                             "Operation not permitted", "realtimeRuntime")


@runc_no_scheduler
@pytest.mark.skipif(not RT_GROUP_SCHED, reason="no RT group scheduling")
def test_scheduler_exec_realtime_without_rt_runtime_fails(rt, bundle, env):
    cid, _ = started(rt, bundle)
    for _ in range(3):
        res = exec_attempt(rt, cid, env, exec_process(
            bundle, scheduler={"policy": "SCHED_RR", "priority": 1}))
        assert_single_line_error(res, "process.scheduler", "SCHED_RR",
                                 "Operation not permitted", "realtimeRuntime")


@runc_no_scheduler
def test_scheduler_deadline(rt, bundle):
    bundle.process["scheduler"] = {"policy": "SCHED_DEADLINE",
                                   "runtime": 10000000, "deadline": 50000000,
                                   "period": 100000000}
    cid, pid = started(rt, bundle)
    assert sched_of(pid)[0] == SCHED_DEADLINE
    out = chrt(pid)
    assert "SCHED_DEADLINE" in out
    assert "10000000/50000000/100000000" in out


@runc_no_scheduler
def test_scheduler_deadline_below_the_kernels_minimum(rt, bundle):
    bundle.process["scheduler"] = {"policy": "SCHED_DEADLINE",
                                   "runtime": 100, "deadline": 1000}
    res = create_fails(rt, bundle)
    assert_single_line_error(res, "process.scheduler", "SCHED_DEADLINE",
                             "runtime 100", "Invalid argument")


@runc_no_scheduler
def test_scheduler_iso_is_refused_by_the_kernel(rt, bundle):
    # SCHED_ISO is in the spec but was never merged into Linux
    bundle.process["scheduler"] = {"policy": "SCHED_ISO"}
    res = create_fails(rt, bundle)
    assert_single_line_error(res, "process.scheduler", "SCHED_ISO",
                             "Invalid argument")


@runc_no_scheduler
def test_scheduler_util_clamp(rt, bundle):
    bundle.process["scheduler"] = {"policy": "SCHED_OTHER",
                                   "flags": ["SCHED_FLAG_UTIL_CLAMP_MIN",
                                             "SCHED_FLAG_UTIL_CLAMP_MAX"]}
    if HAS_UCLAMP:
        cid, pid = started(rt, bundle)
        assert sched_of(pid) == (SCHED_OTHER, 0, 0)
    else:
        res = create_fails(rt, bundle)
        assert_single_line_error(res, "process.scheduler",
                                 "Operation not supported")


@runc_no_scheduler
def test_scheduler_exec(rt, bundle, env):
    cid, init = started(rt, bundle)
    pid = exec_detached(rt, cid, env, exec_process(
        bundle, scheduler={"policy": "SCHED_BATCH", "nice": 4}))
    assert sched_of(pid) == (SCHED_BATCH, 0, 4)
    assert sched_of(init) == sched_of(os.getpid())
    os.kill(pid, 9)


@runc_no_scheduler
def test_scheduler_exec_realtime(rt, bundle, env):
    if RT_GROUP_SCHED:
        bundle.linux.setdefault("resources", {})["cpu"] = dict(RT_RESOURCES)
    cid, init = started(rt, bundle)
    pid = exec_detached(rt, cid, env, exec_process(
        bundle, scheduler={"policy": "SCHED_RR", "priority": 3}))
    assert sched_of(pid) == (SCHED_RR, 3, 0)
    os.kill(pid, 9)


# --------------------------------------------------------------------------
# process.ioPriority
# --------------------------------------------------------------------------


@runc_no_ioprio
@pytest.mark.parametrize("cls,prio,want", [
    ("IOPRIO_CLASS_BE", 4, "best-effort: prio 4"),
    ("IOPRIO_CLASS_BE", 0, "best-effort: prio 0"),
    ("IOPRIO_CLASS_RT", 3, "realtime: prio 3"),
    ("IOPRIO_CLASS_IDLE", 7, "idle"),
])
def test_io_priority(rt, bundle, cls, prio, want):
    bundle.process["ioPriority"] = {"class": cls, "priority": prio}
    cid, pid = started(rt, bundle)
    assert ionice(pid) == want


@runc_no_ioprio
def test_io_priority_exec(rt, bundle, env):
    bundle.process["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    cid, init = started(rt, bundle)
    pid = exec_detached(rt, cid, env, exec_process(
        bundle, ioPriority={"class": "IOPRIO_CLASS_IDLE", "priority": 0}))
    assert ionice(pid) == "idle"
    assert ionice(init) == "best-effort: prio 6"
    os.kill(pid, 9)


# --------------------------------------------------------------------------
# process.execCPUAffinity
# --------------------------------------------------------------------------

needs_two_cpus = pytest.mark.skipif(os.cpu_count() < 2, reason="needs 2 CPUs")
# The user's affinity outlives a move into a cpuset since Linux 6.2; before,
# the move resets it to the cgroup's CPUs.
keeps_affinity = pytest.mark.skipif(
    older_than(6, 2), reason="before Linux 6.2 a cgroup move resets the CPU affinity")


@needs_two_cpus
def test_exec_cpu_affinity_not_for_init(rt, bundle):
    # "This setting is not applicable to the container's init process."
    bundle.process["execCPUAffinity"] = {"initial": "1", "final": "1"}
    cid, pid = started(rt, bundle)
    assert proc_status(pid)["Cpus_allowed_list"] == \
        proc_status(os.getpid())["Cpus_allowed_list"]


@runc_no_affinity
@needs_two_cpus
def test_exec_cpu_affinity_final_from_config(rt, bundle, env):
    # exec without --process runs the config's process, with its affinity
    bundle.process["execCPUAffinity"] = {"final": "1"}
    cid, init = started(rt, bundle)
    pidfile = env.base / "exec.pid"
    res = rt("exec", "--detach", "--pid-file", pidfile, cid, "sleep", "30")
    assert res.rc == 0, res
    pid = int(pidfile.read_text())
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "30"], what="exec'd sleep")
    assert proc_status(pid)["Cpus_allowed_list"] == "1"
    assert proc_status(init)["Cpus_allowed_list"] == host_cpus()
    os.kill(pid, 9)


@needs_two_cpus
@pytest.mark.parametrize("affinity,want", [
    pytest.param({"final": "0"}, "0", marks=runc_no_affinity),
    pytest.param({"initial": "1", "final": "0"}, "0", marks=runc_no_affinity),
    ({"initial": "0", "final": "0-1"}, "0-1"),
    pytest.param({"initial": "0,1", "final": "1"}, "1", marks=runc_no_affinity),
    # no final: the kernel keeps what was asked for across the cgroup move
    pytest.param({"initial": "1"}, "1", marks=[runc_no_affinity, keeps_affinity]),
    pytest.param({"initial": "1", "final": ""}, "1", marks=[runc_no_affinity, keeps_affinity]),
])
def test_exec_cpu_affinity(rt, bundle, env, affinity, want):
    cid, _ = started(rt, bundle)
    pid = exec_detached(rt, cid, env, exec_process(bundle, execCPUAffinity=affinity))
    assert proc_status(pid)["Cpus_allowed_list"] == want
    os.kill(pid, 9)


@runc_no_affinity
@pytest.mark.parametrize("field", ["initial", "final"])
def test_exec_cpu_affinity_offline_cpu(rt, bundle, env, field):
    cid, _ = started(rt, bundle)
    cpu = str(os.cpu_count() + 4)
    res = exec_attempt(rt, cid, env, exec_process(bundle, execCPUAffinity={field: cpu}))
    assert_single_line_error(res, f"process.execCPUAffinity.{field}", f"`{cpu}`",
                             "Invalid argument")


# --------------------------------------------------------------------------
# linux.personality
# --------------------------------------------------------------------------

PER_LINUX32 = 0x0008


@runc_no_personality
def test_personality_linux32(rt, bundle):
    bundle.linux["personality"] = {"domain": "LINUX32"}
    cid, pid = started(rt, bundle)
    assert personality(pid) == PER_LINUX32


@runc_no_personality
def test_personality_linux32_inside(rt, bundle):
    bundle.linux["personality"] = {"domain": "LINUX32"}
    res = run_output(rt, bundle, "uname -m")
    assert res.rc == 0, res
    assert res.out.strip() in ("i686", "armv8l", "ppc", "s390"), res


def test_personality_linux(rt, bundle):
    bundle.linux["personality"] = {"domain": "LINUX", "flags": []}
    cid, pid = started(rt, bundle)
    assert personality(pid) == 0


@runc_no_personality
def test_personality_exec(rt, bundle, env):
    bundle.linux["personality"] = {"domain": "LINUX32"}
    cid, _ = started(rt, bundle)
    pid = exec_detached(rt, cid, env, exec_process(bundle))
    assert personality(pid) == PER_LINUX32
    res = rt("exec", cid, "uname", "-m")
    assert res.rc == 0 and res.out.strip() == "i686", res
    os.kill(pid, 9)


# --------------------------------------------------------------------------
# linux.memoryPolicy
# --------------------------------------------------------------------------


@runc_no_mempolicy
@pytest.mark.parametrize("policy,want", [
    ({"mode": "MPOL_BIND", "nodes": "0"}, "bind:0"),
    ({"mode": "MPOL_INTERLEAVE", "nodes": "0"}, "interleave:0"),
    ({"mode": "MPOL_PREFERRED", "nodes": "0"}, "prefer:0"),
    # preferred without nodes is local allocation
    ({"mode": "MPOL_PREFERRED"}, "local"),
    ({"mode": "MPOL_LOCAL"}, "local"),
    ({"mode": "MPOL_PREFERRED_MANY", "nodes": "0"}, "prefer (many):0"),
    ({"mode": "MPOL_WEIGHTED_INTERLEAVE", "nodes": "0"}, "weighted interleave:0"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]},
     "bind=static:0"),
    ({"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_RELATIVE_NODES"]},
     "interleave=relative:0"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING"]},
     "bind=balancing:0"),
])
def test_memory_policy(rt, bundle, policy, want):
    reason = mempolicy_unsupported(policy["mode"], tuple(policy.get("flags", ())))
    if reason:
        pytest.skip(reason)
    bundle.linux["memoryPolicy"] = policy
    cid, pid = started(rt, bundle)
    assert task_mempolicies(pid) == {want}


@pytest.mark.parametrize("policy", [None, {"mode": "MPOL_DEFAULT"}])
def test_memory_policy_default(rt, bundle, policy):
    if policy:
        bundle.linux["memoryPolicy"] = policy
    cid, pid = started(rt, bundle)
    assert task_mempolicies(pid) == {"default"}


@runc_no_mempolicy
def test_memory_policy_exec(rt, bundle, env):
    bundle.linux["memoryPolicy"] = {"mode": "MPOL_INTERLEAVE", "nodes": "0"}
    cid, _ = started(rt, bundle)
    pid = exec_detached(rt, cid, env, exec_process(bundle))
    assert task_mempolicies(pid) == {"interleave:0"}
    os.kill(pid, 9)


@pytest.mark.parametrize("mode,flags", [
    ("MPOL_PREFERRED_MANY", ()), ("MPOL_WEIGHTED_INTERLEAVE", ()),
    ("MPOL_BIND", ("MPOL_F_NUMA_BALANCING",)),
])
def test_memory_policy_newer_than_the_kernel_fails_clearly(rt, bundle, mode, flags):
    """On a kernel without the mode or flag, create names it as what the
    kernel does not support."""
    if not mempolicy_unsupported(mode, flags):
        pytest.skip(f"this kernel supports {mode} {' '.join(flags)}")
    bundle.linux["memoryPolicy"] = {"mode": mode, "nodes": "0", "flags": list(flags)}
    res = create_fails(rt, bundle)
    missing = flags[0] if flags else mode
    assert_single_line_error(res, "linux.memoryPolicy",
                             f"this kernel does not support {missing}")


@runc_no_mempolicy
def test_memory_policy_node_without_memory(rt, bundle):
    # a node this machine does not have: the kernel refuses the policy
    missing = int(numa_nodes().split(",")[-1].split("-")[-1]) + 1
    bundle.linux["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": str(missing)}
    res = create_fails(rt, bundle)
    assert_single_line_error(res, "linux.memoryPolicy", "MPOL_BIND",
                             "Invalid argument")


# --------------------------------------------------------------------------
# in a user namespace: only what needs no privilege on the host
# --------------------------------------------------------------------------


def in_user_namespace(bundle):
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = [
        {"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.linux["gidMappings"] = [
        {"containerID": 0, "hostID": 100000, "size": 65536}]
    return bundle


@runc_no_scheduler
def test_user_namespace_lower_priority(rt, bundle):
    in_user_namespace(bundle)
    bundle.process["scheduler"] = {"policy": "SCHED_BATCH", "nice": 5}
    bundle.process["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 7}
    bundle.linux["personality"] = {"domain": "LINUX32"}
    bundle.linux["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0"}
    cid, pid = started(rt, bundle)
    assert sched_of(pid) == (SCHED_BATCH, 0, 5)
    assert ionice(pid) == "best-effort: prio 7"
    assert personality(pid) == PER_LINUX32
    assert task_mempolicies(pid) == {"bind:0"}


@runc_no_checks
@pytest.mark.parametrize("field,value,mentions", [
    ("scheduler", {"policy": "SCHED_OTHER", "nice": -5},
     ["process.scheduler", "nice -5", "Operation not permitted", "negative nice"]),
    ("scheduler", {"policy": "SCHED_FIFO", "priority": 5},
     ["process.scheduler", "SCHED_FIFO", "Operation not permitted", "CAP_SYS_NICE"]),
    ("scheduler", {"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000},
     ["process.scheduler", "SCHED_DEADLINE", "Operation not permitted", "CAP_SYS_NICE"]),
    ("ioPriority", {"class": "IOPRIO_CLASS_RT", "priority": 1},
     ["process.ioPriority", "IOPRIO_CLASS_RT", "Operation not permitted", "CAP_SYS_NICE"]),
])
def test_user_namespace_raising_priority_fails(rt, bundle, field, value, mentions):
    # CAP_SYS_NICE counts only in the host's user namespace
    in_user_namespace(bundle)
    if RT_GROUP_SCHED:
        bundle.linux.setdefault("resources", {})["cpu"] = dict(RT_RESOURCES)
    bundle.process[field] = value
    res = create_fails(rt, bundle)
    assert_single_line_error(res, *mentions)


# --------------------------------------------------------------------------
# process.user.umask as the host sees it
# --------------------------------------------------------------------------


@pytest.mark.parametrize("umask,want", [(0o027, "0027"), (0, "0000"),
                                        (None, "0022")])
def test_umask_from_host(rt, bundle, umask, want):
    if umask is not None:
        bundle.process["user"]["umask"] = umask
    cid, pid = started(rt, bundle)
    assert proc_status(pid)["Umask"] == want


# --------------------------------------------------------------------------
# invalid values: one error line naming the field, nothing left behind
# --------------------------------------------------------------------------

BAD_PROCESS = [
    ("scheduler", {"policy": "SCHED_FOO"}, ["process.scheduler.policy", "SCHED_FOO"]),
    ("scheduler", {"nice": 3}, [".process.scheduler", "policy"]),
    ("scheduler", {"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_FOO"]},
     ["process.scheduler.flags", "SCHED_FLAG_FOO"]),
    ("scheduler", {"policy": "SCHED_OTHER", "nice": 20}, ["process.scheduler.nice", "20"]),
    ("scheduler", {"policy": "SCHED_OTHER", "nice": -21}, ["process.scheduler.nice", "-21"]),
    ("scheduler", {"policy": "SCHED_FIFO"}, ["process.scheduler.priority", "0", "SCHED_FIFO"]),
    ("scheduler", {"policy": "SCHED_RR", "priority": 100},
     ["process.scheduler.priority", "100", "SCHED_RR"]),
    ("scheduler", {"policy": "SCHED_OTHER", "priority": 5},
     ["process.scheduler.priority", "5", "SCHED_OTHER"]),
    ("scheduler", {"policy": "SCHED_DEADLINE", "runtime": 20, "deadline": 10},
     ["process.scheduler", "SCHED_DEADLINE", "20, 10"]),
    ("scheduler", {"policy": "SCHED_DEADLINE"}, ["process.scheduler", "SCHED_DEADLINE"]),
    ("scheduler", {"policy": "SCHED_BATCH", "period": 1000},
     ["process.scheduler", "period", "SCHED_BATCH"]),
    ("ioPriority", {"class": "IOPRIO_CLASS_FOO", "priority": 1},
     ["process.ioPriority.class", "IOPRIO_CLASS_FOO"]),
    ("ioPriority", {"priority": 1}, [".process.ioPriority", "class"]),
    ("ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": 8},
     ["process.ioPriority.priority", "8"]),
    ("ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": -1},
     ["process.ioPriority.priority", "-1"]),
    ("execCPUAffinity", {"initial": "0-"}, ["process.execCPUAffinity.initial", "`0-`"]),
    ("execCPUAffinity", {"final": "1-0"}, ["process.execCPUAffinity.final", "`1-0`"]),
    ("execCPUAffinity", {"final": "0,,1"}, ["process.execCPUAffinity.final", "`0,,1`"]),
    ("execCPUAffinity", {"final": " 0"}, ["process.execCPUAffinity.final", "` 0`"]),
    ("execCPUAffinity", {"initial": "x"}, ["process.execCPUAffinity.initial", "`x`"]),
    ("execCPUAffinity", {"initial": "99999999"},
     ["process.execCPUAffinity.initial", "`99999999`"]),
]


@runc_no_checks
@pytest.mark.parametrize("field,value,mentions", BAD_PROCESS,
                         ids=[f"{f}-{json.dumps(v)}" for f, v, _ in BAD_PROCESS])
def test_bad_process_field(rt, bundle, field, value, mentions):
    bundle.process[field] = value
    res = create_fails(rt, bundle)
    assert_single_line_error(res, *mentions)


BAD_LINUX = [
    ("personality", {"domain": "LINUX64"}, ["linux.personality.domain", "LINUX64"]),
    ("personality", {"flags": []}, [".linux.personality", "domain"]),
    ("personality", {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]},
     ["linux.personality.flags", "ADDR_NO_RANDOMIZE"]),
    ("memoryPolicy", {"mode": "MPOL_FOO"}, ["linux.memoryPolicy.mode", "MPOL_FOO"]),
    ("memoryPolicy", {"nodes": "0"}, [".linux.memoryPolicy", "mode"]),
    ("memoryPolicy", {"mode": "MPOL_BIND", "nodes": "0-"},
     ["linux.memoryPolicy.nodes", "`0-`"]),
    ("memoryPolicy", {"mode": "MPOL_BIND", "nodes": "4096"},
     ["linux.memoryPolicy.nodes", "`4096`"]),
    ("memoryPolicy", {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_FOO"]},
     ["linux.memoryPolicy.flags", "MPOL_F_FOO"]),
    ("memoryPolicy", {"mode": "MPOL_BIND", "nodes": "0",
                      "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]},
     ["linux.memoryPolicy.flags", "MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]),
    ("memoryPolicy", {"mode": "MPOL_INTERLEAVE", "nodes": "0",
                      "flags": ["MPOL_F_NUMA_BALANCING"]},
     ["linux.memoryPolicy.flags", "MPOL_F_NUMA_BALANCING", "MPOL_INTERLEAVE"]),
    ("memoryPolicy", {"mode": "MPOL_LOCAL", "flags": ["MPOL_F_STATIC_NODES"]},
     ["linux.memoryPolicy.flags", "MPOL_LOCAL"]),
    ("memoryPolicy", {"mode": "MPOL_DEFAULT", "nodes": "0"},
     ["linux.memoryPolicy.nodes", "MPOL_DEFAULT"]),
    ("memoryPolicy", {"mode": "MPOL_LOCAL", "nodes": "0"},
     ["linux.memoryPolicy.nodes", "MPOL_LOCAL"]),
    ("memoryPolicy", {"mode": "MPOL_BIND"}, ["linux.memoryPolicy.nodes", "MPOL_BIND"]),
    ("memoryPolicy", {"mode": "MPOL_INTERLEAVE", "nodes": ""},
     ["linux.memoryPolicy.nodes", "MPOL_INTERLEAVE"]),
]


@runc_no_checks
@pytest.mark.parametrize("field,value,mentions", BAD_LINUX,
                         ids=[f"{f}-{json.dumps(v)}" for f, v, _ in BAD_LINUX])
def test_bad_linux_field(rt, bundle, field, value, mentions):
    bundle.linux[field] = value
    res = create_fails(rt, bundle)
    assert_single_line_error(res, *mentions)


@runc_no_checks
@pytest.mark.parametrize("field,value,mentions", [
    ("scheduler", {"policy": "SCHED_FIFO", "priority": 0}, ["process.scheduler.priority"]),
    ("ioPriority", {"class": "IOPRIO_CLASS_NONE", "priority": 0},
     ["process.ioPriority.class", "IOPRIO_CLASS_NONE"]),
    ("memoryPolicy", {"mode": "MPOL_BIND"}, ["linux.memoryPolicy.nodes"]),
])
def test_bad_field_run(rt, bundle, field, value, mentions):
    (bundle.linux if field == "memoryPolicy" else bundle.process)[field] = value
    res = create_fails(rt, bundle, command="run")
    assert_single_line_error(res, *mentions)


@runc_no_checks
@pytest.mark.parametrize("field,value,mentions", [
    ("scheduler", {"policy": "SCHED_NOPE"}, ["process.scheduler.policy", "SCHED_NOPE"]),
    ("ioPriority", {"class": "IOPRIO_CLASS_BE", "priority": 9},
     ["process.ioPriority.priority", "9"]),
    ("execCPUAffinity", {"final": "0-1-2"}, ["process.execCPUAffinity.final", "`0-1-2`"]),
])
def test_bad_field_exec(rt, bundle, env, field, value, mentions):
    cid, _ = started(rt, bundle)
    res = exec_attempt(rt, cid, env, exec_process(bundle, **{field: value}))
    assert_single_line_error(res, *mentions)
