/* SPDX-License-Identifier: MIT */
/*
 * Fashion-MNIST idx files and the two model files of the example, shared by
 * the host tools (train, quantize) and the guest programs (fashion-infer,
 * tests/guest/fashion_slice).  Header-only so that a guest test, built from
 * one .c file against libqaccel, can use it too.  No zlib here: the host
 * tools inflate the Debian package's .gz files and hand over the bytes;
 * the guest reads the uncompressed copies the host wrote under
 * build/fashion/.  File formats: docs/quantization.md.
 */
#ifndef FASHION_DATA_H
#define FASHION_DATA_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel_ref.h"

#define FASHION_PIXELS	784	/* 28 x 28 */
#define FASHION_CLASSES	10
#define FASHION_LAYERS	3
/* The float model's predicted class of each test image, one byte each. */
#define FASHION_FLOAT_PRED	"t10k-float-predictions"

/* Layer widths of the MLP 784-256-128-10. */
static const uint32_t fashion_dims[FASHION_LAYERS + 1] = { 784, 256, 128, 10 };

struct fashion_set {
	uint32_t n;
	uint8_t *images;	/* n x 784, row-major, 0..255 */
	uint8_t *labels;	/* n, 0..9 */
};

static inline uint32_t fashion_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Check an idx buffer (magic 0x00000801 labels, 0x00000803 images of
 * 28 x 28) and return its item count and the start of its data; -EINVAL
 * when it is not what it should be (truncated, wrong magic or shape).
 */
static inline int fashion_idx_parse(const uint8_t *buf, size_t len, int images,
				    uint32_t *count, const uint8_t **data)
{
	size_t hdr = images ? 16 : 8, item = images ? FASHION_PIXELS : 1;

	if (len < hdr || fashion_be32(buf) != (images ? 0x803u : 0x801u))
		return -EINVAL;
	*count = fashion_be32(buf + 4);
	if (images && (fashion_be32(buf + 8) != 28 || fashion_be32(buf + 12) != 28))
		return -EINVAL;
	if (*count == 0 || len - hdr < (size_t)*count * item)
		return -EINVAL;
	*data = buf + hdr;
	return 0;
}

/* Build a set from an images and a labels idx buffer (copies the data). */
static inline int fashion_set_from_idx(const uint8_t *img, size_t img_len,
				       const uint8_t *lab, size_t lab_len,
				       struct fashion_set *s)
{
	const uint8_t *pi, *pl;
	uint32_t ni, nl;

	if (fashion_idx_parse(img, img_len, 1, &ni, &pi) ||
	    fashion_idx_parse(lab, lab_len, 0, &nl, &pl) || ni != nl)
		return -EINVAL;
	for (uint32_t i = 0; i < nl; i++)
		if (pl[i] >= FASHION_CLASSES)
			return -EINVAL;
	s->n = ni;
	s->images = malloc((size_t)ni * FASHION_PIXELS);
	s->labels = malloc(ni);
	if (!s->images || !s->labels) {
		free(s->images);
		free(s->labels);
		return -ENOMEM;
	}
	memcpy(s->images, pi, (size_t)ni * FASHION_PIXELS);
	memcpy(s->labels, pl, ni);
	return 0;
}

static inline void fashion_set_free(struct fashion_set *s)
{
	free(s->images);
	free(s->labels);
	memset(s, 0, sizeof(*s));
}

/* Read a whole (uncompressed) file; -errno. */
static inline int fashion_read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long size;
	int ret = 0;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	*buf = malloc(size ? (size_t)size : 1);
	if (!*buf)
		ret = -ENOMEM;
	else if (fread(*buf, 1, (size_t)size, f) != (size_t)size)
		ret = -EIO;
	fclose(f);
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
	*len = (size_t)size;
	return ret;
}

/* The uncompressed test set the host tools leave in dir (build/fashion). */
static inline int fashion_load_test(const char *dir, struct fashion_set *s)
{
	char pi[4096], pl[4096];
	uint8_t *bi = NULL, *bl = NULL;
	size_t li, ll;
	int ret;

	snprintf(pi, sizeof(pi), "%s/t10k-images-idx3-ubyte", dir);
	snprintf(pl, sizeof(pl), "%s/t10k-labels-idx1-ubyte", dir);
	ret = fashion_read_file(pi, &bi, &li);
	if (!ret)
		ret = fashion_read_file(pl, &bl, &ll);
	if (!ret)
		ret = fashion_set_from_idx(bi, li, bl, ll, s);
	free(bi);
	free(bl);
	return ret;
}

/* --- the int8 model file (build/fashion/model-int8.bin) -------------------- */

#define FASHION_Q_MAGIC		0x38514146u	/* "FAQ8" little-endian */
#define FASHION_F_MAGIC		0x32334146u	/* "FA32" */
#define FASHION_VERSION		1u

/* One quantized layer: C = requant(A x W^T + bias), or int32 logits. */
struct fashion_qlayer {
	uint32_t in, out;
	uint32_t flags;			/* QACCEL_GEMM_* of the layer's GEMM */
	int32_t a_zero_point;		/* of the input activations (uint8) */
	int32_t c_zero_point, clamp_min, clamp_max;
	float in_scale;			/* scale of the input activations */
	float out_scale;		/* of the output (0 for int32 logits) */
	int8_t *w;			/* out x in, per-channel symmetric */
	float *w_scales;		/* out */
	int32_t *bias;			/* out, scale in_scale * w_scales[j] */
	struct qaccel_quant *quant;	/* out records (unused for int32) */
};

struct fashion_qmodel {
	float float_accuracy;		/* of the fp32 model, measured on the host */
	uint32_t train_epochs;
	struct fashion_qlayer layer[FASHION_LAYERS];
};

/* Bytes of the fp32 model's parameters (weights + biases). */
static inline uint64_t fashion_fp32_bytes(void)
{
	uint64_t b = 0;

	for (int l = 0; l < FASHION_LAYERS; l++)
		b += 4ull * fashion_dims[l + 1] * (fashion_dims[l] + 1);
	return b;
}

/* Bytes the int8 model needs on the device: weights, int32 bias, requant records. */
static inline uint64_t fashion_int8_bytes(const struct fashion_qmodel *m)
{
	uint64_t b = 0;

	for (int l = 0; l < FASHION_LAYERS; l++) {
		const struct fashion_qlayer *q = &m->layer[l];
		int has_quant = (q->flags & QACCEL_GEMM_OUT_MASK) != QACCEL_GEMM_OUT_INT32;

		b += (uint64_t)q->out * q->in + 4ull * q->out +
		     (has_quant ? 8ull * q->out : 4ull * q->out);
	}
	return b;
}

static inline void fashion_qmodel_free(struct fashion_qmodel *m)
{
	for (int l = 0; l < FASHION_LAYERS; l++) {
		free(m->layer[l].w);
		free(m->layer[l].w_scales);
		free(m->layer[l].bias);
		free(m->layer[l].quant);
	}
	memset(m, 0, sizeof(*m));
}

/* Header words, then per layer 8 words, then per layer the arrays. */
struct fashion_qhdr {
	uint32_t magic, version, layers, train_epochs;
	float float_accuracy;
	uint32_t reserved[3];
};

struct fashion_qlayer_hdr {
	uint32_t in, out, flags;
	int32_t a_zero_point, c_zero_point, clamp_min, clamp_max;
	float in_scale, out_scale;
	uint32_t reserved;
};

static inline int fashion_qmodel_save(const char *path, const struct fashion_qmodel *m)
{
	struct fashion_qhdr h = {
		.magic = FASHION_Q_MAGIC, .version = FASHION_VERSION,
		.layers = FASHION_LAYERS, .train_epochs = m->train_epochs,
		.float_accuracy = m->float_accuracy,
	};
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(&h, sizeof(h), 1, f) == 1;
	for (int l = 0; l < FASHION_LAYERS && ok; l++) {
		const struct fashion_qlayer *q = &m->layer[l];
		struct fashion_qlayer_hdr lh = {
			.in = q->in, .out = q->out, .flags = q->flags,
			.a_zero_point = q->a_zero_point, .c_zero_point = q->c_zero_point,
			.clamp_min = q->clamp_min, .clamp_max = q->clamp_max,
			.in_scale = q->in_scale, .out_scale = q->out_scale,
		};

		ok = fwrite(&lh, sizeof(lh), 1, f) == 1;
	}
	for (int l = 0; l < FASHION_LAYERS && ok; l++) {
		const struct fashion_qlayer *q = &m->layer[l];

		ok = fwrite(q->w, 1, (size_t)q->out * q->in, f) == (size_t)q->out * q->in &&
		     fwrite(q->w_scales, 4, q->out, f) == q->out &&
		     fwrite(q->bias, 4, q->out, f) == q->out &&
		     fwrite(q->quant, sizeof(*q->quant), q->out, f) == q->out;
	}
	if (fclose(f) || !ok)
		return -EIO;
	return 0;
}

/* Load and validate; -EINVAL for a file that is not a model of this network. */
static inline int fashion_qmodel_load(const char *path, struct fashion_qmodel *m)
{
	uint8_t *buf;
	size_t len, off;
	struct fashion_qhdr h;
	int ret = fashion_read_file(path, &buf, &len);

	if (ret)
		return ret;
	memset(m, 0, sizeof(*m));
	ret = -EINVAL;
	if (len < sizeof(h))
		goto out;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != FASHION_Q_MAGIC || h.version != FASHION_VERSION ||
	    h.layers != FASHION_LAYERS)
		goto out;
	m->float_accuracy = h.float_accuracy;
	m->train_epochs = h.train_epochs;
	off = sizeof(h);
	for (int l = 0; l < FASHION_LAYERS; l++) {
		struct fashion_qlayer_hdr lh;
		struct fashion_qlayer *q = &m->layer[l];

		if (len - off < sizeof(lh))
			goto out;
		memcpy(&lh, buf + off, sizeof(lh));
		off += sizeof(lh);
		if (lh.in != fashion_dims[l] || lh.out != fashion_dims[l + 1])
			goto out;
		*q = (struct fashion_qlayer){
			.in = lh.in, .out = lh.out, .flags = lh.flags,
			.a_zero_point = lh.a_zero_point, .c_zero_point = lh.c_zero_point,
			.clamp_min = lh.clamp_min, .clamp_max = lh.clamp_max,
			.in_scale = lh.in_scale, .out_scale = lh.out_scale,
		};
	}
	for (int l = 0; l < FASHION_LAYERS; l++) {
		struct fashion_qlayer *q = &m->layer[l];
		size_t wb = (size_t)q->out * q->in;

		if (len - off < wb + (size_t)q->out * (4 + 4 + sizeof(*q->quant)))
			goto out;
		q->w = malloc(wb);
		q->w_scales = malloc(4 * (size_t)q->out);
		q->bias = malloc(4 * (size_t)q->out);
		q->quant = malloc(sizeof(*q->quant) * q->out);
		if (!q->w || !q->w_scales || !q->bias || !q->quant) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(q->w, buf + off, wb);
		off += wb;
		memcpy(q->w_scales, buf + off, 4 * (size_t)q->out);
		off += 4 * (size_t)q->out;
		memcpy(q->bias, buf + off, 4 * (size_t)q->out);
		off += 4 * (size_t)q->out;
		memcpy(q->quant, buf + off, sizeof(*q->quant) * q->out);
		off += sizeof(*q->quant) * q->out;
	}
	ret = off == len ? 0 : -EINVAL;
out:
	free(buf);
	if (ret)
		fashion_qmodel_free(m);
	return ret;
}

#endif /* FASHION_DATA_H */
