import { parseImageReference } from '../../lib/values';

describe('parseImageReference', () => {
  test.each([
    ['restatedev/restate:1.4', { path: 'restatedev/restate', tag: '1.4' }],
    ['docker.io/restatedev/restate:1.4.2', { domain: 'docker.io', path: 'restatedev/restate', tag: '1.4.2' }],
    ['localhost:5000/restate:dev', { domain: 'localhost:5000', path: 'restate', tag: 'dev' }],
    [
      `ghcr.io/restatedev/restate@sha256:${'a'.repeat(64)}`,
      { domain: 'ghcr.io', path: 'restatedev/restate', digest: `sha256:${'a'.repeat(64)}` },
    ],
  ])('accepts %s', (text, parts) => {
    expect(parseImageReference(text)).toMatchObject(parts);
  });

  test.each([
    ['restatedev/restate', 'names no tag or digest'],
    ['restatedev/restate:latest', 'moving tag "latest"'],
    ['restatedev/Restate:1.4', 'is not a valid image reference'],
    ['restate dev:1.4', 'is not a valid image reference'],
    ['restatedev/restate:', 'is not a valid image reference'],
    ['restatedev//restate:1.4', 'is not a valid image reference'],
  ])('rejects %s', (text, reason) => {
    expect(parseImageReference(text)).toEqual(expect.stringContaining(reason));
  });
});
