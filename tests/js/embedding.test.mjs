// Embed mode's options and messages (www/lab/embedding.js) and the <moment-lab> element's choice of URL
// (www/embed.js, loaded here with the few browser globals it touches stubbed).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LAB_VERSION, PROTOCOL, embedOptions, labMessage, parseOrigin } from '../../www/lab/embedding.js';

test("the page's version is the crate's, and every message names it and the protocol", () => {
  const toml = readFileSync(new URL('../../Cargo.toml', import.meta.url), 'utf8');
  const crate = toml.match(/^\[package\][^[]*?^version\s*=\s*"([^"]+)"/ms)[1];
  assert.equal(LAB_VERSION, crate, 'www/lab/embedding.js LAB_VERSION must equal Cargo.toml\'s version');
  assert.equal(PROTOCOL, 1);
  assert.deepEqual(labMessage('done', 'cloud', { summary: { kept: 40 } }),
    { source: 'moment-lab', protocol: 1, version: crate, type: 'done', tab: 'cloud', summary: { kept: 40 } });
  assert.deepEqual(Object.keys(labMessage('height', 'lth', { height: 5 })), ['source', 'protocol', 'version', 'type', 'tab', 'height']);
});

test('parseOrigin accepts exactly an http(s) origin', () => {
  assert.equal(parseOrigin('https://blog.example'), 'https://blog.example');
  assert.equal(parseOrigin('https://blog.example/'), 'https://blog.example');
  assert.equal(parseOrigin('http://127.0.0.1:8000'), 'http://127.0.0.1:8000');
  for (const bad of ['*', 'null', '', 'blog.example', 'https://blog.example/post', 'https://blog.example?x',
    'https://blog.example#x', 'https://u:p@blog.example', 'javascript:alert(1)', 'file:///tmp', 'data:,x',
    'HTTPS://BLOG.EXAMPLE', ' https://blog.example', 'https://blog.example:443', 'ftp://blog.example', null]) {
    assert.equal(parseOrigin(bad), null, JSON.stringify(bad));
  }
});

test('the lab posts only in embed mode, to ?parent= when given, and not at all when it is invalid', () => {
  assert.deepEqual(embedOptions(''), { embed: false, post: false, targetOrigin: null, problem: null });
  assert.deepEqual(embedOptions('?parent=https%3A%2F%2Fa.example'), { embed: false, post: false, targetOrigin: null, problem: null });
  assert.deepEqual(embedOptions('?embed=1'), { embed: true, post: true, targetOrigin: '*', problem: null });
  assert.deepEqual(embedOptions('?embed=1&parent=https%3A%2F%2Fa.example'), { embed: true, post: true, targetOrigin: 'https://a.example', problem: null });
  const bad = embedOptions('?embed=1&parent=javascript%3Aalert(1)');
  assert.equal(bad.post, false);
  assert.match(bad.problem, /not an http\(s\) origin/);
  assert.equal(embedOptions('?embed=1&parent=*').post, false);
});

test('<moment-lab src> accepts http(s), and file: only on a file: page', async () => {
  globalThis.HTMLElement ??= class {};
  globalThis.customElements ??= { get: () => undefined, define: () => {} };
  globalThis.document ??= { URL: 'https://blog.example/post.html', baseURI: 'https://blog.example/post.html' };
  const { labSrc, labUrl } = await import('../../www/embed.js');
  const base = 'https://blog.example/lab/index.html';
  const http = { documentUrl: 'https://blog.example/post.html', baseUrl: 'https://blog.example/post.html' };
  const file = { documentUrl: 'file:///home/me/post.html', baseUrl: 'file:///home/me/post.html' };
  assert.equal(labSrc('single.html', base, http).url.href, 'https://blog.example/single.html');
  assert.equal(labSrc('//other.example/lab/', base, http).url.href, 'https://other.example/lab/');
  assert.equal(labSrc('http://other.example/lab/', base, http).refused, null);
  for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<b>x</b>',
    'blob:https://blog.example/1', 'about:blank', 'file:///etc/passwd', 'vbscript:x', 'http://[bad']) {
    const r = labSrc(bad, base, http);
    assert.equal(r.refused, bad, bad);
    assert.equal(r.url.href, base, bad);
  }
  assert.equal(labSrc('file:///lab/single.html', base, file).refused, null);
  assert.equal(labSrc('single.html', base, file).url.href, 'file:///home/me/single.html');
  assert.equal(labSrc('javascript:alert(1)', base, file).refused, 'javascript:alert(1)');
  const url = new URL(labUrl({ src: 'javascript:alert(1)', experiment: 'lth', seed: '3' }, base, http));
  const parent = `parent=${encodeURIComponent('https://blog.example')}`;
  assert.equal(`${url.origin}${url.pathname}${url.search}`, `${base}?embed=1&${parent}`);
  assert.equal(url.hash, '#v=1&tab=lth&seed=3');
  // The page's own origin goes to the lab as parent= by default (present, or any value but off), never for a
  // file: page (opaque origin); parent-origin="off" (false, 0, no) leaves it out.
  for (const on of [undefined, '', 'on', 'true', '1']) {
    const attrs = on === undefined ? {} : { 'parent-origin': on };
    assert.equal(new URL(labUrl(attrs, base, http)).search, `?embed=1&${parent}`, JSON.stringify(on));
    assert.equal(new URL(labUrl(attrs, base, file)).search, '?embed=1', JSON.stringify(on));
  }
  for (const off of ['off', 'false', '0', 'no', 'OFF']) {
    assert.equal(new URL(labUrl({ 'parent-origin': off }, base, http)).search, '?embed=1', off);
  }
  // parent-origin is never passed on to the lab as a hash parameter.
  assert.equal(new URL(labUrl({ 'parent-origin': 'off', seed: '1' }, base, http)).hash, '#v=1&tab=cloud&seed=1');
});
