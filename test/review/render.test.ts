import { fieldText } from '../../lib/review/render';

describe("a changed field's cell in the plan's Markdown", () => {
  const peer = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } }, podSelector: {} });

  test('two long values that differ late are cut around their first difference, so the change shows', () => {
    // GIVEN a list of network peers that gains one at its end (its JSON far beyond the cell's 100 characters)
    const before = [peer('restate-operator'), peer('monitoring')];
    const after = [...before, peer('ingress-nginx')];
    // WHEN rendered
    const text = fieldText({ path: 'spec.security.networkPeers.metrics', before, after });
    // THEN both sides start with "…" shortly before the difference: the old list ends where the new one goes on
    const [, left, right] = /^`[^`]+`: `([^`]*)` → `([^`]*)`$/.exec(text)!;
    expect(left).toMatch(/^…[a-z]+"\}\},"podSelector":\{\}\}\]$/);
    expect(right).toMatch(/^…[a-z]+"\}\},"podSelector":\{\}\},\{"namespaceSelector":.*…$/);
    expect([...left!].length).toBeLessThanOrEqual(100);
    expect([...right!].length).toBeLessThanOrEqual(100);
  });

  test('short values, and long ones that differ early, are shown from their beginning', () => {
    expect(fieldText({ path: 'spec.replicas', before: 3, after: 5 })).toBe('`spec.replicas`: `3` → `5`');
    const text = fieldText({ path: 'data.x', before: `a${'x'.repeat(200)}`, after: `b${'x'.repeat(200)}` });
    expect(text).toBe(`\`data.x\`: \`a${'x'.repeat(98)}…\` → \`b${'x'.repeat(98)}…\``);
  });
});
