import { targetsLabel, warningAnchor, warningLine } from '../values';
import type { Effect } from './effects';
import { type FieldChange, objectLabel } from './object-diff';
import { planExitCode, type PlanReport, type TargetReview } from './review';

/** The first line of the Markdown report: lets a workflow find and update its own pull-request comment. */
export const MARKDOWN_MARKER = '<!-- restate-stack plan -->';

/**
 * Version of the JSON report's shape; raised on any change that could break a reader. 2: `warnings` are objects
 * (`id`, `targets`, `text`, `docs`) instead of strings; `acknowledged` and `placeholders` are new.
 */
export const JSON_REPORT_VERSION = 2;

/** The report for tools: every target, its effects and the changed fields (values as they are in the YAML). */
export function renderJson(report: PlanReport): string {
  return `${JSON.stringify(
    {
      version: JSON_REPORT_VERSION,
      base: report.base,
      dist: report.dist,
      changed: report.changed,
      refused: report.refused,
      exitCode: planExitCode(report),
      targets: report.targets.map((target) => ({
        target: target.target,
        status: target.status,
        effects: target.effects,
        objects: target.objects.map((object) => ({ ...object.id, file: object.file, change: object.change, fields: object.fields })),
      })),
      warnings: report.warnings.map((group) => ({ ...group, docs: warningAnchor(group.id) })),
      acknowledged: report.acknowledged,
      placeholders: report.placeholders,
    },
    null,
    2,
  )}\n`;
}

const MAX_VALUE = 100;
/** How much of the common beginning a cut value keeps before the first character that differs. */
const LEAD = 30;

/** A value as one line of a Markdown table cell: no line break, no pipe, no backtick. */
function cellLine(value: unknown): string {
  const text = value === undefined ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/\r?\n/g, '⏎').replace(/\|/g, '\\|').replace(/`/g, "'");
}

/** `line` bounded to MAX_VALUE characters from `start`, with `…` where it is cut. */
function bounded(line: string, start: number): string {
  if (line.length <= MAX_VALUE) return `\`${line}\``;
  const head = start > 0 ? '…' : '';
  const room = MAX_VALUE - head.length - 1;
  const body = line.slice(start, start + room);
  return `\`${head}${body}${start + room < line.length ? '…' : ''}\``;
}

/**
 * A field's change as a table cell. Long values that share a long beginning (a JSON list, a dashboard) are both cut
 * to a window that starts shortly before their first difference, so that a reviewer sees what changed rather than
 * twice the same beginning.
 */
export function fieldText(field: FieldChange): string {
  if (field.opaque) return `${field.path} (not compared)`;
  // A flag's value is named by its flag, not by its position: `…args --ensure-replication`: `3` → `5`.
  const name = field.flag ? `${field.path.replace(/\[\d+\]$/, '')} ${field.flag}` : field.path;
  const before = cellLine(field.before);
  const after = cellLine(field.after);
  let same = 0;
  while (same < before.length && same < after.length && before[same] === after[same]) same++;
  const start = same > MAX_VALUE - LEAD ? same - LEAD : 0;
  return `\`${name.replace(/\|/g, '\\|')}\`: ${bounded(before, Math.min(start, before.length))} → ${bounded(after, Math.min(start, after.length))}`;
}

const SEVERITY_WORD: Record<Effect['severity'], string> = { refuse: '**Refused**', warn: '**Warning**', info: 'Note' };

function effectLine(effect: Effect): string {
  return `- ${SEVERITY_WORD[effect.severity]} \`${effect.rule ?? effect.kind}\`: ${effect.summary.replace(/\n/g, ' ')}`;
}

function targetSection(target: TargetReview): string[] {
  const lines = [`### \`${target.target}\`: ${target.status}`, ''];
  if (target.effects.length > 0) lines.push('What it does to a running cluster:', '', ...target.effects.map(effectLine), '');
  if (target.objects.length > 0) {
    lines.push(
      `<details><summary>Objects and fields (${target.objects.length} object${target.objects.length === 1 ? '' : 's'})</summary>`,
      '',
    );
    lines.push('| object | file | change | fields |', '| --- | --- | --- | --- |');
    for (const object of target.objects) {
      const fields = object.change === 'changed' ? object.fields.map(fieldText).join('<br>') : '';
      lines.push(`| \`${objectLabel(object.id)}\` | \`${object.file}\` | ${object.change} | ${fields} |`);
    }
    lines.push('', '</details>', '');
  }
  return lines;
}

/**
 * The standing warnings once, one line each as synth prints them, and the acknowledged ones with their reasons, in
 * one folded section: they hold whatever the change, so they do not crowd out what the change does.
 */
function warningsSection(report: PlanReport): string[] {
  if (report.warnings.length === 0 && report.acknowledged.length === 0) return [];
  const count = (n: number) => (n === 0 ? 'none' : String(n));
  return [
    `<details><summary>Warnings: ${count(report.warnings.length)}; acknowledged: ${count(report.acknowledged.length)}</summary>`,
    '',
    ...report.warnings.map((group) => `- ${warningLine(group, report.built)}`),
    ...report.acknowledged.map(
      (a) => `- acknowledged ${a.id} on ${targetsLabel(a.targets, report.built)} (${a.file}): "${a.reason}" (${warningAnchor(a.id)})`,
    ),
    '',
    '</details>',
    '',
  ];
}

/** The report for a pull-request comment. */
export function renderMarkdown(report: PlanReport): string {
  const changed = report.targets.filter((target) => target.status !== 'unchanged');
  const unchanged = report.targets.filter((target) => target.status === 'unchanged');
  // An unchanged target gets a section only when synth would refuse it anyway; its warnings stay in the JSON.
  const shown = report.targets.filter(
    (target) => target.status !== 'unchanged' || target.effects.some((effect) => effect.severity === 'refuse'),
  );
  const refusals = report.targets.flatMap((target) => target.effects.filter((effect) => effect.severity === 'refuse'));
  const lines = [MARKDOWN_MARKER, '## restate-stack plan', ''];
  const against = `Compared with \`${report.dist}/\` at \`${report.base.ref}\` (${report.base.commit.slice(0, 12)})`;
  if (!report.changed)
    lines.push(`${against}: nothing changes (${report.targets.length} target${report.targets.length === 1 ? '' : 's'}).`);
  else
    lines.push(
      `${against}: **${changed.length} target${changed.length === 1 ? '' : 's'} change${changed.length === 1 ? 's' : ''}**, ${unchanged.length} unchanged.`,
    );
  if (refusals.length > 0)
    lines.push(
      `**${refusals.length === 1 ? '1 change is' : `${refusals.length} changes are`} refused**: synth will not write ${refusals.length === 1 ? 'it as it is' : 'them as they are'}.`,
    );
  for (const placeholder of report.placeholders) {
    lines.push(
      `**Not deployable yet**: \`${placeholder.keyPath}\` is still the shipped example \`${placeholder.value}\` (${placeholder.file}) on ` +
        `${targetsLabel(placeholder.targets, report.built)}; deploy:preview and deploy:promote refuse ${placeholder.targets.length === 1 ? 'it' : 'them'} until it is set (${placeholder.doc}).`,
    );
  }
  lines.push('');
  for (const target of shown) lines.push(...targetSection(target));
  if (unchanged.length > 0 && report.changed) lines.push(`Unchanged: ${unchanged.map((target) => `\`${target.target}\``).join(', ')}.`, '');
  lines.push(...warningsSection(report));
  return `${lines.join('\n').trimEnd()}\n`;
}
