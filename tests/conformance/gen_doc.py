#!/usr/bin/env python3
"""Write docs/conformance.md from a run of the conformance suite.

    CONFORMANCE_RESULTS=/tmp/conformance.json OCIRT=... \\
        python3 -m pytest tests/conformance -q
    python3 tests/conformance/gen_doc.py /tmp/conformance.json \\
        > docs/conformance.md

One row per sentence (test, and parameter of a test): the sentence is the
first paragraph of the test's docstring, the note the rest of it (and the
reason of a runc xfail).  The sentences no test checks are listed from
NOT_COVERED below.
"""

import json
import re
import sys
from collections import OrderedDict

CHAPTERS = OrderedDict([
    ("runtime_md", "runtime.md"), ("runtime_linux_md", "runtime-linux.md"),
    ("config_md", "config.md"), ("config_linux_md", "config-linux.md")])

OUTCOME = {"passed": "pass", "failed": "**FAIL**", "xfail": "xfail",
           "XPASS": "**XPASS**", "skipped": "skip", "not run": "-"}

#: (chapter, sentence, why no test checks it)
NOT_COVERED = [
    ("runtime.md", "id MUST be unique across all containers on this host",
     "checked within one state root (create of a taken id fails); runc and "
     "crun keep ids per --root, and so does ocirt"),
    ("runtime.md", "pid: for hooks executed in the container namespace, the "
     "pid as seen by the container",
     "no MUST; the pid the runtime gives is checked for runtime-namespace "
     "hooks"),
    ("config.md", "root, mounts, process: Windows, Solaris, Hyper-V and z/OS "
     "sentences (volume GUID path, `ro` on Windows, nested destinations...)",
     "not Linux"),
    ("config.md", "root.path: the value SHOULD be the conventional rootfs",
     "a rule for bundle authors"),
    ("config.md", "mount idmap/ridmap: if uidMappings/gidMappings are given "
     "the runtime MUST use them for the mount's mapping",
     "needs an idmapped-mount fixture; covered by "
     "tests/integration/test_idmap.py"),
    ("config.md", "idmap SHOULD NOT be passed to mount(2); SHOULD be "
     "implemented with mount_setattr(MOUNT_ATTR_IDMAP)",
     "how, not what: not observable from outside"),
    ("config.md", "uidMappings/gidMappings: options SHOULD contain idmap or "
     "ridmap", "a rule for bundle authors"),
    ("config.md", "a custom option recognized by mount(8) SHOULD follow "
     "mount(8)", "only through the listed options (e.g. relatime after "
     "strictatime)"),
    ("config.md", "apparmorProfile, selinuxLabel",
     "no LSM on this host; tests/integration covers the error when asked"),
    ("config.md", "scheduler, ioPriority: 'the runtime must use the value 0'; "
     "execCPUAffinity.final: SHOULD NOT change the affinity",
     "lower-case must; execCPUAffinity is for exec only; covered by "
     "tests/integration/test_process_attrs.py"),
    ("config.md", "Annotations: keys MUST NOT be empty, SHOULD use reverse "
     "domain notation; org.opencontainers.* values MUST be valid image-spec "
     "values", "rules for bundle authors; runc accepts an empty key"),
    ("config.md", "org.opencontainers.image.stopSignal SHOULD be sent to "
     "kill the container", "the caller's job: `kill` takes the signal "
     "explicitly in every runtime CLI"),
    ("config.md", "windows MUST be set on Windows", "not Linux"),
    ("config.md", "consoleSize height/width REQUIRED",
     "consoleSize MUST be ignored without a terminal; with one, covered by "
     "tests/integration/test_terminal.py"),
    ("config-linux.md", "namespaces: user and mount joined by path",
     "joining another container's mount namespace replaces the rootfs; the "
     "user-namespace path case is in tests/integration/test_namespaces.py"),
    ("config-linux.md", "devices: the same type, major and minor SHOULD NOT "
     "be used for multiple devices", "a rule for bundle authors"),
    ("config-linux.md", "netDevices: check, move, rename with %d, keep "
     "addresses, set up, not move back (7 MUSTs)",
     "needs a host network device to move; tests/integration/test_netdev.py"),
    ("config-linux.md", "a runtime MAY check the container cgroup is fit for "
     "purpose and MUST generate an error if the check fails",
     "no runtime here checks (MAY)"),
    ("config-linux.md", "cgroupsPath values a runtime considers invalid MUST "
     "be an error", "which values are invalid is the runtime's choice"),
    ("config-linux.md", "cgroup ownership rules (SHOULD NOT unless a cgroup "
     "namespace, SHOULD iff /sys/fs/cgroup is rw, delegate files, fallback "
     "list)", "cgroup v2 only; this host's controllers are v1 (the v1 rule "
     "is tested)"),
    ("config-linux.md", "memory.checkBeforeUpdate MUST reject a limit below "
     "the usage", "an `update` behaviour; not a create-time property"),
    ("config-linux.md", "cpu quota/burst: quota MUST be no smaller than "
     "burst", "a rule for bundle authors (runtimes MAY error)"),
    ("config-linux.md", "blockIO weightDevice and rdma: MUST specify at "
     "least one of two fields", "rules for bundle authors"),
    ("config-linux.md", "unified: MUST enable the needed controllers; v1 "
     "to v2 conversion MUST error if impossible", "cgroup v2 controllers "
     "only (this host's are on v1); covered by the cgroup v2 VM lane "
     "(tests/integration/test_cgroups.py). Unknown keys still written is "
     "checked with a core cgroup2 file"),
    ("config-linux.md", "REQUIRED fields of weightDevice, rdma, "
     "netPriorities, hugepageLimits.limit",
     "the devices, RDMA handles, interfaces and hugepage sizes differ from "
     "machine to machine; the other REQUIRED fields are checked"),
    ("config-linux.md", "intelRdt: closID, schemata, monitoring rules "
     "(17 MUSTs)", "no resctrl on this host; only the error without it is "
     "tested"),
    ("config-linux.md", "seccomp: names MUST contain at least one entry; "
     "listenerMetadata MUST NOT be set without listenerPath",
     "rules for bundle authors"),
    ("config-linux.md", "mountLabel", "no SELinux on this host"),
    ("config-linux.md", "rootfsPropagation slave with a private parent "
     "mount", "slave of a private mount cannot be told from private; "
     "checked with a shared rootfs mount"),
]


def first_paragraph(doc):
    paras = [p.strip() for p in re.split(r"\n\s*\n", doc.strip())]
    return paras[0] if paras else "", paras[1:]


def clean(text):
    text = " ".join(text.split())
    text = text.replace("|", "\\|")
    return text


def sentence_of(doc):
    first, rest = first_paragraph(doc)
    first = clean(first).replace('\\"', '"').strip()
    first = re.sub(r'^"', "", first)
    first = re.sub(r'"(\.?)$', r"\1", first)
    first = first.replace('" (', " (").replace('." "', ". ")
    return first, clean(" ".join(rest))


def rows(results):
    table = OrderedDict()
    for nodeid, r in results.items():
        key = (r["name"], r["case"])
        row = table.setdefault(key, {"doc": r["doc"], "name": r["name"],
                                     "case": r["case"], "xfail": "",
                                     "ocirt_xfail": ""})
        row[r["runtime"]] = OUTCOME.get(r["outcome"], r["outcome"])
        if r["runc_xfail"]:
            row["xfail"] = r["runc_xfail"]
        if r.get("ocirt_xfail"):
            row["ocirt_xfail"] = r["ocirt_xfail"]
    return table


def main(path):
    results = json.load(open(path))
    table = rows(results)
    out = []
    out.append("# OCI runtime-spec conformance\n")
    out.append(
        "Generated by `tests/conformance/gen_doc.py` from a run of "
        "`tests/conformance` (spec 1.3, chapters runtime.md, "
        "runtime-linux.md, config.md, config-linux.md). Every test runs on "
        "ocirt and on runc 1.1.5; each row is one sentence (a MUST or "
        "SHOULD, or the field description it rests on) and the test that "
        "checks it from outside the runtime. Where runc and crun "
        "deliberately differ from the text, ocirt follows them and the note "
        "says so; `xfail` on runc is a strict expected failure: runc 1.1.5 "
        "does not honour the sentence; `xfail` on ocirt is a strict expected "
        "failure too, a known ocirt bug that the note names (**ocirt "
        "bug**), whose marker goes with the fix.\n")
    out.append("Run it with:\n")
    out.append("    OCIRT=$build/src/ocirt python3 -m pytest tests/conformance"
               " -q\n")
    counts = {"ocirt": {}, "runc": {}}
    for row in table.values():
        for rtn in counts:
            o = row.get(rtn, "-")
            counts[rtn][o] = counts[rtn].get(o, 0) + 1
    funcs = {r["name"] for r in table.values()}
    out.append(f"{len(funcs)} test functions, {len(table)} rows (a row is "
               "a sentence, or one case of it such as one mount option or "
               f"one namespace type); {len(NOT_COVERED)} groups of sentences "
               "are not checked (end of this page).\n")
    for rtn, c in counts.items():
        out.append(f"- {rtn}: " + ", ".join(f"{v} {k}" for k, v in
                                            sorted(c.items())))
    out.append("")
    for key, chapter in CHAPTERS.items():
        chap_rows = [r for r in table.values()
                     if r["name"].startswith(f"test_{key}__")]
        if not chap_rows:
            continue
        out.append(f"## {chapter}\n")
        out.append("| sentence | test | ocirt | runc | note |")
        out.append("| --- | --- | --- | --- | --- |")
        for r in chap_rows:
            sentence, note = sentence_of(r["doc"])
            if r["xfail"]:
                note = (note + " " if note else "") + \
                    f"runc 1.1.5: {clean(r['xfail'])}."
            if r["ocirt_xfail"]:
                note = (note + " " if note else "") + \
                    f"**ocirt bug**: {clean(r['ocirt_xfail'])}."
            name = r["name"] + (f"[{r['case']}]" if r["case"] else "")
            out.append(f"| {sentence} | `{name}` | {r.get('ocirt', '-')} | "
                       f"{r.get('runc', '-')} | {note} |")
        out.append("")
    out.append("## Not covered\n")
    out.append("| chapter | sentence | why |")
    out.append("| --- | --- | --- |")
    for chapter, sentence, why in NOT_COVERED:
        out.append(f"| {chapter} | {clean(sentence)} | {clean(why)} |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
