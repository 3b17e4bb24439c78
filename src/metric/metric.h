/* metric.h - `downwatch series FILE.csv`: anomaly scores for one numeric
 * series (`timestamp,value` rows in, `timestamp,value,anomaly_score` out),
 * with the detector core of src/detect. */
#ifndef DW_METRIC_H
#define DW_METRIC_H

/* Run the command (argv[0] is "series"). Prints one output row per input
 * row, in input order, as each is read. Returns 0 on success, 1 when the
 * file cannot be read or a row is malformed (the rows before it have been
 * printed; stderr names the line), 2 for usage errors. */
int metric_main(int argc, char **argv);

#endif
