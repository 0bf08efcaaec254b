"""idmapped bind mounts (mount uidMappings/gidMappings, idmap and ridmap),
checked from the host through /proc/<pid>/root and /proc/<pid>/mountinfo."""

import json
import os
import subprocess

import pytest

from lib.host import find_mount, read_mountinfo
from lib.runtime import create_refused, create_running, run_output, runc_diff
from lib.kernel import idmap_unsupported

NO_IDMAP = "runc 1.1 has no idmapped mounts"


def _need_idmap(path, recursive=False):
    """Skip unless this kernel can idmap the filesystem of PATH."""
    reason = idmap_unsupported(path, recursive)
    if reason:
        pytest.skip(reason)


def _mapping(*triples):
    return [{"containerID": c, "hostID": h, "size": s} for c, h, s in triples]


def _idmap_mount(bundle, host_dir, options, uids=None, gids=None):
    m = {"destination": "/data", "type": "bind", "source": str(host_dir),
         "options": list(options)}
    if uids is not None:
        m["uidMappings"] = uids
    if gids is not None:
        m["gidMappings"] = gids
    bundle.config["mounts"].append(m)
    return m


def _owned_files(host_dir):
    (host_dir / "root-file").write_text("r")
    (host_dir / "user-file").write_text("u")
    os.chown(host_dir / "root-file", 0, 0)
    os.chown(host_dir / "user-file", 1000, 1000)


def _user_namespace(bundle, host_id=100000):
    # the rootfs belongs to host root: make the mount point beforehand
    (bundle.rootfs / "data").mkdir(exist_ok=True)
    bundle.set_namespace("user")
    bundle.linux["uidMappings"] = _mapping((0, host_id, 65536))
    bundle.linux["gidMappings"] = _mapping((0, host_id, 65536))


@runc_diff(NO_IDMAP)
def test_idmap_shows_owners_through_the_mapping(rt, bundle, host_dir):
    _need_idmap(host_dir)
    _owned_files(host_dir)
    maps = _mapping((0, 5000, 1), (1000, 6000, 1))
    _idmap_mount(bundle, host_dir, ["bind", "idmap"], maps, maps)
    cid, pid = create_running(rt, bundle)
    root = f"/proc/{pid}/root/data"
    st = os.stat(f"{root}/root-file")
    assert (st.st_uid, st.st_gid) == (5000, 5000)
    st = os.stat(f"{root}/user-file")
    assert (st.st_uid, st.st_gid) == (6000, 6000)
    # the files themselves are untouched
    st = os.stat(host_dir / "root-file")
    assert (st.st_uid, st.st_gid) == (0, 0)
    m = find_mount(read_mountinfo(pid), "/data")
    assert m is not None and "idmapped" in m["options"], m


@runc_diff(NO_IDMAP)
def test_idmap_unmapped_writer_is_refused(rt, bundle, host_dir):
    """Container root (host uid 0) is outside the mount's mapping: the
    kernel refuses to create a file it could not give an owner."""
    _need_idmap(host_dir)
    maps = _mapping((0, 5000, 1))
    _idmap_mount(bundle, host_dir, ["bind", "idmap"], maps, maps)
    res = run_output(rt, bundle, "touch /data/new 2>&1; echo rc=$?")
    assert res.rc == 0, res
    assert "rc=0" not in res.out, res
    assert not (host_dir / "new").exists()


@runc_diff(NO_IDMAP)
def test_idmap_borrows_the_container_user_namespace(rt, bundle, host_dir):
    """idmap without mappings of its own uses the container's: a file
    the container's root creates belongs to root on disk."""
    _need_idmap(host_dir)
    _owned_files(host_dir)
    _user_namespace(bundle)
    _idmap_mount(bundle, host_dir, ["rbind", "idmap"])
    res = run_output(rt, bundle,
                     "stat -c '%u %g' /data/root-file /data/user-file;"
                     " echo hi > /data/made-inside && echo made")
    assert res.rc == 0, res
    assert res.out.split() == ["0", "0", "1000", "1000", "made"], res
    st = os.stat(host_dir / "made-inside")
    assert (st.st_uid, st.st_gid) == (0, 0)


def test_without_idmap_a_user_namespace_sees_nobody(rt, bundle, host_dir):
    """The contrast to the test above: through a plain bind, host root's
    files show as the overflow id, and what the container's root creates
    belongs to its host uid."""
    _owned_files(host_dir)
    _user_namespace(bundle)
    bundle.bind(host_dir, "/data")
    res = run_output(rt, bundle, "stat -c '%u' /data/root-file;"
                     " echo hi > /data/made-inside && echo made")
    assert res.rc == 0, res
    assert res.out.split() == ["65534", "made"], res
    assert os.stat(host_dir / "made-inside").st_uid == 100000


@runc_diff(NO_IDMAP)
def test_idmap_with_explicit_mappings_in_a_user_namespace(rt, bundle, host_dir):
    _need_idmap(host_dir)
    _owned_files(host_dir)
    _user_namespace(bundle)
    # disk uid 1000 appears as container root
    maps = _mapping((1000, 100000, 1), (0, 100001, 1))
    _idmap_mount(bundle, host_dir, ["bind", "idmap"], maps, maps)
    res = run_output(rt, bundle, "stat -c '%u' /data/user-file /data/root-file")
    assert res.rc == 0, res
    assert res.out.split() == ["0", "1"], res


@pytest.fixture
def tree_with_submount(host_dir):
    sub = host_dir / "sub"
    sub.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "idmap-sub", str(sub)],
                   check=True)
    try:
        (sub / "in-sub").write_text("s")
        yield host_dir
    finally:
        subprocess.run(["umount", "-l", str(sub)], check=False)


@runc_diff(NO_IDMAP)
@pytest.mark.parametrize("option,sub_mapped", [("ridmap", True), ("idmap", False)])
def test_ridmap_maps_every_mount_of_the_tree(rt, bundle, tree_with_submount, option,
                                             sub_mapped):
    _need_idmap(tree_with_submount, recursive=sub_mapped)
    maps = _mapping((0, 7000, 1))
    _idmap_mount(bundle, tree_with_submount, ["rbind", option], maps, maps)
    cid, pid = create_running(rt, bundle)
    mi = read_mountinfo(pid)
    top, sub = find_mount(mi, "/data"), find_mount(mi, "/data/sub")
    assert top is not None and sub is not None, [m["mountpoint"] for m in mi]
    assert "idmapped" in top["options"]
    assert ("idmapped" in sub["options"]) == sub_mapped, sub
    uid = os.stat(f"/proc/{pid}/root/data/sub/in-sub").st_uid
    assert uid == (7000 if sub_mapped else 0)


@runc_diff(NO_IDMAP)
def test_uid_mappings_without_gid_mappings_fails(rt, bundle, host_dir):
    _idmap_mount(bundle, host_dir, ["bind", "idmap"], _mapping((0, 5000, 1)))
    create_refused(rt, bundle, "mounts[", "/data", "gidMappings")


@runc_diff(NO_IDMAP)
def test_idmap_of_a_non_bind_mount_fails(rt, bundle):
    bundle.config["mounts"].append({"destination": "/data", "type": "tmpfs",
                                    "source": "tmpfs", "options": ["idmap"]})
    create_refused(rt, bundle, "/data", "bind")


@runc_diff(NO_IDMAP)
def test_idmap_without_any_mapping_fails(rt, bundle, host_dir):
    _idmap_mount(bundle, host_dir, ["bind", "idmap"])
    create_refused(rt, bundle, "/data", "user namespace")


def test_idmap_of_a_missing_source_fails(rt, bundle, host_dir):
    maps = _mapping((0, 5000, 1))
    _idmap_mount(bundle, host_dir / "absent", ["bind", "idmap"], maps, maps)
    create_refused(rt, bundle, "absent")


@runc_diff(NO_IDMAP)
def test_features_reports_idmap(rt):
    res = rt("features", check=True)
    feats = json.loads(res.out)
    assert feats["linux"]["mountExtensions"]["idmap"]["enabled"] is True


def test_idmap_the_kernel_cannot_make_fails_clearly(rt, bundle, host_dir):
    """Where the kernel has no idmapped mounts, or none of this
    filesystem, create says so in its one error line."""
    reason = idmap_unsupported(host_dir)
    if reason is None:
        pytest.skip(f"this kernel idmaps {host_dir}")
    maps = _mapping((0, 5000, 1))
    _idmap_mount(bundle, host_dir, ["bind", "idmap"], maps, maps)
    res = create_refused(rt, bundle, "/data")
    assert "Linux 5.12" in res.err or "cannot idmap" in res.err, res


def test_features_annotations_say_what_the_kernel_idmaps(rt, tree_with_submount):
    """mountExtensions says what the runtime takes (true, as the spec
    asks); the annotations say what this kernel can do."""
    notes = json.loads(rt("features", check=True).out)["annotations"]
    tmpfs = idmap_unsupported(tree_with_submount / "sub")
    kernel = tmpfs is None or "Linux 5.12" not in tmpfs
    assert notes["org.ocirt.kernel.idmap"] == ("true" if kernel else "false"), notes
    assert notes["org.ocirt.kernel.idmap.tmpfs"] == ("false" if tmpfs else "true"), notes
