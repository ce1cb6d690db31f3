import { deepFreeze, memoize } from '../../lib/values/memo';

describe('memoize', () => {
  test('computes once per text and hands every caller the same frozen result', () => {
    // GIVEN a parse that counts its calls
    let calls = 0;
    const parse = memoize(
      (text: string) => {
        calls += 1;
        return { words: text.split(' '), nested: { length: text.length } };
      },
      (text) => text,
    );
    // WHEN the same text is parsed twice and another once
    const first = parse('a b');
    const again = parse('a b');
    const other = parse('c');
    // THEN the repeated text is computed once, the result is shared, and nothing in it can be changed
    expect(calls).toBe(2);
    expect(again).toBe(first);
    expect(other.words).toEqual(['c']);
    expect(() => first.words.push('x')).toThrow(TypeError);
    expect(() => {
      (first.nested as { length: number }).length = 0;
    }).toThrow(TypeError);
  });

  test('keeps at most `limit` texts, dropping the oldest first', () => {
    // GIVEN a memo of two
    const seen: string[] = [];
    const parse = memoize(
      (text: string) => {
        seen.push(text);
        return { text };
      },
      (text) => text,
      2,
    );
    // WHEN three texts are parsed, then the first and the last again
    parse('one');
    parse('two');
    parse('three');
    parse('three');
    parse('one');
    // THEN 'one' was dropped for 'three' and computed again; 'three' was still kept
    expect(seen).toEqual(['one', 'two', 'three', 'one']);
  });

  test('a failed computation is not remembered', () => {
    // GIVEN a parse that fails on its first call
    let calls = 0;
    const parse = memoize(
      (text: string) => {
        calls += 1;
        if (calls === 1) throw new Error('first call fails');
        return { text };
      },
      (text) => text,
    );
    // WHEN it is called twice with one text
    // THEN the first throws and the second computes
    expect(() => parse('x')).toThrow('first call fails');
    expect(parse('x')).toEqual({ text: 'x' });
  });

  test('deepFreeze freezes through arrays and nested objects', () => {
    const value = deepFreeze({ list: [{ a: 1 }], map: { b: { c: 2 } } });
    expect(Object.isFrozen(value.list[0])).toBe(true);
    expect(Object.isFrozen(value.map.b)).toBe(true);
  });
});
