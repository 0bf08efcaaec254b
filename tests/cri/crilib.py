"""The CRI lane: a private containerd with its CRI plugin, driven through
the Kubernetes Container Runtime Interface (gRPC) by a client of our own.

The client's messages come from cri.proto (the subset of the CRI v1 the
tests use), compiled at import with grpc_tools into a temporary directory.

The lane (``Lane``) owns one directory below /tmp: containerd's root, state,
sockets and config, the CNI config and IPAM data, the runtimes' state roots,
the pods' logs and the images.  Its pods go below an absolute cgroup of its
own (``/ocirt-cri-tests-TOKEN``), never below the caller's cgroup.  The
runtime handlers ``ocirt`` and ``runc`` both use the runc v2 shim, each
with a wrapper script as its BinaryName that logs every call (lib/clients.py's
Runtime).  ``Lane.close`` stops containerd by its pid and then removes what
is left of the lane (processes, mounts, cgroups, the directory); it also
runs from run.sh's trap (``python3 crilib.py cleanup DIR``) when pytest did
not get to it.
"""

import hashlib
import io
import json
import os
import secrets
import shutil
import signal
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from lib.clients import (Daemon, Runtime, busybox_rootfs, check_and_clean,  # noqa: E402
                         containerd_base_config,
                         hierarchies, mounts_below, processes_of, prune_dropping,
                         sh, wait_for)


def _compile_proto():
    """Import cri_pb2 and cri_pb2_grpc, compiled from cri.proto."""
    from grpc_tools import protoc
    out = tempfile.mkdtemp(prefix="ocirt-cri-proto-")
    try:
        rc = protoc.main(["protoc", f"-I{HERE}", f"--python_out={out}",
                          f"--grpc_python_out={out}", str(HERE / "cri.proto")])
        if rc != 0:
            raise RuntimeError(f"protoc failed on {HERE / 'cri.proto'}: {rc}")
        sys.path.insert(0, out)
        import cri_pb2
        import cri_pb2_grpc
        sys.path.remove(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return cri_pb2, cri_pb2_grpc


pb, pb_grpc = _compile_proto()

#: the images the lane imports (containerd's k8s.io namespace)
BUSYBOX_IMAGE = "localhost/ocirt-cri/busybox:1"
PAUSE_IMAGE = "localhost/ocirt-cri/pause:1"
NAMESPACE = "k8s.io"
HANDLERS = ("ocirt", "runc")

#: the pods' network: a bridge of the lane's own network namespace
SUBNET = "10.213.0.0/24"
BRIDGE = "ocirtcri0"

#: host paths containerd and the CNI plugins create whatever the config
#: says: the shims' sockets and libcni's result cache.  What the lane made
#: of them goes at its end.
HOST_DROPPINGS = ("/run/containerd", "/var/lib/cni")

_CLONE_NEWNET = 0x40000000


def enter_own_netns():
    """Move this process (single-threaded still) into a new network
    namespace with lo up: containerd, its shims, the CNI bridge and the
    streaming server live there and go with the lane's processes."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"unshare(CLONE_NEWNET): {os.strerror(e)}")
    sh(["ip", "link", "set", "lo", "up"])


# --------------------------------------------------------------------------
# images: OCI layouts made from busybox-static, imported with ctr
# --------------------------------------------------------------------------


def _blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _layer_tar(rootfs):
    """An uncompressed layer of the directory, owned by root, mtime 0."""
    buf = io.BytesIO()

    def norm(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        ti.mtime = 0
        return ti

    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for p in sorted(Path(rootfs).rglob("*")):
            t.add(p, arcname=str(p.relative_to(rootfs)), recursive=False,
                  filter=norm)
    return buf.getvalue()


def build_image(out_tar, name, rootfs, entrypoint, cmd=(), env=None):
    """Write an OCI image archive for ``ctr images import``: one layer,
    the image named ``name`` (containerd's image-name annotation)."""
    layout = Path(tempfile.mkdtemp(prefix="layout-", dir=Path(out_tar).parent))
    (layout / "blobs" / "sha256").mkdir(parents=True)
    layer = _layer_tar(rootfs)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    layer_desc = dict(_blob(layout, layer),
                      mediaType="application/vnd.oci.image.layer.v1.tar")
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": list(entrypoint), "Cmd": list(cmd),
                   "Env": env or ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                   "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    config_desc = dict(_blob(layout, json.dumps(config).encode()),
                       mediaType="application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [layer_desc]}
    manifest_desc = dict(_blob(layout, json.dumps(manifest).encode()),
                         mediaType="application/vnd.oci.image.manifest.v1+json",
                         annotations={"io.containerd.image.name": name,
                                      "org.opencontainers.image.ref.name":
                                      name.rsplit(":", 1)[1]},
                         platform={"architecture": "amd64", "os": "linux"})
    (layout / "index.json").write_text(json.dumps(
        {"schemaVersion": 2, "manifests": [manifest_desc]}))
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    with tarfile.open(out_tar, "w") as t:
        for p in sorted(layout.rglob("*")):
            t.add(p, arcname=str(p.relative_to(layout)), recursive=False)
    shutil.rmtree(layout)
    return out_tar


# --------------------------------------------------------------------------
# containerd's config, the CNI config
# --------------------------------------------------------------------------


def containerd_config(d, wrappers):
    """containerd 1.6 config (version 2): everything below d, the CRI
    plugin on, a runtime table per handler (runc v2 shim, BinaryName the
    handler's wrapper, its own state root)."""
    runtimes = ""
    for name, wrapper in wrappers.items():
        runtimes += f"""
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}.options]
  BinaryName = "{wrapper}"
  Root = "{d}/runtime-state/{name}"
  SystemdCgroup = false
"""
    return containerd_base_config(d, cri=True) + f"""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  # root here lacks CAP_SYS_RESOURCE: clamp oom_score_adj to containerd's
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  enable_selinux = false
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "{d}/cni/net.d"
  max_conf_num = 1
[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
{runtimes}"""


def cni_config(d):
    return {
        "cniVersion": "1.0.0",
        "name": "ocirt-cri",
        "plugins": [{
            "type": "bridge", "bridge": BRIDGE, "isGateway": True,
            "ipMasq": False, "hairpinMode": False,
            "ipam": {"type": "host-local", "dataDir": f"{d}/cni/ipam",
                     "ranges": [[{"subnet": SUBNET}]]},
        }],
    }


# --------------------------------------------------------------------------
# the lane
# --------------------------------------------------------------------------


def _v1_dirs(path):
    """The directory of cgroup PATH in every mounted hierarchy."""
    return [h + path for h in hierarchies()]


class Lane:
    """A private containerd with the CRI plugin on, and its client."""

    def __init__(self, base, ocirt, runc, busybox="/bin/busybox"):
        self.dir = Path(base)
        self.cgroup = "/ocirt-cri-tests-" + secrets.token_hex(4)
        (self.dir / "droppings").write_text("".join(
            p + "\n" for p in HOST_DROPPINGS if not os.path.lexists(p)))
        (self.dir / "marker").write_text(self.cgroup + "\n")
        self.make_cgroup()
        self.runtimes = {"ocirt": Runtime("ocirt", ocirt, self.dir),
                         "runc": Runtime("runc", runc, self.dir)}
        for n in HANDLERS:
            (self.dir / "runtime-state" / n).mkdir(parents=True)
        (self.dir / "cni" / "net.d").mkdir(parents=True)
        (self.dir / "cni" / "net.d" / "10-ocirt-cri.conflist").write_text(
            json.dumps(cni_config(self.dir), indent=2))
        (self.dir / "pods").mkdir()
        (self.dir / "logs").mkdir()
        (self.dir / "tmp").mkdir()
        self.config = self.dir / "config.toml"
        self.config.write_text(containerd_config(
            self.dir, {n: rt.wrapper("cri") for n, rt in self.runtimes.items()}))
        self.sock = self.dir / "containerd.sock"
        self.start_containerd()
        self.import_images(busybox)
        self.connect()

    def start_containerd(self):
        # the shims' files (and any of the runtimes' temporary files) go
        # to TMPDIR
        self.daemon = Daemon("containerd", ["containerd", "--config", self.config],
                             self.dir / "containerd.log",
                             env=dict(os.environ, TMPDIR=str(self.dir / "tmp")))
        (self.dir / "containerd.pid").write_text(f"{self.daemon.proc.pid}\n")
        self.daemon.wait_ready(lambda: self.ctr("version", check=False).rc == 0)

    def connect(self):
        import grpc
        self.channel = grpc.insecure_channel(f"unix://{self.sock}")
        self.rt = pb_grpc.RuntimeServiceStub(self.channel)
        self.img = pb_grpc.ImageServiceStub(self.channel)
        wait_for(self.ready, timeout=30, what="the CRI's RuntimeReady and NetworkReady")

    def restart_containerd(self):
        """Stop containerd (its shims and containers go on) and start it
        again, as an upgrade of the node does."""
        self.channel.close()
        assert self.daemon.stop(), "containerd did not stop on SIGTERM"
        self.start_containerd()
        self.connect()

    # -- set-up --------------------------------------------------------------

    def make_cgroup(self):
        """The lane's absolute cgroup in every hierarchy (cpuset filled in:
        a new v1 cpuset is empty, and its children could not be used)."""
        for d in _v1_dirs(self.cgroup):
            os.mkdir(d)
            if os.path.exists(os.path.join(d, "cpuset.cpus")):
                for f in ("cpuset.cpus", "cpuset.mems"):
                    value = Path(os.path.dirname(d), f).read_text()
                    Path(d, f).write_text(value)

    def ctr(self, *args, **kw):
        return sh(["ctr", "--address", self.sock, "--namespace", NAMESPACE,
                   *args], **kw)

    def import_images(self, busybox):
        root = busybox_rootfs(self.dir / "images" / "rootfs", busybox)
        for name, entry in ((BUSYBOX_IMAGE, ["/bin/sh"]),
                            (PAUSE_IMAGE, ["/bin/sleep", "inf"])):
            tar = self.dir / "images" / (name.rsplit("/", 1)[1].replace(":", "-") + ".tar")
            build_image(tar, name, root, entry)
            self.ctr("images", "import", tar)
        shutil.rmtree(root)

    def ready(self):
        import grpc
        try:
            st = self.rt.Status(pb.StatusRequest())
        except grpc.RpcError as e:
            # after a restart: until the CRI has loaded its state
            if "not initialized" in str(e.details()):
                return False
            raise
        conds = {c.type: c.status for c in st.status.conditions}
        return conds.get("RuntimeReady") and conds.get("NetworkReady")

    # -- tear-down -------------------------------------------------------------

    def close(self):
        """Stop containerd, then remove what is left; returns the
        problems found (a leftover is a problem)."""
        problems = []
        if hasattr(self, "channel"):
            self.channel.close()
        if not self.daemon.stop():
            problems.append("containerd did not stop on SIGTERM")
        return problems + cleanup_lane_dir(self.dir)


def cleanup_lane_dir(d):
    """Remove what is left of the lane in d (see cleanup), what it made of
    HOST_DROPPINGS, and d itself (unless CRI_KEEP is set); returns what
    was left."""
    d = Path(d)
    found = []
    marker = d / "marker"
    if marker.exists():
        found = cleanup(d, marker.read_text().strip()) + prune_droppings(d)
    if not os.environ.get("CRI_KEEP"):
        shutil.rmtree(d, ignore_errors=True)
    return found


def cleanup(d, cgroup):
    """Stop what is left of the lane in d: containerd (by its pid file),
    its shims and the containers in its cgroup; unmount what is mounted
    below d, remove its cgroups; returns what was left."""
    pidfile = Path(d, "containerd.pid")
    if pidfile.exists():
        pid = int(pidfile.read_text())
        try:
            if str(d) in Path(f"/proc/{pid}/cmdline").read_text():
                os.kill(pid, signal.SIGTERM)
                wait_for(lambda: not Path(f"/proc/{pid}").exists() or
                         "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3],
                         timeout=20, what="containerd to exit")
        except (OSError, AssertionError):
            pass
    return check_and_clean("containerd", [d], cgroup)


# --------------------------------------------------------------------------
# pods and containers through the CRI
# --------------------------------------------------------------------------


class Pod:
    """A pod sandbox made through the CRI, and helpers for its containers."""

    def __init__(self, lane, handler, name, hostname=None, dns=None,
                 pid_mode=pb.CONTAINER, readonly_rootfs=False, seccomp=None,
                 sysctls=None, network=pb.POD, ipc=pb.POD, privileged=False):
        self.lane, self.handler, self.name = lane, handler, name
        self.uid = secrets.token_hex(8)
        self.cgroup_parent = f"{lane.cgroup}/pod-{self.uid}"
        self.log_dir = lane.dir / "pods" / f"default_{name}_{self.uid}"
        self.log_dir.mkdir()
        sec = pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(network=network, pid=pid_mode,
                                                 ipc=ipc),
            readonly_rootfs=readonly_rootfs, privileged=privileged)
        if seccomp is not None:
            sec.seccomp.CopyFrom(seccomp)
        self.config = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=self.uid,
                                           namespace="default", attempt=0),
            hostname=name if hostname is None else hostname,
            log_directory=str(self.log_dir),
            dns_config=dns,
            labels={"ocirt-test": name},
            linux=pb.LinuxPodSandboxConfig(cgroup_parent=self.cgroup_parent,
                                           security_context=sec,
                                           sysctls=sysctls or {}))
        self.id = lane.rt.RunPodSandbox(pb.RunPodSandboxRequest(
            config=self.config, runtime_handler=handler)).pod_sandbox_id
        self.containers = []

    # -- containers --------------------------------------------------------------

    def create(self, name, *args, command=("/bin/sh", "-c"), attempt=0,
               tty=False, stdin=False, stdin_once=False, resources=None,
               security=None, envs=None, mounts=(), working_dir="", devices=()):
        log = f"{name}/{attempt}.log"
        (self.log_dir / name).mkdir(exist_ok=True)
        cfg = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=attempt),
            image=pb.ImageSpec(image=BUSYBOX_IMAGE),
            command=list(command), args=list(args), log_path=log,
            tty=tty, stdin=stdin, stdin_once=stdin_once,
            envs=[pb.KeyValue(key=k, value=v) for k, v in (envs or {}).items()],
            mounts=list(mounts), working_dir=working_dir, devices=list(devices),
            linux=pb.LinuxContainerConfig(
                resources=resources or pb.LinuxContainerResources(),
                security_context=security or pb.LinuxContainerSecurityContext(
                    namespace_options=self.config.linux.security_context.namespace_options)))
        cid = self.lane.rt.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=self.id, config=cfg, sandbox_config=self.config)).container_id
        self.containers.append(cid)
        return cid

    def start(self, cid):
        self.lane.rt.StartContainer(pb.StartContainerRequest(container_id=cid))
        return cid

    def run(self, name, *args, **kw):
        return self.start(self.create(name, *args, **kw))

    def status(self, cid, verbose=False):
        return self.lane.rt.ContainerStatus(
            pb.ContainerStatusRequest(container_id=cid, verbose=verbose))

    def state(self, cid):
        return self.status(cid).status.state

    def wait_exited(self, cid, timeout=30):
        wait_for(lambda: self.state(cid) == pb.CONTAINER_EXITED, timeout=timeout,
                 what=f"container {cid} to exit")
        return self.status(cid).status

    def exec_sync(self, cid, *cmd, timeout=30):
        return self.lane.rt.ExecSync(pb.ExecSyncRequest(
            container_id=cid, cmd=list(cmd), timeout=timeout), timeout=timeout + 30)

    def sh(self, cid, script):
        """stdout of sh -c SCRIPT run in the container; fails on non-zero."""
        r = self.exec_sync(cid, "/bin/sh", "-c", script)
        assert r.exit_code == 0, (script, r.exit_code, r.stdout, r.stderr)
        return r.stdout.decode()

    def pid(self, cid):
        """The host pid of the container's init (containerd's info)."""
        info = json.loads(self.status(cid, verbose=True).info["info"])
        return info["pid"]

    def sandbox_pid(self):
        r = self.lane.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(
            pod_sandbox_id=self.id, verbose=True))
        return json.loads(r.info["info"])["pid"]

    def sandbox_status(self):
        return self.lane.rt.PodSandboxStatus(pb.PodSandboxStatusRequest(
            pod_sandbox_id=self.id)).status

    def log_lines(self, cid):
        """The container's log file, parsed: [(time, stream, tag, text)]."""
        path = self.status(cid).status.log_path
        out = []
        for line in Path(path).read_text().splitlines():
            ts, stream, tag, text = (line.split(" ", 3) + [""])[:4]
            out.append((ts, stream, tag, text))
        return out

    # -- the end -----------------------------------------------------------------

    def stop(self):
        self.lane.rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=self.id))

    def remove(self):
        self.lane.rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=self.id))

    def leftovers(self):
        """What the pod left once removed: its cgroups (removing the pod's
        own, as the kubelet does), state in the runtime's root, mounts and
        processes."""
        left = []
        for d in _v1_dirs(self.cgroup_parent):
            if os.path.isdir(d):
                try:
                    os.rmdir(d)
                except OSError as e:
                    left.append(f"cgroup {d}: {e.strerror} "
                                f"({sorted(os.listdir(d))[:5]}...)")
        root = self.lane.dir / "runtime-state" / self.handler / NAMESPACE
        for cid in [self.id] + self.containers:
            if (root / cid).exists():
                left.append(f"runtime state {root / cid}")
        for cid in [self.id] + self.containers:
            left += [f"mount {m}" for m in mounts_below(self.lane.dir)
                     if cid in m]
            left += [f"process {p}" for p in processes_of(cid, self.cgroup_parent)]
        return left


# --------------------------------------------------------------------------
# streaming: the CRI's exec/attach URLs, through the WebSocket protocol
# --------------------------------------------------------------------------

STDIN, STDOUT, STDERR, ERROR, RESIZE = range(5)


class Stream:
    """One session on the CRI streaming server (Kubernetes' remotecommand
    protocol v4 over WebSocket: each message is one channel byte and data;
    the error channel ends with a JSON Status)."""

    def __init__(self, url, timeout=30):
        import websocket
        ws_url = "ws" + url[len("http"):] if url.startswith("http") else url
        self.ws = websocket.create_connection(
            ws_url, subprotocols=["v4.channel.k8s.io"], timeout=timeout)
        self.out = {STDOUT: b"", STDERR: b""}
        self.status = None

    def send(self, data, channel=STDIN):
        if isinstance(data, str):
            data = data.encode()
        self.ws.send_binary(bytes([channel]) + data)

    def resize(self, cols, rows):
        self.send(json.dumps({"Width": cols, "Height": rows}), RESIZE)

    def read_until(self, pred, timeout=30):
        """Read messages until pred(self) or the end; True when pred held."""
        import websocket
        deadline = time.monotonic() + timeout
        while not pred(self):
            if time.monotonic() > deadline:
                return False
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                op, data = self.ws.recv_data()
            except (websocket.WebSocketConnectionClosedException,
                    websocket.WebSocketTimeoutException):
                return pred(self)
            if op == websocket.ABNF.OPCODE_CLOSE:
                return pred(self)
            if not data:
                continue
            ch, payload = data[0], data[1:]
            if ch in self.out:
                self.out[ch] += payload
            elif ch == ERROR and payload:
                self.status = json.loads(payload)
        return True

    def wait_end(self, timeout=30):
        """Read to the end; returns the exit code (from the Status)."""
        assert self.read_until(lambda s: s.status is not None, timeout), \
            f"no status from the streaming server; output {self.out}"
        return exit_code_of(self.status)

    def close(self):
        self.ws.close()


def exit_code_of(status):
    if status.get("status") == "Success":
        return 0
    for cause in status.get("details", {}).get("causes", []):
        if cause.get("reason") == "ExitCode":
            return int(cause["message"])
    raise AssertionError(f"streaming session failed: {status}")


def shim_socket(d, shim_id):
    """The socket containerd 1.6 gives a shim, whatever its config says:
    /run/containerd/s/ and the SHA-256 of its address, namespace and id."""
    key = os.path.join(str(Path(d, "containerd.sock")), NAMESPACE, shim_id)
    return Path("/run/containerd/s", hashlib.sha256(key.encode()).hexdigest())


def prune_droppings(d):
    """Remove what the lane's sandboxes leave on the host when a run is
    killed before it removed its pods (the sockets of its killed shims,
    libcni's cached results), then what the lane made of HOST_DROPPINGS
    (those that were not there before it: the list in d/droppings)."""
    ids = set()
    for top in ("state", "root"):
        sandboxes = Path(d, top, "io.containerd.grpc.v1.cri", "sandboxes")
        if sandboxes.is_dir():
            ids.update(e.name for e in sandboxes.iterdir())
    bound = {line.split()[-1] for line in Path("/proc/net/unix").read_text().splitlines()[1:]}
    for i in ids:
        sock = shim_socket(d, i)
        if sock.exists() and str(sock) not in bound:
            sock.unlink()
    results = Path("/var/lib/cni/results")
    if ids and results.is_dir():
        for f in results.iterdir():
            if any(i in f.name for i in ids):
                f.unlink()
    try:
        paths = Path(d, "droppings").read_text().split()
    except FileNotFoundError:
        return []
    return [f"left in {p}: {f}" for p in paths for f in prune_dropping(p)]


if __name__ == "__main__" and sys.argv[1:2] == ["cleanup"]:
    # run.sh's trap: the lane directory of a run that did not clean up
    for f in cleanup_lane_dir(sys.argv[2]):
        print(f"cri cleanup: {f}", file=sys.stderr)
