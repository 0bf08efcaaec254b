#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "exe_remap.h"
#include "utils.h"

/* The loadable segments of the program itself: more than four would be
   a binary this code was not written for.  */
#define MAX_SEGMENTS 8

struct exe_segment
{
  uintptr_t start;
  size_t len;
  off_t offset;
  int prot;
  bool writable; /* its pages hold the program's data, not the file's */
};

struct exe_layout
{
  struct exe_segment seg[MAX_SEGMENTS];
  size_t n;
  uintptr_t relro_start, relro_end; /* made read-only after relocation */
  bool too_many;
};

static uintptr_t
page_down (uintptr_t addr, uintptr_t page)
{
  return addr & ~(page - 1);
}

static int
segment_prot (ElfW (Word) flags)
{
  return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0)
         | ((flags & PF_X) ? PROT_EXEC : 0);
}

/* The file-backed part of each PT_LOAD segment as the kernel mapped it:
   from the page of its start to the page after its file end (the zero
   pages past that are anonymous).  The first object dl_iterate_phdr
   reports is the program.  */
static int
collect_segments (struct dl_phdr_info *info, size_t size, void *data)
{
  uintptr_t page = (uintptr_t) sysconf (_SC_PAGESIZE);
  struct exe_layout *l = data;
  ElfW (Half) i;

  (void) size;
  for (i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *ph = &info->dlpi_phdr[i];
      uintptr_t start = info->dlpi_addr + ph->p_vaddr;

      if (ph->p_type == PT_GNU_RELRO)
        {
          /* As the dynamic loader protects it: whole pages inside.  */
          l->relro_start = page_down (start, page);
          l->relro_end = page_down (start + ph->p_memsz, page);
        }
      if (ph->p_type != PT_LOAD || ph->p_filesz == 0)
        continue;
      if (l->n == MAX_SEGMENTS)
        {
          l->too_many = true;
          break;
        }
      l->seg[l->n++] = (struct exe_segment){
        .start = page_down (start, page),
        .len = page_down (start + ph->p_filesz + page - 1, page) - page_down (start, page),
        .offset = (off_t) page_down (ph->p_offset, page),
        .prot = segment_prot (ph->p_flags),
        .writable = (ph->p_flags & PF_W) != 0,
      };
    }
  return 1;
}

/* A copy with the kernel rather than memcpy: the data segment holds
   what a sanitizer's memcpy would refuse to read (its poisoned red zones
   between globals).  */
static int
copy_pages (void *dst, const void *src, size_t len)
{
  struct iovec local = { .iov_base = dst, .iov_len = len };
  struct iovec remote = { .iov_base = (void *) src, .iov_len = len };
  ssize_t n = syscall (SYS_process_vm_readv, getpid (), &local, 1UL, &remote, 1UL, 0UL);

  if (n < 0)
    return -1;
  if ((size_t) n != len)
    {
      errno = EIO;
      return -1;
    }
  return 0;
}

/* Replace SEG by the same range of VIEW: the new pages are prepared
   aside (with the segment's current data if it is writable) and moved
   over the old ones in one mremap, so the code and data stay usable
   throughout.  */
static int
remap_segment (const struct exe_layout *l, const struct exe_segment *seg, int view, ocirt_error_t *err)
{
  int prot = seg->writable ? PROT_READ | PROT_WRITE : seg->prot;
  void *fresh = mmap (NULL, seg->len, prot, MAP_PRIVATE, view, seg->offset);

  if (fresh == MAP_FAILED)
    return ocirt_error_make (err, errno, "map the runtime binary's segment at offset %jd from its copy",
                             (intmax_t) seg->offset);
  if (seg->writable && copy_pages (fresh, (void *) seg->start, seg->len) < 0)
    {
      int saved = errno;

      munmap (fresh, seg->len);
      return ocirt_error_make (err, saved, "copy the runtime's data segment");
    }
  if (mremap (fresh, seg->len, seg->len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *) seg->start)
      == MAP_FAILED)
    {
      int saved = errno;

      munmap (fresh, seg->len);
      return ocirt_error_make (err, saved, "move the runtime binary's segment into place");
    }
  if (seg->writable && l->relro_end > l->relro_start && l->relro_start >= seg->start
      && l->relro_end <= seg->start + seg->len
      && mprotect ((void *) l->relro_start, l->relro_end - l->relro_start, PROT_READ) < 0)
    return ocirt_error_make (err, errno, "make the runtime's relocated data read-only again");
  return 0;
}

/* Fields 26-28 and 45-51 of /proc/self/stat: where the kernel keeps the
   program's code, data, stack, arguments and environment.  */
static int
read_mm_fields (struct prctl_mm_map *map, ocirt_error_t *err)
{
  char buf[1024];
  unsigned long long field[52] = { 0 };
  cleanup_close int fd = open ("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ssize_t n;
  char *p;
  int i;

  if (fd < 0)
    return ocirt_error_make (err, errno, "open /proc/self/stat");
  n = read (fd, buf, sizeof (buf) - 1);
  if (n < 0)
    return ocirt_error_make (err, errno, "read /proc/self/stat");
  buf[n] = '\0';
  /* The command name may hold spaces and parentheses: field 3 starts
     after the last ')'.  */
  p = strrchr (buf, ')');
  if (p == NULL)
    return ocirt_error_make (err, EINVAL, "read /proc/self/stat: no command name");
  p++;
  for (i = 3; i < 52; i++)
    {
      p += strspn (p, " ");
      if (*p == '\0' || *p == '\n')
        break;
      field[i] = strtoull (p, NULL, 10);
      p += strcspn (p, " \n");
    }
  if (i < 52)
    return ocirt_error_make (err, EINVAL, "read /proc/self/stat: only %d fields", i - 1);
  map->start_code = field[26];
  map->end_code = field[27];
  map->start_stack = field[28];
  map->start_data = field[45];
  map->end_data = field[46];
  map->start_brk = field[47];
  map->arg_start = field[48];
  map->arg_end = field[49];
  map->env_start = field[50];
  map->env_end = field[51];
  map->brk = (uint64_t) syscall (SYS_brk, 0UL);
  return 0;
}

/* PR_SET_MM_MAP with every value as it is but the executable: the one
   way to change /proc/self/exe that root has without CAP_SYS_RESOURCE.
   The kernel refuses while any mapping of the old file is left.  */
static int
point_exe_at (int view, ocirt_error_t *err)
{
  struct prctl_mm_map map = { .exe_fd = (uint32_t) view };

  if (read_mm_fields (&map, err) < 0)
    return -1;
  if (prctl (PR_SET_MM, PR_SET_MM_MAP, (unsigned long) &map, sizeof (map), 0UL) < 0)
    return ocirt_error_make (err, errno, "point /proc/self/exe at the copy of the runtime binary");
  return 0;
}

static int
remap_all (int view, ocirt_error_t *err)
{
  struct exe_layout layout = { .n = 0 };
  size_t i;

  dl_iterate_phdr (collect_segments, &layout);
  if (layout.n == 0 || layout.too_many)
    return ocirt_error_make (err, ENOEXEC, "find the runtime binary's segments (%zu)", layout.n);
  for (i = 0; i < layout.n; i++)
    if (remap_segment (&layout, &layout.seg[i], view, err) < 0)
      return -1;
  return point_exe_at (view, err);
}

int
ocirt_exe_remap (int view, ocirt_error_t *err)
{
  sigset_t all, old;
  int ret;

  /* A handler writing a global between the copy of the data segment and
     its move would lose the write.  */
  sigfillset (&all);
  if (sigprocmask (SIG_SETMASK, &all, &old) < 0)
    return ocirt_error_make (err, errno, "block signals");
  ret = remap_all (view, err);
  if (sigprocmask (SIG_SETMASK, &old, NULL) < 0 && ret == 0)
    return ocirt_error_make (err, errno, "unblock signals");
  return ret;
}
