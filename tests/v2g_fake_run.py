"""Test fixtures: results files written with h5py that follow docs/RESULTS.md (schema 1.0).

Owns SCHEMA, the documented layout as data (dataset -> dtype, shape, units), which the
integration tests check the engine's real files against, and write_fake_run(), which the
reader/plot tests use so that they run without the engine's HDF5 writer. Run as a script
(`live PATH ...`) it plays a live SWMR writer for the watch/refresh tests.
"""

import argparse
import os
import sys
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
from v2g.records import BLOCK_DTYPE, CONTRACT_DTYPE, TRANSACTION_DTYPE  # noqa: E402

CUR_VD = "currency/vehicle/day"
KWH_VD = "kWh/vehicle/day"
# Shape symbols: "N" episodes done, "k" rows of a strided table, "V" vehicles, "T" tables,
# "S" states, "B" blocks, "K" contracts, "n" stored transactions; numbers are fixed sizes.
SCHEMA = {
    "episodes/episode": ("int64", ("N",), "1"),
    "episodes/epsilon": ("float64", ("N",), "1"),
    **{f"episodes/{n}": ("float64", ("N",), CUR_VD) for n in (
        "reward_mean", "reward_min", "reward_max", "energy_cost", "revenue", "degradation_cost",
        "unmet_penalty", "en_route_cost")},
    **{f"episodes/{n}": ("float64", ("N",), KWH_VD) for n in (
        "unmet_kwh", "grid_import_kwh", "grid_export_kwh", "p2p_bought_kwh", "p2p_sold_kwh",
        "pv_sold_kwh", "market_volume_kwh", "conversion_loss_kwh", "market_loss_kwh", "en_route_kwh",
        "curtailed_kwh")},
    "episodes/safety_overrides": ("float64", ("N",), "1/vehicle/day"),
    "episodes/limit_steps": ("float64", ("N",), "1"),
    "episodes/pack_replacements": ("float64", ("N",), "1"),
    "episodes/soc_end_mean": ("float64", ("N",), "1"),
    "episodes/soh_mean": ("float64", ("N",), "1"),
    "episodes/soh_min": ("float64", ("N",), "1"),
    "episodes/tx_count": ("int64", ("N",), "1"),
    "episodes/rejected": ("int64", ("N", 4), "1"),
    "episodes/env_steps_per_s": ("float64", ("N",), "1/s"),
    "vehicles/episode": ("int64", ("k",), "1"),
    "vehicles/soc_end": ("float32", ("k", "V"), "1"),
    "vehicles/soh": ("float32", ("k", "V"), "1"),
    "vehicles/reward": ("float32", ("k", "V"), "currency/day"),
    "vehicles/unmet_kwh": ("float32", ("k", "V"), "kWh"),
    "qtables/episode": ("int64", ("q",), "1"),
    "qtables/q": ("float32", ("q", "T", "S", 5), "currency"),
    "qtables/final": ("float32", ("T", "S", 5), "currency"),
    # The ledger's compound records: their units are not given by the doc (checked: present).
    "ledger/contracts": ("contract", ("K",), None),
    "ledger/blocks": ("block", ("B",), None),
    "ledger/tx_offset": ("int64", ("B",), None),
    "ledger/tx_stored": ("int64", ("B",), None),
    "ledger/transactions": ("transaction", ("n",), None),
}
STRING_DATASETS = ("config/input_toml", "config/effective_toml")
ROOT_ATTRS = {
    "schema_version": str, "v2g_version": str, "git_commit": str, "device": str, "backend": str,
    "device_reason": str, "seed": "uint64", "start_time": str, "run_name": str, "status": str,
    "episodes_planned": "int64", "vehicles": "int64", "communities": "int64",
    "steps_per_episode": "int64", "states": "int64", "actions": "int64",
}
COMPOUNDS = {"contract": CONTRACT_DTYPE, "block": BLOCK_DTYPE, "transaction": TRANSACTION_DTYPE}
GROWING = [k for k, v in SCHEMA.items() if v[1][0] in ("N", "k", "q", "B", "n")]


def fake_config(vehicles, community_size, episodes, soc_bins, steps, price_levels, q_sharing, store):
    """The effective config of the fake run: its Q-state index unfolds as the engine's
    (soc_bins x time_bins x price_levels, a time bin per step)."""
    return (
        '[run]\nname = "fake"\nseed = 7\nepisodes = %d\ndevice = "cpu"\nthreads = 1\n\n'
        '[time]\nday_start_hour = 0.0\n\n'
        '[fleet]\nvehicles = %d\ncommunity_size = %d\n\n'
        '[learning]\nsoc_bins = %d\ntime_bins = %d\nprice_levels = %d\ndeadline_levels = 1\n'
        'forecast_levels = 1\nq_init = 0.0\nq_sharing = "%s"\nalpha = 0.2\n'
        'epsilon = 0.8\nepsilon_decay = 0.995\n\n'
        '[ledger]\nenabled = true\nstore_transactions = "%s"\n'
        % (episodes, vehicles, community_size, soc_bins, steps, price_levels, q_sharing, store))


def _dataset(group, name, data, units, maxshape_first=True):
    data = np.asarray(data)
    maxshape = (None,) + data.shape[1:] if maxshape_first and data.ndim >= 1 else None
    chunks = (max(1, min(64, data.shape[0] or 1)),) + data.shape[1:] if maxshape else None
    ds = group.create_dataset(name, data=data, maxshape=maxshape, chunks=chunks,
                              shuffle=bool(maxshape), compression="gzip" if maxshape else None)
    ds.attrs["units"] = units
    return ds


class FakeRun:
    """The numbers a fake run holds, generated up front so a live writer can append them."""

    def __init__(self, episodes=20, vehicles=6, community_size=4, steps=24, soc_bins=4,
                 price_levels=3, q_sharing="vehicle", store="last", vehicle_stride=1, q_stride=5,
                 seed=1):
        rng = np.random.default_rng(seed)
        self.E, self.V, self.steps = episodes, vehicles, steps
        self.C = -(-vehicles // community_size)
        self.T = {"vehicle": vehicles, "community": self.C, "fleet": 1}[q_sharing]
        self.S = soc_bins * steps * price_levels
        self.vehicle_stride, self.q_stride, self.store = vehicle_stride, q_stride, store
        self.config = fake_config(vehicles, community_size, episodes, soc_bins, steps, price_levels, q_sharing, store)
        e = np.arange(episodes)
        learn = 1 - np.exp(-e / max(1, episodes / 4))
        self.vreward = (rng.normal(-3, 0.5, (episodes, vehicles)) + 2 * learn[:, None]).astype(np.float32)
        self.vsoc = rng.uniform(0.2, 0.9, (episodes, vehicles)).astype(np.float32)
        self.vsoh = (0.95 - 1e-5 * e[:, None] - rng.uniform(0, 1e-3, vehicles)).astype(np.float32)
        self.vunmet = np.maximum(0, rng.normal(0, 1, (episodes, vehicles))).astype(np.float32)
        r = self.vreward.astype(np.float64)
        revenue = rng.uniform(0.5, 1.5, episodes)
        degr = rng.uniform(0.1, 0.2, episodes)
        unmet_pen = self.vunmet.mean(1) * 0.5
        ep = {
            "episode": e.astype(np.int64),
            "epsilon": 0.8 * 0.995 ** e,
            "reward_mean": r.mean(1), "reward_min": r.min(1), "reward_max": r.max(1),
            "revenue": revenue, "degradation_cost": degr, "unmet_penalty": unmet_pen,
            "en_route_cost": np.zeros(episodes), "en_route_kwh": np.zeros(episodes),
            "curtailed_kwh": rng.uniform(0, 0.2, episodes), "safety_overrides": rng.uniform(0, 1, episodes),
            "limit_steps": rng.integers(0, 3, episodes).astype(np.float64), "pack_replacements": np.zeros(episodes),
            "energy_cost": revenue - degr - unmet_pen - r.mean(1),
            "unmet_kwh": self.vunmet.mean(1).astype(np.float64),
            "grid_import_kwh": rng.uniform(5, 10, episodes), "grid_export_kwh": rng.uniform(1, 4, episodes),
            "p2p_bought_kwh": rng.uniform(0, 2, episodes), "p2p_sold_kwh": rng.uniform(0, 2, episodes),
            "pv_sold_kwh": rng.uniform(0, 1, episodes),
            "conversion_loss_kwh": rng.uniform(0, 1, episodes), "market_loss_kwh": rng.uniform(0, 0.1, episodes),
            "soc_end_mean": self.vsoc.mean(1).astype(np.float64),
            "soh_mean": self.vsoh.mean(1).astype(np.float64), "soh_min": self.vsoh.min(1).astype(np.float64),
            "tx_count": rng.integers(10, 40, episodes).astype(np.int64),
            "rejected": rng.integers(0, 5, (episodes, 4)).astype(np.int64),
            "env_steps_per_s": rng.uniform(1e6, 2e6, episodes),
        }
        ep["market_volume_kwh"] = ep["p2p_sold_kwh"] + ep["pv_sold_kwh"]
        self.ep = ep
        q = rng.normal(0, 1, (self.T, self.S, 5)).astype(np.float32)
        q[:, self.S // 2:, :] = 0  # never visited: the initial value
        self.q_final = q
        K = self.C + 2 * vehicles
        c = np.zeros(K, CONTRACT_DTYPE)
        c["id"] = np.arange(K)
        c["type"] = [1] * self.C + [2] * vehicles + [3] * vehicles
        c["valid_until"] = 0xFFFFFFFF
        self.contracts = c
        b = np.zeros(episodes + 1, BLOCK_DTYPE)
        b["magic"], b["version"], b["height"] = 0x42473256, 1, np.arange(episodes + 1)
        b["episode"] = [0xFFFFFFFF] + list(range(episodes))
        b["steps"][1:] = steps
        b["tx_count"][1:] = ep["tx_count"]
        b["rejected"][1:] = ep["rejected"].sum(1)
        self.blocks = b

    def block_tx(self, height):
        n = int(self.blocks["tx_count"][height])
        t = np.zeros(n, TRANSACTION_DTYPE)
        t["episode"] = height - 1
        t["sequence"] = np.arange(n)
        t["kind"] = 1 + np.arange(n) % 7
        t["vehicle"] = np.arange(n) % self.V
        t["energy_wh"] = 1000
        return t

    def stored(self, height, last_height):
        return self.store == "all" or (self.store == "last" and height == last_height)


def write_fake_run(path, episodes=20, status="finished", schema_version="1.0", drop=(),
                   evaluation=False, **kw):
    """A finished (or `status`) run of `episodes` episodes, SWMR-format, per docs/RESULTS.md.

    drop: groups or datasets to leave out (for the missing-group tests)."""
    fr = FakeRun(episodes=episodes, **kw)
    with h5py.File(path, "w", libver="latest") as f:
        _write_static(f, fr, status, schema_version)
        _write_rows(f, fr, episodes, create=True)
        f.create_dataset("qtables/final", data=fr.q_final).attrs["units"] = "currency"
        if evaluation:
            g = f.create_group("evaluation")
            _dataset(g, "initial_soh", fr.vsoh[0], "1", False)
            _dataset(g, "enhanced_soh", fr.vsoh[-1] + 0.01, "1", False)
        for name in drop:
            del f[name]
    return path


def _write_static(f, fr, status, schema_version):
    a = f.attrs
    a["schema_version"] = schema_version
    a["v2g_version"], a["git_commit"] = "0.1.0", "unknown"
    a["device"], a["backend"], a["device_reason"] = "cpu", "cpu (1 threads)", "asked for cpu"
    a["seed"] = np.uint64(7)
    a["start_time"], a["run_name"] = "2025-01-01T00:00:00Z", "fake"
    # The engine keeps the status in a fixed-length scalar dataset (refreshable under SWMR).
    f.create_dataset("status", data=np.bytes_(status.encode().ljust(16, b"\0")), dtype="S16").attrs["units"] = "text"
    for k, v in (("episodes_planned", fr.E), ("vehicles", fr.V), ("communities", fr.C),
                 ("steps_per_episode", fr.steps), ("states", fr.S), ("actions", 5)):
        a[k] = np.int64(v)
    g = f.create_group("config")
    for name in STRING_DATASETS:
        g.create_dataset(name.split("/")[1], data=np.bytes_(fr.config.encode())).attrs["units"] = "text"
    g.attrs["run.episodes"] = np.int64(fr.E)
    g.attrs["fleet.vehicles"] = np.int64(fr.V)
    lg = f.create_group("ledger")
    _dataset(lg, "contracts", fr.contracts, "1", False)


def _write_rows(f, fr, upto, create=False, start=0):
    """Rows [start, upto) of every growing dataset; creates them (empty first) when create."""
    ve = [e for e in range(upto) if (e + 1) % fr.vehicle_stride == 0]
    qe = [e for e in range(upto) if (e + 1) % fr.q_stride == 0]
    last_height = fr.E  # the last block of the planned run
    heights = list(range(upto + 1))
    tx_parts, offsets, stored, off = [], [], [], 0
    for h in heights:
        t = fr.block_tx(h) if fr.stored(h, last_height) else np.zeros(0, TRANSACTION_DTYPE)
        offsets.append(off)
        stored.append(len(t))
        off += len(t)
        tx_parts.append(t)
    tables = {
        **{f"episodes/{k}": (v[:upto], SCHEMA[f"episodes/{k}"][2]) for k, v in fr.ep.items()},
        # As the engine writes them: episodes done when the row was taken (10 = after the 10th).
        "vehicles/episode": (np.array(ve, np.int64) + 1, "1"),
        "vehicles/soc_end": (fr.vsoc[ve].reshape(len(ve), fr.V), "1"),
        "vehicles/soh": (fr.vsoh[ve].reshape(len(ve), fr.V), "1"),
        "vehicles/reward": (fr.vreward[ve].reshape(len(ve), fr.V), "currency/day"),
        "vehicles/unmet_kwh": (fr.vunmet[ve].reshape(len(ve), fr.V), "kWh"),
        "qtables/episode": (np.array(qe, np.int64) + 1, "1"),
        "qtables/q": (np.stack([fr.q_final * (e + 1) / fr.E for e in qe]) if qe
                      else np.zeros((0, fr.T, fr.S, 5), np.float32), "currency"),
        "ledger/blocks": (fr.blocks[: upto + 1], "1"),
        "ledger/tx_offset": (np.array(offsets, np.int64), "1"),
        "ledger/tx_stored": (np.array(stored, np.int64), "1"),
        "ledger/transactions": (np.concatenate(tx_parts), "1"),
    }
    for name, (data, units) in tables.items():
        if create:
            grp, ds = name.split("/")
            _dataset(f.require_group(grp), ds, data, units)
        else:
            d = f[name]
            d.resize(data.shape[0], axis=0)
            d[...] = data
            d.flush()


def live(path, episodes, delay_s, first=2):
    """Plays the engine's writer: create, switch to SWMR, append an episode every delay_s."""
    fr = FakeRun(episodes=episodes)
    f = h5py.File(path, "w", libver="latest")
    _write_static(f, fr, "running", "1.0")
    _write_rows(f, fr, first, create=True)
    f.create_dataset("qtables/final", data=np.zeros_like(fr.q_final)).attrs["units"] = "currency"
    f.swmr_mode = True
    for e in range(first + 1, episodes + 1):
        time.sleep(delay_s)
        _write_rows(f, fr, e)
        f.flush()
    f["status"][()] = np.bytes_(b"finished".ljust(16, b"\0"))
    f["status"].flush()
    f.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["live", "write"])
    p.add_argument("path")
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--delay", type=float, default=0.2)
    a = p.parse_args()
    if a.mode == "live":
        live(a.path, a.episodes, a.delay)
    else:
        write_fake_run(a.path, a.episodes)
