"""Failing create/run: non-zero exit, one error line, nothing left behind."""

import json
import os
import shutil

import pytest

from lib.host import HostSnapshot
from lib.runtime import assert_single_line_error, runc_diff, unique_id

COMMANDS = ["create", "run"]


def attempt(rt, bundle, command, cid=None, bundle_path=None, *extra):
    """Run create/run expecting failure; returns (Result, cid)."""
    cid = cid or unique_id()
    rt.ids.add(cid)
    if bundle is not None and bundle.config is not None:
        bundle.write()
    path = bundle_path if bundle_path is not None else bundle.path
    snap = HostSnapshot(rt)
    res = rt(command, "--bundle", path, *extra, cid)
    assert res.rc != 0, res
    snap.assert_clean(ids=[cid])
    assert rt.state_result(cid).rc != 0
    assert cid not in [c["id"] for c in rt.list_json()]
    return res, cid


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_bundle_dir(rt, env, command):
    missing = env.base / "no-such-bundle"
    res, cid = attempt(rt, None, command, bundle_path=missing)
    assert_single_line_error(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_config_json(rt, bundle, command):
    bundle.write()
    bundle.config_path.unlink()
    bundle.config = None
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res, "config.json")


@pytest.mark.parametrize("command", COMMANDS)
def test_invalid_json(rt, bundle, command):
    bundle.write_raw('{"ociVersion": "1.0.2", "process": {')
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_empty_config(rt, bundle, command):
    bundle.write_raw("")
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_wrong_type_args(rt, bundle, command):
    bundle.process["args"] = "sh"
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_wrong_type_uid(rt, bundle, command):
    bundle.process["user"]["uid"] = "root"
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


def test_no_process(rt, bundle):
    del bundle.config["process"]
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


def test_empty_args(rt, bundle):
    bundle.process["args"] = []
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


@runc_diff("runc 1.1 does not check ociVersion")
@pytest.mark.parametrize("command", COMMANDS)
def test_unsupported_oci_version(rt, bundle, command):
    bundle.config["ociVersion"] = "2.0.0"
    bundle.sh("exit 0")
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


@pytest.mark.parametrize("version", ["1.0.0", "1.0.2", "1.0.2-dev", "1.1.0"])
def test_supported_oci_versions_accepted(rt, bundle, version):
    bundle.config["ociVersion"] = version
    res = rt.run(unique_id(), bundle.sh("exit 0"))
    assert res.rc == 0, res


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_rootfs(rt, bundle, command):
    shutil.rmtree(bundle.rootfs)
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


def test_rootfs_is_a_file(rt, bundle):
    shutil.rmtree(bundle.rootfs)
    bundle.rootfs.write_text("not a dir")
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_program_not_found(rt, bundle, command):
    bundle.set_args("no-such-program", "arg")
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res, "no-such-program")


@pytest.mark.parametrize("command", COMMANDS)
def test_program_absolute_path_not_found(rt, bundle, command):
    bundle.set_args("/usr/bin/missing-prog")
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res, "missing-prog")


def test_program_not_in_container_path(rt, bundle):
    # lookup uses the container's PATH: sh exists, but not on /nowhere
    bundle.process["env"] = ["PATH=/nowhere"]
    bundle.set_args("sh", "-c", "exit 0")
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res, "sh")


def test_program_absolute_path_ignores_path(rt, bundle):
    bundle.process["env"] = ["PATH=/nowhere"]
    bundle.set_args("/bin/sh", "-c", "exit 5")
    res = rt.run(unique_id(), bundle)
    assert res.rc == 5, res


def test_program_not_executable(rt, bundle):
    f = bundle.rootfs / "bin" / "notexec"
    f.write_text("#!/bin/sh\necho hi\n")
    f.chmod(0o644)
    bundle.set_args("/bin/notexec")
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


def test_program_is_a_directory(rt, bundle):
    (bundle.rootfs / "bin" / "adir").mkdir()
    bundle.set_args("/bin/adir")
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_filesystem_type(rt, bundle, command):
    bundle.add_mount("/mnt/x", "none", "nosuchfs")
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


def test_bind_mount_missing_source(rt, bundle, env):
    bundle.bind(env.base / "no-such-source", "/mnt/x")
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_relative_cwd(rt, bundle, command):
    bundle.process["cwd"] = "relative/dir"
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


def test_cwd_is_a_file(rt, bundle):
    (bundle.rootfs / "afile").write_text("x")
    bundle.process["cwd"] = "/afile"
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


@pytest.mark.parametrize("command", COMMANDS)
def test_rlimit_above_hard_limit(rt, bundle, command):
    # the hard limit for open files of the caller is below 30000 here and
    # raising it needs CAP_SYS_RESOURCE
    hard = int(open("/proc/self/limits").read().split("Max open files")[1]
               .split()[1])
    if hard >= 30000:
        pytest.skip(f"nofile hard limit is {hard}")
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 30000, "hard": 30000}]
    res, cid = attempt(rt, bundle, command)
    assert_single_line_error(res)


def test_rlimit_unknown_type(rt, bundle):
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


def test_rlimit_soft_above_hard(rt, bundle):
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


def test_config_is_a_directory(rt, bundle):
    bundle.write()
    bundle.config_path.unlink()
    bundle.config_path.mkdir()
    bundle.config = None
    res, cid = attempt(rt, bundle, "create")
    assert_single_line_error(res)


def test_failed_create_then_same_id_works(rt, bundle):
    bundle.set_args("no-such-program")
    cid = unique_id()
    res, _ = attempt(rt, bundle, "create", cid=cid)
    bundle.sh("sleep 30")
    rt.create(cid, bundle)
    assert rt.state(cid)["status"] == "created"


def test_error_exit_code_matches_reference(rt, ref, env):
    if ref is None:
        pytest.skip("no reference runtime")
    codes = []
    for runtime in (rt, ref):
        b = env.bundle()
        b.set_args("no-such-program")
        res = runtime.create(unique_id(), b, check=False)
        assert res.err_lines
        codes.append(res.rc)
    assert codes[0] == codes[1], codes
