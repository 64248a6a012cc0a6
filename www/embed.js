// <moment-lab> — embed one Moment Lab experiment in any web page.
//
//   <script src="https://LAB.HOST/PATH/v0.2/embed.js" defer></script>     (the published build)
//   <moment-lab experiment="lth" preset="quick" seed="3" autorun hide="all"></moment-lab>
//
// This file is an ES module (the source tree loads it as <script type="module" src="www/embed.js">); the
// published embed.js (scripts/bundle.mjs) is the same code built as a classic script, which a page on any
// other origin can load without CORS headers (a module script from another origin needs them).
// The element creates an <iframe> showing the lab page (index.html next to the published embed.js, or next
// to this source file's folder, found relative to the script's own URL, so the lab works under any
// sub-path) in embed mode:
//
//   index.html?embed=1&parent=<this page's origin>#v=1&tab=<experiment>&<attribute>=<value>...&autorun=1
//
// Attributes
//   experiment   which experiment: one of the lab's tabs, cloud (default) | lth | attention | dataset | scaling |
//                theory (`tab` is an alias); a name the lab does not know shows its first tab, with a console warning
//   autorun      boolean: run as soon as the lab is ready ("false" or "0" also mean off)
//   hide         comma-separated parameter names whose controls are hidden, or "all" (classroom use)
//   src          optional URL of another copy of the lab page (resolved against the document), e.g.
//                "https://example.org/moment-lab/index.html"; the query and hash are replaced. Only http(s)
//                URLs (and file: URLs when this document is itself a file: page) are used; anything else
//                (javascript:, data:, blob:, …) is refused with a console warning and the default lab is shown
//   parent-origin  on by default: the lab posts its messages only to this document's origin (adds
//                &parent=<origin> to the lab's URL; not on a page with an opaque origin, e.g. file:).
//                parent-origin="off" (or "false", "0", "no") leaves it out: messages go to any parent
//   title        the iframe's accessible title (default "Moment Lab: <experiment> experiment")
//   loading      the iframe's loading mode: lazy (default) | eager
//   any other    becomes a hash parameter, e.g. seed="3" -> seed=3 (values encoded with URLSearchParams).
//                cloud: seed d dim k target strategy; lth: preset seed width target order epochs optimizer
//                lr; dataset: preset seed d target order epochs optimizer lr.
//   Not forwarded: class, style, id, src, title, loading, parent-origin, slot, hidden, lang, dir, tabindex,
//   part, is, aria-*, data-*, on*.
// Changing any attribute rebuilds the iframe (a fresh page load of the lab).
//
// Events (bubbling and composed; event.detail is the lab's message object, which also has protocol: 1 and
// the lab's version, e.g. '0.2.0')
//   moment-lab-ready    detail {source:'moment-lab', type:'ready', tab}
//   moment-lab-height   detail {source:'moment-lab', type:'height', height}   (the iframe is resized first)
//   moment-lab-done     detail {source:'moment-lab', type:'done', tab, summary}
//   moment-lab-error    detail {source:'moment-lab', type:'error', tab, message}
//                       or, once, when the lab speaks another protocol than this script (a lab of another
//                       major version through `src`): {source:'moment-lab', type:'error', reason:'protocol',
//                       protocol, version, message}; its other messages are then ignored
//   (After a run on a reader's own CSV file: {…, userData: true} without summary or message — nothing
//   derived from the file leaves the lab — and no height events while the file is in use.)
// Only messages whose event.source is this element's own iframe and whose data.source is 'moment-lab'
// are accepted; everything else is ignored. Messages without `protocol` come from labs before 0.2, whose
// messages have the fields of protocol 1.
//
// Properties (read-only)
//   el.iframe        the current <iframe> (null before the element is connected)
//   el.frameSrc      the URL the iframe loads
//   el.ready         true after the lab reported 'ready'
//   el.lastMessage   the last 'done' or 'error' message, or null
//
// Styling: the element is a block; the iframe is 100% wide, borderless, and starts MIN_HEIGHT px high
// until the lab reports its height. Everything is set through the CSSOM, so a page whose
// Content-Security-Policy forbids inline styles (style-src 'self') works. The page's policy must allow
// the lab in frames (frame-src 'self', or the lab's origin when `src` points elsewhere).
// Protocol and copy-paste snippets: docs/EMBED.md.

import { LAB_VERSION, PROTOCOL } from './lab/embedding.js';

// This script's own URL. In the classic build (import.meta.env.MOMENT_LAB_CLASSIC) that is
// document.currentScript, or, if the file was loaded with type="module" after all (no currentScript), the
// last <script> whose file is embed.js.
function scriptUrl() {
  if (!import.meta.env?.MOMENT_LAB_CLASSIC) return import.meta.url;
  if (document.currentScript?.src) return document.currentScript.src;
  const named = [...document.querySelectorAll('script[src]')].filter((s) => /\/embed\.js(?:[?#]|$)/.test(s.src));
  if (named.length) return named.at(-1).src;
  console.error('<moment-lab>: cannot tell where embed.js was loaded from; load it with <script src=".../embed.js" defer>');
  return document.baseURI;
}

// The lab page: ../index.html from the source file (www/embed.js), ./index.html from the published one.
const LAB_PAGE = new URL(import.meta.env?.MOMENT_LAB_PAGE ?? '../index.html', scriptUrl());
const MIN_HEIGHT = 360;
const MAX_HEIGHT = 20000;
const FORWARDED_TYPES = ['ready', 'height', 'done', 'error'];
const NOT_FORWARDED = new Set(['class', 'style', 'id', 'src', 'title', 'loading', 'slot', 'hidden', 'lang',
  'dir', 'tabindex', 'part', 'is', 'experiment', 'tab', 'autorun', 'v', 'embed', 'parent-origin']);
const isOn = (v) => v != null && v !== false && !/^(false|0|no|off)$/i.test(String(v));
const notForwarded = (name) => NOT_FORWARDED.has(name) || name.startsWith('aria-') || name.startsWith('data-')
  || (name.startsWith('on') && name in HTMLElement.prototype);   // event handlers (onclick, …), not e.g. "onset"

// The lab page a `src` attribute names, resolved against the document: {url, refused}. A URL that is not
// http(s) (or file: on a file: page) would run in the iframe as something else than the lab — a
// javascript: URL runs in the embedding page's own origin — so it is refused: url is then the default.
export function labSrc(src, base = LAB_PAGE, { documentUrl = document.URL, baseUrl = document.baseURI } = {}) {
  if (src == null || src === '') return { url: new URL(base), refused: null };
  let url = null;
  try {
    url = new URL(src, baseUrl);
  } catch { /* not a URL at all */ }
  const allowed = ['http:', 'https:'];
  if (new URL(documentUrl).protocol === 'file:') allowed.push('file:');
  if (url && allowed.includes(url.protocol)) return { url, refused: null };
  return { url: new URL(base), refused: String(src) };
}

// The URL of the lab page for an element's attributes (exported for tests and for hand-built iframes).
// `options` as for labSrc.
export function labUrl(attrs, base = LAB_PAGE, options = {}) {
  const get = (n) => (attrs.get ? attrs.get(n) : attrs[n]);
  const { url } = labSrc(get('src'), base, options);
  const tab = String(get('experiment') || get('tab') || 'cloud').trim().toLowerCase();
  const p = new URLSearchParams();
  p.set('v', '1');
  p.set('tab', tab);
  const names = attrs.keys ? [...attrs.keys()] : Object.keys(attrs);
  for (const name of names) {
    if (!notForwarded(name)) p.set(name, String(get(name)));
  }
  if (isOn(get('autorun'))) p.set('autorun', '1');
  const query = new URLSearchParams({ embed: '1' });
  // The document's origin: self.origin is 'null' for an opaque origin (a sandboxed frame) where the URL would
  // still name a host, and the lab's messages to that host would then never arrive.
  const origin = options.documentUrl ? new URL(options.documentUrl).origin : (globalThis.origin ?? new URL(document.URL).origin);
  const parentOrigin = get('parent-origin');
  if ((parentOrigin == null || isOn(parentOrigin)) && /^https?:/.test(origin)) query.set('parent', origin);
  url.search = `?${query}`;
  url.hash = p.toString();
  return url.href;
}

function attributeMap(el) {
  const m = new Map();
  for (const a of el.attributes) m.set(a.name.toLowerCase(), a.value);
  return m;
}

let sheet = null;
function hostSheet() {
  // A constructed stylesheet is CSSOM, not an inline <style>, so a strict style-src allows it.
  if (sheet === null) {
    try {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(':host{display:block}:host([hidden]){display:none}');
    } catch {
      sheet = false;
    }
  }
  return sheet || null;
}

export class MomentLabElement extends HTMLElement {
  // The attributes the page knows about; any other attribute is caught by the MutationObserver below.
  static get observedAttributes() {
    return ['experiment', 'tab', 'autorun', 'hide', 'src', 'title', 'loading', 'parent-origin', 'seed', 'd', 'dim',
      'k', 'target', 'strategy', 'preset', 'width', 'order', 'epochs', 'optimizer', 'lr'];
  }

  #root;
  #frame = null;
  #src = '';
  #scheduled = false;
  #observer;
  #ready = false;
  #last = null;
  #mismatch = false;
  #onMessage = (event) => this.#receive(event);

  constructor() {
    super();
    // Shadow DOM: the host page's CSS does not reach the iframe, and fallback content written inside the
    // element (e.g. a link to the lab for readers without JavaScript) is not shown once it upgrades.
    this.#root = this.attachShadow({ mode: 'open' });
    const s = hostSheet();
    if (s) this.#root.adoptedStyleSheets = [s];
    this.#observer = new MutationObserver(() => this.#schedule());
  }

  get iframe() { return this.#frame; }
  get frameSrc() { return this.#src || labUrl(attributeMap(this)); }
  get ready() { return this.#ready; }
  get lastMessage() { return this.#last; }

  connectedCallback() {
    // (Re-)inserting an iframe reloads it: the lab will report 'ready' again.
    this.#ready = false;
    window.addEventListener('message', this.#onMessage);
    this.#observer.observe(this, { attributes: true });
    this.#rebuild();
  }

  disconnectedCallback() {
    window.removeEventListener('message', this.#onMessage);
    this.#observer.disconnect();
  }

  attributeChangedCallback() {
    this.#schedule();
  }

  // Several attribute changes in one task rebuild the iframe once.
  #schedule() {
    if (this.#scheduled || !this.isConnected) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      if (this.isConnected) this.#rebuild();
    });
  }

  #rebuild() {
    const attrs = attributeMap(this);
    const src = labUrl(attrs);
    const old = this.#frame;
    const title = attrs.get('title') || `Moment Lab: ${attrs.get('experiment') || attrs.get('tab') || 'cloud'} experiment`;
    const loading = attrs.get('loading') === 'eager' ? 'eager' : 'lazy';
    if (old && src === this.#src) {
      old.title = title;
      return;
    }
    // A new iframe rather than a new src: a change of the hash alone would not reload the page.
    const frame = document.createElement('iframe');
    frame.title = title;
    frame.loading = loading;
    frame.setAttribute('loading', loading);
    frame.style.display = 'block';
    frame.style.width = '100%';
    frame.style.border = '0';
    // Start low even when replacing a taller frame: a page that measures its height as the document's
    // scrollHeight (never less than its viewport) could otherwise only ever report a larger height.
    frame.style.height = `${MIN_HEIGHT}px`;
    frame.src = src;
    this.#src = src;
    this.#ready = false;
    this.#mismatch = false;
    this.#frame = frame;
    if (old) old.replaceWith(frame);
    else this.#root.append(frame);
    const { refused } = labSrc(attrs.get('src'));
    if (refused !== null) {
      console.warn(`<moment-lab>: src ${JSON.stringify(refused.slice(0, 100))} is not an http(s) URL; showing `
        + `the default lab page ${LAB_PAGE.href} instead`);
    }
  }

  #receive(event) {
    if (!this.#frame || event.source !== this.#frame.contentWindow || event.source == null) return;
    const msg = event.data;
    if (!msg || typeof msg !== 'object' || msg.source !== 'moment-lab') return;
    if (msg.protocol !== undefined && msg.protocol !== PROTOCOL) {
      this.#protocolMismatch(msg);
      return;
    }
    if (!FORWARDED_TYPES.includes(msg.type)) return;
    if (msg.type === 'height') {
      const h = Number(msg.height);
      if (!Number.isFinite(h) || h <= 0) return;
      this.#frame.style.height = `${Math.min(MAX_HEIGHT, Math.ceil(h))}px`;
    } else if (msg.type === 'ready') {
      this.#ready = true;
      // The lab knows its experiments (a copy through `src` may have others than this script's version): it
      // shows its first tab for a name it does not know, and says which one in 'ready'.
      const asked = new URLSearchParams(new URL(this.#src).hash.slice(1)).get('tab');
      if (asked !== null && msg.tab !== asked) {
        console.warn(`<moment-lab>: unknown experiment ${JSON.stringify(asked).slice(0, 60)}; `
          + `the lab shows its ${JSON.stringify(String(msg.tab)).slice(0, 40)} tab`);
      }
    } else {
      this.#last = msg;
    }
    this.dispatchEvent(new CustomEvent(`moment-lab-${msg.type}`, { detail: msg, bubbles: true, composed: true }));
  }

  // A lab that speaks another protocol (a copy of another major version, reached through `src`): its messages
  // could mean something else, so none is acted on; one error event and one console warning say why.
  #protocolMismatch(msg) {
    if (this.#mismatch) return;
    this.#mismatch = true;
    const theirs = JSON.stringify(msg.protocol)?.slice(0, 40);
    const detail = {
      source: 'moment-lab', type: 'error', reason: 'protocol', protocol: msg.protocol,
      version: typeof msg.version === 'string' ? msg.version.slice(0, 40) : undefined,
      message: `the lab at ${this.#src.split(/[?#]/)[0]} speaks protocol ${theirs}, but this embed.js (Moment Lab `
        + `${LAB_VERSION}) speaks protocol ${PROTOCOL}: load the embed.js published next to that lab`,
    };
    console.warn(`<moment-lab>: ${detail.message}`);
    this.#last = detail;
    this.dispatchEvent(new CustomEvent('moment-lab-error', { detail, bubbles: true, composed: true }));
  }
}

if (!customElements.get('moment-lab')) customElements.define('moment-lab', MomentLabElement);
