/* serve.h - `downwatch serve`: wires the intake stages together, rebuilds
 * the in-memory counts from disk, serves HTTP until SIGTERM/SIGINT, then
 * drains and exits cleanly. */
#ifndef DW_SERVE_H
#define DW_SERVE_H

/* Run the command with its options (argv[0] is "serve"). Returns the exit
 * status: 0 after a clean shutdown, 2 for a configuration error, 1 when a
 * stage cannot start. */
int serve_main(int argc, char **argv);

#endif
