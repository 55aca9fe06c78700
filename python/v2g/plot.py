"""Figures of a run, in PNG, SVG or PDF (`formats`): every function takes a Run (or a path) and
an output directory and returns the paths it wrote; `plot_all` writes them all.

Every figure is FIG_SIZE_PX pixels (no tight bounding box, so the size is fixed and testable).
Legends sit outside the data, every axis names its unit, and `layout_problems(fig)` is the
check the suite runs on each figure. A figure whose data the file does not hold is skipped
with a note (appended to `notes`, or issued as a warning when no list is given), never an error.

Fig. 7 counts *visited* states only: a state is visited when its row differs from the initial
row (every value learning.q_init: an update wrote it). Unvisited states (e.g. hours a vehicle
is never plugged in) would otherwise pull every mean towards the start value and fill the
policy map with the first action's argmax. The policy map is the greedy action per state,
counted per (SoC bin, time bin); the paper's mean-Q heatmap is kept as a secondary panel: the
argmax of a mean Q is not what most states choose.
"""

import errno
import functools
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
FORMATS = ("png", "svg", "pdf")  # what savefig writes here; svg and pdf are vector
DEFAULT_FORMATS = ("png",)
MAX_BARS = 200
TWIN_LEGEND_X = 1.09  # a legend right of a twinx() axes starts past its tick labels and label  # more vehicles than this: sorted curves instead of one bar each

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


def check_formats(formats):
    """The formats as a tuple, or ValueError naming the one not in FORMATS."""
    formats = tuple(formats)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"figure format {bad[0] if bad else '(none)'!r}: one of {', '.join(FORMATS)}")
    return formats


def _save(fig, out_dir, name, formats):
    paths = [os.path.join(out_dir, f"{name}.{ext}") for ext in check_formats(formats)]
    try:
        for p in paths:
            fig.savefig(p, dpi=DPI)
    finally:
        plt.close(fig)
    return paths


def _legend_outside(ax, fontsize=8, twin=None, **kw):
    """A legend right of the axes, off the data (the figure's tight layout makes room); the
    series in the order drawn, reference lines (means, changes) after them. With `twin` (a
    twinx() axes) one legend holds both axes' series, placed beyond the twin's tick labels."""
    handles, labels = ax.get_legend_handles_labels()
    if twin is not None:
        more_handles, more_labels = twin.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    order = sorted(range(len(handles)), key=lambda k: isinstance(handles[k], matplotlib.lines.Line2D)
                   and handles[k].get_linestyle() in ("--", "None", " ", ""))
    x = 1.01 if twin is None else TWIN_LEGEND_X
    return ax.legend([handles[k] for k in order], [labels[k] for k in order], loc="upper left",
                     bbox_to_anchor=(x, 1.0), borderaxespad=0.0, fontsize=fontsize, **kw)


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


def _per_episode(what, needs=None):
    """Decorator of a figure over the episodes (`what` names it in a note): the wrapped
    function keeps its signature and gets a Run and the prepared out_dir. The figure is
    skipped with a note, before out_dir is made, when the run has no finished episode or its
    /episodes lacks the dataset `needs`."""
    def decorate(draw):
        @functools.wraps(draw)
        def figure(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
            run = _run(run)
            if run.episodes_done == 0:
                _note(notes, f"{what}: skipped, no finished episode in {run.path}")
                return []
            if needs is not None and needs not in run.episode_arrays:
                _note(notes, f"{what}: skipped, the run has no /episodes/{needs}")
                return []
            return draw(run, prepare_out_dir(out_dir), formats, notes)
        return figure
    return decorate


# ---------------------------------------------------------------- per-episode curves

@_per_episode("reward curve")
def reward_curve(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
    """reward.png: mean reward per vehicle per day with the min/max vehicle band, and the
    reward terms (revenue up, costs down). Lines are moving averages over N/50 episodes."""
    ep = run.episode_arrays
    x, w = ep["episode"], _window(run.episodes_done)
    fig, (a, b) = _figure(2)
    a.fill_between(x, _smooth(ep["reward_min"], w), _smooth(ep["reward_max"], w), alpha=0.25,
                   label="min..max vehicle")
    a.plot(x, _smooth(ep["reward_mean"], w), label="mean")
    a.set_ylabel(f"reward\n({run.currency}/vehicle/day)")
    a.set_title(f"{run.attrs.get('run_name', '')}: reward" + (f" (moving mean over {w} episodes)" if w > 1 else ""))
    _legend_outside(a)
    for name, sign in (("revenue", 1), ("energy_cost", -1), ("degradation_cost", -1), ("unmet_penalty", -1)):
        if name in ep:
            b.plot(x, sign * _smooth(ep[name], w), label=("" if sign > 0 else "- ") + name.replace("_", " "))
    b.axhline(0, color="0.5", lw=0.5)
    b.set_ylabel(f"reward terms\n({run.currency}/vehicle/day)")
    b.set_xlabel("episode")
    _legend_outside(b)
    fig.tight_layout()
    return _save(fig, out_dir, "reward", formats)


@_per_episode("epsilon")
def epsilon_curve(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
    """epsilon.png: the exploration rate of each episode."""
    ep = run.episode_arrays
    fig, (a,) = _figure(1)
    a.plot(ep["episode"], ep["epsilon"])
    a.set_xlabel("episode")
    a.set_ylabel("epsilon\n(probability of a random action)")
    a.set_ylim(0, max(1.0, float(np.max(ep["epsilon"]))))
    a.set_title("exploration rate")
    fig.tight_layout()
    return _save(fig, out_dir, "epsilon", formats)


@_per_episode("energy flows")
def energy_flows(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
    """energy_flows.png: grid, P2P and PV energy and losses per vehicle per day, and the
    market volume, over episodes (a single day, step by step: day_flows)."""
    ep = run.episode_arrays
    x, w = ep["episode"], _window(run.episodes_done)
    fig, (a, b) = _figure(2)
    for name in ("grid_import_kwh", "grid_export_kwh", "p2p_bought_kwh", "p2p_sold_kwh", "pv_sold_kwh",
                 "unmet_kwh", "conversion_loss_kwh", "market_loss_kwh"):
        if name in ep:
            a.plot(x, _smooth(ep[name], w), label=name[:-4].replace("_", " "))
    a.set_ylabel("energy\n(kWh/vehicle/day)")
    a.set_title("energy flows" + (f" (moving mean over {w} episodes)" if w > 1 else ""))
    _legend_outside(a)
    if "market_volume_kwh" in ep:
        b.plot(x, _smooth(ep["market_volume_kwh"], w), color="C4")
    b.set_ylabel("market volume, P2P + PV sold\n(kWh/vehicle/day)")
    b.set_xlabel("episode")
    fig.tight_layout()
    return _save(fig, out_dir, "energy_flows", formats)


def day_flows(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
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
    _legend_outside(a)
    b.step(steps, d["retail_price_per_kwh"], where="mid", label="retail price")
    b.step(steps, d["feed_in_price_per_kwh"], where="mid", label="feed-in price")
    dr = d["dr_event"] > 0
    if dr.any():
        b.scatter(steps[dr], d["retail_price_per_kwh"][dr], color="red", zorder=3, label="demand-response event")
    b.set_ylabel(f"price\n({run.currency}/kWh)")
    c = b.twinx()
    c.plot(steps, d["soc_mean"], color="C2", linestyle="--", label="mean SoC")
    c.set_ylabel("mean SoC (fraction)")
    c.set_ylim(0, 1)
    _legend_outside(b, twin=c)
    b.set_xticks(steps[:: max(1, len(steps) // 12)])
    b.set_xticklabels(labels[:: max(1, len(steps) // 12)])
    b.set_xlabel("clock hour (h)")
    fig.tight_layout()
    return _save(fig, out_dir, "day_flows", formats)


@_per_episode("ledger", needs="tx_count")
def ledger_activity(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
    """ledger.png: committed transactions and rejected transfers (by reason) per episode."""
    ep = run.episode_arrays
    x = ep["episode"]
    rej = ep.get("rejected")
    rejected = rej is not None and rej.ndim == 2 and bool(np.any(rej))
    fig, axes = _figure(2 if rejected else 1)
    a = axes[0]
    a.plot(x, ep["tx_count"], lw=0.8)
    a.set_ylabel("transactions\n(count per episode)")
    a.set_title("ledger: committed transactions and rejected transfers" if rejected else
                "ledger: committed transactions (no transfer was rejected)")
    if rejected:
        b = axes[1]
        b.stackplot(x, rej.T.astype(float), labels=[r.replace("_", " ") for r in REJECT_REASONS[: rej.shape[1]]])
        _legend_outside(b, title="rejected: reason")
        b.set_ylabel("rejected transfers\n(count per episode)")
    axes[-1].set_xlabel("episode")
    fig.tight_layout()
    return _save(fig, out_dir, "ledger", formats)


# ---------------------------------------------------------------- the paper's figures

def table_labels(run, tables):
    """A label per Q-table, from learning.q_sharing."""
    sharing = run.config.get("learning", {}).get("q_sharing", "vehicle")
    if tables == 1 and sharing == "fleet":
        return ["fleet"]
    word = "community" if sharing == "community" else "vehicle"
    return [f"{word} {i}" for i in range(tables)]


def visited_states(q, q_init=0.0):
    """Which states an update wrote: rows (the last axis, the actions) not all at q_init, the
    tables' start (see the module docstring)."""
    return np.any(np.asarray(q) != np.float32(q_init), axis=-1)


def q_action_means(q, q_init=0.0):
    """(tables, actions): per table, the mean Q per action over its visited states (rows not
    all at learning.q_init, the tables' start); all states where a table has none. See the
    module docstring."""
    q = np.asarray(q, dtype=np.float64)
    visited = visited_states(q, q_init)  # (tables, states)
    counts = visited.sum(axis=1)
    sums = np.where(visited[:, :, None], q, 0.0).sum(axis=1)
    return np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], q.mean(axis=1)), counts


def greedy_action_counts(q_array, q_init=0.0):
    """(soc_bins, time_bins, actions): how many visited states of each (SoC bin, time bin)
    cell have each action as their greedy (argmax) action, counted over every table and every
    other state dimension (price level, slack, ...). `q_array` is Run.q_dataset(): its first
    dim owns the tables, then soc_bin and time_bin. A state is visited when its row is not all
    at q_init (the tables' start; see the module docstring)."""
    q = q_array.transpose(q_array.dims[0], "soc_bin", "time_bin", ..., "action").values
    tables, soc_bins, time_bins, actions = q.shape[0], q.shape[1], q.shape[2], q.shape[-1]
    q = q.reshape(tables, soc_bins, time_bins, -1, actions)
    visited = visited_states(q, q_init)
    greedy = q.argmax(axis=-1)
    return np.stack([((greedy == a) & visited).sum(axis=(0, 3)) for a in range(actions)], axis=-1)


def _final_q(run, notes):
    """(q, which) of the run's final Q-tables, the last snapshot of a live run, or None."""
    q, which = run.q_final, "final"
    if q is not None and q.shape[0] == 0:
        _note(notes, "Fig. 7: skipped, a DQN run has no Q-table (its policy is the network)")
        return None
    if q is None:
        snaps = run.q_snapshots
        if snaps is None or len(snaps) == 0:
            _note(notes, "Fig. 7: skipped, the run has no Q-table yet")
            return None
        q, which = snaps[-1], f"snapshot after {int(run.q_snapshot_episodes[len(snaps) - 1])} episodes"
        _note(notes, f"Fig. 7: no final Q-table yet (live run): using the {which}")
    return q, which


def fig7_policy_map(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
    """fig7_policy_map.png (paper Fig. 7): the learned greedy policy per state. Top: the
    greedy action most visited states of each SoC x time-of-day cell choose (over every table
    and the other state dimensions; grey: never visited), beside the share of visited states
    per greedy action. Bottom, secondary: the paper's view, the mean Q per table and action
    over the table's visited states, a summary of values that is not the policy (the argmax of
    a mean is not the mean of the argmaxes)."""
    run = _run(run)
    found = _final_q(run, notes)
    if found is None:
        return []
    q, which = found
    learning = run.config.get("learning", {})
    q_init = learning.get("q_init", 0.0)
    try:
        q_array = run.q_dataset() if which == "final" else None
    except Exception as e:  # noqa: BLE001 (a config that does not unfold: the secondary panel alone)
        _note(notes, f"Fig. 7: the state index does not unfold from the config ({e}): mean Q only")
        q_array = None
    out_dir = prepare_out_dir(out_dir)
    fig = plt.figure(figsize=FIG_SIZE_IN, dpi=DPI)
    grid = fig.add_gridspec(2, 2, height_ratios=(2.3, 1.0), width_ratios=(3.2, 1.0))
    colors = [plt.cm.tab10(k) for k in range(len(ACTIONS))]
    if q_array is not None:
        counts = greedy_action_counts(q_array, q_init)
        actions = counts.shape[-1]
        visited = counts.sum(axis=-1)
        modal = np.ma.masked_where(visited == 0, counts.argmax(axis=-1))
        cmap = matplotlib.colors.ListedColormap(colors[:actions])
        cmap.set_bad("0.88")
        m = fig.add_subplot(grid[0, 0])
        m.imshow(modal, origin="lower", aspect="auto", cmap=cmap, vmin=-0.5, vmax=actions - 0.5,
                 interpolation="nearest")
        soc_bins, time_bins = modal.shape
        hours = q_array.coords["clock_hour"].values
        tick = max(1, time_bins // 12)
        m.set_xticks(range(0, time_bins, tick))
        m.set_xticklabels([f"{h:g}" for h in hours[::tick]])
        m.set_xlabel("time of day (clock hour at the bin's start, h)")
        ytick = max(1, soc_bins // 5)
        m.set_yticks(range(0, soc_bins, ytick))
        m.set_yticklabels([f"{100 * v:.0f}" for v in q_array.coords["soc_low"].values[::ytick]])
        m.set_ylabel("SoC bin\n(% of usable capacity, bin start)")
        m.set_title(f"Fig. 7: the learned policy, {which} tables (per cell: the greedy action most of "
                    "its visited states take; grey: never visited)", fontsize=9)
        share = 100.0 * counts.sum(axis=(0, 1)) / max(1, int(visited.sum()))
        b = fig.add_subplot(grid[0, 1])
        b.barh(range(actions), share, color=colors[:actions])
        b.set_yticks(range(actions))
        b.set_yticklabels(ACTIONS[:actions])
        b.invert_yaxis()
        b.set_xlim(0, 100)
        b.set_xlabel("visited states with\nthis greedy action (%)")
        b.set_title(f"{int(visited.sum())} visited states", fontsize=9)
        heat = fig.add_subplot(grid[1, :])
    else:
        heat = fig.add_subplot(grid[:, :])
    means, states = q_action_means(q, q_init)
    tables, actions = means.shape
    im = heat.imshow(means.T, aspect="auto", cmap="viridis", interpolation="nearest")
    fig.colorbar(im, ax=heat, label=f"mean Q\n({run.currency})", pad=0.01)
    heat.set_yticks(range(actions))
    heat.set_yticklabels(ACTIONS[:actions], fontsize=8)
    owner = table_labels(run, tables)[0].split()[0]
    heat.set_xlabel(f"{owner} (table index)" if tables > 1 else owner)
    heat.set_title(f"mean Q per {owner} and action over the table's visited states ({int(states.mean())} of "
                   f"{q.shape[1]} on average): a summary of values, not the policy", fontsize=9)
    fig.tight_layout()
    return _save(fig, out_dir, "fig7_policy_map", formats)


def fig8_final_battery(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
    """fig8_final_battery.png (paper Fig. 8): per vehicle at the end of the last episode in
    /vehicles, the battery level (SoC, top) and the state of health (SoH, bottom), each on its
    own axis from 0 to 100 %."""
    run = _run(run)
    v = run.vehicles
    if not v or "soc_end" not in v or len(v["soc_end"]) == 0:
        _note(notes, "Fig. 8: skipped, the run has no /vehicles rows yet")
        return []
    out_dir = prepare_out_dir(out_dir)
    panels = [("soc_end", "SoC at the end of the day\n(% of usable capacity)", "C2")]
    if "soh" in v:
        panels.append(("soh", "state of health\n(% of nominal capacity)", "C0"))
    episode = int(v["episode"][-1]) if "episode" in v else -1
    fig, axes = _figure(len(panels))
    for a, (name, label, color) in zip(axes, panels):
        values = 100.0 * np.asarray(v[name][-1], float)
        n = len(values)
        if n <= MAX_BARS:
            a.bar(np.arange(n), values, color=color, label="per vehicle")
        else:  # too many bars to read: the sorted distribution
            a.plot(np.sort(values), color=color, label="per vehicle, sorted")
        a.axhline(values.mean(), color="C1", ls="--", lw=1, label=f"fleet mean {values.mean():.1f} %")
        a.set_ylim(0, 100)
        a.set_ylabel(label, fontsize=9)
        _legend_outside(a)
    axes[-1].set_xlabel("vehicle (index)" if len(v["soc_end"][-1]) <= MAX_BARS else "vehicles, sorted")
    axes[0].set_title(f"Fig. 8: battery per vehicle at the end of episode {episode}")
    fig.tight_layout()
    return _save(fig, out_dir, "fig8_final_battery", formats)


def fig9_pairs(evaluation):
    """The X of every initial_X / enhanced_X dataset pair of /evaluation, sorted."""
    ev = evaluation or {}
    return sorted(k[len("initial_"):] for k in ev if k.startswith("initial_") and "enhanced_" + k[len("initial_"):] in ev)


FIG9_NAMES = {"soh": "state of health", "departure_met": "departure energy met"}


def unit_label(units):
    """A unit as an axis label writes it: the dimensionless "1" is a "fraction"."""
    return "fraction" if units in ("1", "", None) else units


def fig9_battery_performance(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
    """fig9_battery_performance.png (paper Fig. 9): initial vs enhanced battery performance
    per vehicle, from /evaluation (`v2g eval`): one panel per initial_X / enhanced_X pair
    (departure energy met, money per day, SoH); skipped with a note when there is none. Every
    bar starts at 0, so a change looks as large as it is; the legend gives both means and
    their difference."""
    run = _run(run)
    ev = run.evaluation_arrays
    pairs = fig9_pairs(ev)
    if not pairs:
        _note(notes, "Fig. 9: skipped, the run has no /evaluation data (initial vs enhanced "
                     "battery performance): run `v2g eval` on it")
        return []
    out_dir = prepare_out_dir(out_dir)
    fig, axes = _figure(len(pairs), sharex=True)
    for a, what in zip(axes, pairs):
        ini, enh = (np.ravel(np.asarray(ev[p + what], float)) for p in ("initial_", "enhanced_"))
        units = run.money_units(run.units("evaluation/initial_" + what) or "")
        mi, me = np.nanmean(ini), np.nanmean(enh)
        n = len(ini)
        if n <= MAX_BARS:
            x = np.arange(n)
            a.bar(x - 0.2, ini, 0.4, label=f"initial, mean {mi:.4g}")
            a.bar(x + 0.2, enh, 0.4, label=f"enhanced, mean {me:.4g}")
        else:
            a.plot(np.sort(ini), label=f"initial, sorted, mean {mi:.4g}")
            a.plot(np.sort(enh), label=f"enhanced, sorted, mean {me:.4g}")
        a.axhline(0, color="black", lw=0.5)
        a.plot([], [], " ", label=f"change {me - mi:+.3g}")  # a legend line, no data
        a.set_ylabel(f"{FIG9_NAMES.get(what, what.replace('_', ' '))}\n({unit_label(units)})", fontsize=8)
        _legend_outside(a, fontsize=7)
    axes[-1].set_xlabel("vehicle (index)" if len(ev["initial_" + pairs[0]]) <= MAX_BARS else "vehicles, sorted")
    axes[0].set_title("Fig. 9: battery performance per vehicle, initial (untrained) vs enhanced (trained) policy",
                      fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir, "fig9_battery_performance", formats)


# ---------------------------------------------------------------- layout check

def _overlaps(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _has_data(ax):
    return (any(len(line.get_xdata()) for line in ax.lines) or bool(ax.patches) or bool(ax.images)
            or any(len(c.get_paths()) for c in ax.collections))


def layout_problems(fig):
    """What is wrong with a figure's layout, as lines (empty: nothing); the suite runs it on
    every figure (tests/test_python_results.py). A legend may not overlap any axes' data area
    nor leave the figure; every axes shows data; every y axis (and colour bar) with a label
    names its unit in parentheses, and the dimensionless "(1)" is not a unit."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = []
    frame = fig.bbox
    axes = fig.get_axes()
    for i, ax in enumerate(axes):
        name = f"axes {i} ({ax.get_title() or ax.get_ylabel() or 'untitled'})"
        twins = [o for o in axes if o is not ax and o.bbox.bounds == ax.bbox.bounds]
        if not _has_data(ax) and not any(_has_data(o) for o in twins):
            problems.append(f"{name}: no data")
        label = ax.get_ylabel()  # a colour bar's label is its y label
        if label and ("(" not in label or label.rstrip().endswith("(1)")):
            problems.append(f"{name}: label {label!r} names no unit")
        legend = ax.get_legend()
        if legend is not None:
            box = legend.get_window_extent(renderer)
            if not (frame.x0 <= box.x0 and box.x1 <= frame.x1 + 0.5 and frame.y0 <= box.y0 and box.y1 <= frame.y1 + 0.5):
                problems.append(f"{name}: its legend leaves the figure")
            for j, other in enumerate(axes):
                if _overlaps(box, other.bbox):
                    problems.append(f"{name}: its legend overlaps the data area of axes {j}")
    return problems


FIGURES = (reward_curve, epsilon_curve, fig7_policy_map, fig8_final_battery, fig9_battery_performance,
           energy_flows, day_flows, ledger_activity)


def plot_all(run, out_dir, formats=DEFAULT_FORMATS, notes=None):
    """Every figure; returns the written paths (skipped figures add to `notes`)."""
    run = _run(run)
    prepare_out_dir(out_dir)  # fail before any work when the directory is unusable
    paths = []
    check_formats(formats)
    for fn in FIGURES:
        paths += fn(run, out_dir, formats=formats, notes=notes)
    return paths
