#!/usr/bin/env python3
"""Builds www/single.html: the whole lab in one file that also works opened from disk (file://).

index.html's stylesheet and main.js (with the www/lab/ modules it imports, bundled) are inlined; the worker's source (www/worker.js with the wasm-bindgen
glue and the wasm, base64, inlined in place of its import line) travels in a non-executed
<script type="text/plain" id="worker-src"> block that main.js starts from a Blob URL. The wasm is loaded only
in the worker (instantiated with initSync), so it is embedded once. The Content-Security-Policy is rewritten
to allow exactly the inline script and style (by hash) and the Blob worker.

usage: make_single_html.py [--root DIR] [--out www/single.html]
"""

import argparse
import base64
import hashlib
import re
import sys
from pathlib import Path

IMPORT_LINE = "import init, * as wasm from './pkg/moment_lab.js';"


def fail(msg: str) -> None:
    sys.exit(f"make_single_html.py: {msg}")


def inline_glue(glue: str) -> str:
    """The wasm-bindgen `--target web` module as an expression: its exports become an object."""
    names: dict[str, str] = {}

    def decl(m: re.Match) -> str:
        names[m.group(2)] = m.group(2)
        return f"{m.group(1)} {m.group(2)}"

    body = re.sub(r"^export\s+(function|class|const|let|async function)\s+([A-Za-z_$][\w$]*)", decl, glue, flags=re.M)

    def export_list(m: re.Match) -> str:
        for item in m.group(1).split(","):
            parts = item.split()
            if len(parts) == 1:
                names[parts[0]] = parts[0]
            elif len(parts) == 3 and parts[1] == "as":
                names[parts[2]] = parts[0]
            elif parts:
                fail(f"unexpected export item {item!r}")
        return ""

    body = re.sub(r"^export\s*\{([^}]*)\};?\s*$", export_list, body, flags=re.M)
    if re.search(r"^\s*(export|import)\b", body, flags=re.M):
        fail("the wasm-bindgen glue has an import/export this script does not understand")
    for needed in ("initSync", "Run", "version", "simd_enabled"):
        if needed not in names:
            fail(f"the wasm-bindgen glue does not export {needed}")
    # The inlined worker is a classic script (a module worker from a blob: URL does not start under file://,
    # whose origin is opaque), where import.meta is a syntax error. It is only used by the default init path,
    # which initSync bypasses.
    body = body.replace("import.meta.url", "self.location.href")
    obj = ", ".join(k if k == v else f"{k}: {v}" for k, v in sorted(names.items()))
    return f"(() => {{\n{body}\nreturn {{ {obj} }};\n}})()"


def worker_source(root: Path) -> str:
    worker = (root / "www/worker.js").read_text()
    if worker.count(IMPORT_LINE) != 1:
        fail(f"www/worker.js must contain exactly one line {IMPORT_LINE!r}")
    glue = (root / "www/pkg/moment_lab.js").read_text()
    b64 = base64.b64encode((root / "www/pkg/moment_lab_bg.wasm").read_bytes()).decode()
    replacement = (
        "// single-file build: the wasm-bindgen module and the wasm (base64) are inlined here.\n"
        f"const wasm = {inline_glue(glue)};\n"
        f'const WASM_BASE64 = "{b64}";\n'
        "async function init() {\n"
        "  const bytes = Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));\n"
        "  wasm.initSync({ module: bytes });\n"
        "}\n"
    )
    return worker.replace(IMPORT_LINE, replacement)


IMPORT_RE = re.compile(r"^import\s*\{([^}]*)\}\s*from\s*'(\./[^']+)';[ \t]*$", re.M)
EXPORT_RE = re.compile(r"^export\s+(async\s+function|function|class|const|let)\s+([A-Za-z_$][\w$]*)", re.M)


def bundle(root: Path, entry: Path) -> str:
    """The page's ES modules as one module script: each imported module becomes an IIFE whose return value
    holds its exports, and each `import { a, b as c } from './x.js';` becomes `const { a, b: c } = __x;`.
    Only that import form and `export function|class|const|let NAME` are understood; anything else fails."""
    order: list[Path] = []
    seen: set[Path] = set()

    def visit(path: Path, stack: tuple = ()) -> None:
        if path in stack:
            fail(f"import cycle through {path}")
        if path in seen:
            return
        seen.add(path)
        for m in IMPORT_RE.finditer(path.read_text()):
            visit((path.parent / m.group(2)).resolve(), stack + (path,))
        order.append(path)

    def var(path: Path) -> str:
        return "__mod_" + re.sub(r"\W", "_", str(path.relative_to(root / "www")))

    def rewrite_imports(text: str, path: Path) -> str:
        def repl(m: re.Match) -> str:
            items = [i.strip() for i in m.group(1).split(",") if i.strip()]
            fields = ", ".join(f"{a.split()[0]}: {a.split()[2]}" if " as " in a else a for a in items)
            return f"const {{ {fields} }} = {var((path.parent / m.group(2)).resolve())};"
        return IMPORT_RE.sub(repl, text)

    visit(entry.resolve())
    parts = []
    for path in order:
        text = rewrite_imports(path.read_text(), path)
        if path == entry.resolve():
            if EXPORT_RE.search(text):
                fail(f"{path.name}: the entry module must not export")
            parts.append(text)
            continue
        names = [m.group(2) for m in EXPORT_RE.finditer(text)]
        text = EXPORT_RE.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
        parts.append(f"const {var(path)} = (() => {{\n{text}\nreturn {{ {', '.join(names)} }};\n}})();")
    out = "\n".join(parts)
    if re.search(r"^\s*(import|export)\b", out, flags=re.M):
        fail("a module uses an import/export form that the single-file bundler does not understand")
    return out


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    root = args.root
    out = args.out or root / "www/single.html"

    html = (root / "index.html").read_text()
    css = "\n" + (root / "www/style.css").read_text()
    main_js = "\n" + bundle(root, root / "www/main.js")
    worker = "\n" + worker_source(root)
    for name, text in (("style.css", css), ("main.js", main_js), ("worker source", worker)):
        if re.search(r"</(script|style)", text, flags=re.I):
            fail(f"{name} contains a closing </script> or </style> tag and cannot be inlined")

    def sub_once(pattern: str, repl: str, s: str) -> str:
        new, n = re.subn(pattern, lambda _m: repl, s, count=1)
        if n != 1:
            fail(f"index.html: could not find {pattern!r}")
        return new

    csp = (
        "default-src 'none'; "
        f"script-src {csp_hash(main_js)} 'wasm-unsafe-eval'; "
        "worker-src blob:; "
        f"style-src {csp_hash(css)}; "
        "img-src data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'"
    )
    html = sub_once(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">',
                    f'<meta http-equiv="Content-Security-Policy" content="{csp}">', html)
    html = sub_once(r'<link rel="stylesheet" href="www/style.css">', f"<style>{css}</style>", html)
    html = sub_once(
        r'<script type="module" src="www/main.js"></script>',
        f'<script type="text/plain" id="worker-src">{worker}</script>\n<script type="module">{main_js}</script>',
        html,
    )
    # The link to this very file makes no sense inside it.
    html = re.sub(r'\s*·\s*<a href="www/single.html">single-file version</a>', "", html)
    html = re.sub(r'\s*·\s*<a href="www/blog-example.html">embedding example</a>', "", html)
    html = html.replace("<!doctype html>", "<!doctype html>\n<!-- Moment Lab, single-file build: generated by scripts/make_single_html.py from index.html and www/. -->", 1)
    out.write_text(html)
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
