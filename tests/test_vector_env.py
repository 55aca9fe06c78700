"""v2g.VectorEnv, the Gymnasium-style vector environment (docs/VECTOR_ENV.md): shapes, dtypes and
spaces, seeding, the day's truncation and next-step autoreset, refused actions and overrides,
reward terms, zero-copy views, and rewards that add up to the engine's money of the day.

Run by hand: cd tests && PYTHONPATH=../python V2G_PYMODULE_DIR=../build/python /usr/bin/python3 -m pytest -q test_vector_env.py
"""

import os

import numpy as np
import pytest

import v2g
from v2g.launch import load_module

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = os.path.join(REPO, "experiments", "paper.toml")

if load_module() is None:
    pytest.skip("the _v2g module is not built (V2G_PYTHON=OFF, e.g. a sanitizer build)", allow_module_level=True)


def small_env(seed=1, out=None, **overrides):
    keys = {"fleet.vehicles": 30, "fleet.community_size": 10}
    keys.update(overrides)
    return v2g.VectorEnv(PAPER, overrides=keys, seed=seed, out=out)


BIN = os.environ.get("V2G_BIN", os.path.join(REPO, "build", "v2g"))


def drive_days(env, days, seed=0):
    """Random actions for `days` whole days from a reset; returns each day's info["day"]."""
    rng = np.random.default_rng(seed)
    env.reset()
    finished = []
    for _ in range(days * (env.steps_per_day + 1) - 1):
        _, _, _, truncated, info = env.step(rng.integers(0, 5, env.num_envs))
        if truncated.any():
            finished.append(info["day"])
    return finished


def run_day(env, policy, seed=None):
    """Steps one day from a fresh reset (reset(seed=seed)); returns the per-step observations and
    rewards, copied."""
    obs, _ = env.reset(seed=seed)
    seen, rewards = [obs.copy()], []
    for t in range(env.steps_per_day):
        obs, reward, terminated, truncated, info = env.step(policy(t, obs, info if t else None))
        seen.append(obs.copy())
        rewards.append(reward.copy())
        assert not terminated.any()
        assert truncated.all() == (t == env.steps_per_day - 1)
        assert not truncated.any() or t == env.steps_per_day - 1
    return np.array(seen), np.array(rewards), info


def random_policy(seed, n):
    rng = np.random.default_rng(seed)
    return lambda t, obs, info: rng.integers(0, 5, n)


def test_shapes_dtypes_and_spaces():
    env = small_env()
    assert env.num_envs == 30
    assert env.metadata["autoreset_mode"] in ("NextStep", v2g.vector_env.NEXT_STEP)
    assert env.single_observation_space.shape == (12,)
    assert env.observation_space.shape == (30, 12)
    assert env.single_action_space.n == 5
    assert env.action_space.shape == (30,)
    obs, info = env.reset()
    assert obs.shape == (30, 12) and obs.dtype == np.float32
    assert env.observation_space.contains(obs)
    assert info["action_mask"].shape == (30, 5) and info["action_mask"].dtype == bool
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert reward.shape == (30,) and reward.dtype == np.float32
    assert terminated.dtype == bool and truncated.dtype == bool and terminated.shape == (30,)
    for name in ("energy_cost", "revenue", "degradation_cost", "unmet_penalty", "en_route_cost"):
        assert info[name].shape == (30,)
    assert env.observation_space.contains(obs)
    env.close()


def test_same_seed_and_actions_same_days_another_seed_differs():
    a_obs, a_rew, _ = run_day(small_env(seed=5), random_policy(0, 30))
    b_obs, b_rew, _ = run_day(small_env(seed=5), random_policy(0, 30))
    c_obs, c_rew, _ = run_day(small_env(seed=6), random_policy(0, 30))
    assert np.array_equal(a_obs, b_obs) and np.array_equal(a_rew, b_rew)
    assert not np.array_equal(a_obs, c_obs)
    # reset(seed=...) rebuilds the fleet: the days start again from day 0.
    env = small_env(seed=9)
    run_day(env, random_policy(0, 30))
    d_obs, d_rew, _ = run_day(env, random_policy(0, 30), seed=5)
    assert np.array_equal(d_obs[0], a_obs[0]) and np.array_equal(d_rew, a_rew)


def test_truncation_at_the_days_end_then_next_step_autoreset():
    env = small_env()
    env.reset()
    idle = np.full(env.num_envs, 2)
    for t in range(env.steps_per_day - 1):
        _, _, _, truncated, info = env.step(idle)
        assert not truncated.any()
    _, _, _, truncated, info = env.step(idle)
    assert truncated.all() and info["episode"] == 0
    assert "day" in info and len(info["day"]["merkle_root"]) == 64
    obs, reward, terminated, truncated, info = env.step(np.zeros(env.num_envs, int))  # actions ignored
    assert info["episode"] == 1 and info["step"] == 0
    assert not reward.any() and not terminated.any() and not truncated.any()
    fresh = small_env()
    fresh.reset(options={"episode": 1})
    assert np.array_equal(fresh._core.observations()[:, 1:3], obs[:, 1:3])  # day 1's clock at step 0


def test_invalid_actions_are_refused_and_nothing_is_stepped():
    env = small_env()
    env.reset()
    before = env._core.observations().copy()
    bad = [np.zeros(29, int), np.zeros((30, 1), int), np.zeros(30, float), np.full(30, 5), np.full(30, -1),
           np.zeros(30, bool), "charge"]
    for actions in bad:
        with pytest.raises(ValueError, match="actions"):
            env.step(actions)
    assert env._core.step_index == 0
    assert np.array_equal(env._core.observations(), before)


def test_overrides_are_validated_like_set():
    with pytest.raises(ValueError, match=r"^v2g: error: --set fleet\.vehicles=abc: not an integer"):
        v2g.VectorEnv(PAPER, overrides={"fleet.vehicles": "abc"})
    with pytest.raises(ValueError, match=r"^v2g: error: .*fleet\.no_such_key"):
        v2g.VectorEnv(PAPER, overrides={"fleet.no_such_key": 1})
    with pytest.raises(ValueError, match="device"):
        v2g.VectorEnv(PAPER, device="tpu")
    with pytest.raises(ValueError, match="cannot write the results file"):
        v2g.VectorEnv(PAPER, out=os.path.join(REPO, "no", "such", "dir", "run.h5"))
    with pytest.raises(ValueError, match="cannot read"):
        v2g.VectorEnv(os.path.join(REPO, "no", "such.toml"))
    env = v2g.VectorEnv({"fleet": {"vehicles": 7, "community_size": 7}})  # a dict config
    assert env.num_envs == 7


def test_reward_terms_sum_to_the_reward_and_days_to_the_engines_money():
    env = small_env()
    env.reset()
    rng = np.random.default_rng(3)
    money = np.zeros(env.num_envs)
    for t in range(env.steps_per_day):
        _, reward, _, truncated, info = env.step(rng.integers(0, 5, env.num_envs))
        terms = info["revenue"] - info["energy_cost"] - info["degradation_cost"] - info["unmet_penalty"] - \
            info["en_route_cost"]
        np.testing.assert_allclose(reward, terms, atol=1e-5)
        money += reward
    assert truncated.all()
    assert money.mean() == pytest.approx(info["day"]["reward_mean"], abs=1e-5)


def test_observations_and_rewards_are_views_of_the_engines_buffers():
    env = small_env()
    obs0, _ = env.reset()
    obs1, reward1, _, _, _ = env.step(np.full(env.num_envs, 2))
    obs2, reward2, _, _, _ = env.step(np.full(env.num_envs, 0))
    assert np.shares_memory(obs1, obs2) and np.shares_memory(obs0, obs2) and np.shares_memory(reward1, reward2)
    assert not obs2.flags.writeable
    _, _, terminated, _, _ = env.step(np.full(env.num_envs, 2))
    assert not terminated.flags.writeable  # shared by every step: nobody may change it
    with pytest.raises(ValueError):
        obs2[0, 0] = 1.0


def test_closed_env_refuses_to_step():
    env = small_env()
    env.reset()
    env.close()
    with pytest.raises(RuntimeError, match="closed"):
        env.step(np.zeros(env.num_envs, int))


def test_the_random_agent_example_in_the_docs_runs():
    with open(os.path.join(REPO, "docs", "VECTOR_ENV.md"), encoding="utf-8") as fh:
        text = fh.read()
    example = text.split("```python\n", 1)[1].split("```", 1)[0]
    cwd = os.getcwd()
    try:
        os.chdir(REPO)  # the example names experiments/paper.toml from the repository root
        exec(compile(example, "docs/VECTOR_ENV.md", "exec"), {})
    finally:
        os.chdir(cwd)


def test_an_externally_driven_run_writes_a_results_file_that_verifies(tmp_path):
    import subprocess

    out = tmp_path / "agent.h5"
    with small_env(out=out, **{"run.episodes": 3}) as env:
        days = drive_days(env, 3)
        assert len(days) == 3
        with pytest.raises(RuntimeError, match="all 3 days"):
            env.step(np.zeros(env.num_envs, int))  # the autoreset after the last day
    r = subprocess.run([BIN, "verify", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "UNSEALED" not in r.stdout
    with v2g.open(out) as run:
        assert run.status == "finished"
        money = run.episodes["reward_mean"].to_numpy()
        np.testing.assert_allclose(money, [d["reward_mean"] for d in days], rtol=1e-12)
        assert len(run.blocks) == 4  # genesis and a block a day
        roots = [bytes(b["tx_root"]).hex() for b in run.blocks[1:]]
        assert roots == [d["merkle_root"] for d in days]
    r = subprocess.run([BIN, "inspect", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with pytest.raises(ValueError, match="exists"):
        small_env(out=out)


@pytest.mark.parametrize("mid_day", [False, True])
def test_closing_a_run_early_leaves_it_interrupted_with_its_finished_days(tmp_path, mid_day):
    import subprocess

    out = tmp_path / "early.h5"
    env = small_env(out=out, **{"run.episodes": 5})
    drive_days(env, 2)
    if mid_day:
        env.step(np.zeros(env.num_envs, int))  # the next day starts ...
        env.step(np.zeros(env.num_envs, int))  # ... and is left unfinished
        with pytest.raises(RuntimeError, match="unfinished"):
            env.reset()
    env.close()
    with v2g.open(out) as run:
        assert run.status == "interrupted"
        assert len(run.episodes) == 2
    r = subprocess.run([BIN, "verify", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
