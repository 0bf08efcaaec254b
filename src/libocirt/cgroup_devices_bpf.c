/* Device rules on cgroup v2.  v2 has no devices.allow: the kernel asks a
   BPF_PROG_TYPE_CGROUP_DEVICE program instead, once per mknod and open of
   a device node, with a struct bpf_cgroup_dev_ctx.  The rules are the
   text v1 would write, turned into one test per rule, the last rule
   first, so that the last rule that matches decides as with v1.  */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup_devices_bpf.h"
#include "log.h"
#include "utils.h"

/* ---- instructions --------------------------------------------------- */

#define INSN(c, d, s, o, i)                                                                             \
  ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
/* dst = *(u32 *) (src + off), zero-extended */
#define LDX_W(dst, src, off) INSN (BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
/* 32-bit dst OP= imm, dst = src */
#define ALU32_IMM(op, dst, imm) INSN (BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
/* if dst != imm (src) goto pc + 1 + off */
#define JNE_IMM(dst, imm, off) INSN (BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JNE_REG(dst, src, off) INSN (BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0)
#define JEQ_IMM(dst, imm, off) INSN (BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

/* ---- rules ---------------------------------------------------------- */

/* "*" is any; else a number the kernel's u32 fields can hold.  */
static int
parse_number (const char *s, size_t len, int64_t *out)
{
  char buf[24], *end;
  long long v;

  if (len == 1 && s[0] == '*')
    {
      *out = -1;
      return 0;
    }
  if (len == 0 || len >= sizeof (buf) || s[0] < '0' || s[0] > '9')
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  errno = 0;
  v = strtoll (buf, &end, 10);
  /* Compared as a sign-extended immediate: keep below 2^31.  */
  if (errno || *end || v < 0 || v > INT32_MAX)
    return -1;
  *out = v;
  return 0;
}

int
ocirt_cgroup_devices_rules_add (struct ocirt_dev_rules *r, bool allow, const char *text,
                                ocirt_error_t *err)
{
  struct ocirt_dev_rule rule = { .allow = allow, .major = -1, .minor = -1, .access = ACC_ALL };
  const char *p = text, *colon, *sp;

  if (text[0] != 'a' && text[0] != 'b' && text[0] != 'c')
    return ocirt_error_make (err, 0, "device rule `%s`: the type must be a, b or c", text);
  rule.type = text[0];
  p++;
  /* "a" alone is every device, with every access.  */
  if (*p == '\0' && rule.type == 'a')
    goto add;
  if (*p++ != ' ')
    return ocirt_error_make (err, 0, "device rule `%s`: expected `TYPE MAJOR:MINOR ACCESS`", text);
  colon = strchr (p, ':');
  sp = colon ? strchr (colon, ' ') : NULL;
  if (colon == NULL || sp == NULL || parse_number (p, colon - p, &rule.major) < 0
      || parse_number (colon + 1, sp - colon - 1, &rule.minor) < 0)
    return ocirt_error_make (err, 0, "device rule `%s`: invalid MAJOR:MINOR", text);
  rule.access = 0;
  for (p = sp + 1; *p; p++)
    switch (*p)
      {
      case 'r':
        rule.access |= BPF_DEVCG_ACC_READ;
        break;
      case 'w':
        rule.access |= BPF_DEVCG_ACC_WRITE;
        break;
      case 'm':
        rule.access |= BPF_DEVCG_ACC_MKNOD;
        break;
      default:
        return ocirt_error_make (err, 0, "device rule `%s`: access must be made of r, w and m", text);
      }
  if (rule.access == 0)
    return ocirt_error_make (err, 0, "device rule `%s`: no access given", text);
  /* v1 takes an "a" rule as all devices whatever else it says.  */
  if (rule.type == 'a')
    {
      rule.major = rule.minor = -1;
      rule.access = ACC_ALL;
    }
add:
  r->rules = realloc (r->rules, sizeof (*r->rules) * (r->n + 1));
  if (r->rules == NULL)
    abort ();
  r->rules[r->n++] = rule;
  return 0;
}

void
ocirt_cgroup_devices_rules_release (struct ocirt_dev_rules *r)
{
  free (r->rules);
  r->rules = NULL;
  r->n = 0;
}

/* ---- the program ---------------------------------------------------- */

static size_t
block_len (const struct ocirt_dev_rule *rule)
{
  return (rule->type != 'a') + (rule->access != ACC_ALL ? 3 : 0) + (rule->major >= 0)
         + (rule->minor >= 0) + 2;
}

int
ocirt_cgroup_devices_rules_to_bpf (const struct ocirt_dev_rules *r, struct bpf_insn **out, size_t *len,
                                   ocirt_error_t *err)
{
  struct bpf_insn *p;
  size_t i, first = 0, n = 8;
  bool dflt = true;

  /* An "a" rule overrides all before it, and is what no later rule
     matches: v1 starts from the parent's "allow all".  */
  for (i = r->n; i > 0; i--)
    if (r->rules[i - 1].type == 'a')
      {
        first = i;
        dflt = r->rules[i - 1].allow;
        break;
      }
  for (i = first; i < r->n; i++)
    n += block_len (&r->rules[i]);
  if (n > BPF_MAXINSNS)
    return ocirt_error_make (err, 0, "too many device rules (%zu instructions)", n);
  p = *out = xmalloc0 (n * sizeof (*p));
  /* r2 type, r3 access, r4 major, r5 minor.  */
  *p++ = LDX_W (BPF_REG_2, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type));
  *p++ = ALU32_IMM (BPF_AND, BPF_REG_2, 0xffff);
  *p++ = LDX_W (BPF_REG_3, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type));
  *p++ = ALU32_IMM (BPF_RSH, BPF_REG_3, 16);
  *p++ = LDX_W (BPF_REG_4, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, major));
  *p++ = LDX_W (BPF_REG_5, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, minor));
  /* The last rule first: the first match returns.  Each test jumps to
     the next rule's block when it fails.  */
  for (i = r->n; i > first; i--)
    {
      const struct ocirt_dev_rule *rule = &r->rules[i - 1];
      struct bpf_insn *end = p + block_len (rule);

      if (rule->type != 'a')
        {
          *p = JNE_IMM (BPF_REG_2, rule->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
          p->off = end - p - 1;
          p++;
        }
      if (rule->access != ACC_ALL)
        {
          /* An allow must cover every access asked for (O_RDWR is r and
             w); a deny refuses as soon as it names one of them.  */
          *p++ = MOV32_REG (BPF_REG_1, BPF_REG_3);
          *p++ = ALU32_IMM (BPF_AND, BPF_REG_1, (int32_t) rule->access);
          if (rule->allow)
            *p = JNE_REG (BPF_REG_1, BPF_REG_3, 0);
          else
            *p = JEQ_IMM (BPF_REG_1, 0, 0);
          p->off = end - p - 1;
          p++;
        }
      if (rule->major >= 0)
        {
          *p = JNE_IMM (BPF_REG_4, (int32_t) rule->major, 0);
          p->off = end - p - 1;
          p++;
        }
      if (rule->minor >= 0)
        {
          *p = JNE_IMM (BPF_REG_5, (int32_t) rule->minor, 0);
          p->off = end - p - 1;
          p++;
        }
      *p++ = MOV64_IMM (BPF_REG_0, rule->allow ? 1 : 0);
      *p++ = EXIT ();
    }
  *p++ = MOV64_IMM (BPF_REG_0, dflt ? 1 : 0);
  *p++ = EXIT ();
  *len = p - *out;
  return 0;
}

/* ---- the kernel ----------------------------------------------------- */

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return syscall (__NR_bpf, cmd, attr, sizeof (*attr));
}

int
ocirt_cgroup_devices_bpf_load (const struct bpf_insn *insns, size_t len, ocirt_error_t *err)
{
  static const char license[] = "GPL";
  cleanup_free char *log = NULL;
  union bpf_attr attr;
  int fd, saved, tries;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = len;
  attr.license = (uint64_t) (uintptr_t) license;
  /* The verifier may ask to be called again (EAGAIN).  */
  for (tries = 0; tries < 5; tries++)
    {
      fd = sys_bpf (BPF_PROG_LOAD, &attr);
      if (fd >= 0)
        return fd;
      if (errno != EAGAIN && errno != EINTR)
        break;
    }
  saved = errno;
  if (saved == EPERM || saved == ENOSYS)
    return ocirt_error_make (err, saved, "load the device cgroup program");
  /* Again with the verifier's log, for a message that says why.  */
  log = xmalloc0 (65536);
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = 65536;
  attr.log_level = 1;
  fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  log[strcspn (log, "\n")] = '\0';
  if (log[0])
    return ocirt_error_make (err, saved, "load the device cgroup program: verifier: %s", log);
  return ocirt_error_make (err, saved, "load the device cgroup program");
}

int
ocirt_cgroup_devices_bpf_apply (const struct ocirt_dev_rules *r, const char *path, ocirt_error_t *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  cleanup_close int prog = -1;
  cleanup_close int dir = -1;
  union bpf_attr attr;
  size_t len;

  if (ocirt_cgroup_devices_rules_to_bpf (r, &insns, &len, err) < 0)
    return -1;
  prog = ocirt_cgroup_devices_bpf_load (insns, len, err);
  if (prog < 0)
    return -1;
  dir = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return ocirt_error_make (err, errno, "open cgroup `%s`", path);
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = dir;
  attr.attach_bpf_fd = prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  /* The parents' programs keep applying as well.  */
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return ocirt_error_make (err, errno, "attach the device cgroup program to `%s`", path);
  ocirt_debug ("cgroup: device program of %zu instructions (%zu rules) attached to %s", len, r->n, path);
  return 0;
}
