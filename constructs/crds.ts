/**
 * The four CustomResourceDefinitions, rendered from the api/ schemas, and the admission policy that
 * holds every WasmFunction to its WasmRuntime's ceilings (api/admission.ts), which needs them, and
 * the one that holds each node runtime to its own Lease (api/node-lease-policy.ts).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { KINDS, ceilingsPolicy, ceilingsPolicyBinding, crdFor, nodeLeasePolicy, nodeLeasePolicyBinding } from '../api/index.ts';

/** CRDs of every Flotilla kind, and the ValidatingAdmissionPolicy (with its binding) over them. */
export class FlotillaCrds extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const def of KINDS) {
      const crd = crdFor(def);
      new ApiObject(this, def.kind, { ...crd, metadata: { ...crd.metadata } });
    }
    for (const o of [ceilingsPolicy(), ceilingsPolicyBinding()]) new ApiObject(this, o.kind, structuredClone(o));
    new ApiObject(this, 'NodeLeasePolicy', structuredClone(nodeLeasePolicy()));
    new ApiObject(this, 'NodeLeasePolicyBinding', structuredClone(nodeLeasePolicyBinding()));
  }
}
