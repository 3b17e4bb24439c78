/* replay.h - `downwatch replay FILE.ndjson --url URL [--speed N] [--token T]`:
 * send a report trace to a running server in NDJSON batches. */
#ifndef DW_REPLAY_H
#define DW_REPLAY_H

/* Run the command (argv[0] is "replay"). Returns 0 when every batch was
 * delivered (lines the server rejected are counted, not fatal), 1 when the
 * server could not be reached or refused a batch for good, 2 for usage
 * errors. */
int replay_main(int argc, char **argv);

#endif
