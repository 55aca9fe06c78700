"""Figures of a run as PNG (and SVG): every function takes a Run (or a path) and an output
directory and returns the paths it wrote; `plot_all` writes them all.

Every figure is FIG_SIZE_PX pixels (no tight bounding box, so the size is fixed and testable).
A figure whose data the file does not hold is skipped with a note (appended to `notes`, or
issued as a warning when no list is given), never an error.

Fig. 7 choice: for each Q-table (one per vehicle, community or the fleet per
learning.q_sharing), the mean over the *visited* states of the final Q-table per action. A
state counts as visited when its row differs from the initial row (every value learning.q_init:
an update wrote it); unvisited states (e.g. hours a vehicle is never plugged in) would otherwise pull every
mean towards 0 and hide the ranking of the actions. Tables with no visited state show the
all-state mean (0).
"""

import errno
import os
import tempfile
import warnings

import matplotlib

matplotlib.use("Agg")  # headless: never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .records import ACTIONS, REJECT_REASONS  # noqa: E402
from .run import Run  # noqa: E402

DPI = 100
FIG_SIZE_IN = (10.0, 6.0)
FIG_SIZE_PX = (int(FIG_SIZE_IN[0] * DPI), int(FIG_SIZE_IN[1] * DPI))  # (width, height)
MAX_BARS = 200  # more vehicles than this: sorted curves instead of one bar each

NO_DAY_NOTE = ("no traced day in this file (/day is written when a run finishes): "
               "energy flows over a day not plotted")


def _run(run):
    return run if isinstance(run, Run) else Run(run)


def _note(notes, msg):
    if notes is None:
        warnings.warn(msg, stacklevel=3)
    else:
        notes.append(msg)


def prepare_out_dir(out_dir):
    """Creates out_dir and checks it takes files; raises the OSError subclass of the cause
    (PermissionError, NotADirectoryError, ...) with one clear message."""
    out_dir = os.fspath(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
        if not os.path.isdir(out_dir):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory")
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as e:
        cls = type(e) if type(e) is not OSError else OSError
        raise cls(e.errno, f"cannot write figures there ({e.strerror or e})", out_dir) from None
    return out_dir


def _save(fig, out_dir, name, svg):
    paths = [os.path.join(out_dir, name + ".png")]
    if svg:
        paths.append(os.path.join(out_dir, name + ".svg"))
    try:
        for p in paths:
            fig.savefig(p, dpi=DPI)
    finally:
        plt.close(fig)
    return paths


def _figure(rows=1, sharex=True):
    fig, axes = plt.subplots(rows, 1, figsize=FIG_SIZE_IN, dpi=DPI, sharex=sharex, squeeze=False)
    return fig, axes[:, 0]


def _smooth(y, window):
    if window <= 1 or len(y) < window:
        return y
    c = np.cumsum(np.insert(np.asarray(y, float), 0, 0.0))
    head = c[1:window] / np.arange(1, window)
    return np.concatenate([head, (c[window:] - c[:-window]) / window])


def _window(n):
    return max(1, n // 50)


def _no_episodes(run, notes, what):
    if run.episodes_done == 0:
        _note(notes, f"{what}: skipped, no finished episode in {run.path}")
        return True
    return False


# ---------------------------------------------------------------- per-episode curves

def reward_curve(run, out_dir, svg=False, notes=None):
    """reward.png: mean reward per vehicle per day with the min/max vehicle band, and the
    reward terms (revenue up, costs down). Lines are moving averages over N/50 episodes."""
    run = _run(run)
    if _no_episodes(run, notes, "reward curve"):
        return []
    out_dir = prepare_out_dir(out_dir)
    ep = run.episode_arrays
    x, w = ep["episode"], _window(run.episodes_done)
    fig, (a, b) = _figure(2)
    a.fill_between(x, _smooth(ep["reward_min"], w), _smooth(ep["reward_max"], w), alpha=0.25,
                   label="min..max vehicle")
    a.plot(x, _smooth(ep["reward_mean"], w), label="mean")
    a.set_ylabel(f"reward\n({run.currency}/vehicle/day)")
    a.set_title(f"{run.attrs.get('run_name', '')}: reward" + (f" (moving mean over {w} episodes)" if w > 1 else ""))
    a.legend(loc="lower right")
    for name, sign in (("revenue", 1), ("energy_cost", -1), ("degradation_cost", -1), ("unmet_penalty", -1)):
        if name in ep:
            b.plot(x, sign * _smooth(ep[name], w), label=("" if sign > 0 else "- ") + name.replace("_", " "))
    b.axhline(0, color="0.5", lw=0.5)
    b.set_ylabel(f"reward terms\n({run.currency}/vehicle/day)")
    b.set_xlabel("episode")
    b.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return _save(fig, out_dir, "reward", svg)


def epsilon_curve(run, out_dir, svg=False, notes=None):
    """epsilon.png: the exploration rate of each episode."""
    run = _run(run)
    if _no_episodes(run, notes, "epsilon"):
        return []
    out_dir = prepare_out_dir(out_dir)
    ep = run.episode_arrays
    fig, (a,) = _figure(1)
    a.plot(ep["episode"], ep["epsilon"])
    a.set_xlabel("episode")
    a.set_ylabel("epsilon")
    a.set_ylim(0, max(1.0, float(np.max(ep["epsilon"]))))
    a.set_title("exploration rate")
    fig.tight_layout()
    return _save(fig, out_dir, "epsilon", svg)


def energy_flows(run, out_dir, svg=False, notes=None):
    """energy_flows.png: grid, P2P and PV energy and losses per vehicle per day, and the
    market volume, over episodes (a single day, step by step: day_flows)."""
    run = _run(run)
    if _no_episodes(run, notes, "energy flows"):
        return []
    out_dir = prepare_out_dir(out_dir)
    ep = run.episode_arrays
    x, w = ep["episode"], _window(run.episodes_done)
    fig, (a, b) = _figure(2)
    for name in ("grid_import_kwh", "grid_export_kwh", "p2p_bought_kwh", "p2p_sold_kwh", "pv_sold_kwh",
                 "unmet_kwh", "conversion_loss_kwh", "market_loss_kwh"):
        if name in ep:
            a.plot(x, _smooth(ep[name], w), label=name[:-4].replace("_", " "))
    a.set_ylabel("kWh/vehicle/day")
    a.set_title("energy flows" + (f" (moving mean over {w} episodes)" if w > 1 else ""))
    a.legend(loc="best", fontsize=8, ncol=2)
    if "market_volume_kwh" in ep:
        b.plot(x, _smooth(ep["market_volume_kwh"], w), color="C4", label="market volume (P2P + PV sold)")
        b.legend(loc="best", fontsize=8)
    b.set_ylabel("market volume\n(kWh/vehicle/day)")
    b.set_xlabel("episode")
    fig.tight_layout()
    return _save(fig, out_dir, "energy_flows", svg)


def day_flows(run, out_dir, svg=False, notes=None):
    """day_flows.png: one day under the trained greedy policy (/day: the day after training),
    step by step: fleet energy by route as bars, PV; and prices, DR events and mean SoC."""
    run = _run(run)
    day = run.h5.get("day")
    if day is None or int(day["episode"][0]) < 0:
        _note(notes, NO_DAY_NOTE)
        return []
    out_dir = prepare_out_dir(out_dir)
    d = {name: day[name][()] for name in day if name != "episode"}
    steps = np.arange(len(d["clock_hour"]))
    labels = [f"{h:g}" for h in d["clock_hour"]]
    fig, (a, b) = _figure(2)
    width = 0.2
    for k, (name, sign) in enumerate((("grid_import_kwh", 1), ("p2p_bought_kwh", 1), ("grid_export_kwh", -1),
                                      ("p2p_sold_kwh", -1))):
        a.bar(steps + (k - 1.5) * width, sign * d[name], width, label=name[:-4].replace("_", " ")
              + (" (out)" if sign < 0 else " (in)"))
    a.plot(steps, d["pv_sold_kwh"], color="gold", marker=".", label="community PV sold")
    a.axhline(0, color="black", linewidth=0.5)
    a.set_ylabel("fleet energy per step (kWh)")
    a.set_title(f"a day under the greedy policy (episode {int(day['episode'][0])})")
    a.legend(loc="best", fontsize=8, ncol=3)
    b.step(steps, d["retail_price_per_kwh"], where="mid", label="retail price")
    b.step(steps, d["feed_in_price_per_kwh"], where="mid", label="feed-in price")
    dr = d["dr_event"] > 0
    if dr.any():
        b.scatter(steps[dr], d["retail_price_per_kwh"][dr], color="red", zorder=3, label="demand-response event")
    b.set_ylabel(f"{run.currency}/kWh")
    c = b.twinx()
    c.plot(steps, d["soc_mean"], color="C2", linestyle="--", label="mean SoC")
    c.set_ylabel("mean SoC")
    c.set_ylim(0, 1)
    b.legend(loc="upper left", fontsize=8)
    c.legend(loc="upper right", fontsize=8)
    b.set_xticks(steps[:: max(1, len(steps) // 12)])
    b.set_xticklabels(labels[:: max(1, len(steps) // 12)])
    b.set_xlabel("clock hour")
    fig.tight_layout()
    return _save(fig, out_dir, "day_flows", svg)


def ledger_activity(run, out_dir, svg=False, notes=None):
    """ledger.png: committed transactions and rejected transfers (by reason) per episode."""
    run = _run(run)
    if _no_episodes(run, notes, "ledger"):
        return []
    ep = run.episode_arrays
    if "tx_count" not in ep:
        _note(notes, "ledger: skipped, the run has no /episodes/tx_count")
        return []
    out_dir = prepare_out_dir(out_dir)
    x = ep["episode"]
    fig, (a, b) = _figure(2)
    a.plot(x, ep["tx_count"], lw=0.8)
    a.set_ylabel("transactions\nper episode")
    a.set_title("ledger: committed transactions and rejected transfers")
    rej = ep.get("rejected")
    if rej is not None and rej.ndim == 2:
        b.stackplot(x, rej.T.astype(float), labels=[r.replace("_", " ") for r in REJECT_REASONS[: rej.shape[1]]])
        b.legend(loc="upper right", fontsize=8, title="rejected: reason")
    b.set_ylabel("rejected transfers\nper episode")
    b.set_xlabel("episode")
    fig.tight_layout()
    return _save(fig, out_dir, "ledger", svg)


# ---------------------------------------------------------------- the paper's figures

def table_labels(run, tables):
    """A label per Q-table, from learning.q_sharing."""
    sharing = run.config.get("learning", {}).get("q_sharing", "vehicle")
    if tables == 1 and sharing == "fleet":
        return ["fleet"]
    word = "community" if sharing == "community" else "vehicle"
    return [f"{word} {i}" for i in range(tables)]


def q_action_means(q, q_init=0.0):
    """(tables, actions): per table, the mean Q per action over its visited states (rows not
    all at learning.q_init, the tables' start); all states where a table has none. See the
    module docstring."""
    q = np.asarray(q, dtype=np.float64)
    visited = np.any(q != np.float32(q_init), axis=2)  # (tables, states)
    counts = visited.sum(axis=1)
    sums = np.where(visited[:, :, None], q, 0.0).sum(axis=1)
    return np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], q.mean(axis=1)), counts


def fig7_q_heatmap(run, out_dir, svg=False, notes=None):
    """fig7_q_heatmap.png (paper Fig. 7): Q-table x action heatmap of the final Q-values."""
    run = _run(run)
    q, which = run.q_final, "final"
    if q is not None and q.shape[0] == 0:
        _note(notes, "Fig. 7: skipped, a DQN run has no Q-table (its policy is the network)")
        return []
    if q is None:
        snaps = run.q_snapshots
        if snaps is None or len(snaps) == 0:
            _note(notes, "Fig. 7: skipped, the run has no Q-table yet")
            return []
        q, which = snaps[-1], f"snapshot after {int(run.q_snapshot_episodes[len(snaps) - 1])} episodes"
        _note(notes, f"Fig. 7: no final Q-table yet (live run): using the {which}")
    out_dir = prepare_out_dir(out_dir)
    means, counts = q_action_means(q, run.config.get("learning", {}).get("q_init", 0.0))
    tables, actions = means.shape
    fig, (a,) = _figure(1)
    im = a.imshow(means, aspect="auto", cmap="viridis", interpolation="nearest")
    fig.colorbar(im, ax=a, label=f"mean Q over visited states ({run.currency})")
    a.set_xticks(range(actions))
    a.set_xticklabels(ACTIONS[:actions])
    labels = table_labels(run, tables)
    if tables <= 60:
        a.set_yticks(range(tables))
        a.set_yticklabels(labels, fontsize=max(4, min(9, 400 // max(tables, 1))))
    else:
        a.set_ylabel(labels[0].split()[0] + " (index)")
    best = means.argmax(axis=1)
    if tables <= 60:  # outline each table's greedy action
        for i, j in enumerate(best):
            a.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
    if tables * actions <= 150:  # values readable at this size
        for (i, j), v in np.ndenumerate(means):
            a.text(j, i, f"{v:.2f}", ha="center", va="center", color="w", fontsize=7,
                   fontweight="bold" if j == best[i] else "normal")
    a.set_title(f"Fig. 7: Q-values per {labels[0].split()[0]} and action ({which}; "
                f"{int(counts.mean())} of {q.shape[1]} states visited on average; red: greedy action)",
                fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir, "fig7_q_heatmap", svg)


def fig8_final_battery(run, out_dir, svg=False, notes=None):
    """fig8_final_battery.png (paper Fig. 8): battery level (SoC) per vehicle at the end of
    the last episode in /vehicles, with its state of health."""
    run = _run(run)
    v = run.vehicles
    if not v or "soc_end" not in v or len(v["soc_end"]) == 0:
        _note(notes, "Fig. 8: skipped, the run has no /vehicles rows yet")
        return []
    out_dir = prepare_out_dir(out_dir)
    soc = 100.0 * np.asarray(v["soc_end"][-1], float)
    soh = 100.0 * np.asarray(v["soh"][-1], float) if "soh" in v else None
    episode = int(v["episode"][-1]) if "episode" in v else -1
    fig, (a,) = _figure(1)
    n = len(soc)
    if n <= MAX_BARS:
        a.bar(np.arange(n), soc, color="C2", label="SoC at the end of the day")
        if soh is not None:
            a.plot(np.arange(n), soh, "k_", ms=8, label="state of health")
        a.set_xlabel("vehicle")
    else:  # too many bars to read: the sorted distribution
        a.plot(np.sort(soc), color="C2", label="SoC at the end of the day (sorted)")
        if soh is not None:
            a.plot(np.sort(soh), "k", lw=0.8, label="state of health (sorted)")
        a.set_xlabel("vehicles, sorted")
    a.axhline(soc.mean(), color="C1", ls="--", lw=1, label=f"fleet mean {soc.mean():.1f} %")
    a.set_ylim(0, 105)
    a.set_ylabel("% of usable capacity")
    a.set_title(f"Fig. 8: final battery level per vehicle (after {episode} episodes)")
    a.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _save(fig, out_dir, "fig8_final_battery", svg)


def fig9_pairs(evaluation):
    """The X of every initial_X / enhanced_X dataset pair of /evaluation, sorted."""
    ev = evaluation or {}
    return sorted(k[len("initial_"):] for k in ev if k.startswith("initial_") and "enhanced_" + k[len("initial_"):] in ev)


def fig9_battery_performance(run, out_dir, svg=False, notes=None):
    """fig9_battery_performance.png (paper Fig. 9): initial vs enhanced battery performance
    per vehicle, from /evaluation (`v2g eval`): one panel per initial_X / enhanced_X pair
    (departure energy met, money per day, SoH); skipped with a note when there is none."""
    run = _run(run)
    ev = run.evaluation
    pairs = fig9_pairs(ev)
    if not pairs:
        _note(notes, "Fig. 9: skipped, the run has no /evaluation data (initial vs enhanced "
                     "battery performance): run `v2g eval` on it")
        return []
    out_dir = prepare_out_dir(out_dir)
    fig, axes = _figure(len(pairs), sharex=True)
    for a, what in zip(axes, pairs):
        ini, enh = (np.ravel(np.asarray(ev[p + what], float)) for p in ("initial_", "enhanced_"))
        units = run.units("evaluation/initial_" + what) or ""
        n = len(ini)
        if n <= MAX_BARS:
            x = np.arange(n)
            a.bar(x - 0.2, ini, 0.4, label=f"initial (mean {np.nanmean(ini):.4g})")
            a.bar(x + 0.2, enh, 0.4, label=f"enhanced (mean {np.nanmean(enh):.4g})")
        else:
            a.plot(np.sort(ini), label=f"initial, sorted (mean {np.nanmean(ini):.4g})")
            a.plot(np.sort(enh), label=f"enhanced, sorted (mean {np.nanmean(enh):.4g})")
        both = np.concatenate([ini, enh])
        both = both[np.isfinite(both)]
        if both.size and both.min() > 0 and both.min() > 0.5 * both.max():
            # Values far from 0 that differ little (SoH ~0.95): bars from 0 would hide the change.
            pad = max(0.1 * (both.max() - both.min()), 1e-4 * abs(both.max()))
            a.set_ylim(both.min() - pad, both.max() + pad)
        a.set_ylabel(f"{what.replace('_', ' ')}\n({units})", fontsize=8)
        a.legend(loc="best", fontsize=7)
    axes[-1].set_xlabel("vehicle" if len(ev["initial_" + pairs[0]]) <= MAX_BARS else "vehicles, sorted")
    axes[0].set_title("Fig. 9: battery performance per vehicle, initial (untrained) vs enhanced (trained) policy")
    fig.tight_layout()
    return _save(fig, out_dir, "fig9_battery_performance", svg)


FIGURES = (reward_curve, epsilon_curve, fig7_q_heatmap, fig8_final_battery, fig9_battery_performance,
           energy_flows, day_flows, ledger_activity)


def plot_all(run, out_dir, svg=False, notes=None):
    """Every figure; returns the written paths (skipped figures add to `notes`)."""
    run = _run(run)
    prepare_out_dir(out_dir)  # fail before any work when the directory is unusable
    paths = []
    for fn in FIGURES:
        paths += fn(run, out_dir, svg=svg, notes=notes)
    return paths
