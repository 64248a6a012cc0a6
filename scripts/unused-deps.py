#!/usr/bin/env python3
"""Fails when Cargo.toml declares a dependency that no Rust source names.

A dependency counts as used when its name (dashes as underscores; the key, which is what the code sees, even
for a renamed package) appears as `name::`, `use name` or `extern crate name` outside a `//` comment:
[dependencies] (any target) in src/, [dev-dependencies] in src/, tests/, benches/ or examples/,
[build-dependencies] in build.rs. The same grep-level rule as cargo-machete, without building or installing
anything (0.1 s): it misses a dependency that is named but not needed (a local module of the same name also
counts), never reports one that is used.

Dependencies that are declared on purpose before any code uses them are listed, each with its reason as a
comment, under [package.metadata.unused-deps] ignored = [...] in Cargo.toml; one that is used again is
reported as a note so that the list can be cleaned.

usage: scripts/unused-deps.py [--root DIR]    exit 1 when a dependency is unused, 0 otherwise
"""

import argparse
import re
import sys
import tomllib
from pathlib import Path


def rust_sources(root: Path, dirs: list[str]) -> str:
    text = []
    for d in dirs:
        p = root / d
        files = [p] if p.is_file() else sorted(p.rglob("*.rs")) if p.is_dir() else []
        for f in files:
            # Drop `//` comments (and doc comments) so that a mention in prose does not count as a use.
            text.append(re.sub(r"//.*", "", f.read_text(encoding="utf-8")))
    return "\n".join(text)


def used(ident: str, source: str) -> bool:
    return re.search(rf"(?<![\w:]){ident}::|\buse\s+{ident}\b|\bextern\s+crate\s+{ident}\b", source) is not None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=Path(__file__).resolve().parent.parent, type=Path)
    root = ap.parse_args().root
    manifest = tomllib.loads((root / "Cargo.toml").read_text(encoding="utf-8"))

    # Which sources may use each kind of dependency.
    where = {
        "dependencies": ["src"],
        "dev-dependencies": ["src", "tests", "benches", "examples"],
        "build-dependencies": ["build.rs"],
    }
    tables = [(kind, manifest.get(kind, {})) for kind in where]
    for target in manifest.get("target", {}).values():
        tables += [(kind, target.get(kind, {})) for kind in where]
    declared: dict[str, set[str]] = {}
    for kind, deps in tables:
        for key in deps:
            declared.setdefault(key, set()).add(kind)

    ignored = set(manifest.get("package", {}).get("metadata", {}).get("unused-deps", {}).get("ignored", []))
    unknown = ignored - declared.keys()
    if unknown:
        print(f"unused-deps: ignored but not declared: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 1

    unused = []
    for key, kinds in sorted(declared.items()):
        source = rust_sources(root, sorted({d for k in kinds for d in where[k]}))
        is_used = used(key.replace("-", "_"), source)
        if key in ignored:
            if is_used:
                print(f"unused-deps: note: {key} is used now; drop it from [package.metadata.unused-deps] ignored")
        elif not is_used:
            unused.append(f"{key} ({', '.join(sorted(kinds))})")
    if unused:
        print("unused-deps: declared in Cargo.toml but never named in the code: " + "; ".join(unused))
        print("  remove them, or list them with a reason under [package.metadata.unused-deps] ignored")
        return 1
    print(f"unused-deps: all {len(declared) - len(ignored)} dependencies are used ({len(ignored)} allow-listed: {', '.join(sorted(ignored)) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
