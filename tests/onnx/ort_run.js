// SPDX-License-Identifier: MIT
// ONNX Runtime (onnxruntime-node, CPU execution provider) as the oracle of
// qaccel-run (docs/models.md).
//
//   NODE_PATH=build/onnxruntime-node/node_modules node tests/onnx/ort_run.js CASEDIR...
//
// For each CASEDIR (model.onnx, test_data_set_0/input_N.pb) it runs the
// model and writes every output as CASEDIR/ort/<output name>.pb (an ONNX
// TensorProto: dims, data_type, name, raw_data).  Where ONNX's own expected
// output_N.pb is present it checks ONNX Runtime against it byte for byte
// and says where they differ (the device is held to ONNX Runtime).  A model
// ONNX Runtime cannot run gets CASEDIR/ort/ERROR with its message.
// Exit status: 0 unless a case could not be read or written.
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

// TensorProto.DataType -> [ort type name, bytes, TypedArray]
const TYPES = {
	1: ["float32", 4, Float32Array], 2: ["uint8", 1, Uint8Array],
	3: ["int8", 1, Int8Array], 5: ["int16", 2, Int16Array],
	6: ["int32", 4, Int32Array], 7: ["int64", 8, BigInt64Array],
	9: ["bool", 1, Uint8Array],
};
const BY_NAME = {};
for (const [k, v] of Object.entries(TYPES)) BY_NAME[v[0]] = Number(k);

function varint(buf, pos) {
	let v = 0n, shift = 0n;
	for (;;) {
		if (pos >= buf.length) throw new Error("truncated varint");
		const b = buf[pos++];
		v |= BigInt(b & 0x7f) << shift;
		if (!(b & 0x80)) return [v, pos];
		shift += 7n;
	}
}

// The fields of a TensorProto this oracle needs; the inputs are written by
// numpy_helper.from_array (raw_data).
function decodeTensor(buf) {
	const t = { dims: [], dataType: 0, name: "", raw: null };
	let pos = 0;
	while (pos < buf.length) {
		let key;
		[key, pos] = varint(buf, pos);
		const field = Number(key >> 3n), wire = Number(key & 7n);
		if (wire === 0) {
			let v;
			[v, pos] = varint(buf, pos);
			if (field === 1) t.dims.push(BigInt.asIntN(64, v));
			else if (field === 2) t.dataType = Number(v);
		} else if (wire === 2) {
			let len;
			[len, pos] = varint(buf, pos);
			const end = pos + Number(len), body = buf.subarray(pos, end);
			if (field === 1) {
				let p = 0;
				while (p < body.length) {
					let v;
					[v, p] = varint(body, p);
					t.dims.push(BigInt.asIntN(64, v));
				}
			} else if (field === 8) t.name = body.toString("utf8");
			else if (field === 9) t.raw = Buffer.from(body);
			pos = end;
		} else if (wire === 5) pos += 4;
		else if (wire === 1) pos += 8;
		else throw new Error("unsupported wire type " + wire);
	}
	if (!t.raw) throw new Error("tensor without raw_data");
	return t;
}

function encVarint(v) {
	const out = [];
	v = BigInt.asUintN(64, BigInt(v));
	do {
		let b = Number(v & 0x7fn);
		v >>= 7n;
		if (v) b |= 0x80;
		out.push(b);
	} while (v);
	return Buffer.from(out);
}

function encodeTensor(name, tensor) {
	const dt = BY_NAME[tensor.type];
	if (!dt) throw new Error("output type " + tensor.type + " not handled");
	const raw = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
	const parts = [];
	for (const d of tensor.dims) parts.push(encVarint(1 << 3), encVarint(d));
	parts.push(encVarint(2 << 3), encVarint(dt));
	const nb = Buffer.from(name, "utf8");
	parts.push(encVarint((8 << 3) | 2), encVarint(nb.length), nb);
	parts.push(encVarint((9 << 3) | 2), encVarint(raw.length), raw);
	return Buffer.concat(parts);
}

async function runCase(dir) {
	const ds = path.join(dir, "test_data_set_0");
	const outDir = path.join(dir, "ort");
	fs.rmSync(outDir, { recursive: true, force: true });
	fs.mkdirSync(outDir);
	let session;
	try {
		session = await ort.InferenceSession.create(path.join(dir, "model.onnx"));
	} catch (e) {
		fs.writeFileSync(path.join(outDir, "ERROR"), String(e.message) + "\n");
		return "ort-rejects";
	}
	const feeds = {};
	for (let i = 0; fs.existsSync(path.join(ds, `input_${i}.pb`)); i++) {
		const t = decodeTensor(fs.readFileSync(path.join(ds, `input_${i}.pb`)));
		const [tn, , TA] = TYPES[t.dataType];
		const copy = Buffer.from(t.raw);
		const data = new TA(copy.buffer, copy.byteOffset, copy.length / TA.BYTES_PER_ELEMENT);
		feeds[session.inputNames[i]] = new ort.Tensor(tn, data, t.dims.map(Number));
	}
	const results = await session.run(feeds);
	let verdict = "ok";
	session.outputNames.forEach((name, i) => {
		const pb = encodeTensor(name, results[name]);
		fs.writeFileSync(path.join(outDir, name + ".pb"), pb);
		const ref = path.join(ds, `output_${i}.pb`);
		if (fs.existsSync(ref)) {
			const want = decodeTensor(fs.readFileSync(ref));
			const got = Buffer.from(results[name].data.buffer,
				results[name].data.byteOffset, results[name].data.byteLength);
			if (!want.raw.equals(got)) verdict = "differs-from-onnx";
		}
	});
	return verdict;
}

(async () => {
	const counts = {};
	for (const dir of process.argv.slice(2)) {
		const v = await runCase(dir);
		counts[v] = (counts[v] || 0) + 1;
		if (v !== "ok") console.log(`ort_run: ${path.basename(dir)}: ${v}`);
	}
	console.log("ort_run: " + Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", "));
})().catch((e) => { console.error("ort_run: " + e.stack); process.exit(1); });
