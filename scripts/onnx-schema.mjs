// Regenerates src/io/onnx/schema/onnx.json, the ONNX schema as protobufjs reflection JSON, from
// src/io/onnx/schema/onnx.proto (copied from Debian's python3-onnx 1.12, Apache-2.0; see the
// LICENSE beside it). The runtime loads the JSON with protobufjs/light, so no .proto parser ships.
// Run: node scripts/onnx-schema.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const dir = fileURLToPath(new URL('../src/io/onnx/schema/', import.meta.url));
// keepCase: the field names stay ONNX's own (raw_data, op_type), as in the Python onnx package.
const parsed = protobuf.parse(readFileSync(`${dir}onnx.proto`, 'utf8'), { keepCase: true });
writeFileSync(`${dir}onnx.json`, `${JSON.stringify(parsed.root.toJSON(), null, 1)}\n`);
console.log(`wrote ${dir}onnx.json`);
