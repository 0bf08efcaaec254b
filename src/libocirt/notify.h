/* sd_notify passthrough: with NOTIFY_SOCKET set, the container gets a socket
   of its own, and the runtime passes its messages to the caller's socket
   until READY=1 (podman --sdnotify=container).  */
#ifndef OCIRT_NOTIFY_H
#define OCIRT_NOTIFY_H

#include "error.h"
#include "oci_types.h"

#define OCIRT_NOTIFY_CONTAINER_DIR "/run/notify"

/* At create: make STATE_DIR/notify, bind it into the container and point
   the container's NOTIFY_SOCKET at the socket in it.  */
int ocirt_notify_setup (const char *state_dir, oci_spec *spec, ocirt_error_t *err);

/* Before the container is released: the socket it will send to.  */
int ocirt_notify_listen (const char *state_dir, ocirt_error_t *err);

/* Pass messages from FD to HOST_SOCKET until one says READY=1, or until
   the container (PIDFD) exits.  */
int ocirt_notify_forward (int fd, const char *host_socket, int pidfd, ocirt_error_t *err);

#endif
