/* The command line: global options and one entry point per command.  */
#ifndef OCIRT_CLI_H
#define OCIRT_CLI_H

#include <stdbool.h>

struct ocirt_global
{
  const char *root;
  const char *log;
  const char *log_format;
  bool debug;
  bool systemd_cgroup;
  bool no_cgroup; /* --cgroup-manager disabled */
  const char *rootless;
  const char *criu; /* --criu PATH */
};

typedef int (*ocirt_command_fn) (struct ocirt_global *g, int argc, char **argv);

int ocirt_cmd_create (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_start (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_run (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_exec (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_state (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_list (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_kill (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_delete (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_pause (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_resume (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_inspect (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_ps (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_update (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_events (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_spec (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_features (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_checkpoint (struct ocirt_global *g, int argc, char **argv);
int ocirt_cmd_restore (struct ocirt_global *g, int argc, char **argv);

/* Print an error line and return the exit status 1.  */
int ocirt_cli_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Exactly N positional arguments after the options, or print usage.  */
bool ocirt_cli_positional (const char *cmd, const char *usage, int argc, char **argv, int optind_,
                           int min, int max);

/* runc's parser takes `--flag=true` and `--flag=false` (also `-f=...`) for a
   boolean option: rewrite ARGV to what getopt takes, in place, before the
   command parses it.  Returns the new ARGC.  */
struct option;
int ocirt_cli_bool_forms (int argc, char **argv, const char *shortopts, const struct option *options);

/* Parse a command that takes only a container id: returns its index in
   ARGV, or -1 after printing the error.  */
int ocirt_cli_parse_id (const char *cmd, int argc, char **argv);

/* The commit the binary was built from (src/commit.c, written by make).  */
extern const char ocirt_commit[];

#endif
