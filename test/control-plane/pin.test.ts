/**
 * The pin of the control plane (lib/control-plane/go.mod) and the one-line messages of a build that cannot go on.
 * Pure functions and a missing `go`: no Go, network or root needed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheEntryName, MODULE_DIR } from '../../lib/control-plane/build';
import { explainGoFailure, runGo } from '../../lib/control-plane/go';
import { goAtLeast, missingReplaces, readPin, stagingModules } from '../../lib/control-plane/pin';

const GO_MOD = readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8');

/** A go.mod shaped like k8s.io/kubernetes' own: staging modules at v0.0.0, replaced by folders of the repository. */
const UPSTREAM = `module k8s.io/kubernetes

go 1.26.0

require (
	k8s.io/api v0.0.0
	k8s.io/kubectl v0.0.0
	sigs.k8s.io/yaml v1.6.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/kubectl => ./staging/src/k8s.io/kubectl // a comment
	github.com/example/fork => github.com/example/fork v1.2.3
)
`;

describe('the control plane pin', () => {
  test('go.mod pins Kubernetes, etcd and the Go version, and replaces each staging module with its release', () => {
    // GIVEN our go.mod
    // WHEN it is read
    const pin = readPin(GO_MOD);

    // THEN it names the releases the binaries are built from, and every k8s.io replace is at the matching v0.x
    expect(pin.kubernetes).toMatch(/^v1\.\d+\.\d+$/);
    expect(pin.etcd).toMatch(/^v3\.\d+\.\d+$/);
    expect(pin.go).toMatch(/^1\.\d+/);
    const staging = pin.kubernetes.replace(/^v1\./, 'v0.');
    expect(pin.replaces.size).toBeGreaterThanOrEqual(33);
    for (const [from, to] of pin.replaces) expect(to).toBe(`${from} ${staging}`);
  });

  test('finds the staging modules in Kubernetes’ go.mod, and the replace lines a pin lacks', () => {
    // GIVEN an upstream go.mod with two staging modules, a pin that replaces one of them, and one that has it at another release
    const pin = { go: '1.26.0', kubernetes: 'v1.37.2', etcd: 'v3.7.0', replaces: new Map([['k8s.io/api', 'k8s.io/api v0.37.2']]) };
    const otherRelease = { ...pin, replaces: new Map([['k8s.io/api', 'k8s.io/api v0.36.3']]) };

    // WHEN they are compared
    // THEN only the ./staging/ replaces count, and each missing or wrong one is named with the line it needs
    expect(stagingModules(UPSTREAM)).toEqual(['k8s.io/api', 'k8s.io/kubectl']);
    expect(missingReplaces(pin, UPSTREAM)).toEqual(['k8s.io/kubectl => k8s.io/kubectl v0.37.2']);
    expect(missingReplaces(otherRelease, UPSTREAM)).toEqual([
      'k8s.io/api => k8s.io/api v0.37.2',
      'k8s.io/kubectl => k8s.io/kubectl v0.37.2',
    ]);
  });

  test('compares Go versions as `go version` and the go directive write them', () => {
    expect(goAtLeast('go1.26.8', '1.26.0')).toBe(true);
    expect(goAtLeast('go1.26', '1.26.0')).toBe(true);
    expect(goAtLeast('go1.27.0', '1.26.8')).toBe(true);
    expect(goAtLeast('go1.25.9', '1.26.0')).toBe(false);
    expect(goAtLeast('go1.26.0', '1.26.1')).toBe(false);
  });

  test("the cache folder changes with go.mod, go.sum and Go, and only with them (not with go.mod's comments)", () => {
    // GIVEN the pin and its inputs
    const pin = readPin(GO_MOD);
    const name = (goMod: string, goSum: string, go: string) => cacheEntryName(pin, goMod, goSum, go);
    const base = name(GO_MOD, 'sum', 'go version go1.26.8 linux/amd64');

    // THEN the same inputs give the same folder, and any change gives another
    expect(name(GO_MOD, 'sum', 'go version go1.26.8 linux/amd64')).toBe(base);
    expect(base).toMatch(new RegExp(`^${pin.kubernetes.replace(/\./g, '\\.')}-[0-9a-f]{16}$`));
    expect(name(`${GO_MOD}\nrequire example.com/more v1.0.0\n`, 'sum', 'go version go1.26.8 linux/amd64')).not.toBe(base);
    expect(name(GO_MOD, 'sum2', 'go version go1.26.8 linux/amd64')).not.toBe(base);
    expect(name(GO_MOD, 'sum', 'go version go1.26.9 linux/amd64')).not.toBe(base);
    expect(name(`// a reworded comment\n${GO_MOD.replace(/\/\/ .*$/m, '// another')}`, 'sum', 'go version go1.26.8 linux/amd64')).toBe(
      base,
    );
  });
});

describe('a build that cannot go on says so in one line', () => {
  test('without Go on PATH: what is missing and where to get it', async () => {
    // GIVEN a PATH without go
    // WHEN go is run
    const failure = await runGo(['version'], { cwd: MODULE_DIR, env: { PATH: '/nonexistent' } }).catch((error: Error) => error);

    // THEN one line names Go and how to install it
    expect((failure as Error).message).toBe(
      'Go is not installed (no `go` on PATH): install Go 1.26 or newer from https://go.dev/dl/ (or your package manager) and put `go` on PATH',
    );
  });

  test.each([
    [
      'a module the proxy does not have',
      'go: downloading k8s.io/api v0.37.9\ngo: k8s.io/kubernetes@v1.37.9 requires\n\tk8s.io/api@v0.37.9: reading https://proxy.golang.org/k8s.io/api/@v/v0.37.9.mod: 404 Not Found\n',
      new RegExp(
        '^the Go module proxy \\(GOPROXY=https://proxy\\.golang\\.org,direct\\) did not give k8s\\.io/api@v0\\.37\\.9: ' +
          'reading https://proxy\\.golang\\.org/k8s\\.io/api/@v/v0\\.37\\.9\\.mod: 404 Not Found; make the proxy reachable',
      ),
    ],
    [
      'no network',
      'go: k8s.io/kubernetes@v1.37.2: Get "https://proxy.golang.org/k8s.io/kubernetes/@v/v1.37.2.info": dial tcp: lookup proxy.golang.org: no such host\n',
      /^the Go module proxy \(GOPROXY=https:\/\/proxy\.golang\.org,direct\) did not give k8s\.io\/kubernetes@v1\.37\.2: Get .*no such host; /,
    ],
    [
      'a Go older than the go directive',
      'go: go.mod requires go >= 1.26.0 (running go 1.25.3; GOTOOLCHAIN=local)\n',
      /^go\.mod requires go >= 1\.26\.0 \(running go 1\.25\.3; GOTOOLCHAIN=local\): install Go 1\.26 or newer from https:\/\/go\.dev\/dl\//,
    ],
    [
      'a go.sum that does not match',
      'verifying k8s.io/api@v0.37.2: checksum mismatch\n\tdownloaded: h1:abc\n\tgo.sum:     h1:def\n',
      /^lib\/control-plane\/go\.sum does not match what Go found: verifying k8s\.io\/api@v0\.37\.2: checksum mismatch \(whole output: \/x\/last-build\.log\)$/,
    ],
    [
      'a compile error',
      '# k8s.io/foo\n../../x/foo.go:12:3: undefined: bar\n',
      /^go build failed: \.\.\/\.\.\/x\/foo\.go:12:3: undefined: bar \(whole output: \/x\/last-build\.log\)$/,
    ],
  ])('%s', (_case, stderr, message) => {
    // GIVEN what go printed
    // WHEN it is explained
    const line = explainGoFailure(['build'], stderr, null, {}, '/x/last-build.log');

    // THEN it is one line that says what failed
    expect(line).not.toContain('\n');
    expect(line).toMatch(message);
  });
});
