"""Reading /proc/<pid>/status, and strict xfail markers by parameter;
shared by the integration, client and conformance suites."""


def proc_status(pid):
    """/proc/<pid>/status as a dict of str -> str."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k.strip()] = v.strip()
    return out


def xfail_where(items, marker, param, value, prefix):
    """Strict xfail for the tests with MARKER whose parameter PARAM is
    VALUE; the reason is PREFIX and the marker's first argument."""
    import pytest

    for item in items:
        mark = item.get_closest_marker(marker)
        callspec = getattr(item, "callspec", None)
        if mark and callspec and callspec.params.get(param) == value:
            item.add_marker(pytest.mark.xfail(
                strict=True, reason=prefix + mark.args[0]))
