// Embed mode's options, read from the page's query string (pure: tests/js/ import it in node).
//
//   ?embed=1                      the compact view; messages to the parent window with targetOrigin '*'
//   ?embed=1&parent=<origin>      the same, but messages are delivered only if the parent's origin is exactly
//                                 <origin> (e.g. parent=https%3A%2F%2Fblog.example): postMessage's targetOrigin
//
// A `parent` that is not an http(s) origin (scheme://host[:port], as location.origin writes it) turns the
// messages off altogether rather than falling back to '*': the host asked for a restriction it did not get.

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
