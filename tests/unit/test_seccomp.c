/* Unit tests of seccomp.c: the name tables, the checks of linux.seccomp,
   and the BPF program built from it.  */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#endif

#include "libocirt/seccomp.h"
#include "libocirt/utils.h"
#include "oci_types.h"

static oci_spec *
parse (const char *seccomp_json)
{
  cleanup_free char *json = xasprintf ("{\"ociVersion\": \"1.0.0\", \"linux\": {\"seccomp\": %s}}",
                                       seccomp_json);
  char *perr = NULL;
  oci_spec *spec = oci_spec_parse_data (json, strlen (json), &perr);

  cr_assert_not_null (spec, "%s: %s", json, perr ? perr : "");
  return spec;
}

/* Prepare SECCOMP_JSON; returns the error message (malloc'd) or NULL.  */
static char *
prepare_error (const char *seccomp_json)
{
  oci_spec *spec = parse (seccomp_json);
  struct ocirt_seccomp *sc = NULL;
  ocirt_error_t err = NULL;
  char *msg = NULL;

  if (ocirt_seccomp_prepare (spec, "id", "/bundle", &sc, &err) < 0)
    {
      cr_assert_null (sc);
      msg = xstrdup (err->msg);
      ocirt_error_release (&err);
    }
  ocirt_seccomp_free (sc);
  free_oci_spec (spec);
  return msg;
}

/* valgrind does not emulate seccomp(2) (ENOSYS, and libseccomp then takes
   the kernel for one without filter notifications): what needs the kernel's
   seccomp API is skipped under tests/valgrind/run.sh.  */
static void
need_seccomp_syscall (void)
{
  if (getenv ("OCIRT_VALGRIND"))
    cr_skip_test ("valgrind does not emulate seccomp(2)");
}

static void
expect_error (const char *seccomp_json, const char *want)
{
  cleanup_free char *msg = prepare_error (seccomp_json);

  cr_assert_not_null (msg, "accepted: %s", seccomp_json);
  cr_assert (strstr (msg, want), "`%s` not in `%s`", want, msg);
}

Test (seccomp, no_seccomp_no_filter)
{
  char *perr = NULL;
  const char *json = "{\"ociVersion\": \"1.0.0\", \"linux\": {}}";
  oci_spec *spec = oci_spec_parse_data (json, strlen (json), &perr);
  struct ocirt_seccomp *sc = (void *) 1;
  ocirt_error_t err = NULL;

  cr_assert_eq (ocirt_seccomp_prepare (spec, "id", "/b", &sc, &err), 0);
  cr_assert_null (sc);
  cr_assert_eq (ocirt_seccomp_load (NULL, &err), 0);
  ocirt_seccomp_free (NULL);
  free_oci_spec (spec);
}

#ifdef HAVE_SECCOMP

Test (seccomp, actions)
{
  static const struct
  {
    const char *name;
    uint32_t want;
  } t[] = {
    { "SCMP_ACT_KILL", SCMP_ACT_KILL },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
    { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (EPERM) },
    { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (EPERM) },
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG },
    { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
  };
  ocirt_error_t err = NULL;
  uint32_t a;
  size_t i;

  for (i = 0; i < ARRAY_SIZE (t); i++)
    {
      cr_assert_eq (ocirt_seccomp_action (t[i].name, false, 0, &a, &err), 0, "%s", t[i].name);
      cr_assert_eq (a, t[i].want, "%s: %#x", t[i].name, a);
    }
  cr_assert_eq (ocirt_seccomp_action ("SCMP_ACT_ERRNO", true, ENOSYS, &a, &err), 0);
  cr_assert_eq (a, SCMP_ACT_ERRNO (ENOSYS));
  cr_assert_eq (ocirt_seccomp_action ("SCMP_ACT_ERRNO", true, 0, &a, &err), 0);
  cr_assert_eq (a, SCMP_ACT_ERRNO (0));
  cr_assert_eq (ocirt_seccomp_action ("SCMP_ACT_TRACE", true, 1234, &a, &err), 0);
  cr_assert_eq (a, SCMP_ACT_TRACE (1234));
}

Test (seccomp, bad_actions)
{
  ocirt_error_t err = NULL;
  uint32_t a;

  cr_assert_eq (ocirt_seccomp_action ("SCMP_ACT_KILL", true, 1, &a, &err), -1);
  cr_assert (strstr (err->msg, "takes no errno"), "%s", err->msg);
  ocirt_error_release (&err);
  cr_assert_eq (ocirt_seccomp_action ("SCMP_ACT_ALLOW", true, 0, &a, &err), -1);
  ocirt_error_release (&err);
  cr_assert_eq (ocirt_seccomp_action ("SCMP_ACT_ERRNO", true, 0x10000, &a, &err), -1);
  cr_assert (strstr (err->msg, "out of range"), "%s", err->msg);
  ocirt_error_release (&err);
  cr_assert_eq (ocirt_seccomp_action ("SCMP_ACT_MAYBE", false, 0, &a, &err), -1);
  cr_assert_str_eq (err->msg, "unknown action `SCMP_ACT_MAYBE`");
  ocirt_error_release (&err);
  /* Names are exact, as in libseccomp's header.  */
  cr_assert_eq (ocirt_seccomp_action ("scmp_act_allow", false, 0, &a, &err), -1);
  ocirt_error_release (&err);
  cr_assert_eq (ocirt_seccomp_action (NULL, false, 0, &a, &err), -1);
  ocirt_error_release (&err);
}

Test (seccomp, operators)
{
  static const struct
  {
    const char *name;
    int want;
  } t[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE },
    { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE },
    { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE },
    { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
  };
  ocirt_error_t err = NULL;
  size_t i;
  int op;

  for (i = 0; i < ARRAY_SIZE (t); i++)
    {
      cr_assert_eq (ocirt_seccomp_operator (t[i].name, &op, &err), 0, "%s", t[i].name);
      cr_assert_eq (op, t[i].want, "%s", t[i].name);
    }
  cr_assert_eq (ocirt_seccomp_operator ("SCMP_CMP_MASKED_NE", &op, &err), -1);
  cr_assert_str_eq (err->msg, "unknown operator `SCMP_CMP_MASKED_NE`");
  ocirt_error_release (&err);
}

Test (seccomp, architectures)
{
  static const char *const spec_names[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
  };
  ocirt_error_t err = NULL;
  uint32_t arch;
  size_t i;

  /* Every name of the spec is recognised.  */
  for (i = 0; i < ARRAY_SIZE (spec_names); i++)
    cr_assert_eq (ocirt_seccomp_arch (spec_names[i], &arch, &err), 0, "%s", spec_names[i]);
  cr_assert_eq (ocirt_seccomp_arch ("SCMP_ARCH_X86_64", &arch, &err), 0);
  cr_assert_eq (arch, SCMP_ARCH_X86_64);
  cr_assert_eq (ocirt_seccomp_arch ("SCMP_ARCH_X86", &arch, &err), 0);
  cr_assert_eq (arch, SCMP_ARCH_X86);
  cr_assert_eq (ocirt_seccomp_arch ("SCMP_ARCH_X32", &arch, &err), 0);
  cr_assert_eq (arch, SCMP_ARCH_X32);
  cr_assert_eq (ocirt_seccomp_arch ("SCMP_ARCH_AARCH64", &arch, &err), 0);
  cr_assert_eq (arch, SCMP_ARCH_AARCH64);
  cr_assert_eq (ocirt_seccomp_arch ("SCMP_ARCH_RISCV64", &arch, &err), 0);
  cr_assert_eq (arch, SCMP_ARCH_RISCV64);
#ifndef SCMP_ARCH_LOONGARCH64
  /* Known to the spec, not to this libseccomp.  */
  cr_assert_eq (ocirt_seccomp_arch ("SCMP_ARCH_LOONGARCH64", &arch, &err), 0);
  cr_assert_eq (arch, 0);
#endif
  cr_assert_eq (ocirt_seccomp_arch ("SCMP_ARCH_NATIVE", &arch, &err), -1);
  cr_assert_str_eq (err->msg, "unknown architecture `SCMP_ARCH_NATIVE`");
  ocirt_error_release (&err);
  cr_assert_eq (ocirt_seccomp_arch ("x86_64", &arch, &err), -1);
  ocirt_error_release (&err);
}

Test (seccomp, flags)
{
  ocirt_error_t err = NULL;
  unsigned int f;

  cr_assert_eq (ocirt_seccomp_flag ("SECCOMP_FILTER_FLAG_TSYNC", &f, &err), 0);
  cr_assert_eq (f, 1U << 0);
  cr_assert_eq (ocirt_seccomp_flag ("SECCOMP_FILTER_FLAG_LOG", &f, &err), 0);
  cr_assert_eq (f, 1U << 1);
  cr_assert_eq (ocirt_seccomp_flag ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", &f, &err), 0);
  cr_assert_eq (f, 1U << 2);
  cr_assert_eq (ocirt_seccomp_flag ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", &f, &err), 0);
  cr_assert_eq (f, 1U << 5);
  /* Set by the runtime itself, not by the config.  */
  cr_assert_eq (ocirt_seccomp_flag ("SECCOMP_FILTER_FLAG_NEW_LISTENER", &f, &err), -1);
  cr_assert_str_eq (err->msg, "unknown flag `SECCOMP_FILTER_FLAG_NEW_LISTENER`");
  ocirt_error_release (&err);

  /* The kernel here is newer than 4.14.  */
  need_seccomp_syscall ();
  cr_assert (ocirt_seccomp_flag_supported (1U << 0));
  cr_assert (ocirt_seccomp_flag_supported (1U << 1));
  cr_assert_not (ocirt_seccomp_flag_supported (1U << 30));
}

Test (seccomp, feature_names)
{
  const char *names[OCIRT_SECCOMP_NAMES_MAX];
  size_t n, known, i, j;

  cr_assert (ocirt_seccomp_enabled ());
  cr_assert_eq (ocirt_seccomp_names (OCIRT_SECCOMP_ACTIONS, names), 9);
  cr_assert_eq (ocirt_seccomp_names (OCIRT_SECCOMP_OPERATORS, names), 7);
  n = ocirt_seccomp_names (OCIRT_SECCOMP_ARCHS, names);
  cr_assert_geq (n, 19);
  for (i = 0; i < n; i++)
    {
      uint32_t arch;
      ocirt_error_t err = NULL;

      cr_assert_eq (ocirt_seccomp_arch (names[i], &arch, &err), 0);
      cr_assert_neq (arch, 0, "%s listed but cannot be filtered", names[i]);
    }
  known = ocirt_seccomp_names (OCIRT_SECCOMP_KNOWN_FLAGS, names);
  cr_assert_eq (known, 4);
  {
    const char *supported[OCIRT_SECCOMP_NAMES_MAX];

    n = ocirt_seccomp_names (OCIRT_SECCOMP_SUPPORTED_FLAGS, supported);
    cr_assert_leq (n, known);
    for (i = 0; i < n; i++)
      {
        for (j = 0; j < known && strcmp (supported[i], names[j]) != 0; j++)
          ;
        cr_assert_lt (j, known, "%s supported, not known", supported[i]);
      }
  }
}

static struct ocirt_seccomp *
prepare_ok (const char *seccomp_json, oci_spec **specp)
{
  struct ocirt_seccomp *sc = NULL;
  ocirt_error_t err = NULL;

  *specp = parse (seccomp_json);
  cr_assert_eq (ocirt_seccomp_prepare (*specp, "id", "/bundle", &sc, &err), 0, "%s: %s", seccomp_json,
                err ? err->msg : "");
  cr_assert_not_null (sc);
  return sc;
}

/* The program of SECCOMP_JSON, malloc'd, *LEN instructions.  */
static struct sock_filter *
program (const char *seccomp_json, size_t *len)
{
  oci_spec *spec;
  struct ocirt_seccomp *sc = prepare_ok (seccomp_json, &spec);
  const struct sock_filter *p = ocirt_seccomp_program (sc, len);
  struct sock_filter *copy;

  cr_assert_not_null (p);
  cr_assert_gt (*len, 0);
  copy = xmalloc0 (*len * sizeof (*copy));
  memcpy (copy, p, *len * sizeof (*copy));
  ocirt_seccomp_free (sc);
  free_oci_spec (spec);
  return copy;
}

static bool
same_program (const char *a, const char *b)
{
  size_t la, lb;
  cleanup_free struct sock_filter *pa = program (a, &la);
  cleanup_free struct sock_filter *pb = program (b, &lb);

  return la == lb && memcmp (pa, pb, la * sizeof (*pa)) == 0;
}

/* What libseccomp writes with seccomp_export_bpf for the same rules.  */
static size_t
libseccomp_export_len (void)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  FILE *f = tmpfile ();
  long size;

  cr_assert_not_null (ctx);
  cr_assert_not_null (f);
  cr_assert_eq (seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2), 0);
  cr_assert_eq (seccomp_arch_add (ctx, SCMP_ARCH_X86), 0);
  cr_assert_eq (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (mkdir), 0), 0);
  cr_assert_eq (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (mkdirat), 0), 0);
  cr_assert_eq (seccomp_rule_add (ctx, SCMP_ACT_KILL, SCMP_SYS (personality), 1,
                                  SCMP_A0 (SCMP_CMP_EQ, 8)),
                0);
  cr_assert_eq (seccomp_export_bpf (ctx, fileno (f)), 0);
  size = lseek (fileno (f), 0, SEEK_END);
  fclose (f);
  seccomp_release (ctx);
  return (size_t) size / sizeof (struct sock_filter);
}

#define SMALL                                                                                           \
  "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"],"                     \
  " \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\","               \
  " \"errnoRet\": 38}, {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_KILL\","                   \
  " \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]}]}"

Test (seccomp, small_program)
{
  size_t len;
  cleanup_free struct sock_filter *p = program (SMALL, &len);

  /* The same as libseccomp's own export of the same rules, as a tree.  */
  cr_assert_eq (len, libseccomp_export_len ());
  /* It starts by loading seccomp_data.arch.  */
  cr_assert_eq (p[0].code, BPF_LD | BPF_W | BPF_ABS);
  cr_assert_eq (p[0].k, 4);
}

Test (seccomp, program_changes_with_the_rules)
{
  cr_assert_not (same_program (SMALL, "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}"));
  cr_assert_not (same_program ("{\"defaultAction\": \"SCMP_ACT_ERRNO\"}",
                               "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38}"));
}

Test (seccomp, unknown_syscall_is_skipped)
{
  cr_assert (same_program ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                           "[\"mkdir\", \"no_such_syscall\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                           "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                           "[\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"));
  /* Nothing left at all: as good as no rule.  */
  cr_assert (same_program ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                           "[\"no_such_syscall\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                           "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}"));
}

Test (seccomp, rule_like_the_default_is_skipped)
{
  cr_assert (same_program ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, "
                           "\"syscalls\": [{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", "
                           "\"errnoRet\": 38}]}",
                           "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38}"));
  /* Another errno is another action.  */
  cr_assert_not (
      same_program ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", "
                    "\"syscalls\": [{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", "
                    "\"errnoRet\": 38}]}",
                    "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}"));
}

Test (seccomp, native_arch_is_always_there)
{
  /* Listing the native arch, or an arch this libseccomp lacks, changes
     nothing.  */
  cr_assert (same_program ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
                           "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_SHEB\"], \"syscalls\": [{\"names\": "
                           "[\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                           "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                           "[\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"));
}

Test (seccomp, same_index_twice_is_allowed)
{
  /* libseccomp alone refuses two comparisons of one argument in a rule.  */
  size_t len;
  cleanup_free struct sock_filter *p =
      program ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"personality\"], "
               "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 8, \"op\": "
               "\"SCMP_CMP_EQ\"}, {\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
               &len);

  cr_assert_gt (len, 0);
}

/* A classic-BPF interpreter for what libseccomp emits: returns the action
   for syscall NR on ARCH (arguments 0) and counts the instructions run.  */
static uint32_t
run_filter (const struct sock_filter *p, size_t len, uint32_t arch, int nr, size_t *steps)
{
  uint32_t data[16] = { 0 }; /* struct seccomp_data as 32-bit words */
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
  size_t pc = 0;

  data[0] = (uint32_t) nr;
  data[1] = arch;
  *steps = 0;
  while (pc < len)
    {
      const struct sock_filter *i = &p[pc++];
      uint32_t src = BPF_SRC (i->code) == BPF_X ? x : i->k;
      bool jump;

      ++*steps;
      switch (BPF_CLASS (i->code))
        {
        case BPF_LD:
          cr_assert_eq (i->code, BPF_LD | BPF_W | BPF_ABS, "unexpected load %#x", i->code);
          cr_assert (i->k % 4 == 0 && i->k / 4 < 16, "load at %u", i->k);
          a = data[i->k / 4];
          break;
        case BPF_LDX:
          cr_assert_eq (BPF_MODE (i->code), BPF_MEM, "unexpected ldx %#x", i->code);
          x = mem[i->k % BPF_MEMWORDS];
          break;
        case BPF_ST:
          mem[i->k % BPF_MEMWORDS] = a;
          break;
        case BPF_STX:
          mem[i->k % BPF_MEMWORDS] = x;
          break;
        case BPF_ALU:
          cr_assert_eq (BPF_OP (i->code), BPF_AND, "unexpected alu %#x", i->code);
          a &= src;
          break;
        case BPF_MISC:
          if (BPF_MISCOP (i->code) == BPF_TAX)
            x = a;
          else
            a = x;
          break;
        case BPF_RET:
          return BPF_RVAL (i->code) == BPF_A ? a : i->k;
        case BPF_JMP:
          if (BPF_OP (i->code) == BPF_JA)
            {
              pc += i->k;
              break;
            }
          switch (BPF_OP (i->code))
            {
            case BPF_JEQ:
              jump = a == src;
              break;
            case BPF_JGT:
              jump = a > src;
              break;
            case BPF_JGE:
              jump = a >= src;
              break;
            case BPF_JSET:
              jump = (a & src) != 0;
              break;
            default:
              cr_assert_fail ("unexpected jump %#x", i->code);
              return 0;
            }
          pc += jump ? i->jt : i->jf;
          break;
        default:
          cr_assert_fail ("unexpected instruction %#x", i->code);
        }
    }
  cr_assert_fail ("ran off the end of the program");
  return 0;
}

/* A profile the size of podman's: every syscall libseccomp knows allowed
   but every seventh, default errno 38.  The program must do what it says
   for each of them, on both architectures, and it must be a tree: few
   instructions for any syscall (a list takes hundreds for the last).  */
Test (seccomp, large_profile_is_a_tree)
{
  const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386 };
  const uint32_t scmp_arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86 };
  char *json = xstrdup ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, "
                        "\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"], "
                        "\"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\", \"names\": [");
  size_t len, steps, max_steps = 0, allowed = 0, n, a;
  struct sock_filter *p;
  bool first = true;
  int nr;

  for (nr = 0; nr < 460; nr++)
    {
      char *name = seccomp_syscall_resolve_num_arch (SCMP_ARCH_X86_64, nr);
      char *more;

      if (name && nr % 7 != 0)
        {
          more = xasprintf ("%s%s\"%s\"", json, first ? "" : ", ", name);
          free (json);
          json = more;
          first = false;
          allowed++;
        }
      free (name);
    }
  {
    char *more = xasprintf ("%s]}]}", json);

    free (json);
    json = more;
  }
  cr_assert_gt (allowed, 300);
  p = program (json, &len);
  for (a = 0; a < ARRAY_SIZE (arches); a++)
    for (nr = 0; nr < 460; nr++)
      {
        /* The same syscall by name on the other architecture.  */
        char *name = seccomp_syscall_resolve_num_arch (SCMP_ARCH_X86_64, nr);
        int other = name ? seccomp_syscall_resolve_name_arch (scmp_arches[a], name) : __NR_SCMP_ERROR;
        uint32_t want = (name && nr % 7 != 0) ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | 38;
        uint32_t got;

        free (name);
        if (other < 0)
          continue;
        got = run_filter (p, len, arches[a], other, &steps);
        /* Some numbers name two syscalls on i386: only the x86_64 one is checked there.  */
        if (a == 0)
          cr_assert_eq (got, want, "syscall %d: action %#x, want %#x", other, got, want);
        else
          cr_assert (got == SECCOMP_RET_ALLOW || got == (SECCOMP_RET_ERRNO | 38),
                     "syscall %d on i386: %#x", other, got);
        if (steps > max_steps)
          max_steps = steps;
      }
  n = run_filter (p, len, AUDIT_ARCH_AARCH64, 0, &steps);
  cr_assert (n == SECCOMP_RET_KILL_THREAD || n == SECCOMP_RET_KILL_PROCESS, "another architecture: %#zx",
             n);
  cr_assert_lt (max_steps, 64, "%zu instructions for one syscall: not a tree", max_steps);
  free (p);
  free (json);
}

Test (seccomp, bad_profiles)
{
  expect_error ("{\"defaultAction\": \"SCMP_ACT_FOO\"}",
                "config.json: linux.seccomp.defaultAction: unknown action `SCMP_ACT_FOO`");
  expect_error (
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
      "\"action\": \"SCMP_ACT_ERRNO\"}, {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_BAR\"}]}",
      "config.json: linux.seccomp.syscalls[1]: unknown action `SCMP_ACT_BAR`");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}", "takes no errno");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                "\"action\": \"SCMP_ACT_LOG\", \"errnoRet\": 1}]}",
                "syscalls[0]: action SCMP_ACT_LOG takes no errno");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, "
                "\"op\": \"SCMP_CMP_XX\"}]}]}",
                "syscalls[0].args[0]: unknown operator `SCMP_CMP_XX`");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, "
                "\"op\": \"SCMP_CMP_EQ\"}]}]}",
                "syscalls[0].args[0]: index 6 is not 0 to 5");
  /* Checked even when the rule would be dropped.  */
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, "
                "\"op\": \"SCMP_CMP_XX\"}]}]}",
                "unknown operator");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}",
                "config.json: linux.seccomp.architectures: unknown architecture `SCMP_ARCH_Z80`");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_X\"]}",
                "config.json: linux.seccomp.flags: unknown flag `SECCOMP_FILTER_FLAG_X`");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": \"m\"}",
                "listenerMetadata is set without listenerPath");
  need_seccomp_syscall ();
  expect_error ("{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/x\"}",
                "cannot be the default action");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
                "SCMP_ACT_NOTIFY is used but listenerPath is not set");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/x\", \"syscalls\": "
                "[{\"names\": [\"close\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                "cannot be used for `close`");
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], "
                "\"action\": \"SCMP_ACT_NOTIFY\"}], \"listenerPath\": \"/nonexistent/agent.sock\"}",
                "connect to the seccomp listener `/nonexistent/agent.sock`");
}

/* As crun: the listener is connected even with no SCMP_ACT_NOTIFY rule.  */
Test (seccomp, listener_path_alone_is_connected)
{
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/nonexistent/agent.sock\"}",
                "connect to the seccomp listener `/nonexistent/agent.sock`");
}

/* The program does what it says once installed (in a child: filters stay
   for the life of a process).  */
Test (seccomp, load_in_a_child)
{
  need_seccomp_syscall ();

  oci_spec *spec;
  struct ocirt_seccomp *sc = prepare_ok (
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], "
      "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}, {\"names\": [\"personality\"], "
      "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 7, \"args\": [{\"index\": 0, \"value\": 8, "
      "\"op\": \"SCMP_CMP_EQ\"}]}]}",
      &spec);
  char dir[] = "/tmp/ocirt-seccomp-XXXXXX";
  int status;
  pid_t pid;

  cr_assert_not_null (mkdtemp (dir));
  pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      ocirt_error_t err = NULL;
      char path[64];

      snprintf (path, sizeof (path), "%s/sub", dir);
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        _exit (10);
      if (ocirt_seccomp_load (sc, &err) < 0)
        _exit (11);
      /* Twice is once.  */
      if (ocirt_seccomp_load (sc, &err) < 0)
        _exit (12);
      if (mkdir (path, 0755) == 0 || errno != ENOSYS)
        _exit (13);
      if (personality (PER_LINUX32) != -1 || errno != E2BIG)
        _exit (14);
      /* Another value: allowed (0xffffffff only queries).  */
      if (personality (0xffffffff) == -1)
        _exit (15);
      _exit (0);
    }
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status), "status %#x", status);
  cr_assert_eq (WEXITSTATUS (status), 0);
  cr_assert_eq (rmdir (dir), 0, "the directory was made: %s", strerror (errno));
  ocirt_seccomp_free (sc);
  free_oci_spec (spec);
}

#else /* !HAVE_SECCOMP */

Test (seccomp, no_support)
{
  expect_error ("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}",
                "seccomp requested but this build has no seccomp support");
  cr_assert_not (ocirt_seccomp_enabled ());
}

#endif
