#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "state.h"
#include "utils.h"

static const char *const status_names[] = {
  [OCIRT_STATUS_CREATING] = "creating",
  [OCIRT_STATUS_CREATED] = "created",
  [OCIRT_STATUS_RUNNING] = "running",
  [OCIRT_STATUS_PAUSED] = "paused",
  [OCIRT_STATUS_STOPPED] = "stopped",
};

const char *
ocirt_status_name (enum ocirt_status s)
{
  return status_names[s];
}

bool
ocirt_id_valid (const char *id)
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
    return ocirt_make_error (err, errno, "lock container `%s`", id);
  return 0;
}

int
ocirt_state_dir_create (const char *root, const char *id, ocirt_error_t *err)
{
  cleanup_close int rootfd = -1;
  int dirfd;

  if (!ocirt_id_valid (id))
    return ocirt_make_error (err, 0, "invalid container id `%s`", id);

  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    {
      if (errno != ENOENT || mkdir_p (root, 0700, err) < 0)
        return ocirt_make_error (err, errno, "create state root `%s`", root);
    }
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return ocirt_make_error (err, errno, "open state root `%s`", root);
  /* Between mkdir and flock the directory is there, unlocked and empty:
     the root's lock (held until we return) covers that window, so that a
     forced delete can tell it from a create that died there.  */
  if (flock_retry (rootfd, LOCK_EX) < 0)
    return ocirt_make_error (err, errno, "lock state root `%s`", root);

  /* mkdir is the atomic claim on the id: exactly one creator wins.  */
  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return ocirt_make_error (err, 0, "container with id exists: %s", id);
      return ocirt_make_error (err, errno, "create state directory `%s/%s`", root, id);
    }
  dirfd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      int saved = errno;
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return ocirt_make_error (err, saved, "open state directory `%s/%s`", root, id);
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

  if (!ocirt_id_valid (id))
    return ocirt_make_error (err, 0, "invalid container id `%s`", id);
  path = xasprintf ("%s/%s", root, id);
  dirfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    {
      if (errno == ENOENT)
        return ocirt_make_error (err, 0, "container `%s` does not exist", id);
      return ocirt_make_error (err, errno, "open state directory `%s`", path);
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
          return ocirt_make_error (err, 0, "container `%s` does not exist", id);
        }
    }
  return dirfd;
}

int
ocirt_state_open_read (const char *root, const char *id, bool lock,
                       struct ocirt_container_state *st, ocirt_error_t *err)
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

#define GEN_STR(g, s) yajl_gen_string (g, (const unsigned char *) (s), strlen (s))

static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  GEN_STR (g, k);
  if (v)
    GEN_STR (g, v);
  else
    yajl_gen_null (g);
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
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len, i;
  int ret;

  if (g == NULL)
    return ocirt_make_error (err, ENOMEM, "write state");
  yajl_gen_map_open (g);
  gen_kv (g, "id", st->id);
  GEN_STR (g, "pid");
  yajl_gen_integer (g, st->pid);
  GEN_STR (g, "start_time");
  yajl_gen_integer (g, (long long) st->start_time);
  if (st->runtime_pid > 0)
    {
      GEN_STR (g, "runtime_pid");
      yajl_gen_integer (g, st->runtime_pid);
      GEN_STR (g, "runtime_start_time");
      yajl_gen_integer (g, (long long) st->runtime_start_time);
    }
  gen_kv (g, "bundle", st->bundle);
  gen_kv (g, "config", st->config);
  if (st->notify_socket)
    gen_kv (g, "notify_socket", st->notify_socket);
  gen_kv (g, "rootfs", st->rootfs);
  gen_kv (g, "created", st->created);
  GEN_STR (g, "owner");
  yajl_gen_integer (g, st->owner);
  GEN_STR (g, "systemd_cgroup");
  yajl_gen_bool (g, st->systemd_cgroup);
  gen_kv (g, "cgroup_path", st->cgroup_path);
  GEN_STR (g, "cgroup_dirs");
  yajl_gen_array_open (g);
  for (i = 0; i < st->cgroup_dirs_len; i++)
    GEN_STR (g, st->cgroup_dirs[i]);
  yajl_gen_array_close (g);
  GEN_STR (g, "cgroup_leaves");
  yajl_gen_array_open (g);
  for (i = 0; i < st->cgroup_leaves_len; i++)
    {
      yajl_gen_map_open (g);
      gen_kv (g, "controllers", st->cgroup_leaves[i].controllers);
      gen_kv (g, "path", st->cgroup_leaves[i].path);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  GEN_STR (g, "annotations");
  yajl_gen_map_open (g);
  for (i = 0; i < st->annotations_len; i++)
    gen_kv (g, st->annotation_keys[i], st->annotation_values[i]);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  yajl_gen_get_buf (g, &buf, &len);
  ret = write_file_atomic_at (dirfd, name, (const char *) buf, len, 0600, err);
  yajl_gen_free (g);
  return ret;
}

static char *
tree_string (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);

  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static long long
tree_int (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);

  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
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
    return ocirt_make_error (err, 0, "it has been deleted");
  return ocirt_make_error (err, 0, "no state file: it is being created or deleted, or its "
                                   "create was interrupted (delete --force removes it)");
}

int
ocirt_state_read_file (int dirfd, const char *name, struct ocirt_container_state *st,
                       ocirt_error_t *err)
{
  cleanup_free char *data = NULL;
  char errbuf[256];
  yajl_val root, v;
  const char *p_dirs[] = { "cgroup_dirs", NULL };
  const char *p_leaves[] = { "cgroup_leaves", NULL };
  const char *p_ann[] = { "annotations", NULL };
  const char *p_sd[] = { "systemd_cgroup", NULL };
  size_t i;

  memset (st, 0, sizeof (*st));
  if (read_file_at (dirfd, name, &data, NULL, err) < 0)
    return -1;
  root = yajl_tree_parse (data, errbuf, sizeof (errbuf));
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      if (root)
        yajl_tree_free (root);
      return ocirt_make_error (err, 0, "state file `%s` is corrupt: %s", name,
                               root ? "not an object" : strtok (errbuf, "\n"));
    }
  st->id = tree_string (root, "id");
  st->pid = (pid_t) tree_int (root, "pid");
  st->start_time = (unsigned long long) tree_int (root, "start_time");
  st->runtime_pid = (pid_t) tree_int (root, "runtime_pid");
  st->runtime_start_time = (unsigned long long) tree_int (root, "runtime_start_time");
  st->bundle = tree_string (root, "bundle");
  st->config = tree_string (root, "config");
  st->notify_socket = tree_string (root, "notify_socket");
  st->rootfs = tree_string (root, "rootfs");
  st->created = tree_string (root, "created");
  st->owner = (uid_t) tree_int (root, "owner");
  st->cgroup_path = tree_string (root, "cgroup_path");
  v = yajl_tree_get (root, p_sd, yajl_t_any);
  st->systemd_cgroup = v && YAJL_IS_TRUE (v);

  v = yajl_tree_get (root, p_dirs, yajl_t_array);
  if (v)
    {
      st->cgroup_dirs = xmalloc0 (sizeof (char *) * (v->u.array.len + 1));
      for (i = 0; i < v->u.array.len; i++)
        if (YAJL_IS_STRING (v->u.array.values[i]))
          st->cgroup_dirs[st->cgroup_dirs_len++] = xstrdup (YAJL_GET_STRING (v->u.array.values[i]));
    }
  v = yajl_tree_get (root, p_leaves, yajl_t_array);
  if (v)
    {
      st->cgroup_leaves = xmalloc0 (sizeof (*st->cgroup_leaves) * (v->u.array.len + 1));
      for (i = 0; i < v->u.array.len; i++)
        {
          char *ctrl = tree_string (v->u.array.values[i], "controllers");
          char *path = tree_string (v->u.array.values[i], "path");

          if (ctrl == NULL || path == NULL)
            {
              free (ctrl);
              free (path);
              continue;
            }
          st->cgroup_leaves[st->cgroup_leaves_len].controllers = ctrl;
          st->cgroup_leaves[st->cgroup_leaves_len++].path = path;
        }
    }
  v = yajl_tree_get (root, p_ann, yajl_t_object);
  if (v)
    {
      st->annotation_keys = xmalloc0 (sizeof (char *) * (v->u.object.len + 1));
      st->annotation_values = xmalloc0 (sizeof (char *) * (v->u.object.len + 1));
      for (i = 0; i < v->u.object.len; i++)
        {
          yajl_val val = v->u.object.values[i];
          if (!YAJL_IS_STRING (val))
            continue;
          st->annotation_keys[st->annotations_len] = xstrdup (v->u.object.keys[i]);
          st->annotation_values[st->annotations_len++] = xstrdup (YAJL_GET_STRING (val));
        }
    }
  yajl_tree_free (root);
  if (st->id == NULL || st->bundle == NULL)
    {
      ocirt_state_free (st);
      return ocirt_make_error (err, 0, "state file `%s` is corrupt: missing id or bundle", name);
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
      return ocirt_make_error (err, errno, "open state directory `%s`", path);
    }
  /* Readers fall back to create.json without state.json: it goes first. */
  if (unlinkat (dirfd (d), OCIRT_CREATE_FILE, 0) < 0 && errno != ENOENT)
    return ocirt_make_error (err, errno, "remove `%s/%s`", path, OCIRT_CREATE_FILE);
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
      return ocirt_make_error (err, errno, "remove `%s/%s`", path, de->d_name);
    }
  if (rmdir (path) < 0 && errno != ENOENT)
    return ocirt_make_error (err, errno, "remove state directory `%s`", path);
  return 0;
}

/* Fields 3 (state) and 22 (starttime) of /proc/PID/stat.  */
static int
read_proc_stat (pid_t pid, char *state, unsigned long long *start_time)
{
  char path[64], buf[1024], *p;
  cleanup_close int fd = -1;
  ssize_t r;
  int field;

  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  r = read (fd, buf, sizeof (buf) - 1);
  if (r <= 0)
    return -1;
  buf[r] = '\0';
  /* comm may hold spaces and parentheses: skip to the last ')'.  */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return -1;
  p += 2;
  *state = *p;
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -1;
  *start_time = strtoull (p, NULL, 10);
  return 0;
}

unsigned long long
ocirt_process_start_time (pid_t pid)
{
  unsigned long long t;
  char state;

  if (pid <= 0 || read_proc_stat (pid, &state, &t) < 0)
    return 0;
  return t;
}

bool
ocirt_state_process_alive (const struct ocirt_container_state *st)
{
  unsigned long long t;
  char state;

  if (st->pid <= 0 || read_proc_stat (st->pid, &state, &t) < 0)
    return false;
  if (state == 'Z' || state == 'X')
    return false;
  return t == st->start_time;
}

enum ocirt_status
ocirt_state_status (int dirfd, const struct ocirt_container_state *st)
{
  if (st->pid <= 0)
    {
      unsigned long long t;
      char state;

      if (st->runtime_pid > 0 && read_proc_stat (st->runtime_pid, &state, &t) == 0
          && state != 'Z' && state != 'X' && t == st->runtime_start_time)
        return OCIRT_STATUS_CREATING;
      return OCIRT_STATUS_STOPPED;
    }
  if (!ocirt_state_process_alive (st))
    return OCIRT_STATUS_STOPPED;
  /* A created container can be paused too; paused wins, as in runc.  */
  if (ocirt_cgroup_is_frozen (st))
    return OCIRT_STATUS_PAUSED;
  if (faccessat (dirfd, OCIRT_EXEC_FIFO, F_OK, 0) == 0)
    return OCIRT_STATUS_CREATED;
  return OCIRT_STATUS_RUNNING;
}

char *
ocirt_state_to_oci_json (const struct ocirt_container_state *st, enum ocirt_status status,
                         bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len, i;
  char *out;

  if (g == NULL)
    abort ();
  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_map_open (g);
  gen_kv (g, "ociVersion", OCI_SPEC_VERSION);
  gen_kv (g, "id", st->id);
  GEN_STR (g, "pid");
  yajl_gen_integer (g, status == OCIRT_STATUS_STOPPED ? 0 : st->pid);
  gen_kv (g, "status", ocirt_status_name (status));
  gen_kv (g, "bundle", st->bundle);
  gen_kv (g, "rootfs", st->rootfs);
  gen_kv (g, "created", st->created);
  GEN_STR (g, "owner");
  GEN_STR (g, "");
  if (st->annotations_len)
    {
      GEN_STR (g, "annotations");
      yajl_gen_map_open (g);
      for (i = 0; i < st->annotations_len; i++)
        gen_kv (g, st->annotation_keys[i], st->annotation_values[i]);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  out = xmalloc0 (len + 1);
  memcpy (out, buf, len);
  yajl_gen_free (g);
  return out;
}
