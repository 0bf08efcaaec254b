#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#else
struct open_how
{
  unsigned long long flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT 0x10
#endif

#include "path.h"
#include "utils.h"

#define MAX_SYMLINKS 40

const char *
ocirt_path_of_fd (char *buf, size_t size, int fd)
{
  snprintf (buf, size, "/proc/self/fd/%d", fd);
  return buf;
}

static int openat2_missing;

static int
try_openat2 (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (unsigned long long) flags | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  if (openat2_missing)
    {
      errno = ENOSYS;
      return -1;
    }
  do
    fd = syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
  while (fd < 0 && errno == EAGAIN);
  if (fd < 0 && (errno == ENOSYS || errno == EPERM))
    openat2_missing = 1;
  return fd;
}

/* Components of a path, in a reusable list.  */
struct comps
{
  char *v[PATH_MAX / 2];
  size_t n;
};

static void
push_comps (struct comps *c, char *s, bool front)
{
  char *tok, *save = NULL;
  char *tmp[PATH_MAX / 2];
  size_t n = 0, i;

  for (tok = strtok_r (s, "/", &save); tok && n < ARRAY_SIZE (tmp); tok = strtok_r (NULL, "/", &save))
    tmp[n++] = tok;
  if (!front)
    {
      for (i = 0; i < n && c->n < ARRAY_SIZE (c->v); i++)
        c->v[c->n++] = tmp[i];
      return;
    }
  if (c->n + n > ARRAY_SIZE (c->v))
    n = ARRAY_SIZE (c->v) - c->n;
  memmove (c->v + n, c->v, c->n * sizeof (char *));
  memcpy (c->v, tmp, n * sizeof (char *));
  c->n += n;
}

int
ocirt_path_open_in_root_fallback (int rootfd, const char *path, int flags)
{
  /* Pending components are consumed from the front; resolved ones form a
     path relative to ROOTFD that holds no symlink.  */
  struct comps pending = { .n = 0 };
  char resolved[PATH_MAX] = "";
  char *buffers[MAX_SYMLINKS + 1];
  size_t nbuf = 0, head = 0, i;
  int links = 0, fd = -1, saved;

  buffers[nbuf++] = xstrdup (path);
  push_comps (&pending, buffers[0], false);

  while (head < pending.n)
    {
      char *comp = pending.v[head++];
      char candidate[PATH_MAX], target[PATH_MAX];
      struct stat sb;
      ssize_t len;

      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *slash = strrchr (resolved, '/');
          if (slash)
            *slash = '\0';
          else
            resolved[0] = '\0';
          continue;
        }
      snprintf (candidate, sizeof (candidate), "%s%s%s", resolved, resolved[0] ? "/" : "", comp);
      if (fstatat (rootfd, candidate, &sb, AT_SYMLINK_NOFOLLOW) < 0)
        {
          /* A missing last component is for the caller to judge.  */
          if (errno == ENOENT && head == pending.n)
            {
              snprintf (resolved, sizeof (resolved), "%s", candidate);
              break;
            }
          goto fail;
        }
      if (!S_ISLNK (sb.st_mode))
        {
          snprintf (resolved, sizeof (resolved), "%s", candidate);
          continue;
        }
      if (++links > MAX_SYMLINKS)
        {
          errno = ELOOP;
          goto fail;
        }
      len = readlinkat (rootfd, candidate, target, sizeof (target) - 1);
      if (len < 0)
        goto fail;
      target[len] = '\0';
      if (target[0] == '/')
        resolved[0] = '\0';
      /* Replace the link by its target in the pending list.  */
      memmove (pending.v, pending.v + head, (pending.n - head) * sizeof (char *));
      pending.n -= head;
      head = 0;
      buffers[nbuf++] = xstrdup (target);
      push_comps (&pending, buffers[nbuf - 1], true);
    }

  fd = openat (rootfd, resolved[0] ? resolved : ".", flags | O_CLOEXEC | O_NOFOLLOW);
fail:
  saved = errno;
  for (i = 0; i < nbuf; i++)
    free (buffers[i]);
  errno = saved;
  return fd;
}

int
ocirt_path_open_in_root (int rootfd, const char *path, int flags)
{
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  fd = try_openat2 (rootfd, path, flags);
  if (fd >= 0 || !openat2_missing)
    return fd;
  return ocirt_path_open_in_root_fallback (rootfd, path, flags);
}

/* The path to make instead of the components of C when the one at I,
   below PARENT (SUB from the root, PREFIX its parent), is a dangling
   symlink: its target with the components after it.  Returns -1 either
   way: the walk stops there.  */
static int
follow_dangling (int parent, const struct comps *c, size_t i, const char *prefix, const char *sub,
                 char **next, ocirt_error_t *err)
{
  char target[PATH_MAX], *p;
  ssize_t len = readlinkat (parent, c->v[i], target, sizeof (target) - 1);
  size_t j;

  if (len < 0)
    return ocirt_error_make (err, errno, "readlink `%s` in the rootfs", sub);
  target[len] = '\0';
  p = target[0] == '/' ? xstrdup (target) : xasprintf ("%s/%s", prefix, target);
  for (j = i + 1; j < c->n; j++)
    {
      char *n = xasprintf ("%s/%s", p, c->v[j]);
      free (p);
      p = n;
    }
  *next = p;
  return -1;
}

/* NAME below PARENT (SUB from the root) made: a file with FILE, else a
   directory; one there already is fine.  */
static int
make_missing (int parent, const char *name, bool file, const char *sub, ocirt_error_t *err)
{
  if (file)
    {
      cleanup_close int fd = openat (parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                     0644);

      if (fd < 0 && errno != EEXIST)
        return ocirt_error_make (err, errno, "create `%s` in the rootfs", sub);
      return 0;
    }
  if (mkdirat (parent, name, 0755) < 0 && errno != EEXIST)
    return ocirt_error_make (err, errno, "mkdir `%s` in the rootfs", sub);
  return 0;
}

/* The component I of C, below PARENT (SUB from the root), opened or made.
   A dangling symlink there sets *NEXT, the path to make instead, and
   returns -1 without an error.  */
static int
mkpath_step (int rootfd, int parent, const struct comps *c, size_t i, const char *prefix,
             const char *sub, bool last_is_file, char **next, ocirt_error_t *err)
{
  bool last = i + 1 == c->n;
  cleanup_close int fd = ocirt_path_open_in_root (rootfd, sub, O_PATH);
  struct stat sb;

  if (fd >= 0)
    {
      if (!last && (fstat (fd, &sb) < 0 || !S_ISDIR (sb.st_mode)))
        return ocirt_error_make (err, ENOTDIR, "resolve `%s` in the rootfs", sub);
      return steal_fd (&fd);
    }
  if (errno != ENOENT)
    return ocirt_error_make (err, errno, "resolve `%s` in the rootfs", sub);
  /* Missing: a dangling symlink is followed, anything else created.  */
  if (fstatat (parent, c->v[i], &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (sb.st_mode))
    return follow_dangling (parent, c, i, prefix, sub, next, err);
  if (make_missing (parent, c->v[i], last && last_is_file, sub, err) < 0)
    return -1;
  fd = openat (parent, c->v[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return ocirt_error_make (err, errno, "open `%s` in the rootfs", sub);
  return steal_fd (&fd);
}

/* One walk of ocirt_path_mkpath_in_root over WANT; see mkpath_step for
 *NEXT.  */
static int
mkpath_walk (int rootfd, const char *want, bool last_is_file, char **next, ocirt_error_t *err)
{
  cleanup_free char *copy = xstrdup (want);
  cleanup_close int parent = dup (rootfd);
  struct comps c = { .n = 0 };
  char prefix[PATH_MAX] = "";
  size_t i;

  if (parent < 0)
    return ocirt_error_make (err, errno, "dup");
  push_comps (&c, copy, false);
  for (i = 0; i < c.n; i++)
    {
      char sub[PATH_MAX];
      int fd;

      snprintf (sub, sizeof (sub), "%s%s%s", prefix, prefix[0] ? "/" : "", c.v[i]);
      fd = mkpath_step (rootfd, parent, &c, i, prefix, sub, last_is_file, next, err);
      if (fd < 0)
        return -1;
      close (parent);
      parent = fd;
      snprintf (prefix, sizeof (prefix), "%s", sub);
    }
  return steal_fd (&parent);
}

int
ocirt_path_mkpath_in_root (int rootfd, const char *path, bool last_is_file, ocirt_error_t *err)
{
  cleanup_free char *want = xstrdup (path);
  int links = 0;

  for (;;)
    {
      char *next = NULL;
      int fd = mkpath_walk (rootfd, want, last_is_file, &next, err);

      if (next == NULL)
        return fd;
      free (want);
      want = next;
      if (++links > MAX_SYMLINKS)
        return ocirt_error_make (err, ELOOP, "resolve `%s` in the rootfs", path);
    }
}
