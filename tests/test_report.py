"""`python3 -m v2g report` against h5py fixtures: a fake run (tests/v2g_fake_run.py) with a fake
/evaluation that follows docs/EVALUATION.md (tests/v2g_fake_eval.py), so the report is tested
without the engine. Checks the page's content against the file's numbers, that it is
self-contained, that headless Chromium renders it without a console message and with every
image decoded, the report of a run not yet evaluated, and bad input (exit 2, one line).

Chromium: skipped with a reason when it is not installed, unless CI or V2G_REQUIRE_CHROMIUM is
set, where its absence fails. Run by ctest (pytest_report) and directly with pytest.
"""

import html.parser
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
import v2g_fake_eval as fake_eval  # noqa: E402
from v2g import report as v2g_report  # noqa: E402
from v2g_fake_run import write_fake_run  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), MPLBACKEND="Agg")
DAYS = 4
EPISODES = 20
# Chromium's stderr line for a page's console message ("...:INFO:CONSOLE:4] ...") and for an
# uncaught exception; either fails a render.
CONSOLE_LINE = re.compile(r":CONSOLE|Uncaught")
RENDER_CHECK = re.compile(r'data-render-check="images=(\d+)/(\d+) tables=(\d+)(?: overflow_px=(\d+))?"')
# The report's widths: a desktop window, and a narrow one (a laptop split screen, a tablet).
SCREEN_WIDTHS_PX = (1400, 800)
SCREEN_HEIGHT_PX = 900
SCORE_BOX_RGB = (0xEE, 0xF7, 0xEE)  # templates/page.css .score background


# ---------------------------------------------------------------- helpers

def cli(*args):
    return subprocess.run([sys.executable, "-m", "v2g", *map(str, args)], capture_output=True, text=True, env=ENV,
                          timeout=300)


class Page(html.parser.HTMLParser):
    """The parts of a page the tests look at: tables by id (rows of cell texts), <img> src
    attributes, <script> src attributes, and every attribute value (for external links)."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.images, self.script_srcs, self.attr_values = {}, [], [], []
        self._table = self._row = self._cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attr_values += [v for v in a.values() if v]
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id", f"table{len(self.tables)}"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in ("div", "br") and self._cell is not None:
            self._cell.append(" ")  # a line break inside a cell separates words
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "script" and "src" in a:
            self.script_srcs.append(a["src"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).replace("\u00a0", " ").split()))
            self._cell = None
        elif tag == "table":
            self._table = self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def number(cell):
    """The leading number of a cell ("-4.5 ± 0.2 (3 of 4 days)" -> -4.5)."""
    return float(cell.split()[0])


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        why = "chromium is not installed (scripts/setup.sh installs it)"
        if os.environ.get("CI") or os.environ.get("V2G_REQUIRE_CHROMIUM"):
            pytest.fail(why + "; CI/V2G_REQUIRE_CHROMIUM is set, so the rendering test may not skip")
        pytest.skip(why)
    return exe


def _chromium_run(args, profile_dir):
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--hide-scrollbars",
                           f"--user-data-dir={profile_dir}",  # one profile per test: they run side by side
                           "--virtual-time-budget=5000", *args], capture_output=True, text=True, timeout=180)


def render_problems(html_path, profile_dir, width_px=None):
    """Loads the page in headless Chromium and returns what is wrong with it (empty: nothing).

    The page's own load handler writes `data-render-check="images=OK/ALL tables=N
    overflow_px=P"` on <body>; --dump-dom prints the DOM after the load (virtual time lets it
    run to the end), so the count of decoded images and tables, and how far the page is wider
    than the window, come back through stdout. Console messages and uncaught exceptions come
    through stderr (--enable-logging=stderr). Expected counts are the <img> and <table> tags of
    the file itself. With width_px, the window is that wide and the page may not be wider."""
    source = Page(open(html_path, encoding="utf-8").read())
    want_images, want_tables = len(source.images), sum(1 for _ in re.finditer(
        r"<table\b", open(html_path, encoding="utf-8").read()))
    size = [f"--window-size={width_px},{SCREEN_HEIGHT_PX}"] if width_px else []
    r = _chromium_run([*size, "--dump-dom", "file://" + os.path.abspath(html_path)], profile_dir)
    problems = [f"console: {line.strip()}" for line in r.stderr.splitlines() if CONSOLE_LINE.search(line)]
    if r.returncode != 0:
        problems.append(f"chromium exited {r.returncode}: {r.stderr[-500:]}")
    check = RENDER_CHECK.search(r.stdout)
    if check is None:
        problems.append("no data-render-check on <body>: the page's load handler did not run")
        return problems
    ok, images, tables = (int(x) for x in check.groups()[:3])
    if images != want_images:
        problems.append(f"the browser saw {images} images, the file has {want_images}")
    if ok != images:
        problems.append(f"{images - ok} of {images} images did not decode")
    if tables != want_tables:
        problems.append(f"the browser saw {tables} tables, the file has {want_tables}")
    if width_px and check.group(4) is None:
        problems.append("the load handler did not report the page's overflow")
    elif width_px and int(check.group(4)) > 0:
        problems.append(f"the page is {check.group(4)} px wider than a {width_px} px window")
    return problems


def screenshot(html_path, profile_dir, width_px, out_png):
    """A headless Chromium screenshot of the page's first screen at width_px; returns the
    image as an (H, W, 3) array of 0-255 values."""
    import matplotlib.image

    r = _chromium_run([f"--window-size={width_px},{SCREEN_HEIGHT_PX}", f"--screenshot={out_png}",
                       "file://" + os.path.abspath(html_path)], profile_dir)
    assert r.returncode == 0 and os.path.exists(out_png), r.stderr[-500:]
    return np.rint(255 * matplotlib.image.imread(out_png)[:, :, :3]).astype(int)


def metrics_of(path, fault=None):
    """{metric: (values [policies, days], units, definition)} read with h5py, independently of v2g."""
    base = "evaluation/metrics" if fault is None else f"evaluation/faults/{fault}/metrics"
    with h5py.File(path, "r") as f:
        return {n: (d[()], text(d.attrs["units"]), text(d.attrs.get("definition", ""))) for n, d in f[base].items()}


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """A fake run with the fake evaluation, and its report (path of the file, of the page)."""
    d = tmp_path_factory.mktemp("evaluated")
    path = str(d / "run.h5")
    write_fake_run(path, episodes=EPISODES)
    fake_eval.write_fake_evaluation(path, days=DAYS)
    r = cli("report", path, "--out", d / "rep")
    assert r.returncode == 0, r.stderr
    page = r.stdout.strip().splitlines()[-1]
    assert page == os.path.join(str(d / "rep"), "report.html")
    return path, page


# ---------------------------------------------------------------- the fixture is the doc

def test_fake_evaluation_follows_the_doc(tmp_path):
    doc = open(os.path.join(ROOT, "docs", "EVALUATION.md"), encoding="utf-8").read()
    section = doc.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", section, re.M)
    assert documented == [(n, u) for n, u, _ in fake_eval.METRICS]
    policies = re.findall(r"^\| `(\w+)` \|", doc.split("## Policies", 1)[1].split("\n## ", 1)[0], re.M)
    assert policies == list(fake_eval.POLICIES)
    faults = re.findall(r"^\| `(\w+)` \|", doc.split("## Resilience", 1)[1].split("\n## ", 1)[0], re.M)
    assert faults == list(fake_eval.FAULTS)
    for name in fake_eval.DAY_SERIES:
        assert f"`{name}`" in doc.split("## Day series", 1)[1].split("\n## ", 1)[0], name
    for what in fake_eval.FIG9:
        assert f"`/evaluation/initial_{what}`" in doc and f"`/evaluation/enhanced_{what}`" in doc, what
    attrs_line = doc.split("attributes of `/evaluation`", 1)[1]
    for a in fake_eval.ATTRS:
        assert f"`{a}`" in attrs_line, a

    path = str(tmp_path / "run.h5")
    write_fake_run(path, episodes=EPISODES)
    fake_eval.write_fake_evaluation(path, days=DAYS)
    with h5py.File(path, "r") as f:
        e = f["evaluation"]
        P, V, T = len(fake_eval.POLICIES), int(f.attrs["vehicles"]), int(f.attrs["steps_per_episode"])
        assert [p.decode() for p in e["policies"][()]] == list(fake_eval.POLICIES)
        assert set(e.attrs) == set(fake_eval.ATTRS) and int(e.attrs["first_episode"]) == EPISODES
        for name, units, _ in fake_eval.METRICS:
            for g in ["metrics"] + [f"faults/{x}/metrics" for x in fake_eval.FAULTS]:
                assert e[f"{g}/{name}"].shape == (P, DAYS) and text(e[f"{g}/{name}"].attrs["units"]) == units
        for name, (units, axes) in fake_eval.DAY_SERIES.items():
            assert e[f"day/{name}"].shape == ((DAYS, T) if axes == "D" else (P, DAYS, T))
            assert text(e[f"day/{name}"].attrs["units"]) == units
        for what, units in fake_eval.FIG9.items():
            for side in ("initial_", "enhanced_"):
                assert e[side + what].shape == (V,) and text(e[side + what].attrs["units"]) == units
        assert e["optimum_value_per_vehicle"].shape == (DAYS,)
        for x in fake_eval.FAULTS:
            assert text(e[f"faults/{x}"].attrs["description"])
        # Exactly one NaN, where NAN_CELL says; the flows add up to the metric as the engine's do.
        nans = [(n, k, d) for n, _, _ in fake_eval.METRICS
                for k, d in zip(*np.nonzero(np.isnan(e[f"metrics/{n}"][()])))]
        name, k, d = fake_eval.NAN_CELL
        assert nans == [(name, k % P, d)]
        np.testing.assert_allclose(e["day/grid_import_kwh"][()].sum(axis=2) / V,
                                   e["metrics/grid_import_kwh_per_vehicle"][()])


# ---------------------------------------------------------------- the page's content

def test_report_is_self_contained(evaluated):
    page = open(evaluated[1], encoding="utf-8").read()
    assert "http://" not in page and "https://" not in page and 'src="file:' not in page
    parsed = Page(page)
    assert parsed.images and all(s.startswith("data:image/png;base64,") for s in parsed.images), parsed.images[:3]
    assert parsed.script_srcs == [] and "<link" not in page
    assert not [v for v in parsed.attr_values if re.match(r"(https?:|file:|//)", v)]


def test_report_header_names_the_run_and_the_evaluation(evaluated):
    path, page = evaluated
    header = dict((row[0], row[1]) for row in Page(open(page, encoding="utf-8").read()).tables["run-header"])
    with h5py.File(path, "r") as f:
        a, e = f.attrs, f["evaluation"].attrs
        assert header["run"] == text(a["run_name"])
        assert text(a["device"]) in header["device"] and text(a["backend"]) in header["device"]
        assert f"commit {text(a['git_commit'])}" in header["v2g"]
        assert f"{EPISODES} of {EPISODES} episodes" in header["status"]
        assert header["fleet"].startswith(f"{int(a['vehicles'])} vehicles")
        assert header["evaluation"].startswith(f"{DAYS} days from episode {EPISODES}")
        assert text(e["backend"]) in header["evaluation"]
        assert ", ".join(fake_eval.FAULTS) in header["evaluation"]


def test_metrics_table_has_every_metric_with_units_definitions_and_the_dp_bound(evaluated):
    path, page_path = evaluated
    page = open(page_path, encoding="utf-8").read()
    rows = Page(page).tables["metrics"]
    header, body = rows[0], rows[1:]
    assert header == ["metric", "unit"] + list(fake_eval.POLICIES)
    metrics = metrics_of(path)
    seen = {}
    for i, row in enumerate(body):
        name = row[0].split()[0]
        seen[name] = i
        if name.startswith("DP"):
            continue
        values, units, definition = metrics[name]
        assert row[1] == units and row[0] == f"{name} {definition}", row
        assert name in page and units in page
        for k in range(len(fake_eval.POLICIES)):
            v = values[k]
            if np.isfinite(v).all():
                assert row[2 + k].count("±") == 1 and "days" not in row[2 + k]
            else:  # the NaN day is left out, and the cell says so
                assert row[2 + k].endswith(f"({np.isfinite(v).sum()} of {DAYS} days)"), row[2 + k]
            assert number(row[2 + k]) == pytest.approx(np.nanmean(v), rel=1e-3, abs=1e-6), (name, k)
    assert set(seen) - {"DP"} == set(metrics)
    # The DP bound right under money_per_vehicle, one value across the policy columns.
    dp = body[seen["money_per_vehicle"] + 1]
    assert dp[0].startswith("DP bound (optimum_value_per_vehicle)") and len(dp) == 3 and dp[1] == "currency/vehicle/day"
    with h5py.File(path, "r") as f:
        assert number(dp[2]) == pytest.approx(f["evaluation/optimum_value_per_vehicle"][()].mean(), rel=1e-3)


def test_summary_has_one_row_per_policy_and_the_dp_bound_next_to_money(evaluated):
    path, page = evaluated
    rows = Page(open(page, encoding="utf-8").read()).tables["policy-summary"]
    names = [r[0] for r in rows[1:]]
    assert names == list(fake_eval.POLICIES) + ["DP bound (optimum_value_per_vehicle)"]
    money_col = rows[0].index("money_per_vehicle (currency/vehicle/day)")
    money = metrics_of(path)["money_per_vehicle"][0]
    for k, row in enumerate(rows[1:-1]):
        assert number(row[money_col]) == pytest.approx(money[k].mean(), rel=1e-3)
    with h5py.File(path, "r") as f:
        assert number(rows[-1][money_col]) == pytest.approx(f["evaluation/optimum_value_per_vehicle"][()].mean(),
                                                            rel=1e-3)


def test_resilience_table_is_fault_minus_fault_free(evaluated):
    path, page = evaluated
    rows = Page(open(page, encoding="utf-8").read()).tables["resilience"]
    header, body = rows[0], rows[1:]
    assert [(r[0], r[1]) for r in body] == [(x, p) for x in fake_eval.FAULTS for p in fake_eval.POLICIES]
    base = metrics_of(path)
    for metric in v2g_report.RESILIENCE_METRICS:
        col = header.index(f"Δ {metric} ({base[metric][1]})")
        for fault in fake_eval.FAULTS:
            under = metrics_of(path, fault)
            for k, p in enumerate(fake_eval.POLICIES):
                cell = body[[(r[0], r[1]) for r in body].index((fault, p))][col]
                want = np.mean(under[metric][0][k] - base[metric][0][k])
                assert float(cell) == pytest.approx(want, rel=1e-3, abs=1e-9), (fault, p, metric)


def test_fig9_table_is_initial_vs_enhanced(evaluated):
    path, page = evaluated
    rows = Page(open(page, encoding="utf-8").read()).tables["fig9"]
    assert [r[0] for r in rows[1:]] == sorted(fake_eval.FIG9)
    with h5py.File(path, "r") as f:
        for row in rows[1:]:
            what = row[0]
            assert row[1] == fake_eval.FIG9[what]
            assert number(row[2]) == pytest.approx(f[f"evaluation/initial_{what}"][()].mean(), rel=1e-3)
            assert number(row[3]) == pytest.approx(f[f"evaluation/enhanced_{what}"][()].mean(), rel=1e-3)


def test_report_is_generic_over_policies_faults_and_missing_references(tmp_path):
    """Other policy names (no charge_on_arrival: the reductions have no reference and are
    NaN everywhere), one fault, no definition attributes: the page follows the file."""
    path = str(tmp_path / "run.h5")
    write_fake_run(path, episodes=8, vehicles=3, community_size=3)
    policies = ("greedy", "baseline", "something_else")
    fake_eval.write_fake_evaluation(path, policies=policies, days=3, faults=("price_spike",), definitions=False)
    out = v2g_report.write_report(path, tmp_path / "rep")
    parsed = Page(open(out, encoding="utf-8").read())
    assert [r[0] for r in parsed.tables["policy-summary"][1:-1]] == list(policies)
    assert [(r[0], r[1]) for r in parsed.tables["resilience"][1:]] == [("price_spike", p) for p in policies]
    by_name = {r[0].split()[0]: r for r in parsed.tables["metrics"][1:]}
    assert by_name["peak_reduction"][2:] == ["n/a"] * len(policies)
    assert "see docs/EVALUATION.md" in by_name["money_per_vehicle"][0]
    # Evaluated without faults (`v2g eval --faults none`): no resilience section at all.
    fake_eval.write_fake_evaluation(path, policies=policies, days=2, faults=())
    out = v2g_report.write_report(v2g_report.Run(path), tmp_path / "rep2")
    page = open(out, encoding="utf-8").read()
    assert "resilience" not in Page(page).tables and 'href="#resilience"' not in page
    assert [r[0] for r in Page(page).tables["policy-summary"][1:-1]] == list(policies)


def test_formatting_helpers():
    nan = float("nan")
    assert v2g_report.fmt(nan) == v2g_report.fmt(float("inf")) == v2g_report.fmt(None) == "n/a"
    assert v2g_report.mean_sd_cell([nan, nan]) == "n/a"
    # As `v2g eval`'s table (common/text_format.h table_number): exact zeros as 0, the exponent
    # only where plain digits would be all zeros.
    assert [v2g_report.fmt(x) for x in (0.0, -3.9321, 164.7, 0.0012, 7.503e-05, 1.431e-08, 2.5e7)] == [
        "0", "-3.932", "164.7", "0.0012", "7.5e-05", "1.43e-08", "2.5e+07"]
    assert v2g_report.mean_sd_cell([0.0, 0.0]) == "0 ±\u00a00"
    assert v2g_report.mean_sd_cell([1.0, 3.0]) == "2 ±\u00a01"
    assert v2g_report.mean_sd_cell([1.0, nan, 3.0]) == "2 ±\u00a01 (2\u00a0of\u00a03\u00a0days)"
    # Paired by day: a day that is NaN on either side drops out of the mean of the differences.
    assert v2g_report.fault_delta([2.0, nan, 10.0], [1.0, 5.0, 4.0]) == pytest.approx(3.5)
    assert np.isnan(v2g_report.fault_delta([nan], [1.0]))


# ---------------------------------------------------------------- in a browser

def test_the_render_checker_catches_console_errors_and_broken_images(tmp_path):
    """The checker must be able to fail: a JS error, a console message, an image that does not
    decode and a page without the load handler are each reported; a clean page is not."""
    script = ("<script>window.addEventListener('load', function () { var imgs = document.images, ok = 0;"
              "for (var i = 0; i < imgs.length; i++) if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;"
              "document.body.setAttribute('data-render-check', 'images=' + ok + '/' + imgs.length + ' tables=' +"
              "document.getElementsByTagName('table').length); });</script>")
    good_png = open(v2g_report.plot.fig7_policy_map(write_fake_run(str(tmp_path / "r.h5"), episodes=3),
                                                   tmp_path / "png")[0], "rb").read()
    import base64
    good_img = '<img src="data:image/png;base64,' + base64.b64encode(good_png).decode() + '">'
    pages = {
        "clean": f"<html><body>{good_img}<table><tr><td>1</td></tr></table>{script}</body></html>",
        "broken_image": f'<html><body><img src="data:image/png;base64,AAAA">{good_img}<table></table>{script}</body></html>',
        "js_error": f"<html><body><table></table>{script}<script>undefined_function();</script></body></html>",
        "console": f"<html><body><table></table>{script}<script>console.error('boom');</script></body></html>",
        "no_handler": "<html><body><table></table></body></html>",
    }
    found = {}
    for name, page in pages.items():
        p = tmp_path / f"{name}.html"
        p.write_text(page)
        found[name] = render_problems(str(p), str(tmp_path / f"profile-{name}"))
    assert found["clean"] == [], found["clean"]
    assert found["broken_image"] == ["1 of 2 images did not decode"], found["broken_image"]
    assert any("Uncaught" in x and "undefined_function" in x for x in found["js_error"]), found["js_error"]
    assert any("boom" in x for x in found["console"]), found["console"]
    assert found["no_handler"] == ["no data-render-check on <body>: the page's load handler did not run"]


def test_report_renders_without_console_errors_and_with_every_image(evaluated, tmp_path):
    page = evaluated[1]
    parsed = Page(open(page, encoding="utf-8").read())
    # Learning (3 + energy), Figs. 7-9, the per-policy day, money by policy, the ledger.
    assert len(parsed.images) >= 10, len(parsed.images)
    assert {"run-header", "policy-summary", "metrics", "resilience", "fig9"} <= set(parsed.tables)
    assert render_problems(page, str(tmp_path / "profile")) == []


def test_report_screenshots_at_two_widths_show_the_score_on_top(evaluated, tmp_path):
    """The page at 1400 and 800 px: nothing wider than the window (tables scroll inside their
    own box), and the learned-vs-yardsticks score box is on the first screen. The screenshots
    stay in the test's directory (pytest --basetemp keeps them) for a person to look at."""
    page = evaluated[1]
    for width in SCREEN_WIDTHS_PX:
        assert render_problems(page, str(tmp_path / f"profile-{width}"), width_px=width) == []
        shot = screenshot(page, str(tmp_path / f"shot-{width}"), width, str(tmp_path / f"report-{width}px.png"))
        assert shot.shape == (SCREEN_HEIGHT_PX, width, 3), shot.shape
        assert shot.std() > 10, "the first screen is blank"
        score_box = np.all(np.abs(shot - np.array(SCORE_BOX_RGB)) <= 2, axis=2)
        assert score_box.sum() > 0.02 * shot.shape[0] * shot.shape[1], f"no score box on the first screen at {width} px"


def test_unevaluated_run_gets_the_training_part_and_a_note(tmp_path):
    path = str(tmp_path / "plain.h5")
    write_fake_run(path)
    r = cli("report", path, "--out", tmp_path / "rep")
    assert r.returncode == 0, r.stderr
    page_path = r.stdout.strip()
    page = open(page_path, encoding="utf-8").read()
    assert "has not been evaluated" in page and "v2g eval plain.h5" in page
    parsed = Page(page)
    assert set(parsed.tables) == {"run-header"}
    assert len(parsed.images) >= 5  # reward, epsilon, wall time, energy flows, Figs. 7-8, ledger
    assert "Fig. 7" in page and "Fig. 8" in page
    assert render_problems(page_path, str(tmp_path / "profile")) == []


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("case", ["missing", "not_hdf5", "truncated", "directory", "unwritable_out",
                                  "bad_metric_shape", "no_policies"])
def test_bad_input_exits_2_with_one_line(tmp_path, case):
    path, out = str(tmp_path / "run.h5"), str(tmp_path / "rep")
    if case != "missing":
        write_fake_run(path, episodes=5)
        fake_eval.write_fake_evaluation(path, days=2)
    if case == "not_hdf5":
        open(path, "w").write("not a results file\n")
    elif case == "truncated":
        data = open(path, "rb").read()
        open(path, "wb").write(data[: len(data) // 2])
    elif case == "directory":
        path = str(tmp_path)
    elif case == "unwritable_out":
        open(str(tmp_path / "file"), "w").write("x")
        out = str(tmp_path / "file" / "sub")
    elif case == "bad_metric_shape":
        with h5py.File(path, "r+") as f:
            del f["evaluation/metrics/peak_import_kw"]
            f["evaluation/metrics/peak_import_kw"] = np.zeros(3)
    elif case == "no_policies":
        with h5py.File(path, "r+") as f:
            del f["evaluation/policies"]
    r = cli("report", path, "--out", out)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("v2g: error: ") and "Traceback" not in r.stderr, r.stderr
    assert r.stdout == ""
    assert not os.path.exists(os.path.join(out, "report.html"))


def test_help_lists_the_report_command():
    r = cli("--help")
    assert r.returncode == 0 and "report" in r.stdout
    r = cli("report", "--help")
    assert r.returncode == 0 and "--out" in r.stdout
    r = cli("report")  # no file: argparse's error, as one line
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
