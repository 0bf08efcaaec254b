#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <linux/filter.h>
#include <seccomp.h>
#endif

#include "log.h"
#include "seccomp.h"
#include "utils.h"

#ifdef HAVE_SECCOMP

/* Older headers: the values are the kernel's ABI.  */
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1U << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1U << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1U << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1U << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1U << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1U << 5)
#endif

#define CONFIG "config.json: linux.seccomp"

struct ocirt_seccomp
{
  struct sock_filter *insns;
  size_t len;
  unsigned int flags; /* for seccomp(2) */
  bool loaded;
  int listener_fd; /* connected to listenerPath, -1 without SCMP_ACT_NOTIFY */
  int procfd;      /* the runtime's /proc, for the pid the runtime sees */
  /* Borrowed, for the state sent to the listener.  */
  const char *id;
  const char *bundle;
  const char *metadata;
  const oci_map_string *annotations;
};

static const struct
{
  const char *name;
  uint32_t action;
  bool takes_errno;
} action_table[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operator_table[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* Every name of the spec.  Those this libseccomp lacks are accepted and
   skipped: a kernel only runs its native ABI and its compat ones, and
   libseccomp knows those of every kernel it runs on.  */
#define ARCH(n)                                                                                         \
  {                                                                                                     \
    "SCMP_ARCH_" #n, SCMP_ARCH_##n                                                                      \
  }
static const struct
{
  const char *name;
  uint32_t arch;
} arch_table[] = {
  ARCH (X86),         ARCH (X86_64), ARCH (X32),       ARCH (ARM),     ARCH (AARCH64),
  ARCH (MIPS),        ARCH (MIPS64), ARCH (MIPS64N32), ARCH (MIPSEL),  ARCH (MIPSEL64),
  ARCH (MIPSEL64N32), ARCH (PPC),    ARCH (PPC64),     ARCH (PPC64LE), ARCH (S390),
  ARCH (S390X),       ARCH (PARISC), ARCH (PARISC64),  ARCH (RISCV64),
#ifdef SCMP_ARCH_LOONGARCH64
  ARCH (LOONGARCH64),
#else
  { "SCMP_ARCH_LOONGARCH64", 0 },
#endif
#ifdef SCMP_ARCH_M68K
  ARCH (M68K),
#else
  { "SCMP_ARCH_M68K", 0 },
#endif
#ifdef SCMP_ARCH_SH
  ARCH (SH),
#else
  { "SCMP_ARCH_SH", 0 },
#endif
#ifdef SCMP_ARCH_SHEB
  ARCH (SHEB),
#else
  { "SCMP_ARCH_SHEB", 0 },
#endif
};
#undef ARCH

/* Passed to seccomp(2) directly: libseccomp 2.5 has no attribute for
   WAIT_KILLABLE_RECV, and the program is generated in the runtime.  */
static const struct
{
  const char *name;
  unsigned int flag;
} flag_table[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

int
ocirt_seccomp_action (const char *name, bool has_errno, uint32_t errno_ret, uint32_t *action,
                      ocirt_error_t *err)
{
  size_t i;

  for (i = 0; name && i < ARRAY_SIZE (action_table); i++)
    {
      if (strcmp (name, action_table[i].name) != 0)
        continue;
      if (!action_table[i].takes_errno)
        {
          if (has_errno)
            return ocirt_error_make (err, 0, "action %s takes no errno", name);
          *action = action_table[i].action;
          return 0;
        }
      if (!has_errno)
        errno_ret = EPERM;
      /* The kernel keeps 16 bits of data in the action.  */
      if (errno_ret > 0xffff)
        return ocirt_error_make (err, 0, "errno %u of %s is out of range", errno_ret, name);
      *action = action_table[i].action | errno_ret;
      return 0;
    }
  return ocirt_error_make (err, 0, "unknown action `%s`", name ? name : "");
}

int
ocirt_seccomp_operator (const char *name, int *op, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; name && i < ARRAY_SIZE (operator_table); i++)
    if (strcmp (name, operator_table[i].name) == 0)
      {
        *op = operator_table[i].op;
        return 0;
      }
  return ocirt_error_make (err, 0, "unknown operator `%s`", name ? name : "");
}

int
ocirt_seccomp_arch (const char *name, uint32_t *arch, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; name && i < ARRAY_SIZE (arch_table); i++)
    if (strcmp (name, arch_table[i].name) == 0)
      {
        *arch = arch_table[i].arch;
        return 0;
      }
  return ocirt_error_make (err, 0, "unknown architecture `%s`", name ? name : "");
}

int
ocirt_seccomp_flag (const char *name, unsigned int *flag, ocirt_error_t *err)
{
  size_t i;

  for (i = 0; name && i < ARRAY_SIZE (flag_table); i++)
    if (strcmp (name, flag_table[i].name) == 0)
      {
        *flag = flag_table[i].flag;
        return 0;
      }
  return ocirt_error_make (err, 0, "unknown flag `%s`", name ? name : "");
}

bool
ocirt_seccomp_flag_supported (unsigned int flag)
{
  /* The kernel takes this one only with a listener.  */
  if (flag & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  /* Flags are checked before the program is read: with no program, EFAULT
     means they were accepted.  */
  return syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

bool
ocirt_seccomp_enabled (void)
{
  return true;
}

char *
ocirt_seccomp_library_version (void)
{
  const struct scmp_version *v = seccomp_version ();

  return v ? xasprintf ("%u.%u.%u", v->major, v->minor, v->micro) : NULL;
}

size_t
ocirt_seccomp_names (enum ocirt_seccomp_names which, const char **names)
{
  size_t i, n = 0;

  switch (which)
    {
    case OCIRT_SECCOMP_ACTIONS:
      for (i = 0; i < ARRAY_SIZE (action_table); i++)
        names[n++] = action_table[i].name;
      break;
    case OCIRT_SECCOMP_OPERATORS:
      for (i = 0; i < ARRAY_SIZE (operator_table); i++)
        names[n++] = operator_table[i].name;
      break;
    case OCIRT_SECCOMP_ARCHS:
      for (i = 0; i < ARRAY_SIZE (arch_table); i++)
        if (arch_table[i].arch)
          names[n++] = arch_table[i].name;
      break;
    case OCIRT_SECCOMP_KNOWN_FLAGS:
    case OCIRT_SECCOMP_SUPPORTED_FLAGS:
      for (i = 0; i < ARRAY_SIZE (flag_table); i++)
        if (which == OCIRT_SECCOMP_KNOWN_FLAGS || ocirt_seccomp_flag_supported (flag_table[i].flag))
          names[n++] = flag_table[i].name;
      break;
    }
  return n;
}

/* ---- compiling, in the runtime ------------------------------------- */

static bool
index_repeats (const oci_syscall *sys)
{
  size_t a, b;

  for (a = 0; a < sys->args_len; a++)
    for (b = a + 1; b < sys->args_len; b++)
      if (sys->args[a]->index == sys->args[b]->index)
        return true;
  return false;
}

static int
add_syscall (scmp_filter_ctx ctx, const oci_syscall *sys, size_t i, uint32_t default_action,
             bool *uses_notify, ocirt_error_t *err)
{
  cleanup_free struct scmp_arg_cmp *conds = NULL;
  uint32_t action;
  bool split;
  size_t j, k;

  if (ocirt_seccomp_action (sys->action, sys->errno_ret_present, sys->errno_ret, &action, err) < 0)
    return ocirt_error_prefix (err, CONFIG ".syscalls[%zu]", i);
  conds = xmalloc0 (sizeof (*conds) * (sys->args_len + 1));
  for (j = 0; j < sys->args_len; j++)
    {
      const oci_syscall_arg *a = sys->args[j];
      int op;

      if (a->index > 5)
        return ocirt_error_make (err, 0, CONFIG ".syscalls[%zu].args[%zu]: index %u is not 0 to 5", i, j,
                                 a->index);
      if (ocirt_seccomp_operator (a->op, &op, err) < 0)
        return ocirt_error_prefix (err, CONFIG ".syscalls[%zu].args[%zu]", i, j);
      /* For SCMP_CMP_MASKED_EQ value is the mask, valueTwo the result.  */
      conds[j].arg = a->index;
      conds[j].op = op;
      conds[j].datum_a = a->value;
      conds[j].datum_b = a->value_two;
    }

  /* libseccomp refuses a rule that does what the default does.  */
  if (action == default_action)
    return 0;
  /* libseccomp takes one comparison per argument in a rule: several on the
     same argument become one rule each, that is, any of them matches.  */
  split = index_repeats (sys);
  for (k = 0; k < sys->names_len; k++)
    {
      const char *name = sys->names[k];
      int nr, ret = 0;

      /* A trapped sendmsg or close would wait for the listener before it
         has the fd to answer.  */
      if (action == SCMP_ACT_NOTIFY && (strcmp (name, "sendmsg") == 0 || strcmp (name, "close") == 0))
        return ocirt_error_make (err, 0,
                                 CONFIG ".syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used for `%s`: "
                                        "the runtime needs it to hand over the notification fd",
                                 i, name);
      nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        {
          /* Profiles name syscalls of newer kernels: as runc, skip them.  */
          ocirt_debug ("seccomp: syscall `%s` is unknown to libseccomp: skipped", name);
          continue;
        }
      if (!split)
        ret = seccomp_rule_add_array (ctx, action, nr, sys->args_len, conds);
      for (j = 0; split && j < sys->args_len && ret == 0; j++)
        ret = seccomp_rule_add_array (ctx, action, nr, 1, &conds[j]);
      if (ret < 0)
        return ocirt_error_make (err, -ret, CONFIG ".syscalls[%zu]: add the rule for `%s`", i, name);
    }
  if (action == SCMP_ACT_NOTIFY)
    *uses_notify = true;
  return 0;
}

static int
export_program (scmp_filter_ctx ctx, struct ocirt_seccomp *sc, ocirt_error_t *err)
{
  cleanup_close int fd = memfd_create ("ocirt-seccomp", MFD_CLOEXEC);
  struct stat sb;
  size_t size, done = 0;
  int ret;

  if (fd < 0)
    return ocirt_error_make (err, errno, "memfd_create for the seccomp filter");
  ret = seccomp_export_bpf (ctx, fd);
  if (ret < 0)
    return ocirt_error_make (err, -ret, "generate the seccomp filter");
  if (fstat (fd, &sb) < 0)
    return ocirt_error_make (err, errno, "stat the seccomp filter");
  size = (size_t) sb.st_size;
  if (size == 0 || size % sizeof (struct sock_filter) != 0)
    return ocirt_error_make (err, 0, "generate the seccomp filter: %zu bytes", size);
  sc->len = size / sizeof (struct sock_filter);
  /* Better said now than by EINVAL in the container.  */
  if (sc->len > BPF_MAXINSNS)
    return ocirt_error_make (err, 0,
                             "the seccomp filter has %zu instructions, the kernel takes at most %d",
                             sc->len, BPF_MAXINSNS);
  sc->insns = xmalloc0 (size);
  while (done < size)
    {
      ssize_t n = pread (fd, (char *) sc->insns + done, size - done, (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return ocirt_error_make (err, n < 0 ? errno : EIO, "read the seccomp filter");
      done += (size_t) n;
    }
  return 0;
}

static int
compile (const oci_seccomp *cfg, struct ocirt_seccomp *sc, bool *uses_notify, ocirt_error_t *err)
{
  scmp_filter_ctx ctx;
  uint32_t def;
  size_t i;
  int ret = -1;

  if (ocirt_seccomp_action (cfg->default_action, cfg->default_errno_ret_present, cfg->default_errno_ret,
                            &def, err)
      < 0)
    return ocirt_error_prefix (err, CONFIG ".defaultAction");
  /* Every syscall of the runtime after the load would wait for a listener
     that has not got the fd yet.  */
  if (def == SCMP_ACT_NOTIFY)
    return ocirt_error_make (err, 0,
                             CONFIG ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  for (i = 0; i < cfg->flags_len; i++)
    {
      unsigned int flag;

      if (ocirt_seccomp_flag (cfg->flags[i], &flag, err) < 0)
        return ocirt_error_prefix (err, CONFIG ".flags");
      if (!ocirt_seccomp_flag_supported (flag))
        return ocirt_error_make (err, 0, CONFIG ".flags: %s is not supported by the running kernel",
                                 cfg->flags[i]);
      sc->flags |= flag;
    }

  ctx = seccomp_init (def);
  if (ctx == NULL)
    return ocirt_error_make (err, 0,
                             CONFIG ": create a filter with the default action %s: "
                                    "not supported by libseccomp or the kernel",
                             cfg->default_action);

  /* A binary tree of syscall numbers instead of a list: the kernel runs
     the filter for every syscall number when it is loaded, to build its
     cache of always-allowed ones, and for every syscall after.  With
     podman's profile that halves the load and shortens each check.  */
  ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (ret < 0)
    ocirt_debug ("seccomp: binary-tree optimization unavailable: %s", strerror (-ret));
  ret = -1;

  /* The native architecture is in the filter from the start.  */
  for (i = 0; i < cfg->architectures_len; i++)
    {
      uint32_t arch;
      int r;

      if (ocirt_seccomp_arch (cfg->architectures[i], &arch, err) < 0)
        {
          ocirt_error_prefix (err, CONFIG ".architectures");
          goto out;
        }
      if (arch == 0)
        {
          ocirt_debug ("seccomp: architecture %s is unknown to libseccomp: skipped",
                       cfg->architectures[i]);
          continue;
        }
      r = seccomp_arch_add (ctx, arch);
      /* EDOM: the other byte order, which this kernel cannot run either. */
      if (r == -EDOM)
        {
          ocirt_debug ("seccomp: architecture %s cannot be filtered with the native one: skipped",
                       cfg->architectures[i]);
          continue;
        }
      if (r < 0 && r != -EEXIST)
        {
          ocirt_error_make (err, -r, CONFIG ".architectures: add %s", cfg->architectures[i]);
          goto out;
        }
    }

  for (i = 0; i < cfg->syscalls_len; i++)
    if (add_syscall (ctx, cfg->syscalls[i], i, def, uses_notify, err) < 0)
      goto out;

  ret = export_program (ctx, sc, err);
out:
  seccomp_release (ctx);
  return ret;
}

/* ---- the cache of compiled filters -------------------------------- */

/* Compiling a large profile (podman's) costs far more than the rest of a
   container's start.  The result depends only on the seccomp section, the
   libseccomp version and the kernel's flags: it is kept under the state
   root, in a file named by a hash of the section and holding the section
   itself, compared byte for byte before the program is trusted.  */

static char *cache_dir;

void
ocirt_seccomp_set_cache_dir (const char *state_root)
{
  free (cache_dir);
  cache_dir = state_root ? xasprintf ("%s/.seccomp-cache", state_root) : NULL;
}

struct cache_header
{
  char magic[8];
  uint32_t key_len;
  uint32_t flags;
  uint32_t uses_notify;
  uint32_t len;
};

static char *
cache_key (const oci_seccomp *cfg)
{
  oci_linux lx = { .seccomp = (oci_seccomp *) cfg };
  oci_spec tmp = { .oci_version = (char *) "1.0.0", .linux = &lx };
  const struct scmp_version *v = seccomp_version ();
  cleanup_free char *json = oci_spec_to_json (&tmp, false, NULL);

  if (json == NULL || v == NULL)
    return NULL;
  return xasprintf ("libseccomp %u.%u.%u %s", v->major, v->minor, v->micro, json);
}

static uint64_t
fnv1a (const char *s)
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
  return h;
}

static char *
cache_path (const char *key)
{
  return xasprintf ("%s/%016llx", cache_dir, (unsigned long long) fnv1a (key));
}

static bool
cache_lookup (const char *key, struct ocirt_seccomp *sc, bool *uses_notify)
{
  cleanup_free char *path = cache_path (key);
  cleanup_free char *data = NULL;
  ocirt_error_t err = NULL;
  struct cache_header h;
  size_t len, klen = strlen (key);

  if (ocirt_utils_read_file_at (AT_FDCWD, path, &data, &len, &err) < 0)
    {
      ocirt_error_release (&err);
      return false;
    }
  if (len < sizeof (h))
    return false;
  memcpy (&h, data, sizeof (h));
  if (memcmp (h.magic, "ocirtsc2", 8) != 0 || h.key_len != klen || h.len == 0 || h.len > BPF_MAXINSNS
      || len != sizeof (h) + klen + h.len * sizeof (struct sock_filter)
      || memcmp (data + sizeof (h), key, klen) != 0)
    return false;
  sc->len = h.len;
  sc->flags = h.flags;
  *uses_notify = h.uses_notify != 0;
  sc->insns = xmalloc0 (h.len * sizeof (struct sock_filter));
  memcpy (sc->insns, data + sizeof (h) + klen, h.len * sizeof (struct sock_filter));
  return true;
}

static void
cache_store (const char *key, const struct ocirt_seccomp *sc, bool uses_notify)
{
  cleanup_free char *path = cache_path (key);
  cleanup_free char *buf = NULL;
  struct cache_header h = { .key_len = (uint32_t) strlen (key),
                            .flags = sc->flags,
                            .uses_notify = uses_notify,
                            .len = (uint32_t) sc->len };
  size_t size = sizeof (h) + h.key_len + sc->len * sizeof (struct sock_filter);
  ocirt_error_t err = NULL;

  memcpy (h.magic, "ocirtsc2", 8);
  if (mkdir (cache_dir, 0700) < 0 && errno != EEXIST)
    return;
  buf = xmalloc0 (size);
  memcpy (buf, &h, sizeof (h));
  memcpy (buf + sizeof (h), key, h.key_len);
  memcpy (buf + sizeof (h) + h.key_len, sc->insns, sc->len * sizeof (struct sock_filter));
  /* A cache that cannot be written only costs time.  */
  if (ocirt_utils_write_file_atomic_at (AT_FDCWD, path, buf, size, 0600, &err) < 0)
    {
      ocirt_debug ("seccomp cache: %s", err->msg);
      ocirt_error_release (&err);
    }
}

static int
compile_cached (const oci_seccomp *cfg, struct ocirt_seccomp *sc, bool *uses_notify, ocirt_error_t *err)
{
  cleanup_free char *key = cache_dir ? cache_key (cfg) : NULL;

  if (key && cache_lookup (key, sc, uses_notify))
    {
      ocirt_debug ("seccomp: filter of %zu instructions from the cache", sc->len);
      return 0;
    }
  if (compile (cfg, sc, uses_notify, err) < 0)
    return -1;
  if (key)
    cache_store (key, sc, *uses_notify);
  return 0;
}

int
ocirt_seccomp_prepare (const oci_spec *spec, const char *id, const char *bundle,
                       struct ocirt_seccomp **out, ocirt_error_t *err)
{
  const oci_seccomp *cfg = spec->linux ? spec->linux->seccomp : NULL;
  struct ocirt_seccomp *sc;
  bool uses_notify = false;

  *out = NULL;
  if (cfg == NULL)
    return 0;
  if (cfg->listener_metadata && cfg->listener_path == NULL)
    return ocirt_error_make (err, 0, CONFIG ": listenerMetadata is set without listenerPath");

  sc = xmalloc0 (sizeof (*sc));
  sc->listener_fd = sc->procfd = -1;
  if (compile_cached (cfg, sc, &uses_notify, err) < 0)
    goto fail;

  if (uses_notify)
    {
      if (cfg->listener_path == NULL)
        {
          ocirt_error_make (err, 0, CONFIG ": SCMP_ACT_NOTIFY is used but listenerPath is not set");
          goto fail;
        }
      sc->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      /* With TSYNC the kernel would not say whether it returned a listener
         fd or a thread id, unless told to fail instead (Linux 5.7); before
         that, TSYNC is moot for a process with one thread.  */
      if ((sc->flags & SECCOMP_FILTER_FLAG_TSYNC)
          && ocirt_seccomp_flag_supported (SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
        sc->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
      else
        sc->flags &= ~SECCOMP_FILTER_FLAG_TSYNC;
      /* The path is the host's: connect before the container's mounts.  */
      sc->listener_fd = ocirt_utils_unix_connect (cfg->listener_path, "seccomp listener", err);
      if (sc->listener_fd < 0)
        goto fail;
      sc->procfd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (sc->procfd < 0)
        {
          ocirt_error_make (err, errno, "open /proc");
          goto fail;
        }
      sc->id = id;
      sc->bundle = bundle;
      sc->metadata = cfg->listener_metadata;
      sc->annotations = spec->annotations;
    }
  else if (sc->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    {
      /* It is about notifications only, and the kernel wants a listener. */
      ocirt_debug ("seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV without SCMP_ACT_NOTIFY: ignored");
      sc->flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }

  *out = sc;
  return 0;

fail:
  ocirt_seccomp_free (sc);
  return -1;
}

void
ocirt_seccomp_after_clone (struct ocirt_seccomp *sc)
{
  if (sc && sc->listener_fd >= 0)
    {
      close (sc->listener_fd);
      sc->listener_fd = -1;
    }
}

void
ocirt_seccomp_free (struct ocirt_seccomp *sc)
{
  if (sc == NULL)
    return;
  free (sc->insns);
  if (sc->listener_fd >= 0)
    close (sc->listener_fd);
  if (sc->procfd >= 0)
    close (sc->procfd);
  free (sc);
}

const void *
ocirt_seccomp_program (const struct ocirt_seccomp *sc, size_t *len)
{
  *len = sc ? sc->len : 0;
  return sc ? sc->insns : NULL;
}

/* ---- loading, in the container process ------------------------------ */

/* The container process state of the spec, for the listener.  */
static char *
listener_state (const struct ocirt_seccomp *sc, const char *status, ocirt_error_t *err)
{
  char *fds[] = { (char *) "seccompFd" };
  oci_state st = { 0 };
  oci_container_process_state cps = { 0 };
  unsigned long long pid;
  char buf[32], *json, *jerr = NULL;
  ssize_t n;

  /* "self" in the runtime's procfs is this process as the runtime sees it;
     getpid () is 1 in a new pid namespace.  */
  n = readlinkat (sc->procfd, "self", buf, sizeof (buf) - 1);
  if (n < 0)
    {
      ocirt_error_make (err, errno, "read the pid of the container process");
      return NULL;
    }
  buf[n] = '\0';
  if (!ocirt_utils_parse_ulong (buf, &pid) || pid == 0 || pid > INT_MAX)
    {
      ocirt_error_make (err, 0, "read the pid of the container process: `%s`", buf);
      return NULL;
    }

  st.oci_version = (char *) OCI_SPEC_VERSION;
  st.id = (char *) sc->id;
  st.status = (char *) status;
  st.pid = (int) pid;
  st.pid_present = true;
  st.bundle = (char *) sc->bundle;
  st.annotations = (oci_map_string *) sc->annotations;
  cps.oci_version = (char *) OCI_SPEC_VERSION;
  cps.fds = fds;
  cps.fds_len = ARRAY_SIZE (fds);
  cps.pid = (int) pid;
  cps.pid_present = true;
  cps.metadata = (char *) sc->metadata;
  cps.state = &st;
  json = oci_container_process_state_to_json (&cps, false, &jerr);
  if (json == NULL)
    ocirt_error_make (err, 0, "write the container process state: %s", jerr ? jerr : "unknown error");
  free (jerr);
  return json;
}

static int
load (struct ocirt_seccomp *sc, const char *status, ocirt_error_t *err)
{
  struct sock_fprog prog = { .len = (unsigned short) sc->len, .filter = sc->insns };
  cleanup_free char *state = NULL;
  long ret;
  int saved;

  /* What can be done unfiltered is done before.  */
  if (sc->listener_fd >= 0)
    {
      state = listener_state (sc, status, err);
      if (state == NULL)
        return -1;
      close (sc->procfd);
      sc->procfd = -1;
    }
  ret = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog);
  if (ret < 0)
    return ocirt_error_make (err, errno, "load the seccomp filter");
  sc->loaded = true;
  if (sc->listener_fd < 0)
    return 0;

  /* One connection, one state: the fd goes with the first bytes.  Only
     sendmsg, which a profile may not trap: see add_syscall.  */
  saved = ocirt_utils_send_fd (sc->listener_fd, (int) ret, state, strlen (state)) < 0 ? errno : 0;
  /* Closed before anything else: a syscall trapped now would otherwise
     wait for an answer that cannot come.  */
  close ((int) ret);
  close (sc->listener_fd);
  sc->listener_fd = -1;
  if (saved)
    return ocirt_error_make (err, saved, "send the seccomp notification fd to the listener");
  return 0;
}

int
ocirt_seccomp_load (struct ocirt_seccomp *sc, ocirt_error_t *err)
{
  if (sc == NULL || sc->loaded)
    return 0;
  return load (sc, "running", err);
}

#else /* !HAVE_SECCOMP */

void
ocirt_seccomp_set_cache_dir (const char *state_root)
{
  (void) state_root;
}

static int
no_support (ocirt_error_t *err)
{
  return ocirt_error_make (err, 0, "seccomp requested but this build has no seccomp support");
}

int
ocirt_seccomp_prepare (const oci_spec *spec, const char *id, const char *bundle,
                       struct ocirt_seccomp **out, ocirt_error_t *err)
{
  *out = NULL;
  if (spec->linux && spec->linux->seccomp)
    return no_support (err);
  return 0;
}

int
ocirt_seccomp_load (struct ocirt_seccomp *sc, ocirt_error_t *err)
{
  return 0;
}

void
ocirt_seccomp_after_clone (struct ocirt_seccomp *sc)
{
}

void
ocirt_seccomp_free (struct ocirt_seccomp *sc)
{
}

const void *
ocirt_seccomp_program (const struct ocirt_seccomp *sc, size_t *len)
{
  *len = 0;
  return NULL;
}

int
ocirt_seccomp_action (const char *name, bool has_errno, uint32_t errno_ret, uint32_t *action,
                      ocirt_error_t *err)
{
  return no_support (err);
}

int
ocirt_seccomp_operator (const char *name, int *op, ocirt_error_t *err)
{
  return no_support (err);
}

int
ocirt_seccomp_arch (const char *name, uint32_t *arch, ocirt_error_t *err)
{
  return no_support (err);
}

int
ocirt_seccomp_flag (const char *name, unsigned int *flag, ocirt_error_t *err)
{
  return no_support (err);
}

bool
ocirt_seccomp_flag_supported (unsigned int flag)
{
  return false;
}

bool
ocirt_seccomp_enabled (void)
{
  return false;
}

char *
ocirt_seccomp_library_version (void)
{
  return NULL;
}

size_t
ocirt_seccomp_names (enum ocirt_seccomp_names which, const char **names)
{
  return 0;
}

#endif
