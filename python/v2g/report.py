"""`python3 -m v2g report RUN.h5 --out DIR`: one self-contained HTML page of a run.

Owns the page: run header, learning curves (over episodes and over wall time), the paper's
Figs. 7-9, a day of energy flows and prices per evaluated policy, the per-policy summary with
the DP bound, the metrics table (mean and spread over the evaluation days, with units and
definitions, docs/EVALUATION.md), the resilience table (each fault's change from the
fault-free days) and Fig. 9's initial-vs-enhanced table. Figures are PNGs embedded as data
URIs; CSS is inline; nothing is fetched, so the page opens offline. A small inline script
records on <body> how many images decoded and how many tables there are
(`data-render-check`), which the headless-browser tests read back.

Everything is generic over the policies (/evaluation/policies) and the metric names the file
holds: nothing here knows how many policies or metrics there are.

A run that `v2g eval` has not evaluated still gets a report (learning curves, Figs. 7-8, the
traced day) with a note saying how to add the rest.
"""

import base64
import html
import math
import os
import tempfile

import numpy as np

from . import plot
from .errors import ResultsError
from .run import Run

REPORT_NAME = "report.html"
# The resilience table's columns: the metrics whose change under a fault matters most.
RESILIENCE_METRICS = ("money_per_vehicle", "unmet_kwh_per_vehicle", "peak_import_kw", "departure_energy_met")
# The per-policy summary's columns (those the file holds; the full list is the metrics table).
SUMMARY_METRICS = ("money_per_vehicle", "unmet_kwh_per_vehicle", "departure_energy_met", "peak_import_kw",
                   "peak_reduction", "energy_efficiency")
# The metrics' order in the tables: docs/EVALUATION.md's for the documented ones (money first),
# then any other metric the file holds, by name (HDF5 lists a group's members by name).
METRIC_ORDER = ("money_per_vehicle", "energy_cost_per_vehicle", "revenue_per_vehicle", "degradation_cost_per_vehicle",
                "en_route_cost_per_vehicle", "unmet_kwh_per_vehicle", "departure_energy_met", "grid_import_kwh_per_vehicle",
                "grid_export_kwh_per_vehicle", "peak_import_kw", "peak_reduction", "energy_efficiency",
                "dr_import_kwh", "dr_import_reduction", "dr_export_kwh", "transaction_latency_hours",
                "transactions_per_vehicle", "en_route_kwh_per_vehicle", "curtailed_kwh_per_vehicle",
                "grid_limit_steps", "safety_overrides_per_vehicle")
MONEY = "money_per_vehicle"
OPTIMUM = "optimum_value_per_vehicle"
ORACLE_SET_MONEY = "oracle_set_money_per_vehicle"
ORACLE, LEARNED, RANDOM = "oracle_lp", "learned", "random"
NA = "n/a"

_CSS = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .85em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; vertical-align: top; }
th { background: #f2f2f2; white-space: normal; } td.name, th.name, td.text { text-align: left; }
td.text { color: #555; white-space: normal; min-width: 16em; }
td.name { white-space: normal; min-width: 12em; max-width: 20em; }
div.def { color: #666; font-size: .85em; } td.span { text-align: center; }
div.wide { overflow-x: auto; }
tr.bound td { background: #eef5ff; font-style: italic; }
.note { background: #fff6d5; border: 1px solid #e6c84f; padding: .6em 1em; }
img { max-width: 100%; display: block; margin: 1em 0; }
.small { color: #666; font-size: .85em; }
nav a { margin-right: 1em; }
"""

# Counts the images that decoded and the tables, and writes the result on <body>: the only way
# a headless browser's --dump-dom can tell the test what the page looked like once loaded.
_CHECK_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
  document.body.setAttribute('data-render-check',
    'images=' + ok + '/' + imgs.length + ' tables=' + document.getElementsByTagName('table').length);
});
"""


def _esc(x):
    return html.escape(str(x))


def fmt(x, spec=".4g"):
    """A number for the page; NaN, inf and non-numbers read "n/a"."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return NA
    return NA if not math.isfinite(x) else format(x, spec)


def spread(a):
    """(mean, sd, finite count, count) over the days (or vehicles). NaN days (e.g. a ratio whose
    reference was 0 that day) are left out rather than turning the whole cell into n/a."""
    a = np.ravel(np.asarray(a, float))
    good = a[np.isfinite(a)]
    if good.size == 0:
        return float("nan"), float("nan"), 0, a.size
    return float(good.mean()), float(good.std()), int(good.size), int(a.size)


def mean_sd_cell(a):
    """"mean ± sd" over the days, "(k of n days)" when some are NaN, "n/a" when all are."""
    m, s, k, n = spread(a)
    if k == 0:
        return NA
    # No-break spaces: a narrow page wraps a cell only before "±" and before the day count.
    return f"{fmt(m)} ±\u00a0{fmt(s, '.2g')}" + (f" ({k}\u00a0of\u00a0{n}\u00a0days)" if k < n else "")


def _img(path, alt):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


def _cell(value, cls=None, colspan=1):
    attrs = (f' class="{cls}"' if cls else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return f"<td{attrs}>{_esc(value)}</td>"


def _tr(cells, cls=None):
    """A row of cells made by _cell."""
    return (f'<tr class="{cls}">' if cls else "<tr>") + "".join(cells) + "</tr>"


def _th(title, name=False):
    # <wbr> after underscores: long metric names may break there rather than widen the table.
    cls = ' class="name"' if name else ""
    return f"<th{cls}>{_esc(title).replace('_', '_<wbr>')}</th>"


def _table(header, rows, table_id, name_columns=1):
    """header: column titles, or None; the first name_columns columns are names (left aligned).
    rows: lists of _cell strings, or a finished _tr string. Wrapped in a div that scrolls
    sideways should a table still be wider than the page."""
    head = "" if header is None else "<tr>" + "".join(_th(h, i < name_columns) for i, h in enumerate(header)) + "</tr>"
    body = "".join(r if isinstance(r, str) else _tr(r) for r in rows)
    return f'<div class="wide"><table id="{table_id}">{head}{body}</table></div>'


# ---------------------------------------------------------------- checks

def check_evaluation(run):
    """ResultsError naming the dataset when /evaluation's shapes disagree with its policy list
    and day count (docs/EVALUATION.md), so a damaged group is bad input, not a traceback."""
    ev = run.evaluation
    if ev is None:
        return
    where = f"{run.path}: /evaluation"
    policies = len(run.policies)
    if policies == 0:
        raise ResultsError(f"{where}/policies is missing or empty")
    days = run.evaluation_attrs.get("days")
    metrics = run.evaluation_metrics()
    if days is None and metrics:  # no attribute: the first metric says it (checked below)
        days = next(iter(metrics.values()))[0].shape[-1]
    try:
        days = int(days or 0)
    except (TypeError, ValueError):
        raise ResultsError(f"{where}: bad `days` attribute {days!r}") from None
    for fault in [None] + list(run.faults):
        for name, (values, _, _) in run.evaluation_metrics(fault).items():
            if values is None or values.shape != (policies, days):
                group = "metrics" if fault is None else f"faults/{fault}/metrics"
                raise ResultsError(f"{where}/{group}/{name} has shape {getattr(values, 'shape', None)}, "
                                   f"expected ({policies}, {days}) (policies, days)")
    day = run.evaluation_day()
    if day:
        steps = day["clock_hour"].shape[-1] if "clock_hour" in day else None
        for name, values in day.items():
            want = (days, steps) if values.ndim == 2 else (policies, days, steps)
            if steps is None or values.shape != want:
                raise ResultsError(f"{where}/day/{name} has shape {values.shape}, expected {want}")
    if OPTIMUM in ev and ev[OPTIMUM].shape != (days,):
        raise ResultsError(f"{where}/{OPTIMUM} has shape {ev[OPTIMUM].shape}, expected ({days},)")


# ---------------------------------------------------------------- figures made here

def learning_over_wall_time(run, out_dir, notes=None):
    """Mean reward per vehicle per day against the training's compute time, rebuilt from each
    episode's env-steps/s (an episode is vehicles x steps env-steps), so runs of different
    speed compare on the clock."""
    ep = run.episode_arrays
    rate = np.asarray(ep.get("env_steps_per_s", []), float)
    if not run.episodes_done or not np.any(rate > 0):
        plot._note(notes, "learning over wall time: skipped, no /episodes/env_steps_per_s to rebuild the clock from")
        return []
    steps = float(run.attrs.get("vehicles", 1)) * float(run.attrs.get("steps_per_episode", 1))
    seconds = np.cumsum(np.where(rate > 0, steps / np.maximum(rate, 1e-300), 0.0))
    fig, (a, b) = plot._figure(2, sharex=True)
    w = plot._window(run.episodes_done)
    a.plot(seconds, plot._smooth(ep["reward_mean"], w))
    a.set_ylabel(f"reward\n({run.currency}/vehicle/day)")
    a.set_title("learning curve over training time" + (f" (moving mean over {w} episodes)" if w > 1 else ""))
    b.plot(seconds, ep["epsilon"], color="C1")
    b.set_ylabel("epsilon")
    b.set_xlabel("training compute time (s, from env-steps/s)")
    fig.tight_layout()
    return plot._save(fig, out_dir, "learning_wall_time", False)


DAY_SERIES = ("clock_hour", "retail_price_per_kwh", "dr_event", "grid_import_kwh", "grid_export_kwh",
              "p2p_bought_kwh", "p2p_sold_kwh")


def policy_day_flows(run, out_dir, notes=None, day=0):
    """One panel per evaluated policy: the fleet's grid import/export and P2P per step of
    evaluation day `day`, with the retail price and the demand-response steps shaded. The
    panels share their energy axis so the policies compare at a glance."""
    d = run.evaluation_day()
    policies = run.policies
    missing = [n for n in DAY_SERIES if n not in d]
    if missing or not policies:
        plot._note(notes, "per-policy day flows: skipped, /evaluation/day lacks " + ", ".join(missing or ["policies"]))
        return []
    import matplotlib.pyplot as plt

    hours = d["clock_hour"][day]
    steps = np.arange(len(hours))
    price = d["retail_price_per_kwh"][day]
    dr = d["dr_event"][day] > 0
    fig, axes = plt.subplots(len(policies), 1, figsize=(10.0, 2.0 * len(policies) + 1.2), dpi=plot.DPI,
                             sharex=True, sharey=True, squeeze=False)
    for k, (name, a) in enumerate(zip(policies, axes[:, 0])):
        for t in steps[dr]:
            a.axvspan(t - 0.5, t + 0.5, color="red", alpha=0.1, lw=0)
        # The colours of plot.day_flows (the /day figure next to this one).
        a.bar(steps - 0.2, d["grid_import_kwh"][k, day], 0.4, color="C0", label="grid import")
        a.bar(steps - 0.2, -d["grid_export_kwh"][k, day], 0.4, color="C2", label="grid export")
        a.bar(steps + 0.2, d["p2p_bought_kwh"][k, day], 0.4, color="C1", label="P2P bought")
        a.bar(steps + 0.2, -d["p2p_sold_kwh"][k, day], 0.4, color="C3", label="P2P sold")
        a.axhline(0, color="black", lw=0.5)
        a.set_ylabel(f"{name}\nkWh/step", fontsize=8)
        b = a.twinx()
        b.step(steps, price, where="mid", color="black", lw=1, label="retail price")
        b.set_ylabel(f"{run.currency}\n/kWh", fontsize=8)
        if k == 0:
            a.legend(loc="upper left", fontsize=7, ncol=4)
            b.legend(loc="upper right", fontsize=7)
            a.set_title(f"evaluation day {day}: fleet energy per step by policy (out negative; red: demand-response steps)",
                        fontsize=10)
    tick = max(1, len(steps) // 12)
    axes[-1, 0].set_xticks(steps[::tick])
    axes[-1, 0].set_xticklabels([f"{h:g}" for h in hours[::tick]])
    axes[-1, 0].set_xlabel("clock hour")
    fig.tight_layout()
    return plot._save(fig, out_dir, "policy_day_flows", False)


def money_by_policy(run, out_dir, notes=None):
    """Money per vehicle per day and peak import by policy: mean over days, 1 sd error bars,
    with the DP value as a line."""
    metrics = run.evaluation_metrics()
    names = [n for n in (MONEY, "peak_import_kw") if n in metrics]
    if not names:
        return []
    policies = run.policies
    fig, axes = plot._figure(len(names), sharex=True)
    x = np.arange(len(policies))
    for axis, name in zip(axes, names):
        values, units, _ = metrics[name]
        stats = [spread(values[k]) for k in range(len(policies))]
        axis.bar(x, [s[0] for s in stats], yerr=[s[1] for s in stats], capsize=4)
        axis.set_ylabel(f"{name.replace('_', ' ')}\n({units})", fontsize=9)
    ev = run.evaluation
    if MONEY in names and OPTIMUM in ev and spread(ev[OPTIMUM])[2]:
        axes[0].axhline(spread(ev[OPTIMUM])[0], color="red", ls="--", label="DP value (plugged-in steps)")
        axes[0].legend(loc="best", fontsize=8)
    axes[-1].set_xticks(x)
    axes[-1].set_xticklabels(policies, fontsize=8)
    axes[0].set_title("evaluation: means over the days, 1 sd error bars")
    fig.tight_layout()
    return plot._save(fig, out_dir, "money_by_policy", False)


# ---------------------------------------------------------------- tables

def _optimum(run):
    """(units, "mean ± sd" cell, definition) of the DP bound, /evaluation/optimum_value_per_vehicle."""
    attrs = run.dataset_attrs(f"evaluation/{OPTIMUM}")
    return (run.money_units(attrs.get("units", "")), mean_sd_cell(run.evaluation[OPTIMUM]),
            attrs.get("definition") or "the dynamic-programming optimum's value, fleet mean")


def summary_table(run):
    """One row per policy with the headline metrics; the DP bound under the policies, in the
    money column (it is one value per day, not per policy)."""
    metrics = run.evaluation_metrics()
    names = [n for n in SUMMARY_METRICS if n in metrics] or ordered(metrics)[:6]
    rows = [[_cell(p, "name")] + [_cell(mean_sd_cell(metrics[n][0][k])) for n in names]
            for k, p in enumerate(run.policies)]
    if OPTIMUM in run.evaluation and MONEY in names:
        cell = _optimum(run)[1]
        rows.append(_tr([_cell(f"DP bound ({OPTIMUM})", "name")] +
                        [_cell(cell if n == MONEY else "") for n in names], "bound"))
    return _table(["policy"] + [f"{n} ({metrics[n][1]})" for n in names], rows, "policy-summary")


def score_paragraph(run):
    """The score (learned - random) / (oracle - random), as `v2g eval` prints it, from the
    money on the LP oracle's communities; "" for a file without the oracle (older files)."""
    ev, policies = run.evaluation, list(run.policies)
    if ORACLE_SET_MONEY not in ev or any(p not in policies for p in (ORACLE, LEARNED, RANDOM)):
        return ""
    money = np.asarray(ev[ORACLE_SET_MONEY], float)
    m = {p: spread(money[policies.index(p)])[0] for p in (ORACLE, LEARNED, RANDOM)}
    score = (m[LEARNED] - m[RANDOM]) / (m[ORACLE] - m[RANDOM]) if m[ORACLE] > m[RANDOM] else float("nan")
    a = run.evaluation_attrs
    best = max((p for p in ("charge_on_arrival", "time_of_use") if p in policies),
               key=lambda p: spread(run.evaluation_metrics()[MONEY][0][policies.index(p)])[0], default=None)
    versus = ""
    if best is not None:
        learned_money = spread(run.evaluation_metrics()[MONEY][0][policies.index(LEARNED)])[0]
        best_money = spread(run.evaluation_metrics()[MONEY][0][policies.index(best)])[0]
        versus = (f" Against the best rule-based yardstick, <code>{_esc(best)}</code>: {fmt(learned_money)} vs "
                  f"{fmt(best_money)} per vehicle-day ({'ahead' if learned_money >= best_money else 'behind'}).")
    return (f'<p class="score"><b>Score: {fmt(100 * score, ".1f")} %</b> of the way from random to the LP oracle: '
            f"(learned - random) / (oracle - random) of the money per vehicle-day on the oracle's "
            f"{_esc(a.get('oracle_communities', '?'))} communities ({_esc(a.get('oracle_vehicles', '?'))} vehicles): "
            f"learned {fmt(m[LEARNED])}, random {fmt(m[RANDOM])}, oracle {fmt(m[ORACLE])}.{versus}</p>")


def ordered(names):
    """Metric names in METRIC_ORDER, unknown ones after, by name."""
    rank = {n: i for i, n in enumerate(METRIC_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def _name_cell(name, definition):
    """A metric's name with its definition under it (one table, narrow enough for the page)."""
    return f'<td class="name">{_esc(name)}<div class="def">{_esc(definition)}</div></td>'


def metrics_table(run):
    """Every metric of /evaluation/metrics: its definition, unit, and mean ± sd over the days
    per policy; the DP bound right under money_per_vehicle, spanning the policy columns."""
    metrics = run.evaluation_metrics()
    policies = run.policies
    rows = []
    for name in ordered(metrics):
        values, units, definition = metrics[name]
        rows.append([_name_cell(name, definition or "see docs/EVALUATION.md"), _cell(units)] +
                    [_cell(mean_sd_cell(values[k])) for k in range(len(policies))])
        if name == MONEY and OPTIMUM in run.evaluation:
            units, cell, definition = _optimum(run)
            rows.append(_tr([_name_cell(f"DP bound ({OPTIMUM})", definition), _cell(units),
                             _cell(cell, "span", colspan=max(1, len(policies)))], "bound"))
    return _table(["metric", "unit"] + policies, rows, "metrics")


def fault_order(run):
    """The fault groups in the order of /evaluation's `faults` attribute (the order they ran),
    any others after (HDF5 lists a group's members by name)."""
    listed = [f for f in str(run.evaluation_attrs.get("faults", "")).split(",") if f]
    faults = run.faults
    return [f for f in listed if f in faults] + sorted(f for f in faults if f not in listed)


def fault_delta(fault_values, base_values):
    """Mean over the days of (fault - fault-free), pairing each day with itself; days where
    either is NaN are left out; NaN when none is left."""
    diff = np.asarray(fault_values, float) - np.asarray(base_values, float)
    diff = diff[np.isfinite(diff)]
    return float(diff.mean()) if diff.size else float("nan")


def resilience_table(run):
    """Per fault and policy, the change of the resilience metrics from the fault-free days."""
    base = run.evaluation_metrics()
    names = [n for n in RESILIENCE_METRICS if n in base]
    rows = []
    for fault in fault_order(run):
        metrics = run.evaluation_metrics(fault)
        for k, policy in enumerate(run.policies):
            rows.append([_cell(fault, "name"), _cell(policy, "name")] +
                        [_cell(fmt(fault_delta(metrics[n][0][k], base[n][0][k]), "+.4g") if n in metrics else NA)
                         for n in names])
    return _table(["fault", "policy"] + [f"Δ {n} ({base[n][1]})" for n in names], rows, "resilience", 2)


def fig9_table(run):
    """Fleet mean ± sd over the vehicles of each initial_X / enhanced_X pair."""
    ev = run.evaluation
    rows = []
    for what in plot.fig9_pairs(ev):
        ini, enh = spread(ev["initial_" + what]), spread(ev["enhanced_" + what])
        rows.append([_cell(what, "name"), _cell(run.units("evaluation/initial_" + what) or ""),
                     _cell(f"{fmt(ini[0])} ± {fmt(ini[1], '.2g')}"), _cell(f"{fmt(enh[0])} ± {fmt(enh[1], '.2g')}"),
                     _cell(fmt(enh[0] - ini[0], "+.4g"))])
    return _table(["per-vehicle index", "unit", "initial (untrained)", "enhanced (trained greedy)",
                   "enhanced - initial"], rows, "fig9")


# ---------------------------------------------------------------- the page

def _header_table(run):
    a = run.attrs
    rows = [
        ["run", a.get("run_name", "")],
        ["file", run.path],
        ["status", f"{run.status}: {run.episodes_done} of {run.episodes_planned} episodes"],
        ["fleet", f"{a.get('vehicles')} vehicles, {a.get('communities')} communities, "
                  f"{a.get('steps_per_episode')} steps per day"],
        ["device", f"{a.get('device')}: {a.get('backend')}"],
        ["v2g", f"{a.get('v2g_version')}, commit {a.get('git_commit')}, started {a.get('start_time')}"],
    ]
    e = run.evaluation_attrs
    if run.evaluation is not None:
        rows.append(["evaluation", f"{e.get('days', '?')} days from episode {e.get('first_episode', '?')}, "
                                   f"{len(run.policies)} policies, on {e.get('device', '?')}: {e.get('backend', '?')}; "
                                   f"faults: {', '.join(fault_order(run)) or 'none'}; created {e.get('created_utc', '?')}"])
    return _table(None, [[_cell(k, "name"), _cell(v, "text")] for k, v in rows], "run-header")


def write_report(run_or_path, out_dir):
    """Writes OUT_DIR/report.html and returns its path. Raises FileNotFoundError/ResultsError
    for a bad file and OSError for an unwritable directory (before any figure is drawn)."""
    run = run_or_path if isinstance(run_or_path, Run) else Run(run_or_path)
    out_dir = plot.prepare_out_dir(out_dir)
    check_evaluation(run)
    notes = []
    a = run.attrs
    evaluated = run.evaluation is not None
    title = f"v2g run report: {a.get('run_name', '')}"
    parts = [f"<h1>{_esc(title)}</h1>", _header_table(run)]
    sections = [("learning", "Learning"), ("paper", "The paper's figures"), ("day", "A day")]
    if evaluated:
        sections += [("evaluation", "Evaluation")] + ([("resilience", "Resilience")] if run.faults else [])
    parts.append("<nav>" + "".join(f'<a href="#{i}">{_esc(t)}</a>' for i, t in sections) + "</nav>")
    if not evaluated:
        parts.append('<p class="note">This run has not been evaluated: <code>v2g eval '
                     f'{_esc(os.path.basename(run.path))}</code> adds the yardstick policies, the metrics table, '
                     "the DP bound, the resilience table and Fig. 9 to this report.</p>")

    with tempfile.TemporaryDirectory() as tmp:  # figures live only until they are embedded
        def figs(fn, title, *args):
            paths = [p for p in fn(run, tmp, *args, notes=notes) if p.endswith(".png")]
            if paths:
                parts.append(f"<h3>{_esc(title)}</h3>" + "".join(_img(p, title) for p in paths))

        parts.append('<h2 id="learning">Learning</h2>')
        figs(plot.reward_curve, "Reward per vehicle per day over the episodes")
        figs(plot.epsilon_curve, "Exploration rate")
        figs(learning_over_wall_time, "Reward and exploration over training time")
        figs(plot.energy_flows, "Energy flows per episode")
        parts.append('<h2 id="paper">The paper\'s figures</h2>')
        figs(plot.fig7_q_heatmap, "Fig. 7: Q-values per action")
        figs(plot.fig8_final_battery, "Fig. 8: final battery state")
        if evaluated:
            figs(plot.fig9_battery_performance, "Fig. 9: initial vs enhanced battery performance")
            if plot.fig9_pairs(run.evaluation):
                parts.append("<p>Fig. 9 in numbers: fleet mean ± sd over the vehicles, under the untrained "
                             "(<code>initial</code>) and the trained (<code>learned</code>) policy.</p>" + fig9_table(run))
        parts.append('<h2 id="day">A day of energy flows and prices</h2>')
        if evaluated:
            figs(policy_day_flows, "Per policy, evaluation day 0")
        figs(plot.day_flows, "The trained policy on the day after training (/day)")
        if evaluated:
            parts.append('<h2 id="evaluation">Evaluation: policies on the same held-out days</h2>')
            parts.append("<p>Means ± sd over the evaluation days. <code>oracle_lp</code> is the perfect-foresight "
                         "optimum of each community-day (a linear programme: the upper bound every policy is "
                         "scored against); the DP bound is the single-vehicle dynamic programme's value of the "
                         "plugged-in steps, a cross-check. Definitions: docs/EVALUATION.md.</p>")
            parts.append(score_paragraph(run))
            parts.append(summary_table(run))
            figs(money_by_policy, "Money and peak import by policy")
            parts.append("<h3>Every metric</h3>" + metrics_table(run))
            if run.faults:
                parts.append('<h2 id="resilience">Resilience: change under each fault from the fault-free days</h2>'
                             "<p>Fault minus fault-free, mean over the same days.</p><ul>" +
                             "".join(f"<li><b>{_esc(f)}</b>: {_esc(run.faults[f])}</li>" for f in fault_order(run)) +
                             "</ul>" + resilience_table(run))
        figs(plot.ledger_activity, "Ledger")
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_esc(title)}</title><style>{_CSS}</style></head>"
            f"<body>{''.join(parts)}<p class=\"small\">written by python3 -m v2g report</p>"
            f"<script>{_CHECK_SCRIPT}</script></body></html>\n")
    path = os.path.join(out_dir, REPORT_NAME)
    tmp_path = path + ".tmp"
    with open(tmp_path, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp_path, path)  # never a half-written report
    return path
