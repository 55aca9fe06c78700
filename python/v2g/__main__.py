"""`python3 -m v2g`: inspect, plot, watch and report a results file from the shell.

    python3 -m v2g inspect RUN.h5     (`info` is the same; `v2g inspect` is its C++ twin)
    python3 -m v2g plot RUN.h5 --out DIR [--format png,svg,pdf]
    python3 -m v2g watch RUN.h5 [--interval S] [--once]
    python3 -m v2g report RUN.h5 --out DIR     (DIR/report.html: offline, self-contained;
                                                prints its path; v2g.report owns the page)
    python3 -m v2g report A.h5 B.h5 ... --out DIR   (DIR/compare.html: the runs side by side,
                                                and each run's report; v2g.compare)
    python3 -m v2g sweep-report SWEEP.h5 --out DIR [--metric NAME] [--minimize]
                                               (a sweep's ranking, each parameter's effect,
                                                DIR/best.toml, DIR/sweep_report.html;
                                                v2g.sweep_report owns them)

Bad input (missing, non-HDF5, truncated or newer-schema file, a malformed /evaluation for
report, a file that is not a sweep or an unknown --metric for sweep-report, unwritable --out)
prints one line `v2g: error: ...` on stderr and exits 2; never a traceback.
"""

import argparse
import sys
import time

from .errors import EXIT_BAD_INPUT, ResultsError
from .run import Run, _short


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage + error; one line is the contract
        raise SystemExit(_fail(f"{message} (see python3 -m v2g --help)"))


MAX_ERROR_CHARS = 200  # as the CLI's error lines (cli/cli.cpp, shortened())
KEEP_EACH_SIDE = 24


def _shortened(text):
    """The longest words cut in the middle ("abc...xyz") until the line fits, as the CLI does."""
    words = text.split(" ")
    while len(" ".join(words)) > MAX_ERROR_CHARS:
        i = max(range(len(words)), key=lambda k: len(words[k]))
        if len(words[i]) <= 2 * KEEP_EACH_SIDE + 3:
            break
        words[i] = words[i][:KEEP_EACH_SIDE] + "..." + words[i][-KEEP_EACH_SIDE:]
    line = " ".join(words)
    return line if len(line) <= MAX_ERROR_CHARS else line[:MAX_ERROR_CHARS - 3] + "..."


def _fail(msg):
    print(f"v2g: error: {_shortened(' '.join(str(msg).split()))}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _describe(e):
    """One line for an exception from opening/plotting: the path and the cause."""
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror or e}"
    return str(e)


def _fmt(x, spec=".4g"):
    try:
        return format(float(x), spec)
    except (TypeError, ValueError):
        return "?"


def cmd_info(args):
    run = Run(args.run)
    a = run.attrs
    print(f"{run.path}: schema {a.get('schema_version')}, v2g {a.get('v2g_version')} ({a.get('git_commit')})")
    print(f"run       {a.get('run_name')}  seed {a.get('seed')}  started {a.get('start_time')}")
    print(f"device    {a.get('device')}: {a.get('backend')} ({a.get('device_reason')})")
    print(f"status    {run.status}: {run.episodes_done}/{run.episodes_planned} episodes")
    communities = a.get('communities')
    print(f"shape     {a.get('vehicles')} vehicles, {communities} {'community' if communities == 1 else 'communities'}, "
          f"{a.get('steps_per_episode')} steps/episode, {a.get('states')} states x {a.get('actions')} actions")
    ep = run.episode_arrays
    if run.episodes_done:
        i = run.episodes_done - 1
        print(f"last      episode {int(ep['episode'][i])}: reward {_fmt(ep['reward_mean'][i])} "
              f"(min {_fmt(ep['reward_min'][i])}, max {_fmt(ep['reward_max'][i])}) {run.currency}/vehicle/day, "
              f"epsilon {_fmt(ep['epsilon'][i], '.3f')}, SoC {_fmt(ep['soc_end_mean'][i], '.3f')}, "
              f"SoH {_fmt(ep['soh_mean'][i], '.5f')}")
    blocks = run.blocks
    if blocks is not None:
        print(f"ledger    {len(blocks)} blocks, {int(blocks['tx_count'].sum())} transactions committed, "
              f"{int(run.tx_stored.sum())} stored, {0 if run.contracts is None else len(run.contracts)} contracts")
    return 0


def cmd_plot(args):
    from . import plot  # matplotlib: only for this command

    run = Run(args.run)
    notes = []
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if args.svg and "svg" not in formats:
        formats.append("svg")
    try:
        plot.check_formats(formats)
    except ValueError as e:
        return _fail(f"--format: {e}")
    paths = plot.plot_all(run, args.out, formats=formats, notes=notes)
    for n in notes:
        print(f"v2g: note: {n}", file=sys.stderr)
    for p in paths:
        print(p)
    return 0


# More runs than this make the side-by-side page unreadable; sweep-report ranks them instead.
MAX_COMPARED_RUNS = 12


def cmd_report(args):
    from . import report  # matplotlib: only for this command

    from . import sweep

    if len(args.run) == 1 and sweep.is_sweep_file(args.run[0]):
        # A sweep (e.g. experiments/tabular_vs_dqn.toml): its runs side by side.
        s = sweep.open_sweep(args.run[0])
        ids = s.run_ids()
        if not ids:
            return _fail(f"{args.run[0]}: no run of this sweep has results yet")
        if len(ids) > MAX_COMPARED_RUNS:
            return _fail(f"{args.run[0]}: {len(ids)} runs are too many to show side by side "
                         f"(at most {MAX_COMPARED_RUNS}); use python3 -m v2g sweep-report")
        from . import compare

        print(compare.write_comparison([s.run_path(i) for i in ids], args.out))
    elif len(args.run) == 1:
        print(report.write_report(Run(args.run[0]), args.out))
    else:
        from . import compare

        print(compare.write_comparison([Run(r) for r in args.run], args.out))
    return 0


def cmd_sweep_report(args):
    from . import sweep_report  # matplotlib: only for this command

    lines, _ = sweep_report.write_sweep_report(args.sweep, args.out, args.metric, args.minimize)
    print("\n".join(lines))
    return 0


def _progress_line(run, last_time, last_done):
    ep = run.episode_arrays
    done = run.episodes_done
    i = done - 1
    rate = ""
    if "env_steps_per_s" in ep and done:
        rate = f"  {_fmt(ep['env_steps_per_s'][i], '.3g')} env-steps/s"
    reward = _fmt(ep["reward_mean"][i]) if done else "?"
    eps = _fmt(ep["epsilon"][i], ".3f") if done else "?"
    return f"{done}/{run.episodes_planned} episodes  reward {reward}  eps {eps}{rate}  [{run.status}]"


def cmd_watch(args):
    """Prints a line each time the episode count grows, until the status is not running."""
    if args.interval <= 0:
        return _fail(f"--interval {args.interval}: must be > 0 seconds")
    run = Run(args.run)
    last = -1
    try:
        while True:
            if run.episodes_done != last:
                print(_progress_line(run, None, last), flush=True)
                last = run.episodes_done
            if args.once or run.status != "running":
                break
            time.sleep(args.interval)
            run.refresh()
    except KeyboardInterrupt:
        return 130
    if run.status != "running" and not args.once:
        print(f"run {run.status}: {run.episodes_done}/{run.episodes_planned} episodes", flush=True)
    return 0


def main(argv=None):
    p = _Parser(prog="python3 -m v2g", description="Read, plot, watch and report v2g results files "
                                                         "(docs/RESULTS.md, docs/EVALUATION.md).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    s = sub.add_parser("inspect", aliases=["info"], help="a short summary of a run (as `v2g inspect`; info: the old name)")
    s.add_argument("run", metavar="RUN.h5")
    s = sub.add_parser("plot", help="write every figure (PNG; SVG or PDF with --format) and print their paths")
    s.add_argument("run", metavar="RUN.h5")
    s.add_argument("--out", required=True, metavar="DIR", help="output directory (created)")
    s.add_argument("--format", default="png", metavar="F[,F]",
                   help="file formats, comma-separated: png, svg, pdf (svg and pdf are vector; default png)")
    s.add_argument("--svg", action="store_true", help="also write SVG (the same as adding svg to --format)")
    s = sub.add_parser("watch", help="follow a live run (SWMR): a line each time the episode count grows")
    s.add_argument("run", metavar="RUN.h5")
    s.add_argument("--interval", type=float, default=2.0, metavar="S", help="seconds between reads (2)")
    s.add_argument("--once", action="store_true", help="print the current progress and exit")
    s = sub.add_parser("report", help="write DIR/report.html and print its path: learning curves, the paper's "
                                      "Figs. 7-9, the evaluation (v2g eval) tables and figures; self-contained, "
                                      "opens offline")
    s.add_argument("run", metavar="RUN.h5", nargs="+",
                   help="one run, or several, or a sweep file (v2g sweep): DIR/compare.html puts them side by "
                        "side (learning curves over env-steps and wall time, the evaluated policies), with each "
                        "run's report")
    s.add_argument("--out", required=True, metavar="DIR", help="output directory (created)")
    s = sub.add_parser("sweep-report", help="rank a sweep's configurations (v2g sweep, v2g merge) by a metric, "
                                            "averaged over seeds; plot each swept parameter's effect with the "
                                            "seeds as error bars; write the best as DIR/best.toml and all of it "
                                            "as DIR/sweep_report.html")
    s.add_argument("sweep", metavar="SWEEP.h5")
    s.add_argument("--out", required=True, metavar="DIR", help="output directory (created)")
    s.add_argument("--metric", metavar="NAME", help="a metric column of the runs table, higher is better "
                                                    "(default: learned_money_per_vehicle when the sweep evaluated, "
                                                    "else reward_last)")
    s.add_argument("--minimize", action="store_true", help="lower is better (a cost: unmet_kwh_last, ...): "
                                                           "rank lowest first, best.toml the lowest")
    for sp in sub.choices.values():
        sp.error = p.error  # one line for subcommand errors too
    args = p.parse_args(argv)
    if args.command is None:
        return _fail("a command is required: inspect, plot, watch, report or sweep-report")
    try:
        return {"inspect": cmd_info, "info": cmd_info, "plot": cmd_plot, "watch": cmd_watch, "report": cmd_report,
                "sweep-report": cmd_sweep_report}[args.command](args)
    except BrokenPipeError:
        return 1
    except (ResultsError, OSError) as e:  # FileNotFoundError, PermissionError, ... are OSErrors
        return _fail(_describe(e))
    except (RuntimeError, KeyError) as e:
        # h5py's errors on a damaged object that no reader above named: still one line.
        where = getattr(args, "run", None) or getattr(args, "sweep", "")
        where = " ".join(where) if isinstance(where, list) else where
        return _fail(f"{where}: unreadable, truncated or corrupt results file ({_short(str(e))})")


if __name__ == "__main__":
    sys.exit(main())
