/* libsystemd, loaded when the systemd cgroup driver is first used.  Linked
   in, it and the five libraries it needs cost every command of the runtime
   about 1 ms to load, for a driver most runs never use.  Include this
   instead of <systemd/sd-bus.h>: the sd_bus_* calls then go through
   pointers that ocirt_systemd_load fills.  */
#ifndef OCIRT_SYSTEMD_DL_H
#define OCIRT_SYSTEMD_DL_H

#include <systemd/sd-bus.h>

#include "error.h"

#define OCIRT_SD_FUNCS(X)                                                                               \
  X (sd_bus_call)                                                                                       \
  X (sd_bus_call_method)                                                                                \
  X (sd_bus_error_free)                                                                                 \
  X (sd_bus_error_has_name)                                                                             \
  X (sd_bus_error_is_set)                                                                               \
  X (sd_bus_flush_close_unref)                                                                          \
  X (sd_bus_get_property_string)                                                                        \
  X (sd_bus_match_signal)                                                                               \
  X (sd_bus_message_append)                                                                             \
  X (sd_bus_message_append_array)                                                                       \
  X (sd_bus_message_close_container)                                                                    \
  X (sd_bus_message_new_method_call)                                                                    \
  X (sd_bus_message_open_container)                                                                     \
  X (sd_bus_message_read)                                                                               \
  X (sd_bus_message_unref)                                                                              \
  X (sd_bus_open_system)                                                                                \
  X (sd_bus_open_user)                                                                                  \
  X (sd_bus_path_encode)                                                                                \
  X (sd_bus_process)                                                                                    \
  X (sd_bus_slot_unref)                                                                                 \
  X (sd_bus_wait)

#define OCIRT_SD_DECLARE(f) extern __typeof__ (f) *ocirt_systemd_dl_##f;
OCIRT_SD_FUNCS (OCIRT_SD_DECLARE)
#undef OCIRT_SD_DECLARE

/* Load libsystemd.so.0 once; an error names the library and the cause.  */
int ocirt_systemd_load (ocirt_error_t *err);

#ifndef OCIRT_SYSTEMD_DL_IMPL
#define sd_bus_call (*ocirt_systemd_dl_sd_bus_call)
#define sd_bus_call_method (*ocirt_systemd_dl_sd_bus_call_method)
#define sd_bus_error_free (*ocirt_systemd_dl_sd_bus_error_free)
#define sd_bus_error_has_name (*ocirt_systemd_dl_sd_bus_error_has_name)
#define sd_bus_error_is_set (*ocirt_systemd_dl_sd_bus_error_is_set)
#define sd_bus_flush_close_unref (*ocirt_systemd_dl_sd_bus_flush_close_unref)
#define sd_bus_get_property_string (*ocirt_systemd_dl_sd_bus_get_property_string)
#define sd_bus_match_signal (*ocirt_systemd_dl_sd_bus_match_signal)
#define sd_bus_message_append (*ocirt_systemd_dl_sd_bus_message_append)
#define sd_bus_message_append_array (*ocirt_systemd_dl_sd_bus_message_append_array)
#define sd_bus_message_close_container (*ocirt_systemd_dl_sd_bus_message_close_container)
#define sd_bus_message_new_method_call (*ocirt_systemd_dl_sd_bus_message_new_method_call)
#define sd_bus_message_open_container (*ocirt_systemd_dl_sd_bus_message_open_container)
#define sd_bus_message_read (*ocirt_systemd_dl_sd_bus_message_read)
#define sd_bus_message_unref (*ocirt_systemd_dl_sd_bus_message_unref)
#define sd_bus_open_system (*ocirt_systemd_dl_sd_bus_open_system)
#define sd_bus_open_user (*ocirt_systemd_dl_sd_bus_open_user)
#define sd_bus_path_encode (*ocirt_systemd_dl_sd_bus_path_encode)
#define sd_bus_process (*ocirt_systemd_dl_sd_bus_process)
#define sd_bus_slot_unref (*ocirt_systemd_dl_sd_bus_slot_unref)
#define sd_bus_wait (*ocirt_systemd_dl_sd_bus_wait)

/* Through the pointer: sd-bus.h's own sd_bus_message_unrefp would call
   the function, which is not linked in.  */
static inline void
cleanup_bus_messagep (sd_bus_message **m)
{
  if (*m)
    sd_bus_message_unref (*m);
}
#define cleanup_bus_message __attribute__ ((cleanup (cleanup_bus_messagep)))

static inline void
cleanup_bus_slotp (sd_bus_slot **s)
{
  if (*s)
    sd_bus_slot_unref (*s);
}
#define cleanup_bus_slot __attribute__ ((cleanup (cleanup_bus_slotp)))

static inline void
cleanup_busp (sd_bus **bus)
{
  if (*bus)
    sd_bus_flush_close_unref (*bus);
}
#define cleanup_bus __attribute__ ((cleanup (cleanup_busp)))

/* For an sd_bus_error that starts as SD_BUS_ERROR_NULL; one never set
   needs no call (libsystemd may not be loaded yet).  */
static inline void
cleanup_bus_errorp (sd_bus_error *e)
{
  if (e->name || e->message)
    sd_bus_error_free (e);
}
#define cleanup_bus_error __attribute__ ((cleanup (cleanup_bus_errorp)))
#endif

#endif
