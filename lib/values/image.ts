/**
 * Container image references as the distribution spec defines them
 * (https://github.com/distribution/reference/blob/main/reference.go), with one rule of ours on top:
 * a reference must name a tag or a digest, since an untagged image means "whatever latest is today".
 */

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ImageReference {
  readonly domain?: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Returns the parts of a reference, or a reason why it is not a valid, pinned one. */
export function parseImageReference(text: string): ImageReference | string {
  const match = REFERENCE.exec(text);
  if (!match) return `"${text}" is not a valid image reference (expected [registry/]name:tag or name@sha256:…)`;
  const [, tag, digest] = [match[0], match[3], match[4]];
  let [domain, path]: [string | undefined, string] = [match[1], match[2]];
  // As docker does: a first component is a registry only when it looks like a host (has "." or ":", is
  // "localhost", or has upper case); otherwise it is part of the path (restatedev/restate on Docker Hub).
  if (domain && !/[.:]/.test(domain) && domain !== 'localhost' && domain.toLowerCase() === domain) {
    path = `${domain}/${path}`;
    domain = undefined;
  }
  if (path.length + (domain ? domain.length + 1 : 0) > 255) return `"${text}" has a name longer than 255 characters`;
  if (!tag && !digest) return `"${text}" names no tag or digest; pin one, e.g. ${text}:1.4.4`;
  if (tag === 'latest' && !digest) return `"${text}" uses the moving tag "latest"; pin a version`;
  return { domain, path, tag, digest };
}
