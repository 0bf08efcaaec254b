"""NOTIFY_SOCKET: the container's sd_notify messages reach the caller."""

import os
import shutil
import socket
import subprocess
import threading

import pytest

from lib.runtime import created, unique_id

NOTIFY_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main (int argc, char **argv)
{
  const char *path = getenv ("NOTIFY_SOCKET");
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_DGRAM, 0);
  int i;
  if (path == NULL) { fprintf (stderr, "no NOTIFY_SOCKET\n"); return 2; }
  strncpy (a.sun_path, path, sizeof (a.sun_path) - 1);
  for (i = 1; i < argc; i++)
    if (sendto (fd, argv[i], strlen (argv[i]), 0, (struct sockaddr *) &a, sizeof (a)) < 0)
      { perror ("sendto"); return 1; }
  return 0;
}
"""


@pytest.fixture
def notifier(bundle, env):
    """A static sd_notify sender installed in the bundle's rootfs."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the test's notifier")
    src = env.base / "notify.c"
    src.write_text(NOTIFY_C)
    out = os.path.join(str(bundle), "rootfs", "bin", "sdnotify")
    subprocess.run(["gcc", "-static", "-O1", "-o", out, str(src)], check=True)
    return "/bin/sdnotify"


class Listener:
    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(10)
        self.messages = []

    def collect(self, until="READY=1"):
        while not any(until in m for m in self.messages):
            self.messages.append(self.sock.recv(4096).decode())
        return self.messages


def test_start_passes_messages_until_ready(rt, bundle, env, notifier):
    bundle.sh(f"{notifier} STATUS=starting; sleep 0.3; {notifier} READY=1; sleep 30")
    listener = Listener(env.base / "host.sock")
    envv = dict(os.environ, NOTIFY_SOCKET=listener.path)
    cid = unique_id()
    res = rt.create(cid, bundle, env=envv)
    assert res.rc == 0, res
    # start returns only once the container said it is ready
    res = rt.start(cid, env=envv)
    assert res.rc == 0, res
    msgs = listener.collect()
    assert msgs == ["STATUS=starting", "READY=1"], msgs
    # the container saw its own socket, not the host's path
    pid = rt.pid(cid)
    environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    assert b"NOTIFY_SOCKET=" + listener.path.encode() not in environ


def test_run_detach_waits_for_ready(rt, bundle, env, notifier):
    bundle.sh(f"sleep 0.2; {notifier} READY=1; sleep 30")
    listener = Listener(env.base / "host.sock")
    envv = dict(os.environ, NOTIFY_SOCKET=listener.path)
    res = rt.run(unique_id(), bundle, "--detach", env=envv)
    assert res.rc == 0, res
    assert listener.collect() == ["READY=1"]


def test_start_fails_when_container_exits_unready(rt, bundle, env, notifier):
    bundle.sh("exit 0")
    listener = Listener(env.base / "host.sock")
    envv = dict(os.environ, NOTIFY_SOCKET=listener.path)
    cid = unique_id()
    rt.create(cid, bundle, env=envv)
    res = rt.start(cid, env=envv, check=False)
    assert res.rc != 0 and len(res.err_lines) == 1, res
    assert "READY" in res.err
