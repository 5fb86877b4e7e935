/**
 * Regenerates src-main/engine/onnx/onnx-schema.json (protobufjs's JSON descriptor) from the vendored
 * onnx.proto, so the exporter loads ONNX's schema as a plain JSON module in Node, tsx and the
 * Electron bundle alike. `npx tsx scripts/onnx-schema.ts`; test/onnx-export.test.ts checks they agree.
 */
import * as fs from 'node:fs';
import { schemaFromProto, SCHEMA_JSON, SCHEMA_PROTO } from '../src-main/engine/onnx/schema-source';

fs.writeFileSync(SCHEMA_JSON, JSON.stringify(schemaFromProto(SCHEMA_PROTO)) + '\n');
process.stdout.write(`wrote ${SCHEMA_JSON}\n`);
