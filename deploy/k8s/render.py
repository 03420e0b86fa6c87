#!/usr/bin/env python3
"""Renders a kustomization of deploy/k8s the way `kubectl kustomize` does, for CI without
kubectl: only the features these manifests use, and an error for any other.

Supported: `resources` (files, or folders holding a kustomization.yaml), `namespace`
(set on every namespaced object), `images` (`newName`/`newTag` for containers and init
containers of workloads) and `patches` with a `path` to a strategic-merge patch matched by
apiVersion, kind and name (maps merge key by key; lists of maps with a `name` merge item by
item by name; any other list, and every scalar, is replaced).

    render.py deploy/k8s/overlays/production > rendered.yaml
"""

import copy
import pathlib
import sys

import yaml

KNOWN = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
                  "StorageClass", "CustomResourceDefinition", "PriorityClass"}


class RenderError(Exception):
    """A kustomization this renderer does not understand, or a patch that matches nothing."""


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def key(obj):
    meta = obj.get("metadata", {})
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("name"))


def merge(base, patch):
    """Strategic merge of `patch` into `base` (see the module's doc)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    named = lambda items: isinstance(items, list) and items and all(
        isinstance(i, dict) and "name" in i for i in items)
    if named(base) and named(patch):
        out = [copy.deepcopy(i) for i in base]
        for item in patch:
            found = next((n for n, b in enumerate(out) if b["name"] == item["name"]), None)
            if found is None:
                out.append(copy.deepcopy(item))
            else:
                out[found] = merge(out[found], item)
        return out
    return copy.deepcopy(patch)


def pod_spec(obj):
    spec = obj.get("spec", {})
    if obj.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("spec")


def set_images(objects, images):
    for image in images:
        unknown = set(image) - {"name", "newName", "newTag"}
        if unknown:
            raise RenderError(f"images: unsupported fields {sorted(unknown)}")
        used = False
        for obj in objects:
            spec = pod_spec(obj) or {}
            for container in spec.get("containers", []) + spec.get("initContainers", []):
                name, _, tag = container["image"].partition(":")
                if name != image["name"]:
                    continue
                used = True
                name = image.get("newName", name)
                tag = image.get("newTag", tag)
                container["image"] = f"{name}:{tag}" if tag else name
        if not used:
            raise RenderError(f"images: no container uses {image['name']}")


def render(folder):
    folder = pathlib.Path(folder)
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text(encoding="utf-8"))
    unknown = set(kustomization) - KNOWN
    if unknown:
        raise RenderError(f"{folder}: unsupported kustomization fields {sorted(unknown)}")
    objects = []
    for resource in kustomization.get("resources", []):
        path = folder / resource
        objects.extend(render(path) if path.is_dir() else load_all(path))
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise RenderError(f"{folder}: only `patches: - path: FILE` is supported")
        for doc in load_all(folder / patch["path"]):
            matches = [n for n, obj in enumerate(objects) if key(obj) == key(doc)]
            if len(matches) != 1:
                raise RenderError(f"{folder}/{patch['path']}: {key(doc)} matches {len(matches)}")
            objects[matches[0]] = merge(objects[matches[0]], doc)
    set_images(objects, kustomization.get("images", []))
    namespace = kustomization.get("namespace")
    if namespace:
        for obj in objects:
            if obj.get("kind") not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = namespace
    seen = set()
    for obj in objects:
        if key(obj) in seen:
            raise RenderError(f"{folder}: {key(obj)} is defined twice")
        seen.add(key(obj))
    return objects


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        objects = render(argv[1])
    except (RenderError, OSError, KeyError, yaml.YAMLError) as err:
        print(f"render.py: {err}", file=sys.stderr)
        return 1
    yaml.safe_dump_all(objects, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
