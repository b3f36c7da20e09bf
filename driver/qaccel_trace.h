/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: tracepoints for a job's life (submit, start, complete, timeout)
 * and device resets.  Jobs are named by their device-wide id.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM qaccel

#if !defined(QACCEL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define QACCEL_TRACE_H

#include <linux/tracepoint.h>

#include "qaccel_compat.h"
#include "qaccel_job.h"

TRACE_EVENT(qaccel_job_submit,
	    TP_PROTO(struct qaccel_job *job),
	    TP_ARGS(job),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, m)
			     __field(u32, n)
			     __field(u32, k)
			     __field(bool, uring)),
	    TP_fast_assign(__entry->id = job->id;
			   __entry->m = job->desc.m;
			   __entry->n = job->desc.n;
			   __entry->k = job->desc.k;
			   __entry->uring = !!job->cmd;),
	    TP_printk("job=%llu m=%u n=%u k=%u uring=%d",
		      __entry->id, __entry->m, __entry->n, __entry->k, __entry->uring)
);

/* A job and the hardware tag it runs under: when it starts, when it hangs. */
DECLARE_EVENT_CLASS(qaccel_job_tag,
		    TP_PROTO(struct qaccel_job *job),
		    TP_ARGS(job),
		    TP_STRUCT__entry(__field(u64, id)
				     __field(u32, tag)),
		    TP_fast_assign(__entry->id = job->id;
				   __entry->tag = job->desc.tag;),
		    TP_printk("job=%llu tag=%u", __entry->id, __entry->tag)
);

DEFINE_EVENT(qaccel_job_tag, qaccel_job_start,
	     TP_PROTO(struct qaccel_job *job),
	     TP_ARGS(job)
);

DEFINE_EVENT(qaccel_job_tag, qaccel_job_timeout,
	     TP_PROTO(struct qaccel_job *job),
	     TP_ARGS(job)
);

TRACE_EVENT(qaccel_job_complete,
	    TP_PROTO(struct qaccel_job *job),
	    TP_ARGS(job),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(int, status)
			     __field(u32, hw_status)
			     __field(u64, cycles)
			     __field(u64, macs)),
	    TP_fast_assign(__entry->id = job->id;
			   __entry->status = job->status;
			   __entry->hw_status = job->hw_status;
			   __entry->cycles = job->cycles;
			   __entry->macs = job->macs;),
	    TP_printk("job=%llu status=%d hw_status=%u cycles=%llu macs=%llu",
		      __entry->id, __entry->status, __entry->hw_status,
		      __entry->cycles, __entry->macs)
);

TRACE_EVENT(qaccel_reset,
	    TP_PROTO(const char *reason, unsigned int requeued),
	    TP_ARGS(reason, requeued),
	    TP_STRUCT__entry(__string(reason, reason)
			     __field(unsigned int, requeued)),
	    TP_fast_assign(qaccel_assign_str(reason, reason);
			   __entry->requeued = requeued;),
	    TP_printk("reason=\"%s\" requeued=%u", __get_str(reason), __entry->requeued)
);

#endif /* QACCEL_TRACE_H */

/* This part must be outside the multi-read guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE qaccel_trace
#include <trace/define_trace.h>
