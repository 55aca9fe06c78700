"""What a forger can do to a results file's ledger, and that `v2g verify` refuses each of it,
naming the block (and the transaction, where there is one): cutting the chain, appending or
rewriting blocks with every hash recomputed, forged payments (re-signed with the key of a run
that never finished), blocks replayed from another run, a chain signed by another key, a
removed key, a finished run whose chain was never sealed.

The signatures are also checked independently of the engine, with Debian's python3-cryptography
(Ed25519, RFC 8032) and hashlib, from the layout in docs/LEDGER.md.

Run by ctest (tests/CMakeLists.txt) with V2G_BIN = the built CLI."""
import hashlib
import shutil
import struct
import subprocess

import h5py
import numpy as np
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from test_merkle_hashlib import leaf_hash, mth
from v2g_small_run import BIN, CONFIG, train_small_run

BLOCK_TAG, HEAD_TAG = b"V2GBLK01", b"V2GHEAD1"
HEADER_BYTES, HEAD_BYTES, CHECK_AT = 176, 152, 172
TX_CHECK_AT = 44


def train(path, kill_at=None):
    return train_small_run(path, 30, 15, kill_at)


def verify(path, *extra):
    return subprocess.run([BIN, "verify", path, *extra], capture_output=True, text=True)


def refused(path, *needles, extra=()):
    r = verify(path, *extra)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1, r.stderr
    for n in needles:
        assert n in line, line
    return line


def fnv1a32(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def with_check(record: bytes, at: int) -> bytes:
    return record[:at] + struct.pack("<I", fnv1a32(record[:at]))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    return {
        "a": train(str(d / "a.h5")),
        "b": train(str(d / "b.h5")),  # the same config and seed: a different key only
        "killed": train(str(d / "killed.h5"), kill_at="final.checkpointed"),
    }


@pytest.fixture
def copy(runs, tmp_path):
    def make(name):
        path = str(tmp_path / f"{name}-forged.h5")
        shutil.copy(runs[name], path)
        # A killed file is still marked open for SWMR writing; a forger clears that first.
        subprocess.run(["h5clear", "-s", path], check=True, capture_output=True)
        return path
    return make


# ------------------------------------------------------------------ reading the chain by hand

def chain(path):
    with h5py.File(path, "r") as f:
        g = f["ledger"]
        blocks = [bytes(r.tobytes()) for r in g["blocks"][()]]
        return {
            "blocks": blocks,
            "signatures": [bytes(s) for s in g["signatures"][()]],
            "head": bytes(g["head"][()]),
            "public_key": bytes(g["public_key"][()]),
            "secret": bytes(g["signing_key"][()]),
            "tx_offset": g["tx_offset"][()], "tx_stored": g["tx_stored"][()],
            "transactions": g["transactions"][()],
        }


def test_the_signatures_check_out_independently(runs):
    """hashlib + python3-cryptography, from docs/LEDGER.md alone."""
    c = chain(runs["a"])
    assert all(len(b) == HEADER_BYTES for b in c["blocks"])
    key = Ed25519PublicKey.from_public_bytes(c["public_key"])
    prev = bytes(32)
    for height, (block, sig) in enumerate(zip(c["blocks"], c["signatures"])):
        assert struct.unpack_from("<Q", block, 8)[0] == height
        assert block[16:48] == prev
        h = hashlib.sha256(block).digest()
        key.verify(sig, BLOCK_TAG + h)  # raises InvalidSignature
        prev = h
    head = c["head"]
    assert len(head) == HEAD_BYTES
    height, = struct.unpack_from("<Q", head, 0)
    episodes, sealed = struct.unpack_from("<QI", head, 72)
    assert (height, episodes, sealed) == (12, 12, 1)
    assert head[8:40] == prev and head[40:72] == c["blocks"][0][112:144]
    key.verify(head[88:], HEAD_TAG + head[:88])
    with pytest.raises(InvalidSignature):
        key.verify(head[88:], BLOCK_TAG + head[:88])  # the tags keep the two kinds apart
    assert c["secret"] == bytes(32)  # a finished run has erased its secret key
    r = verify(runs["a"])
    assert r.returncode == 0 and "sealed by ed25519:" + c["public_key"].hex() in r.stdout, r.stdout


# ------------------------------------------------------------------ forgeries

def cut_rows(path, names, rows):
    with h5py.File(path, "r+") as f:
        for n in names:
            f[n].resize(rows, axis=0)


LEDGER_ROWS = ["ledger/blocks", "ledger/signatures", "ledger/tx_offset", "ledger/tx_stored"]


def test_cutting_the_last_block_is_refused(copy):
    path = copy("a")
    cut_rows(path, LEDGER_ROWS, 12)
    refused(path, "block 12:", "the chain is cut: the signed head is at block 12")


def next_block(last: bytes) -> bytes:
    """A plausible block after `last`: every hash recomputed, no transactions."""
    h = bytearray(last)
    height, = struct.unpack_from("<Q", last, 8)
    episode, = struct.unpack_from("<I", last, 144)
    struct.pack_into("<Q", h, 8, height + 1)
    h[16:48] = hashlib.sha256(last).digest()
    h[48:80] = hashlib.sha256(b"").digest()
    struct.pack_into("<IIQQ", h, 144, episode + 1, 24, 0, 0)
    return with_check(bytes(h[:CHECK_AT]), CHECK_AT)


def append_block(path, block: bytes, signature: bytes):
    with h5py.File(path, "r+") as f:
        g = f["ledger"]
        n = len(g["blocks"])
        for name in ("blocks", "signatures", "tx_offset", "tx_stored"):
            g[name].resize(n + 1, axis=0)
        g["blocks"][n] = np.frombuffer(block, dtype=g["blocks"].dtype)[0]
        g["signatures"][n] = np.frombuffer(signature, dtype=np.uint8)
        g["tx_offset"][n] = len(g["transactions"])
        g["tx_stored"][n] = 0


@pytest.mark.parametrize("signer", ["none", "another key"])
def test_an_appended_block_with_recomputed_hashes_is_refused(copy, signer):
    path = copy("a")
    block = next_block(chain(path)["blocks"][-1])
    sig = bytes(64) if signer == "none" else Ed25519PrivateKey.generate().sign(BLOCK_TAG + hashlib.sha256(block).digest())
    append_block(path, block, sig)
    refused(path, "block 13:", "bad signature")


def rewrite_block(path, height, block: bytes, signature=None):
    with h5py.File(path, "r+") as f:
        g = f["ledger"]
        g["blocks"][height] = np.frombuffer(block, dtype=g["blocks"].dtype)[0]
        if signature is not None:
            g["signatures"][height] = np.frombuffer(signature, dtype=np.uint8)


def test_a_rewritten_last_block_is_refused(copy):
    path = copy("a")
    last = bytearray(chain(path)["blocks"][-1])
    rejected, = struct.unpack_from("<Q", last, 160)
    struct.pack_into("<Q", last, 160, rejected + 1000)  # "more transfers were refused"
    rewrite_block(path, 12, with_check(bytes(last[:CHECK_AT]), CHECK_AT))
    refused(path, "block 12:", "bad signature")


def test_a_block_replayed_from_another_run_is_refused(runs, copy):
    """Run b has the same config and seed, so the same blocks: only the key tells them apart."""
    path = copy("a")
    b = chain(runs["b"])
    assert b["blocks"][7] == chain(path)["blocks"][7]
    # Replay b's block 7 with b's signature: the bytes are a's, the signature is not a's key's.
    rewrite_block(path, 7, b["blocks"][7], b["signatures"][7])
    refused(path, "block 7:", "bad signature")


def test_a_whole_chain_signed_by_another_key_fails_against_the_pinned_key(runs, copy):
    a_key = chain(runs["a"])["public_key"].hex()
    path = copy("b")  # b is a valid, sealed chain: by b's key
    assert verify(path).returncode == 0
    assert verify(path, "--public-key", "ed25519:" + chain(path)["public_key"].hex()).returncode == 0
    refused(path, "not by the pinned key", extra=("--public-key", a_key))


def merkle_root(records):
    return mth([leaf_hash(r) for r in records], 0, len(records)) if records else hashlib.sha256(b"").digest()


def test_a_forged_payment_re_signed_with_the_runs_own_key_is_refused(copy):
    """A run that never finished still holds its key: a forger with the file can re-sign. The
    hashes and signatures then hold, and only re-executing the contract catches the payment."""
    path = copy("killed")
    c = chain(path)
    assert c["secret"] != bytes(32)
    key = Ed25519PrivateKey.from_private_bytes(c["secret"])
    height = 12  # past the signed head (the kill came before it): signatures only
    lo, n = int(c["tx_offset"][height]), int(c["tx_stored"][height])
    records = [bytes(t.tobytes()) for t in c["transactions"][lo:lo + n]]
    victim = next(i for i, r in enumerate(records) if struct.unpack_from("<q", r, 32)[0] > 0)
    forged = bytearray(records[victim])
    amount, = struct.unpack_from("<q", forged, 32)
    struct.pack_into("<q", forged, 32, amount // 2)  # pays half
    records[victim] = with_check(bytes(forged[:TX_CHECK_AT]), TX_CHECK_AT)
    block = bytearray(c["blocks"][height])
    block[48:80] = merkle_root(records)
    block = with_check(bytes(block[:CHECK_AT]), CHECK_AT)
    with h5py.File(path, "r+") as f:
        g = f["ledger"]
        g["transactions"][lo + victim] = np.frombuffer(records[victim], dtype=g["transactions"].dtype)[0]
    rewrite_block(path, height, block, key.sign(BLOCK_TAG + hashlib.sha256(block).digest()))
    refused(path, f"block {height}, transaction {victim}: breaks its contract: amount")


def test_an_unsealed_chain_verifies_up_to_its_head_and_says_so(runs):
    r = verify(runs["killed"])
    assert r.returncode == 0, r.stderr
    assert "UNSEALED" in r.stdout and "verified up to its signed head at block 8" in r.stdout, r.stdout


def test_a_removed_key_reads_as_unsigned(copy):
    path = copy("a")
    with h5py.File(path, "r+") as f:
        f["ledger/public_key"][...] = 0
    refused(path, "block 0:", "unsigned")


def test_a_finished_status_on_an_unsealed_chain_is_refused(copy):
    path = copy("killed")
    with h5py.File(path, "r+") as f:
        st = f["status"]
        st[()] = np.array(b"finished", dtype=st.dtype)
        n = len(f["episodes/episode"])
    assert n == 12
    refused(path, "block 8:", "marked finished but its chain is not sealed")


def test_an_older_head_put_back_is_refused(copy):
    """A genuine older head (here at block 4, made with the run's own key) behind both checkpoints."""
    path = copy("killed")
    c = chain(path)
    key = Ed25519PrivateKey.from_private_bytes(c["secret"])
    head = struct.pack("<Q", 4) + hashlib.sha256(c["blocks"][4]).digest() + c["blocks"][0][112:144] + struct.pack("<QII", 4, 0, 0)
    head += key.sign(HEAD_TAG + head)
    with h5py.File(path, "r+") as f:
        f["ledger/head"][...] = np.frombuffer(head, dtype=np.uint8)
    refused(path, "block 4:", "the signed head is behind the checkpoints (episode 8 and later)")


# ------------------------------------------------------------------ honest runs

@pytest.mark.parametrize("contract", ["ledger.price_cap_per_kwh=0.25", "ledger.price_floor_per_kwh=0.13",
                                      "ledger.energy_cap_kwh_per_step=3", "ledger.valid_episodes=5",
                                      "ledger.charging_fixed_price_per_kwh=0.2", "ledger.energy_cap_kwh_per_step=50"])
def test_an_honest_run_under_binding_contracts_re_executes_cleanly(tmp_path, contract):
    """Every transaction the engine executes is one its contract allows. (A P2P buyer used to be
    admitted at the clearing price and then pay it plus the losses: above a price cap.)"""
    path = str(tmp_path / "honest.h5")
    r = subprocess.run([BIN, "train", CONFIG, "--episodes", "8", "--set", "fleet.vehicles=40",
                        "--set", "fleet.community_size=20", "--set", "fleet.pv_kwp_per_vehicle=5",
                        "--set", "ledger.store_transactions=all", "--set", contract, "--device", "cpu", "--quiet",
                        "--out", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    v = verify(path)
    assert v.returncode == 0, v.stderr
    with h5py.File(path, "r") as f:
        txs = f["ledger/transactions"][()]
    assert len(txs) > 0
    if contract.endswith("energy_cap_kwh_per_step=50"):
        # The community's PV sale is its own generation, not held to the member cap: 100 kWp
        # per community sells more than 50 kWh in a sunny step.
        pv = txs[txs["kind"] == 7]
        assert len(pv) and (-pv["energy_wh"]).max() > 50_000
