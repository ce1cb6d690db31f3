import { quantityToBytes } from '../../lib/values';

describe('quantityToBytes', () => {
  test.each([
    ['40Gi', 42949672960],
    ['1Ki', 1024],
    ['500M', 500000000],
    ['1.5Gi', 1610612736],
    ['1e9', 1000000000],
    ['100', 100],
  ])('converts %s to %d bytes', (text, bytes) => {
    expect(quantityToBytes(text)).toBe(bytes);
  });

  test.each([
    ['40GB', 'is not a Kubernetes quantity'],
    ['forty', 'is not a Kubernetes quantity'],
    ['0.5', 'is not a whole number of bytes'],
    ['1m', 'is not a Kubernetes quantity'],
    ['0Gi', 'must be more than zero bytes'],
    ['16Ei', 'is larger than 2^53-1 bytes'],
  ])('rejects %s because it %s', (text, reason) => {
    expect(() => quantityToBytes(text)).toThrow(reason);
  });
});
