/* The container's terminal: a pty whose master goes to --console-socket. */
#ifndef OCIRT_TERMINAL_H
#define OCIRT_TERMINAL_H

#include <stdbool.h>

#include "error.h"
#include "oci_types.h"

/* In the runtime: connect to the console socket at PATH.  */
int ocirt_terminal_console_socket_connect (const char *path, ocirt_error_t *err);

/* In the container, after pivot_root: open a pty from its devpts, send the
   master over SOCKFD, make the slave the controlling terminal and stdio, and
   with CONSOLE bind it onto /dev/console.  */
int ocirt_terminal_setup (int sockfd, const oci_process *p, bool console, ocirt_error_t *err);

/* Send FD over the unix socket SOCKFD with SCM_RIGHTS.  */
int ocirt_terminal_send_fd (int sockfd, int fd, const char *name, ocirt_error_t *err);

/* Receive one fd sent with SCM_RIGHTS.  */
int ocirt_terminal_recv_fd (int sockfd, ocirt_error_t *err);

/* `run` in the foreground with a terminal and no console socket: copy
   between the caller's stdio and the container's terminal MASTER until the
   container's side is closed, with the caller's terminal in raw mode and its
   size followed (unless the config gave one, SIZE_GIVEN).  */
int ocirt_terminal_proxy (int master, bool size_given, ocirt_error_t *err);

#endif
