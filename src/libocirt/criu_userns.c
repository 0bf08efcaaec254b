/* Restore of a container with a user namespace: CRIU opens some images
   (tty-info.img among them) from inside that namespace, as its root,
   which the images' owner (the caller of checkpoint) does not let in.
   The image directory and its files are lent to the host ids of the
   container's root for the restore, and given back after it.  */
#ifdef HAVE_CRIU
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "criu_internal.h"
#include "log.h"
#include "namespaces.h"
#include "utils.h"

/* The host id of the container's id 0 in MAPS, or -1 when unmapped.  */
static long long
host_root (oci_id_mapping **maps, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (maps[i]->container_id == 0 && maps[i]->size > 0)
      return maps[i]->host_id;
  return -1;
}

static void
remember (struct ocirt_criu_lent *l, const char *name, const struct stat *sb)
{
  l->names = realloc (l->names, (l->n + 1) * sizeof (*l->names));
  l->owners = realloc (l->owners, (l->n + 1) * sizeof (*l->owners));
  if (l->names == NULL || l->owners == NULL)
    abort ();
  l->names[l->n] = xstrdup (name);
  l->owners[l->n].uid = sb->st_uid;
  l->owners[l->n].gid = sb->st_gid;
  l->n++;
}

/* Lend NAME (in the directory DIRFD; "." the directory itself).  */
static int
lend_one (struct ocirt_criu_lent *l, int dirfd, const char *name, uid_t uid, gid_t gid,
          ocirt_error_t *err)
{
  struct stat sb;

  if (fstatat (dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
    return ocirt_error_make (err, errno, "stat image `%s`", name);
  if (!S_ISREG (sb.st_mode) && !S_ISDIR (sb.st_mode))
    return 0;
  remember (l, name, &sb);
  if (fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return ocirt_error_make (err, errno, "lend image `%s` to the container's root", name);
  return 0;
}

int
ocirt_criu_images_lend (struct ocirt_criu_session *s, const oci_spec *spec, struct ocirt_criu_lent *l,
                        ocirt_error_t *err)
{
  const oci_linux *lx = spec->linux;
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  long long uid, gid;
  int fd;

  if (lx == NULL || !ocirt_ns_in_config (spec, "user"))
    return 0;
  uid = host_root (lx->uid_mappings, lx->uid_mappings_len);
  gid = host_root (lx->gid_mappings, lx->gid_mappings_len);
  if (uid < 0 || gid < 0)
    return 0; /* nobody to lend them to: CRIU says what it cannot open */
  fd = openat (s->images_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return ocirt_error_make (err, errno, "read image path `%s`", s->image_path);
    }
  l->dirfd = s->images_fd;
  if (lend_one (l, l->dirfd, ".", (uid_t) uid, (gid_t) gid, err) < 0)
    return -1;
  while ((de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0
        && lend_one (l, l->dirfd, de->d_name, (uid_t) uid, (gid_t) gid, err) < 0)
      return -1;
  return 0;
}

void
ocirt_criu_images_give_back (struct ocirt_criu_lent *l)
{
  size_t i;

  for (i = 0; i < l->n; i++)
    {
      if (fchownat (l->dirfd, l->names[i], l->owners[i].uid, l->owners[i].gid, AT_SYMLINK_NOFOLLOW) < 0)
        ocirt_warn ("give image `%s` back to its owner: %s", l->names[i], strerror (errno));
      free (l->names[i]);
    }
  free (l->names);
  free (l->owners);
  l->names = NULL;
  l->owners = NULL;
  l->n = 0;
}
#endif
