import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { DIGEST_PATTERN } from '../api/digest.ts';
import { componentInfo } from './component.ts';
import { OciError } from './errors.ts';
import type { Descriptor, ImageManifest } from './manifest.ts';
import { describe, encodeJson, sortKeys } from './manifest.ts';
import {
  ANNOTATION_CREATED,
  ANNOTATION_REVISION,
  ANNOTATION_SOURCE,
  ANNOTATION_TITLE,
  OCI_MANIFEST,
  WASM_ARTIFACT_TYPE,
  WASM_CONFIG,
  WASM_LAYER,
} from './media-types.ts';

/** The config blob of the CNCF TAG-Runtime Wasm OCI artifact (`application/vnd.wasm.config.v0+json`). */
export const WasmConfigSchema = Type.Object({
  created: Type.String({ minLength: 1 }),
  author: Type.Optional(Type.String()),
  architecture: Type.Literal('wasm'),
  os: Type.Union([Type.Literal('wasip1'), Type.Literal('wasip2')]),
  layerDigests: Type.Array(Type.String({ pattern: DIGEST_PATTERN }), { minItems: 1 }),
  component: Type.Optional(
    Type.Object({
      exports: Type.Optional(Type.Array(Type.String())),
      imports: Type.Optional(Type.Array(Type.String())),
      target: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    }),
  ),
});
export type WasmConfig = Type.Static<typeof WasmConfigSchema>;
const checkConfig = Compile(WasmConfigSchema);

/** Inputs of a Wasm artifact; everything that ends up in the bytes is explicit so builds are reproducible. */
export interface WasmArtifactInput {
  readonly wasm: Uint8Array;
  /** Creation time; callers pass SOURCE_DATE_EPOCH when set so the manifest digest is reproducible. */
  readonly created: Date;
  /** File name recorded as the layer title (what `oras pull` writes the module to). @default 'module.wasm' */
  readonly title?: string;
  readonly author?: string;
  /** `org.opencontainers.image.source`: where the code lives. */
  readonly source?: string;
  /** `org.opencontainers.image.revision`: the VCS revision built. */
  readonly revision?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A built artifact: exact bytes of every object and their descriptors. */
export interface WasmArtifact {
  readonly manifest: ImageManifest;
  readonly manifestBytes: Uint8Array;
  readonly manifestDigest: string;
  readonly config: WasmConfig;
  readonly configBytes: Uint8Array;
  readonly configDescriptor: Descriptor;
  readonly layerBytes: Uint8Array;
  readonly layerDescriptor: Descriptor;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** `wasip1` for a core module (version 1), `wasip2` for a component (layer 1); anything else is refused. */
export function wasmKind(wasm: Uint8Array): 'wasip1' | 'wasip2' {
  if (wasm.byteLength < 8 || WASM_MAGIC.some((b, i) => wasm[i] !== b)) {
    throw new OciError('InvalidArtifact', `expected a WebAssembly binary starting with \\0asm, got ${wasm.byteLength} bytes starting ${Buffer.from(wasm.subarray(0, 4)).toString('hex')}`);
  }
  const version = Buffer.from(wasm.subarray(4, 8)).toString('hex');
  if (version === '01000000') return 'wasip1';
  if (version === '0d000100') return 'wasip2';
  throw new OciError('InvalidArtifact', `expected a wasm core module (version 01000000) or component (0d000100), got version ${version}`);
}

/** Builds the manifest, config and layer of a Wasm artifact. Pure: same input, same digest. */
export function buildWasmArtifact(input: WasmArtifactInput): WasmArtifact {
  if (Number.isNaN(input.created.getTime())) throw new OciError('InvalidArtifact', 'created: expected a valid date, got Invalid Date');
  const os = wasmKind(input.wasm);
  const created = input.created.toISOString().replace(/\.000Z$/, 'Z');
  const layerDescriptor = describe(WASM_LAYER, input.wasm, { annotations: { [ANNOTATION_TITLE]: input.title ?? 'module.wasm' } });
  const config: WasmConfig = {
    created,
    ...(input.author !== undefined ? { author: input.author } : {}),
    architecture: 'wasm',
    os,
    layerDigests: [layerDescriptor.digest],
    // The spec requires the world of a wasip2 component; a core module has none.
    ...(os === 'wasip2' ? { component: componentInfo(input.wasm) } : {}),
  };
  const configBytes = encodeJson(config);
  const configDescriptor = describe(WASM_CONFIG, configBytes);
  const annotations: Record<string, string> = { ...input.annotations, [ANNOTATION_CREATED]: created };
  if (input.source !== undefined) annotations[ANNOTATION_SOURCE] = input.source;
  if (input.revision !== undefined) annotations[ANNOTATION_REVISION] = input.revision;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: WASM_ARTIFACT_TYPE,
    config: configDescriptor,
    layers: [layerDescriptor],
    annotations: sortKeys(annotations),
  };
  const manifestBytes = encodeJson(manifest);
  return {
    manifest,
    manifestBytes,
    manifestDigest: describe(OCI_MANIFEST, manifestBytes).digest,
    config,
    configBytes,
    configDescriptor,
    layerBytes: input.wasm,
    layerDescriptor,
  };
}

/** The creation time to stamp: SOURCE_DATE_EPOCH (seconds) when given, else `now`. */
export function creationTime(sourceDateEpoch: string | undefined, now: Date): Date {
  if (sourceDateEpoch === undefined || sourceDateEpoch === '') return now;
  if (!/^[0-9]{1,12}$/.test(sourceDateEpoch)) {
    throw new OciError('InvalidArtifact', `SOURCE_DATE_EPOCH: expected whole seconds since 1970, got ${JSON.stringify(sourceDateEpoch)}`);
  }
  return new Date(Number(sourceDateEpoch) * 1000);
}

/**
 * Checks that a manifest is a Wasm artifact we can run: wasm config media type, exactly one
 * `application/wasm` layer. Returns the layer descriptor.
 */
export function wasmLayerOf(manifest: ImageManifest, what: string): Descriptor {
  if (manifest.config.mediaType !== WASM_CONFIG) {
    throw new OciError('MediaTypeMismatch', `${what}: expected config media type ${WASM_CONFIG}, got ${manifest.config.mediaType}`);
  }
  const wasmLayers = manifest.layers.filter((l) => l.mediaType === WASM_LAYER);
  const [layer] = wasmLayers;
  if (wasmLayers.length !== 1 || layer === undefined) {
    throw new OciError('InvalidArtifact', `${what}: expected exactly one ${WASM_LAYER} layer, got ${wasmLayers.length} (layers: ${manifest.layers.map((l) => l.mediaType).join(', ') || 'none'})`);
  }
  return layer;
}

/** Parses and validates a wasm config blob, and checks it lists the manifest's layers. */
export function parseWasmConfig(bytes: Uint8Array, manifest: ImageManifest, what: string): WasmConfig {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new OciError('InvalidArtifact', `${what}: expected a JSON wasm config, got unparseable bytes`, { cause });
  }
  if (!checkConfig.Check(body)) {
    const e = [...checkConfig.Errors(body)].slice(0, 3).map((x) => `${x.instancePath || '/'} ${x.message}`).join('; ');
    throw new OciError('InvalidArtifact', `${what}: invalid ${WASM_CONFIG}: ${e}`);
  }
  const expected = manifest.layers.map((l) => l.digest).join(',');
  if (body.layerDigests.join(',') !== expected) {
    throw new OciError('InvalidArtifact', `${what}: expected config layerDigests [${expected}], got [${body.layerDigests.join(',')}]`);
  }
  return body;
}
