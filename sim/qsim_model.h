/* SPDX-License-Identifier: MIT */
/*
 * The C view of the Verilated qaccel_top: every port as a plain struct field
 * and one call that drives the inputs, sets the clock and evaluates.  The
 * C++ behind it (qsim_model.cpp) only copies bits; all behaviour (clocking,
 * bus protocols, memory timing) lives in qsim.c.
 */
#ifndef QSIM_MODEL_H
#define QSIM_MODEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A 512-bit AXI data word, least significant 32 bits first. */
#define QSIM_DATA_WORDS 16

struct qsim_model_in {
	uint8_t rst_ni;
	/* AXI4-Lite slave */
	uint8_t s_awvalid;
	uint16_t s_awaddr;
	uint8_t s_wvalid;
	uint32_t s_wdata;
	uint8_t s_wstrb;
	uint8_t s_bready;
	uint8_t s_arvalid;
	uint16_t s_araddr;
	uint8_t s_rready;
	/* AXI4 master, the responder's side */
	uint8_t m_awready;
	uint8_t m_wready;
	uint8_t m_bvalid;
	uint8_t m_bresp;
	uint8_t m_bid;
	uint8_t m_arready;
	uint8_t m_rvalid;
	uint32_t m_rdata[QSIM_DATA_WORDS];
	uint8_t m_rresp;
	uint8_t m_rlast;
	uint8_t m_rid;
};

struct qsim_model_out {
	/* AXI4-Lite slave */
	uint8_t s_awready;
	uint8_t s_wready;
	uint8_t s_bvalid;
	uint8_t s_bresp;
	uint8_t s_arready;
	uint8_t s_rvalid;
	uint32_t s_rdata;
	uint8_t s_rresp;
	/* AXI4 master */
	uint8_t m_awvalid;
	uint64_t m_awaddr;
	uint8_t m_awlen;
	uint8_t m_awsize;
	uint8_t m_awburst;
	uint8_t m_awid;
	uint8_t m_wvalid;
	uint32_t m_wdata[QSIM_DATA_WORDS];
	uint64_t m_wstrb;
	uint8_t m_wlast;
	uint8_t m_bready;
	uint8_t m_arvalid;
	uint64_t m_araddr;
	uint8_t m_arlen;
	uint8_t m_arsize;
	uint8_t m_arburst;
	uint8_t m_arid;
	uint8_t m_rready;
	uint8_t irq;
	uint8_t idle;
};

struct qsim_model;

/* NULL on failure.  trace_path non-NULL needs a model built with tracing
 * (QSIM_TRACE); without it the call fails. */
struct qsim_model *qsim_model_new(const char *trace_path);
void qsim_model_free(struct qsim_model *m);

/*
 * One half of a clock period; with tracing, dump the signals at time (in
 * half cycles).  clk 0: drive in, set clk_i low, evaluate, read out.
 * clk 1: raise clk_i with the inputs of the clk 0 call (in is not read),
 * evaluate, read out's irq and idle only.  (The edge's inputs are those the
 * clock-low half settled; copying them and the outputs twice per cycle cost
 * ~5 % of a 4x4 model's time.)  The 512-bit data words are copied only with
 * their valid: the RTL reads m_rdata_i only with m_rvalid_i, and
 * out->m_wdata is meaningful only with out->m_wvalid.
 */
void qsim_model_eval(struct qsim_model *m, int clk, const struct qsim_model_in *in,
		     struct qsim_model_out *out, uint64_t time);

/* Dump at every eval (the default once a trace is open) or not: a trace
 * window.  The first dump after a gap writes every signal. */
void qsim_model_trace_enable(struct qsim_model *m, int on);

/* Whether this model was built with FST tracing. */
int qsim_model_can_trace(void);

#ifdef __cplusplus
}
#endif

#endif /* QSIM_MODEL_H */
