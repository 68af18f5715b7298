"""Prepared-graph cache: a network loaded once from an OSM file loads again in seconds.

The finished graph (after filtering, simplification and the siege schema) is stored under
``SIEGE_CACHE_DIR`` (default ``~/.cache/siege/networks``; ``off`` disables the cache), keyed by the
file's path, size and modification time and by the loading options, so an edited file or other
options are loaded afresh. The format holds data only — JSON for attributes, well-known binary for
geometries, numbers in a NumPy archive read without pickle — so a cache file can never run code; a
damaged or unreadable one is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import shapely

from siege.io import atomic_path

#: bump when the stored graph's schema changes: older cache files are then ignored
FORMAT = 1


def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when ``SIEGE_CACHE_DIR=off``."""
    value = os.environ.get("SIEGE_CACHE_DIR", "")
    if value.lower() == "off":
        return None
    return Path(value) if value else Path.home() / ".cache" / "siege" / "networks"


def cache_key(path: Path, options: dict[str, Any]) -> str:
    """A key for ``path`` as it is now, loaded with ``options``."""
    stat = path.stat()
    text = json.dumps(
        [FORMAT, str(path.resolve()), stat.st_size, stat.st_mtime_ns, options], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def load(key: str) -> nx.MultiDiGraph | None:
    """The cached graph for ``key``, or ``None`` (absent, damaged, other format)."""
    folder = cache_dir()
    if folder is None:
        return None
    file = folder / f"{key}.siege-graph.zip"
    try:
        with zipfile.ZipFile(file) as z:
            meta = json.loads(z.read("meta.json"))
            if meta.get("format") != FORMAT:
                return None
            arrays = np.load(io.BytesIO(z.read("arrays.npz")), allow_pickle=False)
            nodes = json.loads(z.read("nodes.json"))
            edges = json.loads(z.read("edges.json"))
        return _graph(meta, arrays, nodes, edges)
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile, shapely.errors.ShapelyError):
        return None  # damaged or foreign: ignored, the network is loaded afresh


def _graph(meta: dict, arrays, nodes: list, edges: list) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(**meta["graph"])
    ids, x, y = arrays["node_id"], arrays["x"], arrays["y"]
    G.add_nodes_from(
        (n, {"x": xi, "y": yi, **attrs})
        for n, xi, yi, attrs in zip(ids.tolist(), x.tolist(), y.tolist(), nodes, strict=True)
    )
    chunks = np.split(arrays["wkb"], arrays["wkb_end"][:-1]) if len(edges) else []
    geoms = shapely.from_wkb(np.array([c.tobytes() for c in chunks], dtype=object)) if len(edges) else []
    u, v, k = arrays["u"].tolist(), arrays["v"].tolist(), arrays["k"].tolist()
    G.add_edges_from(
        (a, b, c, {**attrs, "geometry": g}) for a, b, c, attrs, g in zip(u, v, k, edges, geoms, strict=True)
    )
    return G


def save(key: str, G: nx.MultiDiGraph) -> None:
    """Store ``G`` under ``key`` (best effort: a cache that cannot be written is skipped)."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        node_ids = list(G.nodes)
        nodes = [{a: _plain(b) for a, b in d.items() if a not in ("x", "y")} for _, d in G.nodes(data=True)]
        keys = list(G.edges(keys=True, data=True))
        edges = [{a: _plain(b) for a, b in d.items() if a != "geometry"} for *_, d in keys]
        wkb = [shapely.to_wkb(d["geometry"]) for *_, d in keys]
        buffer = io.BytesIO()
        np.savez(
            buffer,
            node_id=np.array(node_ids, dtype=np.int64),
            x=np.array([G.nodes[n]["x"] for n in node_ids], dtype=float),
            y=np.array([G.nodes[n]["y"] for n in node_ids], dtype=float),
            u=np.array([e[0] for e in keys], dtype=np.int64),
            v=np.array([e[1] for e in keys], dtype=np.int64),
            k=np.array([e[2] for e in keys], dtype=np.int64),
            wkb=np.frombuffer(b"".join(wkb), dtype=np.uint8),
            wkb_end=np.cumsum([len(b) for b in wkb], dtype=np.int64),
        )
        graph = {a: _plain(b) for a, b in G.graph.items()}
        with atomic_path(folder / f"{key}.siege-graph.zip") as tmp, zipfile.ZipFile(tmp, "w") as z:
            z.writestr("meta.json", json.dumps({"format": FORMAT, "graph": graph}))
            z.writestr("arrays.npz", buffer.getvalue())
            z.writestr("nodes.json", json.dumps(nodes, ensure_ascii=False))
            z.writestr("edges.json", json.dumps(edges, ensure_ascii=False))
    except (OSError, TypeError, ValueError):
        return


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, tuples and sets as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
