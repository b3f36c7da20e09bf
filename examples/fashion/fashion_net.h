/* SPDX-License-Identifier: MIT */
/*
 * The int8 Fashion-MNIST network on the accelerator, layer by layer, and
 * the same network on the CPU reference for comparison.  Header-only so
 * that fashion-infer and the guest test tests/guest/fashion_slice share it.
 *
 * Each layer is one batched GEMM per chunk of `batch` images
 * (M = batch, N = layer width, K = previous width).  All chunks of a layer
 * are independent, so they are queued together (one io_uring_enter for the
 * lot) and reaped as they finish; the next layer starts when every chunk
 * of this one is done.  While the device works, the CPU computes the
 * reference for the same layer, chunk by chunk, between non-blocking reaps.
 */
#ifndef FASHION_NET_H
#define FASHION_NET_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel.h"
#include "fashion_data.h"

struct fashion_net {
	struct qaccel_dev *dev;
	const struct fashion_qmodel *m;
	uint32_t n, batch;
	/* act[0] images, act[1..2] uint8 activations, act[3] int32 logits. */
	struct qaccel_buf *act[FASHION_LAYERS + 1];
	void *pact[FASHION_LAYERS + 1];
	uint8_t *ref[FASHION_LAYERS + 1];	/* the reference's; ref[0] = images */
	struct qaccel_buf *w[FASHION_LAYERS], *bias[FASHION_LAYERS], *quant[FASHION_LAYERS];
	uint64_t device_cycles, macs, jobs;
};

/* Called after every reaped job: done of total jobs, across all layers. */
typedef void (*fashion_progress_fn)(void *ctx, uint64_t done, uint64_t total);

static inline size_t fashion_row_bytes(int l)
{
	return l == FASHION_LAYERS ? 4u * FASHION_CLASSES : fashion_dims[l];
}

static inline int fashion_buf(struct qaccel_dev *dev, size_t size, const void *src,
			      struct qaccel_buf **buf, void **ptr)
{
	void *p;
	int ret = qaccel_buf_alloc(dev, size, buf);

	if (!ret)
		ret = qaccel_buf_map(*buf, &p);
	if (ret)
		return ret;
	if (src)
		memcpy(p, src, size);
	if (ptr)
		*ptr = p;
	return 0;
}

/* Upload the model and n images; 0 or a negative errno. */
static inline int fashion_net_init(struct fashion_net *net, struct qaccel_dev *dev,
				   const struct fashion_qmodel *m,
				   const uint8_t *images, uint32_t n, uint32_t batch)
{
	int ret = 0;

	memset(net, 0, sizeof(*net));
	if (!n || !batch || batch > 65535)
		return -EINVAL;
	net->dev = dev;
	net->m = m;
	net->n = n;
	net->batch = batch;
	for (int l = 0; l <= FASHION_LAYERS && !ret; l++) {
		size_t bytes = (size_t)n * fashion_row_bytes(l);

		ret = fashion_buf(dev, bytes, l ? NULL : images, &net->act[l], &net->pact[l]);
		net->ref[l] = l ? malloc(bytes) : (uint8_t *)net->pact[0];
		if (!ret && !net->ref[l])
			ret = -ENOMEM;
	}
	for (int l = 0; l < FASHION_LAYERS && !ret; l++) {
		const struct fashion_qlayer *q = &m->layer[l];

		ret = fashion_buf(dev, (size_t)q->out * q->in, q->w, &net->w[l], NULL);
		if (!ret)
			ret = fashion_buf(dev, 4u * q->out, q->bias, &net->bias[l], NULL);
		if (!ret)
			ret = fashion_buf(dev, sizeof(*q->quant) * q->out, q->quant,
					  &net->quant[l], NULL);
	}
	return ret;
}

static inline void fashion_net_fini(struct fashion_net *net)
{
	for (int l = 0; l <= FASHION_LAYERS; l++) {
		qaccel_buf_free(net->act[l]);
		if (l)
			free(net->ref[l]);
	}
	for (int l = 0; l < FASHION_LAYERS; l++) {
		qaccel_buf_free(net->w[l]);
		qaccel_buf_free(net->bias[l]);
		qaccel_buf_free(net->quant[l]);
	}
	memset(net, 0, sizeof(*net));
}

/* The GEMM of layer l over images [first, first + rows). */
static inline void fashion_layer_gemm(const struct fashion_net *net, int l,
				      uint32_t first, uint32_t rows,
				      struct qaccel_gemm *g)
{
	const struct fashion_qlayer *q = &net->m->layer[l];
	uint32_t ldc = (uint32_t)fashion_row_bytes(l + 1);

	*g = (struct qaccel_gemm){
		.params = {
			.m = rows, .n = q->out, .k = q->in,
			.lda = q->in, .ldb = q->in, .ldc = ldc,
			.flags = q->flags, .a_zero_point = q->a_zero_point,
			.c_zero_point = q->c_zero_point,
			.clamp_min = q->clamp_min, .clamp_max = q->clamp_max,
		},
		.a = { net->act[l], first * q->in },
		.b = { net->w[l], 0 },
		.c = { net->act[l + 1], first * ldc },
		.bias = { net->bias[l], 0 },
		.quant = { net->quant[l], 0 },
	};
}

static inline int fashion_ref_chunk(struct fashion_net *net, int l, uint32_t c)
{
	struct qaccel_gemm g;
	uint32_t first = c * net->batch;
	uint32_t rows = net->n - first < net->batch ? net->n - first : net->batch;
	const struct fashion_qlayer *q = &net->m->layer[l];

	fashion_layer_gemm(net, l, first, rows, &g);
	return qaccel_ref_gemm(&g.params, net->ref[l] + (size_t)first * q->in, q->w,
			       q->bias, q->quant,
			       net->ref[l + 1] + (size_t)first * g.params.ldc);
}

/*
 * Run the network over all images on the device (and, with with_ref, on
 * the CPU reference meanwhile).  0, or the first error: a negative errno
 * from the library or a job's status.
 */
static inline int fashion_net_run(struct fashion_net *net, int with_ref,
				  fashion_progress_fn progress, void *ctx)
{
	uint32_t chunks = (net->n + net->batch - 1) / net->batch;
	uint64_t total = (uint64_t)chunks * FASHION_LAYERS, done = 0;
	struct qaccel_completion cq[64];
	int ret;

	for (int l = 0; l < FASHION_LAYERS; l++) {
		uint32_t submitted = 0, reaped = 0, refd = with_ref ? 0 : chunks;

		while (reaped < chunks) {
			while (submitted < chunks && qaccel_inflight(net->dev) < QACCEL_MAX_INFLIGHT) {
				struct qaccel_gemm g;
				uint32_t first = submitted * net->batch;
				uint32_t rows = net->n - first < net->batch ?
						net->n - first : net->batch;

				fashion_layer_gemm(net, l, first, rows, &g);
				ret = qaccel_submit(net->dev, &g, (uint64_t)l << 32 | submitted);
				if (ret)
					return ret;
				net->macs += (uint64_t)rows * g.params.n * g.params.k;
				submitted++;
			}
			if (refd < chunks) {
				/* Hand the jobs over, then do CPU work while they run. */
				ret = qaccel_flush(net->dev);
				if (ret < 0)
					return ret;
				ret = fashion_ref_chunk(net, l, refd++);
				if (ret)
					return ret;
				ret = qaccel_wait(net->dev, cq, 64, 0, 0);
			} else {
				ret = qaccel_wait(net->dev, cq, 64, 1, 120000);
				if (ret == 0)
					return -ETIMEDOUT;
			}
			if (ret < 0)
				return ret;
			for (int i = 0; i < ret; i++) {
				if (cq[i].status)
					return cq[i].status;
				net->device_cycles += cq[i].cycles;
				net->jobs++;
				reaped++;
				if (progress)
					progress(ctx, ++done, total);
			}
		}
		while (refd < chunks) {
			ret = fashion_ref_chunk(net, l, refd++);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* The class of image i: argmax of the int32 logits scaled per channel. */
static inline uint32_t fashion_net_class(const struct fashion_net *net, int ref,
					 uint32_t i)
{
	const uint8_t *base = ref ? net->ref[FASHION_LAYERS] :
			      (const uint8_t *)net->pact[FASHION_LAYERS];
	const float *ws = net->m->layer[FASHION_LAYERS - 1].w_scales;
	uint32_t best = 0;
	float best_v = 0;

	for (uint32_t j = 0; j < FASHION_CLASSES; j++) {
		int32_t v;
		float f;

		memcpy(&v, base + (size_t)i * 4 * FASHION_CLASSES + 4 * j, 4);
		/* Logit j's scale is in_scale * w_scales[j]; in_scale is common. */
		f = (float)v * ws[j];
		if (j == 0 || f > best_v) {
			best = j;
			best_v = f;
		}
	}
	return best;
}

static inline uint32_t fashion_net_correct(const struct fashion_net *net, int ref,
					   const uint8_t *labels)
{
	uint32_t correct = 0;

	for (uint32_t i = 0; i < net->n; i++)
		correct += fashion_net_class(net, ref, i) == labels[i];
	return correct;
}

/* Elements (of every layer's output) where device and reference differ. */
static inline uint64_t fashion_net_mismatches(const struct fashion_net *net)
{
	uint64_t bad = 0;

	for (int l = 1; l <= FASHION_LAYERS; l++) {
		const uint8_t *dev = net->pact[l];
		size_t bytes = (size_t)net->n * fashion_row_bytes(l);

		if (!memcmp(dev, net->ref[l], bytes))
			continue;
		for (size_t i = 0; i < bytes; i++)
			bad += dev[i] != net->ref[l][i];
	}
	return bad;
}

#endif /* FASHION_NET_H */
