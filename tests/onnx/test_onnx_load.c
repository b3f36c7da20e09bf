// SPDX-License-Identifier: MIT
/*
 * qaccel_onnx's loader on the host (no device): valid models validate,
 * every kind of unsupported or invalid graph is rejected with a message
 * naming the node, the op and the reason, and truncated or corrupted files
 * are errors, never crashes (this program also runs under ASan + UBSan).
 * The models are the generated cases (build/onnx/cases, QO_CASES).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "onnx.pb-c.h"
#include "qaccel_onnx.h"

static void *slurp(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	void *buf;

	snprintf(path, sizeof(path), "%s/%s", QO_CASES, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Load buf; on failure the message must be non-empty.  Returns the result. */
static int try_load(const void *buf, size_t len)
{
	struct qaccel_onnx_model *m;
	int ret = qaccel_onnx_load(NULL, buf, len, &m);

	if (ret) {
		if (!qaccel_onnx_error()[0] || m)
			abort();
		return ret;
	}
	qaccel_onnx_free(m);
	return 0;
}

/* The chain model, unpacked for editing. */
static Onnx__ModelProto *chain(void)
{
	size_t len;
	void *buf = slurp("random_chain_0/model.onnx", &len);
	Onnx__ModelProto *p;

	if (!buf)
		return NULL;
	p = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	return p;
}

/* Pack p, load it, free p; the error and message come back. */
static int load_edited(Onnx__ModelProto *p)
{
	size_t len = onnx__model_proto__get_packed_size(p);
	uint8_t *buf = malloc(len);
	int ret;

	onnx__model_proto__pack(p, buf);
	onnx__model_proto__free_unpacked(p, NULL);
	ret = try_load(buf, len);
	free(buf);
	return ret;
}

static Onnx__NodeProto *node_named(Onnx__ModelProto *p, const char *name)
{
	for (size_t i = 0; i < p->graph->n_node; i++)
		if (!strcmp(p->graph->node[i]->name, name))
			return p->graph->node[i];
	return NULL;
}

TEST(load_valid_chain_validates_without_a_device)
{
	struct qaccel_onnx_model *m;
	struct qaccel_onnx_tensor t;
	size_t len;
	void *buf = slurp("random_chain_0/model.onnx", &len);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, qaccel_onnx_load(NULL, buf, len, &m)) TH_LOG("%s", qaccel_onnx_error());
	free(buf);
	EXPECT_EQ(1, qaccel_onnx_input_count(m));
	EXPECT_EQ(1, qaccel_onnx_output_count(m));
	EXPECT_EQ(4, qaccel_onnx_node_count(m));
	ASSERT_EQ(0, qaccel_onnx_output_info(m, 0, &t));
	EXPECT_EQ(QACCEL_ONNX_INT32, t.dtype);
	EXPECT_EQ(2, t.rank);
	EXPECT_EQ(-ENODEV, qaccel_onnx_run(m));
	qaccel_onnx_free(m);
}

/* Load every truncation of a case's model: returns how many were rejected (-1: no file). */
static long truncations(const char *name, size_t *len)
{
	uint8_t *buf = slurp(name, len);
	long rejected = 0;

	if (!buf)
		return -1;
	for (size_t cut = 0; cut < *len; cut++) {
		/* A copy of exactly cut bytes, so that ASan sees any overread. */
		uint8_t *part = malloc(cut ? cut : 1);

		memcpy(part, buf, cut);
		rejected += try_load(part, cut) != 0;
		free(part);
	}
	free(buf);
	return rejected;
}

/* Flip 4 patterns into every byte and load: returns how many were rejected. */
static long corruptions(const char *name, size_t *tried)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff, 0x7f };
	size_t len;
	uint8_t *buf = slurp(name, &len);
	long rejected = 0;

	*tried = 0;
	if (!buf)
		return -1;
	for (size_t i = 0; i < len; i++)
		for (size_t f = 0; f < sizeof(flips); f++) {
			buf[i] ^= flips[f];
			rejected += try_load(buf, len) != 0;
			(*tried)++;
			buf[i] ^= flips[f];
		}
	if (try_load(buf, len))
		rejected = -2;
	free(buf);
	return rejected;
}

TEST(load_truncated_model_is_an_error_never_a_crash)
{
	size_t len;
	long rejected = truncations("random_chain_0/model.onnx", &len);

	ASSERT_LE(0, rejected);
	ksft_print_msg("%ld of %zu truncations rejected\n", rejected, len);
	fflush(stdout);
	/* Only a cut between the graph's fields can still be a valid model. */
	EXPECT_GT((size_t)rejected, len * 9 / 10);
}

TEST(load_flipped_bytes_are_an_error_or_a_valid_model_never_a_crash)
{
	size_t tried;
	long rejected = corruptions("random_chain_0/model.onnx", &tried);

	ksft_print_msg("%ld of %zu corruptions rejected\n", rejected, tried);
	fflush(stdout);
	EXPECT_GT(rejected, 0);
}

/*
 * The same on a QDQ graph, which QDQ fusion rewrites before any node is
 * checked: 28,000 loads, minutes under ASan on a loaded host, hence the
 * fixture with its own timeout.
 */
FIXTURE(qdq_fuzz) {};
FIXTURE_SETUP(qdq_fuzz) {}
FIXTURE_TEARDOWN(qdq_fuzz) {}

TEST_F_TIMEOUT(qdq_fuzz, load_qdq_graph_truncated_or_flipped_is_an_error_or_valid_never_a_crash, 900)
{
	size_t len, tried;
	long cut = truncations("qdq_cnn_0/model.onnx", &len);
	long flipped = corruptions("qdq_cnn_0/model.onnx", &tried);

	ksft_print_msg("%ld of %zu truncations, %ld of %zu corruptions rejected\n", cut, len,
		       flipped, tried);
	fflush(stdout);
	EXPECT_GT((size_t)cut, len * 9 / 10);
	EXPECT_GT(flipped, 0);
}

/* The same on PyTorch's export, made of Constant, Cast and ConstantOfShape nodes. */
TEST_F_TIMEOUT(qdq_fuzz, load_exported_graph_truncated_or_flipped_is_an_error_or_valid_never_a_crash,
	       900)
{
	size_t len, tried;
	long cut = truncations("exported_mlp_1/model.onnx", &len);
	long flipped = corruptions("exported_mlp_1/model.onnx", &tried);

	ksft_print_msg("%ld of %zu truncations, %ld of %zu corruptions rejected\n", cut, len,
		       flipped, tried);
	fflush(stdout);
	EXPECT_GT((size_t)cut, len * 9 / 10);
	EXPECT_GT(flipped, 0);
}

/* The op of each node a model loads into, joined with '+'. */
static int loaded_ops(const char *name, char *ops, size_t size)
{
	struct qaccel_onnx_model *m;
	struct qaccel_onnx_node_stats st;
	size_t len;
	void *buf = slurp(name, &len);
	int ret;

	if (!buf)
		return -ENOENT;
	ret = qaccel_onnx_load(NULL, buf, len, &m);
	free(buf);
	if (ret)
		return ret;
	ops[0] = 0;
	for (unsigned int i = 0; i < qaccel_onnx_node_count(m); i++) {
		qaccel_onnx_node_stats(m, i, &st);
		snprintf(ops + strlen(ops), size - strlen(ops), "%s%s", i ? "+" : "", st.op);
	}
	qaccel_onnx_free(m);
	return 0;
}

/*
 * quantize_static's CNN: Relu folded into the Q (zero point 0), the Conv
 * a QLinearConv, MaxPool and Reshape between equal Q/DQ pairs on the
 * integers, the Gemm a QGemm; only the graph's edges stay Q and DQ.
 */
TEST(load_qdq_cnn_fuses_as_onnxruntime_does)
{
	char ops[256];

	ASSERT_EQ(0, loaded_ops("qdq_cnn_0/model.onnx", ops, sizeof(ops)))
		TH_LOG("%s", qaccel_onnx_error());
	EXPECT_STREQ("QuantizeLinear+QLinearConv+MaxPool+Reshape+QGemm+DequantizeLinear", ops);
	ASSERT_EQ(0, loaded_ops("qdq_conv_clip_0/model.onnx", ops, sizeof(ops)));
	EXPECT_STREQ("QuantizeLinear+QLinearConv+DequantizeLinear", ops);
	ASSERT_EQ(0, loaded_ops("qdq_gemm_float_out_0/model.onnx", ops, sizeof(ops)));
	EXPECT_STREQ("QuantizeLinear+QGemm", ops);
	ASSERT_EQ(0, loaded_ops("qdq_reshape_requant_0/model.onnx", ops, sizeof(ops)));
	EXPECT_STREQ("QuantizeLinear+DequantizeLinear+Reshape+QuantizeLinear+DequantizeLinear", ops);
}

/*
 * DQ -> AveragePool / GlobalAveragePool -> Q fuses into the QLinear pools
 * for uint8, and for int8 when ONNX Runtime turns both Q/DQ pairs uint8;
 * an int8 unit whose Q is the graph's output stays DQ, float pool, Q.
 */
TEST(load_qdq_pools_fuse_as_onnxruntime_does)
{
	char ops[256];

	ASSERT_EQ(0, loaded_ops("qdq_averagepool_0/model.onnx", ops, sizeof(ops)))
		TH_LOG("%s", qaccel_onnx_error());
	EXPECT_STREQ("QuantizeLinear+QLinearAveragePool+DequantizeLinear", ops);
	ASSERT_EQ(0, loaded_ops("qdq_globalaveragepool_1/model.onnx", ops, sizeof(ops)));
	EXPECT_STREQ("QuantizeLinear+QLinearGlobalAveragePool+DequantizeLinear", ops);
	ASSERT_EQ(0, loaded_ops("qdq_averagepool_q_output_6/model.onnx", ops, sizeof(ops)));
	EXPECT_STREQ("QuantizeLinear+QLinearAveragePool", ops);
	ASSERT_EQ(0, loaded_ops("qdq_globalaveragepool_q_output_7/model.onnx", ops, sizeof(ops)));
	EXPECT_STREQ("QuantizeLinear+DequantizeLinear+GlobalAveragePool+QuantizeLinear", ops);
}

/* A Relu the Q cannot absorb stays: ONNX Runtime runs that Conv in float, this runtime refuses it. */
TEST(load_qdq_conv_with_a_relu_that_stays_is_refused_naming_the_conv)
{
	size_t len;
	void *buf = slurp("qdq_conv_relu_kept_0/model.onnx", &len);

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EOPNOTSUPP, try_load(buf, len));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "node 'conv' (Conv): op not supported: a float convolution"))
		TH_LOG("%s", qaccel_onnx_error());
	free(buf);
}

/* Clip(0, 1) cuts into the Q's range: it is not folded (ONNX Runtime's epsilon test). */
TEST(load_qdq_clip_narrower_than_the_output_range_stays)
{
	size_t len;
	void *buf = slurp("qdq_conv_clip_0/model.onnx", &len);
	Onnx__ModelProto *p;
	float one = 1.0f;

	ASSERT_NE(NULL, buf);
	p = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	ASSERT_NE(NULL, p);
	for (size_t i = 0; i < p->graph->n_initializer; i++) {
		Onnx__TensorProto *t = p->graph->initializer[i];

		if (!strcmp(t->name, "clip_max")) {
			ASSERT_EQ(4, t->raw_data.len);
			memcpy(t->raw_data.data, &one, 4);
		}
	}
	EXPECT_EQ(-EOPNOTSUPP, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "(Conv): op not supported")) TH_LOG("%s", qaccel_onnx_error());
}

TEST(load_unsupported_op_names_the_node_the_op_and_why)
{
	Onnx__ModelProto *p = chain();
	Onnx__NodeProto *n;

	ASSERT_NE(NULL, p);
	n = node_named(p, "pool");
	ASSERT_NE(NULL, n);
	free(n->op_type);
	n->op_type = strdup("LpPool");
	EXPECT_EQ(-EOPNOTSUPP, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "node 'pool' (LpPool): op not supported"))
		TH_LOG("%s", qaccel_onnx_error());
}

TEST(load_ops_of_a_later_version_are_rejected_with_the_reason)
{
	Onnx__ModelProto *p = chain();
	Onnx__NodeProto *n;

	ASSERT_NE(NULL, p);
	n = node_named(p, "pool");
	ASSERT_NE(NULL, n);
	free(n->op_type);
	n->op_type = strdup("Conv");
	EXPECT_EQ(-EOPNOTSUPP, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(),
			       "node 'pool' (Conv): op not supported: a float convolution"))
		TH_LOG("%s", qaccel_onnx_error());
}

/*
 * Average pooling is float (or QLinear): on the chain's uint8 tensor it is
 * refused naming the node; a float pool over 16 channels (ONNX Runtime's
 * CPU-dependent NCHWc kernels) and one with a window in the padding only
 * are refused with their reasons.
 */
TEST(load_average_pool_refusals_name_the_node_and_the_reason)
{
	Onnx__ModelProto *p = chain();
	Onnx__NodeProto *n;
	size_t len;
	void *buf;

	ASSERT_NE(NULL, p);
	n = node_named(p, "pool");
	ASSERT_NE(NULL, n);
	free(n->op_type);
	n->op_type = strdup("AveragePool");
	EXPECT_EQ(-EOPNOTSUPP, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "node 'pool' (AveragePool): input is uint8 (float only)"))
		TH_LOG("%s", qaccel_onnx_error());
	buf = slurp("averagepool_refused_nchwc/model.onnx", &len);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EOPNOTSUPP, try_load(buf, len));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "over 16 channels (a multiple of 8)"))
		TH_LOG("%s", qaccel_onnx_error());
	free(buf);
	buf = slurp("averagepool_refused_padding_window/model.onnx", &len);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EOPNOTSUPP, try_load(buf, len));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "a pooling window lies in the padding only"))
		TH_LOG("%s", qaccel_onnx_error());
	free(buf);
}

/* ONNX's QLinearMatMul case loads; its batched-B form is refused with the reason. */
TEST(load_qlinearmatmul_validates_and_batched_b_is_rejected)
{
	size_t len;
	void *buf = slurp("test_qlinearmatmul_2D/model.onnx", &len);

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, try_load(buf, len)) TH_LOG("%s", qaccel_onnx_error());
	free(buf);
	buf = slurp("test_qlinearmatmul_3D/model.onnx", &len);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EOPNOTSUPP, try_load(buf, len));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "(QLinearMatMul): B of rank 3 not supported"))
		TH_LOG("%s", qaccel_onnx_error());
	free(buf);
}

/* An extra int attribute on node @node. */
static int load_with_attr(const char *node, const char *name, int64_t value)
{
	Onnx__ModelProto *p = chain();
	Onnx__NodeProto *n = node_named(p, node);
	Onnx__AttributeProto *a = malloc(sizeof(*a));

	onnx__attribute_proto__init(a);
	a->name = strdup(name);
	a->has_type = 1;
	a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	a->has_i = 1;
	a->i = value;
	n->attribute = realloc(n->attribute, (n->n_attribute + 1) * sizeof(*n->attribute));
	n->attribute[n->n_attribute++] = a;
	return load_edited(p);
}

/* The depthwise ConvInteger case (4 channels in 4 groups) loaded with its group set to group. */
static int load_depthwise_with_group(int64_t group)
{
	size_t len;
	void *buf = slurp("group_convinteger_0/model.onnx", &len);
	Onnx__ModelProto *p;
	Onnx__NodeProto *n;

	if (!buf)
		return -ENOENT;
	p = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!p)
		return -EBADMSG;
	n = node_named(p, "conv");
	for (size_t i = 0; n && i < n->n_attribute; i++)
		if (!strcmp(n->attribute[i]->name, "group"))
			n->attribute[i]->i = group;
	return load_edited(p);
}

TEST(load_grouped_convolution_validates_and_indivisible_channels_are_rejected)
{
	EXPECT_EQ(0, load_depthwise_with_group(4)) TH_LOG("%s", qaccel_onnx_error());
	EXPECT_EQ(-EINVAL, load_depthwise_with_group(3));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(),
			       "node 'conv' (ConvInteger): 4 input channels not divisible by group 3"))
		TH_LOG("%s", qaccel_onnx_error());
	EXPECT_EQ(-EINVAL, load_depthwise_with_group(0));
}

TEST(load_unknown_attribute_is_rejected)
{
	EXPECT_EQ(-EOPNOTSUPP, load_with_attr("flat", "fancy", 1));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(),
			       "node 'flat' (Flatten): attribute 'fancy' not supported"))
		TH_LOG("%s", qaccel_onnx_error());
}

TEST(load_symbolic_input_dimension_is_rejected)
{
	Onnx__ModelProto *p = chain();
	Onnx__TensorShapeProto__Dimension *d;

	ASSERT_NE(NULL, p);
	d = p->graph->input[0]->type->tensor_type->shape->dim[0];
	d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
	d->dim_param = strdup("batch");
	EXPECT_EQ(-EOPNOTSUPP, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "symbolic"))
		TH_LOG("%s", qaccel_onnx_error());
}

TEST(load_nodes_out_of_order_are_rejected)
{
	Onnx__ModelProto *p = chain();
	Onnx__NodeProto *first;

	ASSERT_NE(NULL, p);
	first = p->graph->node[0];
	p->graph->node[0] = p->graph->node[1];
	p->graph->node[1] = first;
	EXPECT_EQ(-EINVAL, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "is not produced before this node"))
		TH_LOG("%s", qaccel_onnx_error());
}

TEST(load_weight_of_the_wrong_type_is_rejected)
{
	Onnx__ModelProto *p = chain();

	ASSERT_NE(NULL, p);
	for (size_t i = 0; i < p->graph->n_initializer; i++)
		if (!strcmp(p->graph->initializer[i]->name, "W")) {
			Onnx__TensorProto *t = p->graph->initializer[i];

			/* Same bytes, read as a quarter as many int32. */
			t->data_type = QACCEL_ONNX_INT32;
		}
	EXPECT_EQ(-EINVAL, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "initializer 'W': data does not match"))
		TH_LOG("%s", qaccel_onnx_error());
}

/*
 * PyTorch's export: every Constant folded into a constant, the Casts
 * between Q and DQ removed, each Linear (Gemm, transB = 1) a QGemm, the
 * ReLU between a DQ and a Q of zero point above 0 left in float as ONNX
 * Runtime leaves it; per tensor and per channel.
 */
TEST(load_exported_graph_folds_constants_and_fuses_as_onnxruntime_does)
{
	char ops[256];

	for (int i = 0; i < 2; i++) {
		char name[64];

		snprintf(name, sizeof(name), "exported_mlp_%d/model.onnx", i);
		ASSERT_EQ(0, loaded_ops(name, ops, sizeof(ops))) TH_LOG("%s", qaccel_onnx_error());
		EXPECT_STREQ("QuantizeLinear+QGemm+DequantizeLinear+Relu+QuantizeLinear+QGemm+DequantizeLinear",
			     ops);
	}
	/* The constant DQ -> Transpose -> Q unit folds, then its MatMul fuses. */
	ASSERT_EQ(0, loaded_ops("fold_dq_unit_0/model.onnx", ops, sizeof(ops)))
		TH_LOG("%s", qaccel_onnx_error());
	EXPECT_STREQ("QuantizeLinear+QLinearMatMul+DequantizeLinear", ops);
	/* Shape of the input folds before fusion; Shape of a computed value, and what follows, at load. */
	ASSERT_EQ(0, loaded_ops("fold_shape_0/model.onnx", ops, sizeof(ops)))
		TH_LOG("%s", qaccel_onnx_error());
	EXPECT_STREQ("Reshape+Relu+Shape+ConstantOfShape+Cast+Add+Add", ops);
	/* The Cast of a uint8 input to uint8 goes. */
	ASSERT_EQ(0, loaded_ops("cast_ints_0/model.onnx", ops, sizeof(ops)))
		TH_LOG("%s", qaccel_onnx_error());
	EXPECT_STREQ("Cast+Add+Cast+Add+Cast", ops);
}

/*
 * PyTorch's own exports (gen_cases.py writes them when python3-torch is
 * installed): Conv + ReLU fused exports as Conv -> Relu -> Q of zero point 0,
 * the Relu goes and the Conv is a QLinearConv; torch.flatten between equal
 * Q/DQ pairs runs on the integers.
 */
TEST(load_pytorch_exports_fuse_as_onnxruntime_does)
{
	char ops[256];
	int ret = loaded_ops("torch_cnn_0/model.onnx", ops, sizeof(ops));

	if (ret == -ENOENT)
		SKIP(return, "no PyTorch cases (python3-torch not installed when they were generated)");
	ASSERT_EQ(0, ret) TH_LOG("%s", qaccel_onnx_error());
	EXPECT_STREQ("QuantizeLinear+QLinearConv+Flatten+QGemm+DequantizeLinear", ops);
	ASSERT_EQ(0, loaded_ops("torch_mlp_0/model.onnx", ops, sizeof(ops)))
		TH_LOG("%s", qaccel_onnx_error());
	EXPECT_STREQ("QuantizeLinear+QGemm+DequantizeLinear+Relu+QuantizeLinear+QGemm+DequantizeLinear",
		     ops);
}

static int load_case(const char *name)
{
	size_t len;
	void *buf = slurp(name, &len);
	int ret;

	if (!buf)
		return -ENOENT;
	ret = try_load(buf, len);
	free(buf);
	return ret;
}

TEST(load_cast_from_float_to_int8_is_refused_with_the_reason)
{
	EXPECT_EQ(-EOPNOTSUPP, load_case("cast_float_to_int8_0/model.onnx"));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(),
			       "node 'cast' (Cast): Cast from float to int8 not supported"))
		TH_LOG("%s", qaccel_onnx_error());
}

TEST(load_constant_inputs_of_an_op_without_a_kernel_are_refused)
{
	EXPECT_EQ(-EOPNOTSUPP, load_case("fold_gather_0/model.onnx"));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(),
			       "node 'gather' (Gather): op not supported: its inputs are all constant"))
		TH_LOG("%s", qaccel_onnx_error());
}

/* The exported MLP with its first node's Constant edited. */
static Onnx__ModelProto *exported(Onnx__AttributeProto **value)
{
	size_t len;
	void *buf = slurp("exported_mlp_0/model.onnx", &len);
	Onnx__ModelProto *p;

	if (!buf)
		return NULL;
	p = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (p && p->graph->n_node && p->graph->node[0]->n_attribute == 1)
		*value = p->graph->node[0]->attribute[0];
	return p;
}

TEST(load_constant_of_an_unsupported_kind_names_the_node_and_why)
{
	Onnx__AttributeProto *a = NULL;
	Onnx__ModelProto *p = exported(&a);

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, a);
	free(a->name);
	a->name = strdup("sparse_value");
	EXPECT_EQ(-EOPNOTSUPP, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(),
			       "(Constant): a constant given as 'sparse_value' not supported"))
		TH_LOG("%s", qaccel_onnx_error());
	p = exported(&a);
	ASSERT_NE(NULL, p);
	free(a->name);
	a->name = strdup("values");
	EXPECT_EQ(-EINVAL, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "attribute 'values' is not a Constant's value"))
		TH_LOG("%s", qaccel_onnx_error());
}

/* A Constant's tensor whose bytes do not match its shape. */
TEST(load_constant_with_short_data_is_rejected)
{
	Onnx__AttributeProto *a = NULL;
	Onnx__ModelProto *p = exported(&a);

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, a->t);
	a->t->n_dims = 1;
	a->t->dims = realloc(a->t->dims, sizeof(int64_t));
	a->t->dims[0] = 2;
	EXPECT_EQ(-EINVAL, load_edited(p));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "(Constant): value '")) TH_LOG("%s", qaccel_onnx_error());
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "data does not match")) TH_LOG("%s", qaccel_onnx_error());
}

TEST(tensor_serialize_and_parse_round_trip)
{
	int32_t data[6] = { -1, 2, 300000, -400000, 5, 6 };
	struct qaccel_onnx_tensor t = {
		.name = "y", .dtype = QACCEL_ONNX_INT32, .rank = 2, .dims = { 2, 3 },
		.count = 6, .data = data,
	}, back;
	void *buf;
	size_t len;

	ASSERT_EQ(0, qaccel_onnx_tensor_serialize(&t, &buf, &len));
	ASSERT_EQ(0, qaccel_onnx_tensor_parse(buf, len, &back));
	EXPECT_STREQ("y", back.name);
	EXPECT_EQ(QACCEL_ONNX_INT32, back.dtype);
	EXPECT_EQ(2, back.rank);
	EXPECT_EQ(3, back.dims[1]);
	EXPECT_EQ(0, memcmp(data, back.data, sizeof(data)));
	qaccel_onnx_tensor_release(&back);
	/* Every truncation is an error or a smaller valid tensor. */
	for (size_t cut = 0; cut < len; cut++) {
		int ret = qaccel_onnx_tensor_parse(buf, cut, &back);

		if (!ret)
			qaccel_onnx_tensor_release(&back);
		else
			EXPECT_NE(0, qaccel_onnx_error()[0]);
	}
	free(buf);
}

TEST(tensor_input_of_the_wrong_shape_is_refused)
{
	struct qaccel_onnx_model *m;
	struct qaccel_onnx_tensor info;
	uint8_t data[4] = { 0 };
	size_t len;
	void *buf = slurp("random_chain_0/model.onnx", &len);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, qaccel_onnx_load(NULL, buf, len, &m));
	free(buf);
	ASSERT_EQ(0, qaccel_onnx_input_info(m, 0, &info));
	info.dims[0]++;
	info.data = data;
	EXPECT_EQ(-EINVAL, qaccel_onnx_set_input(m, &info));
	EXPECT_NE(NULL, strstr(qaccel_onnx_error(), "shape differs"));
	qaccel_onnx_free(m);
}

TEST_HARNESS_MAIN
