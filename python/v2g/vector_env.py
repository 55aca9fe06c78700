"""v2g.VectorEnv: the engine as a Gymnasium-style vector environment, for agents of your own.

    env = v2g.VectorEnv("experiments/paper.toml", overrides={"fleet.vehicles": 1024})
    obs, info = env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(actions)   # actions: int array (num_envs,)

One sub-environment per vehicle (num_envs = fleet.vehicles), a day per episode. The vehicles of a
community share its P2P market and grid connection at every step, so the sub-environments are
coupled through it, as in training. The day runs in the engine (the one episode schedule, its
contracts and ledger), in this process; observations, rewards and reward terms are numpy views of
the engine's buffers, valid until the next step() or reset(): copy() what you keep.
docs/VECTOR_ENV.md documents the observation, the actions, the rewards and the autoreset.
"""

import os

import numpy as np

from .launch import load_module, to_toml

# Observation features and their bounds (docs/VECTOR_ENV.md): (name, low, high). The order is
# the engine's (env/observation.h); VectorEnv checks it against the module's list.
OBSERVATION_BOUNDS = [
    ("soc", 0.0, np.inf),                 # stored energy / usable capacity (a faded pack may exceed 1)
    ("hour_sin", -1.0, 1.0),              # sin(2 pi clock hour / 24)
    ("hour_cos", -1.0, 1.0),              # cos(2 pi clock hour / 24)
    ("price_now", -np.inf, 1.0),          # retail price / the series' largest
    ("price_next", -np.inf, 1.0),         # next step's, scaled alike
    ("price_ahead", -np.inf, 1.0),        # mean of the next 4 steps', scaled alike
    ("plugged_in", 0.0, 1.0),             # 1 while plugged in
    ("time_to_departure", 0.0, 1.0),      # steps to departure / steps per day (0 away)
    ("energy_needed", 0.0, 1.0),          # max(0, requirement - stored) / usable capacity
    ("soh", 0.0, 1.0),                    # state of health
    ("market_imbalance", -1.0, 1.0),      # the community's last clearing: sell ratio - buy ratio
    ("demand_response", 0.0, 1.0),        # 1 during a demand-response event
]
ACTIONS = ["charge", "discharge", "idle", "sell", "buy"]  # Discrete(5), the paper's actions
REWARD_TERMS = ["energy_cost", "revenue", "degradation_cost", "unmet_penalty", "en_route_cost"]


class Box:
    """A box of float32 values (gymnasium.spaces.Box's attributes, when gymnasium is absent)."""

    def __init__(self, low, high, shape, dtype=np.float32):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.low = np.broadcast_to(np.asarray(low, self.dtype), self.shape).copy()
        self.high = np.broadcast_to(np.asarray(high, self.dtype), self.shape).copy()

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all(x >= self.low) and np.all(x <= self.high))

    def __repr__(self):
        return f"Box({self.shape}, {self.dtype})"


class Discrete:
    """Actions 0 .. n-1 (gymnasium.spaces.Discrete's attributes)."""

    def __init__(self, n, seed=None):
        self.n = int(n)
        self.shape = ()
        self.dtype = np.dtype(np.int64)
        self._rng = np.random.default_rng(seed)

    def sample(self):
        return int(self._rng.integers(self.n))

    def contains(self, x):
        return isinstance(x, (int, np.integer)) and 0 <= int(x) < self.n

    def __repr__(self):
        return f"Discrete({self.n})"


class MultiDiscrete:
    """One Discrete per sub-environment (gymnasium.spaces.MultiDiscrete's attributes)."""

    def __init__(self, nvec, seed=None):
        self.nvec = np.asarray(nvec, np.int64)
        self.shape = self.nvec.shape
        self.dtype = np.dtype(np.int64)
        self._rng = np.random.default_rng(seed)

    def sample(self):
        return self._rng.integers(self.nvec)

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all((x >= 0) & (x < self.nvec)))

    def __repr__(self):
        return f"MultiDiscrete({self.nvec.size} x {self.nvec.max() if self.nvec.size else 0})"


def _spaces(num_envs):
    low = np.array([b[1] for b in OBSERVATION_BOUNDS], np.float32)
    high = np.array([b[2] for b in OBSERVATION_BOUNDS], np.float32)
    try:
        from gymnasium import spaces  # optional: not packaged in Debian
    except ImportError:
        spaces = None
    if spaces is not None:
        single_obs = spaces.Box(low, high, dtype=np.float32)
        obs = spaces.Box(np.tile(low, (num_envs, 1)), np.tile(high, (num_envs, 1)), dtype=np.float32)
        return single_obs, spaces.Discrete(len(ACTIONS)), obs, spaces.MultiDiscrete([len(ACTIONS)] * num_envs)
    return (Box(low, high, low.shape), Discrete(len(ACTIONS)), Box(np.tile(low, (num_envs, 1)),
            np.tile(high, (num_envs, 1)), (num_envs, len(low))), MultiDiscrete([len(ACTIONS)] * num_envs))


try:  # subclass Gymnasium's VectorEnv where it is installed, so wrappers accept this env
    from gymnasium.vector import VectorEnv as _Base
except ImportError:
    _Base = object
try:  # Gymnasium >= 1.1 names the mode with an enum (its value is "NextStep")
    from gymnasium.vector import AutoresetMode as _AutoresetMode
    NEXT_STEP = _AutoresetMode.NEXT_STEP
except ImportError:
    NEXT_STEP = "NextStep"


def _override_text(key, value):
    if isinstance(value, bool):
        return f"{key}={'true' if value else 'false'}"
    return f"{key}={value}"


class VectorEnv(_Base):
    """The engine stepped by an outside agent: num_envs = fleet.vehicles sub-environments.

    config: the path of a TOML file, or a dict of tables ({"fleet": {"vehicles": 64}}) or
    dotted keys. overrides: {"group.key": value}, applied as `--set group.key=value`; a bad key
    or value raises ValueError with the CLI's one-line message. device: "auto" or "cpu" (this
    build steps the vehicles on the CPU). seed: run.seed (also settable by reset(seed=...)).
    out: a results file to write, as `v2g train --out` does (every finished day, the signed
    ledger; at most run.episodes days, in order); an existing file raises ValueError unless
    force=True replaces it. close() after the last day finishes the file; earlier, it is left
    interrupted after the last finished day.
    """

    metadata = {"autoreset_mode": NEXT_STEP}

    def __init__(self, config, overrides=None, device="auto", seed=None, out=None, force=False):
        module = load_module()
        if module is None:
            raise ImportError("v2g.VectorEnv needs the _v2g module (cmake -DV2G_PYTHON=ON; see python/README.md)")
        if device not in ("auto", "cpu"):
            raise ValueError(f"device {device!r}: the VectorEnv steps vehicles on the CPU in this build "
                             "(device = auto or cpu)")
        if isinstance(config, (str, os.PathLike)):
            self._source = os.fspath(config)
            try:
                with open(self._source, encoding="utf-8") as fh:
                    self._toml = fh.read()
            except OSError as e:
                raise ValueError(f"v2g: error: cannot read {self._source}: {e.strerror}") from None
        elif isinstance(config, dict):
            self._source, self._toml = "<config dict>", to_toml(config)
        else:
            raise ValueError(f"config: expected a TOML path or a dict, not {type(config).__name__}")
        if overrides is not None and not isinstance(overrides, dict):
            raise ValueError(f"overrides: expected a dict of dotted keys, not {type(overrides).__name__}")
        self._overrides = [_override_text(k, v) for k, v in (overrides or {}).items()]
        self._module = module
        self._out = "" if out is None else os.fspath(out)
        if self._out and os.path.exists(self._out):
            if not force:
                raise ValueError(f"v2g: error: out: {self._out} exists (force=True replaces it)")
            os.remove(self._out)
        if list(module.OBSERVATION_FEATURES) != [b[0] for b in OBSERVATION_BOUNDS]:
            raise RuntimeError("v2g.VectorEnv: the _v2g module's observation layout differs from this package's")
        self._build(seed)
        self.num_envs = self._core.num_envs
        (self.single_observation_space, self.single_action_space, self.observation_space,
         self.action_space) = _spaces(self.num_envs)
        self.render_mode = None
        self.closed = False

    def _build(self, seed):
        self._core = self._module.VectorEnvCore(self._toml, self._source, self._overrides, seed, self._out)
        self._seed = seed
        self._next_episode = 0
        self._autoreset = False
        self._zero_reward = np.zeros(self._core.num_envs, np.float32)
        self._no_flags = np.zeros(self._core.num_envs, bool)
        for shared in (self._zero_reward, self._no_flags):  # returned by every step: read-only
            shared.setflags(write=False)

    @property
    def steps_per_day(self):
        return self._core.steps_per_day

    @property
    def episode(self):
        """The day (episode index) being stepped: its prices and sessions are training's episode's."""
        return self._core.episode

    def reset(self, seed=None, options=None):
        """Starts a day; returns (obs, info). seed: a new run.seed (the days restart at 0);
        options={"episode": k}: day k (e.g. held-out days after a training run's). Otherwise the
        next day. A day left unfinished is abandoned; the fleet goes on from where it was."""
        self._check_open()
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
                raise ValueError(f"seed: expected a whole number >= 0, not {seed!r}")
            if self._out:
                if seed != self._seed:
                    raise ValueError(f"seed: a run written to {self._out} keeps its seed ({self._seed})")
            else:
                self._build(int(seed))
        episode = self._next_episode
        if options and "episode" in options:
            episode = options["episode"]
            if isinstance(episode, bool) or not isinstance(episode, (int, np.integer)) or episode < 0:
                raise ValueError(f"options['episode']: expected a whole number >= 0, not {episode!r}")
        self._core.reset(int(episode))
        self._next_episode = int(episode) + 1
        self._autoreset = False
        return self._core.observations(), self._info()

    def step(self, actions):
        """One step of every vehicle: actions, an integer array (num_envs,) of 0..4 (ACTIONS).
        Returns (obs, reward, terminated, truncated, info). A day is truncated at its last step
        (never terminated); the step after returns the next day's first observation with zero
        reward and ignores its actions (Gymnasium's next-step autoreset)."""
        self._check_open()
        a = self._checked_actions(actions)
        if self._autoreset:
            self._core.reset(self._next_episode)
            self._next_episode += 1
            self._autoreset = False
            return self._core.observations(), self._zero_reward, self._no_flags, self._no_flags, self._info()
        done = self._core.step(a)
        info = self._info()
        if done:
            self._autoreset = True
            info["day"] = self._core.day_metrics()
            info["day"]["merkle_root"] = self._core.day_merkle_root().hex()
        truncated = np.full(self.num_envs, done)
        return self._core.observations(), self._core.rewards(), self._no_flags, truncated, info

    def _checked_actions(self, actions):
        a = np.asarray(actions)
        if a.shape != (self.num_envs,):
            raise ValueError(f"actions: expected shape ({self.num_envs},), got {a.shape}")
        if a.dtype == bool or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"actions: expected an integer array, got dtype {a.dtype}")
        bad = np.flatnonzero((a < 0) | (a >= len(ACTIONS)))
        if bad.size:
            raise ValueError(f"actions: {bad.size} value(s) outside 0..{len(ACTIONS) - 1}, "
                             f"first at index {bad[0]}: {a[bad[0]]}")
        return np.ascontiguousarray(a, np.uint8)

    def _info(self):
        terms = self._core.reward_terms()
        info = {name: terms[:, k] for k, name in enumerate(REWARD_TERMS)}
        info["action_mask"] = self._core.action_mask().view(bool)
        info["episode"] = self._core.episode
        info["step"] = self._core.step_index
        return info

    def _check_open(self):
        if self.closed:
            raise RuntimeError("v2g.VectorEnv: the environment is closed")

    @property
    def days_finished(self):
        return self._core.days_finished

    def close(self, **kwargs):
        """Ends the engine thread (with a results file: closes it, finished after the run's
        last day, else interrupted after the last finished day); the env cannot be stepped
        again. Views still held keep the engine's buffers (not its thread) alive."""
        if not getattr(self, "closed", True):
            core, self._core = self._core, None
            self.closed = True
            core.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()
