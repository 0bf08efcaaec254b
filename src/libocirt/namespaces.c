#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "namespaces.h"
#include "signals.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *name;
  int flag;
} ns_table[OCIRT_NS_COUNT] = {
  { "user", CLONE_NEWUSER },     { "pid", CLONE_NEWPID },   { "network", CLONE_NEWNET },
  { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },   { "mount", CLONE_NEWNS },
  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

int
ocirt_ns_flag (const char *type)
{
  size_t i;

  for (i = 0; type && i < ARRAY_SIZE (ns_table); i++)
    if (strcmp (type, ns_table[i].name) == 0)
      return ns_table[i].flag;
  return 0;
}

const char *
ocirt_ns_name (int flag)
{
  size_t i;

  for (i = 0; i < ARRAY_SIZE (ns_table); i++)
    if (ns_table[i].flag == flag)
      return ns_table[i].name;
  return "unknown";
}

bool
ocirt_ns_in_config (const oci_spec *spec, const char *type)
{
  size_t i;

  for (i = 0; spec->linux && i < spec->linux->namespaces_len; i++)
    if (spec->linux->namespaces[i]->type && strcmp (spec->linux->namespaces[i]->type, type) == 0)
      return true;
  return false;
}

void
ocirt_ns_plan_release (struct ocirt_ns_plan *plan)
{
  size_t i;

  for (i = 0; i < plan->njoin; i++)
    if (plan->join[i].fd >= 0)
      close (plan->join[i].fd);
  plan->njoin = 0;
}

int
ocirt_ns_plan_build (const oci_linux *linux_cfg, struct ocirt_ns_plan *plan, ocirt_error_t *err)
{
  int seen = 0;
  size_t i;

  memset (plan, 0, sizeof (*plan));
  for (i = 0; linux_cfg && i < linux_cfg->namespaces_len; i++)
    {
      const oci_namespace *ns = linux_cfg->namespaces[i];
      int flag = ocirt_ns_flag (ns->type);
      int fd, actual;

      if (flag == 0)
        {
          ocirt_ns_plan_release (plan);
          return ocirt_error_make (err, 0, "unknown namespace type `%s`", ns->type);
        }
      if (seen & flag)
        {
          ocirt_ns_plan_release (plan);
          return ocirt_error_make (err, 0, "namespace `%s` is listed more than once", ns->type);
        }
      seen |= flag;
      if (ns->path == NULL || ns->path[0] == '\0')
        {
          plan->new_flags |= flag;
          continue;
        }
      fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          int saved = errno;
          ocirt_ns_plan_release (plan);
          return ocirt_error_make (err, saved, "open %s namespace `%s`", ns->type, ns->path);
        }
      actual = ioctl (fd, NS_GET_NSTYPE);
      if (actual != flag)
        {
          close (fd);
          ocirt_ns_plan_release (plan);
          if (actual < 0)
            return ocirt_error_make (err, 0, "%s namespace path `%s` is not a namespace", ns->type,
                                     ns->path);
          return ocirt_error_make (err, 0, "%s namespace path `%s` is a %s namespace", ns->type,
                                   ns->path, ocirt_ns_name (actual));
        }
      plan->join[plan->njoin].type = flag;
      plan->join[plan->njoin++].fd = fd;
    }

  /* The cgroup namespace must be rooted at the container's cgroup, and time
     offsets can only be set before a process is in the namespace: the child
     makes both once it is in its cgroup.  When a user namespace is joined,
     the namespaces it owns must be made after joining it.  */
  plan->unshare_flags = plan->new_flags & (CLONE_NEWCGROUP | CLONE_NEWTIME);
  plan->clone_flags = plan->new_flags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
  for (i = 0; i < plan->njoin; i++)
    if (plan->join[i].type == CLONE_NEWUSER)
      {
        /* A pid namespace made at clone would belong to the host's user
           namespace, and /proc could not be mounted in it.  */
        plan->unshare_flags |= plan->clone_flags & ~CLONE_NEWPID;
        plan->fork_pid = (plan->clone_flags & CLONE_NEWPID) != 0;
        plan->clone_flags = 0;
      }
  return 0;
}

int
ocirt_ns_join_pid (struct ocirt_ns_plan *plan, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < plan->njoin; i++)
    if (plan->join[i].type == CLONE_NEWPID && setns (plan->join[i].fd, CLONE_NEWPID) < 0)
      return ocirt_error_make (err, errno, "join pid namespace");
  return 0;
}

void
ocirt_ns_leave_pid (const struct ocirt_ns_plan *plan)
{
  int saved_errno = errno;
  size_t i;
  int fd;

  for (i = 0; i < plan->njoin; i++)
    if (plan->join[i].type == CLONE_NEWPID)
      break;
  if (i == plan->njoin)
    return;
  /* /proc/self/ns/pid is the namespace we are in, not where children go.
     Going back to it needs CAP_SYS_ADMIN over its owner, which a runtime
     in a user namespace may lack: then hooks stay in the container's.
     errno is left for the caller to report the clone's.  */
  fd = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns (fd, CLONE_NEWPID) < 0)
    ocirt_debug ("back to the runtime's pid namespace: %s", strerror (errno));
  if (fd >= 0)
    close (fd);
  errno = saved_errno;
}

static int
join_type (struct ocirt_ns_plan *plan, int type, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < plan->njoin; i++)
    {
      if (plan->join[i].type != type || plan->join[i].fd < 0)
        continue;
      if (setns (plan->join[i].fd, type) < 0)
        return ocirt_error_make (err, errno, "join %s namespace", ocirt_ns_name (type));
      close (plan->join[i].fd);
      plan->join[i].fd = -1;
    }
  return 0;
}

int
ocirt_ns_join_in_child (struct ocirt_ns_plan *plan, ocirt_error_t *err)
{
  static const int order[] = { CLONE_NEWUSER,   CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWNET,
                               CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_NEWNS };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (order); i++)
    if (join_type (plan, order[i], err) < 0)
      return -1;
  return 0;
}

static int
write_time_offsets (const oci_linux *linux_cfg, ocirt_error_t *err)
{
  char buf[512];
  size_t i, n = 0;

  if (linux_cfg == NULL || linux_cfg->time_offsets == NULL || linux_cfg->time_offsets->len == 0)
    return 0;
  for (i = 0; i < linux_cfg->time_offsets->len; i++)
    {
      const char *clock = linux_cfg->time_offsets->keys[i];
      const oci_time_offset *o = linux_cfg->time_offsets->values[i];

      if (strcmp (clock, "monotonic") != 0 && strcmp (clock, "boottime") != 0)
        return ocirt_error_make (err, 0, "timeOffsets: unknown clock `%s`", clock);
      n += snprintf (buf + n, sizeof (buf) - n, "%s %lld %u\n", clock, (long long) o->secs,
                     (unsigned) o->nanosecs);
      if (n >= sizeof (buf))
        return ocirt_error_make (err, 0, "timeOffsets: too many entries");
    }
  return ocirt_utils_write_file_at (AT_FDCWD, "/proc/self/timens_offsets", buf, n, err);
}

/* unshare makes a time namespace for the children only.  Recent kernels
   move a process into it at execve, older ones (Debian 12's 6.1 among
   them) never do: join it here, once its offsets are written, so that the
   container's program is in it on every kernel.  */
static int
enter_new_time_ns (const oci_linux *linux_cfg, ocirt_error_t *err)
{
  cleanup_close int fd = -1;

  if (write_time_offsets (linux_cfg, err) < 0)
    return -1;
  fd = open ("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ocirt_error_make (err, errno, "open /proc/self/ns/time_for_children");
  if (setns (fd, CLONE_NEWTIME) < 0)
    return ocirt_error_make (err, errno, "enter the new time namespace");
  return 0;
}

int
ocirt_ns_unshare_in_child (struct ocirt_ns_plan *plan, const oci_linux *linux_cfg, ocirt_error_t *err)
{
  if (plan->unshare_flags == 0)
    return 0;
  if (unshare (plan->unshare_flags) < 0)
    return ocirt_error_make (err, errno, "unshare namespaces");
  if (plan->unshare_flags & CLONE_NEWTIME)
    return enter_new_time_ns (linux_cfg, err);
  return 0;
}

static void __attribute__ ((noreturn)) exec_map_helper (const char *helper, char **argv, int err_w)
{
  dup2 (err_w, STDERR_FILENO);
  ocirt_signals_child_reset ();
  execvp (helper, argv);
  _exit (errno == ENOENT ? 127 : 126);
}

/* The first line of what comes through FD until its end, in MSG.  */
static void
read_first_line (int fd, char *msg, size_t size)
{
  size_t len = 0;
  ssize_t got;

  while ((got = read (fd, msg + len, size - 1 - len)) > 0 || (got < 0 && errno == EINTR))
    if (got > 0)
      len += got;
  msg[len] = '\0';
  msg[strcspn (msg, "\n")] = '\0';
}

/* newuidmap/newgidmap PID ID HOSTID SIZE...: the setuid helpers that map
   the ranges /etc/subuid and /etc/subgid grant an ordinary user.  */
static int
run_map_helper (pid_t pid, const char *helper, oci_id_mapping **maps, size_t n, ocirt_error_t *err)
{
  cleanup_free char **argv = xmalloc0 ((2 + 3 * n + 1) * sizeof (char *));
  cleanup_free char (*num)[16] = xmalloc0 ((1 + 3 * n) * sizeof (*num));
  cleanup_close int err_r = -1, err_w = -1;
  int errpipe[2], status;
  char msg[512];
  size_t i, k = 0;
  pid_t child;

  argv[k] = (char *) helper;
  snprintf (num[0], sizeof (num[0]), "%d", pid);
  argv[++k] = num[0];
  for (i = 0; i < n; i++)
    {
      snprintf (num[1 + 3 * i], sizeof (num[0]), "%u", maps[i]->container_id);
      snprintf (num[2 + 3 * i], sizeof (num[0]), "%u", maps[i]->host_id);
      snprintf (num[3 + 3 * i], sizeof (num[0]), "%u", maps[i]->size);
      argv[++k] = num[1 + 3 * i];
      argv[++k] = num[2 + 3 * i];
      argv[++k] = num[3 + 3 * i];
    }
  /* Its complaint becomes part of our one error line.  */
  if (pipe2 (errpipe, O_CLOEXEC) < 0)
    return ocirt_error_make (err, errno, "pipe for %s", helper);
  err_r = errpipe[0];
  err_w = errpipe[1];
  child = fork ();
  if (child < 0)
    return ocirt_error_make (err, errno, "fork for %s", helper);
  if (child == 0)
    exec_map_helper (helper, argv, err_w);
  close_fd (&err_w);
  read_first_line (err_r, msg, sizeof (msg));
  if (ocirt_utils_waitpid (child, &status, 0) < 0)
    return ocirt_error_make (err, errno, "wait for %s", helper);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return ocirt_error_make (err, ENOENT,
                             "%s (Debian package uidmap) is needed to map these ids for uid %u", helper,
                             (unsigned) geteuid ());
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return ocirt_error_make (err, 0, "%s %d failed (are the ranges granted in /etc/sub%cid?)%s%s",
                             helper, pid, helper[3], msg[0] ? ": " : "", msg);
  return 0;
}

static bool
ranges_overlap (uint32_t a, uint32_t na, uint32_t b, uint32_t nb)
{
  /* Ranges are checked not to wrap first: a + na fits in 64 bits.  */
  return (uint64_t) a < (uint64_t) b + nb && (uint64_t) b < (uint64_t) a + na;
}

int
ocirt_ns_id_map_text (const char *field, oci_id_mapping *const *maps, size_t n, char *buf,
                      ocirt_error_t *err)
{
  size_t i, j;
  int len = 0;

  buf[0] = '\0';
  if (n > OCIRT_ID_MAP_MAX)
    return ocirt_error_make (err, 0, "%s: %zu ranges, the kernel takes at most %d", field, n,
                             OCIRT_ID_MAP_MAX);
  for (i = 0; i < n; i++)
    {
      const oci_id_mapping *m = maps[i];

      if (m->size == 0)
        return ocirt_error_make (err, 0, "%s[%zu]: size is 0", field, i);
      if ((uint64_t) m->container_id + m->size > (1ULL << 32))
        return ocirt_error_make (err, 0, "%s[%zu]: containerID %u + size %u is past 2^32", field, i,
                                 m->container_id, m->size);
      if ((uint64_t) m->host_id + m->size > (1ULL << 32))
        return ocirt_error_make (err, 0, "%s[%zu]: hostID %u + size %u is past 2^32", field, i,
                                 m->host_id, m->size);
      for (j = 0; j < i; j++)
        {
          if (ranges_overlap (m->container_id, m->size, maps[j]->container_id, maps[j]->size))
            return ocirt_error_make (err, 0, "%s[%zu]: container ids %u..%llu overlap %s[%zu]", field, i,
                                     m->container_id, (unsigned long long) m->container_id + m->size - 1,
                                     strrchr (field, '.') ? strrchr (field, '.') + 1 : field, j);
          if (ranges_overlap (m->host_id, m->size, maps[j]->host_id, maps[j]->size))
            return ocirt_error_make (err, 0, "%s[%zu]: host ids %u..%llu overlap %s[%zu]", field, i,
                                     m->host_id, (unsigned long long) m->host_id + m->size - 1,
                                     strrchr (field, '.') ? strrchr (field, '.') + 1 : field, j);
        }
      /* 340 lines of at most 33 bytes can still be more than a page.  */
      len += snprintf (buf + len, OCIRT_ID_MAP_TEXT_MAX - (size_t) len, "%u %u %u\n", m->container_id,
                       m->host_id, m->size);
      if (len >= OCIRT_ID_MAP_TEXT_MAX)
        return ocirt_error_make (err, 0, "%s: the ranges take more than the %d bytes the kernel reads",
                                 field, OCIRT_ID_MAP_TEXT_MAX - 1);
    }
  return len;
}

/* Root writes the map itself.  An ordinary user may map only its own id
   (a gid only once setgroups is denied for the namespace); wider mappings
   go through newuidmap/newgidmap, as runc and crun do.  */
static int
write_mapping (pid_t pid, const char *file, oci_id_mapping **maps, size_t n, ocirt_error_t *err)
{
  bool gid = strcmp (file, "gid_map") == 0;
  char path[64], buf[OCIRT_ID_MAP_TEXT_MAX];
  ocirt_error_t first = NULL;
  int ilen = ocirt_ns_id_map_text (file, maps, n, buf, err);
  size_t len;

  if (ilen < 0)
    return -1;
  len = (size_t) ilen;
  snprintf (path, sizeof (path), "/proc/%d/%s", pid, file);
  if (ocirt_utils_write_file_at (AT_FDCWD, path, buf, len, &first) == 0)
    return 0;
  /* EACCES: the file is not ours to open; EPERM: the ids are not.  */
  if (first->status != EPERM && first->status != EACCES)
    {
      *err = first;
      return ocirt_error_prefix (err, "write user namespace mapping");
    }
  ocirt_error_release (&first);
  if (n == 1 && maps[0]->size == 1 && maps[0]->host_id == (gid ? getegid () : geteuid ()))
    {
      if (gid)
        {
          char sg[64];

          snprintf (sg, sizeof (sg), "/proc/%d/setgroups", pid);
          if (ocirt_utils_write_file_at (AT_FDCWD, sg, "deny", 4, err) < 0)
            return ocirt_error_prefix (err, "deny setgroups to map the gid");
        }
      if (ocirt_utils_write_file_at (AT_FDCWD, path, buf, len, err) < 0)
        return ocirt_error_prefix (err, "write user namespace mapping");
      return 0;
    }
  return run_map_helper (pid, gid ? "newgidmap" : "newuidmap", maps, n, err);
}

int
ocirt_ns_write_id_mappings (pid_t pid, const oci_linux *linux_cfg, ocirt_error_t *err)
{
  if (linux_cfg->uid_mappings_len
      && write_mapping (pid, "uid_map", linux_cfg->uid_mappings, linux_cfg->uid_mappings_len, err) < 0)
    return -1;
  if (linux_cfg->gid_mappings_len
      && write_mapping (pid, "gid_map", linux_cfg->gid_mappings, linux_cfg->gid_mappings_len, err) < 0)
    return -1;
  return 0;
}

int
ocirt_ns_write_mapping (pid_t pid, const char *file, oci_id_mapping **maps, size_t n, ocirt_error_t *err)
{
  return write_mapping (pid, file, maps, n, err);
}
