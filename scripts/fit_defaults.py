#!/usr/bin/python3
"""fit_defaults.py: fits the built-in defaults of problem/fleet_mix.cpp, problem/sessions.cpp and
problem/signals.cpp from the real data in ../shared/data/ and prints them as C++ constant tables.

Offline only: the engine never reads these files for its defaults; paste the printed tables into
the .cpp files (docs/DATA.md explains every number). Standard library only.

    /usr/bin/python3 scripts/fit_defaults.py [DATA_DIR]      (default: ../shared/data)
"""
import csv
import json
import math
import os
import sys

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
EV2GYM = os.path.join(DATA, "ev2gym")
CITYLEARN = os.path.join(DATA, "citylearn")

CHARGERS = ["private", "public", "workplace"]
QUANTILES = 21                  # p = 0, 5%, ..., 100% (kQuantileCount in env/env_types.h)
MAX_CONNECTION_HOURS = 24.0     # an episode is one day: a longer stay cannot fit one anyway
DAYS_PER_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def read_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def cf(value, digits=6):
    """A C++ float literal: 11 -> 11.0f, 1.5e-05 -> 1.5e-05f."""
    text = f"{value:.{digits}g}"
    if not any(ch in text for ch in ".e"):
        text += ".0"
    return text + "f"


def fmt(values, digits=6, per_line=8, indent="    "):
    out = []
    for i in range(0, len(values), per_line):
        out.append(indent + ", ".join(cf(v, digits) for v in values[i:i + per_line]) + ",")
    return "\n".join(out)


def mean(xs):
    return sum(xs) / len(xs)


def sd(xs):
    m = mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def quantiles(values, n=QUANTILES):
    """Empirical quantiles at p = k/(n-1), linear interpolation between order statistics."""
    s = sorted(values)
    out = []
    for k in range(n):
        x = k / (n - 1) * (len(s) - 1)
        i = min(int(x), len(s) - 2)
        out.append(s[i] + (x - i) * (s[i + 1] - s[i]))
    return out


# ------------------------------------------------------------------------------------- fleet
def fit_fleet():
    with open(os.path.join(EV2GYM, "ev_specs_v2g_enabled2024.json")) as f:
        specs = json.load(f)
    print("// --- fleet_mix.cpp: kEv2GymModels (ev_specs_v2g_enabled2024.json) ---")
    print("// name, registrations, capacity_kwh, ac_charge_kw, ac_discharge_kw, eta (mean of non-zero 3ph_ch_efficiency / 100)")
    capacities = []
    for name, s in specs.items():
        eff = [e for e in s["3ph_ch_efficiency"] if e > 0]
        eta = mean(eff) / 100.0
        capacities.append(s["battery_capacity"])
        print(f'    {{"{name}", {s["number_of_registrations"]}, {cf(s["battery_capacity"])}, '
              f'{cf(s["max_ac_charge_power"])}, {cf(s["max_ac_discharge_power"])}, {cf(eta, 4)}}},')
    print(f"// largest capacity: {max(capacities):g} kWh")
    return max(capacities)


# ---------------------------------------------------------------------------------- sessions
def fit_sessions(max_demand_kwh):
    rows = read_rows(os.path.join(EV2GYM, "distribution-of-arrival.csv"))
    header, data = rows[0], rows[1:]
    assert len(data) == 96, "expected 96 quarter-hour slots"
    print("\n// --- sessions.cpp: kArrivalPercent[charger][quarter-hour slot from 00:00] "
          "(distribution-of-arrival.csv, % of arrivals) ---")
    for c in CHARGERS:
        col = header.index(c)
        values = [float(r[col]) for r in data]
        print(f"  // {c}: sum {sum(values):.4f} %")
        print("  {\n" + fmt(values, 6, 8, "    ") + "\n  },")

    rows = read_rows(os.path.join(EV2GYM, "distribution-of-arrival-weekend.csv"))
    header, data = rows[0], rows[1:]
    assert len(data) == 96, "expected 96 quarter-hour slots"
    print("\n// --- sessions.cpp: kWeekendArrivalPercent[private, public][quarter-hour slot from 00:00] "
          "(distribution-of-arrival-weekend.csv; no workplace column) ---")
    for c in CHARGERS[:2]:
        col = header.index(c)
        values = [float(r[col]) for r in data]
        print(f"  // {c}: sum {sum(values):.4f} %")
        print("  {\n" + fmt(values, 6, 8, "    ") + "\n  },")

    # Means by half-hour of arrival: columns home, public, work (= private, public, workplace);
    # rows are not in clock order and some cells are empty (no sessions): -1 marks them.
    for fname, label in [("mean-session-length-per.csv", "kMeanStayHours"),
                         ("mean-demand-per-arrival.csv", "kMeanSessionKwh")]:
        rows = read_rows(os.path.join(EV2GYM, fname))
        data = rows[1:]
        by_slot = {}
        for r in data:
            hh, mm = r[0].split(":")
            by_slot[int(hh) * 2 + int(mm) // 30] = [float(x) if x.strip() else -1.0 for x in (r[1:] + ["", "", ""])[:3]]
        assert sorted(by_slot) == list(range(48)), fname
        print(f"\n// --- sessions.cpp: {label}[charger][half-hour of arrival from 00:00] ({fname}; -1 = no data) ---")
        for k, c in enumerate(CHARGERS):
            print("  {\n" + fmt([by_slot[j][k] for j in range(48)], 5, 8, "    ") + "\n  },")

    for fname, label, cap in [("distribution-of-connection-time.csv", "kDurationHoursQ", MAX_CONNECTION_HOURS),
                              ("distribution-of-energy-demand.csv", "kDemandKwhQ", max_demand_kwh)]:
        rows = read_rows(os.path.join(EV2GYM, fname))
        header, data = rows[0], rows[1:]
        # Row x: the value exceeded by x % of charging events (a survival function, x = 0..100),
        # so the p-quantile (P(value <= q) = p) is the row x = 100 (1 - p).
        print(f"\n// --- sessions.cpp: {label}[charger][p = 0, 5%, ..., 100%] ({fname}, capped at {cap:g}) ---")
        for c in CHARGERS:
            col = header.index(c)
            by_pct = {int(float(r[0])): float(r[col]) for r in data}
            raw = [by_pct[100 - 5 * k] for k in range(QUANTILES)]
            capped = [min(v, cap) for v in raw]
            # median and mean of the 101-point table (mean of quantiles = integral of inverse CDF)
            full = [min(by_pct[100 - x], cap) for x in range(101)]
            m = (sum(full) - 0.5 * (full[0] + full[-1])) / 100.0
            print(f"  // {c}: raw p0..p100 {raw[0]:g}..{raw[-1]:g}, median {raw[10]:g}, mean (capped) {m:.2f}")
            print("  {" + ", ".join(cf(v) for v in capped) + "},")


# ----------------------------------------------------------------------------------- signals
def month_of_day_of_year(day):
    acc = 0
    for m, n in enumerate(DAYS_PER_MONTH):
        acc += n
        if day < acc:
            return m
    return 11


def fit_signals():
    price_rows = list(csv.DictReader(open(os.path.join(CITYLEARN, "pricing.csv"), encoding="utf-8-sig")))
    b_rows = list(csv.DictReader(open(os.path.join(CITYLEARN, "Building_1.csv"), encoding="utf-8-sig")))
    price = [float(r["electricity_pricing"]) for r in price_rows]
    load = [float(r["non_shiftable_load"]) for r in b_rows]          # kWh in one hour = kW
    pv = [float(r["solar_generation"]) / 1000.0 for r in b_rows]      # W/kW -> kW/kWp
    month = [int(r["month"]) - 1 for r in b_rows]
    n = len(price)
    days = n // 24
    # Row i is clock hour i % 24 (the hour column restarts every 24 rows; see docs/DATA.md).

    # Price: hour-of-day mean profile x lognormal day factor.
    price_hour = [mean(price[h::24]) for h in range(24)]
    daily_mean = [mean(price[24 * d:24 * d + 24]) for d in range(days)]
    log_daily = [math.log(x) for x in daily_mean]
    sigma_price = sd(log_daily)
    # Lag-1 autocorrelation of log daily mean price: the day factor is an AR(1) process.
    m = mean(log_daily)
    rho_price = (sum((log_daily[d] - m) * (log_daily[d + 1] - m) for d in range(days - 1)) /
                 sum((x - m) ** 2 for x in log_daily))
    print("\n// --- signals.cpp: kPriceHourPerKwh[clock hour] (pricing.csv electricity_pricing, mean by hour, $/kWh) ---")
    print(fmt(price_hour, 5, 8))
    print(f"// kPriceDayLogSd (sd of log daily mean price over {days} days): {sigma_price:.4f}")
    print(f"// kPriceDayLogAutocorr (lag-1 autocorrelation of log daily mean price): {rho_price:.4f}")
    print(f"// data: mean {mean(price):.5f} $/kWh, sd {sd(price):.5f}, min {min(price):.5f}, max {max(price):.5f}")

    # Load: hour profile (kW) x month factor x lognormal day factor x lognormal hour factor.
    load_mean = mean(load)
    load_hour = [mean(load[h::24]) for h in range(24)]
    load_month = [mean([load[i] for i in range(n) if month[i] == m]) / load_mean for m in range(12)]
    log_day, log_hour = [], []
    for d in range(days):
        idx = range(24 * d, 24 * d + 24)
        pred = [load_month[month[i]] * load_hour[i % 24] for i in idx]
        factor = mean([load[i] for i in idx]) / mean(pred)
        log_day.append(math.log(factor))
        for i, p in zip(idx, pred):
            log_hour.append(math.log(load[i] / (p * factor)))
    print("\n// --- signals.cpp: kLoadHourKw[clock hour] (Building_1.csv non_shiftable_load, mean by hour, kW) ---")
    print(fmt(load_hour, 5, 8))
    print("// kLoadMonthFactor[month] (mean of the month / mean of the year)")
    print(fmt(load_month, 5, 6))
    print(f"// kLoadDayLogSd: {sd(log_day):.4f}   kLoadHourLogSd: {sd(log_hour):.4f}")
    print(f"// data: mean {load_mean:.4f} kW, sd {sd(load):.4f}, min {min(load):.4f}, max {max(load):.4f}, "
          f"90% quantile {quantiles(load, 11)[9]:.4f}")

    # PV: month x hour mean profile (kW/kWp) x per-day cloudiness factor (empirical quantiles).
    pv_table = [[0.0] * 24 for _ in range(12)]
    for m in range(12):
        for h in range(24):
            v = [pv[i] for i in range(h, n, 24) if month[i] == m]
            pv_table[m][h] = mean(v)
    month_daily = [sum(pv_table[m]) for m in range(12)]
    cloud = []
    for d in range(days):
        m = month[24 * d + 12]
        cloud.append(sum(pv[24 * d:24 * d + 24]) / month_daily[m])
    cq = quantiles(cloud)
    print("\n// --- signals.cpp: kPvKwPerKwp[month][clock hour] (Building_1.csv solar_generation / 1000, mean) ---")
    for m in range(12):
        print("  {" + ", ".join(cf(v, 4) for v in pv_table[m]) + "},")
    print("// kPvDayFactorQ[p = 0, 5%, ..., 100%] (daily energy / mean daily energy of its month)")
    print(fmt(cq, 4, 7))
    print(f"// cloud factor mean {mean(cloud):.4f}, sd {sd(cloud):.4f}; pv max {max(pv):.4f} kW/kWp, "
          f"mean {mean(pv):.4f}")


def main():
    max_capacity = fit_fleet()
    fit_sessions(max_capacity)
    fit_signals()


if __name__ == "__main__":
    main()
