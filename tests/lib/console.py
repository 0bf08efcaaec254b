"""The peer of ``--console-socket``: receives the pty master, as conmon
would, and reads from it."""

import array
import os
import socket
import threading
import time


class ConsoleReceiver:
    """A unix socket that receives the pty master as conmon would."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.master = None
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        conn, _ = self.sock.accept()
        fds = array.array("i")
        msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_LEN(fds.itemsize))
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        self.master = fds[0] if fds else None
        conn.close()

    def wait(self, timeout=10):
        self.thread.join(timeout)
        assert self.master is not None, "no terminal received"
        return self.master

    def close(self):
        self.sock.close()
        if self.master is not None:
            os.close(self.master)


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
