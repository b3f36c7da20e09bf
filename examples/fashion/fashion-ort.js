// SPDX-License-Identifier: MIT
// ONNX Runtime (onnxruntime-node 1.20.1, CPU execution provider) over the
// Fashion-MNIST test set: accuracy of each model, and its outputs for every
// image, which the guest holds the accelerator to (docs/fashion-cnn.md).
//
//   NODE_PATH=build/onnxruntime-node/node_modules node fashion-ort.js DIR \
//       [--reference FILE:MODEL] [--summary NAME] TYPE:MODEL.onnx...
//
// TYPE is the model's input: "float" (pixel / 255) or "uint8" (the pixel
// bytes).  The batch and the shape of one image come from the model's fixed
// input shape.  For each model it writes DIR/ort/MODEL.out, its outputs for
// images 0..9999 back to back (raw little-endian elements), and prints the
// accuracy (argmax, first maximum).  --reference FILE:MODEL compares MODEL's
// outputs byte for byte with FILE (fashion-prep's CPU reference logits).
// Writes DIR/ort/NAME (default summary.json) with the figures.  Exit status 1 when a reference differs.
"use strict";
const fs = require("fs");
const path = require("path");
const ort = require("onnxruntime-node");

function idx(file, magic) {
	const b = fs.readFileSync(file);
	if (b.readUInt32BE(0) !== magic) throw new Error(file + ": not an idx file");
	return b;
}

// The fixed input shape of a model: ONNX protobuf, ModelProto.graph(7).input(11)
// .type(2).tensor_type(1).shape(2).dim(1).dim_value(1).  onnxruntime-node
// 1.20 does not tell input shapes, so read them.
function fields(buf) {
	const out = [];
	let pos = 0;
	const varint = () => {
		let v = 0, mul = 1;
		for (;;) {
			const b = buf[pos++];
			v += (b & 0x7f) * mul;
			if (!(b & 0x80)) return v;
			mul *= 128;
		}
	};
	while (pos < buf.length) {
		const key = varint(), f = Math.floor(key / 8), w = key % 8;
		if (w === 0) out.push([f, varint()]);
		else if (w === 2) {
			const n = varint();
			out.push([f, buf.subarray(pos, pos + n)]);
			pos += n;
		} else if (w === 5) pos += 4;
		else if (w === 1) pos += 8;
		else throw new Error("unexpected wire type " + w);
	}
	return out;
}
const sub = (buf, f) => fields(buf).filter(([k, v]) => k === f && Buffer.isBuffer(v)).map(([, v]) => v);
function inputShape(model) {
	const graph = sub(model, 7)[0];
	const inits = new Set(sub(graph, 5).map((t) => sub(t, 8)[0].toString()));
	for (const vi of sub(graph, 11)) {
		if (inits.has(sub(vi, 1)[0].toString())) continue;
		const shape = sub(sub(sub(vi, 2)[0], 1)[0], 2)[0];
		return sub(shape, 1).map((d) => fields(d).find(([k]) => k === 1)[1]);
	}
	throw new Error("no graph input");
}

function argmax(a, off, n) {
	let best = 0;
	for (let j = 1; j < n; j++) if (a[off + j] > a[off + best]) best = j;
	return best;
}

async function main() {
	const args = process.argv.slice(2);
	const dir = args.shift();
	const refs = {};
	const models = [];
	let summaryName = "summary.json";
	while (args.length) {
		const a = args.shift();
		if (a === "--reference") {
			const [file, model] = args.shift().split(":");
			refs[model] = file;
		} else if (a === "--summary") summaryName = args.shift();
		else models.push(a.split(":"));
	}
	const images = idx(path.join(dir, "t10k-images-idx3-ubyte"), 0x803).subarray(16);
	const labels = idx(path.join(dir, "t10k-labels-idx1-ubyte"), 0x801).subarray(8);
	const n = labels.length;
	fs.mkdirSync(path.join(dir, "ort"), { recursive: true });
	const summary = { images: n, onnxruntime: "onnxruntime-node " + require("onnxruntime-node/package.json").version, models: {} };
	let status = 0;
	for (const [type, file] of models) {
		const mpath = path.join(dir, file);
		const shape = inputShape(fs.readFileSync(mpath));
		const batch = shape[0], per = shape.slice(1).reduce((x, y) => x * y, 1);
		if (per !== 784) throw new Error(file + ": an image is not 784 elements");
		const session = await ort.InferenceSession.create(mpath);
		const chunks = [];
		let correct = 0, classes = 0, t0 = Date.now();
		for (let first = 0; first < n; first += batch) {
			const rows = Math.min(batch, n - first);
			const px = images.subarray(first * 784, (first + rows) * 784);
			let data;
			if (type === "uint8") {
				data = new Uint8Array(batch * 784);
				data.set(px);
			} else {
				data = new Float32Array(batch * 784);
				for (let i = 0; i < px.length; i++) data[i] = px[i] / 255;
			}
			const out = (await session.run({ [session.inputNames[0]]:
				new ort.Tensor(type === "uint8" ? "uint8" : "float32", data, shape) }))[session.outputNames[0]];
			classes = out.dims[1];
			const y = out.data;
			for (let r = 0; r < rows; r++)
				correct += argmax(y, r * classes, classes) === labels[first + r];
			chunks.push(Buffer.from(y.buffer, y.byteOffset, rows * classes * y.BYTES_PER_ELEMENT));
		}
		const all = Buffer.concat(chunks);
		const outFile = path.join(dir, "ort", file.replace(/\.onnx$/, "") + ".out");
		fs.writeFileSync(outFile, all);
		const m = { input: type, batch, accuracy: 100 * correct / n, output_bytes: all.length,
			    model_bytes: fs.statSync(mpath).size, seconds: (Date.now() - t0) / 1000 };
		let line = `fashion-ort: ${file}: ${(100 * correct / n).toFixed(2)}% of ${n} test images ` +
			`(batch ${batch}, ${m.model_bytes} bytes, ${m.seconds.toFixed(1)} s)`;
		if (refs[file]) {
			const want = fs.readFileSync(path.join(dir, refs[file]));
			let differ = 0;
			for (let i = 0; i < all.length; i++) differ += want[i] !== all[i];
			if (want.length !== all.length) differ = Math.max(differ, 1);
			m.reference_bytes_differing = differ;
			line += `; ${differ} of ${all.length} output bytes differ from ${refs[file]}`;
			if (differ) status = 1;
		}
		summary.models[file] = m;
		console.log(line);
	}
	fs.writeFileSync(path.join(dir, "ort", summaryName), JSON.stringify(summary, null, 2) + "\n");
	process.exit(status);
}
main().catch((e) => { console.error("fashion-ort: " + (e.stack || e)); process.exit(2); });
