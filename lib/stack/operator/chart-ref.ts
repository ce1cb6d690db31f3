/** An `oci://` Helm chart reference split the ways Argo CD and Flux want it. */
export interface OciChartRef {
  /** The reference as given, e.g. `oci://ghcr.io/restatedev/restate-operator-helm`. */
  readonly url: string;
  /** Registry host and the path above the chart, without scheme, e.g. `ghcr.io/restatedev`. */
  readonly repository: string;
  /** The chart's name, the last path segment, e.g. `restate-operator-helm`. */
  readonly name: string;
}

const OCI_CHART = /^oci:\/\/([^/\s]+(?:\/[^/\s]+)*)\/([^/\s]+)$/;

/** Splits `oci://host[/path]/name`; throws on anything else. */
export function parseOciChartRef(url: string): OciChartRef {
  const match = OCI_CHART.exec(url);
  if (!match) {
    throw new Error(`operator chart "${url}" is not an OCI chart reference of the form oci://<registry>/<path>/<chart>`);
  }
  return { url, repository: match[1], name: match[2] };
}
