#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/capability.h>
#include <sys/prctl.h>

#include "lsm.h"
#include "process.h"
#include "process_attrs.h"
#include "utils.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const struct
{
  const char *name;
  int resource;
} rlimit_table[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
ocirt_process_rlimit_resource (const char *name)
{
  size_t i;

  for (i = 0; name && i < ARRAY_SIZE (rlimit_table); i++)
    if (strcmp (name, rlimit_table[i].name) == 0)
      return rlimit_table[i].resource;
  return -1;
}

int
ocirt_process_validate (const oci_process *p, ocirt_error_t *err)
{
  size_t i, j;

  if (p == NULL)
    return ocirt_error_make (err, 0, "config.json: no process to run");
  if (p->args_len == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
    return ocirt_error_make (err, 0, "config.json: process.args must not be empty");
  if (p->cwd == NULL || p->cwd[0] != '/')
    return ocirt_error_make (err, 0, "config.json: process.cwd `%s` is not an absolute path",
                             p->cwd ? p->cwd : "");
  for (i = 0; i < p->rlimits_len; i++)
    {
      const oci_rlimit *r = p->rlimits[i];

      if (ocirt_process_rlimit_resource (r->type) < 0)
        return ocirt_error_make (err, 0, "config.json: process.rlimits[%zu]: unknown rlimit `%.128s`", i,
                                 r->type);
      if (r->soft > r->hard)
        return ocirt_error_make (
            err, 0, "config.json: process.rlimits[%zu]: %s soft limit %llu exceeds hard limit %llu", i,
            r->type, (unsigned long long) r->soft, (unsigned long long) r->hard);
      for (j = 0; j < i; j++)
        if (strcmp (p->rlimits[j]->type, r->type) == 0)
          return ocirt_error_make (err, 0,
                                   "config.json: process.rlimits[%zu]: %s is given more than once", i,
                                   r->type);
    }
  return ocirt_process_attrs_validate (p, err);
}

int
ocirt_process_set_rlimits (const oci_process *p, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; i < p->rlimits_len; i++)
    {
      const oci_rlimit *r = p->rlimits[i];
      struct rlimit rl = { .rlim_cur = r->soft, .rlim_max = r->hard };

      if (setrlimit (ocirt_process_rlimit_resource (r->type), &rl) < 0)
        return ocirt_error_make (err, errno, "setrlimit %s (soft %llu, hard %llu)", r->type,
                                 (unsigned long long) r->soft, (unsigned long long) r->hard);
    }
  return 0;
}

int
ocirt_process_set_oom_score_adj (const oci_process *p, ocirt_error_t *err)
{
  char buf[16];
  int len;

  if (!p->oom_score_adj_present)
    return 0;
  len = snprintf (buf, sizeof (buf), "%d", (int) p->oom_score_adj);
  if (ocirt_utils_write_file_at (AT_FDCWD, "/proc/self/oom_score_adj", buf, len, err) < 0)
    return ocirt_error_prefix (err, "set oomScoreAdj %d", (int) p->oom_score_adj);
  return 0;
}

/* The caller's stdio pipes go to the process's user, as with runc and
   crun: a process that is not root can then reopen them (/dev/stdout,
   /proc/self/fd/1).  Only the owner changes.  A pipe whose owner or the
   user is not mapped here is left as it is (EPERM, EINVAL).  */
static int
give_stdio_pipes (uid_t uid, ocirt_error_t *err)
{
  int fd;

  for (fd = 0; fd <= 2; fd++)
    {
      struct stat sb;

      if (fstat (fd, &sb) < 0 || !S_ISFIFO (sb.st_mode) || sb.st_uid == uid)
        continue;
      if (fchown (fd, uid, (gid_t) -1) < 0 && errno != EPERM && errno != EINVAL)
        return ocirt_error_make (err, errno, "give the stdio pipe %d to uid %u", fd, (unsigned) uid);
    }
  return 0;
}

int
ocirt_process_set_user (const oci_process *p, const struct ocirt_caps *caps, uint64_t extra,
                        ocirt_error_t *err)
{
  const oci_user *u = p->user;
  uid_t uid = u ? u->uid : 0;
  gid_t gid = u ? u->gid : 0;

  if (ocirt_caps_prepare (caps, err) < 0)
    return -1;
  if (give_stdio_pipes (uid, err) < 0)
    return -1;

  if (u && u->additional_gids_len)
    {
      if (setgroups (u->additional_gids_len, (const gid_t *) u->additional_gids) < 0)
        return ocirt_error_make (err, errno, "setgroups");
    }
  else if (setgroups (0, NULL) < 0 && errno != EPERM)
    return ocirt_error_make (err, errno, "setgroups");

  /* The raw syscalls: glibc would broadcast to threads we do not have.  */
  if (syscall (SYS_setresgid, gid, gid, gid) < 0)
    return ocirt_error_make (err, errno, "setgid %u", (unsigned) gid);
  if (syscall (SYS_setresuid, uid, uid, uid) < 0)
    return ocirt_error_make (err, errno, "setuid %u", (unsigned) uid);

  return ocirt_caps_apply (caps, extra, err);
}

static const char *
env_path (const oci_process *p)
{
  size_t i;

  for (i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], "PATH=", 5) == 0)
      return p->env[i] + 5;
  return NULL;
}

static bool
is_executable_file (const char *path)
{
  struct stat sb;

  return stat (path, &sb) == 0 && S_ISREG (sb.st_mode) && access (path, X_OK) == 0;
}

char *
ocirt_process_find_executable (const oci_process *p, ocirt_error_t *err)
{
  const char *arg0 = p->args[0];
  cleanup_free char *copy = NULL;
  const char *path;
  char *dir, *save = NULL;

  if (strchr (arg0, '/'))
    {
      int e;

      if (is_executable_file (arg0))
        return xstrdup (arg0);
      e = errno == ENOENT || errno == ENOTDIR ? ENOENT : EACCES;
      /* Docker maps these words, lower case as runc writes them, to the
         shell's 127 and 126.  */
      ocirt_error_make (err, 0, "exec `%s`: %s", arg0,
                        e == ENOENT ? "no such file or directory" : "permission denied");
      (*err)->status = e;
      return NULL;
    }
  path = env_path (p);
  copy = xstrdup (path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *candidate = xasprintf ("%s/%s", *dir ? dir : ".", arg0);

      if (is_executable_file (candidate))
        return candidate;
      free (candidate);
    }
  ocirt_error_make (err, 0, "exec `%s`: executable file not found in $PATH", arg0);
  return NULL;
}

int
ocirt_process_cloexec_fds (int preserve_fds, ocirt_error_t *err)
{
  unsigned int first = 3 + (unsigned int) preserve_fds;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  /* Older kernels: walk /proc/self/fd.  */
  d = opendir ("/proc/self/fd");
  if (d == NULL)
    return ocirt_error_make (err, errno, "open /proc/self/fd");
  while ((de = readdir (d)))
    {
      int fd = atoi (de->d_name);

      if (de->d_name[0] == '.' || fd < (int) first || fd == dirfd (d))
        continue;
      if (fcntl (fd, F_SETFD, FD_CLOEXEC) < 0)
        return ocirt_error_make (err, errno, "set close-on-exec on fd %d", fd);
    }
  return 0;
}

int
ocirt_process_chdir (const oci_process *p, ocirt_error_t *err)
{
  char buf[PATH_MAX];

  if (chdir (p->cwd) < 0)
    return ocirt_error_make (err, errno, "chdir to cwd `%s`", p->cwd);
  /* A cwd reached through a leaked fd would be "(unreachable)/...".  */
  if (getcwd (buf, sizeof (buf)) == NULL || buf[0] != '/')
    return ocirt_error_make (err, errno ? errno : EPERM, "cwd `%s` is outside the container", p->cwd);
  return 0;
}

/* HOME from the container's /etc/passwd, "/" when the user has no entry. */
static char *
home_of (uid_t uid)
{
  cleanup_fclose FILE *f = fopen ("/etc/passwd", "re");
  cleanup_free char *line = NULL;
  size_t n = 0;

  while (f && getline (&line, &n, f) > 0)
    {
      char *fields[7], *save = NULL, *tok;
      unsigned long long id;
      int i = 0;

      line[strcspn (line, "\n")] = '\0';
      /* strsep keeps empty fields, which strtok would skip.  */
      for (tok = line; i < 7 && (fields[i] = strsep (&tok, ":")); i++)
        ;
      (void) save;
      if (i >= 6 && ocirt_utils_parse_ulong (fields[2], &id) && id == uid && fields[5][0])
        return xstrdup (fields[5]);
    }
  return xstrdup ("/");
}

char **
ocirt_process_build_env (const oci_process *p)
{
  char **env = xmalloc0 (sizeof (char *) * (p->env_len + 2));
  bool have_home = false;
  size_t i;

  for (i = 0; i < p->env_len; i++)
    {
      env[i] = p->env[i];
      if (strncmp (p->env[i], "HOME=", 5) == 0)
        have_home = true;
    }
  if (!have_home)
    {
      cleanup_free char *home = home_of (p->user ? p->user->uid : 0);
      env[i] = xasprintf ("HOME=%s", home);
    }
  return env;
}

/* *EXTRA: what the seccomp filter, loaded after the user switch, needs of
   CAP_SYS_ADMIN; nothing with no_new_privs or when the process keeps it.  */
static int
sys_admin_for_seccomp (const oci_process *p, bool seccomp, struct ocirt_caps *caps, uint64_t *extra,
                       ocirt_error_t *err)
{
  const uint64_t admin = 1ULL << CAP_SYS_ADMIN;

  *extra = 0;
  if (!seccomp || p->no_new_privileges)
    return 0;
  if (!caps->present)
    {
      /* root keeps every capability across setuid (0).  */
      if (p->user == NULL || p->user->uid == 0)
        return 0;
      if (ocirt_caps_of_plain_user (caps, err) < 0)
        return -1;
    }
  if (!(caps->effective & admin))
    *extra = admin;
  return 0;
}

int
ocirt_process_prepare_exec (const oci_process *p, bool seccomp, int preserve_fds, char **exe,
                            char ***envp, ocirt_error_t *err)
{
  struct ocirt_caps caps;
  uint64_t extra;

  /* Read /etc/passwd while still root.  */
  *envp = ocirt_process_build_env (p);
  if (ocirt_process_set_oom_score_adj (p, err) < 0)
    return -1;
  if (ocirt_process_set_rlimits (p, err) < 0)
    return -1;
  /* Raising priorities needs CAP_SYS_NICE, which the user switch drops.  */
  if (ocirt_process_attrs_apply (p, err) < 0)
    return -1;
  ocirt_caps_from_config (p->capabilities, &caps);
  if (sys_admin_for_seccomp (p, seccomp, &caps, &extra, err) < 0
      || ocirt_process_set_user (p, &caps, extra, err) < 0)
    return -1;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return ocirt_error_make (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  if (ocirt_process_chdir (p, err) < 0)
    return -1;
  *exe = ocirt_process_find_executable (p, err);
  if (*exe == NULL)
    return -1;
  if (ocirt_lsm_apply_exec (p, err) < 0)
    return -1;
  return ocirt_process_cloexec_fds (preserve_fds, err);
}

void
ocirt_process_setenv (oci_process *p, const char *kv)
{
  size_t klen = strcspn (kv, "=");
  size_t i;

  for (i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], kv, klen) == 0 && p->env[i][klen] == '=')
      {
        free (p->env[i]);
        p->env[i] = xstrdup (kv);
        return;
      }
  p->env = realloc (p->env, sizeof (char *) * (p->env_len + 2));
  if (p->env == NULL)
    abort ();
  p->env[p->env_len++] = xstrdup (kv);
  p->env[p->env_len] = NULL;
}
