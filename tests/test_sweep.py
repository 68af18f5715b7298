"""Sweeps: reproducible draws, identical results on every backend, failures kept apart."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pandas as pd
import pytest

from siege.analyses.sweep import SweepConfig, _same_draws, parse_axis, run_variant, sweep
from siege.errors import SiegeInputError

from .conftest import REPO, run_cli

BLOCKADE = REPO / "scenarios" / "bamako-fuel-blockade-2025.toml"
NARA = REPO / "scenarios" / "nara-rn4-2024.toml"


@pytest.fixture(scope="module")
def short_blockade(tmp_path_factory):
    """The blockade scenario over September–October only: the same draws, a third of the days."""
    path = tmp_path_factory.mktemp("sweep") / "blockade-sep-oct.toml"
    text = BLOCKADE.read_text(encoding="utf-8")
    assert "end = 2026-01-31" in text
    path.write_text(text.replace("end = 2026-01-31", "end = 2025-10-31", 1), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def serial(short_blockade):
    config = SweepConfig(short_blockade, runs=12, seed=7, vary=(parse_axis("events.1.start=2025-09-05..2025-10-15"),))
    return config, sweep(config, workers=1)


def test_same_seed_same_variants_on_every_backend(serial):
    config, one = serial
    local = sweep(config, workers=2)
    pd.testing.assert_frame_equal(one.table, local.table)
    dask = sweep(config, dask="local")
    pd.testing.assert_frame_equal(one.table, dask.table)
    pd.testing.assert_frame_equal(one.summary, dask.summary)


def test_local_workers_run_their_own_stretch_then_take_the_end_of_the_longest_left():
    """Work stealing between local processes: each worker runs neighbouring variants from the start
    of its stretch; one done early takes the last variants of the stretch with the most left, so
    every variant is run once and no worker idles while another has several to go."""
    import multiprocessing
    import signal

    from siege.analyses import sweep as module

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}  # a worker sets its own

    specs = [{"variant": i} for i in range(10)]
    ctx = multiprocessing.get_context()
    starts, ends, ranks = ctx.RawArray("q", [0, 5]), ctx.RawArray("q", [5, 10]), ctx.RawValue("q", 0)
    lock = ctx.Lock()
    claimed = {0: [], 1: []}
    try:
        views = []
        for _ in range(2):  # two workers, ranked as they start
            module._claims_init(specs, starts, ends, ranks, lock)
            views.append(module._CLAIMS)
        assert [v[3] for v in views] == [0, 1]
        # worker 1 is fast: it runs its stretch, then takes from the end of worker 0's
        for rank in (0, 1, 1, 1, 1, 1, 1, 0, 1):
            module._CLAIMS = views[rank]
            claimed[rank].append(module._claim()["variant"])
    finally:
        module._CLAIMS = None
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert claimed == {0: [0, 1], 1: [5, 6, 7, 8, 9, 4, 3]}
    left = list(range(starts[0], ends[0])) + list(range(starts[1], ends[1]))
    assert sorted(claimed[0] + claimed[1] + left) == list(range(10)) and left == [2]


def test_dask_tasks_keep_a_stretch_of_neighbours_on_each_worker():
    """Dask's tasks are placed as the local processes' stretches: each worker's tasks are one run of
    neighbouring variants, in order, shrinking, and together every variant once."""
    from siege.analyses.sweep import _placed

    specs = list(range(23))
    placed = _placed(specs, {"tcp://b:2": 1, "tcp://a:1": 1})
    on = {home: [v for chunk, h in placed if h == home for v in chunk] for home in ("tcp://a:1", "tcp://b:2")}
    assert on == {"tcp://a:1": list(range(12)), "tcp://b:2": list(range(12, 23))}
    sizes = [len(chunk) for chunk, home in placed if home == "tcp://a:1"]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > 1 and sizes[-1] == 1
    # a worker with two threads gets tasks for both
    two = _placed(specs, {"tcp://a:1": 2})
    assert [v for chunk, _ in two for v in chunk] == specs and len(two) > len(placed) // 2


def test_draws_depend_on_the_seed(serial):
    config, one = serial
    starts = one.table.groupby("variant")["param:events.1.start"].first()
    assert starts.nunique() > 5  # drawn, not fixed
    assert all("2025-09-05" <= s <= "2025-10-15" for s in starts)
    other = sweep(SweepConfig(config.scenario, runs=12, seed=8, vary=config.vary), workers=1)
    assert not other.table["param:events.1.start"].equals(one.table["param:events.1.start"])


def test_summary_is_computed_from_the_table(serial):
    _, one = serial
    bamako = one.table[one.table["town"] == "Bamako"]
    row = one.summary[one.summary["town"] == "Bamako"].iloc[0]
    assert row["variants"] == 12
    assert row["p_run_out"] == pytest.approx(bamako["ran_out"].mean(), abs=1e-4)  # rounded to 4 places
    days = bamako["days_to_stockout"].dropna()
    assert row["days_to_stockout_median"] == pytest.approx(days.median())
    assert row["days_to_stockout_p5"] <= row["days_to_stockout_median"] <= row["days_to_stockout_p95"]


def test_event_probability_is_drawn(tmp_path):
    # the Nara scenario with its first event made uncertain (probability 0.5): some variants draw it
    text = NARA.read_text(encoding="utf-8").replace('ref = "RN4"\nstart', 'ref = "RN4"\nprobability = 0.5\nstart', 1)
    assert "probability = 0.5" in text
    path = tmp_path / "nara-uncertain.toml"
    path.write_text(text, encoding="utf-8")
    result = sweep(SweepConfig(path, runs=40, seed=1), workers=2)
    drawn = result.table.groupby("variant")["events_drawn"].first()
    seasons = 7  # the bundled network's calendar: 5 rainy-season rules and 2 low-water ones, always drawn
    assert set(drawn) == {3 + seasons, 2 + seasons}
    assert 8 <= (drawn == 2 + seasons).sum() <= 32


def test_variants_that_drew_the_same_are_solved_once(tmp_path):
    # one uncertain event (probability 0.5) and nothing else drawn: 30 variants are two distinct runs,
    # and each variant's rows are what it gives when run alone
    text = NARA.read_text(encoding="utf-8").replace('ref = "RN4"\nstart', 'ref = "RN4"\nprobability = 0.5\nstart', 1)
    path = tmp_path / "nara-uncertain.toml"
    path.write_text(text, encoding="utf-8")
    config = SweepConfig(path, runs=30, seed=3)
    ticks = []
    result = sweep(config, workers=1, progress=ticks.append)
    solved = _same_draws(replace(config, scenario=path.resolve(), text=text), config.variants())
    assert len(solved) == 2
    assert sum(ticks) == 30 and len(ticks) == 2  # progress counts every variant, once per distinct run
    for spec in config.variants()[:6]:
        alone = run_variant(replace(config, scenario=path.resolve(), text=text), spec)
        rows = result.table[result.table["variant"] == spec["variant"]]
        assert rows["days_short"].tolist() == [r["days_short"] for r in alone["rows"]]
        assert rows["events_drawn"].iloc[0] == alone["events"]
    # a continuous axis draws a new value for every variant: nothing is grouped
    varied = replace(config, vary=(parse_axis("events.1.radius_km=5..25"),), scenario=path.resolve(), text=text)
    assert len(_same_draws(varied, varied.variants())) == 30


def test_a_local_dask_sweep_of_one_run_starts_no_cluster():
    # every variant of the Nara scenario draws the same: one run, made in the sweeping process
    code = (
        "import sys; from pathlib import Path; import pandas as pd\n"
        "from siege.analyses.sweep import SweepConfig, sweep\n"
        f"config = SweepConfig(Path({str(NARA)!r}), runs=5, seed=1)\n"
        "dask = sweep(config, dask='local')\n"
        "started = 'distributed' in sys.modules\n"
        "pd.testing.assert_frame_equal(dask.table, sweep(config, workers=1).table)\n"
        "print(len(dask.table), started)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr
    rows, started = done.stdout.split()
    assert int(rows) > 0 and started == "False"


def test_grid_runs_every_combination():
    config = SweepConfig(NARA, runs=2, seed=0, vary=(parse_axis("events.1.radius_km=5..25"),), grid=3)
    result = sweep(config, workers=1)
    assert result.table["variant"].nunique() == 6
    assert sorted(result.table["param:events.1.radius_km"].unique()) == [5.0, 15.0, 25.0]
    # without a period the sweep judges isolation on the scenario's date
    assert result.summary["p_run_out"].isna().all() and (result.summary["p_isolated"] == 0).all()


def test_failed_variant_is_reported_and_others_kept():
    # events[1] starts on 2025-09-13: an end drawn before it makes that variant invalid
    config = SweepConfig(BLOCKADE, runs=1, seed=0, vary=(parse_axis("events.1.end=2025-09-01,2025-12-01"),), grid=2)
    result = sweep(config, workers=1)
    assert len(result.failures) == 1
    failure = result.failures.iloc[0]
    assert failure["param:events.1.end"] == "2025-09-01" and "before it starts" in failure["error"]
    assert set(result.table["param:events.1.end"]) == {"2025-12-01"}
    assert len(result.table) == 50  # the good variant's towns are all there


def test_bad_axis():
    with pytest.raises(SiegeInputError, match=r"expected PATH=LOW\.\.HIGH"):
        parse_axis("events.1.end")
    with pytest.raises(SiegeInputError, match="ends"):
        parse_axis("events.1.end=2026-01-01..2025-01-01")
    with pytest.raises(SiegeInputError, match=r"no events\.99"):
        sweep(SweepConfig(NARA, runs=1, vary=(parse_axis("events.99.end=2024-01-01..2024-02-01"),)), workers=1)


def test_sweep_cli(tmp_path):
    res = run_cli("sweep", BLOCKADE, "--runs", "6", "--seed", "2", "--workers", "2", "--out", tmp_path, "--hxl")
    assert res.returncode == 0, res.stderr
    for name in ("sweep.csv", "sweep_summary.csv", "failures.csv", "report.md", "report.json", "map.html"):
        assert (tmp_path / name).exists(), name
    summary = pd.read_csv(tmp_path / "sweep_summary.csv", skiprows=[1])  # the HXL hashtag row
    tags = (tmp_path / "sweep_summary.csv").read_text(encoding="utf-8").splitlines()[1].split(",")
    assert tags[:6] == ["#loc+name", "#adm1+name", "#adm1+code", "#adm2+name", "#adm2+code", "#meta+cod_version"]
    assert summary.loc[summary["town"] == "Bamako", "adm2_pcode"].item() == "ML0901"
    assert set(summary["variants"]) == {6}
    # the terminal lists every town of the summary, not the first 15
    assert len(summary) > 15 and all(town in res.stdout for town in summary["town"])
    assert "P(runs out)" in (tmp_path / "report.md").read_text()
    bad = run_cli("sweep", BLOCKADE, "--vary", "nope", "--out", tmp_path / "x")
    assert bad.returncode == 2 and "expected PATH=LOW..HIGH" in bad.stderr
