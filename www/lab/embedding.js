// Embed mode: its options, read from the page's query string, and the messages the lab posts to the embedding
// page (pure: tests/js/ import it in node; www/embed.js imports it for the protocol number).
//
//   ?embed=1                      the compact view; messages to the parent window with targetOrigin '*'
//   ?embed=1&parent=<origin>      the same, but messages are delivered only if the parent's origin is exactly
//                                 <origin> (e.g. parent=https%3A%2F%2Fblog.example): postMessage's targetOrigin
//
// A `parent` that is not an http(s) origin (scheme://host[:port], as location.origin writes it) turns the
// messages off altogether rather than falling back to '*': the host asked for a restriction it did not get.

// The lab's version: the crate's (Cargo.toml; tests/js/embedding.test.mjs and scripts/bundle.mjs check that
// the two agree, and the page compares it with the wasm's own version when the worker is up). It names the
// published folder (vMAJOR.MINOR/, docs/EMBED.md).
export const LAB_VERSION = '0.2.0';
// The version of the postMessage protocol (docs/EMBED.md, "Versions and compatibility"). Within protocol 1
// fields and message types are only ever added; a change that an embedding page written for protocol 1
// could misread (a field renamed, removed or given another meaning) makes it protocol 2.
export const PROTOCOL = 1;

// A message from the lab to its embedding page: {source:'moment-lab', protocol, version, type, tab, ...extra}.
export function labMessage(type, tab, extra = {}) {
  return { source: 'moment-lab', protocol: PROTOCOL, version: LAB_VERSION, type, tab, ...extra };
}

// The origin `text` names, or null when it is not exactly an http(s) origin (an optional trailing slash is
// allowed; a path, query, fragment or credentials are not).
export function parseOrigin(text) {
  if (typeof text !== 'string') return null;
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return text === url.origin || text === `${url.origin}/` ? url.origin : null;
}

// {embed, post, targetOrigin, problem}: whether the page is in embed mode, whether it may post to its
// parent at all, the targetOrigin to use, and a message for the console when `parent` was refused.
export function embedOptions(search) {
  const params = new URLSearchParams(search);
  const embed = params.get('embed') === '1';
  const parent = params.get('parent');
  if (!embed) return { embed, post: false, targetOrigin: null, problem: null };
  if (parent === null) return { embed, post: true, targetOrigin: '*', problem: null };
  const origin = parseOrigin(parent);
  if (origin === null) {
    return { embed, post: false, targetOrigin: null,
      problem: `Moment Lab: ?parent=${JSON.stringify(parent.slice(0, 80))} is not an http(s) origin such as https://blog.example; no messages will be posted to the embedding page` };
  }
  return { embed, post: true, targetOrigin: origin, problem: null };
}
