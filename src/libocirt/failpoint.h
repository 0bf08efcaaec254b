/* Failpoints: with OCIRT_FAILPOINT=<name> in the environment, a build made
   with ./configure --enable-failpoints dies by SIGKILL at the named step,
   so that tests can check what a runtime killed there leaves behind.
   Without that option OCIRT_FAILPOINT() compiles to nothing.  */
#ifndef OCIRT_FAILPOINT_H
#define OCIRT_FAILPOINT_H

#ifdef OCIRT_ENABLE_FAILPOINTS
void ocirt_failpoint_hit (const char *name);
#define OCIRT_FAILPOINT(name) ocirt_failpoint_hit (name)
#else
#define OCIRT_FAILPOINT(name)                                                                           \
  do                                                                                                    \
    {                                                                                                   \
    }                                                                                                   \
  while (0)
#endif

#endif
