// SPDX-License-Identifier: MIT
/*
 * fashion-prep: the host half of the Fashion-MNIST example.
 *
 *   fashion-prep train        [--data DIR] [--out DIR] [--epochs N] [--seed S]
 *   fashion-prep quantize     [--data DIR] [--out DIR] [--calib minmax|percentile]
 *   fashion-prep train-cnn    [--data DIR] [--out DIR] [--epochs N] [--seed S]
 *   fashion-prep quantize-cnn [--data DIR] [--out DIR] [--calib minmax|percentile]
 *
 * train: a float MLP 784-256-128-10 (ReLU), Adam, minibatches of 64, on
 * the first 58,000 training images (the last 2,000 are held out for
 * calibration), writes OUT/model-fp32.bin.
 * quantize: post-training quantization with libqaccel's toolkit (per-channel
 * symmetric int8 weights, uint8 activations calibrated on the held-out
 * images, int32 bias, requantization + ReLU fused into each GEMM, int32
 * logits), checked on the CPU reference over the test set; writes
 * OUT/model-int8.bin and uncompressed copies of the test set for the guest.
 * train-cnn / quantize-cnn: the same for the CNN (OUT/cnn-fp32.bin,
 * OUT/cnn-int8.bin, which fashion-onnx.py turns into ONNX models; the int8
 * CNN's logits on the CPU reference in OUT/cnn-reference-logits).
 * Formats: docs/quantization.md, docs/fashion-cnn.md.
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

/* Percent of @s whose label @pred (freed here; NULL: allocation failed) matches. */
static float accuracy_of(uint8_t *pred, const struct fashion_set *s)
{
	uint32_t correct = 0;

	if (!pred)
		return 0;
	for (uint32_t i = 0; i < s->n; i++)
		correct += pred[i] == s->labels[i];
	free(pred);
	return 100.0f * correct / s->n;
}

static float fmodel_accuracy(const struct fmodel *m, const struct fashion_set *s)
{
	return accuracy_of(fmodel_predict(m, s), s);
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

/* --- the CNN: train-cnn, quantize-cnn ----------------------------------------
 *
 * conv 1->8 5x5 + ReLU + max pool 2 (8x12x12), conv 8->16 5x5 + ReLU + max
 * pool 2 (16x4x4), flattened in NCHW order (c * 16 + y * 4 + x, as ONNX's
 * Reshape of an NCHW tensor), FC 256->64 + ReLU, FC 64->10.  The fully
 * connected layers have no bias: their int8 form is QLinearMatMul, which
 * has none (a bias would need QGemm or QLinearAdd, which the runtime does
 * not run yet).  Quantized, it becomes the ONNX models of
 * examples/fashion/fashion-onnx.py (docs/fashion-cnn.md).
 */
#define CNN_LAYERS	4
#define CNN_F_MAGIC	0x32334346u	/* "FC32" */
#define CNN_Q_MAGIC	0x38514346u	/* "FCQ8" */
#define CNN_VERSION	1u

/* k: kernel side (0: fully connected, cin inputs); in_hw: input side. */
struct cnn_shape {
	uint32_t cin, cout, k, in_hw;
};

static const struct cnn_shape cnn_shape[CNN_LAYERS] = {
	{ 1, 8, 5, 28 }, { 8, 16, 5, 12 }, { 256, 64, 0, 1 }, { 64, 10, 0, 1 },
};

/* Weights per output channel (a GEMM's K). */
static uint32_t cnn_fan_in(int l)
{
	const struct cnn_shape *s = &cnn_shape[l];

	return s->k ? s->cin * s->k * s->k : s->cin;
}

struct cnn {
	float *w[CNN_LAYERS];	/* cout x fan_in */
	float *b[CNN_LAYERS];	/* cout for the convolutions, NULL for FC */
	uint32_t epochs;
	float test_accuracy;
};

/* One image's activations, kept for the backward pass. */
struct cnn_act {
	float x[FASHION_PIXELS];
	float col1[25 * 576], c1[8 * 576], p1[8 * 144];
	float col2[200 * 64], c2[16 * 64], p2[256];
	float h[64], z[FASHION_CLASSES];
	uint32_t p1i[8 * 144], p2i[256];	/* argmax of each pooled element */
};

static int cnn_alloc(struct cnn *m)
{
	for (int l = 0; l < CNN_LAYERS; l++) {
		m->w[l] = calloc((size_t)cnn_shape[l].cout * cnn_fan_in(l), 4);
		m->b[l] = cnn_shape[l].k ? calloc(cnn_shape[l].cout, 4) : NULL;
		if (!m->w[l] || (cnn_shape[l].k && !m->b[l]))
			return -ENOMEM;
	}
	return 0;
}

static void cnn_free(struct cnn *m)
{
	for (int l = 0; l < CNN_LAYERS; l++) {
		free(m->w[l]);
		free(m->b[l]);
	}
}

/*
 * im2col, transposed: colT[k][p] for tap k = (c * ks + i) * ks + j and output
 * pixel p = y * o + x (no padding, stride 1), so that every inner loop of
 * the convolution runs over p, contiguous.
 */
static void im2col_t(const float *in, uint32_t c_n, uint32_t hw, uint32_t ks, float *colT)
{
	uint32_t o = hw - ks + 1;

	for (uint32_t c = 0; c < c_n; c++)
		for (uint32_t i = 0; i < ks; i++)
			for (uint32_t j = 0; j < ks; j++) {
				float *dst = colT + (size_t)((c * ks + i) * ks + j) * o * o;

				for (uint32_t y = 0; y < o; y++)
					memcpy(dst + y * o, in + (size_t)c * hw * hw + (y + i) * hw + j,
					       4 * o);
			}
}

/* out[co][p] = ReLU(b[co] + sum_k w[co][k] colT[k][p]). */
static void conv_fwd(const float *colT, uint32_t np, uint32_t nk, const float *w,
		     const float *b, uint32_t cout, float *out)
{
	for (uint32_t co = 0; co < cout; co++) {
		float *o = out + (size_t)co * np;

		for (uint32_t p = 0; p < np; p++)
			o[p] = b[co];
		for (uint32_t k = 0; k < nk; k++) {
			float wk = w[(size_t)co * nk + k];
			const float *src = colT + (size_t)k * np;

			for (uint32_t p = 0; p < np; p++)
				o[p] += wk * src[p];
		}
		for (uint32_t p = 0; p < np; p++)
			o[p] = o[p] < 0 ? 0 : o[p];
	}
}

/* 2x2 max pool, stride 2, of c_n planes hw x hw; idx keeps each winner. */
static void pool_fwd(const float *in, uint32_t c_n, uint32_t hw, float *out, uint32_t *idx)
{
	uint32_t o = hw / 2;

	for (uint32_t c = 0; c < c_n; c++)
		for (uint32_t y = 0; y < o; y++)
			for (uint32_t x = 0; x < o; x++) {
				uint32_t best = c * hw * hw + 2 * y * hw + 2 * x;

				for (uint32_t i = 0; i < 2; i++)
					for (uint32_t j = 0; j < 2; j++) {
						uint32_t at = c * hw * hw + (2 * y + i) * hw + 2 * x + j;

						if (in[at] > in[best])
							best = at;
					}
				out[(c * o + y) * o + x] = in[best];
				idx[(c * o + y) * o + x] = best;
			}
}

/* out[j] = (ReLU) w[j] . in (no bias). */
static void fc_fwd(const float *in, uint32_t nin, const float *w, uint32_t nout, int relu,
		   float *out)
{
	for (uint32_t j = 0; j < nout; j++) {
		const float *wr = w + (size_t)j * nin;
		float acc = 0;

		for (uint32_t k = 0; k < nin; k++)
			acc += wr[k] * in[k];
		out[j] = relu && acc < 0 ? 0 : acc;
	}
}

static void cnn_forward(const struct cnn *m, const uint8_t *img, struct cnn_act *a)
{
	for (uint32_t i = 0; i < FASHION_PIXELS; i++)
		a->x[i] = img[i] * (1.0f / 255.0f);
	im2col_t(a->x, 1, 28, 5, a->col1);
	conv_fwd(a->col1, 576, 25, m->w[0], m->b[0], 8, a->c1);
	pool_fwd(a->c1, 8, 24, a->p1, a->p1i);
	im2col_t(a->p1, 8, 12, 5, a->col2);
	conv_fwd(a->col2, 64, 200, m->w[1], m->b[1], 16, a->c2);
	pool_fwd(a->c2, 16, 8, a->p2, a->p2i);
	fc_fwd(a->p2, 256, m->w[2], 64, 1, a->h);
	fc_fwd(a->h, 64, m->w[3], FASHION_CLASSES, 0, a->z);
}

/* The float CNN's class of every image of s (malloc'd; NULL: no memory). */
static uint8_t *cnn_predict(const struct cnn *m, const struct fashion_set *s)
{
	struct cnn_act *a = malloc(sizeof(*a));
	uint8_t *pred = malloc(s->n);

	if (!a || !pred) {
		free(a);
		free(pred);
		return NULL;
	}
	for (uint32_t i = 0; i < s->n; i++) {
		cnn_forward(m, s->images + (size_t)i * FASHION_PIXELS, a);
		pred[i] = (uint8_t)argmax(a->z, FASHION_CLASSES);
	}
	free(a);
	return pred;
}

static float cnn_accuracy(const struct cnn *m, const struct fashion_set *s)
{
	return accuracy_of(cnn_predict(m, s), s);
}

/* Gradients of one minibatch, summed over its images. */
struct cnn_grad {
	float *w[CNN_LAYERS], *b[CNN_LAYERS];
	/* scratch of one image's backward pass */
	float dz[FASHION_CLASSES], dh[64], dp2[256], dc2[16 * 64], dcol2[200 * 64];
	float dp1[8 * 144], dc1[8 * 576];
};

/* dW[co][k] += dout[co] . colT[k]; db[co] += sum dout[co]; dcolT (if any) += W^T dout. */
static void conv_bwd(const float *colT, uint32_t np, uint32_t nk, const float *w,
		     uint32_t cout, const float *dout, float *gw, float *gb, float *dcolT)
{
	for (uint32_t co = 0; co < cout; co++) {
		const float *d = dout + (size_t)co * np;
		float s = 0;

		for (uint32_t p = 0; p < np; p++)
			s += d[p];
		gb[co] += s;
		for (uint32_t k = 0; k < nk; k++) {
			const float *src = colT + (size_t)k * np;
			float acc = 0;

			for (uint32_t p = 0; p < np; p++)
				acc += d[p] * src[p];
			gw[(size_t)co * nk + k] += acc;
			if (dcolT) {
				float wk = w[(size_t)co * nk + k];
				float *dc = dcolT + (size_t)k * np;

				for (uint32_t p = 0; p < np; p++)
					dc[p] += wk * d[p];
			}
		}
	}
}

/* Backward of one image whose forward pass is a; returns its loss. */
static float cnn_backward(const struct cnn *m, const struct cnn_act *a, uint32_t label,
			  float scale, struct cnn_grad *g)
{
	float mx = a->z[argmax(a->z, FASHION_CLASSES)], sum = 0;

	for (uint32_t j = 0; j < FASHION_CLASSES; j++)
		sum += g->dz[j] = expf(a->z[j] - mx);
	for (uint32_t j = 0; j < FASHION_CLASSES; j++)
		g->dz[j] = (g->dz[j] / sum - (j == label)) * scale;
	/* FC 64 -> 10 */
	memset(g->dh, 0, sizeof(g->dh));
	for (uint32_t j = 0; j < FASHION_CLASSES; j++)
		for (uint32_t k = 0; k < 64; k++) {
			g->w[3][j * 64 + k] += g->dz[j] * a->h[k];
			g->dh[k] += g->dz[j] * m->w[3][j * 64 + k];
		}
	for (uint32_t k = 0; k < 64; k++)
		if (a->h[k] <= 0)
			g->dh[k] = 0;
	/* FC 256 -> 64 */
	memset(g->dp2, 0, sizeof(g->dp2));
	for (uint32_t j = 0; j < 64; j++) {
		float d = g->dh[j];

		if (d == 0)
			continue;
		for (uint32_t k = 0; k < 256; k++) {
			g->w[2][j * 256 + k] += d * a->p2[k];
			g->dp2[k] += d * m->w[2][j * 256 + k];
		}
	}
	/* pool 2, ReLU, conv 2 */
	memset(g->dc2, 0, sizeof(g->dc2));
	for (uint32_t i = 0; i < 256; i++)
		if (a->c2[a->p2i[i]] > 0)
			g->dc2[a->p2i[i]] += g->dp2[i];
	memset(g->dcol2, 0, sizeof(g->dcol2));
	conv_bwd(a->col2, 64, 200, m->w[1], 16, g->dc2, g->w[1], g->b[1], g->dcol2);
	/* col2im into dp1 (8 x 12 x 12) */
	memset(g->dp1, 0, sizeof(g->dp1));
	for (uint32_t c = 0; c < 8; c++)
		for (uint32_t i = 0; i < 5; i++)
			for (uint32_t j = 0; j < 5; j++) {
				const float *src = g->dcol2 + ((c * 5 + i) * 5 + j) * 64;

				for (uint32_t y = 0; y < 8; y++)
					for (uint32_t x = 0; x < 8; x++)
						g->dp1[c * 144 + (y + i) * 12 + x + j] += src[y * 8 + x];
			}
	/* pool 1, ReLU, conv 1 (no input gradient needed) */
	memset(g->dc1, 0, sizeof(g->dc1));
	for (uint32_t i = 0; i < 8 * 144; i++)
		if (a->c1[a->p1i[i]] > 0)
			g->dc1[a->p1i[i]] += g->dp1[i];
	conv_bwd(a->col1, 576, 25, m->w[0], 8, g->dc1, g->w[0], g->b[0], NULL);
	return -(a->z[label] - mx - logf(sum));
}

struct cnn_fhdr {
	uint32_t magic, version, layers, epochs;
	float test_accuracy;
	uint32_t reserved[3];
};

static int cnn_save(const char *path, const struct cnn *m)
{
	struct cnn_fhdr h = {
		.magic = CNN_F_MAGIC, .version = CNN_VERSION, .layers = CNN_LAYERS,
		.epochs = m->epochs, .test_accuracy = m->test_accuracy,
	};
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(&h, sizeof(h), 1, f) == 1;
	for (int l = 0; l < CNN_LAYERS && ok; l++) {
		size_t nw = (size_t)cnn_shape[l].cout * cnn_fan_in(l);

		ok = fwrite(m->w[l], 4, nw, f) == nw &&
		     (!m->b[l] || fwrite(m->b[l], 4, cnn_shape[l].cout, f) == cnn_shape[l].cout);
	}
	return fclose(f) || !ok ? -EIO : 0;
}

static int cnn_load(const char *path, struct cnn *m)
{
	uint8_t *buf;
	size_t len, off = sizeof(struct cnn_fhdr);
	struct cnn_fhdr h;
	int ret = fashion_read_file(path, &buf, &len);

	if (ret)
		return ret;
	ret = -EINVAL;
	if (len < sizeof(h))
		goto out;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != CNN_F_MAGIC || h.version != CNN_VERSION || h.layers != CNN_LAYERS)
		goto out;
	ret = cnn_alloc(m);
	if (ret)
		goto out;
	ret = -EINVAL;
	for (int l = 0; l < CNN_LAYERS; l++) {
		size_t nw = 4 * (size_t)cnn_shape[l].cout * cnn_fan_in(l);
		size_t nb = m->b[l] ? 4 * (size_t)cnn_shape[l].cout : 0;

		if (len - off < nw + nb)
			goto out;
		memcpy(m->w[l], buf + off, nw);
		if (nb)
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

static int train_cnn(const struct opts *o)
{
	struct fashion_set tr = { 0 }, te = { 0 };
	struct cnn m = { 0 };
	struct cnn_grad *g = calloc(1, sizeof(*g));
	struct cnn_act *acts = malloc(sizeof(*acts) * BATCH);
	struct adam aw[CNN_LAYERS], ab[CNN_LAYERS];
	uint64_t rng = prng_seed(o->seed);
	uint32_t *order = malloc(4 * TRAIN_USED);
	char path[4096];
	double t0 = now();
	long step = 0;
	int ret;

	if (!g || !acts || !order || cnn_alloc(&m))
		return 1;
	if (load_set(o->data, "train", &tr, NULL) || load_set(o->data, "t10k", &te, NULL))
		return 1;
	if (tr.n < TRAIN_USED + CALIB_N) {
		fprintf(stderr, "fashion-prep: only %u training images\n", tr.n);
		return 1;
	}
	/* PyTorch's Conv2d / Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
	for (int l = 0; l < CNN_LAYERS; l++) {
		float bound = 1.0f / sqrtf((float)cnn_fan_in(l));
		size_t nw = (size_t)cnn_shape[l].cout * cnn_fan_in(l), nb = cnn_shape[l].cout;

		for (size_t i = 0; i < nw; i++)
			m.w[l][i] = (2 * rng_uniform(&rng) - 1) * bound;
		for (size_t i = 0; m.b[l] && i < nb; i++)
			m.b[l][i] = (2 * rng_uniform(&rng) - 1) * bound;
		g->w[l] = malloc(4 * nw);
		g->b[l] = malloc(4 * nb);
		aw[l] = (struct adam){ calloc(nw, 4), calloc(nw, 4), nw };
		ab[l] = (struct adam){ calloc(nb, 4), calloc(nb, 4), m.b[l] ? nb : 0 };
		if (!g->w[l] || !g->b[l] || !aw[l].m || !aw[l].v || !ab[l].m || !ab[l].v)
			return 1;
	}
	for (uint32_t i = 0; i < TRAIN_USED; i++)
		order[i] = i;

	printf("training the CNN conv5x5(8)-pool-conv5x5(16)-pool-256-64-10 on %u images, "
	       "%u epochs, Adam lr 1e-3, batch %u, seed %llu\n", TRAIN_USED, o->epochs, BATCH,
	       o->seed);
	for (unsigned int ep = 0; ep < o->epochs; ep++) {
		double loss = 0;

		for (uint32_t i = TRAIN_USED - 1; i > 0; i--) {
			uint32_t j = (uint32_t)(prng_next(&rng) % (i + 1)), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		for (uint32_t start = 0; start < TRAIN_USED; start += BATCH) {
			uint32_t rows = TRAIN_USED - start < BATCH ? TRAIN_USED - start : BATCH;
			float lr_t;

			for (int l = 0; l < CNN_LAYERS; l++) {
				memset(g->w[l], 0, 4 * (size_t)cnn_shape[l].cout * cnn_fan_in(l));
				memset(g->b[l], 0, 4 * (size_t)cnn_shape[l].cout);
			}
			for (uint32_t r = 0; r < rows; r++) {
				uint32_t at = order[start + r];

				cnn_forward(&m, tr.images + (size_t)at * FASHION_PIXELS, &acts[r]);
				loss += cnn_backward(&m, &acts[r], tr.labels[at], 1.0f / rows, g);
			}
			step++;
			lr_t = 1e-3f * sqrtf(1 - powf(0.999f, (float)step)) /
			       (1 - powf(0.9f, (float)step));
			for (int l = 0; l < CNN_LAYERS; l++) {
				adam_step(m.w[l], g->w[l], &aw[l], lr_t);
				if (m.b[l])
					adam_step(m.b[l], g->b[l], &ab[l], lr_t);
			}
		}
		m.epochs = ep + 1;
		m.test_accuracy = cnn_accuracy(&m, &te);
		printf("  epoch %2u  loss %.4f  test accuracy %.2f%%  (%.0f s)\n", ep + 1,
		       loss / TRAIN_USED, m.test_accuracy, now() - t0);
		fflush(stdout);
	}
	snprintf(path, sizeof(path), "%s/cnn-fp32.bin", o->out);
	ret = cnn_save(path, &m);
	if (ret)
		fprintf(stderr, "fashion-prep: cannot write %s: %s\n", path, strerror(-ret));
	else
		printf("float CNN: %s, test accuracy %.2f%%, trained in %.0f s\n", path,
		       m.test_accuracy, now() - t0);
	for (int l = 0; l < CNN_LAYERS; l++) {
		free(g->w[l]);
		free(g->b[l]);
		free(aw[l].m);
		free(aw[l].v);
		free(ab[l].m);
		free(ab[l].v);
	}
	free(g);
	free(acts);
	free(order);
	cnn_free(&m);
	fashion_set_free(&tr);
	fashion_set_free(&te);
	return ret ? 1 : 0;
}

/*
 * One quantized layer as ONNX Runtime runs it (QLinearConv, QLinearMatMul):
 * uint8 input (in), int8 per-channel symmetric weights, int32 bias at
 * in.scale * w_scales[c] (convolutions), uint8 output (out); the int32
 * accumulator is requantized with ONNX Runtime's fp32 scale
 * fl(fl(in.scale * w_scales[c]) / out.scale), round to nearest even
 * (QACCEL_GEMM_RQ_FP32), so that the CPU reference gives ONNX Runtime's
 * bytes.  The ReLUs are in the output ranges, which start at 0 (zero point
 * 0): ONNX Runtime's quantizer removes a ReLU that way too.
 */
struct cnn_qlayer {
	struct qaccel_qparams in, out;
	int8_t *w;			/* cout x fan_in */
	float *w_scales;		/* cout */
	int32_t *bias;			/* cout (zeros for FC: no bias) */
	struct qaccel_quant *quant;	/* cout: the fp32 scales */
	struct qaccel_gemm_params p;	/* m, lda, ldc set per use */
};

struct cnn_q {
	struct cnn_qlayer layer[CNN_LAYERS];
};

static void cnn_q_free(struct cnn_q *q)
{
	for (int l = 0; l < CNN_LAYERS; l++) {
		free(q->layer[l].w);
		free(q->layer[l].w_scales);
		free(q->layer[l].bias);
		free(q->layer[l].quant);
	}
	memset(q, 0, sizeof(*q));
}

/* ranges[l]: [lo, hi] of layer l's output (after its ReLU, before pooling). */
static int cnn_quantize(const struct cnn *m, const float ranges[CNN_LAYERS][2], struct cnn_q *q)
{
	struct qaccel_qparams in = {
		.scale = 1.0f / 255.0f, .zero_point = 0, .qmin = 0, .qmax = 255,
		.type = QACCEL_QTYPE_UINT8,
	};
	int ret;

	memset(q, 0, sizeof(*q));
	for (int l = 0; l < CNN_LAYERS; l++) {
		struct cnn_qlayer *ql = &q->layer[l];
		uint32_t nk = cnn_fan_in(l), nout = cnn_shape[l].cout;

		ql->in = in;
		ql->w = malloc((size_t)nout * nk);
		ql->w_scales = malloc(4 * nout);
		ql->bias = calloc(nout, 4);
		ql->quant = calloc(nout, sizeof(*ql->quant));
		if (!ql->w || !ql->w_scales || !ql->bias || !ql->quant)
			return -ENOMEM;
		ret = qaccel_quantize_per_channel(m->w[l], nout, nk, nk, ql->w, nk, ql->w_scales);
		if (!ret)
			ret = qaccel_qparams_from_range(ranges[l][0], ranges[l][1],
							QACCEL_QTYPE_UINT8,
							QACCEL_QSCHEME_ASYMMETRIC, &ql->out);
		ql->p = (struct qaccel_gemm_params){
			.n = nout, .k = nk, .ldb = nk,
			.flags = QACCEL_GEMM_A_UINT8 | QACCEL_GEMM_RQ_FP32,
			.a_zero_point = in.zero_point,
		};
		if (!ret)
			ret = qaccel_gemm_requant(in.scale, ql->w_scales, nout, &ql->out,
						  QACCEL_ACT_NONE, m->b[l], &ql->p, ql->quant,
						  ql->bias);
		if (ret)
			return ret;
		in = ql->out;
	}
	return 0;
}

/*
 * The int8 CNN on the CPU reference for one image: uint8 logits (zero point
 * and scale of the last layer's output), byte for byte what ONNX Runtime
 * computes for the QOperator model.  Activations are NHWC here (a GEMM's
 * rows are pixels); the flatten takes NCHW order as the ONNX model does.
 */
static int cnn_q_forward(const struct cnn_q *q, const uint8_t *img, uint8_t logits[FASHION_CLASSES])
{
	uint8_t a1[25 * 576], c1[576 * 8], p1[144 * 8], a2[200 * 64], c2[64 * 16];
	uint8_t flat[256], h[64];
	const void *src[CNN_LAYERS] = { a1, a2, flat, h };
	void *dst[CNN_LAYERS] = { c1, c2, h, logits };
	const uint32_t rows[CNN_LAYERS] = { 576, 64, 1, 1 };

	for (int l = 0; l < CNN_LAYERS; l++) {
		const struct cnn_qlayer *ql = &q->layer[l];
		struct qaccel_gemm_params p = ql->p;
		int ret;

		if (l == 0) {
			for (uint32_t y = 0; y < 24; y++)
				for (uint32_t x = 0; x < 24; x++)
					for (uint32_t i = 0; i < 5; i++)
						for (uint32_t j = 0; j < 5; j++)
							a1[(y * 24 + x) * 25 + i * 5 + j] =
								img[(y + i) * 28 + x + j];
		} else if (l == 1) {
			for (uint32_t y = 0; y < 8; y++)
				for (uint32_t x = 0; x < 8; x++)
					for (uint32_t c = 0; c < 8; c++)
						for (uint32_t i = 0; i < 5; i++)
							for (uint32_t j = 0; j < 5; j++)
								a2[(y * 8 + x) * 200 + (c * 5 + i) * 5 + j] =
									p1[((y + i) * 12 + x + j) * 8 + c];
		}
		p.m = rows[l];
		p.lda = p.k;
		p.ldc = p.n;
		ret = qaccel_ref_gemm(&p, src[l], ql->w, ql->bias, ql->quant, dst[l]);
		if (ret)
			return ret;
		/* 2x2 max pools (uint8, as ONNX Runtime's MaxPool on uint8). */
		if (l < 2) {
			const uint8_t *c = l ? c2 : c1;
			uint8_t *pool = l ? flat : p1;
			uint32_t hw = l ? 8 : 24, ch = l ? 16 : 8, o = hw / 2;

			for (uint32_t y = 0; y < o; y++)
				for (uint32_t x = 0; x < o; x++)
					for (uint32_t k = 0; k < ch; k++) {
						uint8_t v = 0;

						for (uint32_t i = 0; i < 2; i++)
							for (uint32_t j = 0; j < 2; j++) {
								uint8_t e = c[((2 * y + i) * hw + 2 * x + j) * ch + k];

								v = e > v ? e : v;
							}
						/* conv 1: NHWC; conv 2: NCHW flatten order. */
						if (l)
							pool[k * o * o + y * o + x] = v;
						else
							pool[(y * o + x) * ch + k] = v;
					}
		}
	}
	return 0;
}

/* The int8 CNN's logits for every image of s (n x 10 bytes) and its accuracy. */
static int cnn_q_run(const struct cnn_q *q, const struct fashion_set *s, uint8_t *logits,
		     float *accuracy)
{
	uint32_t correct = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		uint8_t *z = logits + (size_t)i * FASHION_CLASSES;
		uint32_t best = 0;
		int ret = cnn_q_forward(q, s->images + (size_t)i * FASHION_PIXELS, z);

		if (ret)
			return ret;
		/* First maximum, as an argmax over the dequantized logits gives. */
		for (uint32_t j = 1; j < FASHION_CLASSES; j++)
			if (z[j] > z[best])
				best = j;
		correct += best == s->labels[i];
	}
	*accuracy = 100.0f * correct / s->n;
	return 0;
}

struct cnn_qhdr {
	uint32_t magic, version, layers, epochs;
	float float_accuracy, int8_accuracy;
	uint32_t reserved[2];
};

struct cnn_qlayer_hdr {
	uint32_t cin, cout, k, in_hw, has_bias;
	float in_scale;
	int32_t in_zero_point;
	float out_scale;
	int32_t out_zero_point;
	uint32_t reserved;
};

/* The parameters file fashion-onnx.py reads (docs/fashion-cnn.md). */
static int cnn_q_save(const char *path, const struct cnn_q *q, const struct cnn *m,
		      float int8_accuracy)
{
	struct cnn_qhdr h = {
		.magic = CNN_Q_MAGIC, .version = CNN_VERSION, .layers = CNN_LAYERS,
		.epochs = m->epochs, .float_accuracy = m->test_accuracy,
		.int8_accuracy = int8_accuracy,
	};
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(&h, sizeof(h), 1, f) == 1;
	for (int l = 0; l < CNN_LAYERS && ok; l++) {
		const struct cnn_qlayer *ql = &q->layer[l];
		const struct cnn_shape *s = &cnn_shape[l];
		struct cnn_qlayer_hdr lh = {
			.cin = s->cin, .cout = s->cout, .k = s->k, .in_hw = s->in_hw,
			.has_bias = m->b[l] != NULL,
			.in_scale = ql->in.scale, .in_zero_point = ql->in.zero_point,
			.out_scale = ql->out.scale, .out_zero_point = ql->out.zero_point,
		};
		size_t nw = (size_t)s->cout * cnn_fan_in(l);

		ok = fwrite(&lh, sizeof(lh), 1, f) == 1 &&
		     fwrite(ql->w, 1, nw, f) == nw &&
		     fwrite(ql->w_scales, 4, s->cout, f) == s->cout &&
		     fwrite(ql->bias, 4, s->cout, f) == s->cout;
	}
	return fclose(f) || !ok ? -EIO : 0;
}

static int write_bytes(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ok = f && fwrite(p, 1, n, f) == n;
	if (f && fclose(f))
		ok = 0;
	if (!ok)
		fprintf(stderr, "fashion-prep: cannot write %s\n", path);
	return ok ? 0 : -EIO;
}

static int quantize_cnn(const struct opts *o)
{
	struct fashion_set tr = { 0 }, te = { 0 };
	struct cnn m = { 0 };
	struct cnn_q q;
	struct cnn_act *a = malloc(sizeof(*a));
	/* Calibration samples of each layer's output, per image: */
	static const uint32_t per_img[CNN_LAYERS] = { 8 * 576, 16 * 64, 64, FASHION_CLASSES };
	float *samples[CNN_LAYERS], ranges[2][CNN_LAYERS][2], acc[2];
	uint8_t *logits, *fpred;
	char path[4096];
	int pick = o->percentile < 0 ? 1 : o->percentile;

	snprintf(path, sizeof(path), "%s/cnn-fp32.bin", o->out);
	if (cnn_load(path, &m)) {
		fprintf(stderr, "fashion-prep: cannot load %s (run fashion-prep train-cnn)\n", path);
		return 1;
	}
	if (!a || load_set(o->data, "train", &tr, NULL) || load_set(o->data, "t10k", &te, NULL))
		return 1;
	for (int l = 0; l < CNN_LAYERS; l++) {
		samples[l] = malloc(4 * (size_t)CALIB_N * per_img[l]);
		if (!samples[l])
			return 1;
	}
	for (uint32_t i = 0; i < CALIB_N; i++) {
		cnn_forward(&m, tr.images + (size_t)(TRAIN_USED + i) * FASHION_PIXELS, a);
		memcpy(samples[0] + (size_t)i * per_img[0], a->c1, sizeof(a->c1));
		memcpy(samples[1] + (size_t)i * per_img[1], a->c2, sizeof(a->c2));
		memcpy(samples[2] + (size_t)i * per_img[2], a->h, sizeof(a->h));
		memcpy(samples[3] + (size_t)i * per_img[3], a->z, sizeof(a->z));
	}
	for (int l = 0; l < CNN_LAYERS; l++) {
		size_t n = (size_t)CALIB_N * per_img[l];

		if (qaccel_calib_minmax(samples[l], n, &ranges[0][l][0], &ranges[0][l][1]) ||
		    qaccel_calib_percentile(samples[l], n, 99.99, &ranges[1][l][0],
					    &ranges[1][l][1]))
			return 1;
		free(samples[l]);
	}
	printf("float CNN: %s (%u epochs), test accuracy %.2f%%\n", path, m.epochs,
	       m.test_accuracy);
	fpred = cnn_predict(&m, &te);
	if (!fpred || write_bytes(o->out, "cnn-float-predictions", fpred, te.n))
		return 1;
	logits = malloc((size_t)te.n * FASHION_CLASSES);
	if (!logits)
		return 1;
	printf("calibration on training images %u..%u (not trained on):\n", TRAIN_USED,
	       TRAIN_USED + CALIB_N - 1);
	for (int c = 0; c < 2; c++) {
		if (cnn_quantize(&m, (const float (*)[2])ranges[c], &q) ||
		    cnn_q_run(&q, &te, logits, &acc[c]))
			return 1;
		printf("  %-20s ranges [0, %.3f] [0, %.3f] [0, %.3f] [%.3f, %.3f]  int8 test "
		       "accuracy on the CPU reference %.2f%%\n",
		       c ? "99.99th percentile" : "min/max", ranges[c][0][1], ranges[c][1][1],
		       ranges[c][2][1], ranges[c][3][0], ranges[c][3][1], acc[c]);
		cnn_q_free(&q);
	}
	if (cnn_quantize(&m, (const float (*)[2])ranges[pick], &q) ||
	    cnn_q_run(&q, &te, logits, &acc[pick]))
		return 1;
	snprintf(path, sizeof(path), "%s/cnn-int8.bin", o->out);
	/* The reference's logits: ONNX Runtime's must equal them byte for byte. */
	if (cnn_q_save(path, &q, &m, acc[pick]) ||
	    write_bytes(o->out, "cnn-reference-logits", logits, (size_t)te.n * FASHION_CLASSES))
		return 1;
	printf("int8 CNN parameters: %s (%s ranges)\n", path, pick ? "percentile" : "min/max");
	cnn_q_free(&q);
	cnn_free(&m);
	free(a);
	free(logits);
	free(fpred);
	fashion_set_free(&tr);
	fashion_set_free(&te);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fashion-prep train|quantize|train-cnn|quantize-cnn [options]\n"
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
	if (!strcmp(cmd, "train-cnn"))
		return train_cnn(&o);
	if (!strcmp(cmd, "quantize-cnn"))
		return quantize_cnn(&o);
	usage(stderr);
	return 2;
}
