#ifndef OCIRT_SIGNALS_H
#define OCIRT_SIGNALS_H

/* Parse "KILL", "SIGKILL", "kill", "9", or "RTMIN+3".  Returns -1 when the
   name is unknown or the number is out of range.  */
int ocirt_parse_signal (const char *name);

#endif
