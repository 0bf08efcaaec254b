#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

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

static void
gen_annotations (yajl_gen g, const struct ocirt_container_state *st)
{
  size_t i;

  GEN_STR (g, "annotations");
  yajl_gen_map_open (g);
  for (i = 0; i < st->annotations_len; i++)
    gen_kv (g, st->annotation_keys[i], st->annotation_values[i]);
  yajl_gen_map_close (g);
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

/* The runtime's own state document (not the OCI state of `ocirt state`). */
static char *
state_json (const struct ocirt_container_state *st)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  size_t i;

  if (g == NULL)
    abort ();
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
  GEN_STR (g, "hooks_saved");
  yajl_gen_bool (g, st->hooks_saved);
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
  gen_annotations (g, st);
  yajl_gen_map_close (g);
  return json_gen_take (g);
}

int
ocirt_state_write_file (int dirfd, const char *name, const struct ocirt_container_state *st,
                        ocirt_error_t *err)
{
  cleanup_free char *json = state_json (st);

  return write_file_atomic_at (dirfd, name, json, strlen (json), 0600, err);
}

int
ocirt_state_stage (int dirfd, const struct ocirt_container_state *st, ocirt_error_t *err)
{
  cleanup_free char *json = state_json (st);

  return write_file_staged_at (dirfd, OCIRT_STATE_FILE, json, strlen (json), 0600, err);
}

int
ocirt_state_commit (int dirfd, ocirt_error_t *err)
{
  return commit_staged_at (dirfd, OCIRT_STATE_FILE, err);
}

/* state.json is read by every command, and by list once per container:
   parse it with yajl's event callbacks straight into the struct, without
   building a tree (a third of the instructions, and no allocation per
   node).  The rules are those of a tree lookup: the first occurrence of a
   key counts, a value of the wrong type is ignored, unknown keys are
   skipped.  */
enum state_in
{
  IN_TOP,
  IN_DIRS,
  IN_LEAVES,
  IN_LEAF,
  IN_ANNOTATIONS,
};

struct state_parse
{
  struct ocirt_container_state *st;
  int depth;          /* open maps and arrays */
  int skip;           /* > 0 inside a value that is ignored */
  bool not_object;
  enum state_in in;
  char key[32];       /* the key at the top level, truncated */
  char leaf_key[16];  /* the key inside a cgroup_leaves entry */
  char *leaf_ctrl, *leaf_path;
  char *ann_key;
  size_t dirs_alloc, leaves_alloc, ann_alloc;
  bool seen_dirs, seen_leaves, seen_ann, seen_sd, seen_hooks;
};

static void *
grow (void *v, size_t *alloc, size_t len, size_t size)
{
  if (len + 1 < *alloc)
    return v;
  *alloc = *alloc ? *alloc * 2 : 8;
  v = realloc (v, *alloc * size);
  if (v == NULL)
    abort ();
  memset ((char *) v + len * size, 0, (*alloc - len) * size);
  return v;
}

static void
copy_key (char *dst, size_t size, const unsigned char *s, size_t len)
{
  /* A longer key is none of ours: keep it unequal to all of them.  */
  if (len >= size)
    len = 0, dst[len++] = '\x01';
  memcpy (dst, s, len);
  dst[len] = '\0';
}

/* A scalar or the start of a container at the current place.  Returns
   whether the value is one we take (containers: whether to enter it).  */
static bool
value_at (struct state_parse *p, bool container)
{
  if (p->skip)
    {
      p->skip += container;
      return false;
    }
  if (p->depth == 0 && !container)
    p->not_object = true;
  return true;
}

static char *
dup_n (const unsigned char *s, size_t len)
{
  char *r = xmalloc (len + 1);

  memcpy (r, s, len);
  r[len] = '\0';
  return r;
}

static int
sp_string (void *ctx, const unsigned char *s, size_t len)
{
  struct state_parse *p = ctx;
  struct ocirt_container_state *st = p->st;
  static const struct
  {
    const char *key;
    size_t off;
  } fields[] = {
    { "id", offsetof (struct ocirt_container_state, id) },
    { "bundle", offsetof (struct ocirt_container_state, bundle) },
    { "config", offsetof (struct ocirt_container_state, config) },
    { "notify_socket", offsetof (struct ocirt_container_state, notify_socket) },
    { "rootfs", offsetof (struct ocirt_container_state, rootfs) },
    { "created", offsetof (struct ocirt_container_state, created) },
    { "cgroup_path", offsetof (struct ocirt_container_state, cgroup_path) },
  };
  size_t i;

  if (!value_at (p, false) || p->not_object)
    return !p->not_object;
  switch (p->in)
    {
    case IN_TOP:
      for (i = 0; i < ARRAY_SIZE (fields); i++)
        if (strcmp (p->key, fields[i].key) == 0)
          {
            char **f = (char **) ((char *) st + fields[i].off);
            if (*f == NULL)
              *f = dup_n (s, len);
            break;
          }
      break;
    case IN_DIRS:
      st->cgroup_dirs = grow (st->cgroup_dirs, &p->dirs_alloc, st->cgroup_dirs_len, sizeof (char *));
      st->cgroup_dirs[st->cgroup_dirs_len++] = dup_n (s, len);
      break;
    case IN_LEAF:
      if (strcmp (p->leaf_key, "controllers") == 0 && p->leaf_ctrl == NULL)
        p->leaf_ctrl = dup_n (s, len);
      else if (strcmp (p->leaf_key, "path") == 0 && p->leaf_path == NULL)
        p->leaf_path = dup_n (s, len);
      break;
    case IN_ANNOTATIONS:
      if (p->ann_key == NULL)
        break;
      {
        size_t alloc = p->ann_alloc;

        st->annotation_keys = grow (st->annotation_keys, &alloc, st->annotations_len,
                                    sizeof (char *));
        st->annotation_values = grow (st->annotation_values, &p->ann_alloc, st->annotations_len,
                                      sizeof (char *));
      }
      st->annotation_keys[st->annotations_len] = steal_pointer (&p->ann_key);
      st->annotation_values[st->annotations_len++] = dup_n (s, len);
      break;
    case IN_LEAVES:
      break;
    }
  return 1;
}

static int
sp_number (void *ctx, const char *s, size_t len)
{
  struct state_parse *p = ctx;
  struct ocirt_container_state *st = p->st;
  char buf[32], *end;
  long long v;

  if (!value_at (p, false) || p->not_object)
    return !p->not_object;
  if (p->in == IN_ANNOTATIONS)
    free (steal_pointer (&p->ann_key));
  if (p->in != IN_TOP || len >= sizeof (buf))
    return 1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  errno = 0;
  v = strtoll (buf, &end, 10);
  if (errno || *end)
    return 1;   /* not an integer (or too big): ignored, as before */
  if (strcmp (p->key, "pid") == 0 && st->pid == 0)
    st->pid = (pid_t) v;
  else if (strcmp (p->key, "start_time") == 0 && st->start_time == 0)
    st->start_time = (unsigned long long) v;
  else if (strcmp (p->key, "runtime_pid") == 0 && st->runtime_pid == 0)
    st->runtime_pid = (pid_t) v;
  else if (strcmp (p->key, "runtime_start_time") == 0 && st->runtime_start_time == 0)
    st->runtime_start_time = (unsigned long long) v;
  else if (strcmp (p->key, "owner") == 0 && st->owner == 0)
    st->owner = (uid_t) v;
  return 1;
}

static int
sp_boolean (void *ctx, int b)
{
  struct state_parse *p = ctx;

  if (!value_at (p, false) || p->not_object)
    return !p->not_object;
  if (p->in == IN_ANNOTATIONS)
    free (steal_pointer (&p->ann_key));
  if (p->in == IN_TOP && strcmp (p->key, "systemd_cgroup") == 0 && !p->seen_sd)
    {
      p->st->systemd_cgroup = b;
      p->seen_sd = true;
    }
  if (p->in == IN_TOP && strcmp (p->key, "hooks_saved") == 0 && !p->seen_hooks)
    {
      p->st->hooks_saved = b;
      p->seen_hooks = true;
    }
  return 1;
}

static int
sp_null (void *ctx)
{
  return sp_boolean (ctx, 0);
}

static int
sp_map_key (void *ctx, const unsigned char *s, size_t len)
{
  struct state_parse *p = ctx;

  if (p->skip)
    return 1;
  if (p->in == IN_TOP)
    copy_key (p->key, sizeof (p->key), s, len);
  else if (p->in == IN_LEAF)
    copy_key (p->leaf_key, sizeof (p->leaf_key), s, len);
  else if (p->in == IN_ANNOTATIONS)
    {
      free (p->ann_key);
      p->ann_key = dup_n (s, len);
    }
  return 1;
}

static int
sp_start (void *ctx, bool map)
{
  struct state_parse *p = ctx;
  struct ocirt_container_state *st = p->st;

  if (!value_at (p, true))
    return 1;
  p->depth++;
  if (p->depth == 1)
    {
      if (!map)
        p->not_object = true;
      return !p->not_object;
    }
  if (p->in == IN_TOP && !map && strcmp (p->key, "cgroup_dirs") == 0 && !p->seen_dirs)
    {
      p->seen_dirs = true;
      st->cgroup_dirs = grow (st->cgroup_dirs, &p->dirs_alloc, 0, sizeof (char *));
      p->in = IN_DIRS;
    }
  else if (p->in == IN_TOP && !map && strcmp (p->key, "cgroup_leaves") == 0 && !p->seen_leaves)
    {
      p->seen_leaves = true;
      st->cgroup_leaves = grow (st->cgroup_leaves, &p->leaves_alloc, 0, sizeof (*st->cgroup_leaves));
      p->in = IN_LEAVES;
    }
  else if (p->in == IN_TOP && map && strcmp (p->key, "annotations") == 0 && !p->seen_ann)
    {
      p->seen_ann = true;
      p->in = IN_ANNOTATIONS;
    }
  else if (p->in == IN_LEAVES && map)
    {
      p->leaf_key[0] = '\0';
      p->in = IN_LEAF;
    }
  else
    {
      if (p->in == IN_ANNOTATIONS)
        free (steal_pointer (&p->ann_key));
      p->depth--;
      p->skip = 1;
    }
  return 1;
}

static int
sp_end (void *ctx)
{
  struct state_parse *p = ctx;
  struct ocirt_container_state *st = p->st;

  if (p->skip)
    {
      p->skip--;
      return 1;
    }
  p->depth--;
  if (p->in == IN_LEAF)
    {
      if (p->leaf_ctrl && p->leaf_path)
        {
          st->cgroup_leaves = grow (st->cgroup_leaves, &p->leaves_alloc, st->cgroup_leaves_len,
                                    sizeof (*st->cgroup_leaves));
          st->cgroup_leaves[st->cgroup_leaves_len].controllers = steal_pointer (&p->leaf_ctrl);
          st->cgroup_leaves[st->cgroup_leaves_len++].path = steal_pointer (&p->leaf_path);
        }
      free (steal_pointer (&p->leaf_ctrl));
      free (steal_pointer (&p->leaf_path));
      p->in = IN_LEAVES;
    }
  else if (p->in != IN_TOP)
    p->in = IN_TOP;
  return 1;
}

static int
sp_start_map (void *ctx)
{
  return sp_start (ctx, true);
}

static int
sp_start_array (void *ctx)
{
  return sp_start (ctx, false);
}

static const yajl_callbacks state_callbacks = {
  .yajl_null = sp_null,
  .yajl_boolean = sp_boolean,
  .yajl_number = sp_number,
  .yajl_string = sp_string,
  .yajl_start_map = sp_start_map,
  .yajl_map_key = sp_map_key,
  .yajl_end_map = sp_end,
  .yajl_start_array = sp_start_array,
  .yajl_end_array = sp_end,
};

/* Parse DATA into ST; on failure, ST is freed and *WHY says why.  */
static int
parse_state (const char *data, size_t len, struct ocirt_container_state *st, char *why,
             size_t why_size)
{
  struct state_parse p = { .st = st };
  yajl_handle h = yajl_alloc (&state_callbacks, NULL, &p);
  yajl_status s;

  if (h == NULL)
    abort ();
  s = yajl_parse (h, (const unsigned char *) data, len);
  if (s == yajl_status_ok)
    s = yajl_complete_parse (h);
  if (s != yajl_status_ok || p.depth != 0)
    {
      if (p.not_object)
        snprintf (why, why_size, "not an object");
      else
        {
          unsigned char *e = yajl_get_error (h, 0, (const unsigned char *) data, len);
          snprintf (why, why_size, "%s", e ? strtok ((char *) e, "\n") : "parse error");
          yajl_free_error (h, e);
        }
    }
  yajl_free (h);
  free (p.leaf_ctrl);
  free (p.leaf_path);
  free (p.ann_key);
  if (s != yajl_status_ok || p.depth != 0)
    {
      ocirt_state_free (st);
      return -1;
    }
  return 0;
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
  char why[256];
  size_t len;

  memset (st, 0, sizeof (*st));
  /* Read by every command, and by list for each container.  */
  if (read_small_file_at (dirfd, name, &data, &len, err) < 0)
    return -1;
  if (parse_state (data, len, st, why, sizeof (why)) < 0)
    return ocirt_make_error (err, 0, "state file `%s` is corrupt: %s", name, why);
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
    gen_annotations (g, st);
  yajl_gen_map_close (g);
  return json_gen_take (g);
}
