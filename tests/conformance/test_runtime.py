"""runtime.md: state, lifecycle, errors and operations."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from lib.cgroups import cgroup_dirs_for
from lib.conformance import (cgroups_path, create_fails, failing_hook, hook_recorder, HostSnapshot,
                             stopped)
from lib.host import find_mount, read_mountinfo
from lib.procs import ns_inode, pid_alive, proc_cmdline, proc_stat
from lib.runtime import create_running, created, unique_id
from lib.waiting import wait_file, wait_for, wait_pid_gone

SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def fingerprint(rt, cid):
    """What must not change when an operation fails: status, pid, start."""
    st = rt.state(cid)
    pid = st.get("pid") or 0
    return st["status"], pid, (proc_stat(pid) or (None, 0, 0))[2]


# --------------------------------------------------------------------------
# Scope of a container
# --------------------------------------------------------------------------


def test_runtime_md__creator_must_be_able_to_use_operations(runtime, bundle):
    """"The entity using a runtime to create a container MUST be able to use
    the operations defined in this specification against that same
    container."

    state, start, kill and delete, issued with the same --root by the same
    caller, all succeed on the container it created."""
    bundle.sh("sleep 60")
    cid, pid = created(runtime, bundle)
    assert runtime.state(cid)["status"] == "created"
    runtime.start(cid)
    runtime.kill(cid, "KILL")
    wait_pid_gone(pid)
    runtime.wait_status(cid, "stopped")
    runtime.delete(cid)
    assert runtime.status(cid) is None


# --------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def created_state(mruntime, menv):
    """One created container whose state the read-only tests look at:
    (id, pid, state, bundle)."""
    b = menv.bundle()
    b.sh("sleep 120")
    b.config["annotations"] = {"org.example.key": "value",
                               "org.example.empty": ""}
    cid, pid = created(mruntime, b)
    return cid, pid, mruntime.state(cid), b


def test_runtime_md__state_ociversion_required(created_state):
    """"ociVersion (string, REQUIRED) is version of the Open Container
    Initiative Runtime Specification with which the state complies."""
    st = created_state[2]
    assert isinstance(st.get("ociVersion"), str)
    assert SEMVER.match(st["ociVersion"]), st["ociVersion"]


def test_runtime_md__state_id_required(created_state):
    """"id (string, REQUIRED) is the container's ID.\""""
    cid, _, st, _ = created_state
    assert st.get("id") == cid


def test_runtime_md__state_status_created_after_create(created_state):
    """"created: the runtime has finished the create operation ..., and the
    container process has neither exited nor executed the user-specified
    program"."""
    cid, pid, st, _ = created_state
    assert st["status"] == "created"
    assert pid_alive(pid)
    assert proc_cmdline(pid)[:2] != ["sh", "-c"]


def test_runtime_md__state_status_running_after_start(runtime, bundle):
    """"running: the container process has executed the user-specified
    program but has not exited"."""
    cid, pid = create_running(runtime, bundle, script="sleep 60")
    assert runtime.state(cid)["status"] == "running"
    # start may return just before the exec itself
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "60"], what="exec")


def test_runtime_md__state_status_stopped_after_exit(runtime, bundle):
    """"stopped: the container process has exited"."""
    cid, pid = stopped(runtime, bundle)
    assert not pid_alive(pid)
    assert runtime.state(cid)["status"] == "stopped"


def test_runtime_md__additional_status_values_must_be_new_states(runtime,
                                                                 bundle):
    """"Additional values MAY be defined by the runtime, however, they MUST
    be used to represent new runtime states not defined above."

    The only extra value is `paused` (runc's pause), used for a frozen
    container and only for it: running again after resume."""
    cid, pid = create_running(runtime, bundle, script="sleep 60")
    runtime("pause", cid, check=True)
    assert runtime.state(cid)["status"] == "paused"
    freezer = [d for d in cgroup_dirs_for(pid) if "/freezer" in d]
    assert Path(freezer[0], "freezer.state").read_text().strip() == "FROZEN"
    runtime("resume", cid, check=True)
    assert runtime.state(cid)["status"] == "running"


def test_runtime_md__state_pid_required_when_created(created_state):
    """"pid (int, REQUIRED when status is created or running on Linux) is the
    ID of the container process.\""""
    cid, pid, st, _ = created_state
    assert isinstance(st.get("pid"), int) and st["pid"] > 0
    # the process the host sees as the container's init
    assert ns_inode(pid, "pid") != ns_inode("self", "pid")


def test_runtime_md__state_pid_required_when_running(runtime, bundle):
    """"pid (int, REQUIRED when status is created or running on Linux) is the
    ID of the container process.\""""
    cid, pid = create_running(runtime, bundle, script="sleep 60")
    st = runtime.state(cid)
    assert st["pid"] == pid
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "60"], what="exec")


def test_runtime_md__state_bundle_absolute_path(created_state):
    """"bundle (string, REQUIRED) is the absolute path to the container's
    bundle directory.\""""
    st = created_state[2]
    assert os.path.isabs(st["bundle"])
    assert os.path.samefile(st["bundle"], created_state[3].path)


def test_runtime_md__state_annotations_of_the_container(created_state):
    """"annotations (map, OPTIONAL) contains the list of annotations
    associated with the container.\""""
    st = created_state[2]
    assert st["annotations"] == {"org.example.key": "value",
                                 "org.example.empty": ""}


def test_runtime_md__state_must_adhere_to_state_schema(created_state):
    """"When serialized in JSON, the format MUST adhere to the JSON Schema
    schema/state-schema.json."

    The schema's rules checked by hand: required ociVersion, id, status,
    bundle (strings), status one of the four values, pid an integer,
    annotations a map of strings."""
    st = created_state[2]
    for key in ("ociVersion", "id", "status", "bundle"):
        assert isinstance(st[key], str) and st[key], key
    assert st["status"] in ("creating", "created", "running", "stopped")
    assert isinstance(st["pid"], int) and not isinstance(st["pid"], bool)
    assert all(isinstance(k, str) and isinstance(v, str)
               for k, v in st.get("annotations", {}).items())


# --------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------


def test_runtime_md__lifecycle_create_must_not_run_program(runtime, bundle,
                                                          host_dir):
    """"While the resources requested in the config.json MUST be created,
    the user-specified program (from process) MUST NOT be run at this time."
    """
    bundle.bind(host_dir, "/out")
    bundle.sh("echo ran > /out/ran; sleep 60")
    cid, pid = created(runtime, bundle)
    # the resources exist: its own mount and uts namespaces, its /dev
    assert ns_inode(pid, "mnt") != ns_inode("self", "mnt")
    assert find_mount(read_mountinfo(pid), "/out") is not None
    assert not (host_dir / "ran").exists()
    runtime.start(cid)
    assert wait_file(host_dir / "ran") == "ran\n"


def test_runtime_md__lifecycle_config_updates_after_create_no_effect(
        runtime, bundle, host_dir):
    """"Any updates to config.json after this step MUST NOT affect the
    container.\""""
    bundle.bind(host_dir, "/out")
    bundle.sh("echo first > /out/which; sleep 60")
    cid, _ = created(runtime, bundle)
    bundle.sh("echo second > /out/which; sleep 60")
    bundle.config["hostname"] = "changed"
    bundle.write()
    runtime.start(cid)
    assert wait_file(host_dir / "which") == "first\n"


@pytest.mark.parametrize("kind", ["startContainer", "poststart",
                                  "poststop"])
def test_runtime_md__lifecycle_hooks_changed_after_create_no_effect(
        runtime, bundle, host_dir, kind):
    """"Any updates to config.json after this step MUST NOT affect the
    container." (the hooks of the later steps)

    A hook of this kind is in the config at create; after create the
    config.json names another one instead.  Through start, kill and delete
    the first one runs and the second one does not."""
    bundle.bind(host_dir, str(host_dir))
    bundle.sh("sleep 60")
    bundle.config["hooks"] = {kind: [{"path": hook_recorder(host_dir,
                                                            "first")}]}
    cid, pid = created(runtime, bundle)
    bundle.config["hooks"] = {kind: [{"path": hook_recorder(host_dir,
                                                            "second")}]}
    bundle.write()
    runtime.start(cid)
    runtime.kill(cid, "KILL")
    wait_pid_gone(pid)
    runtime.wait_status(cid, "stopped")
    runtime.delete(cid)
    assert (host_dir / "order").read_text().split() == ["first"]


def test_runtime_md__lifecycle_unable_to_create_environment_error(runtime,
                                                                 bundle):
    """"If the runtime is unable to create the environment specified in the
    config.json, it MUST generate an error.\""""
    bundle.add_mount("/data", "/nonexistent/source/dir", "bind", ["rbind"])
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, bundle, check=False)
    assert res.rc != 0 and res.err_lines, res
    assert runtime.status(cid) is None
    snap.assert_clean(ids=[cid])


def test_runtime_md__errors_leave_environment_unchanged(runtime, bundle):
    """"generating an error MUST leave the state of the environment as if
    the operation were never attempted"

    A create that fails late (after namespaces, mounts and cgroups were
    made: an invalid sysctl) leaves no state, mount, cgroup or process."""
    bundle.linux["sysctl"] = {"kernel.no_such_sysctl": "1"}
    bundle.linux["cgroupsPath"] = cgroups_path(runtime)
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, bundle, check=False)
    assert res.rc != 0, res
    snap.assert_clean(ids=[cid], cgroup_paths=[bundle.linux["cgroupsPath"]])


@pytest.mark.parametrize("kind", ["prestart", "createRuntime",
                                  "createContainer"])
def test_runtime_md__lifecycle_failing_create_hook_error_and_destroy(
        runtime, bundle, host_dir, kind):
    """"If any prestart / createRuntime / createContainer hook fails, the
    runtime MUST generate an error, stop the container, and continue the
    lifecycle at step 12."

    Step 12 destroys the container: nothing of it remains."""
    bundle.config["hooks"] = {kind: [{"path": failing_hook(host_dir, 3)}]}
    bundle.sh("sleep 60")
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, bundle, check=False)
    assert res.rc != 0, res
    assert runtime.status(cid) is None
    snap.assert_clean(ids=[cid])


@pytest.mark.runc_xfail("a failing startContainer hook makes the container "
                        "process exit, but `runc start` returns 0")
def test_runtime_md__lifecycle_failing_startcontainer_hook_error_and_stop(
        runtime, bundle, host_dir):
    """"If any startContainer hook fails, the runtime MUST generate an error,
    stop the container, and continue the lifecycle at step 12."

    runc (and crun) stop the container and leave it `stopped` for the
    caller's `delete` instead of destroying it right away; ocirt does the
    same, so that a caller can still query and delete it."""
    bundle.config["hooks"] = {"startContainer": [
        {"path": failing_hook(host_dir, 4)}]}
    bundle.bind(host_dir, str(host_dir))
    bundle.sh("sleep 60")
    cid, pid = created(runtime, bundle)
    res = runtime.start(cid, check=False)
    assert res.rc != 0, res
    wait_pid_gone(pid)
    assert runtime.status(cid) == "stopped"
    runtime.delete(cid)


@pytest.mark.runc_xfail("runc 1.1 runs poststart hooks in `create`, so "
                        "their failure fails create, not start")
def test_runtime_md__lifecycle_failing_poststart_hook_error_and_stop(
        runtime, bundle, host_dir):
    """"If any poststart hook fails, the runtime MUST generate an error,
    stop the container, and continue the lifecycle at step 12.\""""
    bundle.config["hooks"] = {"poststart": [
        {"path": failing_hook(host_dir, 5)}]}
    bundle.sh("sleep 60")
    cid, pid = created(runtime, bundle)
    res = runtime.start(cid, check=False)
    assert res.rc != 0, res
    wait_pid_gone(pid)
    assert runtime.status(cid) in (None, "stopped")


@pytest.mark.parametrize("kind", [
    "prestart",
    "createRuntime",
    "createContainer",
    pytest.param("startContainer", marks=pytest.mark.runc_xfail(
        "a failing startContainer hook makes the container process exit, "
        "but `runc start` returns 0")),
    "poststart"])
def test_runtime_md__lifecycle_failing_hook_still_runs_poststop(
        runtime, bundle, host_dir, kind):
    """"If any <kind> hook fails, the runtime MUST generate an error, stop
    the container, and continue the lifecycle at step 12." "13. The
    poststop hooks MUST be invoked by the runtime."

    The lifecycle continues at step 12, so the poststop hooks run: at once
    where the failing operation destroys the container, at the caller's
    delete where it leaves it stopped."""
    bundle.bind(host_dir, str(host_dir))
    bundle.config["hooks"] = {
        kind: [{"path": failing_hook(host_dir, 9)}],
        "poststop": [{"path": hook_recorder(host_dir, "poststop")}]}
    bundle.sh("sleep 60")
    cid = unique_id()
    res = runtime.create(cid, bundle, check=False)
    if res.rc == 0:
        pid = runtime.pid(cid)
        res = runtime.start(cid, check=False)
        wait_pid_gone(pid)
        if runtime.status(cid) is not None:
            runtime.delete(cid)
    assert res.rc != 0, res
    assert runtime.status(cid) is None
    assert (host_dir / "order").read_text().split() == ["poststop"]


def test_runtime_md__lifecycle_runtime_must_run_user_program(runtime,
                                                            bundle,
                                                            host_dir):
    """"The runtime MUST run the user-specified program, as specified by
    process.\""""
    bundle.bind(host_dir, "/out")
    bundle.set_args("/bin/sh", "-c", 'echo "$0 $1" > /out/args', "zero",
                    "one")
    cid, _ = created(runtime, bundle)
    runtime.start(cid)
    assert wait_file(host_dir / "args") == "zero one\n"


def test_runtime_md__lifecycle_destroy_undoes_create(runtime, bundle):
    """"The container MUST be destroyed by undoing the steps performed
    during create phase (step 2).\""""
    bundle.linux["cgroupsPath"] = cgroups_path(runtime)
    snap = HostSnapshot(runtime)
    cid, pid = stopped(runtime, bundle)
    runtime.delete(cid)
    snap.assert_clean(ids=[cid], cgroup_paths=[bundle.linux["cgroupsPath"]])


@pytest.mark.runc_xfail("the first failing poststop hook stops the run: "
                        "the remaining poststop hooks are skipped")
def test_runtime_md__lifecycle_poststop_failure_is_warning_and_continues(
        runtime, bundle, host_dir):
    """"If any poststop hook fails, the runtime MUST log a warning, but the
    remaining hooks and lifecycle continue as if the hook had succeeded.\""""
    later = host_dir / "later-ran"
    ok = host_dir / "ok.sh"
    ok.write_text(f"#!/bin/sh\ncat >/dev/null\ntouch {later}\n")
    ok.chmod(0o755)
    bundle.config["hooks"] = {"poststop": [
        {"path": failing_hook(host_dir, 6)}, {"path": str(ok)}]}
    cid, _ = stopped(runtime, bundle)
    res = runtime.delete(cid, check=False)
    assert res.rc == 0, res
    assert later.exists()
    assert runtime.status(cid) is None


def test_runtime_md__warnings_do_not_change_flow(runtime, bundle, host_dir):
    """"logging a warning does not change the flow of the operation; it MUST
    continue as if the warning had not been logged."

    A failing poststop hook is a warning: delete still removes everything."""
    bundle.config["hooks"] = {"poststop": [{"path": failing_hook(host_dir,
                                                                 7)}]}
    snap = HostSnapshot(runtime)
    cid, _ = stopped(runtime, bundle)
    assert runtime.delete(cid, check=False).rc == 0
    snap.assert_clean(ids=[cid])


# --------------------------------------------------------------------------
# Query state
# --------------------------------------------------------------------------


def test_runtime_md__state_must_error_without_id(runtime):
    """"This operation MUST generate an error if it is not provided the ID
    of a container.\""""
    res = runtime("state")
    assert res.rc != 0 and res.err_lines, res


def test_runtime_md__state_of_nonexistent_container_must_error(runtime):
    """"Attempting to query a container that does not exist MUST generate an
    error.\""""
    res = runtime("state", unique_id())
    assert res.rc != 0 and res.err_lines and not res.out.strip(), res


def test_runtime_md__state_must_return_state(runtime, bundle):
    """"This operation MUST return the state of a container as specified in
    the State section.\""""
    cid, pid = created(runtime, bundle)
    st = json.loads(runtime("state", cid, check=True).out)
    assert (st["id"], st["status"], st["pid"]) == (cid, "created", pid)


# --------------------------------------------------------------------------
# Create
# --------------------------------------------------------------------------


def test_runtime_md__create_must_error_without_id(runtime, bundle):
    """"This operation MUST generate an error if it is not provided a path
    to the bundle and the container ID to associate with the container."

    Without an ID."""
    bundle.write()
    snap = HostSnapshot(runtime)
    res = runtime("create", "--bundle", bundle.path)
    assert res.rc != 0 and res.err_lines, res
    snap.assert_clean()


def test_runtime_md__create_must_error_without_bundle(runtime, env):
    """"This operation MUST generate an error if it is not provided a path
    to the bundle and the container ID ..."

    runc (and crun) take the current directory as the bundle when --bundle
    is not given, so the error comes when that directory is no bundle;
    ocirt does the same (callers such as containerd rely on it)."""
    cid = unique_id()
    empty = env.host_dir("not-a-bundle")
    res = runtime("create", cid, cwd=empty)
    runtime.ids.add(cid)
    assert res.rc != 0 and res.err_lines, res
    assert runtime.status(cid) is None


def test_runtime_md__create_duplicate_id_must_error(runtime, env):
    """"If the ID provided is not unique across all containers within the
    scope of the runtime ..., the implementation MUST generate an error and
    a new container MUST NOT be created.\""""
    first, second = env.bundle(), env.bundle()
    first.sh("sleep 60")
    cid, pid = created(runtime, first)
    before = fingerprint(runtime, cid)
    res = runtime.create(cid, second, check=False)
    assert res.rc != 0, res
    assert fingerprint(runtime, cid) == before
    assert os.path.samefile(runtime.state(cid)["bundle"], first.path)


@pytest.mark.parametrize("bad", ["../escape", "a/b", ".", ".."],
                         ids=["dotdot", "slash", "dot", "dotdot-only"])
def test_runtime_md__create_invalid_id_must_error(runtime, bundle, bad):
    """"If the ID provided is ... not valid in any other way, the
    implementation MUST generate an error and a new container MUST NOT be
    created.\""""
    bundle.write()
    snap = HostSnapshot(runtime)
    res = runtime("create", "--bundle", bundle.path, "--", bad)
    assert res.rc != 0 and res.err_lines, res
    assert runtime("list", "-q").out.strip() == ""
    snap.assert_clean()


def test_runtime_md__create_must_create_new_container(runtime, bundle):
    """"This operation MUST create a new container.\""""
    cid, pid = created(runtime, bundle)
    assert cid in [c["id"] for c in runtime.list_json()]
    assert pid_alive(pid)


def test_runtime_md__create_applies_all_but_process(runtime, bundle,
                                                    host_dir):
    """"All of the properties configured in config.json except for process
    MUST be applied."

    Right after create: hostname (uts namespace), mounts, namespaces and
    the cgroup are in place."""
    bundle.config["hostname"] = "conformance-host"
    bundle.bind(host_dir, "/mnt/data")
    bundle.linux["cgroupsPath"] = cgroups_path(runtime)
    cid, pid = created(runtime, bundle)
    for ns in ("mnt", "uts", "ipc", "net", "pid"):
        assert ns_inode(pid, ns) != ns_inode("self", ns), ns
    assert find_mount(read_mountinfo(pid), "/mnt/data") is not None
    hostname = subprocess.run(
        ["nsenter", "-t", str(pid), "-u", "hostname"],
        stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    assert hostname == "conformance-host"
    assert any(d.endswith(bundle.linux["cgroupsPath"])
               for d in cgroup_dirs_for(pid))


def test_runtime_md__create_must_not_apply_args_before_start(runtime, bundle):
    """"process.args MUST NOT be applied until triggered by the start
    operation.\""""
    bundle.set_args("sleep", "61")
    cid, pid = created(runtime, bundle)
    assert proc_cmdline(pid) != ["sleep", "61"]
    runtime.start(cid)
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "61"], what="exec")


def test_runtime_md__create_unappliable_property_must_error(runtime, bundle):
    """"If the runtime cannot apply a property as specified in the
    configuration, it MUST generate an error and a new container MUST NOT
    be created."

    A hostname without a new uts namespace cannot be applied."""
    bundle.remove_namespace("uts")
    bundle.config["hostname"] = "cannot-set"
    create_fails(runtime, bundle)
    assert os.uname().nodename != "cannot-set"


# --------------------------------------------------------------------------
# Start
# --------------------------------------------------------------------------


def test_runtime_md__start_must_error_without_id(runtime):
    """"This operation MUST generate an error if it is not provided the
    container ID.\""""
    res = runtime("start")
    assert res.rc != 0 and res.err_lines, res


def test_runtime_md__start_must_error_if_running(runtime, bundle):
    """"Attempting to start a container that is not created MUST have no
    effect on the container and MUST generate an error."

    On a running container."""
    cid, pid = create_running(runtime, bundle, script="sleep 60")
    before = fingerprint(runtime, cid)
    res = runtime.start(cid, check=False)
    assert res.rc != 0 and res.err_lines, res
    assert fingerprint(runtime, cid) == before


def test_runtime_md__start_must_error_if_stopped(runtime, bundle, host_dir):
    """"Attempting to start a container that is not created MUST have no
    effect on the container and MUST generate an error."

    On a stopped container: the program does not run again."""
    bundle.bind(host_dir, "/out")
    bundle.sh("echo x >> /out/runs")
    cid, pid = created(runtime, bundle)
    runtime.start(cid)
    wait_pid_gone(pid)
    runtime.wait_status(cid, "stopped")
    res = runtime.start(cid, check=False)
    assert res.rc != 0 and res.err_lines, res
    assert runtime.status(cid) == "stopped"
    assert (host_dir / "runs").read_text() == "x\n"


def refused_while_paused(rt, bundle, operation):
    """operation(cid, check=False) on a paused container must fail and
    change nothing of it (status, pid, its process)."""
    cid, pid = create_running(rt, bundle, script="sleep 60")
    rt("pause", cid, check=True)
    before = fingerprint(rt, cid)
    res = operation(cid, check=False)
    assert res.rc != 0 and res.err_lines, res
    assert fingerprint(rt, cid) == before
    rt("resume", cid, check=True)


def test_runtime_md__start_must_error_if_paused(runtime, bundle):
    """"Attempting to start a container that is not created MUST have no
    effect on the container and MUST generate an error."

    On a paused container: it stays paused."""
    refused_while_paused(runtime, bundle, runtime.start)


def test_runtime_md__start_nonexistent_must_error(runtime):
    """"Attempting to start a container that is not created MUST ... generate
    an error."

    On an ID that names no container."""
    res = runtime.start(unique_id(), check=False)
    assert res.rc != 0 and res.err_lines, res


def test_runtime_md__start_must_run_program(runtime, bundle, host_dir):
    """"This operation MUST run the user-specified program as specified by
    process.\""""
    bundle.bind(host_dir, "/out")
    bundle.sh("pwd > /out/started")
    bundle.process["cwd"] = "/tmp"
    cid, _ = created(runtime, bundle)
    assert not (host_dir / "started").exists()
    runtime.start(cid)
    assert wait_file(host_dir / "started") == "/tmp\n"


def test_runtime_md__start_must_error_if_process_not_set(runtime, bundle):
    """"This operation MUST generate an error if process was not set."

    runc and crun refuse a config without process already at create (it is
    REQUIRED when start is called, and a created container must have a
    process to start); ocirt does the same, so the error comes one step
    earlier and no container exists to start."""
    del bundle.config["process"]
    cid = unique_id()
    snap = HostSnapshot(runtime)
    res = runtime.create(cid, bundle, check=False)
    assert res.rc != 0 and res.err_lines, res
    assert runtime.start(cid, check=False).rc != 0
    snap.assert_clean(ids=[cid])


# --------------------------------------------------------------------------
# Kill
# --------------------------------------------------------------------------


def test_runtime_md__kill_must_error_without_id(runtime):
    """"This operation MUST generate an error if it is not provided the
    container ID.\""""
    res = runtime("kill")
    assert res.rc != 0 and res.err_lines, res


def test_runtime_md__kill_stopped_must_error(runtime, bundle):
    """"Attempting to send a signal to a container that is neither created
    nor running MUST have no effect on the container and MUST generate an
    error.\""""
    cid, _ = stopped(runtime, bundle)
    res = runtime.kill(cid, "KILL", check=False)
    assert res.rc != 0 and res.err_lines, res
    assert runtime.status(cid) == "stopped"


def usr1_trap(rt, bundle, host_dir):
    """A running container whose process writes ``usr1`` to host_dir/sig on
    SIGUSR1 (and exits); returns its id once the trap is set."""
    bundle.bind(host_dir, "/out")
    cid, _ = create_running(
        rt, bundle,
        script="trap 'echo usr1 > /out/sig; exit 0' USR1; echo ready > "
               "/out/ready; while :; do sleep 0.1; done")
    wait_file(host_dir / "ready")
    return cid


def test_runtime_md__kill_paused_is_allowed_as_in_runc(runtime, bundle,
                                                      host_dir):
    """"Attempting to send a signal to a container that is neither created
    nor running MUST have no effect on the container and MUST generate an
    error."

    `paused` is the runtime's own extra state.  runc and crun send the
    signal to a paused container (it is delivered when the container is
    resumed; callers such as containerd stop a paused container this way);
    ocirt does the same. The paused container stays paused until resume."""
    cid = usr1_trap(runtime, bundle, host_dir)
    runtime("pause", cid, check=True)
    res = runtime.kill(cid, "USR1", check=False)
    assert res.rc == 0, res
    assert runtime.status(cid) == "paused"
    assert not (host_dir / "sig").exists()
    runtime("resume", cid, check=True)
    assert wait_file(host_dir / "sig") == "usr1\n"


def test_runtime_md__kill_nonexistent_must_error(runtime):
    """"Attempting to send a signal to a container that is neither created
    nor running MUST ... generate an error."

    On an ID that names no container."""
    res = runtime.kill(unique_id(), "TERM", check=False)
    assert res.rc != 0 and res.err_lines, res


def test_runtime_md__kill_must_send_signal_to_running(runtime, bundle,
                                                      host_dir):
    """"This operation MUST send the specified signal to the container
    process."

    A running container's process traps SIGUSR1 and records it."""
    cid = usr1_trap(runtime, bundle, host_dir)
    runtime.kill(cid, "USR1")
    assert wait_file(host_dir / "sig") == "usr1\n"


def test_runtime_md__kill_must_send_signal_to_created(runtime, bundle):
    """"This operation MUST send the specified signal to the container
    process."

    A created container's process is killed by SIGKILL."""
    cid, pid = created(runtime, bundle)
    runtime.kill(cid, "KILL")
    wait_pid_gone(pid)
    runtime.wait_status(cid, "stopped")


# --------------------------------------------------------------------------
# Delete
# --------------------------------------------------------------------------


def test_runtime_md__delete_must_error_without_id(runtime):
    """"This operation MUST generate an error if it is not provided the
    container ID.\""""
    res = runtime("delete")
    assert res.rc != 0 and res.err_lines, res


def test_runtime_md__delete_running_must_error(runtime, bundle):
    """"Attempting to delete a container that is not stopped MUST have no
    effect on the container and MUST generate an error.\""""
    cid, pid = create_running(runtime, bundle, script="sleep 60")
    before = fingerprint(runtime, cid)
    res = runtime.delete(cid, check=False)
    assert res.rc != 0 and res.err_lines, res
    assert fingerprint(runtime, cid) == before


def test_runtime_md__delete_paused_must_error(runtime, bundle):
    """"Attempting to delete a container that is not stopped MUST have no
    effect on the container and MUST generate an error."

    On a paused container: it stays paused, its process there."""
    refused_while_paused(runtime, bundle, runtime.delete)


def test_runtime_md__delete_created_is_allowed_as_in_runc(runtime, bundle):
    """"Attempting to delete a container that is not stopped MUST have no
    effect on the container and MUST generate an error."

    runc and crun delete a `created` container without --force (killing
    its init): its user program never ran, and callers (containerd, podman)
    clean up a container whose start they abandoned this way. ocirt does
    the same; a `running` one is refused (test above)."""
    snap = HostSnapshot(runtime)
    cid, pid = created(runtime, bundle)
    res = runtime.delete(cid, check=False)
    assert res.rc == 0, res
    wait_pid_gone(pid)
    snap.assert_clean(ids=[cid])


def test_runtime_md__delete_nonexistent_must_error(runtime):
    """"Attempting to delete a container that is not stopped MUST ...
    generate an error."

    On an ID that names no container."""
    res = runtime.delete(unique_id(), check=False)
    assert res.rc != 0 and res.err_lines, res


def test_runtime_md__delete_must_delete_created_resources(runtime, bundle):
    """"Deleting a container MUST delete the resources that were created
    during the create step."

    State, cgroup, mounts, processes and namespaces are gone."""
    bundle.linux["cgroupsPath"] = cgroups_path(runtime)
    snap = HostSnapshot(runtime)
    cid, pid = created(runtime, bundle)
    netns = ns_inode(pid, "net")
    runtime.kill(cid, "KILL")
    wait_pid_gone(pid)
    runtime.delete(cid)
    assert runtime.status(cid) is None
    snap.assert_clean(ids=[cid], cgroup_paths=[bundle.linux["cgroupsPath"]])
    assert netns != ns_inode("self", "net")


def test_runtime_md__delete_must_not_delete_foreign_resources(runtime, env,
                                                              host_dir):
    """"resources associated with the container, but not created by this
    container, MUST NOT be deleted."

    A bind-mounted host directory (and its files) and a namespace joined by
    path (another container's) survive the delete."""
    (host_dir / "keep").write_text("data")
    owner = env.bundle()
    owner.sh("sleep 60")
    ocid, opid = created(runtime, owner)
    b = env.bundle()
    b.bind(host_dir, "/data")
    b.set_namespace("network", f"/proc/{opid}/ns/net")
    cid, _ = stopped(runtime, b)
    runtime.delete(cid)
    assert (host_dir / "keep").read_text() == "data"
    assert pid_alive(opid) and runtime.status(ocid) == "created"


# --------------------------------------------------------------------------
# runtime-linux.md
# --------------------------------------------------------------------------


def test_runtime_linux_md__only_stdio_fds_kept_open(runtime, bundle):
    """"By default, only the stdin, stdout and stderr file descriptors are
    kept open for the application by the runtime."

    The runtime is started with fd 5 open; the container's process has only
    0, 1 and 2."""
    prefix = ["/bin/sh", "-c", 'exec "$@" 5</etc/hostname', "sh"]
    cid = unique_id()
    bundle.sh("sleep 60")
    runtime._prepare(cid, bundle)
    res = runtime("create", "--bundle", bundle.path, cid, prefix=prefix)
    assert res.rc == 0, res
    pid = runtime.pid(cid)
    runtime.start(cid)
    wait_for(lambda: proc_cmdline(pid) == ["sleep", "60"], what="exec")
    assert sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd")) == [0, 1, 2]


@pytest.fixture(scope="module")
def dev_links(mruntime, menv):
    b = menv.bundle()
    b.sh("sleep 120")
    cid, pid = created(mruntime, b)
    return pid


@pytest.mark.parametrize("link,target", [
    ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")])
def test_runtime_linux_md__dev_symlinks_must_be_created(dev_links, link,
                                                        target):
    """"runtimes MUST create the following symlinks if the source file
    exists after processing mounts: /proc/self/fd -> /dev/fd,
    /proc/self/fd/0 -> /dev/stdin, /proc/self/fd/1 -> /dev/stdout,
    /proc/self/fd/2 -> /dev/stderr\""""
    path = f"/proc/{dev_links}/root/dev/{link}"
    assert os.path.islink(path)
    assert os.readlink(path) == target



def _run_with_getcwd_denied(runtime, bundle, nnp):
    bundle.process["noNewPrivileges"] = nnp
    bundle.linux["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.sh("exit 7")
    res = runtime.run(unique_id(), bundle)
    assert res.rc == 7, res


def test_runtime_md__start_must_run_the_program_whatever_seccomp_denies(
        runtime, bundle):
    """"This operation MUST run the user-specified program as specified by
    process." (start, with a seccomp profile denying getcwd, a syscall the
    runtime itself makes, and noNewPrivileges)"""
    _run_with_getcwd_denied(runtime, bundle, True)


@pytest.mark.runc_xfail("runc 1.1 loads the filter before its own checks "
                        "without noNewPrivileges (getcwd of the cwd check)")
def test_runtime_md__start_must_run_the_program_whatever_seccomp_denies_nnp_off(
        runtime, bundle):
    """"This operation MUST run the user-specified program as specified by
    process." (the same without noNewPrivileges: the filter then needs
    CAP_SYS_ADMIN, kept until exec, and still comes after every check)"""
    _run_with_getcwd_denied(runtime, bundle, False)
