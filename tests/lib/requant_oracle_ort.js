// SPDX-License-Identifier: MIT
//
// The ONNX Runtime oracle of test_requant_oracles.c: runs a batch of GEMMs
// through ONNX Runtime's CPU QLinearMatMul kernel (npm onnxruntime-node)
// and writes every output byte back.
//
//   node requant_oracle_ort.js ORT_MODULE_DIR CASES_IN OUTPUT_OUT
//
// CASES_IN (little endian): "QRQ1", u32 count, then per case
//   i32 m, n, k, a_u8, b_u8, y_u8, per_channel, a_zp, b_zp, y_zp,
//   f32 a_scale, y_scale, b_scale[per_channel ? n : 1],
//   a (m x k bytes, row major), b (k x n bytes, row major: ONNX's B).
// OUTPUT_OUT: the m x n output bytes of each case, one after the other.
//
// The model is written here as protobuf bytes (the ONNX IR's field
// numbers), one QLinearMatMul node whose eight operands are all graph
// inputs, A and B with symbolic dimensions: ORT then sees no constant and
// runs its generic kernel (MLAS QGEMM + MlasRequantizeOutput) with the
// scales of each case.
'use strict';

const fs = require('fs');
const path = require('path');

function varint(n) {
	const out = [];
	let v = BigInt(n);
	do {
		let b = Number(v & 0x7fn);
		v >>= 7n;
		if (v) b |= 0x80;
		out.push(b);
	} while (v);
	return Buffer.from(out);
}
function key(field, wire) { return varint(field * 8 + wire); }
function fint(field, n) { return Buffer.concat([key(field, 0), varint(n)]); }
function fbytes(field, buf) {
	return Buffer.concat([key(field, 2), varint(buf.length), buf]);
}
function fstr(field, s) { return fbytes(field, Buffer.from(s, 'utf8')); }
function msg(...parts) { return Buffer.concat(parts); }

// TensorProto.DataType
const FLOAT = 1, UINT8 = 2, INT8 = 3;

// ValueInfoProto{name, type: TypeProto{tensor_type{elem_type, shape?}}}
function valueInfo(name, elemType, dims) {
	let tensor = fint(1, elemType);
	if (dims) {
		const d = dims.map((p) => fbytes(1, fstr(2, p)));	// Dimension.dim_param
		tensor = msg(tensor, fbytes(2, msg(...d)));		// TensorShapeProto
	}
	return msg(fstr(1, name), fbytes(2, fbytes(1, tensor)));
}

function model(aType, bType, yType) {
	const ins = ['a', 'a_scale', 'a_zp', 'b', 'b_scale', 'b_zp', 'y_scale', 'y_zp'];
	const node = msg(...ins.map((n) => fstr(1, n)), fstr(2, 'y'), fstr(3, 'qmm'),
			 fstr(4, 'QLinearMatMul'));
	const graph = msg(fbytes(1, node), fstr(2, 'requant_oracle'),
		fbytes(11, valueInfo('a', aType, ['M', 'K'])),
		fbytes(11, valueInfo('a_scale', FLOAT)),
		fbytes(11, valueInfo('a_zp', aType)),
		fbytes(11, valueInfo('b', bType, ['K', 'N'])),
		fbytes(11, valueInfo('b_scale', FLOAT)),
		fbytes(11, valueInfo('b_zp', bType)),
		fbytes(11, valueInfo('y_scale', FLOAT)),
		fbytes(11, valueInfo('y_zp', yType)),
		fbytes(12, valueInfo('y', yType)));
	// ModelProto{ir_version 8, graph, opset_import{domain "", version 13}}
	return msg(fint(1, 8), fbytes(7, graph), fbytes(8, msg(fstr(1, ''), fint(2, 13))));
}

async function main() {
	const [ortDir, casesIn, outPath] = process.argv.slice(2);
	const ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node'));
	const buf = fs.readFileSync(casesIn);
	if (buf.toString('latin1', 0, 4) !== 'QRQ1')
		throw new Error(`${casesIn}: not a case file`);
	const count = buf.readUInt32LE(4);
	const sessions = new Map();
	const outs = [];
	let off = 8;

	for (let c = 0; c < count; c++) {
		const h = [];
		for (let i = 0; i < 10; i++, off += 4)
			h.push(buf.readInt32LE(off));
		const [m, n, k, aU8, bU8, yU8, perChannel, aZp, bZp, yZp] = h;
		const aScale = buf.readFloatLE(off), yScale = buf.readFloatLE(off + 4);
		off += 8;
		const nScales = perChannel ? n : 1;
		const bScale = new Float32Array(nScales);
		for (let j = 0; j < nScales; j++, off += 4)
			bScale[j] = buf.readFloatLE(off);
		const a = buf.subarray(off, off + m * k);
		off += m * k;
		const b = buf.subarray(off, off + k * n);
		off += k * n;

		const types = [aU8, bU8, yU8].map((u) => (u ? UINT8 : INT8));
		const id = types.join(',');
		if (!sessions.has(id)) {
			sessions.set(id, await ort.InferenceSession.create(model(...types), {
				intraOpNumThreads: 1,
				interOpNumThreads: 1,
				graphOptimizationLevel: 'disabled',
			}));
		}
		const t = (u8, data, dims) => new ort.Tensor(u8 ? 'uint8' : 'int8',
			u8 ? Uint8Array.from(data) : Int8Array.from(data, (x) => (x << 24) >> 24), dims);
		// Per channel: B's scale and zero point are [1, N], one per column.
		const qDims = perChannel ? [1, n] : [];
		const feeds = {
			a: t(aU8, a, [m, k]),
			a_scale: new ort.Tensor('float32', Float32Array.of(aScale), []),
			a_zp: t(aU8, [aZp & 0xff], []),
			b: t(bU8, b, [k, n]),
			b_scale: new ort.Tensor('float32', bScale, qDims),
			b_zp: t(bU8, new Array(nScales).fill(bZp & 0xff), qDims),
			y_scale: new ort.Tensor('float32', Float32Array.of(yScale), []),
			y_zp: t(yU8, [yZp & 0xff], []),
		};
		const res = await sessions.get(id).run(feeds);
		const y = res.y.data;
		outs.push(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
	}
	fs.writeFileSync(outPath, Buffer.concat(outs));
}

main().catch((e) => {
	process.stderr.write(`requant_oracle_ort: ${e.stack || e}\n`);
	process.exit(1);
});
