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

int
ocirt_path_mkpath_in_root (int rootfd, const char *path, bool last_is_file, ocirt_error_t *err)
{
  cleanup_free char *want = xstrdup (path);
  int links = 0;

restart:
  {
    cleanup_free char *copy = xstrdup (want);
    struct comps c = { .n = 0 };
    char prefix[PATH_MAX] = "";
    size_t i;
    int parent = dup (rootfd);

    if (parent < 0)
      return ocirt_error_make (err, errno, "dup");
    push_comps (&c, copy, false);
    if (c.n == 0)
      return parent;

    for (i = 0; i < c.n; i++)
      {
        bool last = i + 1 == c.n;
        char sub[PATH_MAX], target[PATH_MAX];
        struct stat sb;
        ssize_t len;
        int fd;

        snprintf (sub, sizeof (sub), "%s%s%s", prefix, prefix[0] ? "/" : "", c.v[i]);
        fd = ocirt_path_open_in_root (rootfd, sub, O_PATH);
        if (fd >= 0)
          {
            if (!last && (fstat (fd, &sb) < 0 || !S_ISDIR (sb.st_mode)))
              {
                close (fd);
                close (parent);
                return ocirt_error_make (err, ENOTDIR, "resolve `%s` in the rootfs", sub);
              }
            close (parent);
            parent = fd;
            snprintf (prefix, sizeof (prefix), "%s", sub);
            continue;
          }
        if (errno != ENOENT)
          {
            int saved = errno;
            close (parent);
            return ocirt_error_make (err, saved, "resolve `%s` in the rootfs", sub);
          }

        /* Missing: a dangling symlink is followed, anything else created.  */
        if (fstatat (parent, c.v[i], &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (sb.st_mode))
          {
            size_t j;
            char *next;

            len = readlinkat (parent, c.v[i], target, sizeof (target) - 1);
            close (parent);
            if (len < 0)
              return ocirt_error_make (err, errno, "readlink `%s` in the rootfs", sub);
            if (++links > MAX_SYMLINKS)
              return ocirt_error_make (err, ELOOP, "resolve `%s` in the rootfs", path);
            target[len] = '\0';
            next = target[0] == '/' ? xstrdup (target) : xasprintf ("%s/%s", prefix, target);
            for (j = i + 1; j < c.n; j++)
              {
                char *n = xasprintf ("%s/%s", next, c.v[j]);
                free (next);
                next = n;
              }
            free (want);
            want = next;
            goto restart;
          }

        if (last && last_is_file)
          {
            fd = openat (parent, c.v[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (fd < 0 && errno != EEXIST)
              {
                int saved = errno;
                close (parent);
                return ocirt_error_make (err, saved, "create `%s` in the rootfs", sub);
              }
            if (fd >= 0)
              close (fd);
          }
        else if (mkdirat (parent, c.v[i], 0755) < 0 && errno != EEXIST)
          {
            int saved = errno;
            close (parent);
            return ocirt_error_make (err, saved, "mkdir `%s` in the rootfs", sub);
          }
        fd = openat (parent, c.v[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
        close (parent);
        if (fd < 0)
          return ocirt_error_make (err, errno, "open `%s` in the rootfs", sub);
        parent = fd;
        snprintf (prefix, sizeof (prefix), "%s", sub);
      }
    return parent;
  }
}
