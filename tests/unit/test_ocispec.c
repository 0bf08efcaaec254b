/*
 * Unit tests of the generated OCI parser and writer (oci_types.c).
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci_types.h"

/* JSON written as bare tokens; the preprocessor quotes it for us. */
#define J(...) #__VA_ARGS__

static oci_spec *
spec (const char *json, char **err)
{
  return oci_spec_parse_data (json, strlen (json), err);
}

static void
expect_spec_error (const char *json, const char *want)
{
  char *err = NULL;
  oci_spec *s = spec (json, &err);

  cr_assert_null (s, "parsed, expected \"%s\" for %s", want, json);
  cr_assert_not_null (err);
  cr_assert_str_eq (err, want, "for %s", json);
  free (err);
}

static oci_spec *
expect_spec (const char *json)
{
  char *err = NULL;
  oci_spec *s = spec (json, &err);

  cr_assert_not_null (s, "%s: %s", json, err ? err : "(no error)");
  cr_assert_null (err);
  return s;
}

/*
 * Minimal configs around a linux or process object.  Stringified right
 * here: passed on to J() the tokens true/false would expand to 1/0.
 */
#define WITH_LINUX(...) "{\"ociVersion\": \"1.0.0\", \"linux\": " #__VA_ARGS__ "}"
#define WITH_PROCESS(...) "{\"ociVersion\": \"1.0.0\", \"process\": " #__VA_ARGS__ "}"

/* A typical generated default config. */
static const char default_spec[] = J ({
  "ociVersion" : "1.0.2-dev",
  "process" : {
    "terminal" : true,
    "user" : { "uid" : 0, "gid" : 0 },
    "args" : ["sh"],
    "env" : [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm" ],
    "cwd" : "/",
    "capabilities" : {
      "bounding" : [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "effective" : [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "permitted" : [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
      "ambient" : [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
    },
    "rlimits" : [ { "type" : "RLIMIT_NOFILE", "hard" : 1024, "soft" : 1024 } ],
    "noNewPrivileges" : true
  },
  "root" : { "path" : "rootfs", "readonly" : true },
  "hostname" : "box",
  "mounts" : [
    { "destination" : "/proc", "type" : "proc", "source" : "proc" }, {
      "destination" : "/dev",
      "type" : "tmpfs",
      "source" : "tmpfs",
      "options" : [ "nosuid", "strictatime", "mode=755", "size=65536k" ]
    },
    {
      "destination" : "/dev/pts",
      "type" : "devpts",
      "source" : "devpts",
      "options" : [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ]
    },
    {
      "destination" : "/dev/shm",
      "type" : "tmpfs",
      "source" : "shm",
      "options" : [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ]
    },
    {
      "destination" : "/dev/mqueue",
      "type" : "mqueue",
      "source" : "mqueue",
      "options" : [ "nosuid", "noexec", "nodev" ]
    },
    {
      "destination" : "/sys",
      "type" : "sysfs",
      "source" : "sysfs",
      "options" : [ "nosuid", "noexec", "nodev", "ro" ]
    },
    {
      "destination" : "/sys/fs/cgroup",
      "type" : "cgroup",
      "source" : "cgroup",
      "options" : [ "nosuid", "noexec", "nodev", "relatime", "ro" ]
    }
  ],
  "linux" : {
    "resources" : { "devices" : [ { "allow" : false, "access" : "rwm" } ] },
    "namespaces" : [
      { "type" : "pid" }, { "type" : "network" }, { "type" : "ipc" }, { "type" : "uts" },
      { "type" : "mount" }
    ],
    "maskedPaths" : [
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
    ],
    "readonlyPaths" : [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
  }
});

/* Every field of config.json that the types know about. */
static const char full_spec[] = J ({
  "ociVersion" : "1.3.0",
  "process" : {
    "terminal" : true,
    "consoleSize" : { "height" : 25, "width" : 80 },
    "user" : {
      "uid" : 1000,
      "gid" : 1001,
      "umask" : 18,
      "additionalGids" : [ 5, 6, 4294967295 ],
      "username" : "app"
    },
    "args" : [ "/usr/bin/app", "--serve" ],
    "commandLine" : "app --serve",
    "env" : [ "PATH=/usr/bin", "TERM=xterm" ],
    "cwd" : "/srv",
    "capabilities" : {
      "bounding" : [ "CAP_KILL", "CAP_CHOWN" ],
      "effective" : ["CAP_KILL"],
      "inheritable" : [],
      "permitted" : ["CAP_KILL"],
      "ambient" : ["CAP_KILL"]
    },
    "rlimits" : [
      { "type" : "RLIMIT_NOFILE", "hard" : 1024, "soft" : 512 },
      { "type" : "RLIMIT_CORE", "hard" : 18446744073709551615, "soft" : 18446744073709551615 }
    ],
    "noNewPrivileges" : true,
    "apparmorProfile" : "docker-default",
    "oomScoreAdj" : -1000,
    "selinuxLabel" : "system_u:system_r:container_t:s0:c1,c2",
    "ioPriority" : { "class" : "IOPRIO_CLASS_BE", "priority" : 4 },
    "scheduler" : {
      "policy" : "SCHED_DEADLINE",
      "nice" : -5,
      "priority" : 0,
      "flags" : ["SCHED_FLAG_RESET_ON_FORK"],
      "runtime" : 10000000,
      "deadline" : 20000000,
      "period" : 30000000
    },
    "execCPUAffinity" : { "initial" : "0", "final" : "1-3" }
  },
  "root" : { "path" : "rootfs", "readonly" : true },
  "hostname" : "app",
  "domainname" : "example.org",
  "mounts" : [
    { "destination" : "/proc", "type" : "proc", "source" : "proc" }, {
      "destination" : "/data",
      "type" : "bind",
      "source" : "/srv/data",
      "options" : [ "rbind", "ro", "idmap" ],
      "uidMappings" : [ { "containerID" : 0, "hostID" : 100000, "size" : 65536 } ],
      "gidMappings" : [ { "containerID" : 0, "hostID" : 200000, "size" : 65536 } ]
    }
  ],
  "hooks" : {
    "prestart" : [
      { "path" : "/usr/bin/fix-mounts", "args" : [ "fix-mounts", "arg1" ], "env" : ["key1=value1"] }
    ],
    "createRuntime" : [ { "path" : "/usr/bin/net", "timeout" : 5 } ],
    "createContainer" : [ { "path" : "/usr/bin/cc" } ],
    "startContainer" : [ { "path" : "/usr/bin/sc" } ],
    "poststart" : [ { "path" : "/usr/bin/notify-start", "timeout" : 7 } ],
    "poststop" : [ { "path" : "/usr/sbin/cleanup.sh", "args" : [ "cleanup.sh", "-f" ] } ]
  },
  "annotations" : { "com.example.key1" : "value1", "com.example.key2" : "value2" },
  "linux" : {
    "uidMappings" : [ { "containerID" : 0, "hostID" : 1000, "size" : 32000 } ],
    "gidMappings" : [ { "containerID" : 0, "hostID" : 2000, "size" : 32001 } ],
    "timeOffsets" : {
      "monotonic" : { "secs" : -172800, "nanosecs" : 0 },
      "boottime" : { "secs" : 604800, "nanosecs" : 999999999 }
    },
    "sysctl" : { "net.ipv4.ip_forward" : "1", "net.core.somaxconn" : "256" },
    "resources" : {
      "devices" : [
        { "allow" : false, "access" : "rwm" },
        { "allow" : true, "type" : "c", "major" : 10, "minor" : 229, "access" : "rw" }
      ],
      "memory" : {
        "limit" : 536870912,
        "reservation" : 268435456,
        "swap" : 536870912,
        "kernel" : -1,
        "kernelTCP" : -1,
        "swappiness" : 0,
        "disableOOMKiller" : false,
        "useHierarchy" : true,
        "checkBeforeUpdate" : true
      },
      "cpu" : {
        "shares" : 1024,
        "quota" : 1000000,
        "burst" : 1000000,
        "period" : 500000,
        "realtimeRuntime" : 950000,
        "realtimePeriod" : 1000000,
        "cpus" : "2-3",
        "mems" : "0-7",
        "idle" : 1
      },
      "blockIO" : {
        "weight" : 10,
        "leafWeight" : 20,
        "weightDevice" : [
          { "major" : 8, "minor" : 0, "weight" : 500, "leafWeight" : 300 },
          { "major" : 8, "minor" : 16, "weight" : 501 }
        ],
        "throttleReadBpsDevice" : [ { "major" : 8, "minor" : 0, "rate" : 600 } ],
        "throttleWriteBpsDevice" : [ { "major" : 8, "minor" : 16, "rate" : 300 } ],
        "throttleReadIOPSDevice" : [ { "major" : 8, "minor" : 32, "rate" : 100 } ],
        "throttleWriteIOPSDevice" : [ { "major" : 8, "minor" : 48, "rate" : 50 } ]
      },
      "hugepageLimits" :
          [ { "pageSize" : "2MB", "limit" : 209715200 }, { "pageSize" : "64KB", "limit" : 1000000 } ],
      "network" : {
        "classID" : 1048577,
        "priorities" : [ { "name" : "eth0", "priority" : 500 }, { "name" : "eth1", "priority" : 1000 } ]
      },
      "pids" : { "limit" : 32771 },
      "rdma" :
          { "mlx5_1" : { "hcaHandles" : 3, "hcaObjects" : 10000 }, "mlx4_0" : { "hcaObjects" : 1000 } },
      "unified" :
          { "io.max" : "259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152", "memory.high" : "max" }
    },
    "cgroupsPath" : "/myRuntime/myContainer",
    "namespaces" : [
      { "type" : "pid" }, { "type" : "network", "path" : "/var/run/netns/neta" }, { "type" : "mount" },
      { "type" : "ipc" }, { "type" : "uts" }, { "type" : "user" }, { "type" : "cgroup" },
      { "type" : "time" }
    ],
    "devices" : [
      {
        "type" : "c",
        "path" : "/dev/fuse",
        "major" : 10,
        "minor" : 229,
        "fileMode" : 438,
        "uid" : 0,
        "gid" : 0
      },
      { "type" : "b", "path" : "/dev/sda", "major" : 8, "minor" : 0, "fileMode" : 432 }
    ],
    "seccomp" : {
      "defaultAction" : "SCMP_ACT_ERRNO",
      "defaultErrnoRet" : 1,
      "architectures" : [ "SCMP_ARCH_X86_64", "SCMP_ARCH_X86" ],
      "flags" : ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath" : "/run/seccomp-agent.socket",
      "listenerMetadata" : "meta",
      "syscalls" : [
        { "names" : [ "getcwd", "chmod" ], "action" : "SCMP_ACT_ALLOW" }, {
          "names" : ["personality"],
          "action" : "SCMP_ACT_ALLOW",
          "args" : [
            { "index" : 0, "value" : 8, "op" : "SCMP_CMP_EQ" }, {
              "index" : 1,
              "value" : 18446744073709551615,
              "valueTwo" : 18446744073709551614,
              "op" : "SCMP_CMP_MASKED_EQ"
            }
          ]
        },
        { "names" : ["mknod"], "action" : "SCMP_ACT_ERRNO", "errnoRet" : 38 }
      ]
    },
    "rootfsPropagation" : "slave",
    "maskedPaths" : [ "/proc/kcore", "/proc/keys" ],
    "readonlyPaths" : [ "/proc/sys", "/proc/sysrq-trigger" ],
    "mountLabel" : "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
    "intelRdt" : {
      "closID" : "guaranteed_group",
      "l3CacheSchema" : "L3:0=7f0;1=1f",
      "memBwSchema" : "MB:0=20;1=70",
      "schemata" : ["L2:0=ff;1=f"],
      "enableMonitoring" : true
    },
    "personality" : { "domain" : "LINUX32", "flags" : [] },
    "memoryPolicy" : { "mode" : "MPOL_INTERLEAVE", "nodes" : "2-3", "flags" : ["MPOL_F_STATIC_NODES"] },
    "netDevices" : { "eth0" : { "name" : "ctr0" }, "ens4" : {} }
  }
});

Test (spec, minimal)
{
  oci_spec *s = expect_spec (J ({ "ociVersion" : "1.0.0" }));

  cr_assert_str_eq (s->oci_version, "1.0.0");
  cr_assert_null (s->process);
  cr_assert_null (s->root);
  cr_assert_null (s->hostname);
  cr_assert_null (s->mounts);
  cr_assert_eq (s->mounts_len, 0);
  cr_assert_null (s->hooks);
  cr_assert_null (s->annotations);
  cr_assert_null (s->linux);
  free_oci_spec (s);
}

Test (spec, default_spec)
{
  oci_spec *s = expect_spec (default_spec);
  oci_process *p = s->process;
  oci_linux *l = s->linux;

  cr_assert_str_eq (s->oci_version, "1.0.2-dev");
  cr_assert (p->terminal && p->terminal_present);
  cr_assert (p->user->uid_present && p->user->uid == 0);
  cr_assert (p->user->gid_present && p->user->gid == 0);
  cr_assert (!p->user->umask_present);
  cr_assert_null (p->user->additional_gids);
  cr_assert_eq (p->args_len, 1);
  cr_assert_str_eq (p->args[0], "sh");
  cr_assert_null (p->args[1], "string arrays are NULL-terminated");
  cr_assert_eq (p->env_len, 2);
  cr_assert_str_eq (p->env[1], "TERM=xterm");
  cr_assert_str_eq (p->cwd, "/");
  cr_assert_eq (p->capabilities->bounding_len, 3);
  cr_assert_str_eq (p->capabilities->bounding[2], "CAP_NET_BIND_SERVICE");
  cr_assert_null (p->capabilities->inheritable);
  cr_assert_eq (p->capabilities->ambient_len, 3);
  cr_assert_eq (p->rlimits_len, 1);
  cr_assert_str_eq (p->rlimits[0]->type, "RLIMIT_NOFILE");
  cr_assert_eq (p->rlimits[0]->hard, 1024);
  cr_assert_eq (p->rlimits[0]->soft, 1024);
  cr_assert (p->no_new_privileges && p->no_new_privileges_present);
  cr_assert (!p->oom_score_adj_present);
  cr_assert_str_eq (s->root->path, "rootfs");
  cr_assert (s->root->readonly && s->root->readonly_present);
  cr_assert_str_eq (s->hostname, "box");
  cr_assert_eq (s->mounts_len, 7);
  cr_assert_null (s->mounts[7]);
  cr_assert_str_eq (s->mounts[0]->destination, "/proc");
  cr_assert_str_eq (s->mounts[0]->type, "proc");
  cr_assert_str_eq (s->mounts[0]->source, "proc");
  cr_assert_null (s->mounts[0]->options);
  cr_assert_eq (s->mounts[2]->options_len, 6);
  cr_assert_str_eq (s->mounts[2]->options[5], "gid=5");
  cr_assert_str_eq (s->mounts[6]->destination, "/sys/fs/cgroup");
  cr_assert_eq (l->resources->devices_len, 1);
  cr_assert (l->resources->devices[0]->allow_present);
  cr_assert (!l->resources->devices[0]->allow);
  cr_assert (!l->resources->devices[0]->major_present);
  cr_assert_str_eq (l->resources->devices[0]->access, "rwm");
  cr_assert_null (l->resources->memory);
  cr_assert_eq (l->namespaces_len, 5);
  cr_assert_str_eq (l->namespaces[1]->type, "network");
  cr_assert_null (l->namespaces[1]->path);
  cr_assert_eq (l->masked_paths_len, 10);
  cr_assert_str_eq (l->masked_paths[9], "/proc/scsi");
  cr_assert_eq (l->readonly_paths_len, 5);
  cr_assert_null (l->seccomp);
  free_oci_spec (s);
}

Test (spec, full_process)
{
  oci_spec *s = expect_spec (full_spec);
  oci_process *p = s->process;

  cr_assert_str_eq (s->oci_version, "1.3.0");
  cr_assert (p->console_size->height_present);
  cr_assert_eq (p->console_size->height, 25);
  cr_assert_eq (p->console_size->width, 80);
  cr_assert_eq (p->user->uid, 1000);
  cr_assert_eq (p->user->gid, 1001);
  cr_assert (p->user->umask_present && p->user->umask == 18);
  cr_assert_eq (p->user->additional_gids_len, 3);
  cr_assert_eq (p->user->additional_gids[0], 5);
  cr_assert_eq (p->user->additional_gids[1], 6);
  cr_assert_eq (p->user->additional_gids[2], UINT32_MAX);
  cr_assert_str_eq (p->user->username, "app");
  cr_assert_str_eq (p->args[1], "--serve");
  cr_assert_str_eq (p->command_line, "app --serve");
  cr_assert_str_eq (p->cwd, "/srv");
  cr_assert_eq (p->capabilities->bounding_len, 2);
  cr_assert_not_null (p->capabilities->inheritable);
  cr_assert_eq (p->capabilities->inheritable_len, 0);
  cr_assert_null (p->capabilities->inheritable[0]);
  cr_assert_str_eq (p->capabilities->permitted[0], "CAP_KILL");
  cr_assert_str_eq (p->capabilities->effective[0], "CAP_KILL");
  cr_assert_eq (p->rlimits_len, 2);
  cr_assert_eq (p->rlimits[0]->soft, 512);
  cr_assert_eq (p->rlimits[1]->hard, UINT64_MAX);
  cr_assert_eq (p->rlimits[1]->soft, UINT64_MAX);
  cr_assert_str_eq (p->apparmor_profile, "docker-default");
  cr_assert (p->oom_score_adj_present && p->oom_score_adj == -1000);
  cr_assert_str_eq (p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
  cr_assert_str_eq (p->io_priority->class_, "IOPRIO_CLASS_BE");
  cr_assert_eq (p->io_priority->priority, 4);
  cr_assert_str_eq (p->scheduler->policy, "SCHED_DEADLINE");
  cr_assert_eq (p->scheduler->nice, -5);
  cr_assert (p->scheduler->priority_present && p->scheduler->priority == 0);
  cr_assert_str_eq (p->scheduler->flags[0], "SCHED_FLAG_RESET_ON_FORK");
  cr_assert_eq (p->scheduler->runtime, 10000000);
  cr_assert_eq (p->scheduler->deadline, 20000000);
  cr_assert_eq (p->scheduler->period, 30000000);
  cr_assert_str_eq (p->exec_cpu_affinity->initial, "0");
  cr_assert_str_eq (p->exec_cpu_affinity->final, "1-3");
  free_oci_spec (s);
}

Test (spec, full_top_level)
{
  oci_spec *s = expect_spec (full_spec);
  oci_hooks *h = s->hooks;
  oci_mount *m;

  cr_assert_str_eq (s->domainname, "example.org");
  cr_assert_eq (s->mounts_len, 2);
  m = s->mounts[1];
  cr_assert_str_eq (m->options[2], "idmap");
  cr_assert_eq (m->uid_mappings_len, 1);
  cr_assert_eq (m->uid_mappings[0]->container_id, 0);
  cr_assert (m->uid_mappings[0]->container_id_present);
  cr_assert_eq (m->uid_mappings[0]->host_id, 100000);
  cr_assert_eq (m->uid_mappings[0]->size, 65536);
  cr_assert_eq (m->gid_mappings[0]->host_id, 200000);

  cr_assert_str_eq (h->prestart[0]->path, "/usr/bin/fix-mounts");
  cr_assert_eq (h->prestart[0]->args_len, 2);
  cr_assert_str_eq (h->prestart[0]->env[0], "key1=value1");
  cr_assert (!h->prestart[0]->timeout_present);
  cr_assert (h->create_runtime[0]->timeout_present);
  cr_assert_eq (h->create_runtime[0]->timeout, 5);
  cr_assert_str_eq (h->create_container[0]->path, "/usr/bin/cc");
  cr_assert_str_eq (h->start_container[0]->path, "/usr/bin/sc");
  cr_assert_eq (h->poststart[0]->timeout, 7);
  cr_assert_str_eq (h->poststop[0]->args[1], "-f");

  cr_assert_eq (s->annotations->len, 2);
  cr_assert_str_eq (s->annotations->keys[0], "com.example.key1");
  cr_assert_str_eq (s->annotations->values[0], "value1");
  cr_assert_str_eq (s->annotations->keys[1], "com.example.key2");
  cr_assert_str_eq (s->annotations->values[1], "value2");
  free_oci_spec (s);
}

Test (spec, full_linux)
{
  oci_spec *s = expect_spec (full_spec);
  oci_linux *l = s->linux;
  oci_seccomp *sc = l->seccomp;

  cr_assert_eq (l->uid_mappings[0]->host_id, 1000);
  cr_assert_eq (l->gid_mappings[0]->host_id, 2000);
  cr_assert_eq (l->gid_mappings[0]->size, 32001);
  cr_assert_eq (l->time_offsets->len, 2);
  cr_assert_str_eq (l->time_offsets->keys[0], "monotonic");
  cr_assert_eq (l->time_offsets->values[0]->secs, -172800);
  cr_assert_str_eq (l->time_offsets->keys[1], "boottime");
  cr_assert_eq (l->time_offsets->values[1]->nanosecs, 999999999);
  cr_assert_str_eq (l->sysctl->keys[1], "net.core.somaxconn");
  cr_assert_str_eq (l->sysctl->values[1], "256");
  cr_assert_str_eq (l->cgroups_path, "/myRuntime/myContainer");
  cr_assert_eq (l->namespaces_len, 8);
  cr_assert_str_eq (l->namespaces[1]->path, "/var/run/netns/neta");
  cr_assert_str_eq (l->namespaces[7]->type, "time");

  cr_assert_eq (l->devices_len, 2);
  cr_assert_str_eq (l->devices[0]->type, "c");
  cr_assert_str_eq (l->devices[0]->path, "/dev/fuse");
  cr_assert_eq (l->devices[0]->major, 10);
  cr_assert_eq (l->devices[0]->minor, 229);
  cr_assert_eq (l->devices[0]->file_mode, 0666);
  cr_assert (l->devices[0]->uid_present && l->devices[0]->gid_present);
  cr_assert (!l->devices[1]->uid_present);
  cr_assert_eq (l->devices[1]->file_mode, 0660);

  cr_assert_str_eq (sc->default_action, "SCMP_ACT_ERRNO");
  cr_assert (sc->default_errno_ret_present && sc->default_errno_ret == 1);
  cr_assert_str_eq (sc->architectures[1], "SCMP_ARCH_X86");
  cr_assert_str_eq (sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  cr_assert_str_eq (sc->listener_path, "/run/seccomp-agent.socket");
  cr_assert_str_eq (sc->listener_metadata, "meta");
  cr_assert_eq (sc->syscalls_len, 3);
  cr_assert_eq (sc->syscalls[0]->names_len, 2);
  cr_assert_str_eq (sc->syscalls[0]->names[1], "chmod");
  cr_assert_null (sc->syscalls[0]->args);
  cr_assert_eq (sc->syscalls[1]->args_len, 2);
  cr_assert_eq (sc->syscalls[1]->args[0]->index, 0);
  cr_assert (sc->syscalls[1]->args[0]->index_present);
  cr_assert_eq (sc->syscalls[1]->args[0]->value, 8);
  cr_assert (!sc->syscalls[1]->args[0]->value_two_present);
  cr_assert_str_eq (sc->syscalls[1]->args[0]->op, "SCMP_CMP_EQ");
  cr_assert_eq (sc->syscalls[1]->args[1]->value, UINT64_MAX);
  cr_assert_eq (sc->syscalls[1]->args[1]->value_two, UINT64_MAX - 1);
  cr_assert_eq (sc->syscalls[2]->errno_ret, 38);
  cr_assert (!sc->syscalls[0]->errno_ret_present);

  cr_assert_str_eq (l->rootfs_propagation, "slave");
  cr_assert_str_eq (l->masked_paths[1], "/proc/keys");
  cr_assert_str_eq (l->readonly_paths[1], "/proc/sysrq-trigger");
  cr_assert_str_eq (l->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
  cr_assert_str_eq (l->intel_rdt->clos_id, "guaranteed_group");
  cr_assert_str_eq (l->intel_rdt->l3_cache_schema, "L3:0=7f0;1=1f");
  cr_assert_str_eq (l->intel_rdt->mem_bw_schema, "MB:0=20;1=70");
  cr_assert_str_eq (l->intel_rdt->schemata[0], "L2:0=ff;1=f");
  cr_assert (l->intel_rdt->enable_monitoring);
  cr_assert_str_eq (l->personality->domain, "LINUX32");
  cr_assert_eq (l->personality->flags_len, 0);
  cr_assert_str_eq (l->memory_policy->mode, "MPOL_INTERLEAVE");
  cr_assert_str_eq (l->memory_policy->nodes, "2-3");
  cr_assert_str_eq (l->memory_policy->flags[0], "MPOL_F_STATIC_NODES");
  cr_assert_eq (l->net_devices->len, 2);
  cr_assert_str_eq (l->net_devices->keys[0], "eth0");
  cr_assert_str_eq (l->net_devices->values[0]->name, "ctr0");
  cr_assert_str_eq (l->net_devices->keys[1], "ens4");
  cr_assert_null (l->net_devices->values[1]->name);
  free_oci_spec (s);
}

Test (spec, full_resources)
{
  oci_spec *s = expect_spec (full_spec);
  oci_resources *r = s->linux->resources;
  oci_block_io *b = r->block_io;

  cr_assert_eq (r->devices_len, 2);
  cr_assert (r->devices[1]->allow);
  cr_assert_str_eq (r->devices[1]->type, "c");
  cr_assert_eq (r->devices[1]->major, 10);
  cr_assert_eq (r->devices[1]->minor, 229);
  cr_assert_str_eq (r->devices[1]->access, "rw");

  cr_assert_eq (r->memory->limit, 536870912);
  cr_assert_eq (r->memory->reservation, 268435456);
  cr_assert_eq (r->memory->swap, 536870912);
  cr_assert_eq (r->memory->kernel, -1);
  cr_assert_eq (r->memory->kernel_tcp, -1);
  cr_assert (r->memory->swappiness_present && r->memory->swappiness == 0);
  cr_assert (r->memory->disable_oom_killer_present);
  cr_assert (!r->memory->disable_oom_killer);
  cr_assert (r->memory->use_hierarchy);
  cr_assert (r->memory->check_before_update);

  cr_assert_eq (r->cpu->shares, 1024);
  cr_assert_eq (r->cpu->quota, 1000000);
  cr_assert_eq (r->cpu->burst, 1000000);
  cr_assert_eq (r->cpu->period, 500000);
  cr_assert_eq (r->cpu->realtime_runtime, 950000);
  cr_assert_eq (r->cpu->realtime_period, 1000000);
  cr_assert_str_eq (r->cpu->cpus, "2-3");
  cr_assert_str_eq (r->cpu->mems, "0-7");
  cr_assert_eq (r->cpu->idle, 1);

  cr_assert_eq (b->weight, 10);
  cr_assert_eq (b->leaf_weight, 20);
  cr_assert_eq (b->weight_device_len, 2);
  cr_assert_eq (b->weight_device[0]->leaf_weight, 300);
  cr_assert_eq (b->weight_device[1]->minor, 16);
  cr_assert_eq (b->weight_device[1]->weight, 501);
  cr_assert (!b->weight_device[1]->leaf_weight_present);
  cr_assert_eq (b->throttle_read_bps_device[0]->rate, 600);
  cr_assert_eq (b->throttle_write_bps_device[0]->minor, 16);
  cr_assert_eq (b->throttle_read_iops_device[0]->minor, 32);
  cr_assert_eq (b->throttle_write_iops_device[0]->rate, 50);

  cr_assert_eq (r->hugepage_limits_len, 2);
  cr_assert_str_eq (r->hugepage_limits[1]->page_size, "64KB");
  cr_assert_eq (r->hugepage_limits[0]->limit, 209715200);
  cr_assert_eq (r->network->class_id, 1048577);
  cr_assert_str_eq (r->network->priorities[1]->name, "eth1");
  cr_assert_eq (r->network->priorities[1]->priority, 1000);
  cr_assert (r->pids->limit_present && r->pids->limit == 32771);
  cr_assert_eq (r->rdma->len, 2);
  cr_assert_str_eq (r->rdma->keys[0], "mlx5_1");
  cr_assert_eq (r->rdma->values[0]->hca_handles, 3);
  cr_assert_eq (r->rdma->values[0]->hca_objects, 10000);
  cr_assert (!r->rdma->values[1]->hca_handles_present);
  cr_assert_eq (r->rdma->values[1]->hca_objects, 1000);
  cr_assert_str_eq (r->unified->keys[0], "io.max");
  cr_assert_str_eq (r->unified->values[0], "259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152");
  cr_assert_str_eq (r->unified->values[1], "max");
  free_oci_spec (s);
}

static void
round_trip (const char *json)
{
  char *err = NULL, *a, *b, *pa, *pb;
  oci_spec *s1 = expect_spec (json), *s2, *s3;

  a = oci_spec_to_json (s1, false, &err);
  cr_assert_not_null (a, "%s", err);
  s2 = expect_spec (a);
  b = oci_spec_to_json (s2, false, &err);
  cr_assert_str_eq (a, b);

  pa = oci_spec_to_json (s1, true, &err);
  cr_assert_not_null (pa);
  s3 = expect_spec (pa);
  pb = oci_spec_to_json (s3, true, &err);
  cr_assert_str_eq (pa, pb);
  free (b);
  b = oci_spec_to_json (s3, false, &err);
  cr_assert_str_eq (a, b, "pretty and compact disagree");

  free (a);
  free (b);
  free (pa);
  free (pb);
  free_oci_spec (s1);
  free_oci_spec (s2);
  free_oci_spec (s3);
}

Test (spec, round_trip_default) { round_trip (default_spec); }

Test (spec, round_trip_full) { round_trip (full_spec); }

/* The writer keeps every value of the full config. */
Test (spec, round_trip_values)
{
  oci_spec *s = expect_spec (full_spec), *t;
  char *json = oci_spec_to_json (s, false, NULL);

  t = expect_spec (json);
  cr_assert_eq (t->process->rlimits[1]->hard, UINT64_MAX);
  cr_assert_eq (t->linux->resources->memory->kernel, -1);
  cr_assert_eq (t->linux->time_offsets->values[0]->secs, -172800);
  cr_assert_str_eq (t->linux->resources->unified->values[0], s->linux->resources->unified->values[0]);
  cr_assert_str_eq (t->linux->net_devices->keys[1], "ens4");
  cr_assert_not_null (t->process->capabilities->inheritable);
  cr_assert_eq (t->process->capabilities->inheritable_len, 0);
  cr_assert_eq (t->process->user->additional_gids[2], UINT32_MAX);
  cr_assert (t->linux->resources->memory->disable_oom_killer_present);
  cr_assert (strstr (json, "\"inheritable\":[]"));
  cr_assert (strstr (json, "\"ens4\":{}"));
  free (json);
  free_oci_spec (s);
  free_oci_spec (t);
}

Test (spec, int64_exact)
{
  oci_spec *s = expect_spec (J ({
    "ociVersion" : "1.0.0",
    "process" : {
      "cwd" : "/",
      "rlimits" : [
        { "type" : "RLIMIT_AS", "hard" : 18446744073709551615, "soft" : 18446744073709551615 },
        { "type" : "RLIMIT_CPU", "hard" : 9007199254740993, "soft" : 0 }
      ]
    },
    "linux" : {
      "resources" : {
        "memory" : {
          "limit" : -1,
          "swap" : -1,
          "reservation" : 9223372036854775807,
          "kernel" : -9223372036854775808
        },
        "cpu" : { "quota" : -1, "shares" : 18446744073709551615 },
        "pids" : { "limit" : -1 }
      }
    }
  }));
  oci_resources *r = s->linux->resources;
  char *json;

  cr_assert_eq (s->process->rlimits[0]->hard, UINT64_MAX);
  cr_assert_eq (s->process->rlimits[0]->soft, UINT64_MAX);
  /* 2^53 + 1 is where doubles start losing integers. */
  cr_assert_eq (s->process->rlimits[1]->hard, 9007199254740993ULL);
  cr_assert (s->process->rlimits[1]->soft_present);
  cr_assert_eq (s->process->rlimits[1]->soft, 0);
  cr_assert_eq (r->memory->limit, -1);
  cr_assert_eq (r->memory->swap, -1);
  cr_assert_eq (r->memory->reservation, INT64_MAX);
  cr_assert_eq (r->memory->kernel, INT64_MIN);
  cr_assert_eq (r->cpu->quota, -1);
  cr_assert_eq (r->cpu->shares, UINT64_MAX);
  cr_assert_eq (r->pids->limit, -1);

  json = oci_spec_to_json (s, false, NULL);
  cr_assert (strstr (json, "\"hard\":18446744073709551615,"
                           "\"soft\":18446744073709551615"));
  cr_assert (strstr (json, "\"hard\":9007199254740993,"));
  cr_assert (strstr (json, "\"limit\":-1,\"reservation\":9223372036854775807,"
                           "\"swap\":-1,\"kernel\":-9223372036854775808"));
  free (json);
  free_oci_spec (s);
}

Test (spec, integer_out_of_range)
{
  expect_spec_error (WITH_LINUX ({ "resources" : { "pids" : { "limit" : 9223372036854775808 } } }),
                     ".linux.resources.pids.limit: integer out of range");
  expect_spec_error (WITH_LINUX ({ "resources" : { "memory" : { "limit" : -9223372036854775809 } } }),
                     ".linux.resources.memory.limit: integer out of range");
  expect_spec_error (WITH_PROCESS ({
                       "cwd" : "/",
                       "rlimits" :
                           [ { "type" : "RLIMIT_AS", "hard" : 18446744073709551616, "soft" : 0 } ]
                     }),
                     ".process.rlimits[0].hard: integer out of range");
  expect_spec_error (
      WITH_PROCESS ({ "cwd" : "/", "rlimits" : [ { "type" : "RLIMIT_AS", "hard" : 0, "soft" : -1 } ] }),
      ".process.rlimits[0].soft: integer out of range");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "user" : { "uid" : -1, "gid" : 0 } }),
                     ".process.user.uid: integer out of range");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "user" : { "uid" : 0, "gid" : 4294967296 } }),
                     ".process.user.gid: integer out of range");
  expect_spec_error (WITH_PROCESS ({
                       "cwd" : "/",
                       "user" : { "uid" : 0, "gid" : 0, "additionalGids" : [ 1, 4294967296 ] }
                     }),
                     ".process.user.additionalGids[1]: integer out of range");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "oomScoreAdj" : 2147483648 }),
                     ".process.oomScoreAdj: integer out of range");
  expect_spec_error (WITH_LINUX ({ "resources" : { "blockIO" : { "weight" : 65536 } } }),
                     ".linux.resources.blockIO.weight: integer out of range");
  expect_spec_error (WITH_LINUX ({ "resources" : { "rdma" : { "mlx" : { "hcaHandles" : -1 } } } }),
                     ".linux.resources.rdma[\"mlx\"].hcaHandles: integer out of range");
  expect_spec_error (WITH_LINUX ({ "resources" : { "cpu" : { "shares" : 99999999999999999999999 } } }),
                     ".linux.resources.cpu.shares: integer out of range");
}

Test (spec, integer_limits_accepted)
{
  oci_spec *s = expect_spec (J ({
    "ociVersion" : "1.0.0",
    "process" :
        { "cwd" : "/", "oomScoreAdj" : -2147483648, "user" : { "uid" : 4294967295, "gid" : -0 } },
    "linux" : { "resources" : { "blockIO" : { "weight" : 65535 } } }
  }));

  cr_assert_eq (s->process->oom_score_adj, INT32_MIN);
  cr_assert_eq (s->process->user->uid, UINT32_MAX);
  cr_assert_eq (s->process->user->gid, 0);
  cr_assert_eq (s->linux->resources->block_io->weight, UINT16_MAX);
  free_oci_spec (s);
}

Test (spec, not_an_integer)
{
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "user" : { "uid" : 1.5, "gid" : 0 } }),
                     ".process.user.uid: expected an integer");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "user" : { "uid" : 1e3, "gid" : 0 } }),
                     ".process.user.uid: expected an integer");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "user" : { "uid" : "0", "gid" : 0 } }),
                     ".process.user.uid: expected an integer");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "user" : { "uid" : true, "gid" : 0 } }),
                     ".process.user.uid: expected an integer");
  expect_spec_error (WITH_LINUX ({ "resources" : { "memory" : { "limit" : 1.0 } } }),
                     ".linux.resources.memory.limit: expected an integer");
}

Test (spec, type_mismatch)
{
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "args" : [ "sh", 1 ] }),
                     ".process.args[1]: expected a string");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "args" : [ "sh", null ] }),
                     ".process.args[1]: expected a string");
  expect_spec_error (WITH_PROCESS ("sh"), ".process: expected an object");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "args" : "sh" }), ".process.args: expected an array");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "terminal" : "yes" }),
                     ".process.terminal: expected a boolean");
  expect_spec_error (WITH_PROCESS ({ "cwd" : 0 }), ".process.cwd: expected a string");
  expect_spec_error (J ({ "ociVersion" : 1 }), ".ociVersion: expected a string");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "mounts" : {} }), ".mounts: expected an array");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "mounts" : ["/proc"] }),
                     ".mounts[0]: expected an object");
  expect_spec_error (J ({
                       "ociVersion" : "1.0.0",
                       "mounts" :
                           [ { "destination" : "/a" }, { "destination" : "/b", "options" : [[]] } ]
                     }),
                     ".mounts[1].options[0]: expected a string");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "annotations" : [] }),
                     ".annotations: expected an object");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "annotations" : { "a" : "b", "c" : 1 } }),
                     ".annotations[\"c\"]: expected a string");
  expect_spec_error (WITH_LINUX ({ "resources" : { "unified" : { "io.max" : false } } }),
                     ".linux.resources.unified[\"io.max\"]: expected a string");
  expect_spec_error (WITH_LINUX ({ "resources" : { "rdma" : { "mlx5_1" : 3 } } }),
                     ".linux.resources.rdma[\"mlx5_1\"]: expected an object");
  expect_spec_error (WITH_LINUX ({ "namespaces" : [ { "type" : "pid" }, { "type" : ["x"] } ] }),
                     ".linux.namespaces[1].type: expected a string");
  expect_spec_error (WITH_LINUX ({
                       "seccomp" : {
                         "defaultAction" : "SCMP_ACT_ALLOW",
                         "syscalls" : [ {
                           "names" : ["read"],
                           "action" : "SCMP_ACT_ALLOW",
                           "args" : [ { "index" : 0, "value" : "x", "op" : "SCMP_CMP_EQ" } ]
                         } ]
                       }
                     }),
                     ".linux.seccomp.syscalls[0].args[0].value: expected an integer");
  expect_spec_error (WITH_LINUX ({ "resources" : { "memory" : { "disableOOMKiller" : 1 } } }),
                     ".linux.resources.memory.disableOOMKiller: expected a boolean");
  expect_spec_error (J ([ { "ociVersion" : "1.0.0" } ]), ".: expected an object");
  expect_spec_error (J ("1.0.0"), ".: expected an object");
  expect_spec_error ("null", ".: expected an object");
}

Test (spec, missing_required)
{
  expect_spec_error (J ({}), ".: missing required field \"ociVersion\"");
  expect_spec_error (J ({ "hostname" : "x" }), ".: missing required field \"ociVersion\"");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "root" : {} }),
                     ".root: missing required field \"path\"");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "root" : { "readonly" : true } }),
                     ".root: missing required field \"path\"");
  expect_spec_error (
      J ({ "ociVersion" : "1.0.0", "mounts" : [ { "destination" : "/proc" }, { "type" : "tmpfs" } ] }),
      ".mounts[1]: missing required field \"destination\"");
  expect_spec_error (
      J ({
        "ociVersion" : "1.0.0",
        "mounts" : [ { "destination" : "/d", "uidMappings" : [ { "containerID" : 0, "hostID" : 1 } ] } ]
      }),
      ".mounts[0].uidMappings[0]: missing required field \"size\"");
  expect_spec_error (WITH_PROCESS ({ "args" : ["sh"] }), ".process: missing required field \"cwd\"");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "user" : { "gid" : 0 } }),
                     ".process.user: missing required field \"uid\"");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "user" : { "uid" : 0 } }),
                     ".process.user: missing required field \"gid\"");
  expect_spec_error (WITH_PROCESS (
                         { "cwd" : "/", "rlimits" : [ { "type" : "RLIMIT_AS", "hard" : 1 } ] }),
                     ".process.rlimits[0]: missing required field \"soft\"");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "rlimits" : [ { "hard" : 1, "soft" : 1 } ] }),
                     ".process.rlimits[0]: missing required field \"type\"");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "consoleSize" : { "height" : 1 } }),
                     ".process.consoleSize: missing required field \"width\"");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "ioPriority" : { "priority" : 1 } }),
                     ".process.ioPriority: missing required field \"class\"");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "scheduler" : { "nice" : 1 } }),
                     ".process.scheduler: missing required field \"policy\"");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "hooks" : { "poststop" : [ { "args" : ["x"] } ] } }),
                     ".hooks.poststop[0]: missing required field \"path\"");
  expect_spec_error (WITH_LINUX ({ "namespaces" : [ { "path" : "/proc/1/ns/net" } ] }),
                     ".linux.namespaces[0]: missing required field \"type\"");
  expect_spec_error (WITH_LINUX ({ "uidMappings" : [ { "hostID" : 0, "size" : 1 } ] }),
                     ".linux.uidMappings[0]: missing required field \"containerID\"");
  expect_spec_error (WITH_LINUX ({ "gidMappings" : [ { "containerID" : 0, "size" : 1 } ] }),
                     ".linux.gidMappings[0]: missing required field \"hostID\"");
  expect_spec_error (WITH_LINUX ({ "devices" : [ { "type" : "c" } ] }),
                     ".linux.devices[0]: missing required field \"path\"");
  expect_spec_error (WITH_LINUX ({ "devices" : [ { "path" : "/dev/x" } ] }),
                     ".linux.devices[0]: missing required field \"type\"");
  expect_spec_error (WITH_LINUX ({ "seccomp" : { "syscalls" : [] } }),
                     ".linux.seccomp: missing required field \"defaultAction\"");
  expect_spec_error (
      WITH_LINUX ({
        "seccomp" : { "defaultAction" : "SCMP_ACT_ALLOW", "syscalls" : [ { "names" : ["read"] } ] }
      }),
      ".linux.seccomp.syscalls[0]: missing required field \"action\"");
  expect_spec_error (
      WITH_LINUX ({
        "seccomp" :
            { "defaultAction" : "SCMP_ACT_ALLOW", "syscalls" : [ { "action" : "SCMP_ACT_ALLOW" } ] }
      }),
      ".linux.seccomp.syscalls[0]: missing required field \"names\"");
  expect_spec_error (WITH_LINUX ({
                       "seccomp" : {
                         "defaultAction" : "SCMP_ACT_ALLOW",
                         "syscalls" : [ {
                           "names" : ["read"],
                           "action" : "SCMP_ACT_ALLOW",
                           "args" : [ { "index" : 0, "value" : 1 } ]
                         } ]
                       }
                     }),
                     ".linux.seccomp.syscalls[0].args[0]: missing required field \"op\"");
  expect_spec_error (WITH_LINUX ({
                       "seccomp" : {
                         "defaultAction" : "SCMP_ACT_ALLOW",
                         "syscalls" : [ {
                           "names" : ["read"],
                           "action" : "SCMP_ACT_ALLOW",
                           "args" : [ { "value" : 1, "op" : "SCMP_CMP_EQ" } ]
                         } ]
                       }
                     }),
                     ".linux.seccomp.syscalls[0].args[0]: missing required field \"index\"");
  expect_spec_error (WITH_LINUX ({ "resources" : { "devices" : [ { "access" : "rwm" } ] } }),
                     ".linux.resources.devices[0]: missing required field \"allow\"");
  expect_spec_error (WITH_LINUX ({ "resources" : { "hugepageLimits" : [ { "pageSize" : "2MB" } ] } }),
                     ".linux.resources.hugepageLimits[0]: missing required field \"limit\"");
  expect_spec_error (WITH_LINUX ({ "resources" : { "hugepageLimits" : [ { "limit" : 1 } ] } }),
                     ".linux.resources.hugepageLimits[0]: missing required field \"pageSize\"");
  expect_spec_error (WITH_LINUX ({
                       "resources" :
                           { "blockIO" : { "weightDevice" : [ { "major" : 8, "weight" : 1 } ] } }
                     }),
                     ".linux.resources.blockIO.weightDevice[0]: missing required field \"minor\"");
  expect_spec_error (
      WITH_LINUX ({
        "resources" : { "blockIO" : { "throttleReadIOPSDevice" : [ { "minor" : 0, "rate" : 1 } ] } }
      }),
      ".linux.resources.blockIO.throttleReadIOPSDevice[0]: missing required field \"major\"");
  expect_spec_error (WITH_LINUX (
                         { "resources" : { "network" : { "priorities" : [ { "name" : "eth0" } ] } } }),
                     ".linux.resources.network.priorities[0]: missing required field \"priority\"");
  expect_spec_error (WITH_LINUX ({ "personality" : { "flags" : [] } }),
                     ".linux.personality: missing required field \"domain\"");
  expect_spec_error (WITH_LINUX ({ "memoryPolicy" : { "nodes" : "0" } }),
                     ".linux.memoryPolicy: missing required field \"mode\"");
}

Test (spec, optional_fields)
{
  /* args is optional in 1.3; device numbers are checked by the runtime. */
  oci_spec *s = expect_spec (J ({
    "ociVersion" : "1.0.0",
    "process" : { "cwd" : "/" },
    "linux" : { "devices" : [ { "type" : "c", "path" : "/dev/null" } ], "resources" : { "pids" : {} } }
  }));

  cr_assert_null (s->process->args);
  cr_assert_eq (s->process->args_len, 0);
  cr_assert_null (s->process->user);
  cr_assert (!s->linux->devices[0]->major_present);
  cr_assert (!s->linux->resources->pids->limit_present);
  free_oci_spec (s);
}

Test (spec, versions)
{
  static const char *const good[] = {
    "1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0", "1.99.0-rc.1",
  };
  static const char *const bad[] = {
    "2.0.0", "0.9.0", "1", "", "v1.0.0", "10.0.0", "1.", "1.x", "1.-1"
  };
  char json[128], want[128];
  size_t i;

  for (i = 0; i < sizeof (good) / sizeof (good[0]); i++)
    {
      oci_spec *s;

      snprintf (json, sizeof (json), "{\"ociVersion\": \"%s\"}", good[i]);
      s = expect_spec (json);
      cr_assert_str_eq (s->oci_version, good[i]);
      free_oci_spec (s);
    }
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      snprintf (json, sizeof (json), "{\"ociVersion\": \"%s\"}", bad[i]);
      snprintf (want, sizeof (want), ".ociVersion: unsupported version \"%s\"", bad[i]);
      expect_spec_error (json, want);
    }
}

Test (spec, invalid_json)
{
  char *err = NULL, deep[4096];
  size_t i, depth;
  oci_spec *s;

  expect_spec_error ("{bad", "invalid JSON: lexical error: invalid char in json text.");
  expect_spec_error ("", "invalid JSON: parse error: premature EOF");
  expect_spec_error ("   ", "invalid JSON: parse error: premature EOF");
  expect_spec_error ("{\"ociVersion\": \"1.0.0\"", "invalid JSON: parse error: premature EOF");
  expect_spec_error ("{\"ociVersion\": \"1.0.0\"} x", "invalid JSON: parse error: trailing garbage");
  expect_spec_error ("{\"ociVersion\": \"1.0.0\",}",
                     "invalid JSON: parse error: invalid object key (must be a string)");
  expect_spec_error ("{\"ociVersion\": \"\xff\"}", "invalid JSON: invalid UTF-8 at byte 16");

  cr_assert_null (oci_spec_parse_data ("{\"a\":\0}", 7, &err));
  cr_assert_str_eq (err, "invalid JSON: NUL byte in input");
  free (err);

  /* 1000 levels are fine, 1001 are refused before yajl sees them. */
  for (depth = 999; depth <= 1000; depth++)
    {
      strcpy (deep, "{\"ociVersion\": ");
      for (i = 0; i < depth; i++)
        strcat (deep, "[");
      for (i = 0; i < depth; i++)
        strcat (deep, "]");
      strcat (deep, "}");
      expect_spec_error (deep, depth == 999 ? ".ociVersion: expected a string"
                                            : "invalid JSON: nesting too deep");
    }
  /* Brackets inside strings do not count. */
  strcpy (deep, "{\"ociVersion\": \"1.0.0\", \"hostname\": \"");
  for (i = 0; i < 2000; i++)
    strcat (deep, "[");
  strcat (deep, "\"}");
  s = expect_spec (deep);
  cr_assert_eq (strlen (s->hostname), 2000);
  free_oci_spec (s);
}

Test (spec, unknown_fields_ignored)
{
  oci_spec *s = expect_spec (J ({
    "ociVersion" : "1.0.0",
    "windows" : { "layerFolders" : ["C:\\layers"], "resources" : { "memory" : { "limit" : 1 } } },
    "solaris" : { "milestone" : "x" },
    "vm" : { "hypervisor" : { "path" : "/usr/bin/qemu" } },
    "zos" : {},
    "freebsd" : { "jail" : {} },
    "x-custom" : [ 1, 2.5, { "a" : null }, "str", true ],
    "process" : {
      "cwd" : "/",
      "futureField" : { "deep" : [ 1, 2 ] },
      "user" : { "uid" : 1, "gid" : 2, "uname" : "ignored" }
    },
    "linux" :
        { "resources" : { "newController" : { "max" : 3 } }, "somethingElse" : 18446744073709551616 }
  }));

  cr_assert_str_eq (s->process->cwd, "/");
  cr_assert_eq (s->process->user->gid, 2);
  cr_assert_not_null (s->linux->resources);
  cr_assert_null (s->linux->resources->memory);
  free_oci_spec (s);
}

Test (spec, null_is_absent)
{
  oci_spec *s = expect_spec (J ({
    "ociVersion" : "1.0.0",
    "hostname" : null,
    "process" : null,
    "mounts" : null,
    "annotations" : null,
    "linux" : { "resources" : { "memory" : { "limit" : null, "swap" : 5 } } }
  }));

  cr_assert_null (s->hostname);
  cr_assert_null (s->process);
  cr_assert_null (s->mounts);
  cr_assert_null (s->annotations);
  cr_assert (!s->linux->resources->memory->limit_present);
  cr_assert (s->linux->resources->memory->swap_present);
  free_oci_spec (s);

  expect_spec_error (J ({ "ociVersion" : null }), ".: missing required field \"ociVersion\"");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "root" : { "path" : null } }),
                     ".root: missing required field \"path\"");
}

Test (spec, duplicate_keys)
{
  oci_spec *s = expect_spec (J ({
    "ociVersion" : "1.0.0",
    "hostname" : "a",
    "hostname" : "b",
    "process" : { "cwd" : "/", "args" : ["x"], "args" : [ "y", "z" ] },
    "annotations" : { "k1" : "v1", "k2" : "v2", "k1" : "v3" },
    "linux" : { "resources" : { "rdma" : { "d" : { "hcaHandles" : 1 }, "d" : { "hcaObjects" : 2 } } } }
  }));

  cr_assert_str_eq (s->hostname, "b");
  cr_assert_eq (s->process->args_len, 2);
  cr_assert_str_eq (s->process->args[0], "y");
  cr_assert_eq (s->annotations->len, 2);
  cr_assert_str_eq (s->annotations->keys[0], "k1");
  cr_assert_str_eq (s->annotations->values[0], "v3");
  cr_assert_str_eq (s->annotations->keys[1], "k2");
  cr_assert_null (s->annotations->keys[2]);
  cr_assert_eq (s->linux->resources->rdma->len, 1);
  cr_assert (!s->linux->resources->rdma->values[0]->hca_handles_present);
  cr_assert_eq (s->linux->resources->rdma->values[0]->hca_objects, 2);
  free_oci_spec (s);
}

Test (spec, empty_containers)
{
  char *json;
  oci_spec *s = expect_spec (J ({
    "ociVersion" : "1.0.0",
    "mounts" : [],
    "annotations" : {},
    "process" : { "cwd" : "/", "args" : [], "user" : { "uid" : 0, "gid" : 0, "additionalGids" : [] } },
    "linux" : {}
  }));

  cr_assert_not_null (s->mounts);
  cr_assert_eq (s->mounts_len, 0);
  cr_assert_null (s->mounts[0]);
  cr_assert_not_null (s->process->args);
  cr_assert_null (s->process->args[0]);
  cr_assert_not_null (s->process->user->additional_gids);
  cr_assert_eq (s->annotations->len, 0);
  cr_assert_not_null (s->linux);
  json = oci_spec_to_json (s, false, NULL);
  cr_assert_str_eq (json, "{\"ociVersion\":\"1.0.0\",\"process\":{\"user\":"
                          "{\"uid\":0,\"gid\":0,\"additionalGids\":[]},\"args\":[],"
                          "\"cwd\":\"/\"},\"mounts\":[],\"annotations\":{},\"linux\":{}}");
  free (json);
  free_oci_spec (s);
}

Test (spec, pretty_format)
{
  oci_spec *s = expect_spec (J ({
    "annotations" : { "a" : "1" },
    "ociVersion" : "1.2.0",
    "root" : { "readonly" : false, "path" : "rootfs" },
    "mounts" : [ { "destination" : "/tmp", "options" : [] } ],
    "linux" :
        { "uidMappings" : [ { "containerID" : 0, "hostID" : 1000, "size" : 1 } ], "resources" : {} }
  }));
  char *json = oci_spec_to_json (s, true, NULL);

  cr_assert_str_eq (json, "{\n"
                          "  \"ociVersion\": \"1.2.0\",\n"
                          "  \"root\": {\n"
                          "    \"path\": \"rootfs\",\n"
                          "    \"readonly\": false\n"
                          "  },\n"
                          "  \"mounts\": [\n"
                          "    {\n"
                          "      \"destination\": \"/tmp\",\n"
                          "      \"options\": []\n"
                          "    }\n"
                          "  ],\n"
                          "  \"annotations\": {\n"
                          "    \"a\": \"1\"\n"
                          "  },\n"
                          "  \"linux\": {\n"
                          "    \"uidMappings\": [\n"
                          "      {\n"
                          "        \"containerID\": 0,\n"
                          "        \"hostID\": 1000,\n"
                          "        \"size\": 1\n"
                          "      }\n"
                          "    ],\n"
                          "    \"resources\": {}\n"
                          "  }\n"
                          "}");
  free (json);
  free_oci_spec (s);
}

Test (spec, string_escapes)
{
  oci_spec *s = expect_spec ("{\"ociVersion\": \"1.0.0\", "
                             "\"hostname\": \"a\\\"b\\\\c\\/d\\n\\t\\u0001\\u00e9\\u20ac\"}");
  char *json;
  oci_spec *t;

  cr_assert_str_eq (s->hostname, "a\"b\\c/d\n\t\x01\xc3\xa9\xe2\x82\xac");
  json = oci_spec_to_json (s, false, NULL);
  cr_assert_str_eq (json, "{\"ociVersion\":\"1.0.0\",\"hostname\":"
                          "\"a\\\"b\\\\c/d\\n\\t\\u0001\xc3\xa9\xe2\x82\xac\"}");
  t = expect_spec (json);
  cr_assert_str_eq (t->hostname, s->hostname);
  free (json);
  free_oci_spec (s);
  free_oci_spec (t);
}

Test (spec, hand_built)
{
  oci_spec *s = calloc (1, sizeof (*s));
  char *json, *err = (char *) "stale";

  s->oci_version = strdup ("1.3.0");
  s->root = calloc (1, sizeof (*s->root));
  s->root->path = strdup ("/r");
  s->annotations = calloc (1, sizeof (*s->annotations));
  s->annotations->keys = calloc (2, sizeof (char *));
  s->annotations->values = calloc (2, sizeof (char *));
  s->annotations->keys[0] = strdup ("k");
  s->annotations->values[0] = strdup ("v");
  s->annotations->len = 1;
  s->process = calloc (1, sizeof (*s->process));
  s->process->cwd = strdup ("/");
  s->process->oom_score_adj = -17;
  s->process->oom_score_adj_present = true;
  s->process->terminal = true; /* not marked present: not written */

  json = oci_spec_to_json (s, false, &err);
  cr_assert_null (err);
  cr_assert_str_eq (json, "{\"ociVersion\":\"1.3.0\",\"process\":{\"cwd\":\"/\","
                          "\"oomScoreAdj\":-17},\"root\":{\"path\":\"/r\"},"
                          "\"annotations\":{\"k\":\"v\"}}");
  free (json);
  free_oci_spec (s);
}

Test (spec, null_arguments)
{
  char *err = NULL;

  free_oci_spec (NULL);
  free_oci_state (NULL);
  free_oci_features (NULL);
  free_oci_process (NULL);
  free_oci_map_string (NULL);
  free_oci_map_rdma (NULL);
  free_oci_linux (NULL);

  cr_assert_null (oci_spec_to_json (NULL, false, &err));
  cr_assert_str_eq (err, "no document to write");
  free (err);

  /* err may be NULL */
  cr_assert_null (oci_spec_parse_data ("{", 1, NULL));
  cr_assert_null (oci_spec_parse_data ("{}", 2, NULL));
  cr_assert_null (oci_spec_parse_file ("/nonexistent/config.json", NULL));
  cr_assert_null (oci_spec_parse_data (NULL, 0, &err));
  cr_assert_str_eq (err, "invalid JSON: parse error: premature EOF");
  free (err);
}

Test (spec, parse_data_len)
{
  /* Only len bytes are looked at. */
  const char *json = "{\"ociVersion\": \"1.0.0\"}garbage";
  oci_spec *s = oci_spec_parse_data (json, 23, NULL);

  cr_assert_not_null (s);
  free_oci_spec (s);
}

static char *
write_temp (const char *text)
{
  char *path = strdup ("/tmp/test_ocispec.XXXXXX");
  int fd = mkstemp (path);

  cr_assert (fd >= 0);
  cr_assert_eq (write (fd, text, strlen (text)), (ssize_t) strlen (text));
  close (fd);
  return path;
}

Test (file, parse_file)
{
  char *path = write_temp (full_spec), *err = NULL;
  oci_spec *s = oci_spec_parse_file (path, &err);

  cr_assert_not_null (s, "%s", err);
  cr_assert_str_eq (s->hostname, "app");
  free_oci_spec (s);
  unlink (path);
  free (path);
}

Test (file, errors)
{
  char *path = write_temp ("{\"ociVersion\": \"2.0.0\"}"), *err = NULL;

  cr_assert_null (oci_spec_parse_file (path, &err));
  cr_assert_str_eq (err, ".ociVersion: unsupported version \"2.0.0\"");
  free (err);
  unlink (path);
  free (path);

  cr_assert_null (oci_spec_parse_file ("/nonexistent/config.json", &err));
  cr_assert_str_eq (err, "open /nonexistent/config.json: No such file or directory");
  free (err);

  cr_assert_null (oci_state_parse_file ("/", &err));
  cr_assert_str_eq (err, "read /: Is a directory");
  free (err);
}

Test (file, large)
{
  /* Bigger than the first read buffer. */
  size_t n = 5000, i;
  size_t cap = n * 32 + 64, len = 0;
  char *text = malloc (cap), *path, *err = NULL;
  oci_spec *s;

  len += (size_t) sprintf (text + len, "{\"ociVersion\":\"1.0.0\",\"annotations\":{");
  for (i = 0; i < n; i++)
    len += (size_t) sprintf (text + len, "%s\"key%zu\":\"v%zu\"", i ? "," : "", i, i);
  strcpy (text + len, "}}");
  path = write_temp (text);
  s = oci_spec_parse_file (path, &err);
  cr_assert_not_null (s, "%s", err);
  cr_assert_eq (s->annotations->len, n);
  cr_assert_str_eq (s->annotations->keys[n - 1], "key4999");
  cr_assert_str_eq (s->annotations->values[n - 1], "v4999");
  free_oci_spec (s);
  unlink (path);
  free (path);
  free (text);
}

Test (state, parse)
{
  const char *json = J ({
    "ociVersion" : "1.0.2",
    "id" : "oci-container1",
    "status" : "running",
    "pid" : 4422,
    "bundle" : "/containers/redis",
    "annotations" : { "myKey" : "myValue" }
  });
  char *err = NULL, *out;
  oci_state *st = oci_state_parse_data (json, strlen (json), &err);

  cr_assert_not_null (st, "%s", err);
  cr_assert_str_eq (st->oci_version, "1.0.2");
  cr_assert_str_eq (st->id, "oci-container1");
  cr_assert_str_eq (st->status, "running");
  cr_assert (st->pid_present);
  cr_assert_eq (st->pid, 4422);
  cr_assert_str_eq (st->bundle, "/containers/redis");
  cr_assert_str_eq (st->annotations->keys[0], "myKey");
  cr_assert_str_eq (st->annotations->values[0], "myValue");

  out = oci_state_to_json (st, true, &err);
  cr_assert_str_eq (out, "{\n"
                         "  \"ociVersion\": \"1.0.2\",\n"
                         "  \"id\": \"oci-container1\",\n"
                         "  \"status\": \"running\",\n"
                         "  \"pid\": 4422,\n"
                         "  \"bundle\": \"/containers/redis\",\n"
                         "  \"annotations\": {\n"
                         "    \"myKey\": \"myValue\"\n"
                         "  }\n"
                         "}");
  free (out);
  free_oci_state (st);
}

Test (state, optional_pid)
{
  const char *json = J ({ "ociVersion" : "1.0.2", "id" : "c", "status" : "stopped", "bundle" : "/b" });
  oci_state *st = oci_state_parse_data (json, strlen (json), NULL);
  char *out;

  cr_assert_not_null (st);
  cr_assert (!st->pid_present);
  out = oci_state_to_json (st, false, NULL);
  cr_assert_str_eq (out, "{\"ociVersion\":\"1.0.2\",\"id\":\"c\","
                         "\"status\":\"stopped\",\"bundle\":\"/b\"}");
  free (out);
  free_oci_state (st);
}

Test (state, errors)
{
  static const struct
  {
    const char *json, *err;
  } cases[] = {
    { J ({ "id" : "c", "status" : "created", "bundle" : "/b" }),
      ".: missing required field \"ociVersion\"" },
    { J ({ "ociVersion" : "1.0.0", "status" : "created", "bundle" : "/b" }),
      ".: missing required field \"id\"" },
    { J ({ "ociVersion" : "1.0.0", "id" : "c", "bundle" : "/b" }),
      ".: missing required field \"status\"" },
    { J ({ "ociVersion" : "1.0.0", "id" : "c", "status" : "created" }),
      ".: missing required field \"bundle\"" },
    { J ({ "ociVersion" : "1.0.0", "id" : "c", "status" : "created", "bundle" : "/b", "pid" : "1" }),
      ".pid: expected an integer" },
    { J ({
        "ociVersion" : "1.0.0",
        "id" : "c",
        "status" : "created",
        "bundle" : "/b",
        "pid" : 2147483648
      }),
      ".pid: integer out of range" },
  };
  size_t i;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *err = NULL;

      cr_assert_null (oci_state_parse_data (cases[i].json, strlen (cases[i].json), &err));
      cr_assert_str_eq (err, cases[i].err);
      free (err);
    }
}

Test (state, container_process_state)
{
  const char *json = J ({
    "ociVersion" : "1.0.2",
    "fds" : ["seccompFd"],
    "pid" : 4422,
    "metadata" : "MKNOD=/dev/null,/dev/net/tun;BPF_MAP_TYPES=hash,array",
    "state" : {
      "ociVersion" : "1.0.2",
      "id" : "oci-container1",
      "status" : "creating",
      "pid" : 4422,
      "bundle" : "/containers/redis",
      "annotations" : { "myKey" : "myValue" }
    }
  });
  char *err = NULL, *out;
  oci_container_process_state *cps;

  cps = oci_container_process_state_parse_data (json, strlen (json), &err);
  cr_assert_not_null (cps, "%s", err);
  cr_assert_str_eq (cps->fds[0], "seccompFd");
  cr_assert_eq (cps->pid, 4422);
  cr_assert_str_eq (cps->state->status, "creating");
  out = oci_container_process_state_to_json (cps, false, &err);
  cr_assert_str_eq (out, "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],"
                         "\"pid\":4422,\"metadata\":\"MKNOD=/dev/null,/dev/net/tun;"
                         "BPF_MAP_TYPES=hash,array\",\"state\":{\"ociVersion\":\"1.0.2\","
                         "\"id\":\"oci-container1\",\"status\":\"creating\",\"pid\":4422,"
                         "\"bundle\":\"/containers/redis\",\"annotations\":"
                         "{\"myKey\":\"myValue\"}}}");
  free (out);
  free_oci_container_process_state (cps);

  json = J ({ "ociVersion" : "1.0.2", "pid" : 1, "state" : { "ociVersion" : "1.0.2" } });
  cr_assert_null (oci_container_process_state_parse_data (json, strlen (json), &err));
  cr_assert_str_eq (err, ".state: missing required field \"id\"");
  free (err);
}

static const char features_doc[] = J ({
  "ociVersionMin" : "1.0.0",
  "ociVersionMax" : "1.3.0",
  "hooks" :
      [ "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" ],
  "mountOptions" : [ "async", "bind", "ro", "idmap" ],
  "annotations" :
      { "io.github.seccomp.libseccomp.version" : "2.5.4", "org.example.checkpoint.enabled" : "true" },
  "potentiallyUnsafeConfigAnnotations" : [ "com.example.foo.bar", "org.systemd.property." ],
  "linux" : {
    "namespaces" : [ "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time" ],
    "capabilities" : [ "CAP_CHOWN", "CAP_KILL" ],
    "cgroup" : { "v1" : true, "v2" : true, "systemd" : true, "systemdUser" : false, "rdma" : true },
    "seccomp" : {
      "enabled" : true,
      "actions" : [ "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO" ],
      "operators" : [ "SCMP_CMP_EQ", "SCMP_CMP_NE" ],
      "archs" : ["SCMP_ARCH_X86_64"],
      "knownFlags" : [ "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG" ],
      "supportedFlags" : ["SECCOMP_FILTER_FLAG_TSYNC"]
    },
    "apparmor" : { "enabled" : true },
    "selinux" : { "enabled" : false },
    "intelRdt" : { "enabled" : true, "schemata" : true, "monitoring" : false },
    "mountExtensions" : { "idmap" : { "enabled" : true } },
    "netDevices" : { "enabled" : true },
    "memoryPolicy" : { "modes" : [ "MPOL_DEFAULT", "MPOL_BIND" ], "flags" : ["MPOL_F_STATIC_NODES"] }
  }
});

Test (features, parse)
{
  char *err = NULL, *out;
  oci_features *f = oci_features_parse_data (features_doc, strlen (features_doc), &err);
  oci_features_linux *l;
  oci_features *g;

  cr_assert_not_null (f, "%s", err);
  l = f->linux;
  cr_assert_str_eq (f->oci_version_min, "1.0.0");
  cr_assert_str_eq (f->oci_version_max, "1.3.0");
  cr_assert_eq (f->hooks_len, 6);
  cr_assert_str_eq (f->mount_options[3], "idmap");
  cr_assert_str_eq (f->annotations->values[0], "2.5.4");
  cr_assert_str_eq (f->potentially_unsafe_config_annotations[1], "org.systemd.property.");
  cr_assert_eq (l->namespaces_len, 8);
  cr_assert_str_eq (l->capabilities[1], "CAP_KILL");
  cr_assert (l->cgroup->v1 && l->cgroup->v2 && l->cgroup->systemd);
  cr_assert (l->cgroup->systemd_user_present && !l->cgroup->systemd_user);
  cr_assert (l->cgroup->rdma);
  cr_assert (l->seccomp->enabled);
  cr_assert_str_eq (l->seccomp->actions[1], "SCMP_ACT_ERRNO");
  cr_assert_str_eq (l->seccomp->operators[1], "SCMP_CMP_NE");
  cr_assert_str_eq (l->seccomp->archs[0], "SCMP_ARCH_X86_64");
  cr_assert_eq (l->seccomp->known_flags_len, 2);
  cr_assert_eq (l->seccomp->supported_flags_len, 1);
  cr_assert (l->apparmor->enabled);
  cr_assert (l->selinux->enabled_present && !l->selinux->enabled);
  cr_assert (l->intel_rdt->enabled && l->intel_rdt->schemata);
  cr_assert (l->intel_rdt->monitoring_present && !l->intel_rdt->monitoring);
  cr_assert (l->mount_extensions->idmap->enabled);
  cr_assert (l->net_devices->enabled);
  cr_assert_str_eq (l->memory_policy->modes[1], "MPOL_BIND");
  cr_assert_str_eq (l->memory_policy->flags[0], "MPOL_F_STATIC_NODES");

  out = oci_features_to_json (f, true, &err);
  cr_assert_not_null (out);
  g = oci_features_parse_data (out, strlen (out), &err);
  cr_assert_not_null (g, "%s", err);
  free (out);
  out = oci_features_to_json (g, false, NULL);
  cr_assert (strstr (out, "\"intelRdt\":{\"enabled\":true,\"schemata\":true,"
                          "\"monitoring\":false}"));
  free (out);
  free_oci_features (f);
  free_oci_features (g);
}

Test (features, errors)
{
  const char *a = J ({ "ociVersionMin" : "1.0.0" });
  const char *b = J ({
    "ociVersionMin" : "1.0.0",
    "ociVersionMax" : "1.3.0",
    "linux" : { "cgroup" : { "v2" : "yes" } }
  });
  char *err = NULL;

  cr_assert_null (oci_features_parse_data (a, strlen (a), &err));
  cr_assert_str_eq (err, ".: missing required field \"ociVersionMax\"");
  free (err);
  cr_assert_null (oci_features_parse_data (b, strlen (b), &err));
  cr_assert_str_eq (err, ".linux.cgroup.v2: expected a boolean");
  free (err);
}

Test (process, parse)
{
  const char *json = J ({
    "terminal" : false,
    "consoleSize" : { "height" : 40, "width" : 120 },
    "user" : { "uid" : 1000, "gid" : 1000, "additionalGids" : [ 5, 10 ] },
    "args" : [ "/bin/ls", "-l" ],
    "env" : [ "PATH=/bin", "HOME=/home/u" ],
    "cwd" : "/tmp",
    "capabilities" : { "bounding" : ["CAP_KILL"], "effective" : ["CAP_KILL"] },
    "noNewPrivileges" : true,
    "apparmorProfile" : "p",
    "selinuxLabel" : "l",
    "rlimits" : [ { "type" : "RLIMIT_NPROC", "hard" : 10, "soft" : 5 } ]
  });
  char *err = NULL, *out;
  oci_process *p = oci_process_parse_data (json, strlen (json), &err), *q;

  cr_assert_not_null (p, "%s", err);
  cr_assert (p->terminal_present && !p->terminal);
  cr_assert_eq (p->console_size->width, 120);
  cr_assert_eq (p->user->additional_gids_len, 2);
  cr_assert_eq (p->user->additional_gids[1], 10);
  cr_assert_str_eq (p->args[0], "/bin/ls");
  cr_assert_null (p->args[2]);
  cr_assert_str_eq (p->env[1], "HOME=/home/u");
  cr_assert_str_eq (p->cwd, "/tmp");
  cr_assert_eq (p->rlimits[0]->soft, 5);

  out = oci_process_to_json (p, false, &err);
  q = oci_process_parse_data (out, strlen (out), &err);
  cr_assert_not_null (q, "%s", err);
  cr_assert_str_eq (q->args[1], "-l");
  cr_assert_eq (q->console_size->height, 40);
  free (out);
  free_oci_process (p);
  free_oci_process (q);
}

Test (process, errors)
{
  static const struct
  {
    const char *json, *err;
  } cases[] = {
    { J ({ "args" : ["sh"] }), ".: missing required field \"cwd\"" },
    { J ({ "cwd" : "/", "user" : { "uid" : 0 } }), ".user: missing required field \"gid\"" },
    { J ({ "cwd" : "/", "args" : [1] }), ".args[0]: expected a string" },
    { J ({ "cwd" : "/", "env" : "A=1" }), ".env: expected an array" },
    { J ({ "cwd" : "/", "rlimits" : [ { "type" : "RLIMIT_AS", "hard" : -1, "soft" : 0 } ] }),
      ".rlimits[0].hard: integer out of range" },
    { J (["sh"]), ".: expected an object" },
  };
  size_t i;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *err = NULL;

      cr_assert_null (oci_process_parse_data (cases[i].json, strlen (cases[i].json), &err));
      cr_assert_str_eq (err, cases[i].err);
      free (err);
    }
}

/*
 * Hostile input: the parser must survive it, refuse it with a message,
 * and not take time out of proportion with the input's size.
 */

Test (hostile, deep_nesting_100k)
{
  static const char *const opens[] = { "[", "{\"a\":", "[{\"b\":[" };
  size_t depth = 100000, k;

  for (k = 0; k < sizeof (opens) / sizeof (opens[0]); k++)
    {
      size_t ol = strlen (opens[k]), i, len = 0;
      char *json = malloc (64 + depth * ol);

      len += sprintf (json, "{\"ociVersion\": \"1.0.0\", \"x\": ");
      for (i = 0; i < depth; i++)
        {
          memcpy (json + len, opens[k], ol);
          len += ol;
        }
      json[len] = '\0';
      /* unterminated on purpose: the depth is refused first */
      expect_spec_error (json, "invalid JSON: nesting too deep");
      free (json);
    }
}

Test (hostile, huge_arrays)
{
  size_t n = 1 << 20, i, len = 0;
  char *json = malloc (64 + n * 4);
  oci_spec *s;

  len += sprintf (json, "{\"ociVersion\": \"1.0.0\", \"process\": {\"cwd\": \"/\", \"args\": [");
  for (i = 0; i < n; i++)
    len += sprintf (json + len, "%s\"%c\"", i ? "," : "", 'a' + (int) (i % 26));
  strcpy (json + len, "]}}");
  s = expect_spec (json);
  cr_assert_eq (s->process->args_len, n);
  cr_assert_eq (s->process->args[n - 1][0], 'a' + (int) ((n - 1) % 26));
  cr_assert_null (s->process->args[n]);
  free_oci_spec (s);

  /* a million integers where objects are expected: the first says so */
  len = (size_t) sprintf (json, "{\"ociVersion\": \"1.0.0\", \"mounts\": [");
  for (i = 0; i < n; i++)
    len += (size_t) sprintf (json + len, "%s1", i ? "," : "");
  strcpy (json + len, "]}");
  expect_spec_error (json, ".mounts[0]: expected an object");
  free (json);
}

Test (hostile, huge_map_with_repeats)
{
  /* A scan per key made this quadratic: 400k keys took minutes. */
  size_t n = 400000, i, len = 0;
  char *json = malloc (64 + n * 24);
  oci_spec *s;

  len += sprintf (json, "{\"ociVersion\": \"1.0.0\", \"annotations\": {");
  for (i = 0; i < n; i++)
    len += sprintf (json + len, "%s\"k%zu\":\"%zu\"", i ? "," : "", i % (n / 2), i);
  strcpy (json + len, "}}");
  s = expect_spec (json);
  cr_assert_eq (s->annotations->len, n / 2);
  cr_assert_str_eq (s->annotations->keys[7], "k7");
  /* the last value wins, in the first position */
  cr_assert_str_eq (s->annotations->values[7], "200007");
  free_oci_spec (s);
  free (json);
}

Test (hostile, gigantic_string)
{
  size_t n = 16 << 20;
  char *json = malloc (n + 64);
  oci_spec *s;
  int len;

  len = sprintf (json, "{\"ociVersion\": \"1.0.0\", \"hostname\": \"");
  memset (json + len, 'h', n);
  strcpy (json + len + n, "\"}");
  s = expect_spec (json);
  cr_assert_eq (strlen (s->hostname), n);
  free_oci_spec (s);
  free (json);
}

/* yajl decodes a \u escape of a lone low surrogate to bytes that are
   not UTF-8: such a document would read but not write back.  (A lone high
   surrogate it reads as `?`.)  A pair is one character.  */
Test (hostile, lone_surrogate_escape)
{
  static const char *const bad[] = { "\\udddd", "a\\ude00x", "\\ude00\\ud83d" };
  static const char want[] = "invalid JSON: a \\u escape of a lone UTF-16 surrogate in a string";
  char json[128];
  oci_spec *s;
  size_t i;

  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      snprintf (json, sizeof (json), "{\"ociVersion\": \"1.0.0\", \"hostname\": \"%s\"}", bad[i]);
      expect_spec_error (json, want);
      snprintf (json, sizeof (json), "{\"ociVersion\": \"1.0.0\", \"annotations\": {\"%s\": \"x\"}}",
                bad[i]);
      expect_spec_error (json, want);
    }
  s = expect_spec ("{\"ociVersion\": \"1.0.0\", \"hostname\": \"\\ud83d\\ude00\"}");
  cr_assert_str_eq (s->hostname, "\xf0\x9f\x98\x80");
  free_oci_spec (s);
}

Test (hostile, invalid_utf8)
{
  static const char *const bad[] = {
    "\xff",
    "\xc0\xaf",
    "\xe0\x80\xaf",
    "\xc3",
    "a\xe2\x82",
    "\x80",
    "\xf8\x88\x80\x80\x80",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    "\xc1\xbf",
  };
  static const char *const good[] = {
    "\xc2\x80",     "\xdf\xbf",         "\xe0\xa0\x80",     "\xed\x9f\xbf",
    "\xee\x80\x80", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xe2\x82\xac",
  };

  static const char value[] = "{\"ociVersion\": \"1.0.0\", \"hostname\": \"";
  static const char key[] = "{\"ociVersion\": \"1.0.0\", \"";
  char json[128], want[64];
  size_t i, at;

  /* lone and cut sequences, overlong forms, surrogates, past U+10FFFF */
  for (i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      at = bad[i][0] == 'a';
      snprintf (json, sizeof (json), "%s%s\"}", value, bad[i]);
      snprintf (want, sizeof (want), "invalid JSON: invalid UTF-8 at byte %zu", strlen (value) + at);
      expect_spec_error (json, want);
      snprintf (json, sizeof (json), "%s%s\": 1}", key, bad[i]);
      snprintf (want, sizeof (want), "invalid JSON: invalid UTF-8 at byte %zu", strlen (key) + at);
      expect_spec_error (json, want);
    }
  for (i = 0; i < sizeof (good) / sizeof (good[0]); i++)
    {
      oci_spec *s;

      snprintf (json, sizeof (json), "{\"ociVersion\": \"1.0.0\", \"hostname\": \"%s\"}", good[i]);
      s = expect_spec (json);
      cr_assert_str_eq (s->hostname, good[i]);
      free_oci_spec (s);
    }
}

Test (hostile, nul_in_strings)
{
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "hostname" : "a\u0000b" }),
                     ".hostname: string contains a NUL character");
  expect_spec_error (WITH_PROCESS ({ "cwd" : "/", "args" : [ "sh", "-c", "x\u0000y" ] }),
                     ".process.args[2]: string contains a NUL character");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "annotations" : { "a\u0000" : "b" } }),
                     ".annotations: key contains a NUL character");
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "annotations" : { "a.b" : "\u0000" } }),
                     ".annotations[\"a.b\"]: string contains a NUL character");
  /* unknown members are checked too: a NUL has no business anywhere */
  expect_spec_error (J ({ "ociVersion" : "1.0.0", "x" : [[ 1, { "y" : [ null, true, "\u0000" ] } ]] }),
                     ".x[0][1].y[2]: string contains a NUL character");
  expect_spec_error ("\"\\u0000\"", ".: string contains a NUL character");
  /* an escaped backslash before u0000 is no NUL */
  free_oci_spec (expect_spec ("{\"ociVersion\": \"1.0.0\", \"hostname\": \"\\\\u0000\"}"));
}

Test (hostile, integer_edges)
{
  /* 2^63 and 2^64-1 where signed 64 bits are expected, -1 and -0 where
   * unsigned ones are, and numbers far past 64 bits */
  expect_spec_error (WITH_LINUX ({ "resources" : { "memory" : { "limit" : 18446744073709551615 } } }),
                     ".linux.resources.memory.limit: integer out of range");
  expect_spec_error (WITH_LINUX ({ "resources" : { "memory" : { "swap" : 9223372036854775808 } } }),
                     ".linux.resources.memory.swap: integer out of range");
  expect_spec_error (WITH_LINUX ({ "resources" : { "cpu" : { "period" : -1 } } }),
                     ".linux.resources.cpu.period: integer out of range");
  expect_spec_error (WITH_LINUX ({ "resources" : { "cpu" : { "period" : -18446744073709551615 } } }),
                     ".linux.resources.cpu.period: integer out of range");
  expect_spec_error (WITH_LINUX ({
                       "uidMappings" : [ { "containerID" : 0, "hostID" : 0, "size" : 4294967296 } ]
                     }),
                     ".linux.uidMappings[0].size: integer out of range");
  expect_spec_error (
      WITH_LINUX ({
        "resources" : {
          "cpu" : { "quota" : 1000000000000000000000000000000000000000000000000000000000000000000000 }
        }
      }),
      ".linux.resources.cpu.quota: integer out of range");
  expect_spec_error (WITH_LINUX ({ "resources" : { "cpu" : { "quota" : -0.0 } } }),
                     ".linux.resources.cpu.quota: expected an integer");
  {
    oci_spec *s = expect_spec (WITH_LINUX ({
      "resources" :
          { "cpu" : { "period" : -0, "quota" : -9223372036854775808, "shares" : 18446744073709551615 } }
    }));

    cr_assert_eq (s->linux->resources->cpu->period, 0);
    cr_assert_eq (s->linux->resources->cpu->quota, INT64_MIN);
    cr_assert_eq (s->linux->resources->cpu->shares, UINT64_MAX);
    free_oci_spec (s);
  }
}
