/* offline.h - `downwatch detect FILE.ndjson`: the detection engine run over
 * a report trace, as fast as the disk allows; prints the incidents. */
#ifndef DW_OFFLINE_H
#define DW_OFFLINE_H

/* Run the command (argv[0] is "detect"). Returns 0 on success (lines that
 * are not reports are skipped and counted on stderr), 1 if the trace cannot
 * be read, 2 for usage errors. */
int offline_main(int argc, char **argv);

#endif
