import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApiObject, Include, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { SYNC_OPTIONS, SYNC_WAVE, Wave } from '../argocd-annotations';
import { HelmRenderError } from './errors';
import { helmTemplate } from './helm-template';
import { withPrivateTmpdir } from './private-tmpdir';
import { crdsChartSource } from './crds-chart';

export interface OperatorCrdsHelmRenderProps {
  /** `oci://` reference of the operator chart, which bundles the CRDs chart as a subchart. */
  readonly chart: string;
  /** Version of the CRDs chart (= of the operator chart that bundles it). */
  readonly version: string;
  /** Namespace passed to helm (CRDs are cluster-scoped and carry none). */
  readonly namespace: string;
  /** Helm release name. */
  readonly releaseName: string;
  /** The program run as `helm template`. */
  readonly helmExecutable: string;
}

/**
 * The CRDs chart of a version, rendered at synth time: the operator chart of that version with `--include-crds`
 * (its `restate-operator-crds` subchart is on by default, `installCrds: true`), of which only the
 * CustomResourceDefinitions are kept. They come first in the operator file, in Argo CD sync wave -2, before the
 * operator chart, which is rendered without its CRDs.
 */
export class OperatorCrdsHelmRender extends Construct {
  public readonly apiObjects: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: OperatorCrdsHelmRenderProps) {
    super(scope, id);
    const expected = crdsChartSource(props.version).crdNames;
    const include = withPrivateTmpdir('restate-operator-crds-', () => {
      const workdir = tmpdir();
      const text = helmTemplate({ ...props, flags: ['--include-crds'], workdir });
      const objects = parseObjects(text).filter((o) => o.kind === 'CustomResourceDefinition');
      const names = objects.map((o) => o.metadata.name).sort();
      if (JSON.stringify(names) !== JSON.stringify([...expected].sort())) {
        throw new HelmRenderError(
          `helm template ${props.chart} --version ${props.version} --include-crds rendered the CRDs ${names.join(', ') || '(none)'}, expected ${expected.join(', ')}`,
        );
      }
      const file = join(workdir, 'crds.yaml');
      writeFileSync(file, objects.map((o) => Yaml.stringify(o)).join('---\n'));
      return new Include(this, 'Chart', { url: file });
    });
    this.apiObjects = include.apiObjects;
    for (const object of this.apiObjects) {
      object.metadata.addAnnotation(SYNC_WAVE, Wave.CRDS);
      // Never pruned or deleted by Argo CD (a deleted CRD takes every RestateCluster and its data with it);
      // server-side, because the 2.8.1 RestateCluster CRD is larger than the last-applied annotation may be.
      object.metadata.addAnnotation(SYNC_OPTIONS, 'Prune=false,Delete=false,ServerSideApply=true');
    }
  }
}

function parseObjects(text: string): Array<{ kind: string; metadata: { name: string } }> {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as unknown)
    .filter((o): o is { kind: string; metadata: { name: string } } => typeof o === 'object' && o !== null);
}
