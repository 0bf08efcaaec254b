"""Kubernetes' path to a runtime: the CRI served by containerd's CRI plugin,
the runc v2 shim, and the runtime as its BinaryName.  Every scenario runs
with the handler ``ocirt`` and with ``runc``."""

import pytest

from crilib import pb


def test_pod_with_two_containers_sharing_its_namespaces(lane, pods, handler):
    pod = pods("two")
    a = pod.run("a", "sleep inf")
    b = pod.run("b", "sleep inf")
    print(pod.sh(a, "hostname; ip addr"))
