"""numpy dtypes of the ledger's fixed-size records (docs/LEDGER.md), little-endian and packed.

The HDF5 writer stores them as compound datasets; the reader returns whatever compound type the
file holds, so these dtypes are used to write test fixtures and to check field names/types.
A 32-byte hash is stored as 32 unsigned bytes.
"""

import numpy as np

HASH = ("u1", (32,))

# (name, numpy type) in record order; "reserved" fields are part of the 48/176-byte record.
CONTRACT_FIELDS = [
    ("id", "<u4"), ("type", "u1"), ("price_mode", "u1"), ("reserved0", "<u2"),
    ("party_first", "<u4"), ("party_last", "<u4"), ("community", "<u4"),
    ("fixed_price", "<i4"), ("price_floor", "<i4"), ("price_cap", "<i4"),
    ("energy_cap", "<u4"), ("valid_from", "<u4"), ("valid_until", "<u4"), ("reserved1", "<u4"),
]
TRANSACTION_FIELDS = [
    ("episode", "<u4"), ("sequence", "<u4"), ("step", "<u2"), ("kind", "u1"), ("reserved", "u1"),
    ("vehicle", "<u4"), ("counterparty", "<u4"), ("contract", "<u4"),
    ("energy_wh", "<i8"), ("amount_micro", "<i8"), ("price_micro_per_kwh", "<i4"), ("check", "<u4"),
]
BLOCK_FIELDS = [
    ("magic", "<u4"), ("version", "<u4"), ("height", "<u8"),
    ("prev_hash", HASH), ("tx_root", HASH), ("registry_root", HASH), ("run_id", HASH),
    ("episode", "<u4"), ("steps", "<u4"), ("tx_count", "<u8"), ("rejected", "<u8"),
    ("reserved", "<u4"), ("check", "<u4"),
]

CONTRACT_DTYPE = np.dtype(CONTRACT_FIELDS)
TRANSACTION_DTYPE = np.dtype(TRANSACTION_FIELDS)
BLOCK_DTYPE = np.dtype(BLOCK_FIELDS)
assert CONTRACT_DTYPE.itemsize == 48 and TRANSACTION_DTYPE.itemsize == 48 and BLOCK_DTYPE.itemsize == 176

# Transaction kinds (docs/LEDGER.md) and rejection reasons, in the order of /episodes/rejected.
TX_KINDS = {1: "grid import", 2: "grid export", 3: "P2P buy", 4: "P2P sell",
            5: "unmatched bid (grid)", 6: "unmatched offer (grid)", 7: "community PV sold"}
REJECT_REASONS = ("energy_cap", "validity", "price", "party")
ACTIONS = ("charge", "discharge", "idle", "sell", "buy")
