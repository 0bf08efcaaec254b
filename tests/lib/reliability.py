"""Helpers shared by tests/integration/test_stress.py and test_faults.py."""

from lib.host import HostSnapshot


class Snapshot(HostSnapshot):
    """HostSnapshot that leaves out the named network namespaces other
    tests pin under /run/netns while these run: none of the configs here
    asks for one, so one there is never ours unless it names our ids."""

    def new_mounts(self, ids=()):
        return [m for m in super().new_mounts(ids)
                if " /run/netns/" not in m or any(i in m for i in ids)]
