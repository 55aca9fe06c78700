"""`python3 -m v2g report A.h5 B.h5 ... --out DIR`: runs side by side (e.g. tabular vs DQN on
the same fleet and days) in DIR/compare.html, next to each run's own report (DIR/RUN_NAME/).

Owns the comparison page: one header row per run (learner, device, episodes, training time),
the learning curves of every run on shared axes over env-steps and over training wall time,
and, for evaluated runs, the learned policy's money, unmet energy, departure energy met and
peak import beside the same run's yardsticks. The page is templates/compare.html, self-contained
like the single-run report (v2g/page.py).
"""

import os
import tempfile

import numpy as np

from . import page, plot, report
from .run import Run

COMPARE_NAME = "compare.html"
# The evaluation metrics the comparison shows for each run's learned policy and yardsticks.
COMPARED_METRICS = ("money_per_vehicle", "unmet_kwh_per_vehicle", "departure_energy_met", "peak_import_kw")
YARDSTICKS = ("charge_on_arrival", "time_of_use", "optimal_dp")


def _label(run):
    a = run.attrs
    return f"{a.get('run_name', '?')} ({run.config.get('learning', {}).get('policy', 'tabular')})"


def _training_seconds(run):
    """Cumulative training wall time per episode, from each episode's env-steps/s."""
    ep = run.episode_arrays
    steps = float(run.attrs.get("vehicles", 1)) * float(run.attrs.get("steps_per_episode", 1))
    rate = np.asarray(ep.get("env_steps_per_s", np.zeros(run.episodes_done)), float)
    return np.cumsum(np.where(rate > 0, steps / np.maximum(rate, 1e-300), 0.0))


def learning_curves(runs, out_dir):
    """Mean reward per vehicle-day of every run against env-steps and against wall time."""
    fig, (a, b) = plot._figure(2, sharex=False)
    for run in runs:
        if not run.episodes_done:
            continue
        ep = run.episode_arrays
        w = plot._window(run.episodes_done)
        reward = plot._smooth(ep["reward_mean"], w)
        env_steps = (ep["episode"] + 1) * float(run.attrs.get("vehicles", 1)) * float(run.attrs.get("steps_per_episode", 1))
        a.plot(env_steps, reward, label=_label(run))
        b.plot(_training_seconds(run), reward, label=_label(run))
    a.set_xlabel("env-steps")
    b.set_xlabel("training wall time (s)")
    b.set_xscale("symlog", linthresh=1.0)
    # Runs of different currencies on one axis would mislead: the label names each one.
    currencies = sorted({run.currency for run in runs})
    for axis in (a, b):
        axis.set_ylabel(f"reward\n({' or '.join(currencies)}/vehicle/day)")
        plot._legend_outside(axis)
    a.set_title("learning curves (moving means)")
    fig.tight_layout()
    return plot._save(fig, out_dir, "compare_learning", plot.DEFAULT_FORMATS)


def _evaluated_rows(run):
    metrics = run.evaluation_metrics()
    policies = run.policies
    rows = []
    for policy in ("learned",) + YARDSTICKS:
        if policy not in policies:
            continue
        k = policies.index(policy)
        cells = [page.cell(_label(run) if policy == "learned" else f"  its {policy}", "name")]
        for name in COMPARED_METRICS:
            cells.append(page.cell(report.mean_sd_cell(metrics[name][0][k]) if name in metrics else report.NA))
        rows.append(cells)
    return rows


def write_comparison(paths_or_runs, out_dir):
    """Writes OUT_DIR/compare.html (and each run's report under OUT_DIR/<n>-<run name>/);
    returns the comparison's path."""
    runs = [r if isinstance(r, Run) else Run(r) for r in paths_or_runs]
    out_dir = plot.prepare_out_dir(out_dir)
    header = [[page.cell(_label(r), "name"), page.cell(r.attrs.get("backend", "?")),
               page.cell(f"{r.episodes_done} of {r.episodes_planned}"),
               page.cell(report.fmt(_training_seconds(r)[-1] if r.episodes_done else float("nan"), ".3g")),
               page.cell(os.path.basename(r.path))] for r in runs]
    context = {"title": "v2g: runs side by side", "command": "report",
               "runs": page.table(["run (learner)", "backend", "episodes", "training wall time (s)", "file"], header,
                                  "runs")}
    with tempfile.TemporaryDirectory() as tmp:
        context["curves"] = page.figure(learning_curves(runs, tmp), "Learning")
    evaluated = [r for r in runs if r.evaluated]
    context["compared"] = None
    if evaluated:
        units = {n: v[1] for r in evaluated for n, v in r.evaluation_metrics().items()}
        rows = [row for r in evaluated for row in _evaluated_rows(r)]
        context["compared"] = page.table(["run / policy"] + [f"{n} ({units.get(n, '')})" for n in COMPARED_METRICS],
                                         rows, "compared")
    context["not_evaluated"] = [os.path.basename(r.path) for r in runs if not r.evaluated]
    context["reports"] = []
    for i, r in enumerate(runs):
        sub = f"{i}-{r.attrs.get('run_name', 'run')}"
        report.write_report(r, os.path.join(out_dir, sub))
        context["reports"].append((f"{sub}/{report.REPORT_NAME}", _label(r)))
    return page.write(os.path.join(out_dir, COMPARE_NAME), page.render("compare.html", **context))
