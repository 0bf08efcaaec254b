/* Checkpoint and restore: what both commands share.  CRIU runs as
   `criu swrk`, a child that libcriu starts and talks to over a socket.  */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "criu_internal.h"
#include "devices.h"
#include "log.h"
#include "namespaces.h"
#include "path.h"
#include "utils.h"

#ifdef HAVE_CRIU

/* runc checks for the same: CRIU 3.0 (as major*10000+minor*100+sub).  */
#define CRIU_MIN_VERSION 30000
/* At most this many of CRIU's errors in the one-line message.  */
#define CRIU_MAX_ERRORS 2

/* The entries of directory FD, for undoing what a failed command wrote.  */
static size_t
list_entries (int fd, char ***out)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  char **names = NULL;
  size_t n = 0;
  int dup_fd = dup (fd);

  *out = NULL;
  if (dup_fd < 0 || (d = fdopendir (dup_fd)) == NULL)
    {
      if (dup_fd >= 0)
        close (dup_fd);
      return 0;
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      names = realloc (names, (n + 1) * sizeof (*names));
      if (names == NULL)
        abort ();
      names[n++] = xstrdup (de->d_name);
    }
  *out = names;
  return n;
}

static bool
listed (char **names, size_t n, const char *name)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (names[i], name) == 0)
      return true;
  return false;
}

/* PATH made absolute against the current directory.  */
static char *
absolute (const char *path)
{
  char cwd[PATH_MAX];

  if (path[0] == '/' || getcwd (cwd, sizeof (cwd)) == NULL)
    return xstrdup (path);
  return xasprintf ("%s/%s", cwd, path);
}

static int
open_dir (const char *path, bool create, const char *what, bool *made, ocirt_error_t *err)
{
  int fd;

  if (create)
    {
      if (mkdir (path, 0700) == 0)
        *made = true;
      else if (errno == ENOENT)
        {
          if (ocirt_utils_mkdir_p (path, 0700, err) < 0)
            return ocirt_error_prefix (err, "%s", what);
          *made = true;
        }
      else if (errno != EEXIST)
        return ocirt_error_make (err, errno, "create %s `%s`", what, path);
    }
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return ocirt_error_make (err, errno, "%s `%s`", what, path);
  return fd;
}

/* The criu binary: NAME itself when it has a slash, else NAME on PATH or
   in the sbin directories, where criu lives and a user's PATH may not
   look.  */
static char *
find_binary (const char *name)
{
  const char *path = getenv ("PATH");
  cleanup_free char *dirs = NULL;
  char *dir, *save = NULL;

  if (strchr (name, '/'))
    return access (name, X_OK) == 0 ? xstrdup (name) : NULL;
  dirs = xasprintf ("%s:/usr/local/sbin:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
  for (dir = strtok_r (dirs, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *candidate = xasprintf ("%s/%s", dir, name);
      struct stat sb;

      if (stat (candidate, &sb) == 0 && S_ISREG (sb.st_mode) && access (candidate, X_OK) == 0)
        return candidate;
      free (candidate);
    }
  return NULL;
}

bool
ocirt_criu_available (void)
{
  cleanup_free char *binary = find_binary ("criu");
  cleanup_error ocirt_error_t err = NULL;

  return binary && ocirt_criu_load (&err) == 0;
}

int
ocirt_criu_dirs_open (struct ocirt_criu_session *s, const struct ocirt_criu_options *o, bool create,
                      const char *log_name, ocirt_error_t *err)
{
  bool work_made = false;

  s->images_fd = s->work_fd = s->config_fd = -1;
  s->log_name = log_name;
  s->image_path = absolute (o->image_path ? o->image_path : "checkpoint");
  s->work_path = o->work_path ? absolute (o->work_path) : NULL;
  s->images_fd = open_dir (s->image_path, create, "image path", &s->image_dir_made, err);
  if (s->images_fd < 0)
    return -1;
  if (!s->image_dir_made)
    s->image_before_len = list_entries (s->images_fd, &s->image_before);
  if (s->work_path == NULL)
    {
      s->work_fd = dup (s->images_fd);
      if (s->work_fd < 0)
        return ocirt_error_make (err, errno, "dup the image path's fd");
      return 0;
    }
  s->work_fd = open_dir (s->work_path, true, "work path", &work_made, err);
  return s->work_fd < 0 ? -1 : 0;
}

/* The messages of CRIU's "Error (file:line): message" lines in TEXT,
   the first CRIU_MAX_ERRORS of them joined with "; "; NULL when none.  */
static char *
criu_errors (const char *text)
{
  char *out = NULL;
  const char *line = text;
  int n = 0;

  while (line && *line && n < CRIU_MAX_ERRORS)
    {
      const char *end = strchr (line, '\n');
      size_t len = end ? (size_t) (end - line) : strlen (line);
      const char *e = memmem (line, len, "Error (", 7);
      const char *msg = e ? memmem (e, len - (e - line), "): ", 3) : NULL;

      if (msg)
        {
          char *joined;

          msg += 3;
          joined = xasprintf ("%s%s%.*s", out ? out : "", out ? "; " : "", (int) (len - (msg - line)),
                              msg);
          free (out);
          out = joined;
          n++;
        }
      line = end ? end + 1 : NULL;
    }
  return out;
}

/* What was written to the memfd FD, in a static buffer.  */
static const char *
read_captured (int fd)
{
  static char buf[8192];
  ssize_t n = pread (fd, buf, sizeof (buf) - 1, 0);

  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

/* Ask the binary its version with its stderr captured: a kernel CRIU
   cannot work on fails it at start, saying why there.  */
static int
check_binary (struct ocirt_criu_session *s, const char *binary, ocirt_error_t *err)
{
  cleanup_close int capture = memfd_create ("criu-stderr", MFD_CLOEXEC);
  cleanup_close int saved = -1;
  cleanup_free char *why = NULL;
  struct utsname u;
  int version;

  if (capture < 0)
    return ocirt_error_make (err, errno, "memfd_create for CRIU's messages");
  fflush (stderr);
  saved = fcntl (STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  if (saved < 0 || dup2 (capture, STDERR_FILENO) < 0)
    return ocirt_error_make (err, errno, "redirect stderr for CRIU's messages");
  version = ocirt_criu_dl_criu_local_get_version (s->opts);
  fflush (stderr);
  if (dup2 (saved, STDERR_FILENO) < 0)
    return ocirt_error_make (err, errno, "restore stderr");
  if (version >= CRIU_MIN_VERSION)
    {
      ocirt_debug ("criu %s: version %d", binary, version);
      return 0;
    }
  if (version > 0)
    return ocirt_error_make (err, 0, "criu `%s` is version %d.%d.%d: 3.0 or newer is needed", binary,
                             version / 10000, version / 100 % 100, version % 100);
  why = criu_errors (read_captured (capture));
  uname (&u);
  return ocirt_error_make (err, 0, "CRIU cannot work on this kernel (%s): %s", u.release,
                           why ? why : "`criu swrk` failed to start");
}

int
ocirt_criu_start (struct ocirt_criu_session *s, const struct ocirt_criu_options *o, ocirt_error_t *err)
{
  const char *name = o->criu ? o->criu : "criu";
  cleanup_free char *binary = find_binary (name);

  if (binary == NULL)
    return ocirt_error_make (err, 0,
                             "criu `%s` not found: install the Debian package criu, or "
                             "name the binary with --criu PATH",
                             name);
  if (ocirt_criu_load (err) < 0)
    return -1;
  if (ocirt_criu_dl_criu_local_init_opts (&s->opts) < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU options");
  if (ocirt_criu_dl_criu_local_set_service_binary (s->opts, binary) < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU options");
  if (check_binary (s, binary, err) < 0)
    return -1;
  ocirt_criu_dl_criu_local_set_images_dir_fd (s->opts, s->images_fd);
  ocirt_criu_dl_criu_local_set_work_dir_fd (s->opts, s->work_fd);
  ocirt_criu_dl_criu_local_set_log_level (s->opts, 4);
  if (ocirt_criu_dl_criu_local_set_log_file (s->opts, s->log_name) < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU options");
  ocirt_criu_dl_criu_local_set_tcp_established (s->opts, o->tcp_established);
  ocirt_criu_dl_criu_local_set_ext_unix_sk (s->opts, o->ext_unix_sk);
  ocirt_criu_dl_criu_local_set_shell_job (s->opts, o->shell_job);
  ocirt_criu_dl_criu_local_set_file_locks (s->opts, o->file_locks);
  ocirt_criu_dl_criu_local_set_auto_dedup (s->opts, o->auto_dedup);
  return 0;
}

int
ocirt_criu_failed (struct ocirt_criu_session *s, int ret, const char *what, ocirt_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *why = NULL;
  size_t len;

  if (ocirt_utils_read_file_at (s->work_fd, s->log_name, &text, &len, NULL) == 0)
    why = criu_errors (text);
  if (why == NULL)
    why = xasprintf ("libcriu returned %d (%s)", ret, strerror (-ret));
  else if (strstr (text, "kernel features detection") || strstr (text, "kerndat"))
    {
      struct utsname u;

      uname (&u);
      return ocirt_error_make (err, 0, "%s: CRIU cannot work on this kernel (%s): %s", what, u.release,
                               why);
    }
  if (s->work_path)
    return ocirt_error_make (err, 0, "%s: CRIU failed: %s (log: %s/%s)", what, why, s->work_path,
                             s->log_name);
  return ocirt_error_make (err, 0, "%s: CRIU failed: %s", what, why);
}

static void
remove_tree (int dirfd, const char *name)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  char **names = NULL;
  size_t n, i;

  if (fd >= 0)
    {
      n = list_entries (fd, &names);
      for (i = 0; i < n; i++)
        {
          remove_tree (fd, names[i]);
          free (names[i]);
        }
      free (names);
      if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        ocirt_warn ("remove `%s`: %s", name, strerror (errno));
      return;
    }
  if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
    ocirt_warn ("remove `%s`: %s", name, strerror (errno));
}

void
ocirt_criu_images_undo (struct ocirt_criu_session *s)
{
  char **names = NULL;
  size_t n, i;

  if (s->images_fd < 0)
    return;
  n = list_entries (s->images_fd, &names);
  for (i = 0; i < n; i++)
    {
      /* A separate work directory keeps its log, for whoever reads why. */
      if (!listed (s->image_before, s->image_before_len, names[i]))
        remove_tree (s->images_fd, names[i]);
      free (names[i]);
    }
  free (names);
  if (s->image_dir_made && rmdir (s->image_path) < 0 && errno != ENOENT)
    ocirt_warn ("remove image path `%s`: %s", s->image_path, strerror (errno));
}

void
ocirt_criu_session_close (struct ocirt_criu_session *s)
{
  size_t i;

  if (s->opts)
    ocirt_criu_dl_criu_local_free_opts (s->opts);
  if (s->images_fd >= 0)
    close (s->images_fd);
  if (s->work_fd >= 0)
    close (s->work_fd);
  if (s->config_fd >= 0)
    close (s->config_fd);
  for (i = 0; i < s->image_before_len; i++)
    free (s->image_before[i]);
  free (s->image_before);
  free (s->image_path);
  free (s->work_path);
}

/* The configuration file SPEC names: the annotation's (NULL when it is
   empty), else OCIRT_CRIU_DEFAULT_CONFIG when it exists, else the one the
   caller's CRIU_CONFIG_FILE names.  */
static const char *
config_path (const oci_spec *spec)
{
  const oci_map_string *ann = spec->annotations;
  size_t i;

  for (i = 0; ann && i < ann->len; i++)
    if (strcmp (ann->keys[i], OCIRT_CRIU_CONFIG_ANNOTATION) == 0)
      return ann->values[i][0] ? ann->values[i] : NULL;
  if (access (OCIRT_CRIU_DEFAULT_CONFIG, F_OK) == 0)
    return OCIRT_CRIU_DEFAULT_CONFIG;
  return getenv ("CRIU_CONFIG_FILE");
}

/* The lines CRIU reads after those of the configuration file, for what
   libcriu 3.17 has no call: --empty-ns network, --lazy-pages.  NULL when
   there are none.  */
static char *
config_extra (const struct ocirt_criu_options *o)
{
  if (!o->empty_net && !o->lazy_pages)
    return NULL;
  return xasprintf ("\n%s%s", o->empty_net ? "empty-ns net\n" : "", o->lazy_pages ? "lazy-pages\n" : "");
}

/* A memfd with the lines of PATH (CRIU skips a missing file: so does
   this) and then EXTRA, the last word.  */
static int
config_with (struct ocirt_criu_session *s, const char *path, const char *extra, ocirt_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;

  if (path && (access (path, F_OK) == 0 || errno != ENOENT)
      && ocirt_utils_read_file_at (AT_FDCWD, path, &text, &len, err) < 0)
    return ocirt_error_prefix (err, "CRIU's configuration file");
  s->config_fd = memfd_create ("criu-config", MFD_CLOEXEC);
  if (s->config_fd < 0)
    return ocirt_error_make (err, errno, "memfd_create for CRIU's configuration");
  if (ocirt_utils_write_all (s->config_fd, text ? text : "", len) < 0
      || ocirt_utils_write_all (s->config_fd, extra, strlen (extra)) < 0)
    return ocirt_error_make (err, errno, "write CRIU's configuration");
  return 0;
}

int
ocirt_criu_config_file (struct ocirt_criu_session *s, const oci_spec *spec,
                        const struct ocirt_criu_options *o, ocirt_error_t *err)
{
  const char *path = config_path (spec);
  cleanup_free char *extra = config_extra (o);
  cleanup_free char *fd_path = NULL;

  if (extra == NULL)
    {
      if (path)
        setenv ("CRIU_CONFIG_FILE", path, 1);
      else
        unsetenv ("CRIU_CONFIG_FILE");
      return 0;
    }
  if (config_with (s, path, extra, err) < 0)
    return -1;
  /* The criu binary is a child: it opens the memfd through this process. */
  fd_path = xasprintf ("/proc/%d/fd/%d", (int) getpid (), s->config_fd);
  setenv ("CRIU_CONFIG_FILE", fd_path, 1);
  return 0;
}

static bool
is_bind (const oci_mount *m)
{
  size_t i;

  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

/* At restore the mount point of a bind mount must exist in the rootfs,
   which may be a fresh copy of the image.  */
static int
make_mountpoint (int rootfd, const oci_mount *m, ocirt_error_t *err)
{
  struct stat sb;
  int fd;

  if (m->source == NULL || stat (m->source, &sb) < 0)
    return 0; /* CRIU names the missing source */
  fd = ocirt_path_mkpath_in_root (rootfd, m->destination, !S_ISDIR (sb.st_mode), err);
  if (fd < 0)
    return ocirt_error_prefix (err, "mount point `%s`", m->destination);
  close (fd);
  return 0;
}

/* In a user namespace every device node is a bind mount (of the host's
   node, or of one the runtime made): CRIU is told they are external, by
   their path, and binds the host's node of that path at restore.  */
static int
external_devices (struct ocirt_criu_session *s, const oci_spec *spec, ocirt_error_t *err)
{
  size_t i, n;
  char **paths = ocirt_devices_paths (spec->linux, &n);
  int ret = 0;

  for (i = 0; i < n; i++)
    {
      if (ret == 0 && ocirt_criu_dl_criu_local_add_ext_mount (s->opts, paths[i], paths[i]) < 0)
        ret = ocirt_error_make (err, ENOMEM, "CRIU external mount `%s`", paths[i]);
      free (paths[i]);
    }
  free (paths);
  return ret;
}

int
ocirt_criu_external_mounts (struct ocirt_criu_session *s, const oci_spec *spec, const char *rootfs,
                            bool restore, ocirt_error_t *err)
{
  const oci_linux *lx = spec->linux;
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  bool masked_file = false;
  size_t i;

  if (rootfd < 0)
    return ocirt_error_make (err, errno, "open the container's root `%s`", rootfs);
  for (i = 0; i < spec->mounts_len; i++)
    {
      const oci_mount *m = spec->mounts[i];

      if (!is_bind (m))
        continue;
      if (restore && make_mountpoint (rootfd, m, err) < 0)
        return -1;
      if (ocirt_criu_dl_criu_local_add_ext_mount (s->opts, m->destination,
                                                  restore ? m->source : m->destination)
          < 0)
        return ocirt_error_make (err, ENOMEM, "CRIU external mount `%s`", m->destination);
    }
  /* A masked file is /dev/null mounted over it.  */
  for (i = 0; lx && i < lx->masked_paths_len; i++)
    {
      cleanup_close int fd = ocirt_path_open_in_root (rootfd, lx->masked_paths[i], O_PATH);
      struct stat sb;

      if (restore)
        {
          masked_file = true;
          break;
        }
      if (fd < 0 || fstat (fd, &sb) < 0 || S_ISDIR (sb.st_mode))
        continue;
      if (ocirt_criu_dl_criu_local_add_ext_mount (s->opts, lx->masked_paths[i], "/dev/null") < 0)
        return ocirt_error_make (err, ENOMEM, "CRIU external mount `%s`", lx->masked_paths[i]);
    }
  if (ocirt_ns_in_config (spec, "user"))
    return external_devices (s, spec, err); /* /dev/null among them */
  if (masked_file && ocirt_criu_dl_criu_local_add_ext_mount (s->opts, "/dev/null", "/dev/null") < 0)
    return ocirt_error_make (err, ENOMEM, "CRIU external mount /dev/null");
  return 0;
}

const char *
ocirt_criu_joined_ns (const oci_spec *spec, const char *type)
{
  size_t i;

  for (i = 0; spec->linux && i < spec->linux->namespaces_len; i++)
    {
      const oci_namespace *ns = spec->linux->namespaces[i];

      if (strcmp (ns->type, type) == 0 && ns->path && ns->path[0])
        return ns->path;
    }
  return NULL;
}

#else /* !HAVE_CRIU */

bool
ocirt_criu_available (void)
{
  return false;
}

int
ocirt_criu_checkpoint (const struct ocirt_checkpoint_options *o, ocirt_error_t *err)
{
  (void) o;
  return ocirt_error_make (err, 0, "checkpoint: ocirt is built without CRIU support (--disable-criu)");
}

int
ocirt_criu_restore (const struct ocirt_restore_options *o, int *exit_status, ocirt_error_t *err)
{
  (void) o;
  *exit_status = 0;
  return ocirt_error_make (err, 0, "restore: ocirt is built without CRIU support (--disable-criu)");
}

#endif
