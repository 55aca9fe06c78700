"""Cross-check of `v2g ledger` against an independent RFC 6962 implementation in Python.

Python's hashlib (OpenSSL's SHA-256, but a different tree code: the RFC's recursive definition,
not the engine's level-by-level batch) gives the root and the audit paths; the built CLI must
print the same for every tree size 0..300 and for a few random sizes up to 10^6. Also bad input:
exit status 2 and exactly one line on stderr.

The binary comes from $V2G_BIN (ctest sets it; default build/v2g). Run: python3 -m pytest -q
tests/test_merkle_hashlib.py
"""

import hashlib
import os
import random
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
V2G = os.environ.get("V2G_BIN", os.path.join(REPO, "build", "v2g"))
EXHAUSTIVE = 300  # every tree size 0..EXHAUSTIVE
ALL_INDICES_UP_TO = 24  # every leaf of the trees up to this size gets its audit path checked
LARGE_SIZES = 1  # random sizes up to 10^6 besides 10^6 itself
MAX_SIZE = 10**6


# ---------------------------------------------------------------- RFC 6962, section 2.1


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(hashes, lo, hi):
    """MTH(D[lo:hi]) over leaf hashes, the recursive definition."""
    n = hi - lo
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[lo]
    k = split(n)
    return node_hash(mth(hashes, lo, lo + k), mth(hashes, lo + k, hi))


def path(hashes, m, lo, hi):
    """PATH(m, D[lo:hi]): the audit path of leaf lo+m, bottom-up."""
    n = hi - lo
    if n <= 1:
        return []
    k = split(n)
    if m < k:
        return path(hashes, m, lo, lo + k) + [mth(hashes, lo + k, hi)]
    return path(hashes, m - k, lo + k, hi) + [mth(hashes, lo, lo + k)]


# ---------------------------------------------------------------- running the CLI


def run(args, stdin: str):
    return subprocess.run([V2G, "ledger", *args], input=stdin.encode(), capture_output=True, timeout=120)


def as_input(leaves) -> str:
    return "".join(leaf.hex() + "\n" for leaf in leaves)


def random_leaves(rng, n, max_len=40):
    return [rng.randbytes(rng.randint(0, max_len)) for _ in range(n)]


def parse_proof(text: str):
    fields, hops = {}, []
    for line in text.splitlines():
        key, value = line.split(" ", 1)
        if key == "path":
            hops.append(bytes.fromhex(value))
        else:
            fields[key] = value
    return fields, hops


@pytest.fixture(scope="module")
def binary():
    if not os.access(V2G, os.X_OK):
        pytest.fail(f"no v2g binary at {V2G} (build it, or set V2G_BIN)")
    return V2G


def test_roots_and_paths_for_every_size_up_to_300(binary):
    rng = random.Random(20261124)
    leaves = random_leaves(rng, EXHAUSTIVE)
    hashes = [leaf_hash(x) for x in leaves]
    for n in range(EXHAUSTIVE + 1):
        text = as_input(leaves[:n])
        r = run(["root"], text)
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode() == mth(hashes, 0, n).hex() + "\n", f"size {n}"
        if n == 0:
            continue
        # Larger trees: a random leaf, and the last one when it is an odd node carried up.
        indices = range(n) if n <= ALL_INDICES_UP_TO else sorted({rng.randrange(n)} | ({n - 1} if n % 2 else set()))
        for i in indices:
            p = run(["prove", "--index", str(i)], text)
            assert p.returncode == 0, p.stderr
            fields, hops = parse_proof(p.stdout.decode())
            assert fields == {"size": str(n), "root": mth(hashes, 0, n).hex(), "index": str(i),
                              "leaf": hashes[i].hex()}, f"leaf {i} of {n}"
            assert hops == path(hashes, i, 0, n), f"audit path of leaf {i} of {n}"


def test_large_random_sizes_up_to_a_million(binary):
    rng = random.Random(7)
    for n in [MAX_SIZE] + [rng.randint(EXHAUSTIVE, MAX_SIZE) for _ in range(LARGE_SIZES)]:
        leaves = random_leaves(rng, n, max_len=16)
        hashes = [leaf_hash(x) for x in leaves]
        text = as_input(leaves)
        r = run(["root"], text)
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode() == mth(hashes, 0, n).hex() + "\n", f"size {n}"
        i = rng.randrange(n)
        p = run(["prove", "--index", str(i)], text)
        assert p.returncode == 0, p.stderr
        _, hops = parse_proof(p.stdout.decode())
        assert hops == path(hashes, i, 0, n), f"audit path of leaf {i} of {n}"
        c = run(["check-proof", "--leaf", leaves[i].hex()], p.stdout.decode())
        assert c.returncode == 0, c.stdout


def test_input_conventions(binary):
    # An empty line is an empty leaf, a final newline adds nothing, CRLF and upper case are fine.
    want = mth([leaf_hash(b""), leaf_hash(b"\xab")], 0, 2).hex() + "\n"
    for text in ["\nab\n", "\nab", "\r\nAB\r\n"]:
        r = run(["root"], text)
        assert (r.returncode, r.stdout.decode()) == (0, want), repr(text)
    assert run(["root"], "").stdout.decode() == hashlib.sha256(b"").hexdigest() + "\n"


def bad(args, stdin, fragment):
    r = run(args, stdin)
    err = r.stderr.decode()
    assert r.returncode == 2, (r.returncode, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert fragment in err, err
    assert r.stdout == b""


def test_bad_hex_names_the_line(binary):
    bad(["root"], "00\n10\nabc\n", "stdin:3: bad hex: odd number of digits")
    bad(["root"], "00\nzz\n", "stdin:2: bad hex")
    bad(["prove", "--index", "0"], "00\n\n0x\n", "stdin:3: bad hex")


def test_index_out_of_range(binary):
    bad(["prove", "--index", "2"], "00\n10\n", "--index 2 is out of range for a tree of 2 leaves")
    bad(["prove", "--index", "0"], "", "--index 0 is out of range for a tree of 0 leaves")
    bad(["prove", "--index", "x"], "00\n", "--index")


def test_bad_proofs(binary):
    bad(["check-proof", "--leaf", "00"], "size 1\nroot 12\nindex 0\n", "stdin:2: bad digest")
    bad(["check-proof", "--leaf", "0"], "", "--leaf: bad hex")
    bad(["fly"], "", "unknown ledger command 'fly'")
    # A valid proof text with a wrong leaf is not bad input: it is an invalid proof, exit 1.
    p = run(["prove", "--index", "1"], "00\n10\n20\n")
    r = run(["check-proof", "--leaf", "11"], p.stdout.decode())
    assert r.returncode == 1 and r.stdout.decode().startswith("invalid"), r
