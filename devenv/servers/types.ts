/** What the harness started, as tests see it: plain data, so vitest can pass it to test workers. */

export interface KubeInfo {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Admin kubeconfig path (CA data + bearer token). */
  readonly kubeconfig: string;
  /** Admin bearer token (group system:masters). */
  readonly token: string;
  /** PEM file of the CA that signed the apiserver's serving certificate. */
  readonly caFile: string;
  /** PEM key of that CA: the harness's nodes issue their kubelets' client certificates with it. */
  readonly caKeyFile: string;
}

export interface RegistryInfo {
  /** host:port, as used in image references. */
  readonly host: string;
  /** http://host:port */
  readonly url: string;
}

export interface HarnessInfo {
  /** Root temp dir of this run: server data under it, logs in `${workDir}/logs`. */
  readonly workDir: string;
  readonly logDir: string;
  readonly kube: KubeInfo;
  /** Docker distribution 2.8: no referrers API (cosign falls back to `sha256-<hex>.sig` tags). */
  readonly registry: RegistryInfo;
  /**
   * A registry with the OCI 1.1 referrers API. Named for zot, which the contract planned; it is
   * served by devenv/tools/referrers-registry (go-containerregistry) because zot's Go module cannot
   * be fetched here. Absent only when that tool is not built.
   */
  readonly zot?: RegistryInfo;
  /** JetStream enabled. */
  readonly nats: { readonly url: string; readonly monitorUrl: string };
  readonly mqtt: { readonly url: string };
}
