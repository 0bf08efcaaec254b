#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "capabilities.h"
#include "log.h"
#include "utils.h"

/* The names come from libcap; the build knows the capabilities of the
   kernel headers it was built with.  */
int
ocirt_caps_known (const char ***names)
{
  static char *known[CAP_LAST_CAP + 2];
  int i;

  if (known[0] == NULL)
    for (i = 0; i <= CAP_LAST_CAP; i++)
      {
        char *n = cap_to_name (i), *p;

        known[i] = xstrdup (n);
        cap_free (n);
        for (p = known[i]; *p; p++)
          *p = (char) toupper ((unsigned char) *p);
      }
  *names = (const char **) known;
  return CAP_LAST_CAP + 1;
}

/* What the running kernel has, which may be more or less than the build.  */
static int
last_cap (void)
{
  int bits = cap_max_bits ();

  return bits > 0 ? bits - 1 : CAP_LAST_CAP;
}

static uint64_t
names_to_mask (char **names, size_t n, const char *set)
{
  uint64_t mask = 0;
  size_t i;

  for (i = 0; i < n; i++)
    {
      cap_value_t v;

      /* cap_from_name also takes numbers: a config names capabilities.  */
      if (strncasecmp (names[i], "CAP_", 4) == 0 && cap_from_name (names[i], &v) == 0 && v >= 0
          && v < 64)
        mask |= 1ULL << v;
      else
        ocirt_warn ("unknown capability `%s` in the %s set: ignored", names[i], set);
    }
  return mask;
}

void
ocirt_caps_from_config (const oci_capabilities *c, struct ocirt_caps *out)
{
  memset (out, 0, sizeof (*out));
  if (c == NULL)
    return;
  out->present = true;
  out->bounding = names_to_mask (c->bounding, c->bounding_len, "bounding");
  out->effective = names_to_mask (c->effective, c->effective_len, "effective");
  out->permitted = names_to_mask (c->permitted, c->permitted_len, "permitted");
  out->inheritable = names_to_mask (c->inheritable, c->inheritable_len, "inheritable");
  out->ambient = names_to_mask (c->ambient, c->ambient_len, "ambient");
}

int
ocirt_caps_prepare (const struct ocirt_caps *caps, ocirt_error_t *err)
{
  int cap, last = last_cap ();

  if (!caps->present)
    return 0;
  for (cap = 0; cap <= last; cap++)
    {
      if (cap < 64 && (caps->bounding & (1ULL << cap)))
        continue;
      if (cap_drop_bound (cap) < 0 && errno != EINVAL)
        return ocirt_error_make (err, errno, "drop capability %d from the bounding set", cap);
    }
  /* The permitted set must survive the switch to the container's uid.  */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return ocirt_error_make (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

static void
set_flags (cap_t c, cap_flag_t flag, uint64_t mask, int last)
{
  cap_value_t v;

  for (v = 0; v <= last && v < 64; v++)
    if (mask & (1ULL << v))
      cap_set_flag (c, flag, 1, &v, CAP_SET);
}

int
ocirt_caps_of_plain_user (struct ocirt_caps *caps, ocirt_error_t *err)
{
  int last = last_cap ();
  cap_value_t v;
  cap_t c = cap_get_proc ();

  if (c == NULL)
    return ocirt_error_make (err, errno, "read the capabilities");
  memset (caps, 0, sizeof (*caps));
  caps->present = true;
  caps->bounding = ~0ULL;
  for (v = 0; v <= last && v < 64; v++)
    {
      cap_flag_value_t on = CAP_CLEAR;

      if (cap_get_flag (c, v, CAP_INHERITABLE, &on) == 0 && on == CAP_SET)
        caps->inheritable |= 1ULL << v;
    }
  cap_free (c);
  return 0;
}

int
ocirt_caps_apply (const struct ocirt_caps *caps, uint64_t extra, ocirt_error_t *err)
{
  int last = last_cap ();
  cap_value_t v;
  cap_t c;

  if (!caps->present)
    return 0;
  c = cap_init ();
  if (c == NULL)
    return ocirt_error_make (err, errno, "cap_init");
  set_flags (c, CAP_EFFECTIVE, caps->effective | extra, last);
  set_flags (c, CAP_PERMITTED, caps->permitted | extra, last);
  set_flags (c, CAP_INHERITABLE, caps->inheritable, last);
  if (cap_set_proc (c) < 0)
    {
      int saved = errno;

      cap_free (c);
      return ocirt_error_make (err, saved, "set capabilities");
    }
  cap_free (c);

  if (cap_reset_ambient () < 0 && errno != EINVAL)
    return ocirt_error_make (err, errno, "clear the ambient capabilities");
  for (v = 0; v <= last && v < 64; v++)
    {
      if (!(caps->ambient & (1ULL << v)))
        continue;
      /* The kernel wants an ambient capability permitted and inheritable. */
      if (cap_set_ambient (v, CAP_SET) < 0)
        {
          char *name = cap_to_name (v);

          ocirt_debug ("raise ambient capability %s: %s", name, strerror (errno));
          cap_free (name);
        }
    }
  return 0;
}
