"""The words of runc's errors that container engines match on to tell what
a failed command means (docs/clients.md): each case runs on ocirt and on
the reference runtime, and both must say them.

containerd's runc shim (pkg/process: checkKillError, Init.delete) reads
"container not running", "no such process", "os: process already
finished" after a kill as "already exited" and "does not exist" as "no such
container"; CRI-O (runtimeCmd) reads "container not running" and "no such
process" as not found; podman reads "does not exist" from `state` as a
container that is gone."""

import pytest

from lib.runtime import created, unique_id


def _stopped(runtime, env):
    """A container of RUNTIME whose process has exited."""
    b = env.bundle()
    cid, _ = created(runtime, b.sh("true"))
    runtime.start(cid)
    runtime.wait_status(cid, "stopped")
    return cid


def _runtimes(rt, ref):
    return [rt] + ([ref] if ref is not None else [])


# command on a stopped container -> the words its clients look for
STOPPED_CASES = {
    "kill": (("kill", "{id}", "KILL"), "container not running"),
    "kill-term": (("kill", "{id}", "TERM"), "container not running"),
    "pause": (("pause", "{id}"), "container not running"),
    "resume": (("resume", "{id}"), "container not paused"),
    "update": (("update", "--memory", "100000000", "{id}"), "container not running"),
}


@pytest.mark.parametrize("case", sorted(STOPPED_CASES))
def test_stopped_container_words(rt, ref, env, case):
    args, words = STOPPED_CASES[case]
    for runtime in _runtimes(rt, ref):
        cid = _stopped(runtime, env)
        res = runtime(*[a.format(id=cid) for a in args])
        assert res.rc != 0, res
        assert words in res.err, (runtime.binary, res)
        runtime.delete(cid)


@pytest.mark.parametrize("command", ["state", "kill", "delete", "pause", "resume"])
def test_unknown_container_words(rt, ref, command):
    for runtime in _runtimes(rt, ref):
        cid = unique_id("nosuch")
        args = (command, cid, "KILL") if command == "kill" else (command, cid)
        res = runtime(*args)
        assert res.rc != 0, res
        assert "does not exist" in res.err, (runtime.binary, res)


def test_kill_words_in_json_log(rt, ref, env):
    """The shim reads the last error of `--log` (JSON) for a failed kill."""
    for runtime in _runtimes(rt, ref):
        cid = _stopped(runtime, env)
        log = env.base / f"{cid}.log"
        res = runtime("kill", cid, "KILL",
                      global_args=("--log", str(log), "--log-format", "json"))
        assert res.rc != 0, res
        errors = [ln for ln in log.read_text().splitlines() if '"error"' in ln]
        assert errors and "container not running" in errors[-1], (runtime.binary, errors)
        runtime.delete(cid)
