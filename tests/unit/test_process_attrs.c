/* Unit tests of the process attributes that need no kernel: the name
   tables of the runtime-spec constants, the CPU and node list parser, and
   the checks made before anything is created.  */
#include <criterion/criterion.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/personality.h>

#include "libocirt/process_attrs.h"
#include "libocirt/utils.h"

#define NBITS 256
#define WORDS (NBITS / (8 * sizeof (unsigned long)))

static bool
bit (const unsigned long *bits, unsigned i)
{
  return (bits[i / (8 * sizeof (unsigned long))] >> (i % (8 * sizeof (unsigned long)))) & 1;
}

/* The ids set in BITS as a list "a,b,c".  */
static char *
ids_of (const unsigned long *bits)
{
  static char buf[1024];
  size_t n = 0;
  unsigned i;

  buf[0] = '\0';
  for (i = 0; i < NBITS; i++)
    if (bit (bits, i))
      n += snprintf (buf + n, sizeof (buf) - n, "%s%u", n ? "," : "", i);
  return buf;
}

/* ---- name tables ---------------------------------------------------- */

Test (names, sched_policies)
{
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_OTHER"), SCHED_OTHER);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_FIFO"), SCHED_FIFO);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_RR"), SCHED_RR);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_BATCH"), SCHED_BATCH);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_ISO"), 4);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_IDLE"), SCHED_IDLE);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_DEADLINE"), 6);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_NORMAL"), -1);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("sched_fifo"), -1);
  cr_assert_eq (ocirt_process_attrs_sched_policy ("SCHED_FIFO "), -1);
  cr_assert_eq (ocirt_process_attrs_sched_policy (""), -1);
  cr_assert_eq (ocirt_process_attrs_sched_policy (NULL), -1);
}

Test (names, sched_flags)
{
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_FLAG_RESET_ON_FORK"), 0x01);
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_FLAG_RECLAIM"), 0x02);
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_FLAG_DL_OVERRUN"), 0x04);
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_FLAG_KEEP_POLICY"), 0x08);
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_FLAG_KEEP_PARAMS"), 0x10);
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_FLAG_UTIL_CLAMP_MIN"), 0x20);
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_FLAG_UTIL_CLAMP_MAX"), 0x40);
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_FLAG_UTIL_CLAMP"), -1);
  cr_assert_eq (ocirt_process_attrs_sched_flag ("SCHED_RESET_ON_FORK"), -1);
}

Test (names, ioprio_classes)
{
  cr_assert_eq (ocirt_process_attrs_ioprio_class ("IOPRIO_CLASS_RT"), 1);
  cr_assert_eq (ocirt_process_attrs_ioprio_class ("IOPRIO_CLASS_BE"), 2);
  cr_assert_eq (ocirt_process_attrs_ioprio_class ("IOPRIO_CLASS_IDLE"), 3);
  cr_assert_eq (ocirt_process_attrs_ioprio_class ("IOPRIO_CLASS_NONE"), -1);
  cr_assert_eq (ocirt_process_attrs_ioprio_class ("RT"), -1);
}

Test (names, mempolicy_modes_and_flags)
{
  cr_assert_eq (ocirt_process_attrs_mempolicy_mode ("MPOL_DEFAULT"), 0);
  cr_assert_eq (ocirt_process_attrs_mempolicy_mode ("MPOL_PREFERRED"), 1);
  cr_assert_eq (ocirt_process_attrs_mempolicy_mode ("MPOL_BIND"), 2);
  cr_assert_eq (ocirt_process_attrs_mempolicy_mode ("MPOL_INTERLEAVE"), 3);
  cr_assert_eq (ocirt_process_attrs_mempolicy_mode ("MPOL_LOCAL"), 4);
  cr_assert_eq (ocirt_process_attrs_mempolicy_mode ("MPOL_PREFERRED_MANY"), 5);
  cr_assert_eq (ocirt_process_attrs_mempolicy_mode ("MPOL_WEIGHTED_INTERLEAVE"), 6);
  cr_assert_eq (ocirt_process_attrs_mempolicy_mode ("MPOL_MAX"), -1);
  cr_assert_eq (ocirt_process_attrs_mempolicy_flag ("MPOL_F_NUMA_BALANCING"), 1 << 13);
  cr_assert_eq (ocirt_process_attrs_mempolicy_flag ("MPOL_F_RELATIVE_NODES"), 1 << 14);
  cr_assert_eq (ocirt_process_attrs_mempolicy_flag ("MPOL_F_STATIC_NODES"), 1 << 15);
  cr_assert_eq (ocirt_process_attrs_mempolicy_flag ("MPOL_F_NODE"), -1);
}

Test (names, personality_domains)
{
  cr_assert_eq (ocirt_process_attrs_personality_domain ("LINUX"), PER_LINUX);
  cr_assert_eq (ocirt_process_attrs_personality_domain ("LINUX32"), PER_LINUX32);
  cr_assert_eq (ocirt_process_attrs_personality_domain ("LINUX64"), -1);
  cr_assert_eq (ocirt_process_attrs_personality_domain ("linux"), -1);
}

/* ---- id lists ------------------------------------------------------- */

static void
assert_list (const char *list, int count, const char *ids)
{
  unsigned long bits[WORDS];

  memset (bits, 0xff, sizeof (bits));
  cr_assert_eq (ocirt_process_attrs_parse_id_list (list, bits, NBITS), count, "`%s`: count", list);
  cr_assert_str_eq (ids_of (bits), ids, "`%s`", list);
}

static void
assert_bad_list (const char *list)
{
  unsigned long bits[WORDS];

  cr_assert_eq (ocirt_process_attrs_parse_id_list (list, bits, NBITS), -1, "`%s` should be refused",
                list);
}

Test (id_list, single_ids_and_ranges)
{
  assert_list ("0", 1, "0");
  assert_list ("7", 1, "7");
  assert_list ("0-3,7", 5, "0,1,2,3,7");
  assert_list ("0-1,3", 3, "0,1,3");
  assert_list ("2-2", 1, "2");
  assert_list ("5,1,3", 3, "1,3,5");
  assert_list ("007", 1, "7");
  assert_list ("63,64,65", 3, "63,64,65");
  assert_list ("255", 1, "255");
}

Test (id_list, whole_range)
{
  unsigned long bits[WORDS];
  size_t i;

  cr_assert_eq (ocirt_process_attrs_parse_id_list ("0-255", bits, NBITS), 256);
  for (i = 0; i < WORDS; i++)
    cr_assert_eq (bits[i], ~0UL);
}

Test (id_list, overlaps_count_once)
{
  assert_list ("1,1", 1, "1");
  assert_list ("0-3,2-5", 6, "0,1,2,3,4,5");
}

Test (id_list, empty_is_the_empty_set) { assert_list ("", 0, ""); }

Test (id_list, malformed)
{
  const char *bad[] = { ",",    "0,", ",0",  "0,,1", "-",  "-1",  "0-",    "1-0", "0-1-2", " 0", "0 ",
                        "0, 1", "+1", "0x1", "a",    "1a", "0:1", "0-3:2", "1.5", "0\n",   "\t1" };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (bad); i++)
    assert_bad_list (bad[i]);
}

Test (id_list, ids_beyond_the_bitmap)
{
  assert_bad_list ("256");
  assert_bad_list ("0-256");
  assert_bad_list ("255,256");
  assert_bad_list ("99999999999999999999999999");
  assert_bad_list ("0-99999999999999999999999999");
}

Test (id_list, cleared_first)
{
  unsigned long bits[WORDS];

  memset (bits, 0xff, sizeof (bits));
  cr_assert_eq (ocirt_process_attrs_parse_id_list ("3", bits, NBITS), 1);
  cr_assert_str_eq (ids_of (bits), "3");
}

/* ---- validation ----------------------------------------------------- */

static char *
validate_process (oci_process *p)
{
  ocirt_error_t err = NULL;
  char *msg = NULL;

  if (ocirt_process_attrs_validate (p, &err) < 0)
    {
      msg = xstrdup (err->msg);
      ocirt_error_release (&err);
    }
  return msg;
}

static char *
validate_linux (oci_linux *l)
{
  ocirt_error_t err = NULL;
  char *msg = NULL;

  if (ocirt_process_attrs_validate_linux (l, &err) < 0)
    {
      msg = xstrdup (err->msg);
      ocirt_error_release (&err);
    }
  return msg;
}

Test (validate, nothing_set_is_valid)
{
  oci_process p = { 0 };
  oci_linux l = { 0 };

  cr_assert_null (validate_process (&p));
  cr_assert_null (validate_linux (&l));
  cr_assert_null (validate_linux (NULL));
}

Test (validate, scheduler)
{
  oci_scheduler s = { .policy = "SCHED_FIFO", .priority = 50, .priority_present = true };
  oci_process p = { .scheduler = &s };
  char *flags[] = { "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_BOGUS" };
  cleanup_free char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL, *m5 = NULL, *m6 = NULL;

  cr_assert_null (validate_process (&p));
  s.priority = 0;
  m1 = validate_process (&p);
  cr_assert (m1 && strstr (m1, "process.scheduler.priority 0"), "%s", m1);
  s.policy = "SCHED_OTHER";
  s.nice = -20;
  cr_assert_null (validate_process (&p));
  s.nice = 20;
  m2 = validate_process (&p);
  cr_assert (m2 && strstr (m2, "process.scheduler.nice 20"), "%s", m2);
  s.nice = 0;
  s.flags = flags;
  s.flags_len = 1;
  cr_assert_null (validate_process (&p));
  s.flags_len = 2;
  m3 = validate_process (&p);
  cr_assert (m3 && strstr (m3, "SCHED_FLAG_BOGUS"), "%s", m3);
  s.flags_len = 0;
  s.policy = "SCHED_DEADLINE";
  s.runtime = 1000000;
  s.deadline = 2000000;
  cr_assert_null (validate_process (&p));
  s.period = 1000000;
  m4 = validate_process (&p);
  cr_assert (m4 && strstr (m4, "SCHED_DEADLINE"), "%s", m4);
  s.policy = "SCHED_BATCH";
  m5 = validate_process (&p);
  cr_assert (m5 && strstr (m5, "only for SCHED_DEADLINE"), "%s", m5);
  s.policy = "SCHED_NONE";
  m6 = validate_process (&p);
  cr_assert (m6 && strstr (m6, "`SCHED_NONE`"), "%s", m6);
}

Test (validate, keep_policy_skips_the_policy_checks)
{
  char *flags[] = { "SCHED_FLAG_KEEP_POLICY" };
  oci_scheduler s = { .policy = "SCHED_OTHER", .priority = 10, .flags = flags, .flags_len = 1 };
  oci_process p = { .scheduler = &s };

  cr_assert_null (validate_process (&p));
}

Test (validate, io_priority)
{
  oci_io_priority io = { .class_ = "IOPRIO_CLASS_RT", .priority = 7 };
  oci_process p = { .io_priority = &io };
  cleanup_free char *m1 = NULL, *m2 = NULL;

  cr_assert_null (validate_process (&p));
  io.priority = 8;
  m1 = validate_process (&p);
  cr_assert (m1 && strstr (m1, "process.ioPriority.priority 8"), "%s", m1);
  io.priority = 0;
  io.class_ = "IOPRIO_CLASS_NONE";
  m2 = validate_process (&p);
  cr_assert (m2 && strstr (m2, "`IOPRIO_CLASS_NONE`"), "%s", m2);
}

Test (validate, exec_cpu_affinity)
{
  oci_exec_cpu_affinity a = { .initial = "0-1", .final = "" };
  oci_process p = { .exec_cpu_affinity = &a };
  cleanup_free char *m1 = NULL;

  cr_assert_null (validate_process (&p));
  a.final = "1,";
  m1 = validate_process (&p);
  cr_assert (m1 && strstr (m1, "process.execCPUAffinity.final `1,`"), "%s", m1);
}

Test (validate, personality)
{
  char *flags[] = { "ADDR_NO_RANDOMIZE" };
  oci_personality pe = { .domain = "LINUX32" };
  oci_linux l = { .personality = &pe };
  cleanup_free char *m1 = NULL;

  cr_assert_null (validate_linux (&l));
  pe.flags = flags;
  pe.flags_len = 1;
  m1 = validate_linux (&l);
  cr_assert (m1 && strstr (m1, "ADDR_NO_RANDOMIZE"), "%s", m1);
}

Test (validate, memory_policy)
{
  char *flags[] = { "MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES" };
  oci_memory_policy mp = { .mode = "MPOL_BIND", .nodes = "0-1" };
  oci_linux l = { .memory_policy = &mp };
  cleanup_free char *m1 = NULL, *m2 = NULL, *m3 = NULL, *m4 = NULL;

  cr_assert_null (validate_linux (&l));
  mp.flags = flags;
  mp.flags_len = 1;
  cr_assert_null (validate_linux (&l));
  mp.flags_len = 2;
  m1 = validate_linux (&l);
  cr_assert (m1 && strstr (m1, "exclude"), "%s", m1);
  mp.flags_len = 0;
  mp.nodes = "";
  m2 = validate_linux (&l);
  cr_assert (m2 && strstr (m2, "needs at least one node"), "%s", m2);
  mp.mode = "MPOL_LOCAL";
  cr_assert_null (validate_linux (&l));
  mp.nodes = "0";
  m3 = validate_linux (&l);
  cr_assert (m3 && strstr (m3, "takes no nodes"), "%s", m3);
  mp.mode = "MPOL_PREFERRED";
  mp.nodes = NULL;
  cr_assert_null (validate_linux (&l));
  mp.nodes = "1024";
  m4 = validate_linux (&l);
  cr_assert (m4 && strstr (m4, "`1024`"), "%s", m4);
}
