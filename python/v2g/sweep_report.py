"""`python3 -m v2g sweep-report SWEEP.h5 --out DIR`: what a sweep found (docs/SWEEPS.md).

Owns the analysis of a sweep file (`v2g sweep`, or `v2g merge` over shards):
  - the ranking: configurations (the swept values other than run.seed) by one metric of the
    runs table, higher is better (lower with --minimize), each the mean over its seeds with a
    95 % confidence interval of that mean (mean_interval); printed, DIR/ranking.csv;
  - each swept parameter's effect: for every value of the parameter, the metric averaged over
    the configurations with that value, per seed; the point is the mean over the seeds and the
    error bar one standard deviation over the seeds (population, ddof=0, as the run report's
    spreads); DIR/effect_PARAMETER.png, DIR/effects.csv;
  - the best configuration as a ready config file, DIR/best.toml: the effective config of its
    first seed's run (/config/effective_toml of the run's results file: the base config with
    [set], the variant's and the swept values applied), with a header naming the sweep;
  - DIR/sweep_report.html: all of it on one self-contained page (templates/sweep_report.html,
    v2g/page.py).
Only runs with status done count; pending runs (an unfinished sweep) are counted on the
page and left out, as are the rows of shards a merged file does not have.
"""

import csv
import os
import re

import numpy as np

from . import page, plot, report
from .errors import ResultsError
from .run import Run
from .sweep import Sweep

REPORT_NAME = "sweep_report.html"
BEST_NAME = "best.toml"
RANKING_NAME = "ranking.csv"
EFFECTS_NAME = "effects.csv"
SEED_KEY = "run.seed"
DONE = "done"
# The default metric: the evaluated money when the sweep ran `v2g eval` on each run (the
# quantity the paper optimises, on held-out days), else the training reward of the last episodes.
EVALUATED_METRIC = "learned_money_per_vehicle"
TRAINING_METRIC = "reward_last"
STDOUT_ROWS = 20    # the printed ranking; ranking.csv and the page hold every configuration
PAGE_ROWS = 200     # the page's ranking table: beyond this a long random sweep only adds scroll
ERROR_BARS = "± one standard deviation over the seeds (population, ddof=0)"
VALUE_FORMAT = ".6g"
MIN_SEEDS_FOR_SPREAD = 2
# The 95 % confidence interval of a mean over seeds: Student's t with n - 1 degrees of freedom
# for 2 to 4 seeds, a percentile bootstrap from 5 on (where it no longer needs the normality a
# t-interval assumes). t(0.975, df) for df = 1..4, from the standard table (NIST/SEMATECH
# e-Handbook of Statistical Methods, 1.3.6.7.2).
CONFIDENCE = 0.95
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776}
MIN_SEEDS_FOR_BOOTSTRAP = 5
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0   # the same file gives the same intervals
INTERVALS = ("95 % confidence interval of the mean over the seeds: Student's t (ddof = 1) for 2-4 seeds, "
             "a percentile bootstrap (10,000 resamples) from 5")
DISTRIBUTIONS = ("uniform", "log_uniform", "int", "choice")   # [random] key = { KIND = [...] }
LOG_DISTRIBUTION = "log_uniform"   # [random] keys sampled on a log scale are plotted on one


def mean_interval(values):
    """(low, high) of the 95 % confidence interval of the mean of the finite `values` (NaN with
    fewer than two): Student's t, mean +- t(0.975, n - 1) sd / sqrt(n) with sd of ddof = 1, for
    2-4 values; the 2.5 and 97.5 percentiles of the means of resamples with replacement from 5."""
    good = np.asarray(values, float)
    good = good[np.isfinite(good)]
    n = good.size
    if n < MIN_SEEDS_FOR_SPREAD:
        return float("nan"), float("nan")
    if n < MIN_SEEDS_FOR_BOOTSTRAP:
        half = T_975[n - 1] * good.std(ddof=1) / np.sqrt(n)
        return float(good.mean() - half), float(good.mean() + half)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    means = good[rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))].mean(axis=1)
    tail = (1.0 - CONFIDENCE) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


class Configuration:
    """One configuration: its runs (one per seed) and the metric's spread over them."""

    def __init__(self, values, ids, seeds, metric_values):
        self.values = values                  # {parameter: value}, the swept keys but run.seed
        self.ids = ids                        # its runs' ids, in sweep order
        self.seeds = seeds                    # their seeds (None when seeds were not swept)
        self.metric_values = np.asarray(metric_values, float)
        self.mean, self.sd, self.finite, _ = report.spread(self.metric_values)
        if self.finite < MIN_SEEDS_FOR_SPREAD:
            self.sd = float("nan")  # one seed has no spread: "n/a", not a reassuring 0
        good = self.metric_values[np.isfinite(self.metric_values)]
        self.min = float(good.min()) if good.size else float("nan")
        self.max = float(good.max()) if good.size else float("nan")
        self.ci_low, self.ci_high = mean_interval(self.metric_values)

    @property
    def id(self):
        """The configuration's name: its first run's id."""
        return self.ids[0]


def default_metric(sweep):
    return EVALUATED_METRIC if sweep.evaluate and EVALUATED_METRIC in sweep.metrics else TRAINING_METRIC


def check_metric(sweep, metric):
    if metric not in sweep.metrics:
        raise ResultsError(f"--metric {metric}: not a metric of {sweep.path} (its metrics: {', '.join(sweep.metrics)})")
    return metric


def swept_keys(sweep):
    """The parameters that tell configurations apart: every swept key but the seed."""
    return [p for p in sweep.parameters if p != SEED_KEY]


def done_runs(sweep):
    runs = sweep.runs[sweep.runs["status"] == DONE]
    if runs.empty:
        raise ResultsError(f"{sweep.path}: no run has finished yet (no row with status done): nothing to rank")
    return runs


def configurations(sweep, metric):
    """The configurations of the finished runs, in the order of their first run."""
    keys = swept_keys(sweep)
    seeded = SEED_KEY in sweep.parameters
    groups = {}
    for r in done_runs(sweep).to_dict("records"):
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rows in groups.items():
        out.append(Configuration(dict(zip(keys, key)), [r["id"] for r in rows],
                                 [r[SEED_KEY] for r in rows] if seeded else None, [r[metric] for r in rows]))
    return out


def ranking(configs, minimize=False):
    """Best first: by the mean over seeds, higher is better (lower with `minimize`);
    configurations with no finite value last; ties in sweep order."""
    sign = 1.0 if minimize else -1.0
    return sorted(configs, key=lambda c: (c.finite == 0, sign * c.mean if c.finite else 0.0))


def better_text(minimize):
    return "lower is better" if minimize else "higher is better"


def effects(sweep, metric, parameter):
    """One row per value of `parameter`: {value, mean, sd, min, max, seeds, configurations}.

    For each seed, the metric's mean over the finished runs with that value and that seed (the
    other parameters varying); mean/sd/min/max are over those per-seed means. Without swept
    seeds there is one "seed" and no spread. Values: numbers ascending, strings as they come."""
    runs = done_runs(sweep)
    seeded = SEED_KEY in sweep.parameters
    column = runs[parameter]
    values = sorted(column.unique()) if column.dtype.kind == "f" else list(dict.fromkeys(column))
    others = [k for k in swept_keys(sweep) if k != parameter]
    rows = []
    for v in values:
        sel = runs[column == v]
        per_seed = [float(np.nanmean(g[metric])) if np.isfinite(g[metric]).any() else float("nan")
                    for _, g in (sel.groupby(SEED_KEY, sort=True) if seeded else [(None, sel)])]
        mean, sd, finite, _ = report.spread(per_seed)
        if finite < MIN_SEEDS_FOR_SPREAD:
            sd = float("nan")
        good = np.asarray(per_seed)[np.isfinite(per_seed)]
        low, high = mean_interval(per_seed)
        rows.append(dict(value=v, mean=mean, sd=sd, min=float(good.min()) if good.size else float("nan"),
                         max=float(good.max()) if good.size else float("nan"), ci_low=low, ci_high=high,
                         seeds=finite, configurations=len(sel.drop_duplicates(others)) if others else 1))
    return rows


def _is_distribution(v):
    return isinstance(v, dict) and len(v) == 1 and next(iter(v)) in DISTRIBUTIONS


def _flat(table, prefix=""):
    """A sweep table's leaves as dotted keys ("learning.alpha" and learning.alpha alike), a
    [random] distribution being a leaf (as run/sweep.cpp reads them)."""
    out = {}
    for k, v in table.items():
        if isinstance(v, dict) and not _is_distribution(v):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def log_scaled(sweep):
    """The [random] keys sampled log-uniformly: their effect is plotted on a log axis."""
    random = _flat(sweep.sweep.get("random", {}))
    return {k for k, v in random.items() if _is_distribution(v) and LOG_DISTRIBUTION in v}


def value_text(v):
    return format(v, VALUE_FORMAT) if isinstance(v, (float, np.floating)) else str(v)


def _file_part(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def effect_figure(sweep, metric, parameter, rows, out_dir, seeded):
    fig, (ax,) = plot._figure(1)
    numeric = all(isinstance(r["value"], (float, np.floating)) for r in rows)
    x = [r["value"] for r in rows] if numeric else list(range(len(rows)))
    y = [r["mean"] for r in rows]
    yerr = [r["sd"] for r in rows] if seeded else None
    ax.errorbar(x, y, yerr=yerr, fmt="o-" if numeric else "o", capsize=4)
    if not numeric:
        ax.set_xticks(x, [str(r["value"]) for r in rows])
        ax.set_xlim(-0.5, len(rows) - 0.5)
    elif parameter in log_scaled(sweep):
        ax.set_xscale("log")
    ax.set_xlabel(parameter)
    ax.set_ylabel(f"{metric}\n(mean over the other parameters)")
    bars = f"error bars: {ERROR_BARS}" if seeded else "one seed: no error bars"
    ax.set_title(f"{parameter}: effect on {metric}\n{bars}", fontsize=10)
    ax.grid(alpha=0.3)
    return plot._save(fig, out_dir, "effect_" + _file_part(parameter), plot.DEFAULT_FORMATS)


def best_config_text(sweep, best, metric, minimize=False):
    """The best configuration's ready config file: its first run's effective config."""
    rid = best.id
    try:
        path = sweep.run_path(rid)
    except KeyError:
        raise ResultsError(f"{sweep.path}: run {rid} has no results file linked (/run/{rid})") from None
    with Run(path) as run:
        text = run.config_text
    if not text.strip():
        raise ResultsError(f"{path}: /config/effective_toml is missing or empty")
    swept = ", ".join(f"{k} = {value_text(v)}" for k, v in best.values.items()) or "the base config"
    seeds = (f"mean over {best.finite} seeds ({', '.join(value_text(s) for s in best.seeds)}), "
             f"sd {report.fmt(best.sd, '.3g')}; run.seed below is {value_text(best.seeds[0])}, that of {rid}"
             if best.seeds is not None else f"run {rid}")
    header = (f"# {BEST_NAME}: the best configuration of sweep '{sweep.name}' ({os.path.basename(sweep.path)}) by "
              f"{metric} ({better_text(minimize)})\n"
              f"# configuration {rid}: {swept}\n"
              f"# {metric} = {report.fmt(best.mean, '.6g')}: {seeds}\n"
              f"# The effective config of {rid}'s run (/config/effective_toml): the sweep's base config with its\n"
              f"# [set] and swept values applied. Train it with: v2g train {BEST_NAME}\n\n")
    return header + text


def _write_csv(path, header, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)


def _write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)  # never half a file


def interval_text(low, high):
    return "n/a" if not np.isfinite(low) else f"[{report.fmt(low, '.4g')}, {report.fmt(high, '.4g')}]"


def ranking_lines(ranked, keys, metric, limit):
    """The ranking as aligned text lines (the first `limit` configurations)."""
    head = ["rank", "id", *keys, metric, "95% CI", "sd", "seeds"]
    body = [[str(i + 1), c.id, *(value_text(c.values[k]) for k in keys), report.fmt(c.mean, ".6g"),
             interval_text(c.ci_low, c.ci_high), report.fmt(c.sd, ".3g"), str(c.finite)]
            for i, c in enumerate(ranked[:limit])]
    widths = [max(len(r[j]) for r in [head] + body) for j in range(len(head))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in [head] + body]


def _html(sweep, metric, ranked, keys, effect_rows, figures, best_text, counts, minimize=False):
    """The page (templates/sweep_report.html) of a sweep's ranking, effects and best config."""
    cell = page.cell
    seeded = SEED_KEY in sweep.parameters
    missing = sweep.attrs.get("missing_shards", "")
    header = [("sweep", f"{sweep.name} ({sweep.path}; {sweep.attrs.get('kind')})"),
              ("configurations", f"{len(ranked)} ranked from {counts['done']} finished runs of {counts['rows']} in the "
                                 f"table" + (f"; {counts['rows'] - counts['done']} not finished, left out"
                                             if counts["rows"] > counts["done"] else "")),
              ("swept", ", ".join(sweep.parameters) or "nothing"),
              ("metric", f"{metric}, {better_text(minimize)}; per configuration the mean over its seeds"),
              ("error bars", ERROR_BARS if seeded else "no seeds swept: none"),
              ("95% CI", INTERVALS if seeded else "no seeds swept: none")]
    if missing:
        header.append(("missing shards", f"{missing} (merged without them; merge again when they are done)"))
    shown = ranked[:PAGE_ROWS]
    rows = [[cell(i + 1), cell(c.id, "name"), *(cell(value_text(c.values[k]), "name") for k in keys),
             cell(report.fmt(c.mean)), cell(interval_text(c.ci_low, c.ci_high), "text"), cell(report.fmt(c.sd, ".2g")),
             cell(report.fmt(c.min)), cell(report.fmt(c.max)), cell(c.finite), cell(" ".join(c.ids), "text")]
            for i, c in enumerate(shown)]
    effects = [(page.figure(figures[k], k), page.table(
        [k, "mean", "95% CI", "sd", "min", "max", "seeds", "configurations"],
        [[cell(value_text(r["value"]), "name"), cell(report.fmt(r["mean"])),
          cell(interval_text(r["ci_low"], r["ci_high"]), "text"), cell(report.fmt(r["sd"], ".2g")),
          cell(report.fmt(r["min"])), cell(report.fmt(r["max"])), cell(r["seeds"]), cell(r["configurations"])]
         for r in effect_rows[k]], "effect-" + _file_part(k))) for k in keys]
    return page.render(
        "sweep_report.html", title=f"v2g sweep report: {sweep.name}", command="sweep-report",
        header=page.table(None, [[cell(k, "name"), cell(v, "text")] for k, v in header], "sweep-header"),
        ranking=page.table(["rank", "id", *keys, metric, "95% CI", "sd", "min", "max", "seeds", "runs"], rows,
                           "ranking", name_columns=2 + len(keys)),
        shown=len(shown), ranked=len(ranked), ranking_file=RANKING_NAME, metric=metric, seeded=seeded,
        error_bars=ERROR_BARS, effects=effects, best_name=BEST_NAME, best_text=best_text)


def write_sweep_report(path, out_dir, metric=None, minimize=False):
    """Writes DIR/ranking.csv, effects.csv, effect_*.png, best.toml and sweep_report.html, the
    best configuration the one with the highest mean metric (the lowest with `minimize`).
    Returns (ranking lines for stdout, {name: path}). Raises FileNotFoundError/ResultsError for
    a bad file or metric and OSError for an unwritable directory, before anything is written."""
    sweep = Sweep(path)
    metric = check_metric(sweep, metric or default_metric(sweep))
    configs = ranking(configurations(sweep, metric), minimize)
    if configs[0].finite == 0:
        raise ResultsError(f"{sweep.path}: no finished run has a value of {metric}")
    keys = swept_keys(sweep)
    best_text = best_config_text(sweep, configs[0], metric, minimize)
    out_dir = plot.prepare_out_dir(out_dir)
    seeded = SEED_KEY in sweep.parameters
    paths = {}

    paths["ranking"] = os.path.join(out_dir, RANKING_NAME)
    _write_csv(paths["ranking"], ["rank", "id", "runs", *keys, metric, "sd", "min", "max", "seeds", "ci_low", "ci_high"],
               [[i + 1, c.id, " ".join(c.ids), *(c.values[k] for k in keys), c.mean, c.sd, c.min, c.max, c.finite,
                 c.ci_low, c.ci_high] for i, c in enumerate(configs)])
    effect_rows = {k: effects(sweep, metric, k) for k in keys}
    paths["effects"] = os.path.join(out_dir, EFFECTS_NAME)
    _write_csv(paths["effects"], ["parameter", "value", "mean", "sd", "min", "max", "seeds", "configurations",
                                  "ci_low", "ci_high"],
               [[k, r["value"], r["mean"], r["sd"], r["min"], r["max"], r["seeds"], r["configurations"], r["ci_low"],
                 r["ci_high"]] for k in keys for r in effect_rows[k]])
    figures = {k: effect_figure(sweep, metric, k, effect_rows[k], out_dir, seeded) for k in keys}
    paths["best"] = os.path.join(out_dir, BEST_NAME)
    _write_text(paths["best"], best_text)
    counts = {"rows": len(sweep.runs), "done": int((sweep.runs["status"] == DONE).sum())}
    paths["report"] = os.path.join(out_dir, REPORT_NAME)
    _write_text(paths["report"], _html(sweep, metric, configs, keys, effect_rows, figures, best_text, counts, minimize))

    lines = [f"sweep-report   {sweep.name}: {len(configs)} configurations from {counts['done']} finished runs; "
             f"{metric}, {better_text(minimize)}" + (", mean over seeds" if seeded else "")]
    lines += ranking_lines(configs, keys, metric, STDOUT_ROWS)
    if len(configs) > STDOUT_ROWS:
        lines.append(f"... {len(configs) - STDOUT_ROWS} more in {paths['ranking']}")
    best = configs[0]
    lines.append(f"best           {best.id} ({', '.join(f'{k}={value_text(v)}' for k, v in best.values.items())}) "
                 f"-> {paths['best']}")
    lines.append(f"report         {paths['report']}")
    return lines, paths
