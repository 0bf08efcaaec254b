/* The state store: <root>/<id> claimed, locked and removed, and the state
   files in it written and read.  */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stddef.h>

#include "state.h"
#include "state_json.h"
#include "utils.h"

bool
ocirt_state_id_valid (const char *id)
{
  size_t i, len;

  if (id == NULL)
    return false;
  len = strlen (id);
  if (len == 0 || len > OCIRT_ID_MAX)
    return false;
  for (i = 0; i < len; i++)
    {
      char c = id[i];
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

      if (alnum)
        continue;
      if (i == 0 || (c != '_' && c != '+' && c != '.' && c != '-'))
        return false;
    }
  return true;
}

static int
flock_retry (int fd, int op)
{
  int r;

  while ((r = flock (fd, op)) < 0 && errno == EINTR)
    ;
  return r;
}

static int
lock_dir (int dirfd, const char *id, ocirt_error_t *err)
{
  if (flock_retry (dirfd, LOCK_EX) < 0)
    return ocirt_error_make (err, errno, "lock container `%s`", id);
  return 0;
}

int
ocirt_state_dir_create (const char *root, const char *id, ocirt_error_t *err)
{
  cleanup_close int rootfd = -1;
  int dirfd;

  if (!ocirt_state_id_valid (id))
    return ocirt_error_make (err, 0, "invalid container id `%s`", id);

  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    {
      if (errno != ENOENT || ocirt_utils_mkdir_p (root, 0700, err) < 0)
        return ocirt_error_make (err, errno, "create state root `%s`", root);
    }
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return ocirt_error_make (err, errno, "open state root `%s`", root);
  /* Between mkdir and flock the directory is there, unlocked and empty:
     the root's lock (held until we return) covers that window, so that a
     forced delete can tell it from a create that died there.  */
  if (flock_retry (rootfd, LOCK_EX) < 0)
    return ocirt_error_make (err, errno, "lock state root `%s`", root);

  /* mkdir is the atomic claim on the id: exactly one creator wins.  */
  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return ocirt_error_make (err, 0, "container with id exists: %s", id);
      return ocirt_error_make (err, errno, "create state directory `%s/%s`", root, id);
    }
  dirfd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      int saved = errno;
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return ocirt_error_make (err, saved, "open state directory `%s/%s`", root, id);
    }
  if (lock_dir (dirfd, id, err) < 0)
    {
      close (dirfd);
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return -1;
    }
  return dirfd;
}

int
ocirt_state_dir_open (const char *root, const char *id, bool lock, ocirt_error_t *err)
{
  cleanup_free char *path = NULL;
  int dirfd;

  if (!ocirt_state_id_valid (id))
    return ocirt_error_make (err, 0, "invalid container id `%s`", id);
  path = xasprintf ("%s/%s", root, id);
  dirfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      if (errno == ENOENT)
        return ocirt_error_make (err, 0, "container `%s` does not exist", id);
      return ocirt_error_make (err, errno, "open state directory `%s`", path);
    }
  if (lock && lock_dir (dirfd, id, err) < 0)
    {
      close (dirfd);
      return -1;
    }
  /* The directory may have been removed while we waited for the lock.  */
  if (lock && faccessat (dirfd, OCIRT_STATE_FILE, F_OK, 0) < 0 && errno == ENOENT)
    {
      struct stat sb;
      if (fstat (dirfd, &sb) == 0 && sb.st_nlink == 0)
        {
          close (dirfd);
          return ocirt_error_make (err, 0, "container `%s` does not exist", id);
        }
    }
  return dirfd;
}

int
ocirt_state_open_read (const char *root, const char *id, bool lock, struct ocirt_container_state *st,
                       ocirt_error_t *err)
{
  int dirfd = ocirt_state_dir_open (root, id, lock, err);

  if (dirfd < 0)
    return -1;
  if (ocirt_state_read (dirfd, st, err) < 0)
    {
      close (dirfd);
      return ocirt_error_prefix (err, "container `%s`", id);
    }
  return dirfd;
}

bool
ocirt_state_dir_abandoned (const char *root, int dirfd)
{
  cleanup_close int rootfd = -1;
  struct stat sb;
  bool abandoned;

  /* A create in its claim window holds the root's lock and waits for ours. */
  flock_retry (dirfd, LOCK_UN);
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 || flock_retry (rootfd, LOCK_SH) < 0)
    {
      flock_retry (dirfd, LOCK_EX);
      return false;
    }
  if (flock_retry (dirfd, LOCK_EX | LOCK_NB) < 0)
    {
      /* Its creator has it now: wait for the create to end.  */
      close (steal_fd (&rootfd));
      flock_retry (dirfd, LOCK_EX);
      return false;
    }
  abandoned = fstat (dirfd, &sb) == 0 && sb.st_nlink > 0
              && faccessat (dirfd, OCIRT_STATE_FILE, F_OK, 0) < 0 && errno == ENOENT
              && faccessat (dirfd, OCIRT_CREATE_FILE, F_OK, 0) < 0 && errno == ENOENT;
  return abandoned;
}

int
ocirt_state_write (int dirfd, const struct ocirt_container_state *st, ocirt_error_t *err)
{
  return ocirt_state_write_file (dirfd, OCIRT_STATE_FILE, st, err);
}

int
ocirt_state_write_file (int dirfd, const char *name, const struct ocirt_container_state *st,
                        ocirt_error_t *err)
{
  cleanup_free char *json = ocirt_state_to_json (st);

  return ocirt_utils_write_file_atomic_at (dirfd, name, json, strlen (json), 0600, err);
}

int
ocirt_state_stage (int dirfd, const struct ocirt_container_state *st, ocirt_error_t *err)
{
  cleanup_free char *json = ocirt_state_to_json (st);

  return ocirt_utils_write_file_staged_at (dirfd, OCIRT_STATE_FILE, json, strlen (json), 0600, err);
}

int
ocirt_state_commit (int dirfd, ocirt_error_t *err)
{
  return ocirt_utils_commit_staged_at (dirfd, OCIRT_STATE_FILE, err);
}

int
ocirt_state_read (int dirfd, struct ocirt_container_state *st, ocirt_error_t *err)
{
  struct stat sb;

  if (ocirt_state_read_file (dirfd, OCIRT_STATE_FILE, st, err) == 0)
    return 0;
  if ((*err)->status != ENOENT)
    return -1;
  ocirt_error_release (err);
  if (ocirt_state_read_file (dirfd, OCIRT_CREATE_FILE, st, err) == 0)
    {
      /* No container process is known before state.json.  */
      st->pid = 0;
      st->start_time = 0;
      return 0;
    }
  if ((*err)->status != ENOENT)
    return -1;
  ocirt_error_release (err);
  if (fstat (dirfd, &sb) == 0 && sb.st_nlink == 0)
    return ocirt_error_make (err, 0, "it has been deleted");
  return ocirt_error_make (err, 0,
                           "no state file: it is being created or deleted, or its "
                           "create was interrupted (delete --force removes it)");
}

int
ocirt_state_read_file (int dirfd, const char *name, struct ocirt_container_state *st, ocirt_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *why = NULL;
  size_t len;

  memset (st, 0, sizeof (*st));
  /* Read by every command, and by list for each container.  */
  if (ocirt_utils_read_small_file_at (dirfd, name, &data, &len, err) < 0)
    return -1;
  if (ocirt_state_from_json (data, len, st, &why) < 0)
    return ocirt_error_make (err, 0, "state file `%s` is corrupt: %s", name, why);
  if (st->id == NULL || st->bundle == NULL)
    {
      ocirt_state_free (st);
      return ocirt_error_make (err, 0, "state file `%s` is corrupt: missing id or bundle", name);
    }
  return 0;
}

static void
free_strv (char **v, size_t n)
{
  size_t i;

  for (i = 0; v && i < n; i++)
    free (v[i]);
  free (v);
}

void
ocirt_state_free (struct ocirt_container_state *st)
{
  size_t i;

  free (st->id);
  free (st->bundle);
  free (st->config);
  free (st->notify_socket);
  free (st->rootfs);
  free (st->created);
  free (st->cgroup_path);
  free_strv (st->cgroup_dirs, st->cgroup_dirs_len);
  for (i = 0; i < st->cgroup_leaves_len; i++)
    {
      free (st->cgroup_leaves[i].controllers);
      free (st->cgroup_leaves[i].path);
    }
  free (st->cgroup_leaves);
  free_strv (st->annotation_keys, st->annotations_len);
  free_strv (st->annotation_values, st->annotations_len);
  memset (st, 0, sizeof (*st));
}

int
ocirt_state_dir_remove (const char *root, const char *id, ocirt_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", root, id);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  d = opendir (path);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return ocirt_error_make (err, errno, "open state directory `%s`", path);
    }
  /* Readers fall back to create.json without state.json: it goes first. */
  if (unlinkat (dirfd (d), OCIRT_CREATE_FILE, 0) < 0 && errno != ENOENT)
    return ocirt_error_make (err, errno, "remove `%s/%s`", path, OCIRT_CREATE_FILE);
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (d), de->d_name, 0) == 0 || errno == ENOENT)
        continue;
      /* One level of directories: the notify socket's.  */
      if (errno == EISDIR)
        {
          cleanup_free char *sub = xasprintf ("%s/%s", path, de->d_name);
          cleanup_dir DIR *sd = opendir (sub);
          struct dirent *se;

          while (sd && (se = readdir (sd)))
            if (se->d_name[0] != '.')
              unlinkat (dirfd (sd), se->d_name, 0);
          if (unlinkat (dirfd (d), de->d_name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            continue;
        }
      return ocirt_error_make (err, errno, "remove `%s/%s`", path, de->d_name);
    }
  if (rmdir (path) < 0 && errno != ENOENT)
    return ocirt_error_make (err, errno, "remove state directory `%s`", path);
  return 0;
}
