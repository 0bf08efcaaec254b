#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup_devices_bpf.h"
#include "cgroup_files.h"
#include "cgroup_resources.h"
#include "cgroup_systemd.h"
#include "log.h"
#ifdef HAVE_SYSTEMD
#include "systemd_dl.h"
#endif
#include "utils.h"

#define WHAT "systemd cgroup driver"
#define ANNOTATION_PREFIX OCIRT_SYSTEMD_PROPERTY_ANNOTATION

/* Whose systemd holds the containers: the system's for root, else the
   caller's own instance, on its user bus, as rootless podman uses it.  */
static bool
user_manager (void)
{
  return geteuid () != 0;
}

int
ocirt_cgroup_systemd_parse_path (const char *cgroups_path, const char *id, char **slice, char **unit,
                                 ocirt_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *s, *prefix, *name;

  *slice = *unit = NULL;
  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      *slice = xstrdup (user_manager () ? OCIRT_SYSTEMD_USER_SLICE : OCIRT_SYSTEMD_SLICE);
      *unit = xasprintf ("%s-%s.scope", OCIRT_SYSTEMD_PREFIX, id);
      return 0;
    }
  copy = xstrdup (cgroups_path);
  s = copy;
  prefix = strchr (s, ':');
  name = prefix ? strchr (prefix + 1, ':') : NULL;
  if (name == NULL || strchr (name + 1, ':') != NULL)
    return ocirt_error_make (err, 0,
                             WHAT ": linux.cgroupsPath `%s` is not of the form slice:prefix:name",
                             cgroups_path);
  *prefix++ = '\0';
  *name++ = '\0';
  if (name[0] == '\0')
    return ocirt_error_make (err, 0, WHAT ": linux.cgroupsPath `%s` names no unit", cgroups_path);
  /* A slice is a unit name, never a path; the name becomes part of one. */
  if (strchr (s, '/') || strchr (prefix, '/') || strchr (name, '/'))
    return ocirt_error_make (err, 0, WHAT ": linux.cgroupsPath `%s`: `/` is not allowed", cgroups_path);
  if (s[0] != '\0'
      && (strlen (s) <= strlen (".slice") || strcmp (s + strlen (s) - strlen (".slice"), ".slice") != 0))
    return ocirt_error_make (err, 0, WHAT ": linux.cgroupsPath `%s`: `%s` is not a slice", cgroups_path,
                             s);
  if (strlen (name) > strlen (".slice")
      && strcmp (name + strlen (name) - strlen (".slice"), ".slice") == 0)
    return ocirt_error_make (err, 0,
                             WHAT ": linux.cgroupsPath `%s`: a slice as the container's unit is "
                                  "not supported",
                             cgroups_path);
  *slice = xstrdup (s[0] ? s : user_manager () ? OCIRT_SYSTEMD_USER_SLICE : OCIRT_SYSTEMD_SLICE);
  *unit = prefix[0] ? xasprintf ("%s-%s.scope", prefix, name) : xasprintf ("%s.scope", name);
  return 0;
}

#ifndef HAVE_SYSTEMD

int
ocirt_cgroup_systemd_create (const oci_spec *spec, const char *id, struct ocirt_cgroup *cg,
                             ocirt_error_t *err)
{
  (void) spec;
  (void) id;
  (void) cg;
  return ocirt_error_make (err, 0, WHAT ": ocirt was built without systemd (--disable-systemd)");
}

int
ocirt_cgroup_systemd_enter (struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err)
{
  (void) cg;
  (void) pid;
  return ocirt_error_make (err, 0, WHAT ": ocirt was built without systemd (--disable-systemd)");
}

int
ocirt_cgroup_systemd_destroy (struct ocirt_cgroup *cg, ocirt_error_t *err)
{
  (void) cg;
  (void) err;
  return 0;
}

int
ocirt_cgroup_systemd_destroy_state (const struct ocirt_container_state *st, ocirt_error_t *err)
{
  if (!st->systemd_cgroup)
    return 0;
  return ocirt_error_make (err, 0, WHAT ": ocirt was built without systemd (--disable-systemd)");
}

int
ocirt_cgroup_systemd_update (const struct ocirt_container_state *st, const struct ocirt_cgroup *cg,
                             const oci_resources *res, ocirt_error_t *err)
{
  (void) cg;
  (void) res;
  if (!st->systemd_cgroup)
    return 0;
  return ocirt_error_make (err, 0, WHAT ": ocirt was built without systemd (--disable-systemd)");
}

void
ocirt_cgroup_systemd_scope_free (struct ocirt_systemd_scope *sc)
{
  (void) sc;
}

#else

/* How long systemd may take over a job; the emulated test VMs are slow. */
#define JOB_TIMEOUT_USEC (60ULL * 1000000ULL)

struct ocirt_systemd_scope
{
  sd_bus *bus;
  char *slice;
  char *unit;
  const oci_spec *spec; /* borrowed: the properties are built at enter */
  bool started;
};

void
ocirt_cgroup_systemd_scope_free (struct ocirt_systemd_scope *sc)
{
  if (sc == NULL)
    return;
  if (sc->bus)
    sd_bus_flush_close_unref (sc->bus);
  free (sc->slice);
  free (sc->unit);
  free (sc);
}

static int
bus_error (ocirt_error_t *err, int r, const sd_bus_error *e, const char *fmt, const char *arg)
{
  cleanup_free char *what = xasprintf (fmt, arg);

  if (e && sd_bus_error_is_set (e) && e->message)
    return ocirt_error_make (err, 0, WHAT ": %s: %s", what, e->message);
  return ocirt_error_make (err, r < 0 ? -r : EIO, WHAT ": %s", what);
}

static const char *
bus_name (void)
{
  return user_manager () ? "user" : "system";
}

static int
connect_bus (sd_bus **bus, ocirt_error_t *err)
{
  int r;

  *bus = NULL;
  if (ocirt_systemd_load (err) < 0)
    return -1;
  r = user_manager () ? sd_bus_open_user (bus) : sd_bus_open_system (bus);
  if (r < 0)
    {
      *bus = NULL;
      return ocirt_error_make (err, -r, WHAT ": connect to the %s bus", bus_name ());
    }
  return 0;
}

/* A bus without systemd on it (a dbus-daemon, no systemd as PID 1) would
   only fail once the container process exists: ask it now.  */
static int
check_systemd (sd_bus *bus, ocirt_error_t *err)
{
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *version = NULL;
  int r;

  r = sd_bus_get_property_string (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "Version", &e, &version);
  if (r < 0)
    {
      if (sd_bus_error_is_set (&e) && e.message)
        return ocirt_error_make (err, 0, WHAT ": systemd is not reachable on the %s bus: %s",
                                 bus_name (), e.message);
      return ocirt_error_make (err, -r, WHAT ": systemd is not reachable on the %s bus", bus_name ());
    }
  ocirt_debug ("systemd: version %s", version);
  return 0;
}

int
ocirt_cgroup_systemd_create (const oci_spec *spec, const char *id, struct ocirt_cgroup *cg,
                             ocirt_error_t *err)
{
  struct ocirt_systemd_scope *sc;
  char *slice, *unit;

  memset (cg, 0, sizeof (*cg));
  if (ocirt_cgroup_systemd_parse_path (spec->linux ? spec->linux->cgroups_path : NULL, id, &slice, &unit,
                                       err)
      < 0)
    return -1;
  sc = xmalloc0 (sizeof (*sc));
  sc->slice = slice;
  sc->unit = unit;
  sc->spec = spec;
  cg->systemd = sc;
  cg->systemd_free = ocirt_cgroup_systemd_scope_free;
  cg->mode = ocirt_cgroup_detect_mode ();
  /* Connect now: without systemd the create fails before the clone.  */
  if (connect_bus (&sc->bus, err) < 0)
    return -1;
  return check_systemd (sc->bus, err);
}

/* ---- properties ------------------------------------------------------ */

static int
prop_u64 (sd_bus_message *m, const char *name, uint64_t v)
{
  ocirt_debug ("systemd: %s=%" PRIu64, name, v);
  return sd_bus_message_append (m, "(sv)", name, "t", v);
}

static int
prop_bool (sd_bus_message *m, const char *name, bool v)
{
  return sd_bus_message_append (m, "(sv)", name, "b", (int) v);
}

static int
prop_str (sd_bus_message *m, const char *name, const char *v)
{
  ocirt_debug ("systemd: %s=%s", name, v);
  return sd_bus_message_append (m, "(sv)", name, "s", v);
}

/* A cpu or node list ("0-3,7") as the byte mask systemd takes.  */
static int
prop_mask (sd_bus_message *m, const char *name, const char *list, const char *field, ocirt_error_t *err)
{
  cleanup_free uint16_t *ids = NULL;
  cleanup_free uint8_t *mask = NULL;
  size_t n, i, len = 0;
  int r;

  if (ocirt_cgroup_parse_list (list, &ids, &n) < 0)
    return ocirt_error_make (err, 0, "invalid %s `%s`", field, list);
  for (i = 0; i < n; i++)
    if ((size_t) ids[i] / 8 + 1 > len)
      len = ids[i] / 8 + 1;
  mask = xmalloc0 (len + 1);
  for (i = 0; i < n; i++)
    mask[ids[i] / 8] |= 1 << (ids[i] % 8);
  ocirt_debug ("systemd: %s=%s", name, list);
  if ((r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", name)) < 0
      || (r = sd_bus_message_open_container (m, 'v', "ay")) < 0
      || (r = sd_bus_message_append_array (m, 'y', mask, len)) < 0
      || (r = sd_bus_message_close_container (m)) < 0 || (r = sd_bus_message_close_container (m)) < 0)
    return ocirt_error_make (err, -r, WHAT ": build property %s", name);
  return 0;
}

/* The CPU quota and period in force, for an update that gives only one
   of them: the files keep the other, so must the unit.  */
static int
cpu_in_force (const struct ocirt_cgroup *cg, int64_t *quota, uint64_t *period, ocirt_error_t *err)
{
  const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cg, "cpu");
  cleanup_free char *q = NULL, *p = NULL;
  const char *per;

  if (d == NULL)
    return ocirt_error_make (err, 0, WHAT ": the container has no cpu cgroup");
  if (d->unified)
    {
      /* "QUOTA PERIOD", QUOTA "max" for none */
      if (ocirt_cgroup_read (d, "cpu.max", &q, err) < 0)
        return -1;
      *quota = strncmp (q, "max ", 4) == 0 ? -1 : strtoll (q, NULL, 10);
      per = strchr (q, ' ');
    }
  else
    {
      if (ocirt_cgroup_read (d, "cpu.cfs_quota_us", &q, err) < 0
          || ocirt_cgroup_read (d, "cpu.cfs_period_us", &p, err) < 0)
        return -1;
      *quota = strtoll (q, NULL, 10);
      per = p;
    }
  if (per == NULL || (*period = strtoull (per, NULL, 10)) == 0)
    return ocirt_error_make (err, 0, WHAT ": no CPU period in `%s`", d->path);
  return 0;
}

/* What systemd knows of linux.resources; the cgroupfs code writes all of
   it to the scope afterwards, so that the values are exactly the spec's.
   CUR, for an update, is the container's cgroup, where what the update
   leaves out is read.  */
static int
resource_props (sd_bus_message *m, const oci_resources *res, enum ocirt_cgroup_mode mode,
                const struct ocirt_cgroup *cur, ocirt_error_t *err)
{
  bool v2 = mode == OCIRT_CGROUP_V2;
  int r = 0;

  if (res == NULL)
    return 0;
  if (res->memory)
    {
      const oci_memory *mem = res->memory;
      int64_t limit = mem->limit_present ? mem->limit : 0;

      if (limit != 0 && r >= 0)
        r = prop_u64 (m, "MemoryMax", limit < 0 ? UINT64_MAX : (uint64_t) limit);
      if (mem->reservation_present && mem->reservation > 0 && r >= 0)
        r = prop_u64 (m, "MemoryLow", mem->reservation);
      if (v2 && mem->swap_present && mem->swap != 0 && r >= 0)
        {
          int64_t swap, for_swap = limit;

          /* An update of swap alone is relative to the limit in force. */
          if (cur && limit == 0 && mem->swap > 0)
            {
              const struct ocirt_cgroup_dir *d = ocirt_cgroup_dir_for (cur, "memory");
              cleanup_free char *max = NULL;
              uint64_t v;

              if (d == NULL || ocirt_cgroup_read (d, "memory.max", &max, err) < 0)
                return ocirt_error_make (err, 0, WHAT ": read the memory limit in force");
              if (!ocirt_cgroup_parse_u64 (max, &v))
                return ocirt_error_make (err, 0, WHAT ": memory.max `%s` is not a limit", max);
              for_swap = v == UINT64_MAX ? -1 : (int64_t) v;
            }
          if (ocirt_cgroup_swap_to_v2 (mem->swap, for_swap, &swap, err) < 0)
            return -1;
          r = prop_u64 (m, "MemorySwapMax", swap < 0 ? UINT64_MAX : (uint64_t) swap);
        }
    }
  /* 0 is a limit for the kernel but out of range for systemd: the
     cgroupfs code writes it.  */
  if (res->pids && res->pids->limit_present && res->pids->limit != 0 && r >= 0)
    r = prop_u64 (m, "TasksMax", res->pids->limit < 0 ? UINT64_MAX : (uint64_t) res->pids->limit);
  if (res->cpu)
    {
      const oci_cpu *c = res->cpu;
      int64_t quota = c->quota_present ? c->quota : 0;
      uint64_t period = c->period_present ? c->period : 0;

      if (cur && (quota != 0) != (period != 0))
        {
          int64_t q = 0;
          uint64_t p = 0;

          if (cpu_in_force (cur, &q, &p, err) < 0)
            return -1;
          quota = quota ? quota : q;
          period = period ? period : p;
        }
      if (period == 0)
        period = 100000;
      if (c->shares_present && c->shares && r >= 0)
        r = v2 ? prop_u64 (m, "CPUWeight", ocirt_cgroup_shares_to_weight (c->shares))
               : prop_u64 (m, "CPUShares", c->shares);
      if (c->period_present && c->period && r >= 0)
        r = prop_u64 (m, "CPUQuotaPeriodUSec", c->period);
      if (quota != 0 && r >= 0)
        {
          uint64_t per_sec = UINT64_MAX;

          /* systemd keeps whole percents: round up, the file gets the
             exact quota.  */
          if (quota > 0)
            {
              per_sec = (uint64_t) quota * 1000000 / period;
              per_sec = (per_sec + 9999) / 10000 * 10000;
            }
          r = prop_u64 (m, "CPUQuotaPerSecUSec", per_sec);
        }
      if (r < 0)
        return ocirt_error_make (err, -r, WHAT ": build the unit's properties");
      if (v2 && c->cpus && c->cpus[0] && prop_mask (m, "AllowedCPUs", c->cpus, "cpu.cpus", err) < 0)
        return -1;
      if (v2 && c->mems && c->mems[0]
          && prop_mask (m, "AllowedMemoryNodes", c->mems, "cpu.mems", err) < 0)
        return -1;
    }
  if (res->block_io && res->block_io->weight_present && res->block_io->weight && r >= 0)
    r = v2 ? prop_u64 (m, "IOWeight", ocirt_cgroup_blkio_to_io_weight (res->block_io->weight))
           : prop_u64 (m, "BlockIOWeight", res->block_io->weight);
  if (r < 0)
    return ocirt_error_make (err, -r, WHAT ": build the unit's properties");
  return 0;
}

/* ---- devices --------------------------------------------------------- */

/* The rules as the v1 kernel holds them once each is written in turn (the
   emulation runc does for systemd): a default, and exceptions to it.  */
struct dev_state
{
  bool default_allow;
  struct ocirt_dev_rule *ex;
  size_t n;
};

static void
dev_state_release (struct dev_state *s)
{
  free (s->ex);
}

static void
dev_state_apply (struct dev_state *s, const struct ocirt_dev_rule *r)
{
  size_t i;

  if (r->type == 'a')
    {
      s->default_allow = r->allow;
      s->n = 0;
      return;
    }
  for (i = 0; i < s->n; i++)
    if (s->ex[i].type == r->type && s->ex[i].major == r->major && s->ex[i].minor == r->minor)
      break;
  if (r->allow == s->default_allow)
    {
      /* What the default says anyway takes from an exception, if any. */
      if (i < s->n && (s->ex[i].access &= ~r->access) == 0)
        {
          memmove (&s->ex[i], &s->ex[i + 1], (s->n - i - 1) * sizeof (*s->ex));
          s->n--;
        }
      return;
    }
  if (i == s->n)
    {
      s->ex = realloc (s->ex, (s->n + 1) * sizeof (*s->ex));
      if (s->ex == NULL)
        abort ();
      s->ex[s->n++] = *r;
      s->ex[i].access = 0;
    }
  s->ex[i].access |= r->access;
}

static int
collect_rule (void *data, bool allow, const char *rule, ocirt_error_t *err)
{
  return ocirt_cgroup_devices_rules_add (data, allow, rule, err);
}

/* One DeviceAllow entry: "char-*", "block-8" (systemd 240 and later) or
   "/dev/char/1:3", with "rwm" or a part of it.  */
static int
device_allow (sd_bus_message *m, const struct ocirt_dev_rule *x)
{
  const char *kind = x->type == 'b' ? "block" : "char";
  char path[80], perms[4];
  size_t np = 0;

  if (x->access & BPF_DEVCG_ACC_READ)
    perms[np++] = 'r';
  if (x->access & BPF_DEVCG_ACC_WRITE)
    perms[np++] = 'w';
  if (x->access & BPF_DEVCG_ACC_MKNOD)
    perms[np++] = 'm';
  perms[np] = '\0';
  if (x->major < 0 && x->minor >= 0)
    {
      ocirt_warn (WHAT ": systemd has no rule for `%c *:%" PRId64 " %s` (any major): its device "
                       "policy denies it",
                  x->type, x->minor, perms);
      return 0;
    }
  if (x->major < 0)
    snprintf (path, sizeof (path), "%s-*", kind);
  else if (x->minor < 0)
    snprintf (path, sizeof (path), "%s-%" PRId64, kind, x->major);
  else
    snprintf (path, sizeof (path), "/dev/%s/%" PRId64 ":%" PRId64, kind, x->major, x->minor);
  ocirt_debug ("systemd: DeviceAllow=%s %s", path, perms);
  return sd_bus_message_append (m, "(ss)", path, perms);
}

#define DEVICE_PROPS_FAILED WHAT ": build the unit's device properties"

/* DevicePolicy and DeviceAllow for ST.  */
static int
append_device_props (sd_bus_message *m, const struct dev_state *st, ocirt_error_t *err)
{
  size_t i;
  int r;

  if ((r = prop_str (m, "DevicePolicy", st->default_allow ? "auto" : "strict")) < 0
      || (r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", "DeviceAllow")) < 0
      || (r = sd_bus_message_open_container (m, 'v', "a(ss)")) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(ss)")) < 0)
    return ocirt_error_make (err, -r, DEVICE_PROPS_FAILED);
  for (i = 0; i < st->n; i++)
    if ((r = device_allow (m, &st->ex[i])) < 0)
      return ocirt_error_make (err, -r, DEVICE_PROPS_FAILED);
  if ((r = sd_bus_message_close_container (m)) < 0 || (r = sd_bus_message_close_container (m)) < 0
      || (r = sd_bus_message_close_container (m)) < 0)
    return ocirt_error_make (err, -r, DEVICE_PROPS_FAILED);
  return 0;
}

/* DevicePolicy and DeviceAllow from the rules the cgroupfs code writes (or
   compiles on v2).  systemd has allow lists only: rules that end up
   denying by default are "strict" with their exceptions; rules that allow
   by default are "auto" with none, their denials left to ocirt's own.  */
static int
device_props (sd_bus_message *m, const oci_linux *lx, ocirt_error_t *err)
{
  cleanup_dev_rules struct ocirt_dev_rules rules = { NULL, 0 };
  __attribute__ ((cleanup (dev_state_release))) struct dev_state st = { true, NULL, 0 };
  size_t i;

  if (lx == NULL || lx->resources == NULL || lx->resources->devices_len == 0)
    return 0;
  if (ocirt_cgroup_device_rules (lx, collect_rule, &rules, err) < 0)
    return ocirt_error_prefix (err, "linux.resources.devices");
  for (i = 0; i < rules.n; i++)
    dev_state_apply (&st, &rules.rules[i]);
  if (st.default_allow)
    st.n = 0;
  return append_device_props (m, &st, err);
}

static bool
all_digits (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

/* org.systemd.property.NAME=VALUE.  VALUE: true/false (b), a number (t),
   "uint32 N", "int32 N", "uint64 N", "int64 N", "double D", a quoted or
   plain string (s); NAME ending in "Sec" takes seconds and is sent as
   NAMEUSec, as runc does.  */
static int
annotation_prop (sd_bus_message *m, const char *key, const char *value, ocirt_error_t *err)
{
  const char *name = key + strlen (ANNOTATION_PREFIX);
  size_t nl = strlen (name), vl = strlen (value);
  const char *p;
  char *end;
  int r;

  if (nl == 0)
    return ocirt_error_make (err, 0, WHAT ": annotation `%s` names no property", key);
  for (p = name; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
      return ocirt_error_make (err, 0, WHAT ": annotation `%s`: invalid property name", key);
  ocirt_debug ("systemd: %s=%s (annotation)", name, value);
  if (nl > 3 && strcmp (name + nl - 3, "Sec") == 0 && (nl < 4 || strcmp (name + nl - 4, "USec") != 0))
    {
      cleanup_free char *usec = xasprintf ("%.*sUSec", (int) (nl - 3), name);
      double sec;

      errno = 0;
      sec = strtod (value, &end);
      if (errno || end == value || *end || sec < 0)
        return ocirt_error_make (err, 0, WHAT ": annotation `%s`: `%s` is not a number of seconds", key,
                                 value);
      r = sd_bus_message_append (m, "(sv)", usec, "t", (uint64_t) (sec * 1000000));
    }
  else if (strcmp (value, "true") == 0 || strcmp (value, "false") == 0)
    r = sd_bus_message_append (m, "(sv)", name, "b", (int) (value[0] == 't'));
  else if (all_digits (value))
    r = sd_bus_message_append (m, "(sv)", name, "t", (uint64_t) strtoull (value, NULL, 10));
  else if (strncmp (value, "uint64 ", 7) == 0 || strncmp (value, "uint32 ", 7) == 0)
    {
      const char *num = value + 7;
      unsigned long long v;

      errno = 0;
      v = strtoull (num, &end, 10);
      if (!all_digits (num) || errno || (value[4] == '3' && v > UINT32_MAX))
        return ocirt_error_make (err, 0, WHAT ": annotation `%s`: invalid value `%s`", key, value);
      r = value[4] == '6' ? sd_bus_message_append (m, "(sv)", name, "t", (uint64_t) v)
                          : sd_bus_message_append (m, "(sv)", name, "u", (uint32_t) v);
    }
  else if (strncmp (value, "int64 ", 6) == 0 || strncmp (value, "int32 ", 6) == 0)
    {
      long long v;

      errno = 0;
      v = strtoll (value + 6, &end, 10);
      if (end == value + 6 || *end || errno || (value[3] == '3' && (v > INT32_MAX || v < INT32_MIN)))
        return ocirt_error_make (err, 0, WHAT ": annotation `%s`: invalid value `%s`", key, value);
      r = value[3] == '6' ? sd_bus_message_append (m, "(sv)", name, "x", (int64_t) v)
                          : sd_bus_message_append (m, "(sv)", name, "i", (int32_t) v);
    }
  else if (strncmp (value, "double ", 7) == 0)
    {
      double v;

      errno = 0;
      v = strtod (value + 7, &end);
      if (end == value + 7 || *end || errno)
        return ocirt_error_make (err, 0, WHAT ": annotation `%s`: invalid value `%s`", key, value);
      r = sd_bus_message_append (m, "(sv)", name, "d", v);
    }
  else if (vl >= 2 && (value[0] == '"' || value[0] == '\'') && value[vl - 1] == value[0])
    {
      cleanup_free char *s = xasprintf ("%.*s", (int) (vl - 2), value + 1);
      r = sd_bus_message_append (m, "(sv)", name, "s", s);
    }
  else
    r = sd_bus_message_append (m, "(sv)", name, "s", value);
  if (r < 0)
    return ocirt_error_make (err, -r, WHAT ": annotation `%s`", key);
  return 0;
}

static int
scope_props (sd_bus_message *m, const struct ocirt_systemd_scope *sc, pid_t pid,
             enum ocirt_cgroup_mode mode, ocirt_error_t *err)
{
  const oci_spec *spec = sc->spec;
  const oci_map_string *ann = spec->annotations;
  cleanup_free char *desc = xasprintf ("ocirt container %s", sc->unit);
  size_t i;
  int r;

  if ((r = sd_bus_message_open_container (m, 'a', "(sv)")) < 0
      || (r = prop_str (m, "Description", desc)) < 0 || (r = prop_str (m, "Slice", sc->slice)) < 0
      || (r = sd_bus_message_append (m, "(sv)", "PIDs", "au", 1, (uint32_t) pid)) < 0
      /* The container manages what is below its cgroup.  */
      || (r = prop_bool (m, "Delegate", true)) < 0
      /* No ordering against shutdown.target and the like: it is not a
         service of the host.  */
      || (r = prop_bool (m, "DefaultDependencies", false)) < 0)
    return ocirt_error_make (err, -r, WHAT ": build the unit's properties");
  if (resource_props (m, spec->linux ? spec->linux->resources : NULL, mode, NULL, err) < 0
      || device_props (m, spec->linux, err) < 0)
    return -1;
  /* After ours, so that an annotation has the last word.  */
  for (i = 0; ann && i < ann->len; i++)
    if (strncmp (ann->keys[i], ANNOTATION_PREFIX, strlen (ANNOTATION_PREFIX)) == 0
        && annotation_prop (m, ann->keys[i], ann->values[i], err) < 0)
      return -1;
  if ((r = sd_bus_message_close_container (m)) < 0)
    return ocirt_error_make (err, -r, WHAT ": build the unit's properties");
  return 0;
}

/* ---- jobs ------------------------------------------------------------ */

struct job_wait
{
  char *path;   /* the job to wait for, NULL until the call returns */
  char *result; /* its result once removed */
};

static int
on_job_removed (sd_bus_message *m, void *data, sd_bus_error *ret_error)
{
  struct job_wait *w = data;
  const char *path, *unit, *result;
  uint32_t id;

  (void) ret_error;
  if (sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->path && w->result == NULL && strcmp (path, w->path) == 0)
    w->result = xstrdup (result);
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
job_wait_release (struct job_wait *w)
{
  free (w->path);
  free (w->result);
}

/* Run the bus until the job W->path has ended, for JOB_TIMEOUT_USEC at
   most.  */
static int
wait_job (sd_bus *bus, struct job_wait *w, const char *unit, ocirt_error_t *err)
{
  uint64_t deadline = now_usec () + JOB_TIMEOUT_USEC;

  while (w->result == NULL)
    {
      uint64_t now;
      int r;

      r = sd_bus_process (bus, NULL);
      if (r < 0)
        return bus_error (err, r, NULL, "wait for the job of `%s`", unit);
      if (r > 0)
        continue;
      now = now_usec ();
      if (now >= deadline)
        return ocirt_error_make (err, ETIMEDOUT, WHAT ": wait for the job of `%s`", unit);
      r = sd_bus_wait (bus, deadline - now);
      if (r < 0)
        return bus_error (err, r, NULL, "wait for the job of `%s`", unit);
    }
  return 0;
}

/* Send M, a method that returns a job, and wait for the job to end.
   Returns 1 when the call failed with NOT_FOUND (a D-Bus error name the
   caller accepts), 0 when the job is done.  */
static int
call_job (sd_bus *bus, sd_bus_message *m, const char *what, const char *unit, const char *not_found,
          ocirt_error_t *err)
{
  /* Declared before the slot, so that the slot goes first.  */
  __attribute__ ((cleanup (job_wait_release))) struct job_wait w = { 0 };
  cleanup_bus_slot sd_bus_slot *slot = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_bus_message sd_bus_message *reply = NULL;
  const char *path;
  int r;

  /* The match goes first, or the signal could come before it.  */
  r = sd_bus_match_signal (bus, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
  if (r < 0)
    return bus_error (err, r, NULL, "watch the jobs of `%s`", unit);
  r = sd_bus_call (bus, m, JOB_TIMEOUT_USEC, &e, &reply);
  if (r < 0)
    {
      cleanup_free char *msg = NULL;

      if (not_found && sd_bus_error_has_name (&e, not_found))
        return 1;
      msg = xasprintf ("%s `%%s`", what);
      return bus_error (err, r, &e, msg, unit);
    }
  r = sd_bus_message_read (reply, "o", &path);
  if (r < 0)
    return bus_error (err, r, NULL, "read the job of `%s`", unit);
  w.path = xstrdup (path);
  if (wait_job (bus, &w, unit, err) < 0)
    return -1;
  if (strcmp (w.result, "done") != 0)
    return ocirt_error_make (err, 0, WHAT ": %s `%s`: job %s", what, unit, w.result);
  return 0;
}

static int
new_manager_call (sd_bus *bus, sd_bus_message **m, const char *method, const char *unit,
                  ocirt_error_t *err)
{
  int r = sd_bus_message_new_method_call (bus, m, "org.freedesktop.systemd1",
                                          "/org/freedesktop/systemd1",
                                          "org.freedesktop.systemd1.Manager", method);
  if (r < 0)
    return bus_error (err, r, NULL, "prepare the call for `%s`", unit);
  return 0;
}

/* ---- start and stop -------------------------------------------------- */

static int
scope_cgroup (sd_bus *bus, const char *unit, char **out, ocirt_error_t *err)
{
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *path = NULL;
  int r;

  *out = NULL;
  r = sd_bus_path_encode ("/org/freedesktop/systemd1/unit", unit, &path);
  if (r < 0)
    return bus_error (err, r, NULL, "object path of `%s`", unit);
  r = sd_bus_get_property_string (bus, "org.freedesktop.systemd1", path,
                                  "org.freedesktop.systemd1.Scope", "ControlGroup", &e, out);
  if (r < 0)
    return bus_error (err, r, &e, "read the ControlGroup of `%s`", unit);
  if ((*out)[0] != '/')
    {
      free (*out);
      *out = NULL;
      return ocirt_error_make (err, 0, WHAT ": `%s` has no cgroup", unit);
    }
  return 0;
}

int
ocirt_cgroup_systemd_enter (struct ocirt_cgroup *cg, pid_t pid, ocirt_error_t *err)
{
  struct ocirt_systemd_scope *sc = cg->systemd;
  cleanup_bus_message sd_bus_message *m = NULL;
  cleanup_free char *cgpath = NULL;
  int r;

  ocirt_debug ("systemd: start %s in %s with pid %d", sc->unit, sc->slice, pid);
  if (new_manager_call (sc->bus, &m, "StartTransientUnit", sc->unit, err) < 0)
    return -1;
  r = sd_bus_message_append (m, "ss", sc->unit, "replace");
  if (r < 0)
    return bus_error (err, r, NULL, "prepare the start of `%s`", sc->unit);
  if (scope_props (m, sc, pid, cg->mode, err) < 0)
    return -1;
  r = sd_bus_message_append (m, "a(sa(sv))", 0);
  if (r < 0)
    return bus_error (err, r, NULL, "prepare the start of `%s`", sc->unit);
  /* From here on the unit may exist: a failure must stop it.  */
  sc->started = true;
  r = call_job (sc->bus, m, "start unit", sc->unit, "org.freedesktop.systemd1.UnitExists", err);
  if (r < 0)
    return -1;
  if (r > 0)
    {
      /* Not ours: it must not be stopped by our clean-up.  */
      sc->started = false;
      return ocirt_error_make (err, 0, WHAT ": start unit `%s`: a unit of that name exists already",
                               sc->unit);
    }
  if (scope_cgroup (sc->bus, sc->unit, &cgpath, err) < 0)
    return -1;
  ocirt_debug ("systemd: %s is in %s", sc->unit, cgpath);
  return ocirt_cgroup_adopt (cgpath, cg, err);
}

static int
stop_unit (sd_bus *bus, const char *unit, ocirt_error_t *err)
{
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_bus_message sd_bus_message *m = NULL;
  int r;

  ocirt_debug ("systemd: stop %s", unit);
  if (new_manager_call (bus, &m, "StopUnit", unit, err) < 0)
    return -1;
  r = sd_bus_message_append (m, "ss", unit, "replace");
  if (r < 0)
    return bus_error (err, r, NULL, "prepare the stop of `%s`", unit);
  /* A scope is collected once empty: it may be gone already.  */
  r = call_job (bus, m, "stop unit", unit, "org.freedesktop.systemd1.NoSuchUnit", err);
  if (r < 0)
    return -1;
  /* A failed unit (an OOM kill, say) stays loaded until reset.  */
  r = sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                          "org.freedesktop.systemd1.Manager", "ResetFailedUnit", &e, NULL, "s", unit);
  if (r < 0 && !sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
    {
      ocirt_debug ("systemd: reset-failed %s: %s", unit, e.message ? e.message : strerror (-r));
    }
  return 0;
}

int
ocirt_cgroup_systemd_destroy (struct ocirt_cgroup *cg, ocirt_error_t *err)
{
  struct ocirt_systemd_scope *sc = cg->systemd;

  if (sc == NULL || !sc->started)
    return 0;
  if (stop_unit (sc->bus, sc->unit, err) < 0)
    return -1;
  sc->started = false;
  return 0;
}

/* The unit of a container from its state: the last component of its
   cgroup.  */
static int
state_unit (const struct ocirt_container_state *st, const char **unit, ocirt_error_t *err)
{
  const char *u = strrchr (st->cgroup_path, '/');

  u = u ? u + 1 : st->cgroup_path;
  if (strlen (u) <= strlen (".scope") || strcmp (u + strlen (u) - 6, ".scope") != 0)
    return ocirt_error_make (err, 0, WHAT ": `%s` is not the cgroup of a scope", st->cgroup_path);
  *unit = u;
  return 0;
}

int
ocirt_cgroup_systemd_destroy_state (const struct ocirt_container_state *st, ocirt_error_t *err)
{
  cleanup_bus sd_bus *bus = NULL;
  const char *unit;

  if (!st->systemd_cgroup || st->cgroup_path == NULL)
    return 0;
  if (state_unit (st, &unit, err) < 0)
    return -1;
  if (connect_bus (&bus, err) < 0)
    return -1;
  return stop_unit (bus, unit, err);
}

int
ocirt_cgroup_systemd_update (const struct ocirt_container_state *st, const struct ocirt_cgroup *cg,
                             const oci_resources *res, ocirt_error_t *err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_bus_message sd_bus_message *m = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  const char *unit;
  int r;

  if (!st->systemd_cgroup || st->cgroup_path == NULL || res == NULL)
    return 0;
  if (state_unit (st, &unit, err) < 0 || connect_bus (&bus, err) < 0)
    return -1;
  ocirt_debug ("systemd: set the properties of %s", unit);
  if (new_manager_call (bus, &m, "SetUnitProperties", unit, err) < 0)
    return -1;
  /* Runtime: a drop-in under /run, which a daemon-reload reads again
     (without one it would put back the values the unit started with). */
  if ((r = sd_bus_message_append (m, "sb", unit, 1)) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(sv)")) < 0)
    return bus_error (err, r, NULL, "prepare the properties of `%s`", unit);
  if (resource_props (m, res, cg->mode, cg, err) < 0)
    return -1;
  if ((r = sd_bus_message_close_container (m)) < 0)
    return bus_error (err, r, NULL, "prepare the properties of `%s`", unit);
  r = sd_bus_call (bus, m, JOB_TIMEOUT_USEC, &e, NULL);
  if (r < 0)
    return bus_error (err, r, &e, "set the properties of `%s`", unit);
  return 0;
}

#endif
