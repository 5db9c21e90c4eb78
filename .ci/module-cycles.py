#!/usr/bin/env python3
"""Fails when a module of src/, app/src/ or server/src/ reaches itself through the modules it
names (`crate::…`, `super::…`, `self::…` paths, in `use` lines or inline, and `use child::…`), test modules included.
SeaORM's entity relations (src/entities/) are left out: they name each other by design."""
import os, re, sys

ROOTS = {"src": "hype", "app/src": "hype_app", "server/src": "hype_server"}
PATH = re.compile(r"\b(crate|super|self)((?:::[a-z_][a-z0-9_]*)+)")


def modules(root):
    found = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), root)[:-3].split(os.sep)
            if rel[-1] in ("mod", "lib", "main"):
                rel = rel[:-1]
            found[tuple(rel)] = os.path.join(dirpath, name)
    return found


def resolve(mods, here, kind, rest):
    parts = [p for p in rest.split("::") if p]
    base = list(here) if kind == "self" else [] if kind == "crate" else list(here[:-1])
    if kind == "super":
        while parts and parts[0] == "super":
            base, parts = base[:-1], parts[1:]
    full = base + parts
    for n in range(len(full), 0, -1):
        if tuple(full[:n]) in mods:
            return tuple(full[:n])
    return None


def cycles(root):
    mods = modules(root)
    graph = {}
    for mod, path in mods.items():
        if mod[:1] == ("entities",):
            continue
        text = re.sub(r"//.*", "", open(path).read())
        found = PATH.findall(text)
        # `use child::…` / `pub use child::…`: a path relative to this module.
        found += [("self", "::" + rest) for rest in re.findall(r"\buse\s+([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", text)
                  if rest.split("::")[0] not in ("crate", "super", "self")]
        for kind, rest in found:
            target = resolve(mods, mod, kind, rest)
            if target and target != mod and target[:1] != ("entities",):
                # Naming a module's own submodule or parent is not an import circle by itself.
                graph.setdefault(mod, set()).add(target)
    found = []
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


status = 0
for root, crate in ROOTS.items():
    for cycle in cycles(root):
        status = 1
        print(f"{crate}: " + " -> ".join("::".join(m) or "(root)" for m in cycle))
if status == 0:
    print("no module imports itself through others in " + ", ".join(ROOTS))
sys.exit(status)
