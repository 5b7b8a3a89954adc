import { describe, expect, it } from 'vitest';
import { MODULE_REF } from '../api/testdata/bad-inputs.ts';
import { validateWasmFunction } from '../api/index.ts';
import { synthObjects, testChart } from './testing.ts';
import { WasmFunction } from './wasm-function.ts';

describe('WasmFunction construct', () => {
  it('renders the spec as written (defaults left to the API server) and keeps the defaulted spec', () => {
    const chart = testChart();
    const fn = new WasmFunction(chart, 'echo', { module: MODULE_REF, limits: { memoryPages: 64 }, labels: { team: 'edge' } });
    const [obj] = synthObjects(chart);
    expect(obj).toMatchSnapshot();
    expect(obj).toMatchObject({ kind: 'WasmFunction', metadata: { name: 'echo', namespace: 'functions', labels: { team: 'edge' } }, spec: { limits: { memoryPages: 64 } } });
    expect(fn.spec.limits).toEqual({ memoryPages: 64, timeoutMs: 5000, concurrency: 8 });
    expect(validateWasmFunction(obj).ok).toBe(true);
  });

  it('grants nothing by default', () => {
    const chart = testChart();
    const fn = new WasmFunction(chart, 'f', { module: MODULE_REF });
    expect(fn.spec.capabilities).toEqual({ env: [], allowedHosts: [], volumes: [] });
    expect((synthObjects(chart)[0] as { spec: object }).spec).toEqual({ module: { ref: MODULE_REF } });
  });

  it('addEnv adds to the rendered spec and is validated', () => {
    const chart = testChart();
    const fn = new WasmFunction(chart, 'f', { module: MODULE_REF });
    fn.addEnv('MODE', 'fast');
    expect((synthObjects(chart)[0] as { spec: object }).spec).toEqual({
      module: { ref: MODULE_REF },
      capabilities: { env: [{ name: 'MODE', value: 'fast' }] },
    });
    expect(() => fn.addEnv('MODE', 'again')).toThrow(/spec.capabilities.env\[1\] duplicates name/);
  });

  it('refuses capabilities.allowedHosts: nothing would enforce it yet', () => {
    expect(() => new WasmFunction(testChart(), 'f', { module: MODULE_REF, capabilities: { allowedHosts: ['api.example:443'] } })).toThrow(/capabilities.allowedHosts is not supported yet/);
  });

  it('names the construct path, prop and value when a prop is invalid', () => {
    expect(() => new WasmFunction(testChart(), 'bad', { module: MODULE_REF, scaling: { minInstances: 9, maxInstances: 3 } })).toThrow(
      /WasmFunction "bad" at test\/bad has invalid props:\n {2}- spec.scaling.minInstances: scaling.minInstances must be <= scaling.maxInstances/,
    );
  });

  it('fromName references without rendering anything', () => {
    const chart = testChart();
    expect(WasmFunction.fromName(chart, 'ext', 'elsewhere').name).toBe('elsewhere');
    expect(synthObjects(chart)).toEqual([]);
  });
});
