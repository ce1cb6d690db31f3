import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  HelmRelease,
  HelmReleaseSpecChartRefKind,
  HelmReleaseSpecInstallCrds,
  HelmReleaseSpecUpgradeCrds,
} from '../../../imports/helm.toolkit.fluxcd.io';
import { OciRepository, OciRepositorySpecLayerSelectorOperation } from '../../../imports/source.toolkit.fluxcd.io';
import { SYNC_WAVE, Wave } from '../argocd-annotations';
import { type OperatorChartValues, nonEmptyValues } from './chart-values';
import { parseOciChartRef } from './chart-ref';

/** Media type of the layer that holds a Helm chart in an OCI artifact. */
export const HELM_CHART_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

export interface OperatorFluxReleaseProps {
  /** `oci://` reference of the chart. */
  readonly chart: string;
  /** Exact chart version (the OCI tag). */
  readonly version: string;
  /** Namespace the chart is installed into (`targetNamespace`). */
  readonly namespace: string;
  /** Helm release name; also the name of the OCIRepository and the HelmRelease. */
  readonly releaseName: string;
  /** Chart values; empty means the chart's defaults. */
  readonly chartValues: OperatorChartValues;
  /** Namespace of the OCIRepository and the HelmRelease (usually Flux's own). */
  readonly fluxNamespace: string;
  /** How often Flux checks the source and reconciles the release (a Go duration). */
  readonly interval: string;
  /** Labels of the operator's Namespace, written as a Namespace object beside the HelmRelease (its PodSecurity level). */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** A HelmRelease (in `fluxNamespace`) that installs the CRDs first; the chart's own `crds/` are then skipped. @default - none: the chart brings its CRDs */
  readonly crdsRelease?: string;
}

/** Flux's annotation that keeps an object when it leaves its Kustomization (or the Kustomization is deleted). */
export const FLUX_PRUNE = 'kustomize.toolkit.fluxcd.io/prune';

/**
 * The operator's Namespace, a Flux OCIRepository for the pinned chart and a HelmRelease that installs it through
 * `chartRef`. The HelmRelease's `install.createNamespace` makes a namespace without labels (Flux has no
 * counterpart of Argo CD's managedNamespaceMetadata; `commonMetadata` labels the chart's objects only), so the
 * Namespace is written here with the PodSecurity labels; kustomize-controller applies Namespaces before anything
 * else. It is never pruned: deleting it would delete the operator and the stack's Jobs with it.
 * OCIRepository is served as `source.toolkit.fluxcd.io/v1` from Flux 2.6 on (v1beta2 before), HelmRelease as
 * `helm.toolkit.fluxcd.io/v2` from Flux 2.3 on. https://fluxcd.io/blog/2025/05/flux-v2.6.0/
 * https://fluxcd.io/flux/components/helm/helmreleases/#chart-reference
 * Typed by the classes `cdk8s import` generated from Flux's CRDs (imports/*.toolkit.fluxcd.io.ts).
 */
export class OperatorFluxRelease extends Construct {
  public readonly namespace: k8s.KubeNamespace;
  public readonly repository: OciRepository;
  public readonly release: HelmRelease;

  constructor(scope: Construct, id: string, props: OperatorFluxReleaseProps) {
    super(scope, id);
    const chart = parseOciChartRef(props.chart);
    const values = nonEmptyValues(props.chartValues);
    const metadata = () => ({
      name: props.releaseName,
      namespace: props.fluxNamespace,
      annotations: { [SYNC_WAVE]: Wave.OPERATOR },
    });

    this.namespace = new k8s.KubeNamespace(this, 'Namespace', {
      metadata: { name: props.namespace, labels: { ...props.namespaceLabels }, annotations: { [FLUX_PRUNE]: 'disabled' } },
    });

    this.repository = new OciRepository(this, 'OCIRepository', {
      metadata: metadata(),
      spec: {
        interval: props.interval,
        url: chart.url,
        ref: { tag: props.version },
        // Take the chart layer as-is (`copy`), as the helm-controller expects a packaged chart.
        layerSelector: { mediaType: HELM_CHART_LAYER_MEDIA_TYPE, operation: OciRepositorySpecLayerSelectorOperation.COPY },
      },
    });

    this.release = new HelmRelease(this, 'HelmRelease', {
      metadata: metadata(),
      spec: {
        interval: props.interval,
        chartRef: { kind: HelmReleaseSpecChartRefKind.OCI_REPOSITORY, name: props.releaseName, namespace: props.fluxNamespace },
        releaseName: props.releaseName,
        targetNamespace: props.namespace,
        // The chart does not template its namespace. CRDs live in the chart's crds/ folder, which Helm only
        // creates on install and never upgrades; CreateReplace keeps them in step with the chart version.
        install: {
          createNamespace: true,
          crds: props.crdsRelease ? HelmReleaseSpecInstallCrds.SKIP : HelmReleaseSpecInstallCrds.CREATE_REPLACE,
        },
        upgrade: { crds: props.crdsRelease ? HelmReleaseSpecUpgradeCrds.SKIP : HelmReleaseSpecUpgradeCrds.CREATE_REPLACE },
        ...(props.crdsRelease ? { dependsOn: [{ name: props.crdsRelease, namespace: props.fluxNamespace }] } : {}),
        ...(values ? { values } : {}),
      },
    });
  }
}
