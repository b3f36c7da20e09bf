/* SPDX-License-Identifier: MIT */
/*
 * qaccel_onnx: run an int8 ONNX model on the qaccel accelerator, with the
 * outputs ONNX Runtime's CPU execution provider computes, byte for byte.
 *
 * qaccel_onnx_load() parses the model and validates the whole graph
 * before anything runs: every node's op, domain, attributes, data types
 * and shapes (static, from the graph inputs and initializers, inferred
 * through the supported ops).  Anything it does not support fails there
 * with -EOPNOTSUPP (or -EINVAL for a model that is not valid ONNX) and a
 * message naming the node, the op and the reason, read with
 * qaccel_onnx_error().  Weights are uploaded to device buffers once, at
 * load.  qaccel_onnx_run() then runs the graph: the GEMMs of
 * MatMulInteger and ConvInteger on the device (int32 output), the rest on
 * the host.  docs/models.md lists the ops and how each is lowered.
 *
 * Tensors in files are ONNX TensorProto messages (the .pb files of ONNX's
 * test data); qaccel_onnx_tensor_parse() and _serialize() convert them.
 *
 * Every function that can fail returns 0 (or a count) or a negative errno;
 * the library never prints.  A model is used by one thread at a time (like
 * the qaccel_dev it runs on); the error message is per thread.
 */
#ifndef QACCEL_ONNX_H
#define QACCEL_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "qaccel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element types: ONNX's TensorProto.DataType values. */
enum qaccel_onnx_dtype {
	QACCEL_ONNX_FLOAT = 1,
	QACCEL_ONNX_UINT8 = 2,
	QACCEL_ONNX_INT8 = 3,
	QACCEL_ONNX_INT32 = 6,
	QACCEL_ONNX_INT64 = 7,
};

#define QACCEL_ONNX_MAX_RANK	8
#define QACCEL_ONNX_NAME_MAX	256

/* A dense row-major tensor. */
struct qaccel_onnx_tensor {
	char name[QACCEL_ONNX_NAME_MAX];
	int32_t dtype;			/* enum qaccel_onnx_dtype */
	uint32_t rank;
	int64_t dims[QACCEL_ONNX_MAX_RANK];
	size_t count;			/* elements: the product of dims */
	void *data;			/* count elements of dtype */
};

/* What one node did in the runs since load (qaccel_onnx_node_stats()). */
struct qaccel_onnx_node_stats {
	const char *name;		/* the node's name ("" if it has none) */
	const char *op;			/* its op_type */
	int on_device;			/* 1: its GEMM ran on the device */
	uint64_t runs;
	uint64_t device_cycles;		/* summed over runs */
	uint64_t macs;			/* multiply-accumulates, summed */
	uint64_t host_ns;		/* wall time of the node, summed */
	uint64_t im2col_ns;		/* of host_ns: building the GEMM's A */
};

struct qaccel_onnx_model;

/*
 * The message of the last call that failed in this thread ("" if none),
 * e.g. "node 'conv1' (ConvInteger): 6 input channels not divisible by group 4".
 */
const char *qaccel_onnx_error(void);

/*
 * Parse and validate the model in buf (len bytes; the bytes are not used
 * after the call) and upload its weights to dev.  dev may be NULL: the
 * model is then only validated (qaccel_onnx_run() returns -ENODEV).
 */
int qaccel_onnx_load(struct qaccel_dev *dev, const void *buf, size_t len,
		     struct qaccel_onnx_model **out);
/* qaccel_onnx_load() of a file. */
int qaccel_onnx_load_file(struct qaccel_dev *dev, const char *path,
			  struct qaccel_onnx_model **out);
/* Free the model and its device buffers (the device must be still open). */
void qaccel_onnx_free(struct qaccel_onnx_model *model);

unsigned int qaccel_onnx_input_count(const struct qaccel_onnx_model *model);
unsigned int qaccel_onnx_output_count(const struct qaccel_onnx_model *model);
unsigned int qaccel_onnx_node_count(const struct qaccel_onnx_model *model);
/* Name, type and shape of input/output i (t->data is NULL). */
int qaccel_onnx_input_info(const struct qaccel_onnx_model *model, unsigned int i,
			   struct qaccel_onnx_tensor *t);
int qaccel_onnx_output_info(const struct qaccel_onnx_model *model, unsigned int i,
			    struct qaccel_onnx_tensor *t);
/*
 * Set the graph input named t->name; its type and shape must be the
 * input's exactly (-EINVAL otherwise).  The data is copied.
 */
int qaccel_onnx_set_input(struct qaccel_onnx_model *model,
			  const struct qaccel_onnx_tensor *t);
/* Run the graph; every input must have been set. */
int qaccel_onnx_run(struct qaccel_onnx_model *model);
/*
 * Output i of the last run; t->data points into the model and stays valid
 * until the next run or qaccel_onnx_free().
 */
int qaccel_onnx_output(const struct qaccel_onnx_model *model, unsigned int i,
		       struct qaccel_onnx_tensor *t);
int qaccel_onnx_node_stats(const struct qaccel_onnx_model *model, unsigned int i,
			   struct qaccel_onnx_node_stats *s);

/*
 * Decode a serialized TensorProto of a supported type (raw_data or the
 * typed repeated fields) into t; t->data is allocated (malloc), release it
 * with qaccel_onnx_tensor_release().
 */
int qaccel_onnx_tensor_parse(const void *buf, size_t len,
			     struct qaccel_onnx_tensor *t);
/* Encode t as a TensorProto (dims, data_type, name, raw_data) into *buf (malloc). */
int qaccel_onnx_tensor_serialize(const struct qaccel_onnx_tensor *t,
				 void **buf, size_t *len);
void qaccel_onnx_tensor_release(struct qaccel_onnx_tensor *t);
/* Bytes of one element of dtype, 0 for an unsupported type. */
size_t qaccel_onnx_dtype_size(int32_t dtype);

#ifdef __cplusplus
}
#endif

#endif /* QACCEL_ONNX_H */
