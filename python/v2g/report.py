"""`python3 -m v2g report RUN.h5 --out DIR`: one self-contained HTML page of a run.

Owns the page: run header, learning curves (over episodes and over wall time), the paper's
Figs. 7-9, a day of energy flows and prices per evaluated policy, the metrics table (mean and
spread over the evaluation days, with units and definitions, docs/EVALUATION.md), the DP
bound, the resilience table (each fault's change from the fault-free days) and Fig. 9's
initial-vs-enhanced table. Figures are PNGs embedded as data URIs; CSS is inline; nothing is
fetched, so the page opens offline. A small inline script records on <body> whether every
image decoded (`data-render-check`), which the headless-browser test reads back.

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
from .run import Run

REPORT_NAME = "report.html"
# The resilience table's columns: the metrics whose change under a fault matters most.
RESILIENCE_METRICS = ("money_per_vehicle", "unmet_kwh_per_vehicle", "peak_import_kw", "departure_energy_met")

_CSS = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; }
th { background: #f2f2f2; } td.name, th.name { text-align: left; }
.note { background: #fff6d5; border: 1px solid #e6c84f; padding: .6em 1em; }
img { max-width: 100%; display: block; margin: 1em 0; }
.small { color: #666; font-size: .85em; }
"""

# Counts the images that decoded and the tables, and writes the result on <body>.
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


def _num(x, spec=".4g"):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if not math.isfinite(x) else format(x, spec)


def _mean_std(a):
    a = np.asarray(a, float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return float("nan"), float("nan")
    return float(a.mean()), float(a.std())


def _img(path, alt):
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


def _table(header, rows, first_is_name=True):
    out = ["<table><tr>"]
    out += [f'<th class="name">{_esc(h)}</th>' if i == 0 and first_is_name else f"<th>{_esc(h)}</th>"
            for i, h in enumerate(header)]
    out.append("</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="name">{_esc(c)}</td>' if i == 0 and first_is_name
                                    else f"<td>{_esc(c)}</td>" for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "".join(out)


# ---------------------------------------------------------------- figures made here

def learning_over_wall_time(run, out_dir):
    """Mean reward per vehicle per day against the training's wall time (from each episode's
    env-steps/s), so policies of different speed compare on the clock."""
    ep = run.episode_arrays
    if not run.episodes_done or "env_steps_per_s" not in ep:
        return []
    steps = float(run.attrs.get("vehicles", 1)) * float(run.attrs.get("steps_per_episode", 1))
    rate = np.asarray(ep["env_steps_per_s"], float)
    seconds = np.cumsum(np.where(rate > 0, steps / np.maximum(rate, 1e-300), 0.0))
    fig, (a,) = plot._figure(1)
    w = plot._window(run.episodes_done)
    a.plot(seconds, plot._smooth(ep["reward_mean"], w))
    a.set_xlabel("training wall time (s)")
    a.set_ylabel("reward (currency/vehicle/day)")
    a.set_title("learning curve over wall time" + (f" (moving mean over {w} episodes)" if w > 1 else ""))
    fig.tight_layout()
    return plot._save(fig, out_dir, "learning_wall_time", False)


def policy_day_flows(run, out_dir, day=0):
    """One panel per evaluated policy: the fleet's grid import/export and P2P per step of
    evaluation day `day`, with the retail price and the demand-response steps shaded."""
    d = run.evaluation_day()
    policies = run.policies
    if not d or not policies:
        return []
    hours = d["clock_hour"][day]
    steps = np.arange(len(hours))
    price = d["retail_price_per_kwh"][day]
    dr = d["dr_event"][day] > 0
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(policies), 1, figsize=(10.0, 2.2 * len(policies) + 1), dpi=plot.DPI, sharex=True,
                             squeeze=False)
    for k, (name, a) in enumerate(zip(policies, axes[:, 0])):
        for t in steps[dr]:
            a.axvspan(t - 0.5, t + 0.5, color="red", alpha=0.08, lw=0)
        a.bar(steps - 0.2, d["grid_import_kwh"][k, day], 0.4, label="grid import")
        a.bar(steps - 0.2, -d["grid_export_kwh"][k, day], 0.4, label="grid export")
        a.bar(steps + 0.2, d["p2p_bought_kwh"][k, day], 0.4, label="P2P bought")
        a.bar(steps + 0.2, -d["p2p_sold_kwh"][k, day], 0.4, label="P2P sold")
        a.axhline(0, color="black", lw=0.5)
        a.set_ylabel(f"{name}\nkWh/step", fontsize=8)
        b = a.twinx()
        b.step(steps, price, where="mid", color="black", lw=1)
        b.set_ylabel("retail\n/kWh", fontsize=8)
        if k == 0:
            a.legend(loc="upper left", fontsize=7, ncol=4)
            a.set_title(f"evaluation day {day}: fleet energy per step by policy (red: demand-response steps)")
    axes[-1, 0].set_xticks(steps[:: max(1, len(steps) // 12)])
    axes[-1, 0].set_xticklabels([f"{h:g}" for h in hours[:: max(1, len(steps) // 12)]])
    axes[-1, 0].set_xlabel("clock hour")
    fig.tight_layout()
    return plot._save(fig, out_dir, "policy_day_flows", False)


def money_by_policy(run, out_dir):
    """Money per vehicle per day and peak import by policy: mean over days, 1 sd error bars."""
    metrics = run.evaluation_metrics()
    if "money_per_vehicle" not in metrics:
        return []
    policies = run.policies
    fig, (a, b) = plot._figure(2, sharex=True)
    x = np.arange(len(policies))
    for axis, name in ((a, "money_per_vehicle"), (b, "peak_import_kw")):
        values, units, _ = metrics[name]
        stats = [_mean_std(values[k]) for k in range(len(policies))]
        axis.bar(x, [s[0] for s in stats], yerr=[s[1] for s in stats], capsize=4)
        axis.set_ylabel(f"{name.replace('_', ' ')}\n({units})", fontsize=9)
    ev = run.evaluation
    if ev is not None and "optimum_value_per_vehicle" in ev:
        a.axhline(_mean_std(ev["optimum_value_per_vehicle"])[0], color="red", ls="--",
                  label="DP value (plugged-in steps)")
        a.legend(loc="best", fontsize=8)
    b.set_xticks(x)
    b.set_xticklabels(policies, fontsize=8)
    a.set_title("evaluation: means over the days, 1 sd error bars")
    fig.tight_layout()
    return plot._save(fig, out_dir, "money_by_policy", False)


# ---------------------------------------------------------------- the page

def _metrics_table(run):
    metrics = run.evaluation_metrics()
    policies = run.policies
    header = ["metric", "unit"] + policies + ["definition"]
    rows = []
    for name, (values, units, definition) in metrics.items():
        cells = []
        for k in range(len(policies)):
            m, s = _mean_std(values[k])
            cells.append(f"{_num(m)} ± {_num(s, '.2g')}" if math.isfinite(m) else "n/a")
        rows.append([name, units] + cells + [definition])
    return _table(header, rows)


def _resilience_table(run):
    base = run.evaluation_metrics()
    rows = []
    for fault, description in run.faults.items():
        metrics = run.evaluation_metrics(fault)
        for k, policy in enumerate(run.policies):
            row = [fault, policy]
            for name in RESILIENCE_METRICS:
                if name in metrics and name in base:
                    delta = _mean_std(metrics[name][0][k])[0] - _mean_std(base[name][0][k])[0]
                    row.append(_num(delta, "+.4g"))
                else:
                    row.append("n/a")
            rows.append(row)
    header = ["fault", "policy"] + [f"Δ {m} ({base[m][1]})" if m in base else m for m in RESILIENCE_METRICS]
    return _table(header, rows), {f: d for f, d in run.faults.items()}


def _fig9_table(run):
    ev = run.evaluation
    rows = []
    for what in sorted(k[len("initial_"):] for k in ev if k.startswith("initial_") and "enhanced_" + k[8:] in ev):
        ini, enh = _mean_std(ev["initial_" + what]), _mean_std(ev["enhanced_" + what])
        units = run.units("evaluation/initial_" + what) or ""
        rows.append([what, units, f"{_num(ini[0])} ± {_num(ini[1], '.2g')}", f"{_num(enh[0])} ± {_num(enh[1], '.2g')}"])
    return _table(["per-vehicle index", "unit", "initial (untrained)", "enhanced (trained greedy)"], rows)


def write_report(run, out_dir):
    """Writes DIR/report.html and returns its path."""
    run = run if isinstance(run, Run) else Run(run)
    out_dir = plot.prepare_out_dir(out_dir)
    notes = []
    a = run.attrs
    evaluated = run.evaluation is not None
    parts = [f"<h1>v2g run report: {_esc(a.get('run_name', ''))}</h1>"]
    parts.append(_table(["", ""], [
        ["file", run.path],
        ["status", f"{run.status}: {run.episodes_done} of {run.episodes_planned} episodes"],
        ["fleet", f"{a.get('vehicles')} vehicles, {a.get('communities')} communities, {a.get('steps_per_episode')} steps per day"],
        ["device", f"{a.get('device')}: {a.get('backend')}"],
        ["v2g", f"{a.get('v2g_version')} (commit {a.get('git_commit')}), started {a.get('start_time')}"],
    ] + ([["evaluation", "{days} days from episode {first_episode} on {backend}, faults: {faults}, created {created_utc}"
           .format(**{k: run.evaluation_attrs.get(k, "?") for k in
                      ("days", "first_episode", "backend", "faults", "created_utc")})]] if evaluated else [])))
    if not evaluated:
        parts.append('<p class="note">This run has not been evaluated: <code>v2g eval '
                     f'{_esc(os.path.basename(run.path))}</code> adds the yardstick policies, the metrics table, '
                     'the resilience table and Fig. 9 to this report.</p>')

    with tempfile.TemporaryDirectory() as tmp:
        def figs(fn, title, *args):
            paths = [p for p in fn(run, tmp, *args, **({} if fn in _OWN else {"notes": notes})) if p.endswith(".png")]
            if paths:
                parts.append(f"<h3>{_esc(title)}</h3>" + "".join(_img(p, title) for p in paths))

        parts.append("<h2>Learning</h2>")
        figs(plot.reward_curve, "Reward per vehicle per day over the episodes")
        figs(learning_over_wall_time, "Reward over training wall time")
        figs(plot.epsilon_curve, "Exploration rate")
        figs(plot.energy_flows, "Energy flows per episode")
        parts.append("<h2>The paper's figures</h2>")
        figs(plot.fig7_q_heatmap, "Fig. 7: Q-values per action")
        figs(plot.fig8_final_battery, "Fig. 8: final battery state")
        if evaluated:
            figs(plot.fig9_battery_performance, "Fig. 9: initial vs enhanced battery performance")
            parts.append(_fig9_table(run))
        parts.append("<h2>A day of energy flows and prices</h2>")
        if evaluated:
            figs(policy_day_flows, "Per policy, first evaluation day")
        figs(plot.day_flows, "The trained policy on the day after training (/day)")
        if evaluated:
            parts.append("<h2>Evaluation: policies on the same held-out days</h2>")
            ev = run.evaluation
            optimum = _mean_std(ev.get("optimum_value_per_vehicle", []))
            parts.append(f"<p>DP optimum (value of the plugged-in steps, the part of the day's money a policy "
                         f"controls): <b>{_num(optimum[0])} ± {_num(optimum[1], '.2g')}</b> currency/vehicle/day. "
                         "Definitions: docs/EVALUATION.md.</p>")
            figs(money_by_policy, "Money and peak import by policy")
            parts.append(_metrics_table(run))
            table, descriptions = _resilience_table(run)
            if descriptions:
                parts.append("<h2>Resilience: change under each fault from the fault-free days</h2><ul>" +
                             "".join(f"<li><b>{_esc(f)}</b>: {_esc(d)}</li>" for f, d in descriptions.items()) +
                             "</ul>" + table)
        figs(plot.ledger_activity, "Ledger")
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ul>")
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>v2g report: {_esc(a.get('run_name', ''))}</title><style>{_CSS}</style></head>"
            f"<body>{''.join(parts)}<p class=\"small\">written by python3 -m v2g report</p>"
            f"<script>{_CHECK_SCRIPT}</script></body></html>\n")
    path = os.path.join(out_dir, REPORT_NAME)
    tmp_path = path + ".tmp"
    with open(tmp_path, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp_path, path)  # never a half-written report
    return path


_OWN = (learning_over_wall_time, policy_day_flows, money_by_policy)
