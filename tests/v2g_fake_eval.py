"""Test fixture: an /evaluation group written with h5py that follows docs/EVALUATION.md, added
to a results file made by v2g_fake_run.write_fake_run, so the report tests run without the
engine's `v2g eval`.

Owns METRICS, DAY_SERIES, FIG9 and ATTRS: the documented layout as data (tests/test_report.py
checks them against docs/EVALUATION.md's tables, so a change of the doc breaks the fixture
loudly), and write_fake_evaluation(). The numbers are random (seeded) but hang together as
the engine's do: the metrics are computed from the per-step day flows and prices (peak import
is the highest step's import / step_hours, money = revenue - costs - penalty x unmet, the
reductions are relative to charge_on_arrival), and each fault perturbs the flows before the
same computation. Exactly one metric cell of the fault-free metrics is NaN (NAN_CELL: a
policy-day without a ledger transaction has no transaction latency).
"""

import datetime

import h5py
import numpy as np

POLICIES = ("learned", "initial", "random", "charge_on_arrival", "time_of_use", "optimal_dp", "oracle_lp")
FAULTS = ("missing_vehicles", "grid_outage", "price_spike", "lost_community")
FAULT_DESCRIPTIONS = {
    "missing_vehicles": "a share of the vehicles never plug in",
    "grid_outage": "no grid import or export during the outage window (P2P still clears)",
    "price_spike": "retail price multiplied during the spike window",
    "lost_community": "community 0 is offline all day",
}
CUR_VD, KWH_VD = "currency/vehicle/day", "kWh/vehicle/day"
# (name, units, definition), in the documented order.
METRICS = (
    ("money_per_vehicle", CUR_VD, "revenue - energy cost - degradation cost - unmet penalty - en-route charging"),
    ("energy_cost_per_vehicle", CUR_VD, "paid for energy: grid imports and P2P purchases"),
    ("revenue_per_vehicle", CUR_VD, "received: grid exports (DR tariff or feed-in) and P2P sales"),
    ("degradation_cost_per_vehicle", CUR_VD, "money value of capacity lost"),
    ("en_route_cost_per_vehicle", CUR_VD, "fast charging bought on trips the battery could not cover"),
    ("unmet_kwh_per_vehicle", KWH_VD, "energy short of the requirement at departure"),
    ("departure_energy_met", "1", "1 - sum(unmet) / sum(energy needed by departure)"),
    ("grid_import_kwh_per_vehicle", KWH_VD, "energy drawn from the grid"),
    ("grid_export_kwh_per_vehicle", KWH_VD, "energy fed to the grid"),
    ("peak_import_kw", "kW", "the fleet's highest grid import over the day's steps"),
    ("peak_reduction", "1", "1 - peak_import_kw / charge_on_arrival's the same day"),
    ("energy_efficiency", "1", "energy delivered / energy drawn"),
    ("dr_import_kwh", "kWh", "fleet grid import during demand-response steps"),
    ("dr_import_reduction", "1", "1 - dr_import_kwh / charge_on_arrival's the same day"),
    ("dr_export_kwh", "kWh", "fleet energy discharged to the grid during demand-response steps"),
    ("transaction_latency_hours", "h", "mean time from a transfer's decision to its block's commit"),
    ("transactions_per_vehicle", "1/vehicle/day", "ledger transactions"),
    ("en_route_kwh_per_vehicle", KWH_VD, "energy bought en route"),
    ("curtailed_kwh_per_vehicle", KWH_VD, "grid import and export cut by the connection limit"),
    ("grid_limit_steps", "1", "community steps at which the connection limit cut a flow"),
    ("safety_overrides_per_vehicle", "1/vehicle/day", "steps the safety layer overrode the policy"),
)
# /evaluation/day: name -> (units, leading axes: "D" = [days, steps], "PD" = [policies, days, steps]).
DAY_SERIES = {
    "retail_price_per_kwh": ("currency/kWh", "D"), "feed_in_price_per_kwh": ("currency/kWh", "D"),
    "dr_event": ("1", "D"), "clock_hour": ("h", "D"),
    "grid_import_kwh": ("kWh", "PD"), "grid_export_kwh": ("kWh", "PD"),
    "p2p_bought_kwh": ("kWh", "PD"), "p2p_sold_kwh": ("kWh", "PD"),
}
# Fig. 9's per-vehicle datasets: X of initial_X / enhanced_X -> units.
FIG9 = {"departure_met": "1", "money_per_day": "currency/day", "soh": "1"}
ATTRS = ("days", "first_episode", "device", "backend", "dp_energy_points", "step_hours", "vehicles", "ledger",
         "faults", "created_utc", "oracle_communities", "oracle_vehicles", "score")
NAN_CELL = ("transaction_latency_hours", -1, 0)  # (metric, policy index, day)
UNMET_PENALTY = 0.5  # currency/kWh, as market.unmet_penalty_per_kwh's default
P2P_PRICE = 0.15     # currency/kWh


def _text(value):
    """A fixed-length ASCII string, as the engine writes its string attributes."""
    return np.bytes_(str(value).encode())


def _write(group, name, data, units, definition=None):
    ds = group.create_dataset(name, data=np.asarray(data, np.float64))
    ds.attrs["units"] = _text(units)
    if definition is not None:
        ds.attrs["definition"] = _text(definition)
    return ds


def _flows(rng, policies, days, steps, vehicles, hours):
    """Per-step fleet flows [policies, days, steps] per policy: uncontrolled charging piles up
    at evening arrival, the others spread and sell some back."""
    evening = np.exp(-0.5 * ((hours - 18.0) / 2.0) ** 2)
    night = np.exp(-0.5 * (((hours + 12.0) % 24.0 - 14.0) / 3.0) ** 2)  # around 02:00
    step_h = 24.0 / steps
    out = {k: np.zeros((len(policies), days, steps)) for k in ("grid_import_kwh", "grid_export_kwh",
                                                              "p2p_bought_kwh", "p2p_sold_kwh")}
    for k, p in enumerate(policies):
        shape = evening if p in ("charge_on_arrival", "initial", "random") else night
        noise = rng.uniform(0.7, 1.3, (days, steps))
        out["grid_import_kwh"][k] = vehicles * step_h * 3.0 * shape * noise
        sells = 0.0 if p == "charge_on_arrival" else rng.uniform(0.1, 0.6)
        out["grid_export_kwh"][k] = vehicles * step_h * sells * evening * rng.uniform(0.5, 1.5, (days, steps))
        out["p2p_bought_kwh"][k] = vehicles * step_h * 0.2 * rng.uniform(0, 1, (days, steps))
        out["p2p_sold_kwh"][k] = 0.9 * out["p2p_bought_kwh"][k]
    return out


def _metrics(rng, policies, flows, retail, feed_in, dr, vehicles, step_h, needed):
    """Every documented metric [policies, days] from the flows and prices."""
    imp, exp = flows["grid_import_kwh"], flows["grid_export_kwh"]
    bought, sold = flows["p2p_bought_kwh"], flows["p2p_sold_kwh"]
    P, D = imp.shape[:2]
    m = {}
    m["energy_cost_per_vehicle"] = ((imp * retail).sum(-1) + P2P_PRICE * bought.sum(-1)) / vehicles
    m["revenue_per_vehicle"] = ((exp * feed_in).sum(-1) + P2P_PRICE * sold.sum(-1)) / vehicles
    m["degradation_cost_per_vehicle"] = rng.uniform(0.05, 0.2, (P, D))
    unmet = np.maximum(0.0, rng.normal(0.3, 0.3, (P, D)))
    unmet[[k for k, p in enumerate(policies) if p in ("charge_on_arrival", "optimal_dp")]] *= 0.1
    m["unmet_kwh_per_vehicle"] = unmet
    m["departure_energy_met"] = np.clip(1.0 - unmet / needed, 0.0, 1.0)
    m["en_route_cost_per_vehicle"] = rng.uniform(0.0, 0.05, (P, D))
    m["en_route_kwh_per_vehicle"] = m["en_route_cost_per_vehicle"] / 0.69
    m["money_per_vehicle"] = (m["revenue_per_vehicle"] - m["energy_cost_per_vehicle"]
                              - m["degradation_cost_per_vehicle"] - UNMET_PENALTY * unmet
                              - m["en_route_cost_per_vehicle"])
    m["curtailed_kwh_per_vehicle"] = rng.uniform(0.0, 0.2, (P, D))
    m["grid_limit_steps"] = rng.integers(0, 3, (P, D)).astype(np.float64)
    m["safety_overrides_per_vehicle"] = rng.uniform(0.0, 0.5, (P, D))
    m["grid_import_kwh_per_vehicle"] = imp.sum(-1) / vehicles
    m["grid_export_kwh_per_vehicle"] = exp.sum(-1) / vehicles
    m["peak_import_kw"] = imp.max(-1) / step_h
    m["dr_import_kwh"] = (imp * dr).sum(-1)
    m["dr_export_kwh"] = (exp * dr).sum(-1)
    ref = policies.index("charge_on_arrival") if "charge_on_arrival" in policies else None
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, base in (("peak_reduction", "peak_import_kw"), ("dr_import_reduction", "dr_import_kwh")):
            if ref is None:
                m[name] = np.full((P, D), np.nan)  # no reference policy evaluated
            else:
                r = m[base][ref]
                m[name] = np.where(r > 0, 1.0 - m[base] / np.where(r > 0, r, 1.0), np.nan)
    m["energy_efficiency"] = rng.uniform(0.86, 0.95, (P, D))
    m["transaction_latency_hours"] = rng.uniform(2.0, 14.0, (P, D))
    m["transactions_per_vehicle"] = rng.uniform(4.0, 20.0, (P, D))
    return m


def write_fake_evaluation(path, policies=POLICIES, days=4, vehicles=None, steps=None, faults=FAULTS, seed=3,
                          definitions=True):
    """Adds /evaluation (replacing one) to the results file `path`: `days` evaluation days of
    `policies` and `faults`. vehicles and steps default to the file's root attributes (they
    must agree with them). definitions=False leaves out the metrics' `definition` attribute."""
    policies, faults = list(policies), list(faults)
    rng = np.random.default_rng(seed)
    with h5py.File(path, "r+") as f:
        fv, fs = int(f.attrs["vehicles"]), int(f.attrs["steps_per_episode"])
        vehicles = fv if vehicles is None else vehicles
        steps = fs if steps is None else steps
        if (vehicles, steps) != (fv, fs):
            raise ValueError(f"{path}: the run has {fv} vehicles and {fs} steps, not {vehicles} and {steps}")
        first = int(f["episodes/episode"].shape[0])  # episodes done: evaluation day 0 is the next one
        if "evaluation" in f:
            del f["evaluation"]
        g = f.create_group("evaluation")
        step_h = 24.0 / steps
        a = g.attrs
        a["days"], a["first_episode"], a["dp_energy_points"] = np.int64(days), np.int64(first), np.int64(41)
        a["vehicles"], a["ledger"], a["step_hours"] = np.int64(vehicles), np.int64(1), np.float64(step_h)
        a["device"], a["backend"] = _text("cpu"), _text("cpu (1 threads)")
        a["faults"] = _text(",".join(faults))
        a["oracle_communities"], a["oracle_vehicles"] = np.int64(1), np.int64(vehicles)
        a["created_utc"] = _text(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))

        width = max([len(p) for p in policies] + [1]) + 1
        g.create_dataset("policies", data=np.array([p.encode() for p in policies], dtype=f"S{width}"))
        g["policies"].attrs["units"] = _text("1")

        hours = np.arange(steps) * step_h
        clock = np.tile(hours, (days, 1))
        retail = 0.18 + 0.1 * np.exp(-0.5 * ((clock - 18.5) / 2.5) ** 2) + rng.uniform(-0.01, 0.01, (days, steps))
        feed_in = np.full((days, steps), 0.06)
        dr = ((clock >= 17.0) & (clock < 20.0)).astype(np.float64)  # the evening peak
        flows = _flows(rng, policies, days, steps, vehicles, hours)
        needed = rng.uniform(6.0, 12.0)  # kWh/vehicle/day short of the requirement at arrival

        day = g.create_group("day")
        for name, series in (("retail_price_per_kwh", retail), ("feed_in_price_per_kwh", feed_in),
                             ("dr_event", dr), ("clock_hour", clock)):
            _write(day, name, series, DAY_SERIES[name][0])
        for name, series in flows.items():
            _write(day, name, series, DAY_SERIES[name][0])

        def metrics_group(parent, m):
            mg = parent.create_group("metrics")
            for name, units, definition in METRICS:
                _write(mg, name, m[name], units, definition if definitions else None)
            # The money on the oracle's communities (here: all of them) and the score from it.
            money = m["money_per_vehicle"]
            _write(parent, "oracle_set_money_per_vehicle", money, CUR_VD,
                   "money per vehicle-day on the LP oracle's communities (the score's)")
            if all(p in policies for p in ("learned", "random", "oracle_lp")):
                mean = {p: money[policies.index(p)].mean() for p in ("learned", "random", "oracle_lp")}
                gap = mean["oracle_lp"] - mean["random"]
                parent.attrs["score"] = np.float64((mean["learned"] - mean["random"]) / gap if gap > 0 else np.nan)
            else:
                parent.attrs["score"] = np.float64(np.nan)

        base = _metrics(rng, policies, flows, retail, feed_in, dr, vehicles, step_h, needed)
        name, k, d = NAN_CELL
        base["transaction_latency_hours"][k, d] = np.nan
        base["transactions_per_vehicle"][k, d] = 0.0
        metrics_group(g, base)

        _write(g, "optimum_value_per_vehicle", base["money_per_vehicle"].max(axis=0) + rng.uniform(0.1, 0.5, days),
               CUR_VD, "the dynamic-programming optimum's value of the plugged-in steps, fleet mean")
        ini = {"departure_met": rng.uniform(0.6, 0.9, vehicles), "money_per_day": rng.normal(-3.0, 0.5, vehicles),
               "soh": 0.95 - rng.uniform(0, 2e-4, vehicles)}
        enh = {"departure_met": np.minimum(1.0, ini["departure_met"] + rng.uniform(0.05, 0.2, vehicles)),
               "money_per_day": ini["money_per_day"] + rng.uniform(0.2, 1.0, vehicles),
               "soh": ini["soh"] + rng.uniform(0, 5e-5, vehicles)}
        for what, units in FIG9.items():
            _write(g, "initial_" + what, ini[what], units)
            _write(g, "enhanced_" + what, enh[what], units)

        fg = g.create_group("faults")
        for fault in faults:
            fl = {k: v.copy() for k, v in flows.items()}
            r = retail.copy()
            window = (clock >= 17.0) & (clock < 21.0)
            if fault == "missing_vehicles" or fault == "lost_community":
                for k in fl:  # fewer vehicles plugged in: less of every flow
                    fl[k] *= 0.9 if fault == "missing_vehicles" else 0.75
            elif fault == "grid_outage":
                for k in ("grid_import_kwh", "grid_export_kwh"):
                    fl[k][:, window] = 0.0
            elif fault == "price_spike":
                r[window] *= 5.0
            one = fg.create_group(fault)
            one.attrs["description"] = _text(FAULT_DESCRIPTIONS.get(fault, f"the fault {fault}"))
            metrics_group(one, _metrics(rng, policies, fl, r, feed_in, dr, vehicles, step_h, needed))
    return path
