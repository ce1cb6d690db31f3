import { Duration, Size } from 'cdk8s';
import { bytesOf, parseGoDuration, prometheusDuration, sizeOfBytes } from '../../lib/stack/units';

describe('sizes and durations of the construct props', () => {
  test('a byte count survives the trip through a cdk8s Size exactly, also when it is not a whole KiB', () => {
    // GIVEN byte counts of a volume (40Gi, 100G, 1500M, one byte, 2^53-1)
    const counts = [42949672960, 100e9, 1.5e9, 1, Number.MAX_SAFE_INTEGER];
    // WHEN / THEN each comes back as it went in
    expect(counts.map((bytes) => bytesOf(sizeOfBytes(bytes)))).toEqual(counts);
    expect(bytesOf(Size.gibibytes(40))).toBe(42949672960);
  });

  test('a fraction of a byte is refused, not rounded', () => {
    expect(() => sizeOfBytes(1.5)).toThrow('1.5 is not a whole number of bytes');
    expect(() => bytesOf(Size.kibibytes(1 / 4096))).toThrow('is not a whole number of bytes');
  });

  test('a Go duration of the values becomes the Prometheus Operator duration, hours down to milliseconds', () => {
    // GIVEN Go durations as the values may hold them, fractions included
    const texts = ['30s', '90s', '1m30s', '1.5h', '500ms', '2h0m5s', '0s'];
    // WHEN parsed and written back
    const written = texts.map((text) => prometheusDuration(parseGoDuration(text)));
    // THEN each is in the Prometheus Operator's form (no fractions: its CRD pattern has none)
    expect(written).toEqual(['30s', '1m30s', '1m30s', '1h30m', '500ms', '2h5s', '0s']);
    expect(prometheusDuration(Duration.minutes(1))).toBe('1m');
  });

  test('what is not a Go duration, or is finer than a millisecond, is an error naming the text', () => {
    expect(() => parseGoDuration('30')).toThrow('"30" is not a Go duration');
    expect(() => parseGoDuration('30s junk')).toThrow('"30s junk" is not a Go duration');
    expect(() => parseGoDuration('0.0001s')).toThrow('"0.0001s" is finer than a millisecond');
  });
});
