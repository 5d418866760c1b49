#!/usr/bin/env python3
"""Lists the public items of the `gust` facade, as its documentation shows them.

Reads the rustdoc JSON of `gust` and of its member crates (nightly only):

    for p in gust gust-engine gust-yieldables gust-ioloop gust-net gust-http gust-sync gust-testing; do
        cargo +nightly rustdoc -p $p --lib -- -Z unstable-options --output-format json
    done
    python3 .ci/public_items.py [target/doc] [--list]

and walks every public path from the crate root, following re-exports into
the member crates (a re-exported crate or module is walked too). Hidden
items (`#[doc(hidden)]`) are not in the JSON, so they are not counted.

Prints: the number of public paths (an item reachable by two paths counts
twice), the number of distinct items (counted once, by where they are
defined), and the number of public methods and associated items on those
items (inherent impls and trait definitions). With --list, every path.
With --unreachable, the member-crate types that appear in the signatures of
public items (functions, methods, trait methods, enum variants) but have no
path in `gust`: types a user meets and cannot name or find in the docs.
"""
import json
import os
import sys

MEMBERS = ["gust", "gust_engine", "gust_yieldables", "gust_ioloop", "gust_sync", "gust_net", "gust_http", "gust_testing"]


def load(doc_dir):
    crates = {}
    for name in MEMBERS:
        path = os.path.join(doc_dir, name + ".json")
        if os.path.exists(path):
            with open(path) as f:
                crates[name] = json.load(f)
    return crates


class Walker:
    def __init__(self, crates):
        self.crates = crates
        self.paths = []  # (public path, kind, identity)
        self.by_path = {}
        for name, data in crates.items():
            local = {}
            for id_, entry in data["paths"].items():
                if entry["crate_id"] == 0:
                    local[tuple(entry["path"])] = id_
            self.by_path[name] = local

    def resolve(self, crate, id_):
        """(crate, item) for an id seen in `crate`, following into members."""
        data = self.crates[crate]
        key = str(id_)
        if key in data["index"] and data["index"][key]["crate_id"] == 0:
            return crate, data["index"][key]
        entry = data["paths"].get(key)
        if entry is None:
            return None, None
        ext = data["external_crates"][str(entry["crate_id"])]["name"]
        if ext not in self.crates:
            return ext, {"name": entry["path"][-1], "external": entry}
        target = self.by_path[ext].get(tuple(entry["path"]))
        if target is None:
            if len(entry["path"]) == 1:  # a crate root
                root = self.crates[ext]["root"]
                return ext, self.crates[ext]["index"][str(root)]
            return None, None
        return ext, self.crates[ext]["index"][target]

    def kind(self, item):
        if "external" in item:
            return item["external"]["kind"]
        return next(iter(item["inner"]))

    def walk_module(self, crate, module, prefix, seen):
        for child in module["inner"]["module"]["items"]:
            item = self.crates[crate]["index"][str(child)]
            self.visit(crate, item, prefix, seen)

    def visit(self, crate, item, prefix, seen, name=None):
        inner = item.get("inner", {})
        if "use" in inner:
            use = inner["use"]
            if use["id"] is None:
                return
            tcrate, target = self.resolve(crate, use["id"])
            if target is None:
                self.paths.append(("::".join(prefix + [use["name"]]), "unresolved", use["source"]))
                return
            if use["is_glob"]:
                if "module" in target.get("inner", {}):
                    self.walk_module(tcrate, target, prefix, seen)
                return
            self.visit(tcrate, target, prefix, seen, name=use["name"])
            return
        if item.get("visibility") != "public" and "external" not in item:
            return
        if "impl" in inner:
            return
        name = name or item.get("name")
        if name is None:
            return
        path = prefix + [name]
        kind = self.kind(item)
        ident = (crate, item["external"]["path"] if "external" in item else item["id"])
        self.paths.append(("::".join(path), kind, repr(ident)))
        if kind == "module" and "external" not in item:
            key = (crate, item["id"])
            if key in seen:
                return
            self.walk_module(crate, item, path, seen | {key})

    def associated(self, idents):
        count = 0
        for ident in idents:
            crate, id_ = eval(ident)
            if not isinstance(id_, int):
                continue
            data = self.crates[crate]
            item = data["index"][str(id_)]
            inner = item["inner"]
            kind = next(iter(inner))
            if kind in ("struct", "enum", "union"):
                for impl_id in inner[kind]["impls"]:
                    impl = data["index"][str(impl_id)]["inner"]["impl"]
                    if impl["trait"] is None and not impl.get("is_synthetic"):
                        for a in impl["items"]:
                            if data["index"][str(a)]["visibility"] == "public":
                                count += 1
            elif kind == "trait":
                count += len(inner["trait"]["items"])
        return count


def types_in(node, out):
    if isinstance(node, dict):
        if "resolved_path" in node:
            out.append(node["resolved_path"]["id"])
        for value in node.values():
            types_in(value, out)
    elif isinstance(node, list):
        for value in node:
            types_in(value, out)


def unreachable(w):
    """Member-crate types used in public signatures but not reachable."""
    reach = set()
    for _, _, ident in w.paths:
        crate, id_ = eval(ident)
        if isinstance(id_, int) and str(id_) in w.crates[crate]["paths"]:
            reach.add((crate, tuple(w.crates[crate]["paths"][str(id_)]["path"])))
    missing = {}
    for path, _, ident in w.paths:
        crate, id_ = eval(ident)
        if not isinstance(id_, int):
            continue
        data = w.crates[crate]
        inner = data["index"][str(id_)]["inner"]
        kind = next(iter(inner))
        sigs = []
        if kind == "function":
            sigs.append((path, inner["function"]["sig"]))
        if kind in ("struct", "enum"):
            for impl_id in inner[kind]["impls"]:
                impl = data["index"][str(impl_id)]["inner"]["impl"]
                if impl["trait"] is None and not impl.get("is_synthetic"):
                    for a in impl["items"]:
                        assoc = data["index"][str(a)]
                        if assoc["visibility"] == "public" and "function" in assoc["inner"]:
                            sigs.append((path + "::" + assoc["name"], assoc["inner"]["function"]["sig"]))
            if kind == "enum":
                for v in inner["enum"]["variants"]:
                    sigs.append((path + "::" + data["index"][str(v)]["name"], data["index"][str(v)]["inner"]))
        if kind == "trait":
            for a in inner["trait"]["items"]:
                assoc = data["index"][str(a)]
                if "function" in assoc["inner"]:
                    sigs.append((path + "::" + assoc["name"], assoc["inner"]["function"]["sig"]))
        for where, sig in sigs:
            ids = []
            types_in(sig, ids)
            for tid in ids:
                entry = data["paths"].get(str(tid))
                if not entry:
                    continue
                owner = crate if entry["crate_id"] == 0 else data["external_crates"][str(entry["crate_id"])]["name"]
                if owner in w.crates and (owner, tuple(entry["path"])) not in reach:
                    missing.setdefault("::".join(entry["path"]), set()).add(where)
    return missing


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    doc_dir = args[0] if args else "target/doc"
    crates = load(doc_dir)
    w = Walker(crates)
    root = crates["gust"]["index"][str(crates["gust"]["root"])]
    w.walk_module("gust", root, ["gust"], frozenset())
    non_modules = [p for p in w.paths if p[1] != "module"]
    idents = {p[2] for p in non_modules}
    modules = sorted({p[0] for p in w.paths if p[1] == "module"})
    print(f"public paths (excluding modules): {len(non_modules)}")
    print(f"distinct public items: {len(idents)}")
    print(f"modules: {len(modules)}")
    print(f"public methods and associated items of those items: {w.associated(idents)}")
    if "--unreachable" in sys.argv:
        missing = unreachable(w)
        print(f"member-crate types in public signatures with no path in gust: {len(missing)}")
        for name, users in sorted(missing.items()):
            print(f"  {name}  (in {', '.join(sorted(users))})")
    if "--list" in sys.argv:
        for path, kind, _ in sorted(w.paths):
            print(f"{kind:10} {path}")


if __name__ == "__main__":
    main()
