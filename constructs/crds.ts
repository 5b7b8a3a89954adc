/** The four CustomResourceDefinitions, rendered from the api/ schemas. */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { KINDS, crdFor } from '../api/index.ts';

/** CRDs of every Flotilla kind. */
export class FlotillaCrds extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const def of KINDS) {
      const crd = crdFor(def);
      new ApiObject(this, def.kind, { ...crd, metadata: { ...crd.metadata } });
    }
  }
}
