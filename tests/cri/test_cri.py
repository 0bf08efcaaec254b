"""Kubernetes' path to a runtime: the CRI served by containerd's CRI plugin,
the runc v2 shim, and the runtime as its BinaryName.  Every scenario runs
with the handler ``ocirt`` and with ``runc``; at its end the ``pods``
fixture removes its pods and fails it if anything is left (cgroups, runtime
state, mounts, processes) or if another runtime made its sandboxes."""

import ipaddress
import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from lib.capabilities import CAPS
from lib.clients import SECCOMP_NO_MKDIR, cgroup_dir, sh, wait_for
from lib.hostproc import proc_status
from crilib import SUBNET, Stream, pb

MiB = 1024 * 1024


def ns_of(pid, ns):
    return os.readlink(f"/proc/{pid}/ns/{ns}")


def host_cgroup(pid, controller):
    """pid's cgroup path (relative to its hierarchy) for a v1 controller,
    or the v2 path."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    for _, ctrls, path in lines:
        if controller in ctrls.split(","):
            return path
    return next(path for _, ctrls, path in lines if not ctrls)


def stop_as_the_kubelet(pod):
    """StopPodSandbox, once more when containerd lost its connection to the
    shim under the call ("ttrpc: closed": containerd's own race between a
    container's exit and its stop, seen with runc too; the kubelet retries
    a failed stop)."""
    try:
        pod.stop()
    except grpc.RpcError as e:
        if "ttrpc: closed" not in str(e.details()):
            raise
        pod.stop()


def test_pod_with_two_containers_sharing_its_namespaces(pods, handler):
    pod = pods("two", pid_mode=pb.POD)
    a = pod.run("a", "sleep 1000")
    b = pod.run("b", "sleep 2000")
    pause, pa, pb_ = pod.sandbox_pid(), pod.pid(a), pod.pid(b)
    for ns in ("net", "ipc", "uts", "pid"):
        assert ns_of(pa, ns) == ns_of(pause, ns) == ns_of(pb_, ns), ns
    for ns in ("mnt",):
        assert len({ns_of(p, ns) for p in (pause, pa, pb_)}) == 3, ns
    assert ns_of(pa, "net") != ns_of(os.getpid(), "net")
    # the pod's /dev/shm is one
    pod.sh(a, "echo shared > /dev/shm/f")
    assert pod.sh(b, "cat /dev/shm/f") == "shared\n"
    # one pid namespace: b sees the pause process and a's sleep
    ps = pod.sh(b, "ps -o pid,args")
    assert "sleep inf" in ps and "sleep 1000" in ps, ps
    assert re.search(r"^\s*1\s+/bin/sleep inf", ps, re.M), ps
    # the pod's address, from the lane's subnet, seen inside
    ip = pod.sandbox_status().network.ip
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(SUBNET)
    assert f"inet {ip}/" in pod.sh(a, "ip -4 addr show eth0")
    # each container in its own cgroup below the pod's cgroup_parent
    for cid, pid in ((a, pa), (b, pb_)):
        assert host_cgroup(pid, "memory") == f"{pod.cgroup_parent}/{cid}"
    assert host_cgroup(pause, "memory") == f"{pod.cgroup_parent}/{pod.id}"
    pod.stop()
    assert pod.sandbox_status().state == pb.SANDBOX_NOTREADY
    for cid in (a, b):
        assert pod.state(cid) == pb.CONTAINER_EXITED
    pod.remove()


def test_dns_and_hostname_from_the_cri(pods, handler):
    dns = pb.DNSConfig(servers=["127.0.0.53"], searches=["ocirt.test", "example.test"],
                       options=["ndots:2"])
    pod = pods("dns", hostname="web-0", dns=dns)
    c = pod.run("c", "sleep inf")
    assert pod.sh(c, "hostname").strip() == "web-0"
    assert pod.sh(c, "cat /etc/hostname").strip() == "web-0"
    resolv = pod.sh(c, "cat /etc/resolv.conf")
    assert "nameserver 127.0.0.53" in resolv, resolv
    assert re.search(r"^search ocirt\.test example\.test$", resolv, re.M), resolv
    assert re.search(r"^options ndots:2$", resolv, re.M), resolv


def test_exec_sync(pods, handler):
    pod = pods("exec")
    c = pod.run("c", "sleep inf", envs={"GREETING": "hello"})
    r = pod.exec_sync(c, "/bin/sh", "-c", 'echo "$GREETING out"; echo err >&2; exit 3')
    assert (r.exit_code, r.stdout, r.stderr) == (3, b"hello out\n", b"err\n")
    r = pod.exec_sync(c, "/bin/sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
    assert r.stdout == b"sleep inf "
    # an exec runs in the container's namespaces and cgroup
    pid = pod.pid(c)
    r = pod.exec_sync(c, "/bin/sh", "-c", "readlink /proc/self/ns/mnt; readlink /proc/self/ns/net")
    assert r.stdout.decode().split() == [ns_of(pid, "mnt"), ns_of(pid, "net")]
    r = pod.exec_sync(c, "/bin/sh", "-c", "cat /proc/self/cgroup")
    assert f"memory:{pod.cgroup_parent}/{c}" in r.stdout.decode()


def test_exec_streaming(lane, pods, handler):
    pod = pods("stream")
    c = pod.run("c", "sleep inf")
    url = lane.rt.Exec(pb.ExecRequest(
        container_id=c, cmd=["/bin/sh", "-c", "echo out; echo err >&2; exit 5"],
        stdout=True, stderr=True)).url
    s = Stream(url)
    assert s.wait_end() == 5
    assert (s.out[1], s.out[2]) == (b"out\n", b"err\n")
    s.close()


def test_exec_streaming_with_a_tty(lane, pods, handler):
    pod = pods("tty")
    c = pod.run("c", "sleep inf")
    url = lane.rt.Exec(pb.ExecRequest(container_id=c, cmd=["/bin/sh"], tty=True,
                                      stdin=True, stdout=True)).url
    s = Stream(url)
    s.resize(101, 33)
    s.send("tty; stty size; exit 4\n")
    assert s.wait_end() == 4
    out = s.out[1].decode()
    assert re.search(r"/dev/pts/\d+", out), out
    assert "33 101" in out, out
    s.close()


def test_attach_then_stop_the_pod(lane, pods, handler):
    pod = pods("attach")
    c = pod.run("c", 'echo ready; while read l; do echo "got:$l"; done', stdin=True)
    wait_for(lambda: "ready" in (pod.log_dir / "c" / "0.log").read_text(),
             what="the container's first line")
    url = lane.rt.Attach(pb.AttachRequest(container_id=c, stdin=True, stdout=True,
                                          stderr=True)).url
    s = Stream(url)
    s.send("hello\n")
    assert s.read_until(lambda s: b"got:hello" in s.out[1]), s.out
    s.close()
    assert ("stdout", "F", "got:hello") in [x[1:] for x in pod.log_lines(c)]
    pod.stop()
    pod.remove()


def test_stop_the_pod_right_after_an_attach_with_stdin_once(lane, pods, handler):
    pod = pods("attach-once")
    c = pod.run("c", 'while read l; do echo "got:$l"; done; echo eof', stdin=True,
                stdin_once=True)
    url = lane.rt.Attach(pb.AttachRequest(container_id=c, stdin=True, stdout=True,
                                          stderr=True)).url
    s = Stream(url)
    s.send("hello\n")
    assert s.read_until(lambda s: b"got:hello" in s.out[1]), s.out
    s.close()
    # the container sees the end of its stdin and exits: the kubelet's
    # pod stop comes at once
    stop_as_the_kubelet(pod)
    pod.remove()


def test_tty_container_attach_resize_and_logs(lane, pods, handler):
    pod = pods("tty-attach")
    c = pod.run("c", 'echo ready; while read l; do echo "got:$l"; stty size; done',
                tty=True, stdin=True)
    wait_for(lambda: "ready" in (pod.log_dir / "c" / "0.log").read_text(),
             what="the container's first line")
    url = lane.rt.Attach(pb.AttachRequest(container_id=c, stdin=True, tty=True,
                                          stdout=True)).url
    s = Stream(url)
    s.resize(120, 40)
    time.sleep(0.5)
    s.send("x\n")
    assert s.read_until(lambda s: b"40 120" in s.out[1]), s.out
    assert b"got:x" in s.out[1]
    s.close()
    # a terminal has one stream: the log has stdout only, \r\n ended
    lines = pod.log_lines(c)
    assert {x[1] for x in lines} == {"stdout"}
    assert "got:x" in [x[3].rstrip("\r") for x in lines], lines


def test_logs_in_the_cri_format(pods, handler):
    pod = pods("logs")
    c = pod.run("c", "echo out1; echo err1 >&2; head -c 20000 /dev/zero | tr '\\0' x; "
                     "echo; echo out2")
    st = pod.wait_exited(c)
    assert st.exit_code == 0
    assert st.log_path == str(pod.log_dir / "c" / "0.log")
    lines = pod.log_lines(c)
    for ts, stream, tag, _ in lines:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", ts), ts
        assert stream in ("stdout", "stderr") and tag in ("P", "F")
    out = [(tag, text) for _, stream, tag, text in lines if stream == "stdout"]
    err = [(tag, text) for _, stream, tag, text in lines if stream == "stderr"]
    assert err == [("F", "err1")]
    assert out[0] == ("F", "out1") and out[-1] == ("F", "out2")
    # a line longer than containerd's max_container_log_line_size (16 KiB)
    # comes in partial chunks ended by a full one
    long = out[1:-1]
    assert [t for t, _ in long[:-1]] == ["P"] * (len(long) - 1) and long[-1][0] == "F"
    assert "".join(x for _, x in long) == "x" * 20000


def test_container_stats(lane, pods, handler):
    pod = pods("stats")
    c = pod.run("c", "x=$(head -c 4000000 /dev/zero | tr '\\0' a); sleep inf")
    pid = pod.pid(c)
    d, _ = cgroup_dir(pid, "memory")

    def stats():
        s = lane.rt.ContainerStats(pb.ContainerStatsRequest(container_id=c)).stats
        return s if s.memory.working_set_bytes.value > 1 * MiB else None
    s = wait_for(stats, timeout=20, what="the container's memory in its stats")
    assert s.attributes.id == c and s.attributes.metadata.name == "c"
    assert s.cpu.usage_core_nano_seconds.value > 0 and s.cpu.timestamp > 0
    usage = int(open(os.path.join(d, "memory.usage_in_bytes")).read()) \
        if os.path.exists(os.path.join(d, "memory.usage_in_bytes")) \
        else int(open(os.path.join(d, "memory.current")).read())
    assert s.memory.usage_bytes.value <= 2 * usage + MiB
    assert s.writable_layer.fs_id.mountpoint


def cgroup_value(pid, controller, v1_file, v2_file):
    d, v = cgroup_dir(pid, controller)
    return open(os.path.join(d, v1_file if v == 1 else v2_file)).read().strip()


def test_update_container_resources(lane, pods, handler):
    pod = pods("update")
    res = pb.LinuxContainerResources(memory_limit_in_bytes=64 * MiB, cpu_period=100000,
                                     cpu_quota=50000, cpu_shares=512)
    c = pod.run("c", "sleep inf", resources=res)
    pid = pod.pid(c)
    assert cgroup_value(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(64 * MiB)
    new = pb.LinuxContainerResources(memory_limit_in_bytes=96 * MiB, cpu_period=100000,
                                     cpu_quota=20000, cpu_shares=256)
    mark = lane.runtimes[handler].mark("cri")
    lane.rt.UpdateContainerResources(pb.UpdateContainerResourcesRequest(
        container_id=c, linux=new))
    assert cgroup_value(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(96 * MiB)
    assert cgroup_value(pid, "cpu", "cpu.cfs_quota_us", "cpu.max").split()[0] == "20000"
    assert cgroup_value(pid, "cpu", "cpu.shares", "cpu.weight") in ("256", "10")
    got = pod.status(c).status.resources.linux
    assert (got.memory_limit_in_bytes, got.cpu_quota, got.cpu_shares) == (96 * MiB, 20000, 256)
    assert any(cmd == "update" and c in args
               for cmd, args, _ in lane.runtimes[handler].calls("cri", mark))
    assert pod.sh(c, "echo alive") == "alive\n"


def test_oom_kill_is_the_exit_reason(pods, handler):
    pod = pods("oom")
    res = pb.LinuxContainerResources(memory_limit_in_bytes=16 * MiB)
    c = pod.run("c", "echo start; exec dd if=/dev/zero of=/dev/null bs=64M count=1",
                resources=res)
    st = pod.wait_exited(c)
    assert (st.reason, st.exit_code) == ("OOMKilled", 137), (st.reason, st.exit_code, st.message)


def test_container_restart_in_the_same_pod(pods, handler):
    pod = pods("restart")
    pause = pod.sandbox_pid()
    first = pod.run("app", "echo first; exit 1")
    st = pod.wait_exited(first)
    assert st.exit_code == 1 and st.reason == "Error"
    second = pod.run("app", "echo second; sleep inf", attempt=1)
    assert second != first
    wait_for(lambda: pod.state(second) == pb.CONTAINER_RUNNING, what="the restarted container")
    assert pod.status(second).status.metadata.attempt == 1
    assert pod.sh(second, "echo alive") == "alive\n"
    assert pod.sandbox_pid() == pause
    assert ns_of(pod.pid(second), "net") == ns_of(pause, "net")
    assert [x[3] for x in pod.log_lines(second)] == ["second"]
    assert [x[3] for x in pod.log_lines(first)] == ["first"]
    pod.lane.rt.RemoveContainer(pb.RemoveContainerRequest(container_id=first))
    ids = [x.id for x in pod.lane.rt.ListContainers(pb.ListContainersRequest(
        filter=pb.ContainerFilter(pod_sandbox_id=pod.id))).containers]
    assert ids == [second]


def test_stop_and_remove_a_pod_right_after_its_containers_exit(pods, handler):
    for i, delay in enumerate((0, 0.02, 0.1)):
        pod = pods(f"short-{i}")
        cs = [pod.run(f"c{j}", "exit 0") for j in range(2)]
        time.sleep(delay)
        stop_as_the_kubelet(pod)
        pod.remove()
        assert not pod.leftovers()
        for cid in cs:
            assert not pod.lane.rt.ListContainers(pb.ListContainersRequest(
                filter=pb.ContainerFilter(id=cid))).containers


def test_seccomp_profile_and_read_only_rootfs(lane, pods, handler):
    profile = lane.dir / "no-mkdir.json"
    profile.write_text(json.dumps(SECCOMP_NO_MKDIR))
    pod = pods("locked", readonly_rootfs=True,
               seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault))
    sec = pb.LinuxContainerSecurityContext(
        readonly_rootfs=True,
        seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.Localhost,
                                   localhost_ref=str(profile)),
        namespace_options=pod.config.linux.security_context.namespace_options)
    c = pod.run("c", "sleep inf", security=sec)
    pid = pod.pid(c)
    assert proc_status(pid)["Seccomp"] == "2"
    assert proc_status(pod.sandbox_pid())["Seccomp"] == "2"
    r = pod.exec_sync(c, "/bin/sh", "-c", "touch /new-file")
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr, r
    r = pod.exec_sync(c, "/bin/sh", "-c", "mkdir /dev/shm/d")
    assert r.exit_code != 0 and b"Operation not permitted" in r.stderr, r
    assert pod.sh(c, "echo ok > /dev/shm/f && cat /dev/shm/f") == "ok\n"
    mounts = pod.sh(c, "cat /proc/self/mountinfo")
    root = next(line for line in mounts.splitlines() if line.split()[4] == "/")
    assert re.search(r"(^|,)ro(,|$)", root.split()[5]), root


def test_security_context_user_groups_capabilities(pods, handler):
    pod = pods("secctx")
    sec = pb.LinuxContainerSecurityContext(
        run_as_user=pb.Int64Value(value=65534), run_as_group=pb.Int64Value(value=65534),
        supplemental_groups=[1234], no_new_privs=True,
        capabilities=pb.Capability(drop_capabilities=["ALL"],
                                   add_capabilities=["NET_BIND_SERVICE"]),
        namespace_options=pod.config.linux.security_context.namespace_options)
    c = pod.run("c", "sleep inf", security=sec)
    st = proc_status(pod.pid(c))
    assert st["Uid"].split()[:2] == ["65534", "65534"]
    assert st["Gid"].split()[:2] == ["65534", "65534"]
    assert "1234" in st["Groups"].split(), st["Groups"]
    assert st["NoNewPrivs"] == "1"
    net_bind = 1 << 10
    assert int(st["CapBnd"], 16) == net_bind, st["CapBnd"]
    # an exec has the container's identity too
    out = pod.sh(c, "id -u; id -g; grep NoNewPrivs /proc/self/status")
    assert out.split()[:2] == ["65534", "65534"] and out.split()[-1] == "1", out


def test_pod_sysctls(pods, handler):
    pod = pods("sysctl", sysctls={"net.ipv4.ip_unprivileged_port_start": "80",
                                  "kernel.shm_rmid_forced": "1"})
    c = pod.run("c", "sleep inf")
    out = pod.sh(c, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start "
                    "/proc/sys/kernel/shm_rmid_forced")
    assert out.split() == ["80", "1"]


def test_host_path_mounts(lane, pods, handler):
    data = lane.dir / f"volume-{handler}"
    data.mkdir()
    conf = lane.dir / f"conf-{handler}"
    conf.write_text("setting=1\n")
    pod = pods("volumes")
    c = pod.run("c", "sleep inf", mounts=[
        pb.Mount(container_path="/data", host_path=str(data)),
        pb.Mount(container_path="/etc/app.conf", host_path=str(conf), readonly=True)])
    pod.sh(c, "echo written > /data/file")
    assert (data / "file").read_text() == "written\n"
    assert pod.sh(c, "cat /etc/app.conf") == "setting=1\n"
    r = pod.exec_sync(c, "/bin/sh", "-c", "echo x > /etc/app.conf")
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr, r


def test_stop_container_with_a_grace_period(pods, handler):
    pod = pods("grace")
    trap = pod.run("trap", "trap 'exit 7' TERM; sleep inf & wait")
    deaf = pod.run("deaf", "sleep inf")  # PID 1 without a handler: SIGTERM is ignored
    time.sleep(0.5)
    t0 = time.monotonic()
    pod.lane.rt.StopContainer(pb.StopContainerRequest(container_id=trap, timeout=20))
    assert time.monotonic() - t0 < 10
    assert pod.status(trap).status.exit_code == 7
    t0 = time.monotonic()
    pod.lane.rt.StopContainer(pb.StopContainerRequest(container_id=deaf, timeout=2))
    assert time.monotonic() - t0 >= 1.5
    st = pod.status(deaf).status
    assert (st.state, st.exit_code) == (pb.CONTAINER_EXITED, 137)


def test_a_command_that_does_not_exist(pods, handler):
    pod = pods("noexec")
    c = pod.create("c", command=["/nonexistent"])
    with pytest.raises(Exception) as e:
        pod.start(c)
    assert "/nonexistent" in str(e.value)
    st = pod.status(c).status
    assert (st.state, st.exit_code, st.reason) == (pb.CONTAINER_EXITED, 128, "StartError"), st
    assert "no such file or directory" in st.message.lower(), st.message


def test_host_namespaces(lane, pods, handler):
    pod = pods("hostns", hostname="", pid_mode=pb.NODE, network=pb.NODE, ipc=pb.NODE)
    c = pod.run("c", "sleep inf")
    pid = pod.pid(c)
    for ns in ("net", "ipc", "pid", "uts"):
        assert ns_of(pid, ns) == ns_of(os.getpid(), ns), ns
    assert ns_of(pid, "mnt") != ns_of(os.getpid(), "mnt")
    # the host's processes (ls may meet one that is gone: its status is
    # not the point)
    r = pod.exec_sync(c, "/bin/sh", "-c", "ls /proc 2>/dev/null; true")
    assert str(os.getpid()) in r.stdout.decode().split()


def test_privileged_container(pods, handler):
    pod = pods("priv", privileged=True)
    sec = pb.LinuxContainerSecurityContext(
        privileged=True,
        namespace_options=pod.config.linux.security_context.namespace_options)
    c = pod.run("c", "sleep inf", security=sec)
    st = proc_status(pod.pid(c))
    assert int(st["CapEff"], 16) == int(proc_status(os.getpid())["CapBnd"], 16)
    assert st["Seccomp"] == "0"
    mounts = pod.sh(c, "cat /proc/self/mountinfo")
    sysfs = next(line for line in mounts.splitlines() if line.split()[4] == "/sys")
    assert re.search(r"(^|,)rw(,|$)", sysfs.split()[5]), sysfs
    # the host's devices, usable: the device cgroup allows them all
    assert pod.sh(c, "test -c /dev/loop-control && echo yes").strip() == "yes"
    d, v = cgroup_dir(pod.pid(c), "devices")
    if v == 1:
        assert open(os.path.join(d, "devices.list")).read().split() == ["a", "*:*", "rwm"]


def test_working_dir_and_a_command_found_in_path(pods, handler):
    pod = pods("cwd")
    c = pod.run("c", "inf", command=["sleep"])
    assert pod.sh(c, "cat /proc/1/cmdline | tr '\\0' ' '") == "sleep inf "
    # a working directory the image lacks is made (as runc does)
    d = pod.run("d", "pwd; sleep inf", working_dir="/work/dir")
    wait_for(lambda: pod.log_lines(d), what="pwd's line")
    assert pod.log_lines(d)[0][3] == "/work/dir"


def test_orphans_of_a_container_in_the_pod_pid_namespace_are_killed(pods, handler):
    pod = pods("orphans", pid_mode=pb.POD)
    c = pod.run("c", "sleep 1234 & echo started; exit 0")
    st = pod.wait_exited(c)
    assert st.exit_code == 0
    # the shim kills what the container left (kill --all): nothing of it
    # is in its cgroup, and its sleep is not in the pod
    other = pod.run("other", "sleep inf")
    wait_for(lambda: "sleep 1234" not in pod.sh(other, "ps -o args"), timeout=10,
             what="the orphan to be killed")
    calls = pod.lane.runtimes[handler].calls("cri")
    assert any(cmd == "kill" and c in args and "--all" in args for cmd, args, _ in calls)


def test_update_the_cpuset_of_a_running_container(lane, pods, handler):
    if os.cpu_count() < 2:
        pytest.skip("one CPU: no cpuset to move to")
    pod = pods("cpuset")
    c = pod.run("c", "sleep inf")
    pid = pod.pid(c)
    lane.rt.UpdateContainerResources(pb.UpdateContainerResourcesRequest(
        container_id=c, linux=pb.LinuxContainerResources(cpuset_cpus="1")))
    assert cgroup_value(pid, "cpuset", "cpuset.cpus", "cpuset.cpus") == "1"
    assert proc_status(pid)["Cpus_allowed_list"] == "1"


def test_exec_sync_timeout(pods, handler):
    pod = pods("exec-timeout")
    c = pod.run("c", "sleep inf")
    t0 = time.monotonic()
    with pytest.raises(grpc.RpcError) as e:
        pod.exec_sync(c, "/bin/sh", "-c", "sleep 77", timeout=1)
    assert time.monotonic() - t0 < 20
    assert "timeout" in str(e.value).lower() or \
        e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e.value
    wait_for(lambda: "sleep 77" not in pod.sh(c, "ps -o args"), timeout=10,
             what="the exec's process to be killed")


def test_target_pid_namespace(pods, handler):
    """kubectl debug --target: a container in another one's pid namespace."""
    pod = pods("target")
    app = pod.run("app", "sleep 4321")
    sec = pb.LinuxContainerSecurityContext(namespace_options=pb.NamespaceOption(
        network=pb.POD, ipc=pb.POD, pid=pb.TARGET, target_id=app))
    dbg = pod.run("debug", "sleep inf", security=sec)
    assert ns_of(pod.pid(dbg), "pid") == ns_of(pod.pid(app), "pid")
    assert "sleep 4321" in pod.sh(dbg, "ps -o args")


def test_pods_started_at_once(lane, handler, pods):
    """Four pods made and removed concurrently, as a kubelet does."""

    def one(i):
        pod = pods(f"many-{i}")
        c = pod.run("c", "sleep inf")
        out = pod.sh(c, "hostname")
        pod.stop()
        pod.remove()
        return out.strip()

    with ThreadPoolExecutor(4) as ex:
        assert sorted(ex.map(one, range(4))) == [f"many-{i}" for i in range(4)]


#: the kubelet's defaults (ProcMount Default), paths that do not exist
#: here (/proc/kcore, /proc/sched_debug) among them
KUBELET_MASKED = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                  "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
KUBELET_READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                    "/proc/sysrq-trigger"]


def test_masked_and_read_only_paths(pods, handler):
    """The masked and read-only paths the kubelet sends, and containerd's
    default seccomp profile (RuntimeDefault) on a container."""
    pod = pods("masked")
    sec = pb.LinuxContainerSecurityContext(
        masked_paths=KUBELET_MASKED, readonly_paths=KUBELET_READONLY,
        seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault),
        namespace_options=pod.config.linux.security_context.namespace_options)
    c = pod.run("c", "sleep inf", security=sec)
    assert proc_status(pod.pid(c))["Seccomp"] == "2"
    assert pod.sh(c, "wc -c < /proc/timer_list").strip() == "0"
    assert pod.sh(c, "ls -A /sys/firmware | wc -l").strip() == "0"
    r = pod.exec_sync(c, "/bin/sh", "-c", "echo 1 > /proc/sys/kernel/panic_on_oops")
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr, r
    r = pod.exec_sync(c, "/bin/sh", "-c", "unshare -U true")
    assert r.exit_code != 0 and b"Operation not permitted" in r.stderr, r


def nobody(pod):
    return pb.LinuxContainerSecurityContext(
        run_as_user=pb.Int64Value(value=65534), run_as_group=pb.Int64Value(value=65534),
        namespace_options=pod.config.linux.security_context.namespace_options)


def test_a_non_root_container_writes_to_dev_stdout(pods, handler):
    """What images that log to /dev/stdout do (nginx's access.log is a
    link to it): reopening the stdio pipe needs it to be the user's."""
    pod = pods("devstdout")
    c = pod.run("c", "echo to-stdout > /dev/stdout; echo to-stderr > /dev/stderr; "
                     "sleep inf", security=nobody(pod))
    wait_for(lambda: len(pod.log_lines(c)) >= 2 or pod.state(c) != pb.CONTAINER_RUNNING,
             what="two log lines")
    got = sorted((x[1], x[3]) for x in pod.log_lines(c))
    assert got == [("stderr", "to-stderr"), ("stdout", "to-stdout")], got


def test_a_non_root_exec_writes_to_dev_stdout(pods, handler):
    pod = pods("exec-devstdout")
    c = pod.run("c", "sleep inf", security=nobody(pod))
    r = pod.exec_sync(c, "/bin/sh", "-c", "echo out > /dev/stdout; echo err > /dev/stderr")
    assert (r.exit_code, r.stdout, r.stderr) == (0, b"out\n", b"err\n"), r


def test_a_non_root_exec_with_a_tty(lane, pods, handler):
    pod = pods("exec-tty-user")
    c = pod.run("c", "sleep inf", security=nobody(pod))
    url = lane.rt.Exec(pb.ExecRequest(container_id=c, cmd=["/bin/sh"], tty=True,
                                      stdin=True, stdout=True)).url
    s = Stream(url)
    s.send('id -u; stat -c "owner=%u" $(tty); echo ok > /dev/tty; exit 0\n')
    assert s.wait_end() == 0
    out = s.out[1].decode()
    assert "owner=65534" in out and "\nok" in out.replace("\r", ""), out
    s.close()


def test_the_process_is_what_the_spec_says(pods, handler):
    """What containerd wrote in the OCI spec (oom_score_adj, rlimits,
    capabilities, no_new_privs) is what the kernel shows."""
    pod = pods("spec")
    c = pod.run("c", "sleep inf", envs={"K": "v"})
    info = json.loads(pod.status(c, verbose=True).info["info"])
    proc = info["runtimeSpec"]["process"]
    pid = info["pid"]
    st = proc_status(pid)
    if "oomScoreAdj" in proc:
        assert int(open(f"/proc/{pid}/oom_score_adj").read()) == proc["oomScoreAdj"]
    caps = proc["capabilities"]
    for key, field in (("bounding", "CapBnd"), ("effective", "CapEff"),
                       ("permitted", "CapPrm")):
        want = sum(1 << CAPS[n.removeprefix("CAP_")] for n in caps.get(key, []))
        assert int(st[field], 16) == want, (key, st[field], caps.get(key))
    assert st["NoNewPrivs"] == ("1" if proc.get("noNewPrivileges") else "0")
    limits = open(f"/proc/{pid}/limits").read()
    names = {"RLIMIT_NOFILE": "Max open files"}
    for rl in proc.get("rlimits", []):
        if rl["type"] in names:
            line = next(x for x in limits.splitlines() if x.startswith(names[rl["type"]]))
            assert line.split()[3:5] == [str(rl["soft"]), str(rl["hard"])], line
    assert "K=v" in proc["env"] and "K=v\n" in pod.sh(c, "env")


def test_a_non_root_tty_container(pods, handler):
    pod = pods("tty-user")
    c = pod.run("c", 'stat -c "owner=%u" $(tty); sleep inf', tty=True, stdin=True,
                security=nobody(pod))
    wait_for(lambda: pod.log_lines(c), what="the container's line")
    assert pod.log_lines(c)[0][3].strip() == "owner=65534", pod.log_lines(c)


def test_a_container_killed_from_outside(pods, handler):
    """A crash: the container's process dies of SIGKILL; the CRI reports
    137, and the pod then stops and goes."""
    pod = pods("crash")
    c = pod.run("c", "sleep inf")
    os.kill(pod.pid(c), 9)
    st = pod.wait_exited(c)
    assert (st.exit_code, st.reason) == (137, "Error"), st
    pod.stop()
    pod.remove()


def test_a_pod_whose_pause_process_died(pods, handler):
    """The sandbox's pause process killed from outside: the kubelet then
    stops and removes the pod (and makes a new one)."""
    pod = pods("pause-died")
    c = pod.run("c", "sleep inf")
    os.kill(pod.sandbox_pid(), 9)
    wait_for(lambda: pod.sandbox_status().state == pb.SANDBOX_NOTREADY,
             what="the sandbox to be not ready")
    pod.stop()
    pod.remove()
    assert not pod.lane.rt.ListContainers(pb.ListContainersRequest(
        filter=pb.ContainerFilter(id=c))).containers


def test_exec_sync_many_at_once(pods, handler):
    pod = pods("exec-many")
    c = pod.run("c", "sleep inf")
    with ThreadPoolExecutor(8) as ex:
        outs = list(ex.map(lambda i: pod.exec_sync(c, "/bin/sh", "-c", f"echo {i}; exit {i % 3}"),
                           range(16)))
    assert [(r.stdout, r.exit_code) for r in outs] == \
        [(f"{i}\n".encode(), i % 3) for i in range(16)]


def test_a_host_device(pods, handler):
    pod = pods("device")
    c = pod.run("c", "sleep inf", devices=[
        pb.Device(container_path="/dev/myfuse", host_path="/dev/fuse", permissions="rw")])
    assert pod.sh(c, "test -c /dev/myfuse && exec 3<>/dev/myfuse && echo opened") == "opened\n"
    host = os.stat("/dev/fuse")
    got = pod.sh(c, "stat -c '%t:%T' /dev/myfuse").strip()
    assert got == f"{os.major(host.st_rdev):x}:{os.minor(host.st_rdev):x}"
    r = pod.exec_sync(c, "/bin/sh", "-c", "mknod /dev/l c 10 237 && exec 3<>/dev/l")
    assert r.exit_code != 0, r


def shared_dir(path):
    path.mkdir()
    sh(["mount", "--bind", path, path])
    sh(["mount", "--make-shared", path])
    return path


def test_mount_propagation(lane, pods, handler):
    """HostToContainer (rslave) and Bidirectional (rshared) volumes, as
    CSI drivers use them."""
    down = shared_dir(lane.dir / f"down-{handler}")
    both = shared_dir(lane.dir / f"both-{handler}")
    try:
        pod = pods("propagation", privileged=True)
        sec = pb.LinuxContainerSecurityContext(
            privileged=True,
            namespace_options=pod.config.linux.security_context.namespace_options)
        c = pod.run("c", "sleep inf", security=sec, mounts=[
            pb.Mount(container_path="/down", host_path=str(down),
                     propagation=pb.PROPAGATION_HOST_TO_CONTAINER),
            pb.Mount(container_path="/both", host_path=str(both),
                     propagation=pb.PROPAGATION_BIDIRECTIONAL)])
        # a mount made on the host after the start is seen inside
        (down / "late").mkdir()
        sh(["mount", "-t", "tmpfs", "-o", "size=1m", "late", down / "late"])
        (down / "late" / "file").write_text("seen")
        assert pod.sh(c, "cat /down/late/file") == "seen"
        # and one made inside a bidirectional volume is seen on the host
        pod.sh(c, "mkdir /both/inner && mount -t tmpfs -o size=1m inner /both/inner && "
                  "echo from-inside > /both/inner/file")
        assert (both / "inner" / "file").read_text() == "from-inside\n"
        pod.stop()
        pod.remove()
    finally:
        for d in (down, both):
            subprocess.run(["umount", "-R", str(d)], stderr=subprocess.DEVNULL)


def test_containerd_restarts_under_a_running_pod(lane, pods, handler):
    pod = pods("restart-containerd")
    c = pod.run("c", "sleep inf")
    pid = pod.pid(c)
    lane.restart_containerd()
    assert pod.state(c) == pb.CONTAINER_RUNNING and pod.pid(c) == pid
    assert pod.sh(c, "echo alive") == "alive\n"
    d = pod.run("d", "echo new; sleep inf")
    wait_for(lambda: pod.log_lines(d), what="the new container's line")
    pod.stop()
    pod.remove()
