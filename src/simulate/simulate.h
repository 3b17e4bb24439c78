/* simulate.h - `downwatch simulate --scenario NAME [--scale S] [--seed N]
 * --out DIR`: write a synthetic report trace and its ground truth, for
 * backtesting the detector (model.h, scenarios.h, trace.h). */
#ifndef DW_SIMULATE_H
#define DW_SIMULATE_H

/* Run the command (argv[0] is "simulate"). Returns 0 when every file was
 * written, 1 when one could not be, 2 for usage errors. */
int simulate_main(int argc, char **argv);

#endif
