// SPDX-License-Identifier: MIT
/*
 * fashion-prep: the host half of the Fashion-MNIST example.
 *
 *   fashion-prep train    [--data DIR] [--out DIR] [--epochs N] [--seed S]
 *   fashion-prep quantize [--data DIR] [--out DIR] [--calib minmax|percentile]
 *
 * train: a float MLP 784-256-128-10 (ReLU), Adam, minibatches of 64, on
 * the first 58,000 training images (the last 2,000 are held out for
 * calibration), writes OUT/model-fp32.bin.
 * quantize: post-training quantization with libqaccel's toolkit (per-channel
 * symmetric int8 weights, uint8 activations calibrated on the held-out
 * images, int32 bias, requantization + ReLU fused into each GEMM, int32
 * logits), checked on the CPU reference over the test set; writes
 * OUT/model-int8.bin and uncompressed copies of the test set for the guest.
 * Formats: docs/quantization.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <zlib.h>

#include "qaccel.h"
#include "qaccel_prng.h"
#include "fashion_data.h"

#define TRAIN_USED	58000u	/* images 58000..59999 are the calibration slice */
#define CALIB_N		2000u
#define BATCH		64u

struct opts {
	const char *data, *out;
	unsigned int epochs;
	unsigned long long seed;
	int percentile;
};

/* The float model: w[l] is out x in (a qaccel GEMM's B), b[l] is out. */
struct fmodel {
	float *w[FASHION_LAYERS], *b[FASHION_LAYERS];
	uint32_t epochs;
	float test_accuracy;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Read path or path.gz (gzread passes uncompressed files through). */
static int load_any(const char *dir, const char *name, uint8_t **buf, size_t *len)
{
	char path[4096];
	gzFile f = NULL;
	size_t cap = 1 << 20, n = 0;
	int r;

	for (int gz = 1; gz >= 0 && !f; gz--) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, name, gz ? ".gz" : "");
		f = gzopen(path, "rb");
	}
	if (!f) {
		fprintf(stderr, "fashion-prep: cannot open %s/%s(.gz): %s\n"
			"fashion-prep: install Debian's dataset-fashion-mnist "
			"(make setup) or pass --data DIR\n", dir, name, strerror(errno));
		return -ENOENT;
	}
	*buf = malloc(cap);
	while (*buf && (r = gzread(f, *buf + n, (unsigned int)(cap - n))) > 0) {
		n += (size_t)r;
		if (n == cap) {
			uint8_t *nb = realloc(*buf, cap * 2);

			if (!nb) {
				free(*buf);
				*buf = NULL;
				break;
			}
			*buf = nb;
			cap *= 2;
		}
	}
	if (!*buf || r < 0) {
		fprintf(stderr, "fashion-prep: %s is corrupt (%s)\n", path,
			*buf ? gzerror(f, &r) : "out of memory");
		free(*buf);
		gzclose(f);
		return -EIO;
	}
	gzclose(f);
	*len = n;
	return 0;
}

static int load_set(const char *dir, const char *prefix, struct fashion_set *s,
		    const char *copy_to)
{
	char ni[64], nl[64];
	uint8_t *bi = NULL, *bl = NULL;
	size_t li = 0, ll = 0;
	int ret;

	snprintf(ni, sizeof(ni), "%s-images-idx3-ubyte", prefix);
	snprintf(nl, sizeof(nl), "%s-labels-idx1-ubyte", prefix);
	ret = load_any(dir, ni, &bi, &li);
	if (!ret)
		ret = load_any(dir, nl, &bl, &ll);
	if (!ret) {
		ret = fashion_set_from_idx(bi, li, bl, ll, s);
		if (ret)
			fprintf(stderr, "fashion-prep: %s/%s-*: not Fashion-MNIST idx "
				"data (truncated or corrupt)\n", dir, prefix);
	}
	/* The guest reads these plain copies: no zlib in guest programs. */
	for (int i = 0; !ret && copy_to && i < 2; i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", copy_to, i ? nl : ni);
		f = fopen(path, "wb");
		if (!f || fwrite(i ? bl : bi, 1, i ? ll : li, f) != (i ? ll : li) ||
		    fclose(f)) {
			fprintf(stderr, "fashion-prep: cannot write %s\n", path);
			ret = -EIO;
		}
	}
	free(bi);
	free(bl);
	return ret;
}

/* Uniform in [0, 1) from 24 bits, the form the saved models were trained with. */
static float rng_uniform(uint64_t *s)
{
	return (float)((prng_next(s) >> 40) / 16777216.0);
}

static int fmodel_alloc(struct fmodel *m)
{
	for (int l = 0; l < FASHION_LAYERS; l++) {
		m->w[l] = calloc((size_t)fashion_dims[l + 1] * fashion_dims[l], 4);
		m->b[l] = calloc(fashion_dims[l + 1], 4);
		if (!m->w[l] || !m->b[l])
			return -ENOMEM;
	}
	return 0;
}

static void fmodel_free(struct fmodel *m)
{
	for (int l = 0; l < FASHION_LAYERS; l++) {
		free(m->w[l]);
		free(m->b[l]);
	}
}

struct fhdr {
	uint32_t magic, version, layers, epochs;
	float test_accuracy;
	uint32_t dims[FASHION_LAYERS + 1];
};

static int fmodel_save(const char *path, const struct fmodel *m)
{
	struct fhdr h = {
		.magic = FASHION_F_MAGIC, .version = FASHION_VERSION,
		.layers = FASHION_LAYERS, .epochs = m->epochs,
		.test_accuracy = m->test_accuracy,
	};
	FILE *f = fopen(path, "wb");
	int ok;

	memcpy(h.dims, fashion_dims, sizeof(h.dims));
	if (!f)
		return -errno;
	ok = fwrite(&h, sizeof(h), 1, f) == 1;
	for (int l = 0; l < FASHION_LAYERS && ok; l++) {
		size_t nw = (size_t)fashion_dims[l + 1] * fashion_dims[l];

		ok = fwrite(m->w[l], 4, nw, f) == nw &&
		     fwrite(m->b[l], 4, fashion_dims[l + 1], f) == fashion_dims[l + 1];
	}
	return fclose(f) || !ok ? -EIO : 0;
}

static int fmodel_load(const char *path, struct fmodel *m)
{
	uint8_t *buf;
	size_t len, off = sizeof(struct fhdr);
	struct fhdr h;
	int ret = fashion_read_file(path, &buf, &len);

	if (ret)
		return ret;
	ret = -EINVAL;
	if (len < sizeof(h))
		goto out;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != FASHION_F_MAGIC || h.version != FASHION_VERSION ||
	    h.layers != FASHION_LAYERS || memcmp(h.dims, fashion_dims, sizeof(h.dims)))
		goto out;
	ret = fmodel_alloc(m);
	if (ret)
		goto out;
	ret = -EINVAL;
	for (int l = 0; l < FASHION_LAYERS; l++) {
		size_t nw = 4 * (size_t)fashion_dims[l + 1] * fashion_dims[l];
		size_t nb = 4 * (size_t)fashion_dims[l + 1];

		if (len - off < nw + nb)
			goto out;
		memcpy(m->w[l], buf + off, nw);
		memcpy(m->b[l], buf + off + nw, nb);
		off += nw + nb;
	}
	m->epochs = h.epochs;
	m->test_accuracy = h.test_accuracy;
	ret = off == len ? 0 : -EINVAL;
out:
	free(buf);
	return ret;
}

/* out[i][j] = in[i] . w[j] + b[j] (+ ReLU) for a batch of rows. */
static void dense_forward(const float *in, uint32_t rows, uint32_t nin,
			  const float *w, const float *b, uint32_t nout,
			  int relu, float *out)
{
	for (uint32_t i = 0; i < rows; i++) {
		const float *x = in + (size_t)i * nin;

		for (uint32_t j = 0; j < nout; j++) {
			const float *wr = w + (size_t)j * nin;
			float acc = 0;

			for (uint32_t k = 0; k < nin; k++)
				acc += x[k] * wr[k];
			acc += b[j];
			out[(size_t)i * nout + j] = relu && acc < 0 ? 0 : acc;
		}
	}
}

static void to_float(const uint8_t *img, uint32_t rows, float *x)
{
	for (size_t i = 0; i < (size_t)rows * FASHION_PIXELS; i++)
		x[i] = img[i] * (1.0f / 255.0f);
}

static uint32_t argmax(const float *v, uint32_t n)
{
	uint32_t best = 0;

	for (uint32_t j = 1; j < n; j++)
		if (v[j] > v[best])
			best = j;
	return best;
}

/* Float forward of rows images; acts[l] (rows x dims[l+1]) may be kept. */
static void fmodel_forward(const struct fmodel *m, const uint8_t *img,
			   uint32_t rows, float *x, float *acts[FASHION_LAYERS])
{
	to_float(img, rows, x);
	for (int l = 0; l < FASHION_LAYERS; l++)
		dense_forward(l ? acts[l - 1] : x, rows, fashion_dims[l], m->w[l],
			      m->b[l], fashion_dims[l + 1], l < FASHION_LAYERS - 1,
			      acts[l]);
}

/*
 * The float model's class for every image of s, computed CH images at a
 * time; malloc'd, or NULL when memory runs out.
 */
static uint8_t *fmodel_predict(const struct fmodel *m, const struct fashion_set *s)
{
	enum { CH = 500 };
	float *x = malloc(sizeof(float) * CH * FASHION_PIXELS), *acts[FASHION_LAYERS];
	uint8_t *pred = malloc(s->n);
	bool ok = x && pred;

	for (int l = 0; l < FASHION_LAYERS; l++) {
		acts[l] = malloc(sizeof(float) * CH * fashion_dims[l + 1]);
		ok = ok && acts[l];
	}
	for (uint32_t i = 0; ok && i < s->n; i += CH) {
		uint32_t rows = s->n - i < CH ? s->n - i : CH;

		fmodel_forward(m, s->images + (size_t)i * FASHION_PIXELS, rows, x, acts);
		for (uint32_t r = 0; r < rows; r++)
			pred[i + r] = (uint8_t)argmax(acts[2] + r * FASHION_CLASSES,
						      FASHION_CLASSES);
	}
	free(x);
	for (int l = 0; l < FASHION_LAYERS; l++)
		free(acts[l]);
	if (!ok) {
		free(pred);
		return NULL;
	}
	return pred;
}

static float fmodel_accuracy(const struct fmodel *m, const struct fashion_set *s)
{
	uint8_t *pred = fmodel_predict(m, s);
	uint32_t correct = 0;

	if (!pred)
		return 0;
	for (uint32_t i = 0; i < s->n; i++)
		correct += pred[i] == s->labels[i];
	free(pred);
	return 100.0f * correct / s->n;
}

/* Adam state of one parameter array. */
struct adam {
	float *m, *v;
	size_t n;
};

static void adam_step(float *p, const float *g, struct adam *a, float lr_t)
{
	for (size_t i = 0; i < a->n; i++) {
		a->m[i] = 0.9f * a->m[i] + 0.1f * g[i];
		a->v[i] = 0.999f * a->v[i] + 0.001f * g[i] * g[i];
		p[i] -= lr_t * a->m[i] / (sqrtf(a->v[i]) + 1e-8f);
	}
}

static int train(const struct opts *o)
{
	struct fashion_set tr = { 0 }, te = { 0 };
	struct fmodel m = { 0 };
	float *x, *acts[FASHION_LAYERS], *delta[FASHION_LAYERS];
	float *gw[FASHION_LAYERS], *gb[FASHION_LAYERS];
	struct adam aw[FASHION_LAYERS], ab[FASHION_LAYERS];
	uint32_t *order;
	uint64_t rng = prng_seed(o->seed);
	char path[4096];
	double t0 = now();
	long step = 0;
	int ret;

	if ((ret = load_set(o->data, "train", &tr, NULL)) ||
	    (ret = load_set(o->data, "t10k", &te, NULL)))
		return 1;
	if (tr.n < TRAIN_USED + CALIB_N) {
		fprintf(stderr, "fashion-prep: only %u training images\n", tr.n);
		return 1;
	}
	if (fmodel_alloc(&m))
		return 1;
	/* PyTorch's nn.Linear initialisation: U(-1/sqrt(in), 1/sqrt(in)). */
	for (int l = 0; l < FASHION_LAYERS; l++) {
		float bound = 1.0f / sqrtf((float)fashion_dims[l]);
		size_t nw = (size_t)fashion_dims[l + 1] * fashion_dims[l];

		for (size_t i = 0; i < nw; i++)
			m.w[l][i] = (2 * rng_uniform(&rng) - 1) * bound;
		for (uint32_t i = 0; i < fashion_dims[l + 1]; i++)
			m.b[l][i] = (2 * rng_uniform(&rng) - 1) * bound;
		gw[l] = malloc(nw * 4);
		gb[l] = malloc(fashion_dims[l + 1] * 4);
		aw[l] = (struct adam){ calloc(nw, 4), calloc(nw, 4), nw };
		ab[l] = (struct adam){ calloc(fashion_dims[l + 1], 4),
				       calloc(fashion_dims[l + 1], 4), fashion_dims[l + 1] };
		acts[l] = malloc(4 * BATCH * fashion_dims[l + 1]);
		delta[l] = malloc(4 * BATCH * fashion_dims[l + 1]);
	}
	x = malloc(4 * BATCH * FASHION_PIXELS);
	order = malloc(4 * TRAIN_USED);
	for (uint32_t i = 0; i < TRAIN_USED; i++)
		order[i] = i;

	printf("training 784-256-128-10 on %u images, %u epochs, Adam lr 1e-3, "
	       "batch %u, seed %llu\n", TRAIN_USED, o->epochs, BATCH, o->seed);
	for (unsigned int ep = 0; ep < o->epochs; ep++) {
		double loss = 0;
		uint8_t batch_img[BATCH * FASHION_PIXELS];
		uint8_t batch_lab[BATCH];

		for (uint32_t i = TRAIN_USED - 1; i > 0; i--) {
			uint32_t j = (uint32_t)(prng_next(&rng) % (i + 1)), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (uint32_t start = 0; start < TRAIN_USED; start += BATCH) {
			uint32_t rows = TRAIN_USED - start < BATCH ? TRAIN_USED - start : BATCH;
			float lr_t;

			for (uint32_t r = 0; r < rows; r++) {
				memcpy(batch_img + r * FASHION_PIXELS,
				       tr.images + (size_t)order[start + r] * FASHION_PIXELS,
				       FASHION_PIXELS);
				batch_lab[r] = tr.labels[order[start + r]];
			}
			fmodel_forward(&m, batch_img, rows, x, acts);
			/* Softmax cross-entropy: delta = (p - onehot) / rows. */
			for (uint32_t r = 0; r < rows; r++) {
				float *z = acts[2] + r * FASHION_CLASSES;
				float *d = delta[2] + r * FASHION_CLASSES;
				float mx = z[argmax(z, FASHION_CLASSES)], sum = 0;

				for (int j = 0; j < FASHION_CLASSES; j++)
					sum += d[j] = expf(z[j] - mx);
				for (int j = 0; j < FASHION_CLASSES; j++)
					d[j] = (d[j] / sum - (j == batch_lab[r])) / rows;
				loss += -(z[batch_lab[r]] - mx - logf(sum));
			}
			for (int l = FASHION_LAYERS - 1; l >= 0; l--) {
				uint32_t nin = fashion_dims[l], nout = fashion_dims[l + 1];
				const float *in = l ? acts[l - 1] : x;

				memset(gw[l], 0, 4 * (size_t)nin * nout);
				memset(gb[l], 0, 4 * nout);
				for (uint32_t r = 0; r < rows; r++)
					for (uint32_t j = 0; j < nout; j++) {
						float d = delta[l][r * nout + j];
						float *g = gw[l] + (size_t)j * nin;
						const float *a = in + (size_t)r * nin;

						gb[l][j] += d;
						if (d != 0)
							for (uint32_t k = 0; k < nin; k++)
								g[k] += d * a[k];
					}
				if (l == 0)
					break;
				/* delta of the layer below, through its ReLU. */
				memset(delta[l - 1], 0, 4 * (size_t)rows * nin);
				for (uint32_t r = 0; r < rows; r++) {
					float *dp = delta[l - 1] + (size_t)r * nin;
					const float *a = acts[l - 1] + (size_t)r * nin;

					for (uint32_t j = 0; j < nout; j++) {
						float d = delta[l][r * nout + j];
						const float *wr = m.w[l] + (size_t)j * nin;

						if (d != 0)
							for (uint32_t k = 0; k < nin; k++)
								dp[k] += d * wr[k];
					}
					for (uint32_t k = 0; k < nin; k++)
						if (a[k] <= 0)
							dp[k] = 0;
				}
			}
			step++;
			lr_t = 1e-3f * sqrtf(1 - powf(0.999f, (float)step)) /
			       (1 - powf(0.9f, (float)step));
			for (int l = 0; l < FASHION_LAYERS; l++) {
				adam_step(m.w[l], gw[l], &aw[l], lr_t);
				adam_step(m.b[l], gb[l], &ab[l], lr_t);
			}
		}
		m.epochs = ep + 1;
		m.test_accuracy = fmodel_accuracy(&m, &te);
		printf("  epoch %2u  loss %.4f  test accuracy %.2f%%  (%.0f s)\n", ep + 1,
		       loss / TRAIN_USED, m.test_accuracy, now() - t0);
		fflush(stdout);
	}
	snprintf(path, sizeof(path), "%s/model-fp32.bin", o->out);
	ret = fmodel_save(path, &m);
	if (ret)
		fprintf(stderr, "fashion-prep: cannot write %s: %s\n", path, strerror(-ret));
	else
		printf("float model: %s, test accuracy %.2f%%, trained in %.0f s\n", path,
		       m.test_accuracy, now() - t0);
	for (int l = 0; l < FASHION_LAYERS; l++) {
		free(gw[l]);
		free(gb[l]);
		free(aw[l].m);
		free(aw[l].v);
		free(ab[l].m);
		free(ab[l].v);
		free(acts[l]);
		free(delta[l]);
	}
	free(x);
	free(order);
	fmodel_free(&m);
	fashion_set_free(&tr);
	fashion_set_free(&te);
	return ret ? 1 : 0;
}

/*
 * The float model's class for every test image, so that the guest can
 * compare int8 and float accuracy on exactly the images it ran.
 */
static int write_float_predictions(const struct fmodel *m, const struct fashion_set *s,
				   const char *dir)
{
	uint8_t *pred = fmodel_predict(m, s);
	char path[4096];
	FILE *f;
	int ok;

	if (!pred)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", dir, FASHION_FLOAT_PRED);
	f = fopen(path, "wb");
	ok = f && fwrite(pred, 1, s->n, f) == s->n;
	if (f && fclose(f))
		ok = 0;
	if (!ok)
		fprintf(stderr, "fashion-prep: cannot write %s\n", path);
	free(pred);
	return ok ? 0 : -EIO;
}

/* The int8 network on the CPU reference: test-set accuracy in percent. */
static float qmodel_accuracy(const struct fashion_qmodel *q, const struct fashion_set *s)
{
	enum { CH = 500 };
	uint8_t *a1 = malloc(CH * 256), *a2 = malloc(CH * 128);
	int32_t *logits = malloc(4 * CH * FASHION_CLASSES);
	uint32_t correct = 0;

	for (uint32_t i = 0; i < s->n; i += CH) {
		uint32_t rows = s->n - i < CH ? s->n - i : CH;
		const void *in[FASHION_LAYERS] = { s->images + (size_t)i * FASHION_PIXELS, a1, a2 };
		void *out[FASHION_LAYERS] = { a1, a2, logits };

		for (int l = 0; l < FASHION_LAYERS; l++) {
			const struct fashion_qlayer *ql = &q->layer[l];
			int i32 = (ql->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_INT32;
			struct qaccel_gemm_params p = {
				.m = rows, .n = ql->out, .k = ql->in,
				.lda = ql->in, .ldb = ql->in, .ldc = ql->out * (i32 ? 4 : 1),
				.flags = ql->flags, .a_zero_point = ql->a_zero_point,
				.c_zero_point = ql->c_zero_point,
				.clamp_min = ql->clamp_min, .clamp_max = ql->clamp_max,
			};

			if (qaccel_ref_gemm(&p, in[l], ql->w, ql->bias, ql->quant, out[l]))
				abort();	/* parameters built above: a bug if invalid */
		}
		for (uint32_t r = 0; r < rows; r++) {
			const struct fashion_qlayer *ql = &q->layer[2];
			float best = 0;
			uint32_t arg = 0;

			for (uint32_t j = 0; j < FASHION_CLASSES; j++) {
				float v = logits[r * FASHION_CLASSES + j] * ql->w_scales[j];

				if (j == 0 || v > best) {
					best = v;
					arg = j;
				}
			}
			correct += arg == s->labels[i + r];
		}
	}
	free(a1);
	free(a2);
	free(logits);
	return 100.0f * correct / s->n;
}

/* Build the int8 model from the float one with the given activation ranges. */
static int quantize_model(const struct fmodel *m, const float act_max[2],
			  struct fashion_qmodel *q)
{
	struct qaccel_qparams in = {
		/* Pixels are the network's input x / 255: uint8 as they are. */
		.scale = 1.0f / 255.0f, .zero_point = 0, .qmin = 0, .qmax = 255,
		.type = QACCEL_QTYPE_UINT8,
	};
	int ret;

	memset(q, 0, sizeof(*q));
	for (int l = 0; l < FASHION_LAYERS; l++) {
		struct fashion_qlayer *ql = &q->layer[l];
		struct qaccel_gemm_params p = { .flags = QACCEL_GEMM_A_UINT8 };
		uint32_t nin = fashion_dims[l], nout = fashion_dims[l + 1];

		*ql = (struct fashion_qlayer){
			.in = nin, .out = nout, .a_zero_point = in.zero_point,
			.in_scale = in.scale,
			.w = malloc((size_t)nin * nout), .w_scales = malloc(4 * nout),
			.bias = malloc(4 * nout), .quant = calloc(nout, sizeof(*ql->quant)),
		};
		if (!ql->w || !ql->w_scales || !ql->bias || !ql->quant)
			return -ENOMEM;
		ret = qaccel_quantize_per_channel(m->w[l], nout, nin, nin, ql->w, nin,
						  ql->w_scales);
		if (ret)
			return ret;
		if (l == FASHION_LAYERS - 1) {
			/* Logits stay int32 at scale in * w[j]: no requantization. */
			ret = qaccel_quantize_bias(m->b[l], nout, in.scale, ql->w_scales,
						   ql->bias);
			p.flags |= QACCEL_GEMM_BIAS | QACCEL_GEMM_OUT_INT32;
		} else {
			struct qaccel_qparams out;

			ret = qaccel_qparams_from_range(0, act_max[l], QACCEL_QTYPE_UINT8,
							QACCEL_QSCHEME_ASYMMETRIC, &out);
			if (!ret)
				ret = qaccel_gemm_requant(in.scale, ql->w_scales, nout, &out,
							  QACCEL_ACT_RELU, m->b[l], &p,
							  ql->quant, ql->bias);
			ql->out_scale = out.scale;
			in = out;
		}
		if (ret)
			return ret;
		ql->flags = p.flags;
		ql->c_zero_point = p.c_zero_point;
		ql->clamp_min = p.clamp_min;
		ql->clamp_max = p.clamp_max;
	}
	return 0;
}

static int quantize(const struct opts *o)
{
	struct fashion_set tr = { 0 }, te = { 0 };
	struct fmodel m = { 0 };
	struct fashion_qmodel q;
	float *x, *acts[FASHION_LAYERS], act_max[2][2];
	char path[4096];
	float acc_q[2];
	int ret, pick = o->percentile;

	snprintf(path, sizeof(path), "%s/model-fp32.bin", o->out);
	ret = fmodel_load(path, &m);
	if (ret) {
		fprintf(stderr, "fashion-prep: cannot load %s: %s (run fashion-prep train)\n",
			path, strerror(-ret));
		return 1;
	}
	if (load_set(o->data, "train", &tr, NULL) || load_set(o->data, "t10k", &te, o->out))
		return 1;

	/* Activation ranges from the held-out slice: min/max and 99.99th percentile. */
	x = malloc(4 * (size_t)CALIB_N * FASHION_PIXELS);
	for (int l = 0; l < FASHION_LAYERS; l++)
		acts[l] = malloc(4 * (size_t)CALIB_N * fashion_dims[l + 1]);
	fmodel_forward(&m, tr.images + (size_t)TRAIN_USED * FASHION_PIXELS, CALIB_N, x, acts);
	for (int l = 0; l < 2; l++) {
		size_t n = (size_t)CALIB_N * fashion_dims[l + 1];
		float lo;

		if (qaccel_calib_minmax(acts[l], n, &lo, &act_max[0][l]) ||
		    qaccel_calib_percentile(acts[l], n, 99.99, &lo, &act_max[1][l]))
			return 1;
	}
	printf("float model: %s (%u epochs), test accuracy %.2f%%\n", path, m.epochs,
	       m.test_accuracy);
	if (write_float_predictions(&m, &te, o->out))
		return 1;
	printf("calibration on training images %u..%u (not trained on):\n", TRAIN_USED,
	       TRAIN_USED + CALIB_N - 1);
	for (int c = 0; c < 2; c++) {
		if (quantize_model(&m, act_max[c], &q))
			return 1;
		acc_q[c] = qmodel_accuracy(&q, &te);
		printf("  %-20s ranges [0, %.3f] [0, %.3f]  int8 test accuracy on the "
		       "CPU reference %.2f%%\n", c ? "99.99th percentile" : "min/max",
		       act_max[c][0], act_max[c][1], acc_q[c]);
		fashion_qmodel_free(&q);
	}
	if (pick < 0)
		pick = 1;
	ret = quantize_model(&m, act_max[pick], &q);
	if (ret)
		return 1;
	q.float_accuracy = m.test_accuracy;
	q.train_epochs = m.epochs;
	snprintf(path, sizeof(path), "%s/model-int8.bin", o->out);
	ret = fashion_qmodel_save(path, &q);
	if (ret) {
		fprintf(stderr, "fashion-prep: cannot write %s\n", path);
		return 1;
	}
	printf("int8 model: %s (%s ranges), %llu bytes of parameters vs %llu fp32\n", path,
	       pick ? "percentile" : "min/max",
	       (unsigned long long)fashion_int8_bytes(&q),
	       (unsigned long long)fashion_fp32_bytes());
	fashion_qmodel_free(&q);
	fmodel_free(&m);
	for (int l = 0; l < FASHION_LAYERS; l++)
		free(acts[l]);
	free(x);
	fashion_set_free(&tr);
	fashion_set_free(&te);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fashion-prep train|quantize [options]\n"
		"  --data DIR      Fashion-MNIST idx files, .gz or not\n"
		"                  (default /usr/share/datasets/fashion-mnist)\n"
		"  --out DIR       where the model files go (default build/fashion)\n"
		"  --epochs N      training epochs (default 10)\n"
		"  --seed S        training seed (default 1)\n"
		"  --calib M       quantize: minmax or percentile (default percentile)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "epochs", required_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 's' },
		{ "calib", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.data = "/usr/share/datasets/fashion-mnist", .out = "build/fashion",
		.epochs = 10, .seed = 1, .percentile = -1,
	};
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.data = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'e':
			o.epochs = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 's':
			o.seed = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			if (strcmp(optarg, "minmax") && strcmp(optarg, "percentile")) {
				usage(stderr);
				return 2;
			}
			o.percentile = !strcmp(optarg, "percentile");
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || o.epochs < 1) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	mkdir(o.out, 0777);
	if (!strcmp(cmd, "train"))
		return train(&o);
	if (!strcmp(cmd, "quantize"))
		return quantize(&o);
	usage(stderr);
	return 2;
}
