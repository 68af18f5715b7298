"""The prepared-graph cache checks what it was built from; writes that fail for lack of space or
rights are one line with nothing left; the same inputs give byte-identical outputs."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from siege import load_network
from siege.errors import SiegeInputError
from siege.io import writing_into
from siege.network import cache

from .conftest import DATA, REPO
from .test_hostile_inputs import assert_clean_failure, cli

NARA = REPO / "scenarios" / "nara-rn4-2024.toml"


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SIEGE_CACHE_DIR", str(folder))
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.siege-graph.zip"))


def _edges(G) -> set:
    return {(u, v, round(d["length"], 3)) for u, v, d in G.edges(data=True)}


def test_a_cached_network_is_used_only_for_the_file_it_was_built_from(tmp_path, cache_folder, capsys):
    net = tmp_path / "kati.osm"
    shutil.copy(DATA / "tiny.osm", net)
    first = load_network(net)
    (entry,) = _entries(cache_folder)
    assert capsys.readouterr().err == ""
    assert _edges(load_network(net)) == _edges(first)
    assert capsys.readouterr().err == ""  # a good entry is used without a word

    # an edit that keeps the file's size and modification time is still seen
    stat = net.stat()
    text = net.read_text(encoding="utf-8")
    assert 'lat="12.7400"' in text
    net.write_text(text.replace('lat="12.7400"', 'lat="12.7900"'), encoding="utf-8")
    os.utime(net, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert net.stat().st_size == stat.st_size and net.stat().st_mtime_ns == stat.st_mtime_ns
    edited = load_network(net)
    note = capsys.readouterr().err.strip().splitlines()
    assert len(note) == 1 and "built from other data" in note[0] and "kati.osm" in note[0]
    assert _edges(edited) != _edges(first)
    assert _entries(cache_folder) == [entry]  # rebuilt in place
    assert _edges(load_network(net)) == _edges(edited) and capsys.readouterr().err == ""


def test_a_cache_file_from_another_network_is_not_used(tmp_path, cache_folder, capsys):
    a, b = tmp_path / "a.osm", tmp_path / "b.osm"
    shutil.copy(DATA / "tiny.osm", a)
    shutil.copy(DATA / "depot.osm", b)
    graph_a, graph_b = load_network(a), load_network(b)
    assert _edges(graph_a) != _edges(graph_b)
    entry_a = cache_folder / f"{cache.cache_key(a, _plain_options())}.siege-graph.zip"
    entry_b = cache_folder / f"{cache.cache_key(b, _plain_options())}.siege-graph.zip"
    assert entry_a.is_file() and entry_b.is_file()
    shutil.copy(entry_b, entry_a)  # swapped in
    capsys.readouterr()
    assert _edges(load_network(a)) == _edges(graph_a)
    note = capsys.readouterr().err.strip().splitlines()
    assert len(note) == 1 and "built from other data" in note[0]


def _plain_options() -> dict:
    from siege import settings

    return {
        "road_classes": list(settings.DEFAULT_ROAD_CLASSES),
        "largest_component": False,
        "speeds": None,
        "capacities": None,
    }


def _same_graph(G, H) -> None:
    """G and H hold the same nodes, edges, attributes (with their types) and geometries, and iterate
    successors and predecessors in the same order."""
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert [list(G.pred[n]) for n in G] == [list(H.pred[n]) for n in H]
    eg, eh = list(G.edges(keys=True, data=True)), list(H.edges(keys=True, data=True))
    assert [e[:3] for e in eg] == [e[:3] for e in eh]
    for (*_, a), (*_, b) in zip(eg, eh, strict=True):
        a, b = dict(a), dict(b)
        assert a.pop("geometry").equals_exact(b.pop("geometry"), 0)
        assert a == b and {k: type(x) for k, x in a.items()} == {k: type(x) for k, x in b.items()}
    assert {k: x for k, x in G.graph.items() if k != "created_date"} == {
        k: x for k, x in H.graph.items() if k != "created_date"
    }


@pytest.mark.parametrize("name", ["tiny.osm", "modes.osm", "depot.osm", "corridors.osm", "mali"])
def test_a_cached_network_is_the_network_built(tmp_path, cache_folder, monkeypatch, name):
    source = name if name == "mali" else tmp_path / name
    if name != "mali":
        shutil.copy(DATA / name, source)
    built = load_network(source)
    assert _entries(cache_folder)
    cached = load_network(source)
    monkeypatch.setenv("SIEGE_CACHE_DIR", "off")
    _same_graph(cached, load_network(source))
    _same_graph(cached, built)


def test_the_cache_keeps_every_kind_of_attribute(cache_folder):
    import networkx as nx
    from shapely.geometry import LineString, Point

    G = nx.MultiDiGraph(crs="epsg:4326", note="a graph")
    G.add_node(7, x=1.0, y=2.0, name="Kati", population=41_000)
    G.add_node(3, x=1.5, y=2.5)  # no name: an absent attribute, not an empty one
    G.add_node(2**40, x=0.5, y=2.0, name="Neguela", population=None)
    line = LineString([(1, 2), (1.5, 2.5)])
    G.add_edge(7, 3, 0, geometry=line, length=12, ref=["RN3", "RN1"], osmid=[1, 2], oneway=True, tags={"a": 1})
    G.add_edge(7, 3, 1, geometry=line, length=12.5, ref=["RN3", "RN1"], osmid=3, oneway=False, big=2**70)
    G.add_edge(3, 7, 0, geometry=line.reverse(), length=12.5, ref="RN3", osmid=4, oneway=False)
    G.add_edge(2**40, 7, 0, geometry=Point(0.5, 2.0), length=0.0, oneway=False)  # not a line: stored as WKB
    cache.save("k", G)
    H = cache.load("k")
    _same_graph(H, G)
    assert H.edges[7, 3, 1]["big"] == 2**70
    # a list read back belongs to its edge alone: editing one edge's refs edits no other's
    H.edges[7, 3, 0]["ref"].append("RN4")
    assert H.edges[7, 3, 1]["ref"] == ["RN3", "RN1"]


def test_the_cache_keeps_shared_numbers_and_ref_lists_exactly(cache_folder):
    """Columns of few distinct values are stored as codes: floats keyed by themselves (-0.0 kept
    apart from 0.0, NaN kept), lists of refs by their strings, absent rows left absent."""
    import math

    import networkx as nx
    from shapely.geometry import LineString

    line = LineString([(0, 0), (1, 1)])
    for zero in (0.0, -0.0, 1.5):
        G = nx.MultiDiGraph(crs="epsg:4326")
        G.add_nodes_from((n, {"x": float(n), "y": 0.0}) for n in range(40))
        for n in range(39):
            speed = [60.0, 80.0, zero][n % 3] if n != 5 else float("nan")
            extra = {"ref": [["RN3"], ["RN3", "RN1"], []][n % 3]} if n != 7 else {}
            G.add_edge(n, n + 1, 0, geometry=line, length=1.0 + n, speed_kph=speed, capacity=1.5, **extra)
        cache.save("shared", G)
        H = cache.load("shared")
        for u, v, k, d in G.edges(keys=True, data=True):
            h = H.edges[u, v, k]
            assert set(h) == set(d) and h.get("ref") == d.get("ref")
            if math.isnan(d["speed_kph"]):
                assert math.isnan(h["speed_kph"])
            else:
                assert h["speed_kph"] == d["speed_kph"] and math.copysign(1, h["speed_kph"]) == math.copysign(
                    1, d["speed_kph"]
                )
        H.edges[0, 1, 0]["ref"].append("RN4")  # a list read back belongs to its edge alone
        assert H.edges[3, 4, 0]["ref"] == ["RN3"]


@pytest.mark.parametrize("damage", ["compression-bit", "truncated", "garbage"])
def test_a_damaged_cache_file_is_rebuilt_with_one_line(tmp_path, cache_folder, capsys, damage):
    net = tmp_path / "kati.osm"
    shutil.copy(DATA / "tiny.osm", net)
    first = load_network(net)
    (entry,) = _entries(cache_folder)
    data = bytearray(entry.read_bytes())
    if damage == "compression-bit":
        # one flipped bit in the central directory's compression field of the first member
        central = data.find(b"PK\x01\x02")
        data[central + 10] ^= 0x01
    elif damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data = bytearray(os.urandom(len(data)))
    entry.write_bytes(bytes(data))
    capsys.readouterr()
    for _ in range(2):  # the next load rebuilds it; the one after uses it quietly
        assert _edges(load_network(net)) == _edges(first)
    note = capsys.readouterr().err.strip().splitlines()
    assert len(note) == 1 and ("damaged" in note[0] or "other data" in note[0]), note


# ---- writes that fail where they write ------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 1.5 MB tmpfs (as root: CI and this machine run as root; elsewhere the test is skipped)."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_a_full_disk_is_one_line_naming_the_folder_and_leaves_nothing(small_disk):
    out = small_disk / "out"
    code, out_text, err, escaped = cli("run", NARA, "--out", out)
    assert_clean_failure(code, out_text, err, escaped, str(out), "no space left")
    assert list(small_disk.iterdir()) == []
    code, out_text, err, escaped = cli("map", NARA, "--out", small_disk / "map.html")
    assert_clean_failure(code, out_text, err, escaped, str(small_disk), "no space left")
    assert list(small_disk.iterdir()) == []


@pytest.mark.parametrize(
    "number,words",
    [
        (errno.ENOSPC, "no space left"),
        (errno.EDQUOT, "quota"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_write_errors_of_the_place_are_one_line(tmp_path, number, words):
    # the errors themselves cannot all be made here (root passes permission bits): what they become
    with pytest.raises(SiegeInputError) as err, writing_into(tmp_path / "out"):
        raise OSError(number, os.strerror(number))
    assert str(err.value) == f"{tmp_path / 'out'}: cannot write there: {err.value.problem.split(': ', 1)[1]}"
    assert words in str(err.value)
    with pytest.raises(OSError), writing_into(tmp_path):  # other errors are siege's own: not hidden
        raise OSError(errno.EBADF, "bad file descriptor")


def test_the_same_scenario_writes_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        code, _, err, escaped = cli("run", NARA, "--out", tmp_path / name)
        assert (code, escaped) == (0, None), err
    a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "map.html" in a and a == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_the_cache_folder_is_capped_and_drops_the_entry_used_longest_ago(tmp_path, cache_folder, monkeypatch):
    nets = []
    for name in ("a", "b", "c"):
        net = tmp_path / f"{name}.osm"
        text = (DATA / "tiny.osm").read_text(encoding="utf-8")
        net.write_text(text.replace('lat="12.7400"', f'lat="12.74{ord(name) - 90}"'), encoding="utf-8")
        nets.append(net)
    load_network(nets[0])
    (a,) = _entries(cache_folder)
    size = a.stat().st_size
    # room for two entries: the third save removes the one used longest ago
    monkeypatch.setenv("SIEGE_CACHE_MAX_MB", str(2.5 * size / 1024 / 1024))
    load_network(nets[1])
    b = next(e for e in _entries(cache_folder) if e != a)
    os.utime(b, (1_000_000, 1_000_000))  # b was used long ago ...
    os.utime(a, (1_000_000, 1_000_000))
    load_network(nets[0])  # ... and a just now (a cached load marks its entry as used)
    load_network(nets[2])
    left = _entries(cache_folder)
    assert len(left) == 2 and a in left and b not in left


def test_the_default_cache_folder_is_the_platforms_user_cache(monkeypatch):
    import platformdirs

    monkeypatch.delenv("SIEGE_CACHE_DIR")
    assert cache.cache_dir() == platformdirs.user_cache_path("siege", appauthor=False) / "networks"
    monkeypatch.setenv("SIEGE_CACHE_DIR", "off")
    assert cache.cache_dir() is None


def test_the_map_skeleton_is_rendered_once_and_kept_whole(cache_folder, monkeypatch):
    """folium's page around siege's data is the same for every map of an installation: rendered once,
    kept in the cache folder, read back; a damaged copy is rendered again; maps are byte-identical."""
    from siege.analyses.isolation import run
    from siege.outputs import map as site
    from siege.scenario import load_scenario

    result = run(load_scenario(NARA), with_chokepoints=False)
    site._skeleton_page.cache_clear()
    try:
        fresh = site.map_html(result)
        (kept,) = cache_folder.glob("map-skeleton-*.html")
        assert site._whole(kept.read_text(encoding="utf-8"))
        site._skeleton_page.cache_clear()
        assert site.map_html(result) == fresh  # read back: the same page
        # the copy on disk is what a later process uses (a mark put in it shows up in the map) ...
        marked = kept.read_text(encoding="utf-8").replace("<head>", "<head><!-- kept -->", 1)
        kept.write_text(marked, encoding="utf-8")
        site._skeleton_page.cache_clear()
        assert "<!-- kept -->" in site.map_html(result)
        # ... unless it is damaged: cut short, it is rendered again and replaced by a whole one
        kept.write_text(marked[: len(marked) // 2], encoding="utf-8")
        site._skeleton_page.cache_clear()
        assert site.map_html(result) == fresh and site._whole(kept.read_text(encoding="utf-8"))
        # another version's copy is removed when this one is written
        stale = cache_folder / "map-skeleton-0123456789abcdef01234567.html"
        stale.write_text(marked, encoding="utf-8")
        kept.unlink()
        site._skeleton_page.cache_clear()
        assert site.map_html(result) == fresh and not stale.exists() and kept.exists()
        # a cache folder that cannot be made (a file in its place) or is off costs the render only
        shutil.rmtree(cache_folder)
        cache_folder.write_text("not a folder", encoding="utf-8")
        site._skeleton_page.cache_clear()
        assert site.map_html(result) == fresh
        monkeypatch.setenv("SIEGE_CACHE_DIR", "off")
        site._skeleton_page.cache_clear()
        assert site.map_html(result) == fresh and cache_folder.read_text(encoding="utf-8") == "not a folder"
    finally:
        site._skeleton_page.cache_clear()  # later tests render from their own cache folder
