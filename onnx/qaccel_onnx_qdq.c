// SPDX-License-Identifier: MIT
/*
 * QDQ fusion: the graph rewrites ONNX Runtime's CPU execution provider
 * makes on a model in QDQ format (QuantizeLinear / DequantizeLinear pairs
 * around float ops) before it runs it, made the same way here so that the
 * same integer kernels, with the same arithmetic, run (docs/models.md, "QDQ
 * fusion").  What ONNX Runtime leaves unfused runs unfused here too: DQ,
 * the float op, Q, each as ONNX Runtime computes it, or the load refuses
 * the float op.
 *
 * In ONNX Runtime's order, after constant folding (qaccel_onnx.c, fold_graph()):
 *  0. a Cast to its input's own type goes (CastElimination): PyTorch writes
 *     one between every Q and DQ;
 *  1. Relu -> Q: the Relu goes when Q's zero point is its type's lowest
 *     value (ReluQuantFusion); Clip -> Q: the Clip goes when its bounds lie
 *     within float epsilon of Q's representable range (ClipQuantFusion).
 *  2. Node units (QDQSelectorActionTransformer), each node in graph order:
 *     DQ(x), DQ(w)[, DQ(int32 bias)] -> Conv -> Q      => QLinearConv
 *     DQ(a), DQ(b) -> MatMul -> Q                      => QLinearMatMul
 *     DQ(a), DQ(b)[, DQ(bias)] -> Gemm [-> Q]          => QGemm (com.microsoft)
 *     DQ(a), DQ(b) -> Add -> Q                         => QLinearAdd (com.microsoft)
 *     DQ -> AveragePool / GlobalAveragePool -> Q, one type after ONNX
 *       Runtime's int8 -> uint8 Q/DQ pair conversion
 *                                                      => QLinearAveragePool /
 *                                                         QLinearGlobalAveragePool
 *     DQ -> Reshape / Flatten / Transpose / Squeeze / Unsqueeze / MaxPool
 *       (opset 12 on) -> Q with equal scalar scale and zero point
 *                                                      => the op on the integers
 *     with ONNX Runtime's conditions: every input of the op from a DQ, the
 *     op's only consumer the Q, nothing of the unit a graph output, int8
 *     activations only with int8 weights, the activation's and the
 *     output's types the same, a Gemm's bias only with beta 1.
 *
 * The rewritten nodes are NodeProtos of their own (struct qo_snode) whose
 * strings and attributes point into the parsed model.
 */
#include <errno.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel_onnx_internal.h"

#define SN_MAX_IN	(QO_MAX_IO + 1)
#define SN_MAX_ATTR	16

/* One node of the graph being rewritten. */
struct qo_snode {
	const Onnx__NodeProto *orig;
	Onnx__NodeProto proto;		/* what is loaded when changed */
	char *in[SN_MAX_IN], *out[1];
	Onnx__AttributeProto *attr[SN_MAX_ATTR];
	bool changed, removed;
};

struct qdq {
	struct qaccel_onnx_model *m;
	const Onnx__GraphProto *g;
	struct qo_snode *s;
	size_t n;
};

static const char *nstr(const char *s)
{
	return s ? s : "";
}

static bool is_op(const struct qo_snode *s, const char *op)
{
	const char *dom = nstr(s->proto.domain);

	return !s->removed && !strcmp(nstr(s->proto.op_type), op) &&
	       (!*dom || !strcmp(dom, "ai.onnx"));
}

static bool graph_output(const struct qdq *q, const char *name)
{
	for (size_t i = 0; i < q->g->n_output; i++)
		if (!strcmp(nstr(q->g->output[i]->name), name))
			return true;
	return false;
}

/* Inputs of live nodes that read name; *only the one consumer when there is one. */
static unsigned int consumers(const struct qdq *q, const char *name, struct qo_snode **only)
{
	unsigned int c = 0;

	*only = NULL;
	for (size_t i = 0; i < q->n; i++) {
		struct qo_snode *s = &q->s[i];

		if (s->removed)
			continue;
		for (size_t j = 0; j < s->proto.n_input; j++)
			if (!strcmp(nstr(s->proto.input[j]), name)) {
				c++;
				*only = s;
			}
	}
	return c;
}

static struct qo_snode *producer(const struct qdq *q, const char *name)
{
	for (size_t i = 0; i < q->n; i++)
		if (!q->s[i].removed && q->s[i].proto.n_output &&
		    !strcmp(nstr(q->s[i].proto.output[0]), name))
			return &q->s[i];
	return NULL;
}

/* The constant value named name (an initializer), or NULL. */
static const struct qo_value *constant(const struct qdq *q, const char *name)
{
	int i = qo_value_find(q->m, name);

	return i >= 0 && q->m->values[i].is_const ? &q->m->values[i] : NULL;
}

/* Own copies of the input / output arrays, so that they can be rewritten. */
static bool own(struct qo_snode *s)
{
	if (s->changed)
		return true;
	if (s->orig->n_input > SN_MAX_IN || s->orig->n_output != 1 ||
	    s->orig->n_attribute > SN_MAX_ATTR)
		return false;
	if (s->orig->n_input)	/* memcpy() takes no NULL, even for 0 bytes */
		memcpy(s->in, s->orig->input, s->orig->n_input * sizeof(char *));
	s->out[0] = s->orig->output[0];
	if (s->orig->n_attribute)
		memcpy(s->attr, s->orig->attribute, s->orig->n_attribute * sizeof(s->attr[0]));
	s->proto.input = s->in;
	s->proto.output = s->out;
	s->proto.attribute = s->attr;
	s->changed = true;
	return true;
}

/* A Q or DQ's scalar scale and zero point (both present, constant, one element). */
static bool qparams(const struct qdq *q, const struct qo_snode *s, bool rank0, float *scale,
		    int32_t *zp, int32_t *type)
{
	const struct qo_value *sv, *zv;

	if (s->proto.n_input != 3)
		return false;
	sv = constant(q, nstr(s->proto.input[1]));
	zv = constant(q, nstr(s->proto.input[2]));
	if (!sv || !zv || sv->dtype != QACCEL_ONNX_FLOAT || sv->count != 1 || zv->count != 1 ||
	    (rank0 && (sv->rank || zv->rank)))
		return false;
	if (zv->dtype != QACCEL_ONNX_UINT8 && zv->dtype != QACCEL_ONNX_INT8 &&
	    zv->dtype != QACCEL_ONNX_INT32)
		return false;
	*scale = *(const float *)sv->data;
	*zp = zv->dtype == QACCEL_ONNX_UINT8 ? *(const uint8_t *)zv->data :
	      zv->dtype == QACCEL_ONNX_INT8 ? *(const int8_t *)zv->data : *(const int32_t *)zv->data;
	*type = zv->dtype;
	return true;
}

/* The type a Q or DQ quantizes to / from: its zero point's (uint8 without one). */
static int32_t qtype(const struct qdq *q, const struct qo_snode *s)
{
	const struct qo_value *zv;
	int i;

	if (s->proto.n_input < 3 || !*nstr(s->proto.input[2]))
		return QACCEL_ONNX_UINT8;
	i = qo_value_find(q->m, nstr(s->proto.input[2]));
	zv = i >= 0 ? &q->m->values[i] : NULL;
	return zv ? zv->dtype : 0;
}

/* --- 0. Casts to their input's own type ---------------------------------------- */

/*
 * The type of value name where this stage knows it: a constant's or graph
 * input's, a Q's (its zero point's), a DQ's (float); 0 otherwise.
 */
static int32_t value_type(const struct qdq *q, const char *name)
{
	int i = qo_value_find(q->m, name);
	const struct qo_snode *p;

	if (i >= 0)
		return q->m->values[i].dtype;
	p = producer(q, name);
	if (p && is_op(p, "QuantizeLinear"))
		return qtype(q, p);
	if (p && is_op(p, "DequantizeLinear"))
		return QACCEL_ONNX_FLOAT;
	return 0;
}

/*
 * ONNX Runtime's CastElimination: a Cast whose 'to' is its input's type goes,
 * its consumers read its input (not when its output is a graph output).  One
 * this stage cannot see the type of stays: it runs as a copy.
 */
static void drop_cast(struct qdq *q, struct qo_snode *c)
{
	const char *in, *out;
	int64_t to = -1;

	if (c->proto.n_input != 1 || c->proto.n_output != 1)
		return;
	for (size_t i = 0; i < c->proto.n_attribute; i++)
		if (!strcmp(nstr(c->proto.attribute[i]->name), "to") && c->proto.attribute[i]->has_i)
			to = c->proto.attribute[i]->i;
	in = nstr(c->proto.input[0]);
	out = nstr(c->proto.output[0]);
	if (!*in || graph_output(q, out) || value_type(q, in) != to)
		return;
	for (size_t i = 0; i < q->n; i++) {
		struct qo_snode *s = &q->s[i];

		for (size_t j = 0; !s->removed && j < s->proto.n_input; j++)
			if (!strcmp(nstr(s->proto.input[j]), out) && !own(s))
				return;
	}
	for (size_t i = 0; i < q->n; i++) {
		struct qo_snode *s = &q->s[i];

		for (size_t j = 0; !s->removed && j < s->proto.n_input; j++)
			if (!strcmp(nstr(s->proto.input[j]), out))
				s->in[j] = c->proto.input[0];
	}
	c->removed = true;
}

/* --- 1. Relu / Clip before a Q ------------------------------------------------ */

static void drop_activation(struct qdq *q, struct qo_snode *act)
{
	const char *out;
	struct qo_snode *qn;
	float scale, lower, upper, lo, hi;
	int32_t zp, type;

	/* Nothing is validated yet: any count of inputs and outputs can come here. */
	if (act->proto.n_output != 1 || act->proto.n_input < 1)
		return;
	out = nstr(act->proto.output[0]);
	if (graph_output(q, out) || consumers(q, out, &qn) != 1 ||
	    !is_op(qn, "QuantizeLinear") || strcmp(nstr(qn->proto.input[0]), out))
		return;
	if (!qparams(q, qn, false, &scale, &zp, &type))
		return;
	if (is_op(act, "Relu")) {
		if (zp != (type == QACCEL_ONNX_UINT8 ? 0 : -128))
			return;
	} else {
		struct qo_node tmp = { .proto = act->orig, .name = nstr(act->proto.name),
				       .op_type = "Clip" };

		if (!qparams(q, qn, true, &scale, &zp, &type) || type == QACCEL_ONNX_INT32)
			return;
		tmp.n_in = (unsigned int)act->proto.n_input;
		for (unsigned int i = 0; i < tmp.n_in && i < QO_MAX_IO; i++) {
			const char *nm = nstr(act->proto.input[i]);

			tmp.in[i] = *nm ? qo_value_find(q->m, nm) : -1;
			if (i && *nm && !constant(q, nm))
				return;
		}
		if (qo_clip_bounds(q->m, &tmp, &lo, &hi))
			return;
		lower = scale * (float)((type == QACCEL_ONNX_UINT8 ? 0 : -128) - zp);
		upper = scale * (float)((type == QACCEL_ONNX_UINT8 ? 255 : 127) - zp);
		if (FLT_EPSILON < lo - lower || FLT_EPSILON < upper - hi)
			return;
	}
	if (!own(qn))
		return;
	qn->in[0] = act->proto.input[0];
	act->removed = true;
}

/* --- 2. node units -------------------------------------------------------------- */

/* The DQ that produces input i of s (not a graph output), or NULL. */
static struct qo_snode *dq_of(struct qdq *q, struct qo_snode *s, size_t i)
{
	struct qo_snode *d;

	if (i >= s->proto.n_input || !*nstr(s->proto.input[i]))
		return NULL;
	d = producer(q, nstr(s->proto.input[i]));
	if (!d || !is_op(d, "DequantizeLinear") || graph_output(q, nstr(d->proto.output[0])))
		return NULL;
	return d;
}

/* The Q that is the only consumer of s's output, or NULL. */
static struct qo_snode *q_after(struct qdq *q, struct qo_snode *s)
{
	const char *out;
	struct qo_snode *qn;

	if (s->proto.n_output != 1)
		return NULL;
	out = nstr(s->proto.output[0]);
	if (graph_output(q, out) || consumers(q, out, &qn) != 1 ||
	    !is_op(qn, "QuantizeLinear") || strcmp(nstr(qn->proto.input[0]), out))
		return NULL;
	return qn;
}

/* Does any consumer of s's output quantize it (ONNX Runtime then wants them all to)? */
static bool feeds_q(const struct qdq *q, const struct qo_snode *s)
{
	const char *out = s->proto.n_output ? nstr(s->proto.output[0]) : "";

	for (size_t i = 0; i < q->n; i++)
		if (is_op(&q->s[i], "QuantizeLinear") && q->s[i].proto.n_input &&
		    !strcmp(nstr(q->s[i].proto.input[0]), out))
			return true;
	return false;
}

/* A DQ that no live node reads any more goes. */
static void retire_dq(struct qdq *q, struct qo_snode *d)
{
	struct qo_snode *only;

	if (consumers(q, nstr(d->proto.output[0]), &only) == 0)
		d->removed = true;
}

/*
 * Replace t (its inputs from dqs[0..ndq), its output through qn, or its
 * own output without qn) by op in domain with the inputs ins.
 */
static void replace(struct qdq *q, struct qo_snode *t, struct qo_snode **dqs, size_t ndq,
		    struct qo_snode *qn, const char *op, const char *domain, char **ins, size_t nin)
{
	size_t na = 0;

	memcpy(t->in, ins, nin * sizeof(char *));
	t->proto.n_input = nin;
	if (qn) {
		t->out[0] = qn->proto.output[0];
		qn->removed = true;
	}
	/* Gemm's beta is not QGemm's (the bias must have had beta 1). */
	for (size_t i = 0; i < t->proto.n_attribute; i++)
		if (strcmp(nstr(t->attr[i]->name), "beta"))
			t->attr[na++] = t->attr[i];
	t->proto.n_attribute = na;
	t->proto.op_type = (char *)op;
	t->proto.domain = (char *)domain;
	for (size_t i = 0; i < ndq; i++)
		retire_dq(q, dqs[i]);
}

static bool has_zp(const struct qo_snode *s)
{
	return s->proto.n_input == 3 && *nstr(s->proto.input[2]);
}

static float attr_f(const struct qo_snode *s, const char *name, float def)
{
	for (size_t i = 0; i < s->proto.n_attribute; i++)
		if (!strcmp(nstr(s->proto.attribute[i]->name), name))
			return s->proto.attribute[i]->f;
	return def;
}

/* A DQ of a matrix whose scale is one value or one per column (axis 1 or -1, the default). */
static bool per_column(const struct qdq *q, const struct qo_snode *d)
{
	const struct qo_value *sv = constant(q, nstr(d->proto.input[1]));

	if (sv && sv->count == 1)
		return true;
	for (size_t i = 0; i < d->proto.n_attribute; i++)
		if (!strcmp(nstr(d->proto.attribute[i]->name), "axis"))
			return d->proto.attribute[i]->i == 1 || d->proto.attribute[i]->i == -1;
	return true;
}

static void fuse_unit(struct qdq *q, struct qo_snode *t)
{
	struct qo_snode *dq[3] = { NULL, NULL, NULL }, *qn;
	size_t nin = t->proto.n_input;
	char *ins[9];
	bool conv = is_op(t, "Conv"), mm = is_op(t, "MatMul"), gemm = is_op(t, "Gemm");
	bool add = is_op(t, "Add");

	if (!conv && !mm && !gemm && !add)
		return;
	if (nin < 2 || nin > 3 || ((mm || add) && nin != 2))
		return;
	for (size_t i = 0; i < nin; i++) {
		dq[i] = dq_of(q, t, i);
		if (!dq[i] || !has_zp(dq[i]))
			return;
	}
	qn = q_after(q, t);
	if (qn && !has_zp(qn))
		return;
	if (!qn && (!gemm || feeds_q(q, t)))
		return;
	if (qtype(q, dq[0]) != QACCEL_ONNX_UINT8 && qtype(q, dq[0]) != QACCEL_ONNX_INT8)
		return;
	if (add) {
		if (qtype(q, dq[1]) != qtype(q, dq[0]) || qtype(q, qn) != qtype(q, dq[0]))
			return;
	} else {
		if (qtype(q, dq[0]) == QACCEL_ONNX_INT8 && qtype(q, dq[1]) != QACCEL_ONNX_INT8)
			return;
		if (qn && qtype(q, qn) != qtype(q, dq[0]))
			return;
		if (nin == 3 && qtype(q, dq[2]) != QACCEL_ONNX_INT32)
			return;
		if (gemm && nin == 3 && attr_f(t, "beta", 1.0f) != 1.0f)
			return;
		/* QLinearMatMul's b_scale is per column: a DQ per row (axis 0) stays unfused. */
		if (mm && !per_column(q, dq[1]))
			return;
	}
	if (!own(t))
		return;
	/* x, x_scale, x_zp, w, w_scale, w_zp: the DQs' inputs. */
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < 3; j++)
			ins[i * 3 + j] = dq[i]->proto.input[j];
	if (conv) {
		ins[6] = qn->proto.input[1];
		ins[7] = qn->proto.input[2];
		if (nin == 3)
			ins[8] = dq[2]->proto.input[0];
		replace(q, t, dq, nin, qn, "QLinearConv", "", ins, nin == 3 ? 9 : 8);
	} else if (mm || add) {
		ins[6] = qn->proto.input[1];
		ins[7] = qn->proto.input[2];
		replace(q, t, dq, nin, qn, mm ? "QLinearMatMul" : "QLinearAdd",
			mm ? "" : "com.microsoft", ins, 8);
	} else {
		ins[6] = nin == 3 ? dq[2]->proto.input[0] : (char *)"";
		if (qn) {
			ins[7] = qn->proto.input[1];
			ins[8] = qn->proto.input[2];
		}
		replace(q, t, dq, nin, qn, "QGemm", "com.microsoft", ins,
			qn ? 9 : nin == 3 ? 7 : 6);
	}
}

/*
 * ONNX Runtime on x86 first turns every int8 Q -> DQ pair into a uint8 one
 * (QDQS8ToU8Transformer: both zero points + 128), where the Q's only
 * consumer is the DQ, the Q's output no graph output, and both have
 * constant scalar scales and zero points.  Is qn such a Q?
 */
static bool s8_pair_to_u8(const struct qdq *q, const struct qo_snode *qn)
{
	struct qo_snode *dq;
	float s;
	int32_t z, t;

	if (!qn || !is_op(qn, "QuantizeLinear") || qtype(q, qn) != QACCEL_ONNX_INT8 ||
	    qn->proto.n_output != 1 || graph_output(q, nstr(qn->proto.output[0])) ||
	    consumers(q, nstr(qn->proto.output[0]), &dq) != 1 ||
	    !is_op(dq, "DequantizeLinear"))
		return false;
	return qparams(q, qn, false, &s, &z, &t) && qparams(q, dq, false, &s, &z, &t);
}

/* Marks a QLinearAveragePool fused from int8 pairs ONNX Runtime ran as uint8. */
const Onnx__AttributeProto qo_s8_as_u8 = {
	.base = PROTOBUF_C_MESSAGE_INIT(&onnx__attribute_proto__descriptor),
	.name = (char *)"qaccel-s8-as-u8",
	.has_type = 1,
	.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT,
	.has_i = 1,
	.i = 1,
};

/*
 * DQ -> AveragePool / GlobalAveragePool -> Q: ONNX Runtime's
 * QLinearAveragePool / QLinearGlobalAveragePool (com.microsoft), whatever
 * the two scales, when the DQ's and the Q's types are the same after the
 * int8 -> uint8 pair conversion above (measured: an int8 unit whose input
 * pair converts and whose Q is a graph output stays unfused, and runs as
 * DQ, the float pool, Q).
 */
static void fuse_pool(struct qdq *q, struct qo_snode *t)
{
	bool gap = is_op(t, "GlobalAveragePool"), in_u8, out_u8;
	struct qo_snode *dq, *qn;
	char *ins[5];
	int32_t type;

	if (!gap && !is_op(t, "AveragePool"))
		return;
	dq = dq_of(q, t, 0);
	qn = q_after(q, t);
	if (!dq || !qn || !has_zp(dq) || !has_zp(qn) || t->proto.n_input != 1)
		return;
	type = qtype(q, dq);
	if ((type != QACCEL_ONNX_UINT8 && type != QACCEL_ONNX_INT8) || qtype(q, qn) != type)
		return;
	in_u8 = type == QACCEL_ONNX_UINT8 ||
		s8_pair_to_u8(q, producer(q, nstr(dq->proto.input[0])));
	out_u8 = type == QACCEL_ONNX_UINT8 || s8_pair_to_u8(q, qn);
	if (in_u8 != out_u8 || t->proto.n_attribute >= SN_MAX_ATTR || !own(t))
		return;
	ins[0] = dq->proto.input[0];
	ins[1] = dq->proto.input[1];
	ins[2] = dq->proto.input[2];
	ins[3] = qn->proto.input[1];
	ins[4] = qn->proto.input[2];
	replace(q, t, &dq, 1, qn, gap ? "QLinearGlobalAveragePool" : "QLinearAveragePool",
		"com.microsoft", ins, 5);
	if (type == QACCEL_ONNX_INT8 && in_u8)
		t->attr[t->proto.n_attribute++] = (Onnx__AttributeProto *)&qo_s8_as_u8;
}

/* DQ -> data movement -> Q with the same scalar scale and zero point: the op on the integers. */
static void drop_qdq(struct qdq *q, struct qo_snode *t)
{
	static const char *const ops[] = { "Reshape", "Flatten", "Transpose", "Squeeze",
					   "Unsqueeze", "MaxPool" };
	struct qo_snode *dq, *qn;
	float s1, s2;
	int32_t z1, z2, t1, t2;
	bool match = false;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		match |= is_op(t, ops[i]);
	if (!match || (is_op(t, "MaxPool") && q->m->opset < 12))
		return;
	dq = dq_of(q, t, 0);
	qn = q_after(q, t);
	if (!dq || !qn || !qparams(q, dq, false, &s1, &z1, &t1) ||
	    !qparams(q, qn, false, &s2, &z2, &t2) || s1 != s2 || z1 != z2 || t1 != t2 ||
	    t1 == QACCEL_ONNX_INT32 || !(s1 > 0.0f))
		return;
	if (!own(t))
		return;
	t->in[0] = dq->proto.input[0];
	t->out[0] = qn->proto.output[0];
	qn->removed = true;
	retire_dq(q, dq);
}

/*
 * Rewrite the graph's nodes; *out (malloc) lists the NodeProtos to load
 * in order, *count of them.  The rewritten ones live in m->qdq_nodes.
 */
int qo_qdq_rewrite(struct qaccel_onnx_model *m, const Onnx__NodeProto ***out, size_t *count)
{
	const Onnx__GraphProto *g = m->proto->graph;
	struct qdq q = { .m = m, .g = g, .n = g->n_node };
	const Onnx__NodeProto **list;
	size_t k = 0;

	q.s = calloc(g->n_node + 1, sizeof(*q.s));
	list = calloc(g->n_node + 1, sizeof(*list));
	if (!q.s || !list) {
		free(q.s);
		free(list);
		return qo_fail(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < g->n_node; i++) {
		q.s[i].orig = g->node[i];
		q.s[i].proto = *g->node[i];
		q.s[i].removed = m->folded[i];
	}
	for (size_t i = 0; i < q.n; i++)
		if (is_op(&q.s[i], "Cast"))
			drop_cast(&q, &q.s[i]);
	for (size_t i = 0; i < q.n; i++)
		if (is_op(&q.s[i], "Relu") || is_op(&q.s[i], "Clip"))
			drop_activation(&q, &q.s[i]);
	for (size_t i = 0; i < q.n; i++) {
		if (q.s[i].removed)
			continue;
		fuse_unit(&q, &q.s[i]);
		fuse_pool(&q, &q.s[i]);
		drop_qdq(&q, &q.s[i]);
	}
	for (size_t i = 0; i < q.n; i++)
		if (!q.s[i].removed)
			list[k++] = q.s[i].changed ? &q.s[i].proto : q.s[i].orig;
	m->qdq_nodes = q.s;
	*out = list;
	*count = k;
	return 0;
}
