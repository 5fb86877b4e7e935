/**
 * Where ONNX's schema comes from: `onnx.proto`, vendored unchanged from Debian's libonnx-dev
 * 1.12.0 (/usr/include/onnx/onnx.proto; ONNX Project Contributors, licence header in the file), and
 * the protobufjs JSON descriptor generated from it (scripts/onnx-schema.ts). Node-only (reads files).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCHEMA_PROTO = path.join(here, 'onnx.proto');
export const SCHEMA_JSON = path.join(here, 'onnx-schema.json');

/** protobufjs's JSON descriptor of a .proto file (comments dropped). */
export function schemaFromProto(file: string): protobuf.INamespace {
  return protobuf.loadSync(file).toJSON();
}
