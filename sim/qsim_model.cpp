// SPDX-License-Identifier: MIT
//
// The only C++ in qaccel: a shim that exposes Verilator's generated
// Vqaccel_top through the C API in qsim_model.h.  It copies port values and
// nothing else, so every decision stays in C (qsim.c).

#include <cerrno>
#include <cstring>
#include <new>

#include "Vqaccel_top.h"
#include "verilated.h"
#ifdef QSIM_TRACE
#include "verilated_fst_c.h"
#endif

#include "qsim_model.h"

struct qsim_model {
	VerilatedContext ctx;
	Vqaccel_top *top;
#ifdef QSIM_TRACE
	VerilatedFstC *fst;
	bool dump;
#endif
};

extern "C" int qsim_model_can_trace(void)
{
#ifdef QSIM_TRACE
	return 1;
#else
	return 0;
#endif
}

extern "C" struct qsim_model *qsim_model_new(const char *trace_path)
{
#ifndef QSIM_TRACE
	if (trace_path) {
		errno = ENOTSUP;
		return nullptr;
	}
#endif
	qsim_model *m = new (std::nothrow) qsim_model;
	if (!m) {
		errno = ENOMEM;
		return nullptr;
	}
#ifdef QSIM_TRACE
	m->fst = nullptr;
	m->dump = true;
	if (trace_path)
		m->ctx.traceEverOn(true);
#endif
	m->top = new Vqaccel_top(&m->ctx, "qaccel_top");
#ifdef QSIM_TRACE
	if (trace_path) {
		m->fst = new VerilatedFstC;
		m->top->trace(m->fst, 99);
		m->fst->open(trace_path);
	}
#endif
	return m;
}

extern "C" void qsim_model_trace_enable(struct qsim_model *m, int on)
{
#ifdef QSIM_TRACE
	m->dump = on;
#else
	(void)m;
	(void)on;
#endif
}

extern "C" void qsim_model_free(struct qsim_model *m)
{
	if (!m)
		return;
#ifdef QSIM_TRACE
	if (m->fst) {
		m->fst->close();
		delete m->fst;
	}
#endif
	m->top->final();
	delete m->top;
	delete m;
}

/* The clock-low half's inputs (see qsim_model.h: m_rdata only with its valid). */
static void drive_inputs(Vqaccel_top *t, const struct qsim_model_in *in)
{
	t->rst_ni = in->rst_ni;
	t->s_awvalid_i = in->s_awvalid;
	t->s_awaddr_i = in->s_awaddr;
	t->s_wvalid_i = in->s_wvalid;
	t->s_wdata_i = in->s_wdata;
	t->s_wstrb_i = in->s_wstrb;
	t->s_bready_i = in->s_bready;
	t->s_arvalid_i = in->s_arvalid;
	t->s_araddr_i = in->s_araddr;
	t->s_rready_i = in->s_rready;
	t->m_awready_i = in->m_awready;
	t->m_wready_i = in->m_wready;
	t->m_bvalid_i = in->m_bvalid;
	t->m_bresp_i = in->m_bresp;
	t->m_bid_i = in->m_bid;
	t->m_arready_i = in->m_arready;
	t->m_rvalid_i = in->m_rvalid;
	if (in->m_rvalid)
		for (int i = 0; i < QSIM_DATA_WORDS; i++)
			t->m_rdata_i[i] = in->m_rdata[i];
	t->m_rresp_i = in->m_rresp;
	t->m_rlast_i = in->m_rlast;
	t->m_rid_i = in->m_rid;
}

/* The clock-low half's outputs but irq and idle (m_wdata only with its valid). */
static void read_outputs(Vqaccel_top *t, struct qsim_model_out *out)
{
	out->s_awready = t->s_awready_o;
	out->s_wready = t->s_wready_o;
	out->s_bvalid = t->s_bvalid_o;
	out->s_bresp = t->s_bresp_o;
	out->s_arready = t->s_arready_o;
	out->s_rvalid = t->s_rvalid_o;
	out->s_rdata = t->s_rdata_o;
	out->s_rresp = t->s_rresp_o;
	out->m_awvalid = t->m_awvalid_o;
	out->m_awaddr = t->m_awaddr_o;
	out->m_awlen = t->m_awlen_o;
	out->m_awsize = t->m_awsize_o;
	out->m_awburst = t->m_awburst_o;
	out->m_awid = t->m_awid_o;
	out->m_wvalid = t->m_wvalid_o;
	if (out->m_wvalid)
		for (int i = 0; i < QSIM_DATA_WORDS; i++)
			out->m_wdata[i] = t->m_wdata_o[i];
	out->m_wstrb = t->m_wstrb_o;
	out->m_wlast = t->m_wlast_o;
	out->m_bready = t->m_bready_o;
	out->m_arvalid = t->m_arvalid_o;
	out->m_araddr = t->m_araddr_o;
	out->m_arlen = t->m_arlen_o;
	out->m_arsize = t->m_arsize_o;
	out->m_arburst = t->m_arburst_o;
	out->m_arid = t->m_arid_o;
	out->m_rready = t->m_rready_o;
}

extern "C" void qsim_model_eval(struct qsim_model *m, int clk,
				const struct qsim_model_in *in,
				struct qsim_model_out *out, uint64_t time)
{
	Vqaccel_top *t = m->top;

	t->clk_i = clk;
	if (!clk)
		drive_inputs(t, in);
	t->eval();
#ifdef QSIM_TRACE
	if (m->fst && m->dump)
		m->fst->dump(time);
#else
	(void)time;
#endif
	out->irq = t->irq_o;
	out->idle = t->idle_o;
	if (clk)
		return;
	read_outputs(t, out);
}
