/* What checkpoint (criu_checkpoint.c) and restore (criu_restore.c) share:
   the image and work directories, starting CRIU, its errors.  */
#ifndef OCIRT_CRIU_INTERNAL_H
#define OCIRT_CRIU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "criu.h"
#include "criu_dl.h"
#include "error.h"
#include "oci_types.h"

/* The init's stdio as checkpoint saw it (runc's file): restore hands its
   own stdio to the pipes named there.  */
#define OCIRT_CRIU_DESCRIPTORS "descriptors.json"
/* The keys of a namespace joined by path, as runc names them.  */
#define OCIRT_CRIU_NET_KEY "extRootNetNS"
#define OCIRT_CRIU_PID_KEY "extRootPidNS"

struct ocirt_criu_session
{
  criu_opts *opts;
  char *image_path;
  char *work_path;
  int images_fd;
  int work_fd;
  int config_fd;        /* the configuration written for CRIU, or -1 */
  const char *log_name; /* in the work directory */
  bool image_dir_made;  /* the image directory did not exist */
  char **image_before;  /* else what it held before */
  size_t image_before_len;
};

/* Open (CREATE: make) the image and work directories of O.  */
int ocirt_criu_dirs_open (struct ocirt_criu_session *s, const struct ocirt_criu_options *o, bool create,
                          const char *log_name, ocirt_error_t *err);

/* Find the criu binary, load libcriu, ask the binary its version (which
   fails when CRIU cannot work on this kernel) and set the options both
   commands share.  */
int ocirt_criu_start (struct ocirt_criu_session *s, const struct ocirt_criu_options *o,
                      ocirt_error_t *err);

/* The error of a failed libcriu call RET: the first errors of CRIU's log. */
int ocirt_criu_failed (struct ocirt_criu_session *s, int ret, const char *what, ocirt_error_t *err);

/* Remove what the failed command wrote to the image directory.  */
void ocirt_criu_images_undo (struct ocirt_criu_session *s);

void ocirt_criu_session_close (struct ocirt_criu_session *s);

/* The bind mounts and masked files of SPEC as CRIU external mounts: at
   dump named by their destination, at restore (RESTORE) found at their
   source.  ROOTFS is the container's root as the host sees it.  */
int ocirt_criu_external_mounts (struct ocirt_criu_session *s, const oci_spec *spec, const char *rootfs,
                                bool restore, ocirt_error_t *err);

/* The annotation naming CRIU's configuration file, as runc reads it:
   given, that file; given empty, none; absent, OCIRT_CRIU_DEFAULT_CONFIG
   when it exists.  */
#define OCIRT_CRIU_CONFIG_ANNOTATION "org.criu.config"
#define OCIRT_CRIU_DEFAULT_CONFIG "/etc/criu/ocirt.conf"

/* Point the criu binary at the configuration file SPEC asks for, through
   CRIU_CONFIG_FILE (libcriu 3.17 has no call for it).  With what libcriu
   has no call for either in O (--empty-ns network, --lazy-pages), that
   is a copy of the file with those options added.  Before
   ocirt_criu_start.  */
int ocirt_criu_config_file (struct ocirt_criu_session *s, const oci_spec *spec,
                            const struct ocirt_criu_options *o, ocirt_error_t *err);

/* The image files lent to the root of a restored user namespace
   (criu_userns.c): who owned each before.  */
struct ocirt_criu_lent
{
  int dirfd; /* the image directory, the session's */
  char **names;
  struct
  {
    uid_t uid;
    gid_t gid;
  } * owners;
  size_t n;
};

/* For a SPEC with a user namespace: the image directory of S and its
   files owned by the host ids of the container's root, for the restore,
   which opens some of them from inside.  */
int ocirt_criu_images_lend (struct ocirt_criu_session *s, const oci_spec *spec,
                            struct ocirt_criu_lent *l, ocirt_error_t *err);

/* Back to the owners they had.  */
void ocirt_criu_images_give_back (struct ocirt_criu_lent *l);

/* --manage-cgroups-mode NAME (NULL: soft) as CRIU's mode.  */
int ocirt_criu_cg_mode (const char *name, int *mode, ocirt_error_t *err);

/* The namespace of TYPE ("network", "pid") the config joins by path, or
   NULL.  */
const char *ocirt_criu_joined_ns (const oci_spec *spec, const char *type);

#endif
