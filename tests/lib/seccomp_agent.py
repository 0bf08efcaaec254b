"""A seccomp agent: the peer of ``linux.seccomp.listenerPath``."""

import errno
import fcntl
import json
import os
import select
import socket
import struct
import threading

# struct seccomp_notif (80 bytes) and struct seccomp_notif_resp (24 bytes)
NOTIF = struct.Struct("=QII iIQ6Q")
NOTIF_RESP = struct.Struct("=QqiI")
SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101


class Agent(threading.Thread):
    """A seccomp agent: takes one connection, the state and the fd, then
    answers every notification with -ERROR."""

    def __init__(self, path, error=errno.EXDEV):
        super().__init__(daemon=True)
        self.path = str(path)
        self.error = error
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.state = None
        self.raw = b""
        self.nfds = 0
        self.fd_kind = None  # what the first fd received is
        self.notified = []
        self.problem = None
        self.stop = threading.Event()

    def run(self):
        try:
            self.sock.settimeout(30)
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(30)
                msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
                data = msg
                while True:
                    more = conn.recv(65536)
                    if not more:
                        break
                    data += more
            self.raw = data
            self.nfds = len(fds)
            if fds:
                self.fd_kind = os.readlink(f"/proc/self/fd/{fds[0]}")
            self.state = json.loads(data)
            self.serve(fds[0])
            for fd in fds:
                os.close(fd)
        except Exception as e:  # reported by the test
            self.problem = e

    def serve(self, fd):
        while not self.stop.is_set():
            r, _, _ = select.select([fd], [], [], 0.1)
            if not r:
                continue
            buf = bytearray(NOTIF.size)
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf)
            except OSError as e:
                if e.errno in (errno.ENOENT, errno.EINTR):
                    continue
                return
            nid, pid, _, nr, _, _, *args = NOTIF.unpack(buf)
            self.notified.append((pid, nr))
            resp = bytearray(NOTIF_RESP.pack(nid, 0, -self.error, 0))
            try:
                fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp)
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.join(5)
        self.sock.close()
