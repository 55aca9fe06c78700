"""Fuzzing the inputs a user writes: configs, sweep files and CSV signal files, mutated from
real ones by a seeded generator (byte flips, deleted and duplicated lines, cut files, hostile
tokens: huge and tiny numbers, quotes, brackets, separators, BOMs). Every case must end with
exit 0, or exit 2 and exactly one line "v2g: error: ..." on stderr: never a signal, an
internal error, a traceback or a hang.

The cases are fixed by the seed (CASES of each kind), so a failure names a case that can be
re-run alone: `pytest tests/test_fuzz_inputs.py -k "config and 17"`. About a minute in all on
the project's 2-core machines (Release); the sanitizer build runs it too (scripts/test.sh).

Run by ctest (tests/CMakeLists.txt) with V2G_BIN = the built CLI."""
import os
import random
import subprocess

import pytest

BIN = os.environ.get("V2G_BIN", "build/v2g")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = os.path.join(ROOT, "experiments")
CASES = 250
SEED = 20261202
# A healthy answer takes well under a second; this separates it from a hang (not a speed test).
HANG_S = 60
# Whatever a mutation does to sizes, these keep a training run tiny (they are applied after
# the file, so a mutated file still goes through the parser and validation whole).
TINY = ["--episodes", "1", "--set", "fleet.vehicles=4", "--set", "fleet.community_size=4", "--set", "signals.days=2",
        "--set", "ledger.contracts=12", "--set", "run.threads=1", "--device", "cpu", "--quiet"]

TOKENS = ["1e308", "-1e308", "5e-324", "nan", "inf", "-0", "+-1", "99999999999999999999", "0x10", "'", '"', '"""',
          "[", "]", "[[", "{", "}", "=", ".", ",", ";", "\t", "#", "\\", "\ufeff", "\r\n", "\x00", "é", "true",
          "[a.b.c.d.e.f.g.h.i.j]", "x" * 300, "[" * 40, "a." * 20 + "b = 1"]


def mutate(text, rng):
    """One to four mutations of a text: each a flip, a token, a line deleted or duplicated, a cut."""
    for _ in range(rng.randint(1, 4)):
        if not text:
            text = rng.choice(TOKENS)
            continue
        op = rng.randrange(6)
        at = rng.randrange(len(text))
        if op == 0:  # flip one character to another printable one
            text = text[:at] + chr(rng.randrange(32, 127)) + text[at + 1:]
        elif op == 1:  # insert a hostile token
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        elif op == 2:  # replace a number with a hostile one
            digits = [i for i, c in enumerate(text) if c.isdigit()]
            if digits:
                i = rng.choice(digits)
                j = i
                while j < len(text) and (text[j].isdigit() or text[j] in ".e-"):
                    j += 1
                text = text[:i] + rng.choice(TOKENS[:9]) + text[j:]
        elif op == 3:  # delete a line
            lines = text.split("\n")
            del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        elif op == 4:  # duplicate a line
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        else:  # cut the file
            text = text[:at]
    return text


def read(name):
    with open(os.path.join(EXPERIMENTS, name), encoding="utf-8") as f:
        return f.read()


CONFIGS = ["paper.toml", "paper_shared_q_15min.toml", "learning_community.toml", "small_deterministic.toml"]
CSV = "hour,price,load\n" + "".join(f"{h},{0.2 + 0.01 * (h % 24):.2f},{50 + h % 24}\n" for h in range(24 * 4))


def run(args):
    try:
        return subprocess.run([BIN, *args], capture_output=True, timeout=HANG_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"no answer in {HANG_S} s: {args}")


def assert_clean(r, what):
    err = r.stderr.decode("utf-8", "replace")
    assert r.returncode in (0, 2), f"{what}: exit {r.returncode}: {err[-600:]}"
    if r.returncode == 2:
        lines = err.strip("\n").split("\n")
        assert len(lines) == 1 and lines[0].startswith("v2g: error: "), f"{what}: not one error line: {err[-600:]}"
        assert "internal error" not in err, f"{what}: {err}"
        assert len(lines[0]) <= 200 + len("v2g: error: "), f"{what}: error line of {len(lines[0])} characters"


@pytest.mark.parametrize("case", range(CASES))
def test_mutated_config(tmp_path, case):
    rng = random.Random(SEED * 10 + case)
    source = rng.choice(CONFIGS)
    path = tmp_path / "c.toml"
    path.write_bytes(mutate(read(source), rng).encode("utf-8", "surrogateescape"))
    assert_clean(run(["train", str(path), *TINY]), f"config case {case} (from {source})")


@pytest.mark.parametrize("case", range(CASES))
def test_mutated_sweep_file(tmp_path, case):
    rng = random.Random(SEED * 20 + case)
    base = tmp_path / "paper_dqn.toml"
    base.write_text(read("paper_dqn.toml"))
    path = tmp_path / "s.toml"
    path.write_bytes(mutate(read("tabular_vs_dqn.toml"), rng).encode("utf-8", "surrogateescape"))
    assert_clean(run(["sweep", str(path), "--out", str(tmp_path / "s.h5"), "--list"]), f"sweep case {case}")


@pytest.mark.parametrize("case", range(CASES))
def test_mutated_csv_file(tmp_path, case):
    rng = random.Random(SEED * 30 + case)
    path = tmp_path / "prices.csv"
    path.write_bytes(mutate(CSV, rng).encode("utf-8", "surrogateescape"))
    args = ["train", os.path.join(EXPERIMENTS, "paper.toml"), *TINY, "--set", "signals.source=csv",
            "--set", f"signals.price_csv={path}", "--set", "signals.price_column=price",
            "--set", f"signals.load_csv={path}", "--set", "signals.load_column=load"]
    assert_clean(run(args), f"CSV case {case}")
