"""`python3 -m v2g report RUN.h5 --out DIR`: one self-contained HTML page of a run.

Owns what the page shows: the run header; on top, the learned policy against the best
yardstick with the score; learning curves (over episodes and over wall time), the paper's
Figs. 7-9, a day of energy flows and prices per evaluated policy, the per-policy summary with
the DP bound, the metrics table (mean and spread over the evaluation days, with units and
definitions, docs/EVALUATION.md), the resilience table (each fault's change from the
fault-free days) and Fig. 9's initial-vs-enhanced table. How it reads is the Jinja2 template
templates/report.html (v2g/page.py: embedded PNGs, inline CSS, nothing fetched, so the page
opens offline; the load handler the headless-browser tests read back).

Everything is generic over the policies (/evaluation/policies) and the metric names the file
holds: nothing here knows how many policies or metrics there are.

A run that `v2g eval` has not evaluated still gets a report (learning curves, Figs. 7-8, the
traced day) with a note saying how to add the rest.
"""

import math
import os
import tempfile

import numpy as np

from . import page, plot
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

# Plain digits from here to there; the exponent only outside, where plain digits would be all
# zeros or too wide (as `v2g eval`'s table_number, common/text_format.h).
PLAIN_NOTATION = (1e-3, 1e6)


def fmt(x, spec=None):
    """A number for the page; NaN, inf and non-numbers read "n/a". With no spec: an exact zero
    is "0", four significant digits in plain notation within PLAIN_NOTATION, else "%.3g"."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return NA
    if not math.isfinite(x):
        return NA
    if spec is not None:
        return format(x, spec)
    if x == 0:
        return "0"
    if PLAIN_NOTATION[0] <= abs(x) < PLAIN_NOTATION[1]:
        digits = max(0, 3 - math.floor(math.log10(abs(x))))
        text = f"{x:.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return format(x, ".3g")


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


_cell, _table = page.cell, page.table


def _name_cell(name, definition):
    """A metric's name with its definition under it (one table, narrow enough for the page)."""
    return page.cell(name, "name", definition=definition)


# ---------------------------------------------------------------- checks

def check_evaluation(run):
    """ResultsError naming the dataset when /evaluation's shapes disagree with its policy list
    and day count (docs/EVALUATION.md), so a damaged group is bad input, not a traceback."""
    ev = run.evaluation_arrays
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
    b.set_ylabel("epsilon\n(probability)")
    b.set_xlabel("training compute time (s, from env-steps/s)")
    fig.tight_layout()
    return plot._save(fig, out_dir, "learning_wall_time", plot.DEFAULT_FORMATS)


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
        a.set_ylabel(f"{name}\n(kWh/step)", fontsize=8)
        b = a.twinx()
        b.step(steps, price, where="mid", color="black", lw=1, label="retail price")
        b.set_ylabel(f"price\n({run.currency}/kWh)", fontsize=8)
        if k == 0:
            plot._legend_outside(a, fontsize=7, twin=b)
            a.set_title(f"evaluation day {day}: fleet energy per step by policy (out negative; red: demand-response steps)",
                        fontsize=10)
    tick = max(1, len(steps) // 12)
    axes[-1, 0].set_xticks(steps[::tick])
    axes[-1, 0].set_xticklabels([f"{h:g}" for h in hours[::tick]])
    axes[-1, 0].set_xlabel("clock hour (h)")
    fig.tight_layout()
    return plot._save(fig, out_dir, "policy_day_flows", plot.DEFAULT_FORMATS)


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
    ev = run.evaluation_arrays
    if MONEY in names and OPTIMUM in ev and spread(ev[OPTIMUM])[2]:
        axes[0].axhline(spread(ev[OPTIMUM])[0], color="red", ls="--", label="DP value (plugged-in steps)")
        plot._legend_outside(axes[0])
    axes[-1].set_xticks(x)
    axes[-1].set_xticklabels(policies, fontsize=8)
    axes[0].set_title("evaluation: means over the days, 1 sd error bars")
    fig.tight_layout()
    return plot._save(fig, out_dir, "money_by_policy", plot.DEFAULT_FORMATS)


# ---------------------------------------------------------------- tables

def _optimum(run):
    """(units, "mean ± sd" cell, definition) of the DP bound, /evaluation/optimum_value_per_vehicle."""
    attrs = run.dataset_attrs(f"evaluation/{OPTIMUM}")
    return (run.money_units(attrs.get("units", "")), mean_sd_cell(run.evaluation_arrays[OPTIMUM]),
            attrs.get("definition") or "the dynamic-programming optimum's value, fleet mean")


def summary_table(run):
    """One row per policy with the headline metrics; the DP bound under the policies, in the
    money column (it is one value per day, not per policy)."""
    metrics = run.evaluation_metrics()
    names = [n for n in SUMMARY_METRICS if n in metrics] or ordered(metrics)[:6]
    rows = [[_cell(p, "name")] + [_cell(mean_sd_cell(metrics[n][0][k])) for n in names]
            for k, p in enumerate(run.policies)]
    if OPTIMUM in run.evaluation_arrays and MONEY in names:
        cell = _optimum(run)[1]
        rows.append(page.Row([_cell(f"DP bound ({OPTIMUM})", "name")] +
                             [_cell(cell if n == MONEY else "") for n in names], "bound"))
    return _table(["policy"] + [f"{n} ({metrics[n][1]})" for n in names], rows, "policy-summary")


def score_summary(run):
    """The learned policy against the yardsticks, for the top of the page: its money per
    vehicle-day and the best rule-based yardstick's (charge on arrival or time of use), its
    departure energy met, and the score (learned - random) / (oracle - random) of the money on
    the LP oracle's communities, as `v2g eval` prints it. None for a file without the oracle
    (older files) or without the learned, random and oracle policies."""
    ev, policies = run.evaluation_arrays, list(run.policies)
    if ORACLE_SET_MONEY not in ev or any(p not in policies for p in (ORACLE, LEARNED, RANDOM)):
        return None
    oracle_set = np.asarray(ev[ORACLE_SET_MONEY], float)
    m = {p: spread(oracle_set[policies.index(p)])[0] for p in (ORACLE, LEARNED, RANDOM)}
    score = (m[LEARNED] - m[RANDOM]) / (m[ORACLE] - m[RANDOM]) if m[ORACLE] > m[RANDOM] else float("nan")
    metrics = run.evaluation_metrics()
    money = {p: spread(metrics[MONEY][0][k])[0] for k, p in enumerate(policies)}
    yardsticks = [p for p in ("charge_on_arrival", "time_of_use") if p in policies]
    best = max(yardsticks, key=lambda p: money[p], default=None)
    met = metrics.get("departure_energy_met")
    a = run.evaluation_attrs
    return {"learned": fmt(money[LEARNED]), "best": best or "no rule-based yardstick",
            "best_money": fmt(money[best]) if best else NA, "ahead": best is None or money[LEARNED] >= money[best],
            "met": (fmt(100 * spread(met[0][policies.index(LEARNED)])[0], ".1f") + " %") if met else NA,
            "percent": NA if not math.isfinite(score) else fmt(100 * score, ".1f") + " %",
            "oracle_set": {"learned": fmt(m[LEARNED]), "random": fmt(m[RANDOM]), "oracle": fmt(m[ORACLE])},
            "communities": _count(a.get("oracle_communities"), "community", "communities"),
            "vehicles": _count(a.get("oracle_vehicles"), "vehicle", "vehicles")}


def _count(n, one, many):
    """ "1 community", "3 communities", "? communities" (an attribute the file lacks)."""
    return f"{n} {one if str(n) == '1' else many}" if n is not None else f"? {many}"


def ordered(names):
    """Metric names in METRIC_ORDER, unknown ones after, by name."""
    rank = {n: i for i, n in enumerate(METRIC_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


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
        if name == MONEY and OPTIMUM in run.evaluation_arrays:
            units, cell, definition = _optimum(run)
            rows.append(page.Row([_name_cell(f"DP bound ({OPTIMUM})", definition), _cell(units),
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
    ev = run.evaluation_arrays
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
        ["fleet", f"{_count(a.get('vehicles'), 'vehicle', 'vehicles')}, {_count(a.get('communities'), 'community', 'communities')}, "
                  f"{a.get('steps_per_episode')} steps per day"],
        ["device", f"{a.get('device')}: {a.get('backend')}"],
        ["v2g", f"{a.get('v2g_version')}, commit {a.get('git_commit')}, started {a.get('start_time')}"],
    ]
    e = run.evaluation_attrs
    if run.evaluated:
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
    evaluated = run.evaluated
    drawn = [("reward", plot.reward_curve, "Reward per vehicle per day over the episodes"),
             ("epsilon", plot.epsilon_curve, "Exploration rate"),
             ("wall_time", learning_over_wall_time, "Reward and exploration over training time"),
             ("energy_flows", plot.energy_flows, "Energy flows per episode"),
             ("fig7", plot.fig7_policy_map, "Fig. 7: the learned policy per state"),
             ("fig8", plot.fig8_final_battery, "Fig. 8: final battery state")]
    if evaluated:
        drawn += [("fig9", plot.fig9_battery_performance, "Fig. 9: initial vs enhanced battery performance"),
                  ("policy_day", policy_day_flows, "Per policy, evaluation day 0")]
    drawn.append(("day", plot.day_flows, "The trained policy on the day after training (/day)"))
    if evaluated:
        drawn.append(("money", money_by_policy, "Money and peak import by policy"))
    drawn.append(("ledger", plot.ledger_activity, "Ledger"))
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:  # figures live only until they are embedded
        for key, fn, title in drawn:
            figures[key] = page.figure(fn(run, tmp, notes=notes), title)
    sections = [("learning", "Learning"), ("paper", "The paper's figures"), ("day", "A day")]
    context = {"title": f"v2g run report: {run.attrs.get('run_name', '')}", "command": "report",
               "header": _header_table(run), "evaluated": evaluated, "file_name": os.path.basename(run.path),
               "figures": figures, "notes": notes, "score": None, "faults": []}
    if evaluated:
        sections += [("evaluation", "Evaluation")] + ([("resilience", "Resilience")] if run.faults else [])
        context.update(score=score_summary(run), money_units=run.money_units("currency/vehicle/day"),
                       days=run.evaluation_attrs.get("days", "?"), summary=summary_table(run),
                       metrics=metrics_table(run), fig9=fig9_table(run) if plot.fig9_pairs(run.evaluation_arrays) else None,
                       faults=[(f, run.faults[f]) for f in fault_order(run)],
                       resilience=resilience_table(run) if run.faults else None)
    context["sections"] = sections
    return page.write(os.path.join(out_dir, REPORT_NAME), page.render("report.html", **context))
