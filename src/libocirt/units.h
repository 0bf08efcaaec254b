/* Durations and sizes as the command line takes them (runc's flags).  */
#ifndef OCIRT_UNITS_H
#define OCIRT_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* Go's time.ParseDuration ("5s", "1m30s", "250ms", "1.5h").  */
bool ocirt_units_parse_duration (const char *s, uint64_t *ns);

/* Sizes as runc's flags take them: "1024", "512k", "1.5g", "64MiB" (a
   factor of 1024 for each unit, as docker's RAMInBytes).  */
bool ocirt_units_parse_ram_bytes (const char *s, int64_t *out);

#endif
