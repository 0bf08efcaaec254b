"""Command line surface: state/list output, ids, global flags, spec, features."""

import json
import os
import re
from datetime import datetime

import pytest

from lib.runtime import (assert_single_line_error, create_running, created, OCIRT, runc_diff,
                         Runtime, unique_id)
from lib.waiting import wait_file

RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_rfc3339(s):
    assert RFC3339.match(s), f"not RFC3339: {s!r}"
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$", s)
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(m.group(1) + tz)


# --------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------


def test_state_json_fields(rt, bundle):
    bundle.config["annotations"] = {"org.example.key": "v1",
                                    "org.example.other": "two words"}
    cid, pid = created(rt, bundle.sh("sleep 30"))
    res = rt.state_result(cid)
    assert res.rc == 0, res
    st = json.loads(res.out)
    assert st["id"] == cid
    assert st["status"] == "created"
    assert st["pid"] == pid and pid > 0
    assert isinstance(st["ociVersion"], str) and st["ociVersion"]
    assert st["bundle"] == str(bundle.path)
    assert os.path.isabs(st["bundle"])
    created_at = parse_rfc3339(st["created"])
    age = datetime.now(created_at.tzinfo) - created_at
    assert -5 < age.total_seconds() < 60
    assert st["annotations"] == bundle.config["annotations"]


def test_state_without_annotations_has_no_bogus_ones(rt, bundle):
    cid, pid = created(rt, bundle.sh("sleep 30"))
    st = rt.state(cid)
    assert not st.get("annotations")


def test_state_bundle_is_absolute_with_relative_bundle_arg(rt, bundle):
    cid = unique_id()
    bundle.sh("sleep 30").write()
    rt.ids.add(cid)
    res = rt("create", "--bundle", bundle.path.name, cid,
             cwd=bundle.path.parent)
    assert res.rc == 0, res
    assert rt.state(cid)["bundle"] == str(bundle.path)


def test_bundle_defaults_to_cwd(rt, bundle):
    cid = unique_id()
    bundle.sh("sleep 30").write()
    rt.ids.add(cid)
    res = rt("create", cid, cwd=bundle.path)
    assert res.rc == 0, res
    assert rt.state(cid)["bundle"] == str(bundle.path)


def test_state_status_sequence(rt, bundle, host_dir):
    bundle.bind(host_dir, "/out")
    bundle.sh("until [ -e /out/go ]; do sleep 0.02; done")
    cid = unique_id()
    rt.create(cid, bundle)
    assert rt.state(cid)["status"] == "created"
    rt.start(cid)
    rt.wait_status(cid, "running")
    (host_dir / "go").write_text("1")
    rt.wait_status(cid, "stopped")
    st = rt.state(cid)
    assert st["id"] == cid and st["bundle"] == str(bundle.path)


# --------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------


def test_list_table(rt, bundle, env):
    c1, p1 = created(rt, bundle.sh("sleep 30"))
    c2, p2 = create_running(rt, env.bundle())
    res = rt("list")
    assert res.rc == 0, res
    lines = res.out.splitlines()
    assert lines[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED",
                                "OWNER"]
    rows = {ln.split()[0]: ln.split() for ln in lines[1:] if ln.strip()}
    assert set(rows) == {c1, c2}
    assert rows[c1][1:3] == [str(p1), "created"]
    assert rows[c2][1:3] == [str(p2), "running"]
    assert rows[c1][3] == str(bundle.path)
    parse_rfc3339(rows[c1][4])
    assert rows[c1][5] == "root"


def test_list_quiet(rt, bundle, env):
    c1, _ = created(rt, bundle.sh("sleep 30"))
    c2, _ = created(rt, env.bundle().sh("sleep 30"))
    for flag in ("-q", "--quiet"):
        res = rt("list", flag)
        assert res.rc == 0, res
        assert sorted(res.out.split()) == sorted([c1, c2])


def test_list_json(rt, bundle, env):
    bundle.config["annotations"] = {"k": "v"}
    c1, p1 = created(rt, bundle.sh("sleep 30"))
    c2, p2 = create_running(rt, env.bundle())
    for argv in (["list", "--format", "json"], ["list", "-f", "json"],
                 ["list", "--format=json"]):
        res = rt(*argv)
        assert res.rc == 0, res
        data = json.loads(res.out)
        assert isinstance(data, list)
        by_id = {d["id"]: d for d in data}
        assert set(by_id) == {c1, c2}
        for d in data:
            for key in ("id", "pid", "status", "bundle", "created", "owner"):
                assert key in d, f"{key} missing in {d}"
            parse_rfc3339(d["created"])
        assert by_id[c1]["pid"] == p1 and by_id[c1]["status"] == "created"
        assert by_id[c2]["pid"] == p2 and by_id[c2]["status"] == "running"
        assert by_id[c1]["bundle"] == str(bundle.path)
        assert by_id[c1]["owner"] == "root"


def test_list_empty(rt):
    res = rt("list")
    assert res.rc == 0, res
    lines = [ln for ln in res.out.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].split()[0] == "ID"
    res = rt("list", "-q")
    assert res.rc == 0 and res.out.strip() == ""
    res = rt("list", "--format", "json")
    assert res.rc == 0
    # runc prints "null" for no containers; an empty array is as good
    assert json.loads(res.out) in (None, [])


def test_list_shows_stopped(rt, bundle):
    bundle.sh("exit 0")
    cid = unique_id()
    rt.create(cid, bundle)
    rt.start(cid)
    rt.wait_status(cid, "stopped")
    by_id = {d["id"]: d for d in rt.list_json()}
    assert by_id[cid]["status"] == "stopped"


def test_list_bad_format_fails(rt):
    res = rt("list", "--format", "yaml")
    assert res.rc != 0
    assert res.err_lines
    assert rt("list", "--format", "table").rc == 0


# --------------------------------------------------------------------------
# container ids
# --------------------------------------------------------------------------

BAD_IDS = ["../x", "a/b", "..", "x y", "a:b", "/abs"]


def _rejected(rt, bundle, res):
    """The id was refused, nothing was stored, and the root still works."""
    assert res.rc != 0, res
    assert res.err_lines, "no error message"
    assert os.listdir(rt.root) == []
    assert not rt.list_json()
    good = unique_id()
    rt.create(good, bundle)
    assert [c["id"] for c in rt.list_json()] == [good]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_invalid_id_rejected(rt, bundle, bad):
    bundle.sh("sleep 30")
    rt.ids.add(bad)
    res = rt.create(bad, bundle, check=False)
    assert not os.path.exists(os.path.join(os.path.dirname(rt.root), "x"))
    _rejected(rt, bundle, res)


def test_empty_id_rejected(rt, bundle):
    bundle.sh("sleep 30").write()
    res = rt("create", "--bundle", bundle.path, "")
    _rejected(rt, bundle, res)


@runc_diff("runc accepts ids starting with '.'")
def test_id_with_leading_dot_rejected(rt, bundle):
    bundle.sh("sleep 30")
    rt.ids.add(".x")
    res = rt.create(".x", bundle, check=False)
    _rejected(rt, bundle, res)


@runc_diff("runc accepts '-x' as an id after '--'")
def test_id_with_leading_dash_rejected(rt, bundle):
    bundle.sh("sleep 30").write()
    rt.ids.add("-x")
    res = rt("create", "--bundle", bundle.path, "--", "-x")
    _rejected(rt, bundle, res)


def test_id_with_leading_dash_not_taken_as_id(rt, bundle):
    bundle.sh("sleep 30").write()
    res = rt("create", "--bundle", bundle.path, "-x")
    _rejected(rt, bundle, res)


@pytest.mark.parametrize("good", ["a", "A-b_c.d", "x+y", "0123456789" * 6])
def test_valid_ids_accepted(rt, bundle, good):
    bundle.sh("sleep 30")
    rt.create(good, bundle)
    assert rt.state(good)["id"] == good


@pytest.mark.parametrize("cmd", ["state", "start", "kill", "delete"])
def test_unknown_id_fails_with_one_line(rt, cmd):
    cid = unique_id("nosuch")
    res = rt(cmd, cid)
    assert_single_line_error(res)
    assert res.out.strip() == ""


@runc_diff("runc says only 'container does not exist'")
@pytest.mark.parametrize("cmd", ["state", "start", "kill", "delete"])
def test_unknown_id_error_mentions_id(rt, cmd):
    cid = unique_id("nosuch")
    res = rt(cmd, cid)
    assert_single_line_error(res, cid)


def test_delete_force_unknown_id(rt, ref):
    # runc treats a forced delete of a missing container as done
    cid = unique_id("nosuch")
    res = rt("delete", "--force", cid)
    assert res.rc == 0, res
    if ref is not None:
        assert ref("delete", "--force", cid).rc == res.rc


@pytest.mark.parametrize("cmd", ["state", "start", "delete"])
def test_missing_id_argument_fails(rt, cmd):
    res = rt(cmd)
    assert res.rc != 0
    assert res.err_lines


# --------------------------------------------------------------------------
# global flags
# --------------------------------------------------------------------------


def test_version(rt):
    for flag in ("--version", "-v"):
        res = rt(flag, root=False)
        assert res.rc == 0, res
        lines = res.out.splitlines()
        assert re.match(r"^\S+ version \S+", lines[0]), lines
        spec = [ln for ln in lines if ln.startswith("spec:")]
        assert spec and re.match(r"^spec: \d+\.\d+\.\d+", spec[0]), lines
        # docker info reads the commit line, as runc and crun print it
        assert re.match(r"^commit: \S+$", lines[1]), lines


def test_help(rt):
    for flag in ("--help", "-h"):
        res = rt(flag, root=False)
        assert res.rc == 0, res
        for cmd in ("create", "start", "state", "kill", "delete", "run",
                    "list", "spec", "features"):
            assert re.search(rf"^\s+{cmd}\b", res.out, re.M), cmd
        for opt in ("--root", "--log", "--log-format"):
            assert opt in res.out


COMMANDS = ("create", "start", "run", "exec", "state", "list", "kill", "delete",
            "pause", "resume", "ps", "update", "events", "spec", "features")


@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(rt, ref, cmd):
    """`CMD --help`, `CMD -h` and `help CMD` print the command's usage and
    exit 0, as with runc; nothing else is done."""
    outs = []
    for argv in ((cmd, "--help"), (cmd, "-h"), ("help", cmd)):
        res = rt(*argv)
        assert res.rc == 0 and res.err == "", res
        assert res.out.startswith(f"usage: ocirt {cmd}"), res
        outs.append(res.out)
    assert outs[0] == outs[1] == outs[2]
    if ref is not None:
        assert ref(cmd, "--help").rc == 0


def test_help_command(rt):
    res = rt("help", root=False)
    assert res.rc == 0 and "usage: ocirt" in res.out, res
    assert_single_line_error(rt("help", "no-such-command", root=False), "no-such-command")


def test_criu_option_is_accepted(rt, ref):
    """Callers configured with a CRIU path pass --criu to every command."""
    for runtime in (rt, ref) if ref is not None else (rt,):
        assert runtime("--criu", "/usr/sbin/criu", "list").rc == 0


def test_options_may_follow_the_id(rt, ref, env):
    """As with runc and crun, a command's options may come after the
    container id (not exec's or ps's: what follows there is the program's)."""
    for runtime in (rt, ref) if ref is not None else (rt,):
        cid = unique_id("o")
        bundle = env.bundle().sh("sleep 30")
        runtime._prepare(cid, bundle)
        res = runtime("create", cid, "--bundle", bundle)
        assert res.rc == 0, (runtime.name, res)
        runtime._record(cid)
        res = runtime("kill", cid, "KILL", "--all")
        assert res.rc == 0, (runtime.name, res)
        runtime.wait_status(cid, "stopped")
        res = runtime("delete", cid, "--force")
        assert res.rc == 0, (runtime.name, res)
        assert runtime("state", cid).rc != 0
        assert runtime("delete", unique_id("nosuch"), "--force").rc == 0


@pytest.mark.parametrize("argv,rc", [
    (("delete", "--force=true", "NOSUCH"), 0),
    (("delete", "-f=true", "NOSUCH"), 0),
    (("delete", "--force=1", "NOSUCH"), 0),
    (("delete", "--force=false", "NOSUCH"), 1),
    (("--debug=false", "list", "--quiet=true"), 0),
    (("list", "-q=false", "--format=json"), 0),
    (("delete", "--force=maybe", "NOSUCH"), 1),
])
def test_boolean_option_values(rt, ref, argv, rc):
    """runc's parser takes `--flag=true|false` for a boolean option."""
    for runtime in (rt, ref) if ref is not None else (rt,):
        args = [unique_id("nosuch") if a == "NOSUCH" else a for a in argv]
        res = runtime(*args)
        assert res.rc == rc, (runtime.name, res)
        if "--force=false" in argv and runtime is rt:
            assert "does not exist" in res.err, res


def test_unknown_command_fails(rt):
    res = rt("no-such-command")
    assert res.rc != 0
    assert "no-such-command" in res.err + res.out


def test_unknown_global_flag_fails(rt):
    res = rt("--no-such-flag", "list")
    assert res.rc != 0
    assert "no-such-flag" in res.err + res.out
    assert rt("list").rc == 0


def test_root_is_created_when_missing(rt, env, bundle):
    root = env.base / "new-root" / "sub"
    other = Runtime(rt.binary, env, root=root)
    try:
        cid = unique_id()
        other.create(cid, bundle.sh("sleep 30"))
        assert os.path.isdir(root / cid)
        assert other.state(cid)["status"] == "created"
        # not visible from another root
        assert rt.state_result(cid).rc != 0
    finally:
        other.cleanup()


def test_flag_equals_forms(rt, bundle, env):
    cid = unique_id()
    pidfile = env.base / "eq.pid"
    log = env.base / "eq.log"
    bundle.sh("sleep 30").write()
    rt.ids.add(cid)
    # --root given in its own --root=R form
    res = rt(f"--root={rt.root}", f"--log={log}", "--log-format=json",
             "create", f"--bundle={bundle.path}", f"--pid-file={pidfile}",
             cid, root=False)
    assert res.rc == 0, res
    st = rt.state(cid)
    assert int(pidfile.read_text()) == st["pid"]
    res = rt(f"--root={rt.root}", "state", cid, root=False)
    assert res.rc == 0 and json.loads(res.out)["id"] == cid


def test_flag_space_forms(rt, bundle, env):
    cid = unique_id()
    pidfile = env.base / "sp.pid"
    log = env.base / "sp.log"
    bundle.sh("sleep 30").write()
    rt.ids.add(cid)
    res = rt("--root", rt.root, "--log", log, "--log-format", "json",
             "create", "-b", bundle.path, "--pid-file", pidfile, cid,
             root=False)
    assert res.rc == 0, res
    assert int(pidfile.read_text()) == rt.pid(cid)


def _log_records(path):
    recs = []
    for line in path.read_text().splitlines():
        if line.strip():
            recs.append(json.loads(line))
    return recs


def test_log_json_records_error(rt, env):
    log = env.base / "log.json"
    cid = unique_id("nosuch")
    res = rt("state", cid, global_args=["--log", log, "--log-format", "json"])
    assert res.rc != 0
    recs = _log_records(log)
    assert recs, "error not logged"
    for r in recs:
        assert {"level", "msg", "time"} <= set(r), r
        parse_rfc3339(r["time"])
    assert any(r["level"] == "error" for r in recs)
    # stderr gets at most the one error line
    assert len(res.err_lines) <= 1, res


def test_log_json_create_error_logged(rt, bundle, env):
    log = env.base / "log.json"
    bundle.config["process"]["args"] = ["/no/such/program"]
    bundle.write()
    cid = unique_id()
    rt.ids.add(cid)
    res = rt("create", "--bundle", bundle.path, cid,
             global_args=["--log", log, "--log-format", "json"])
    assert res.rc != 0
    recs = _log_records(log)
    errors = [r for r in recs if r["level"] == "error"]
    assert errors, recs
    assert any("/no/such/program" in r["msg"] for r in errors), errors


def test_log_text_format(rt, env):
    log = env.base / "log.txt"
    res = rt("state", unique_id("nosuch"), global_args=["--log", log])
    assert res.rc != 0
    text = log.read_text()
    assert "error" in text and text.strip()


def test_log_file_appends(rt, env):
    log = env.base / "log.json"
    log.write_text('{"level":"info","msg":"previous","time":"2020-01-01T00:00:00Z"}\n')
    rt("state", unique_id("nosuch"), global_args=["--log", log,
                                                  "--log-format", "json"])
    recs = _log_records(log)
    assert recs[0]["msg"] == "previous"
    assert len(recs) >= 2


def test_successful_lifecycle_logs_no_errors(rt, bundle, env):
    log = env.base / "ok.json"
    cid = unique_id()
    bundle.sh("exit 0").write()
    g = ["--log", log, "--log-format", "json"]
    rt.ids.add(cid)
    assert rt("create", "--bundle", bundle.path, cid, global_args=g).rc == 0
    assert rt("start", cid, global_args=g).rc == 0
    rt.wait_status(cid, "stopped")
    assert rt("delete", cid, global_args=g).rc == 0
    if log.exists():
        recs = _log_records(log)
        assert not [r for r in recs if r["level"] in ("error", "fatal")], recs


# --------------------------------------------------------------------------
# spec
# --------------------------------------------------------------------------


def test_spec_bundle_runs(rt, env):
    b = env.bundle()
    (b.path / "config.json").unlink(missing_ok=True)
    res = rt("spec", "--bundle", b.path)
    assert res.rc == 0, res
    spec = json.loads((b.path / "config.json").read_text())
    assert spec["root"]["path"] == "rootfs"
    assert spec["process"]["terminal"] is True
    assert isinstance(spec["process"]["args"], list)
    # make it run non-interactively and check it works
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["sh", "-c", "echo spec-ok; exit 7"]
    (b.path / "config.json").write_text(json.dumps(spec))
    res = rt("run", "--bundle", b.path, unique_id())
    assert res.rc == 7, res
    assert res.out.strip() == "spec-ok"


def test_spec_in_cwd(rt, env):
    d = env.host_dir("spec")
    res = rt("spec", cwd=d)
    assert res.rc == 0, res
    json.loads((d / "config.json").read_text())


def test_spec_refuses_to_overwrite(rt, env):
    d = env.host_dir("spec")
    (d / "config.json").write_text("keep me")
    res = rt("spec", "--bundle", d)
    assert res.rc != 0
    assert res.err_lines
    assert (d / "config.json").read_text() == "keep me"


def test_spec_rootless(rt, env):
    d = env.host_dir("spec")
    res = rt("spec", "--rootless", "--bundle", d)
    assert res.rc == 0, res
    spec = json.loads((d / "config.json").read_text())
    nstypes = [n["type"] for n in spec["linux"]["namespaces"]]
    assert "user" in nstypes
    assert "network" not in nstypes
    assert spec["linux"]["uidMappings"] and spec["linux"]["gidMappings"]
    m = spec["linux"]["uidMappings"][0]
    assert m["containerID"] == 0 and m["hostID"] == os.getuid()
    assert m["size"] == 1
    assert "resources" not in spec["linux"]


def test_spec_matches_reference_shape(rt, ref, env):
    if ref is None:
        pytest.skip("no reference runtime")
    d1, d2 = env.host_dir("a"), env.host_dir("b")
    assert rt("spec", "--bundle", d1).rc == 0
    assert ref("spec", "--bundle", d2).rc == 0
    s1 = json.loads((d1 / "config.json").read_text())
    s2 = json.loads((d2 / "config.json").read_text())
    assert set(s1) == set(s2)
    assert set(s1["process"]) == set(s2["process"])
    assert s1["mounts"] == s2["mounts"]
    assert s1["linux"]["namespaces"] == s2["linux"]["namespaces"]
    assert s1["linux"]["maskedPaths"] == s2["linux"]["maskedPaths"]
    assert s1["linux"]["readonlyPaths"] == s2["linux"]["readonlyPaths"]
    assert s1["process"]["capabilities"] == s2["process"]["capabilities"]


# --------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------


def test_features(rt):
    res = rt("features")
    assert res.rc == 0, res
    f = json.loads(res.out)
    semver = re.compile(r"^\d+\.\d+\.\d+")
    assert semver.match(f["ociVersionMin"])
    assert semver.match(f["ociVersionMax"])
    vmin = tuple(int(x) for x in semver.match(f["ociVersionMin"]).group().split("."))
    vmax = tuple(int(x) for x in semver.match(f["ociVersionMax"]).group().split("."))
    assert vmin <= vmax
    assert vmin[0] == 1
    ns = f["linux"]["namespaces"]
    for n in ("cgroup", "ipc", "mount", "network", "pid", "user", "uts"):
        assert n in ns


def test_features_names_the_annotations_the_runtime_acts_on(rt):
    """Engines filter these from untrusted users: the systemd driver turns
    org.systemd.property.* into unit properties (test_systemd.py);
    run.oci.keep_original_groups keeps the caller's groups
    (test_process.py)."""
    f = json.loads(rt("features", root=False, check=True).out)
    unsafe = f["potentiallyUnsafeConfigAnnotations"]
    assert unsafe == ["org.systemd.property.", "run.oci.keep_original_groups"], unsafe


def test_features_lists_mount_options_and_caps(rt):
    f = json.loads(rt("features", check=True).out)
    opts = f.get("mountOptions", [])
    for o in ("ro", "rw", "nosuid", "nodev", "noexec", "bind", "rbind"):
        assert o in opts
    caps = f["linux"].get("capabilities", [])
    for c in ("CAP_SYS_ADMIN", "CAP_KILL", "CAP_NET_BIND_SERVICE"):
        assert c in caps


def test_features_memory_policy_and_hooks_are_what_create_takes(rt, bundle):
    feat = json.loads(rt("features", root=False).out)
    assert feat["hooks"] == ["prestart", "createRuntime", "createContainer",
                             "startContainer", "poststart", "poststop"]
    modes = feat["linux"]["memoryPolicy"]["modes"]
    assert "MPOL_BIND" in modes and "MPOL_DEFAULT" in modes
    bundle.sh("true")
    for mode in ("MPOL_DEFAULT", "MPOL_LOCAL"):
        assert mode in modes
        bundle.linux["memoryPolicy"] = {"mode": mode}
        res = rt.run(unique_id(), bundle)
        assert res.rc == 0, res
    bundle.linux["memoryPolicy"] = {"mode": "MPOL_BOGUS"}
    res = rt.run(unique_id(), bundle)
    assert res.rc != 0 and "MPOL_BOGUS" in res.err, res


def test_debug_traces_each_setup_step_in_the_json_log(rt, bundle, env):
    log = env.base / "debug.json"
    bundle.sh("true")
    bundle.write()
    res = rt("run", "--bundle", bundle, unique_id(),
             global_args=("--debug", "--log", log, "--log-format", "json"))
    assert res.rc == 0, res
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    debug = [e["msg"] for e in entries if e["level"] == "debug"]
    for step in ("clone the container process", "mount the rootfs", "mount proc on /proc",
                 "limits, user"):
        assert any(step in m for m in debug), (step, debug)
    assert all(set(e) == {"level", "msg", "time"} for e in entries)


REVERSE_DNS = re.compile(r"^(org|io|com|net|dev|run)\.[a-z0-9-]+(\.[a-zA-Z0-9_-]+)+$")


def test_features_annotations_reverse_dns_and_libseccomp(rt, ref):
    """As runc's: every annotation key is in reverse-DNS form, and the
    libseccomp in use is named under its own."""
    versions = []
    for r in [rt] + ([ref] if ref else []):
        notes = json.loads(r("features", check=True).out).get("annotations", {})
        bad = [k for k in notes if not REVERSE_DNS.match(k)]
        assert not bad, (r.name, bad)
        if json.loads(r("features", check=True).out)["linux"]["seccomp"]["enabled"]:
            v = notes.get("io.github.seccomp.libseccomp.version", "")
            assert re.match(r"^\d+\.\d+\.\d+$", v), (r.name, notes)
            versions.append(v)
    # both use the system's libseccomp
    assert len(set(versions)) <= 1, versions
