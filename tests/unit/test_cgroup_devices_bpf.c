/* Unit tests of the cgroup v2 device program: v1 rule text into rules,
   rules into instructions.  The programs are run by a small interpreter
   of the few instructions the generator emits (the kernel has no test run
   for BPF_PROG_TYPE_CGROUP_DEVICE), and given to the kernel's verifier
   when the test may load programs.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libocirt/cgroup_devices_bpf.h"

#define B BPF_DEVCG_DEV_BLOCK
#define C BPF_DEVCG_DEV_CHAR
#define M BPF_DEVCG_ACC_MKNOD
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE

/* Run PROG on one request; the verdict, or -1 on an instruction the
   generator should not have emitted.  */
static int
run (const struct bpf_insn *prog, size_t len, uint32_t type, uint32_t access, uint32_t major,
     uint32_t minor)
{
  struct bpf_cgroup_dev_ctx ctx = { (access << 16) | type, major, minor };
  uint64_t reg[11] = { 0 };
  size_t pc = 0, steps;

  for (steps = 0; pc < len && steps < 4096; steps++)
    {
      const struct bpf_insn *i = &prog[pc++];
      uint64_t *d = &reg[i->dst_reg];
      uint32_t v;

      switch (i->code)
        {
        case BPF_LDX | BPF_W | BPF_MEM:
          cr_assert_eq (i->src_reg, BPF_REG_1);
          cr_assert (i->off >= 0 && i->off + 4 <= (int) sizeof (ctx) && i->off % 4 == 0);
          memcpy (&v, (char *) &ctx + i->off, 4);
          *d = v;
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          *d = (uint32_t) (*d & (uint32_t) i->imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          *d = (uint32_t) *d >> i->imm;
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          *d = (uint32_t) reg[i->src_reg];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          *d = (uint64_t) (int64_t) i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
          if (*d != (uint64_t) (int64_t) i->imm)
            pc += i->off;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          if (*d == (uint64_t) (int64_t) i->imm)
            pc += i->off;
          break;
        case BPF_JMP | BPF_JNE | BPF_X:
          if (*d != reg[i->src_reg])
            pc += i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int) reg[0];
        default:
          return -1;
        }
    }
  cr_assert_fail ("the program ran off its end or looped");
  return -1;
}

struct prog
{
  struct bpf_insn *insns;
  size_t len;
};

static struct prog
build (const char *const *rules)
{
  struct ocirt_dev_rules r = { NULL, 0 };
  ocirt_error_t err = NULL;
  struct prog p;
  size_t i;

  for (i = 0; rules[i]; i++)
    {
      bool allow = rules[i][0] == '+';

      if (ocirt_cgroup_devices_rules_add (&r, allow, rules[i] + 1, &err) < 0)
        cr_assert_fail ("%s: %s", rules[i], err->msg);
    }
  if (ocirt_cgroup_devices_rules_to_bpf (&r, &p.insns, &p.len, &err) < 0)
    cr_assert_fail ("%s", err->msg);
  ocirt_cgroup_devices_rules_release (&r);
  return p;
}

/* The kernel's verifier must take it, where we may load programs.  */
static void
verify (const struct prog *p)
{
  ocirt_error_t err = NULL;
  int fd;

  if (geteuid () != 0)
    return;
  fd = ocirt_cgroup_devices_bpf_load (p->insns, p->len, &err);
  if (fd < 0 && (err->status == EPERM || err->status == ENOSYS))
    {
      ocirt_error_release (&err);
      return;
    }
  cr_assert (fd >= 0, "%s", fd < 0 ? err->msg : "");
  close (fd);
}

/* runc's default: deny all, then the default allow list.  */
static const char *const defaults[] = {
  "-a",         "+c *:* m",   "+b *:* m",   "+c 1:3 rwm",   "+c 1:5 rwm",    "+c 1:7 rwm", "+c 1:8 rwm",
  "+c 1:9 rwm", "+c 5:0 rwm", "+c 5:2 rwm", "+c 136:* rwm", "+c 10:200 rwm", NULL,
};

Test (devices_bpf, default_list)
{
  struct prog p = build (defaults);

  verify (&p);
  /* /dev/null, /dev/zero, ptys, tun */
  cr_assert_eq (run (p.insns, p.len, C, R | W, 1, 3), 1);
  cr_assert_eq (run (p.insns, p.len, C, R, 1, 5), 1);
  cr_assert_eq (run (p.insns, p.len, C, W, 136, 4), 1);
  cr_assert_eq (run (p.insns, p.len, C, R | W, 10, 200), 1);
  /* mknod of anything, opening is another matter */
  cr_assert_eq (run (p.insns, p.len, B, M, 8, 0), 1);
  cr_assert_eq (run (p.insns, p.len, C, M, 1, 1), 1);
  cr_assert_eq (run (p.insns, p.len, B, R, 8, 0), 0);
  cr_assert_eq (run (p.insns, p.len, C, R, 1, 1), 0);
  cr_assert_eq (run (p.insns, p.len, C, W, 1, 1), 0);
  cr_assert_eq (run (p.insns, p.len, C, R, 10, 201), 0);
  cr_assert_eq (run (p.insns, p.len, B, R, 1, 3), 0);
  /* not the host's console */
  cr_assert_eq (run (p.insns, p.len, C, R | W, 5, 1), 0);
  free (p.insns);
}

Test (devices_bpf, later_rule_wins)
{
  static const char *const rules[] = { "-a", "+b 8:* rw", "-b 8:0 w", NULL };
  static const char *const back[] = { "-a", "-b 8:0 w", "+b 8:* rw", NULL };
  struct prog p = build (rules), q = build (back);

  verify (&p);
  cr_assert_eq (run (p.insns, p.len, B, R, 8, 0), 1);
  cr_assert_eq (run (p.insns, p.len, B, W, 8, 0), 0);
  cr_assert_eq (run (p.insns, p.len, B, R | W, 8, 0), 0);
  cr_assert_eq (run (p.insns, p.len, B, W, 8, 1), 1);
  cr_assert_eq (run (p.insns, p.len, B, M, 8, 1), 0);
  cr_assert_eq (run (p.insns, p.len, C, R, 8, 1), 0);
  /* the other way round the allow covers the deny */
  cr_assert_eq (run (q.insns, q.len, B, W, 8, 0), 1);
  free (p.insns);
  free (q.insns);
}

Test (devices_bpf, access_is_a_subset)
{
  static const char *const rules[] = { "-a", "+c 1:1 r", NULL };
  struct prog p = build (rules);

  cr_assert_eq (run (p.insns, p.len, C, R, 1, 1), 1);
  /* O_RDWR asks for both: r alone is not enough */
  cr_assert_eq (run (p.insns, p.len, C, R | W, 1, 1), 0);
  cr_assert_eq (run (p.insns, p.len, C, M, 1, 1), 0);
  free (p.insns);
}

Test (devices_bpf, deny_takes_any_access_named)
{
  static const char *const rules[] = { "-a", "+c 1:1 rw", "-c 1:1 w", NULL };
  struct prog p = build (rules);

  verify (&p);
  cr_assert_eq (run (p.insns, p.len, C, R, 1, 1), 1);
  cr_assert_eq (run (p.insns, p.len, C, W, 1, 1), 0);
  cr_assert_eq (run (p.insns, p.len, C, R | W, 1, 1), 0);
  free (p.insns);
}

Test (devices_bpf, allow_by_default)
{
  /* No "a" rule: what v1's parent allows (everything) stays allowed.  */
  static const char *const rules[] = { "-c 1:1 rwm", "-b *:* w", NULL };
  struct prog p = build (rules);

  verify (&p);
  cr_assert_eq (run (p.insns, p.len, C, R, 1, 1), 0);
  cr_assert_eq (run (p.insns, p.len, C, R, 1, 3), 1);
  cr_assert_eq (run (p.insns, p.len, B, W, 8, 0), 0);
  cr_assert_eq (run (p.insns, p.len, B, R, 8, 0), 1);
  free (p.insns);
}

Test (devices_bpf, a_rule_overrides_what_came_before)
{
  static const char *const rules[] = { "-c 1:1 rwm", "-a", "+c 1:3 rw", "+a", "-c 1:9 rwm", NULL };
  struct prog p = build (rules);

  verify (&p);
  /* only the last "a" and what follows it are in the program */
  cr_assert_eq (p.len, 6 + 1 + 1 + 1 + 2 + 2);
  cr_assert_eq (run (p.insns, p.len, C, R, 1, 1), 1);
  cr_assert_eq (run (p.insns, p.len, C, R, 1, 9), 0);
  cr_assert_eq (run (p.insns, p.len, B, W, 8, 0), 1);
  free (p.insns);
}

Test (devices_bpf, structure)
{
  static const char *const rules[] = { "-a", "+c 1:3 rw", NULL };
  struct prog p = build (rules);

  /* 6 loads, one block of type, access (3), major, minor, verdict (2),
     then the default deny */
  cr_assert_eq (p.len, 6 + 1 + 3 + 1 + 1 + 2 + 2);
  cr_assert_eq (p.insns[6].code, BPF_JMP | BPF_JNE | BPF_K);
  cr_assert_eq (p.insns[6].imm, BPF_DEVCG_DEV_CHAR);
  cr_assert_eq (p.insns[6].off, 7);
  cr_assert_eq (p.insns[8].imm, R | W);
  cr_assert_eq (p.insns[10].imm, 1);
  cr_assert_eq (p.insns[11].imm, 3);
  cr_assert_eq (p.insns[12].code, BPF_ALU64 | BPF_MOV | BPF_K);
  cr_assert_eq (p.insns[12].imm, 1);
  cr_assert_eq (p.insns[14].imm, 0);
  cr_assert_eq (p.insns[15].code, BPF_JMP | BPF_EXIT);
  free (p.insns);
}

Test (devices_bpf, bad_rules)
{
  static const char *const bad[] = { "x 1:3 rwm", "c 1:3",      "c 1-3 rwm",
                                     "c 1:3 rwx", "c -1:3 rwm", "c 1:4294967296 rwm",
                                     "c :3 rwm",  "c 1:3 ",     NULL };
  struct ocirt_dev_rules r = { NULL, 0 };
  size_t i;

  for (i = 0; bad[i]; i++)
    {
      ocirt_error_t err = NULL;

      cr_assert_eq (ocirt_cgroup_devices_rules_add (&r, true, bad[i], &err), -1, "%s", bad[i]);
      cr_assert (strstr (err->msg, bad[i]) != NULL, "%s", err->msg);
      ocirt_error_release (&err);
    }
  cr_assert_eq (r.n, 0);
}

Test (devices_bpf, kernel_refusal_is_explained)
{
  /* r0 is never set: the verifier says so.  */
  struct bpf_insn prog[] = { { .code = BPF_JMP | BPF_EXIT } };
  ocirt_error_t err = NULL;

  if (geteuid () != 0)
    cr_skip_test ("needs root to load programs");
  cr_assert_eq (ocirt_cgroup_devices_bpf_load (prog, 1, &err), -1);
  if (err->status == EPERM || err->status == ENOSYS)
    cr_skip_test ("the kernel loads no programs here: %s", err->msg);
  cr_assert_eq (err->status, EACCES, "%s", err->msg);
  cr_assert (strstr (err->msg, "verifier: ") != NULL, "%s", err->msg);
  ocirt_error_release (&err);
}
