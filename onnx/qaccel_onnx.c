// SPDX-License-Identifier: MIT
/*
 * qaccel_onnx: the model runtime (qaccel_onnx.h, docs/models.md).
 *
 * Load = parse (protobuf-c, onnx.proto) + fold constants + QDQ fusion
 * (qaccel_onnx_qdq.c) + validate every node + plan: each
 * value of the graph gets its static type and shape and a host buffer,
 * each GEMM node its device buffers, and constant weights are uploaded
 * once.  Run = the nodes in graph order (ONNX graphs are topologically
 * sorted; a node whose input is not produced before it is rejected).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnx.pb-c.h"
#include "qaccel_onnx.h"
#include "qaccel_onnx_internal.h"

static __thread char err_msg[512];

const char *qaccel_onnx_error(void)
{
	return err_msg;
}

int qo_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	return err;
}

/* "node 'NAME' (OP): " + the reason. */
int qo_node_fail(const struct qo_node *n, int err, const char *fmt, ...)
{
	char reason[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (!n->name[0])
		return qo_fail(err, "node #%u (%s): %s", n->index, n->op_type, reason);
	return qo_fail(err, "node '%s' (%s): %s", n->name, n->op_type, reason);
}

size_t qaccel_onnx_dtype_size(int32_t dtype)
{
	switch (dtype) {
	case QACCEL_ONNX_UINT8:
	case QACCEL_ONNX_INT8:
		return 1;
	case QACCEL_ONNX_FLOAT:
	case QACCEL_ONNX_INT32:
		return 4;
	case QACCEL_ONNX_INT64:
		return 8;
	default:
		return 0;
	}
}

const char *qo_dtype_name(int32_t dtype)
{
	static const char *const names[] = {
		"undefined", "float", "uint8", "int8", "uint16", "int16",
		"int32", "int64", "string", "bool", "float16", "double",
		"uint32", "uint64", "complex64", "complex128", "bfloat16",
	};

	if (dtype >= 0 && dtype < (int32_t)(sizeof(names) / sizeof(names[0])))
		return names[dtype];
	return "unknown";
}

uint64_t qo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Element count of dims, -EINVAL for a negative dimension and -EOPNOTSUPP
 * past QO_MAX_ELEMS (so that sizes never overflow).
 */
int qo_count(const int64_t *dims, uint32_t rank, size_t *count)
{
	uint64_t c = 1;

	for (uint32_t i = 0; i < rank; i++) {
		if (dims[i] < 0)
			return -EINVAL;
		if (dims[i] > (int64_t)QO_MAX_ELEMS)
			return -EOPNOTSUPP;
		c *= (uint64_t)dims[i];
		if (c > QO_MAX_ELEMS)
			return -EOPNOTSUPP;
	}
	*count = (size_t)c;
	return 0;
}

/* --- TensorProto ---------------------------------------------------------- */

/* Fill t (data allocated) from a TensorProto; what names the tensor in messages. */
int qo_tensor_from_proto(const Onnx__TensorProto *p, struct qaccel_onnx_tensor *t,
			 const char *what)
{
	const char *name = p->name ? p->name : "";
	size_t esize, bytes;
	int ret;

	memset(t, 0, sizeof(*t));
	if (strlen(name) >= sizeof(t->name))
		return qo_fail(-EOPNOTSUPP, "%s: name longer than %d bytes", what,
			       QACCEL_ONNX_NAME_MAX - 1);
	strcpy(t->name, name);
	t->dtype = p->data_type;
	esize = qaccel_onnx_dtype_size(t->dtype);
	if (!esize)
		return qo_fail(-EOPNOTSUPP, "%s '%s': data type %s not supported",
			       what, name, qo_dtype_name(t->dtype));
	if (p->n_dims > QACCEL_ONNX_MAX_RANK)
		return qo_fail(-EOPNOTSUPP, "%s '%s': rank %zu above %d", what, name,
			       p->n_dims, QACCEL_ONNX_MAX_RANK);
	if (p->has_data_location &&
	    p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return qo_fail(-EOPNOTSUPP, "%s '%s': external data not supported",
			       what, name);
	if (p->segment)
		return qo_fail(-EOPNOTSUPP, "%s '%s': segmented tensor not supported",
			       what, name);
	t->rank = (uint32_t)p->n_dims;
	for (size_t i = 0; i < p->n_dims; i++)
		t->dims[i] = p->dims[i];
	ret = qo_count(t->dims, t->rank, &t->count);
	if (ret)
		return qo_fail(ret, "%s '%s': %s", what, name,
			       ret == -EINVAL ? "negative dimension" : "too large");
	bytes = t->count * esize;
	t->data = malloc(bytes ? bytes : 1);
	if (!t->data)
		return qo_fail(-ENOMEM, "%s '%s': out of memory", what, name);
	if (p->has_raw_data) {
		if (p->raw_data.len != bytes)
			goto bad_len;
		memcpy(t->data, p->raw_data.data, bytes);
		return 0;
	}
	switch (t->dtype) {
	case QACCEL_ONNX_FLOAT:
		if (p->n_float_data != t->count)
			goto bad_len;
		memcpy(t->data, p->float_data, bytes);
		break;
	case QACCEL_ONNX_INT64:
		if (p->n_int64_data != t->count)
			goto bad_len;
		memcpy(t->data, p->int64_data, bytes);
		break;
	case QACCEL_ONNX_INT32:
		if (p->n_int32_data != t->count)
			goto bad_len;
		memcpy(t->data, p->int32_data, bytes);
		break;
	default:	/* uint8, int8: one int32_data entry per element */
		if (p->n_int32_data != t->count)
			goto bad_len;
		for (size_t i = 0; i < t->count; i++)
			((uint8_t *)t->data)[i] = (uint8_t)p->int32_data[i];
		break;
	}
	return 0;
bad_len:
	free(t->data);
	t->data = NULL;
	return qo_fail(-EINVAL, "%s '%s': data does not match its %zu elements of %s",
		       what, name, t->count, qo_dtype_name(t->dtype));
}

int qaccel_onnx_tensor_parse(const void *buf, size_t len, struct qaccel_onnx_tensor *t)
{
	Onnx__TensorProto *p;
	int ret;

	memset(t, 0, sizeof(*t));
	p = onnx__tensor_proto__unpack(NULL, len, buf);
	if (!p)
		return qo_fail(-EINVAL, "not a valid TensorProto (truncated or corrupt)");
	ret = qo_tensor_from_proto(p, t, "tensor");
	onnx__tensor_proto__free_unpacked(p, NULL);
	return ret;
}

int qaccel_onnx_tensor_serialize(const struct qaccel_onnx_tensor *t, void **buf,
				 size_t *len)
{
	Onnx__TensorProto p = ONNX__TENSOR_PROTO__INIT;
	size_t esize = qaccel_onnx_dtype_size(t->dtype);
	size_t count;
	int ret;

	if (!esize)
		return qo_fail(-EINVAL, "tensor '%s': data type %s not supported",
			       t->name, qo_dtype_name(t->dtype));
	if (t->rank > QACCEL_ONNX_MAX_RANK)
		return qo_fail(-EINVAL, "tensor '%s': rank %u", t->name, t->rank);
	ret = qo_count(t->dims, t->rank, &count);
	if (ret || count != t->count)
		return qo_fail(-EINVAL, "tensor '%s': dims do not give its count", t->name);
	p.n_dims = t->rank;
	p.dims = (int64_t *)t->dims;
	p.has_data_type = 1;
	p.data_type = t->dtype;
	p.name = (char *)t->name;
	p.has_raw_data = 1;
	p.raw_data.len = count * esize;
	p.raw_data.data = t->data;
	*len = onnx__tensor_proto__get_packed_size(&p);
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		return qo_fail(-ENOMEM, "out of memory");
	onnx__tensor_proto__pack(&p, *buf);
	return 0;
}

void qaccel_onnx_tensor_release(struct qaccel_onnx_tensor *t)
{
	free(t->data);
	t->data = NULL;
}

/* --- load ------------------------------------------------------------------ */

int qo_value_find(const struct qaccel_onnx_model *m, const char *name)
{
	for (unsigned int i = 0; i < m->n_values; i++)
		if (!strcmp(m->values[i].name, name))
			return (int)i;
	return -1;
}

/* A new value (or -errno); its name must be new. */
static int value_add(struct qaccel_onnx_model *m, const char *name)
{
	struct qo_value *v;

	if (qo_value_find(m, name) >= 0)
		return -EEXIST;
	if (m->n_values == m->cap_values) {
		unsigned int cap = m->cap_values ? m->cap_values * 2 : 64;
		struct qo_value *nv = realloc(m->values, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		m->values = nv;
		m->cap_values = cap;
	}
	v = &m->values[m->n_values];
	memset(v, 0, sizeof(*v));
	v->name = name;
	return (int)m->n_values++;
}

/*
 * A new constant value holding tensor t's data (the value takes it over);
 * on failure t's data is freed.  Returns the value's index or value_add()'s
 * error (-EEXIST: the name is taken).
 */
static int const_add(struct qaccel_onnx_model *m, const char *name, struct qaccel_onnx_tensor *t)
{
	int ret = value_add(m, name);
	struct qo_value *v;

	if (ret < 0) {
		free(t->data);
		return ret;
	}
	v = &m->values[ret];
	v->dtype = t->dtype;
	v->rank = t->rank;
	memcpy(v->dims, t->dims, sizeof(v->dims));
	v->count = t->count;
	v->data = t->data;
	v->is_const = true;
	return ret;
}

int qo_value_alloc(struct qo_value *v)
{
	size_t bytes = v->count * qaccel_onnx_dtype_size(v->dtype);

	v->data = calloc(1, bytes ? bytes : 1);
	return v->data ? 0 : -ENOMEM;
}

/* Type and static shape of a graph input from its ValueInfoProto. */
static int input_from_info(struct qo_value *v, const Onnx__ValueInfoProto *vi)
{
	const Onnx__TypeProto__Tensor *tt;
	int ret;

	if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		return qo_fail(-EOPNOTSUPP, "graph input '%s': not a tensor", v->name);
	tt = vi->type->tensor_type;
	if (!tt->has_elem_type || !qaccel_onnx_dtype_size(tt->elem_type))
		return qo_fail(-EOPNOTSUPP, "graph input '%s': data type %s not supported",
			       v->name, qo_dtype_name(tt->elem_type));
	v->dtype = tt->elem_type;
	if (!tt->shape)
		return qo_fail(-EOPNOTSUPP, "graph input '%s': no shape (static shapes only)",
			       v->name);
	if (tt->shape->n_dim > QACCEL_ONNX_MAX_RANK)
		return qo_fail(-EOPNOTSUPP, "graph input '%s': rank %zu above %d", v->name,
			       tt->shape->n_dim, QACCEL_ONNX_MAX_RANK);
	v->rank = (uint32_t)tt->shape->n_dim;
	for (uint32_t i = 0; i < v->rank; i++) {
		const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];

		if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
			return qo_fail(-EOPNOTSUPP,
				       "graph input '%s': dimension %u is symbolic (static shapes only)",
				       v->name, i);
		v->dims[i] = d->dim_value;
	}
	ret = qo_count(v->dims, v->rank, &v->count);
	if (ret)
		return qo_fail(ret, "graph input '%s': %s", v->name,
			       ret == -EINVAL ? "negative dimension" : "too large");
	return 0;
}

/* A graph output's declared type and shape, where given, must be what the graph makes. */
static int output_check(const struct qo_value *v, const Onnx__ValueInfoProto *vi)
{
	const Onnx__TypeProto__Tensor *tt;

	if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		return 0;
	tt = vi->type->tensor_type;
	if (tt->has_elem_type && tt->elem_type && tt->elem_type != v->dtype)
		return qo_fail(-EINVAL, "graph output '%s': declared %s, computed %s",
			       v->name, qo_dtype_name(tt->elem_type), qo_dtype_name(v->dtype));
	if (!tt->shape)
		return 0;
	if (tt->shape->n_dim != v->rank)
		return qo_fail(-EINVAL, "graph output '%s': declared rank %zu, computed %u",
			       v->name, tt->shape->n_dim, v->rank);
	for (uint32_t i = 0; i < v->rank; i++) {
		const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];

		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
		    d->dim_value != v->dims[i])
			return qo_fail(-EINVAL,
				       "graph output '%s': declared dimension %u is %lld, computed %lld",
				       v->name, i, (long long)d->dim_value, (long long)v->dims[i]);
	}
	return 0;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* Opset of the default domain this runtime's op definitions follow. */
#define QO_OPSET_MIN	10
#define QO_OPSET_MAX	21

static int check_opset(struct qaccel_onnx_model *m)
{
	const Onnx__ModelProto *p = m->proto;

	m->opset = 0;
	for (size_t i = 0; i < p->n_opset_import; i++) {
		const char *dom = str_or_empty(p->opset_import[i]->domain);

		if (!*dom || !strcmp(dom, "ai.onnx"))
			m->opset = p->opset_import[i]->version;
	}
	if (!m->opset)
		return qo_fail(-EINVAL, "model imports no opset of the default domain");
	if (m->opset < QO_OPSET_MIN || m->opset > QO_OPSET_MAX)
		return qo_fail(-EOPNOTSUPP, "opset %lld not supported (%d to %d)",
			       (long long)m->opset, QO_OPSET_MIN, QO_OPSET_MAX);
	return 0;
}

/* --- constant folding ------------------------------------------------------- */

/*
 * ONNX Runtime folds constants before it fuses QDQ units (constant folding
 * is a level-1 optimizer, QDQ fusion level 2): a Constant node becomes an
 * initializer when the graph is built; a node whose inputs are all
 * initializers is computed once with its CPU kernel and replaced by its
 * outputs; a Shape whose input has a static shape is replaced by that
 * shape; a DequantizeLinear only when its whole unit DQ -> X -> Q folds, so
 * that quantized weights stay behind their DQ for the QDQ fusion.
 * qaccel_onnx does the same with its own kernels of the ops below (ONNX
 * Runtime's arithmetic, so the same bytes): on the graph as written before
 * QDQ fusion (fold_graph()), and again while the nodes load, for what
 * became constant only then (fold_at_load(): a Shape of a computed value,
 * and what is computed from such shapes).
 */
static const char *const foldable[] = {
	"Cast", "ConstantOfShape", "Shape", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
	"Transpose", "Concat", "Add", "Relu", "Clip", "QuantizeLinear", "DequantizeLinear",
	"MaxPool",
};

static bool is_foldable(const char *op)
{
	for (size_t i = 0; i < sizeof(foldable) / sizeof(foldable[0]); i++)
		if (!strcmp(foldable[i], op))
			return true;
	return false;
}

/* Mark the node's outputs constant once they are computed. */
static void outputs_const(struct qaccel_onnx_model *m, const struct qo_node *n)
{
	for (unsigned int i = 0; i < n->n_out; i++)
		m->values[n->out[i]].is_const = true;
}

static int fold_at_load(struct qaccel_onnx_model *m, struct qo_node *n)
{
	const char *dom = str_or_empty(n->proto->domain);
	int ret;

	if (n->op->domain || (*dom && strcmp(dom, "ai.onnx")) || !is_foldable(n->op_type))
		return 0;
	for (unsigned int i = 0; i < n->n_in; i++)
		if (n->in[i] >= 0 && !m->values[n->in[i]].is_const)
			return 0;
	/* Shape and ConstantOfShape computed theirs in prepare() already. */
	if (m->values[n->out[0]].is_const)
		return 0;
	ret = n->op->run(m, n);
	if (ret)
		return ret;
	outputs_const(m, n);
	n->folded = true;
	return 0;
}

static int load_node(struct qaccel_onnx_model *m, struct qo_node *n,
		     const Onnx__NodeProto *np)
{
	const char *dom = str_or_empty(np->domain);
	bool ms;
	int ret;

	n->proto = np;
	n->name = str_or_empty(np->name);
	n->op_type = str_or_empty(np->op_type);
	ms = !strcmp(dom, "com.microsoft");
	if (*dom && strcmp(dom, "ai.onnx") && !ms)
		return qo_node_fail(n, -EOPNOTSUPP, "domain '%s' not supported", dom);
	n->op = qo_op_find(n->op_type, ms);
	if (!n->op)
		return qo_node_fail(n, -EOPNOTSUPP, "op not supported%s%s",
				    qo_op_later(n->op_type) ? ": " : "",
				    qo_op_later(n->op_type) ? qo_op_later(n->op_type) : "");
	if (np->n_input > QO_MAX_IO || np->n_output > QO_MAX_IO)
		return qo_node_fail(n, -EOPNOTSUPP, "more than %d inputs or outputs", QO_MAX_IO);
	n->n_in = (unsigned int)np->n_input;
	for (unsigned int i = 0; i < n->n_in; i++) {
		const char *in = str_or_empty(np->input[i]);

		if (!*in) {
			n->in[i] = -1;	/* an optional input left out */
			continue;
		}
		n->in[i] = qo_value_find(m, in);
		if (n->in[i] < 0)
			return qo_node_fail(n, -EINVAL,
					    "input '%s' is not produced before this node", in);
	}
	/* Trailing optional inputs left out count as absent. */
	while (n->n_in && n->in[n->n_in - 1] < 0)
		n->n_in--;
	n->n_out = (unsigned int)np->n_output;
	for (unsigned int i = 0; i < n->n_out; i++) {
		const char *out = str_or_empty(np->output[i]);

		if (!*out)
			return qo_node_fail(n, -EOPNOTSUPP, "optional output %u left out", i);
		if (strlen(out) >= QACCEL_ONNX_NAME_MAX)
			return qo_node_fail(n, -EOPNOTSUPP, "output name too long");
		ret = value_add(m, out);
		if (ret < 0)
			return qo_node_fail(n, ret == -EEXIST ? -EINVAL : ret,
					    "output '%s' is produced twice", out);
		n->out[i] = ret;
	}
	ret = qo_attrs_check(n);
	if (ret)
		return ret;
	ret = n->op->prepare(m, n);
	if (ret)
		return ret;
	for (unsigned int i = 0; i < n->n_out; i++) {
		struct qo_value *v = &m->values[n->out[i]];

		if (!v->data && qo_value_alloc(v))
			return qo_node_fail(n, -ENOMEM, "out of memory");
	}
	return fold_at_load(m, n);
}

/* A Constant node's value (attribute value, value_float(s) or value_int(s)) as a constant. */
static int constant_node(struct qaccel_onnx_model *m, const Onnx__NodeProto *np,
			 unsigned int index)
{
	struct qo_node n = { .proto = np, .name = str_or_empty(np->name), .op_type = "Constant",
			     .index = index };
	const Onnx__AttributeProto *a;
	struct qaccel_onnx_tensor t = { .rank = 1 };
	const char *an;
	size_t count = 1;
	int ret;

	if (np->n_input || np->n_output != 1 || !*str_or_empty(np->output[0]))
		return qo_node_fail(&n, -EINVAL, "a Constant has no inputs and one output");
	if (np->n_attribute != 1)
		return qo_node_fail(&n, -EINVAL, "%zu attributes (one value)", np->n_attribute);
	a = np->attribute[0];
	an = str_or_empty(a->name);
	if (!strcmp(an, "value")) {
		if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR || !a->t)
			return qo_node_fail(&n, -EINVAL, "attribute 'value' is not a tensor");
		ret = qo_tensor_from_proto(a->t, &t, "value");
		if (ret)
			return qo_node_fail(&n, ret, "%s", qaccel_onnx_error());
	} else if (!strcmp(an, "value_float") || !strcmp(an, "value_int")) {
		t.rank = 0;
		t.dtype = an[6] == 'f' ? QACCEL_ONNX_FLOAT : QACCEL_ONNX_INT64;
	} else if (!strcmp(an, "value_floats") || !strcmp(an, "value_ints")) {
		t.dtype = an[6] == 'f' ? QACCEL_ONNX_FLOAT : QACCEL_ONNX_INT64;
		count = t.dtype == QACCEL_ONNX_FLOAT ? a->n_floats : a->n_ints;
		t.dims[0] = (int64_t)count;
	} else if (!strcmp(an, "sparse_value") || !strcmp(an, "value_string") ||
		   !strcmp(an, "value_strings")) {
		return qo_node_fail(&n, -EOPNOTSUPP, "a constant given as '%s' not supported", an);
	} else {
		return qo_node_fail(&n, -EINVAL, "attribute '%s' is not a Constant's value", an);
	}
	if (!t.data) {
		t.count = count;
		t.data = malloc(count ? count * qaccel_onnx_dtype_size(t.dtype) : 1);
		if (!t.data)
			return qo_node_fail(&n, -ENOMEM, "out of memory");
		if (!strcmp(an, "value_float"))
			*(float *)t.data = a->f;
		else if (!strcmp(an, "value_int"))
			*(int64_t *)t.data = a->i;
		else if (count)
			memcpy(t.data, t.dtype == QACCEL_ONNX_FLOAT ? (void *)a->floats : (void *)a->ints,
			       count * qaccel_onnx_dtype_size(t.dtype));
	}
	if (strlen(np->output[0]) >= QACCEL_ONNX_NAME_MAX) {
		free(t.data);
		ret = -EOPNOTSUPP;
	} else {
		ret = const_add(m, np->output[0], &t);
	}
	if (ret < 0)
		return qo_node_fail(&n, ret == -EEXIST ? -EINVAL : ret, ret == -EEXIST ?
				    "output '%s' is produced twice" : "output '%s': name too long or out of memory",
				    np->output[0]);
	return 0;
}

/* The consumers of value name among the graph's nodes (as ONNX Runtime counts edges). */
static unsigned int graph_consumers(const Onnx__GraphProto *g, const char *name, size_t *only)
{
	unsigned int c = 0;

	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_input; j++)
			if (!strcmp(str_or_empty(g->node[i]->input[j]), name)) {
				c++;
				*only = i;
			}
	return c;
}

static bool graph_output(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_output; i++)
		if (!strcmp(str_or_empty(g->output[i]->name), name))
			return true;
	return false;
}

/* np's one output read once, by another node, and not a graph output: that node's index. */
static bool single_consumer(const Onnx__GraphProto *g, const Onnx__NodeProto *np, size_t *next)
{
	const char *out = np->n_output == 1 ? str_or_empty(np->output[0]) : "";

	return *out && !graph_output(g, out) && graph_consumers(g, out, next) == 1;
}

/* ONNX Runtime folds a DQ of constants only with its unit: DQ -> X (one input and output) -> Q. */
static bool dq_unit_folds(const Onnx__GraphProto *g, const Onnx__NodeProto *dq)
{
	const Onnx__NodeProto *x;
	size_t i;

	if (!single_consumer(g, dq, &i))
		return false;
	x = g->node[i];
	if (x->n_input != 1 || !single_consumer(g, x, &i))
		return false;
	return !strcmp(str_or_empty(g->node[i]->op_type), "QuantizeLinear") &&
	       !*str_or_empty(g->node[i]->domain);
}

/*
 * Before QDQ fusion: Constant nodes into constants, and every node of a
 * foldable op whose inputs are all constant (a Shape: whose input's shape is
 * known) computed once; m->folded marks them, for qo_qdq_rewrite() to leave
 * out.  A node of an op without a kernel here whose inputs are all constant
 * is refused: ONNX Runtime would fold it.
 */
static int fold_graph(struct qaccel_onnx_model *m)
{
	const Onnx__GraphProto *g = m->proto->graph;
	int ret;

	m->folded = calloc(g->n_node + 1, sizeof(*m->folded));
	if (!m->folded)
		return qo_fail(-ENOMEM, "out of memory");
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *np = g->node[i];
		const char *op = str_or_empty(np->op_type), *dom = str_or_empty(np->domain);
		bool shape = !strcmp(op, "Shape"), known = np->n_input > 0;
		struct qo_node n = { .index = (unsigned int)i };

		if (*dom && strcmp(dom, "ai.onnx"))
			continue;
		if (!strcmp(op, "Constant")) {
			ret = constant_node(m, np, (unsigned int)i);
			if (ret)
				return ret;
			m->folded[i] = true;
			continue;
		}
		for (size_t j = 0; j < np->n_input && known; j++) {
			const char *in = str_or_empty(np->input[j]);
			int v = *in ? qo_value_find(m, in) : -1;

			known = !*in || (v >= 0 && (shape || m->values[v].is_const));
		}
		if (!known)
			continue;
		if (!qo_op_find(op, false)) {
			n.proto = np;
			n.name = str_or_empty(np->name);
			n.op_type = op;
			return qo_node_fail(&n, -EOPNOTSUPP,
					    "op not supported: its inputs are all constant, and ONNX Runtime would fold it at load, but this runtime has no kernel to fold it with");
		}
		if (!is_foldable(op) || (!strcmp(op, "DequantizeLinear") && !dq_unit_folds(g, np)))
			continue;
		ret = load_node(m, &n, np);
		free(n.scale);
		qo_gemm_release(&n);
		if (ret)
			return ret;
		m->folded[i] = true;
	}
	return 0;
}

static int load(struct qaccel_onnx_model *m, const void *buf, size_t len)
{
	const Onnx__GraphProto *g;
	const Onnx__NodeProto **list;
	size_t count;
	int ret;

	m->proto = onnx__model_proto__unpack(NULL, len, buf);
	if (!m->proto)
		return qo_fail(-EINVAL, "not a valid ONNX model (truncated or corrupt protobuf)");
	g = m->proto->graph;
	if (!g)
		return qo_fail(-EINVAL, "model has no graph");
	ret = check_opset(m);
	if (ret)
		return ret;
	if (m->dev) {
		ret = qaccel_get_caps(m->dev, &m->caps);
		if (ret)
			return qo_fail(ret, "device capabilities: %s", qaccel_strerror(ret));
	} else {
		m->caps.max_dim = QACCEL_GEMM_MAX_DIM;
		m->caps.max_bo_size = UINT64_MAX;
		m->caps.rows = m->caps.cols = 1;
	}

	for (size_t i = 0; i < g->n_initializer; i++) {
		struct qaccel_onnx_tensor t;

		ret = qo_tensor_from_proto(g->initializer[i], &t, "initializer");
		if (ret)
			return ret;
		ret = const_add(m, g->initializer[i]->name ? g->initializer[i]->name : "", &t);
		if (ret < 0)
			return qo_fail(ret == -EEXIST ? -EINVAL : ret,
				       "initializer '%s' defined twice", t.name);
	}
	m->n_inputs = 0;
	m->inputs = calloc(g->n_input + 1, sizeof(*m->inputs));
	m->outputs = calloc(g->n_output + 1, sizeof(*m->outputs));
	if (!m->inputs || !m->outputs)
		return qo_fail(-ENOMEM, "out of memory");
	for (size_t i = 0; i < g->n_input; i++) {
		const char *name = str_or_empty(g->input[i]->name);
		int idx = qo_value_find(m, name);

		/* An input with an initializer of the same name (IR < 4) is a constant. */
		if (idx >= 0 && m->values[idx].is_const)
			continue;
		if (!*name || strlen(name) >= QACCEL_ONNX_NAME_MAX)
			return qo_fail(-EINVAL, "graph input %zu: empty or too long name", i);
		idx = value_add(m, name);
		if (idx < 0)
			return qo_fail(idx == -EEXIST ? -EINVAL : idx,
				       "graph input '%s' declared twice", name);
		ret = input_from_info(&m->values[idx], g->input[i]);
		if (ret)
			return ret;
		if (qo_value_alloc(&m->values[idx]))
			return qo_fail(-ENOMEM, "out of memory");
		m->inputs[m->n_inputs++] = idx;
	}

	m->nodes = calloc(g->n_node + 1, sizeof(*m->nodes));
	if (!m->nodes)
		return qo_fail(-ENOMEM, "out of memory");
	ret = fold_graph(m);
	if (ret)
		return ret;
	ret = qo_qdq_rewrite(m, &list, &count);
	if (ret)
		return ret;
	for (size_t i = 0; i < count; i++) {
		m->nodes[i].index = (unsigned int)i;
		ret = load_node(m, &m->nodes[i], list[i]);
		m->n_nodes = (unsigned int)i + 1;
		if (ret)
			break;
	}
	free(list);
	if (ret)
		return ret;

	if (!g->n_output)
		return qo_fail(-EINVAL, "graph has no output");
	for (size_t i = 0; i < g->n_output; i++) {
		const char *name = str_or_empty(g->output[i]->name);
		int idx = qo_value_find(m, name);

		if (idx < 0)
			return qo_fail(-EINVAL, "graph output '%s' is not produced", name);
		ret = output_check(&m->values[idx], g->output[i]);
		if (ret)
			return ret;
		m->outputs[m->n_outputs++] = idx;
	}
	return 0;
}

int qaccel_onnx_load(struct qaccel_dev *dev, const void *buf, size_t len,
		     struct qaccel_onnx_model **out)
{
	struct qaccel_onnx_model *m = calloc(1, sizeof(*m));
	int ret;

	*out = NULL;
	if (!m)
		return qo_fail(-ENOMEM, "out of memory");
	m->dev = dev;
	ret = load(m, buf, len);
	if (ret) {
		qaccel_onnx_free(m);
		return ret;
	}
	err_msg[0] = 0;
	*out = m;
	return 0;
}

int qaccel_onnx_load_file(struct qaccel_dev *dev, const char *path,
			  struct qaccel_onnx_model **out)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0, cap = 1 << 16;
	char *buf;
	int ret;

	*out = NULL;
	if (!f)
		return qo_fail(-errno, "%s: %s", path, strerror(errno));
	buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (len < cap)
			break;
		if (cap >= QO_MAX_FILE) {
			free(buf);
			fclose(f);
			return qo_fail(-EFBIG, "%s: larger than %u MiB", path,
				       (unsigned int)(QO_MAX_FILE >> 20));
		}
		cap *= 2;
		char *nb = realloc(buf, cap);

		if (!nb)
			free(buf);
		buf = nb;
	}
	if (!buf) {
		fclose(f);
		return qo_fail(-ENOMEM, "out of memory");
	}
	if (ferror(f)) {
		ret = -EIO;
		qo_fail(ret, "%s: read error", path);
	} else {
		ret = qaccel_onnx_load(dev, buf, len, out);
	}
	fclose(f);
	free(buf);
	return ret;
}

void qaccel_onnx_free(struct qaccel_onnx_model *m)
{
	if (!m)
		return;
	for (unsigned int i = 0; i < m->n_nodes; i++) {
		qo_gemm_release(&m->nodes[i]);
		free(m->nodes[i].scale);
	}
	for (unsigned int i = 0; i < m->n_values; i++)
		free(m->values[i].data);
	free(m->values);
	free(m->nodes);
	free(m->qdq_nodes);
	free(m->folded);
	free(m->inputs);
	free(m->outputs);
	if (m->proto)
		onnx__model_proto__free_unpacked(m->proto, NULL);
	free(m);
}

/* --- run and introspection --------------------------------------------------- */

unsigned int qaccel_onnx_input_count(const struct qaccel_onnx_model *m)
{
	return m->n_inputs;
}

unsigned int qaccel_onnx_output_count(const struct qaccel_onnx_model *m)
{
	return m->n_outputs;
}

unsigned int qaccel_onnx_node_count(const struct qaccel_onnx_model *m)
{
	return m->n_nodes;
}

static void value_info(const struct qo_value *v, struct qaccel_onnx_tensor *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", v->name);
	t->dtype = v->dtype;
	t->rank = v->rank;
	memcpy(t->dims, v->dims, sizeof(t->dims));
	t->count = v->count;
}

int qaccel_onnx_input_info(const struct qaccel_onnx_model *m, unsigned int i,
			   struct qaccel_onnx_tensor *t)
{
	if (i >= m->n_inputs)
		return qo_fail(-EINVAL, "no input %u", i);
	value_info(&m->values[m->inputs[i]], t);
	return 0;
}

int qaccel_onnx_output_info(const struct qaccel_onnx_model *m, unsigned int i,
			    struct qaccel_onnx_tensor *t)
{
	if (i >= m->n_outputs)
		return qo_fail(-EINVAL, "no output %u", i);
	value_info(&m->values[m->outputs[i]], t);
	return 0;
}

int qaccel_onnx_set_input(struct qaccel_onnx_model *m, const struct qaccel_onnx_tensor *t)
{
	for (unsigned int i = 0; i < m->n_inputs; i++) {
		struct qo_value *v = &m->values[m->inputs[i]];

		if (strcmp(v->name, t->name))
			continue;
		if (t->dtype != v->dtype)
			return qo_fail(-EINVAL, "input '%s': %s given, the model takes %s",
				       v->name, qo_dtype_name(t->dtype), qo_dtype_name(v->dtype));
		if (t->rank != v->rank ||
		    memcmp(t->dims, v->dims, v->rank * sizeof(v->dims[0])))
			return qo_fail(-EINVAL, "input '%s': shape differs from the model's",
				       v->name);
		memcpy(v->data, t->data, v->count * qaccel_onnx_dtype_size(v->dtype));
		v->set = true;
		return 0;
	}
	return qo_fail(-EINVAL, "the model has no input '%s'", t->name);
}

int qaccel_onnx_run(struct qaccel_onnx_model *m)
{
	int ret;

	if (!m->dev)
		return qo_fail(-ENODEV, "model was loaded without a device");
	for (unsigned int i = 0; i < m->n_inputs; i++)
		if (!m->values[m->inputs[i]].set)
			return qo_fail(-EINVAL, "input '%s' not set",
				       m->values[m->inputs[i]].name);
	for (unsigned int i = 0; i < m->n_nodes; i++) {
		struct qo_node *n = &m->nodes[i];
		uint64_t t0 = qo_now_ns();

		if (n->folded)
			continue;
		ret = n->op->run(m, n);
		if (ret)
			return ret;
		n->host_ns += qo_now_ns() - t0;
		n->runs++;
	}
	err_msg[0] = 0;
	return 0;
}

int qaccel_onnx_output(const struct qaccel_onnx_model *m, unsigned int i,
		       struct qaccel_onnx_tensor *t)
{
	if (i >= m->n_outputs)
		return qo_fail(-EINVAL, "no output %u", i);
	value_info(&m->values[m->outputs[i]], t);
	t->data = m->values[m->outputs[i]].data;
	return 0;
}

int qaccel_onnx_node_stats(const struct qaccel_onnx_model *m, unsigned int i,
			   struct qaccel_onnx_node_stats *s)
{
	const struct qo_node *n;

	if (i >= m->n_nodes)
		return qo_fail(-EINVAL, "no node %u", i);
	n = &m->nodes[i];
	memset(s, 0, sizeof(*s));
	s->name = n->name;
	s->op = n->op_type;
	s->on_device = n->gemm.on_device;
	s->runs = n->runs;
	s->device_cycles = n->gemm.cycles;
	s->macs = n->gemm.macs;
	s->host_ns = n->host_ns;
	s->im2col_ns = n->gemm.im2col_ns;
	return 0;
}
