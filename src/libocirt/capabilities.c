#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capabilities.h"
#include "log.h"
#include "utils.h"

static const char *const cap_names[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
  "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
  "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
  "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};

int
ocirt_caps_known (const char ***names)
{
  *names = (const char **) cap_names;
  return (int) ARRAY_SIZE (cap_names);
}

static int
last_cap (void)
{
  static int cached = -1;
  cleanup_free char *data = NULL;
  ocirt_error_t err = NULL;

  if (cached >= 0)
    return cached;
  if (read_file_at (AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &data, NULL, &err) == 0)
    cached = atoi (data);
  else
    {
      ocirt_error_release (&err);
      cached = (int) ARRAY_SIZE (cap_names) - 1;
    }
  return cached;
}

static uint64_t
names_to_mask (char **names, size_t n, const char *set)
{
  uint64_t mask = 0;
  size_t i, j;

  for (i = 0; i < n; i++)
    {
      bool found = false;

      for (j = 0; j < ARRAY_SIZE (cap_names); j++)
        if (strcasecmp (names[i], cap_names[j]) == 0)
          {
            mask |= 1ULL << j;
            found = true;
            break;
          }
      if (!found)
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
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        return ocirt_make_error (err, errno, "drop capability %d from the bounding set", cap);
    }
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return ocirt_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

int
ocirt_caps_apply (const struct ocirt_caps *caps, ocirt_error_t *err)
{
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
  struct __user_cap_data_struct data[2];
  int cap, last = last_cap ();

  if (!caps->present)
    return 0;
  memset (data, 0, sizeof (data));
  data[0].effective = (uint32_t) caps->effective;
  data[1].effective = (uint32_t) (caps->effective >> 32);
  data[0].permitted = (uint32_t) caps->permitted;
  data[1].permitted = (uint32_t) (caps->permitted >> 32);
  data[0].inheritable = (uint32_t) caps->inheritable;
  data[1].inheritable = (uint32_t) (caps->inheritable >> 32);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return ocirt_make_error (err, errno, "set capabilities");

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return ocirt_make_error (err, errno, "clear the ambient capabilities");
  for (cap = 0; cap <= last && cap < 64; cap++)
    {
      if (!(caps->ambient & (1ULL << cap)))
        continue;
      /* The kernel wants an ambient capability permitted and inheritable. */
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        ocirt_debug ("raise ambient capability %s: %s", cap_names[cap], strerror (errno));
    }
  return 0;
}
