/* The namespaces of a process, as its /proc/PID/ns files name them, and
   whether the host (PID 1) shares them.  */
#ifndef OCIRT_INSPECT_NS_H
#define OCIRT_INSPECT_NS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_types.h"

#define OCIRT_INSPECT_NS_COUNT 8

/* A namespace is its nsfs device and inode; PRESENT is false when the
   kernel has no such namespace or the file cannot be read.  */
struct ocirt_inspect_ns_id
{
  bool present;
  dev_t dev;
  ino_t ino;
};

/* The config.json name of the Ith namespace ("pid", "network", ...).  */
const char *ocirt_inspect_ns_type (int i);

/* The namespaces of PROCFD, a directory fd of /proc/PID.  */
void ocirt_inspect_ns_read (int procfd, struct ocirt_inspect_ns_id ids[OCIRT_INSPECT_NS_COUNT]);

/* DOC->namespaces from IDS, each compared with PID 1's (with the caller's
   own where PID 1's cannot be read).  */
int ocirt_inspect_ns_fill (const struct ocirt_inspect_ns_id ids[OCIRT_INSPECT_NS_COUNT],
                           oci_inspect *doc, ocirt_error_t *err);

#endif
