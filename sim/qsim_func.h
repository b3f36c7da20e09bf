/* SPDX-License-Identifier: MIT */
/*
 * qsim_func: the qaccel device as a functional C model.
 *
 * Not a public API: qsim.c calls these when qsim_config.functional is set,
 * so every program built on sim/qsim.h (qaccel-sim, the host tests, the
 * benchmarks) gets the functional device through the same calls.  The
 * arguments and results mean what their qsim_* namesakes in qsim.h say;
 * how the model maps the RTL's behaviour is in qsim_func.c and
 * docs/simulation.md ("Functional mode").
 */
#ifndef QSIM_FUNC_H
#define QSIM_FUNC_H

#include <stdbool.h>
#include <stdint.h>

#include "qsim.h"

struct qsim_func;

/* cfg has its defaults filled in; rows x cols is the array it reports. */
struct qsim_func *qsim_func_new(const struct qsim_config *cfg, unsigned int rows,
				unsigned int cols);
void qsim_func_free(struct qsim_func *f);
void qsim_func_reset(struct qsim_func *f);
uint32_t qsim_func_reg_read(struct qsim_func *f, uint32_t offset);
void qsim_func_reg_write(struct qsim_func *f, uint32_t offset, uint32_t value);
enum qsim_stop qsim_func_run(struct qsim_func *f, uint64_t max_cycles);
bool qsim_func_irq(const struct qsim_func *f);
bool qsim_func_idle(const struct qsim_func *f);
void qsim_func_get_stats(const struct qsim_func *f, struct qsim_stats *st);
void qsim_func_inject_read_error(struct qsim_func *f, uint64_t skip_lo, uint64_t skip_hi);
bool qsim_func_read_error_pending(const struct qsim_func *f);

#endif /* QSIM_FUNC_H */
