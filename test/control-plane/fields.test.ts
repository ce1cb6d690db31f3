import { lostFields } from './fields';

describe('lostFields: what the server did not keep of what was written', () => {
  const written = { spec: { replicas: 3, image: 'a:1', list: [{ name: 'x', port: 1 }], flags: { on: true } } };

  test('nothing, when the live object holds every written field with its value, plus fields of its own', () => {
    // GIVEN a live object with server defaults, metadata and status besides what was written
    const live = {
      metadata: { resourceVersion: '7' },
      spec: { replicas: 3, image: 'a:1', list: [{ name: 'x', port: 1, protocol: 'TCP' }], flags: { on: true }, extra: 1 },
      status: {},
    };
    // THEN nothing is lost
    expect(lostFields(written, live)).toEqual([]);
  });

  test('each dropped or changed field, by path', () => {
    // GIVEN a live object that changed a number, dropped a field, turned a number into a string and an object into a string
    const live = { spec: { replicas: 4, list: [{ name: 'x', port: '1' }], flags: 'on' } };
    // THEN each is named with its path and both values
    expect(lostFields(written, live)).toEqual([
      'spec.replicas (written 3, live 4)',
      'spec.image (missing)',
      'spec.list[0].port (written 1, live "1")',
      'spec.flags (written an object, live "on")',
    ]);
  });

  test('a list of another length', () => {
    expect(lostFields({ a: [1, 2] }, { a: [1] })).toEqual(['a (written [1,2], live [1])']);
  });
});
