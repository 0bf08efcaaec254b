"""Capability numbers (linux/capability.h) and masks as /proc shows them."""

from lib.hostproc import proc_status

#: capability numbers, by name without the CAP_ prefix
CAPS = {n: i for i, n in enumerate(
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID "
    "SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW "
    "IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT "
    "SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD "
    "LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG "
    "WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE".split())}


def cap_mask(*names):
    """The mask of the capabilities NAMES (with or without CAP_, any case)."""
    m = 0
    for n in names:
        m |= 1 << CAPS[n.upper().removeprefix("CAP_")]
    return m


def cap_eff(pid):
    """The effective set of PID, as a mask."""
    return int(proc_status(pid)["CapEff"], 16)
