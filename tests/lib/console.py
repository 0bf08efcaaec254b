"""The peers of ``--console-socket`` and ``--pidfd-socket``: each receives
one fd over a unix socket, as conmon and containerd's shim do."""

import array
import os
import socket
import threading
import time


class FdReceiver:
    """A unix socket that receives one fd (SCM_RIGHTS), and the bytes sent
    with it (``data``)."""

    what = "fd"

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.fd = None
        self.data = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        conn, _ = self.sock.accept()
        fds = array.array("i")
        msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        self.data = msg
        self.fd = fds[0] if fds else None
        conn.close()

    def wait(self, timeout=10):
        self.thread.join(timeout)
        assert self.fd is not None, f"no {self.what} received on {self.path}"
        return self.fd

    def close(self):
        self.sock.close()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class ConsoleReceiver(FdReceiver):
    """The peer of ``--console-socket``: ``master`` is the pty master."""

    what = "terminal"

    @property
    def master(self):
        return self.fd


def pidfd_pid(fd):
    """The pid (in this pid namespace) of the process the pidfd FD refers
    to, from /proc/self/fdinfo; asserts that FD is a pidfd."""
    assert "pidfd" in os.readlink(f"/proc/self/fd/{fd}"), os.readlink(f"/proc/self/fd/{fd}")
    with open(f"/proc/self/fdinfo/{fd}") as f:
        for line in f:
            if line.startswith("Pid:"):
                return int(line.split()[1])
    raise AssertionError(f"fd {fd}: no Pid: in its fdinfo")


def read_until(fd, needle, timeout=10):
    out = b""
    deadline = time.time() + timeout
    os.set_blocking(fd, False)
    while needle.encode() not in out and time.time() < deadline:
        try:
            out += os.read(fd, 4096)
        except BlockingIOError:
            time.sleep(0.02)
        except OSError:
            break
    return out.decode(errors="replace")
