/**
 * Decoding of BuildKit trace messages: the `aux` of `{"id":"moby.buildkit.trace"}` stream
 * messages is a base64 protobuf `moby.buildkit.v1.StatusResponse` (BuildKit's control API,
 * `api/services/control/control.proto`). Decoded with protobufjs and the schema dockerode ships
 * (`lib/proto/buildkit_status.proto`, a wire-compatible subset of control.proto), which the
 * build copies to `dist/proto/` next to the bundle.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import type { StatusResponse } from '../../core/buildProgress';

const SCHEMA_FILE = 'buildkit_status.proto';
const TYPE_NAME = 'moby.buildkit.v1.StatusResponse';
let statusType: protobuf.Type | undefined;

/** Where the schema is: next to the bundle (dist/proto), else in dockerode's package (sources, tests). */
function schemaPath(): string {
  const bundled = join(__dirname, 'proto', SCHEMA_FILE);
  if (existsSync(bundled)) return bundled;
  return require.resolve(`dockerode/lib/proto/${SCHEMA_FILE}`);
}

function type(): protobuf.Type {
  statusType ??= protobuf.loadSync(schemaPath()).lookupType(TYPE_NAME);
  return statusType;
}

interface PbTimestamp {
  seconds?: number;
  nanos?: number;
}
const ms = (t: PbTimestamp | undefined): number | undefined =>
  t && (t.seconds || t.nanos) ? (t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;

/**
 * Decode one trace message.
 * @param aux the message's `aux` string (base64).
 * @returns vertexes, statuses, logs and warnings with times in ms since the epoch.
 * @throws Error when the bytes are not a StatusResponse.
 */
export function decodeTrace(aux: string): StatusResponse {
  const t = type();
  const o = t.toObject(t.decode(Buffer.from(aux, 'base64')), { longs: Number, defaults: false, arrays: true }) as {
    vertexes?: Array<{ digest: string; inputs?: string[]; name?: string; cached?: boolean; started?: PbTimestamp; completed?: PbTimestamp; error?: string }>;
    statuses?: Array<{ ID: string; vertex: string; name?: string; current?: number; total?: number; timestamp?: PbTimestamp; started?: PbTimestamp; completed?: PbTimestamp }>;
    logs?: Array<{ vertex: string; stream?: number; msg?: Uint8Array; timestamp?: PbTimestamp }>;
    warnings?: Array<{ vertex: string; short?: Uint8Array }>;
  };
  return {
    vertexes: (o.vertexes ?? []).map((v) => ({
      digest: v.digest,
      inputs: v.inputs,
      name: v.name,
      cached: v.cached ?? false,
      started: ms(v.started),
      completed: ms(v.completed),
      error: v.error || undefined,
    })),
    statuses: (o.statuses ?? []).map((s) => ({
      id: s.ID,
      vertex: s.vertex,
      name: s.name,
      current: s.current,
      total: s.total,
      timestamp: ms(s.timestamp),
      started: ms(s.started),
      completed: ms(s.completed),
    })),
    logs: (o.logs ?? []).map((l) => ({ vertex: l.vertex, stream: l.stream ?? 1, data: l.msg ?? new Uint8Array(), timestamp: ms(l.timestamp) })),
    warnings: (o.warnings ?? []).map((w) => ({ vertex: w.vertex, short: Buffer.from(w.short ?? []).toString('utf8') })),
  };
}
