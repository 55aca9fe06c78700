"""ppo.py: proximal policy optimisation (Schulman et al. 2017) on v2g.VectorEnv, one file in the
CleanRL style, scored through the yardsticks of `v2g eval`.

    PYTHONPATH=python /usr/bin/python3 experiments/ppo.py --total-steps 480000

One policy network is shared by every vehicle (as the DQN's is): each vehicle is a
sub-environment, a day an episode. A rollout is whole days of the fleet; the day's last step is
a truncation, so its return is bootstrapped from the value of the fleet after it. Away
vehicles' steps (their actions do nothing) are left out of the losses. After training, a
tabular run of the same config and days is trained (`v2g train`) so that `v2g eval` has a
trained state and held-out days, and the greedy PPO policy is scored on them as the row
`external`, beside learned (the table), random, charge on arrival, time of use, the DP plan and
the LP oracle. PyTorch from Debian (python3-torch, CPU).
"""

import dataclasses
import os
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "python"))
import v2g  # noqa: E402


@dataclasses.dataclass
class Args:
    config: str = os.path.join(REPO, "experiments", "paper.toml")
    """the fleet, market and signals (a TOML file); the days trained on are its first ones"""
    seed: int = 1
    """run.seed of the environment, and the seed of the network and the sampling"""
    total_steps: int = 480_000
    """env-steps to train for (vehicles x steps of the day x days)"""
    days_per_rollout: int = 4
    """whole days of the fleet collected before each update"""
    learning_rate: float = 3e-4
    """Adam's step size, annealed linearly to 0"""
    gamma: float = 0.99
    """discount per step"""
    gae_lambda: float = 0.95
    """lambda of the generalised advantage estimate"""
    update_epochs: int = 4
    """passes over each rollout"""
    minibatches: int = 4
    """minibatches per pass"""
    clip_coef: float = 0.2
    """the surrogate's clipping range"""
    ent_coef: float = 0.01
    """weight of the entropy bonus"""
    vf_coef: float = 0.5
    """weight of the value loss"""
    max_grad_norm: float = 0.5
    """gradient clipping (global norm)"""
    hidden: int = 64
    """width of the two hidden layers"""
    eval_days: int = 10
    """held-out days `v2g eval` scores on (after the days trained on)"""
    save_model: str = ""
    """write the greedy policy as TorchScript here (for `v2g eval RUN --policy FILE`)"""
    threads: int = 1
    """torch threads"""


def parse_args():
    args = Args()
    argv = sys.argv[1:]
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        for f in dataclasses.fields(Args):
            print(f"  --{f.name.replace('_', '-')} ({f.type.__name__}, default {f.default!r})")
        sys.exit(0)
    while argv:
        flag = argv.pop(0)
        name = flag.lstrip("-").replace("-", "_")
        fields = {f.name: f for f in dataclasses.fields(Args)}
        if not flag.startswith("--") or name not in fields or not argv:
            sys.exit(f"ppo.py: error: bad option {flag!r} (--help lists them)")
        try:
            setattr(args, name, fields[name].type(argv.pop(0)))
        except ValueError as e:
            sys.exit(f"ppo.py: error: {flag}: {e}")
    return args


class Agent(nn.Module):
    def __init__(self, obs_size, actions, hidden):
        super().__init__()

        def mlp(out, gain):
            layers = [nn.Linear(obs_size, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                      nn.Linear(hidden, out)]
            for layer in layers:
                if isinstance(layer, nn.Linear):
                    nn.init.orthogonal_(layer.weight, np.sqrt(2))
                    nn.init.zeros_(layer.bias)
            nn.init.orthogonal_(layers[-1].weight, gain)
            return nn.Sequential(*layers)

        self.actor = mlp(actions, 0.01)
        self.critic = mlp(1, 1.0)

    def value(self, obs):
        return self.critic(obs).squeeze(-1)

    def forward(self, obs):  # action scores (logits): the greedy policy picks the highest
        return self.actor(obs)


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    env = v2g.VectorEnv(args.config, seed=args.seed)
    n, steps = env.num_envs, env.steps_per_day
    obs_size = env.single_observation_space.shape[0]
    agent = Agent(obs_size, env.single_action_space.n, args.hidden)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    plugged = [b[0] for b in v2g.vector_env.OBSERVATION_BOUNDS].index("plugged_in")

    rollout_steps = steps * args.days_per_rollout
    updates = max(1, args.total_steps // (n * rollout_steps))
    days = updates * args.days_per_rollout
    obs_buf = torch.zeros((rollout_steps, n, obs_size))
    act_buf = torch.zeros((rollout_steps, n), dtype=torch.long)
    logp_buf = torch.zeros((rollout_steps, n))
    rew_buf = torch.zeros((rollout_steps, n))
    val_buf = torch.zeros((rollout_steps, n))
    next_val_buf = torch.zeros((rollout_steps, n))  # V(s') of each step (the day's last: of the fleet after it)
    start = time.time()
    obs, _ = env.reset()
    obs = torch.tensor(obs)
    for update in range(updates):
        for group in optimizer.param_groups:
            group["lr"] = args.learning_rate * (1.0 - update / updates)
        money = 0.0
        for t in range(rollout_steps):
            with torch.no_grad():
                logits = agent(obs)
                dist = torch.distributions.Categorical(logits=logits)
                action = dist.sample()
                obs_buf[t], act_buf[t], logp_buf[t], val_buf[t] = obs, action, dist.log_prob(action), agent.value(obs)
            next_obs, reward, _, truncated, _ = env.step(action.numpy())
            rew_buf[t] = torch.tensor(reward)
            money += float(reward.mean())
            next_obs = torch.tensor(next_obs)  # a copy: the env's view is overwritten next step
            with torch.no_grad():
                next_val_buf[t] = agent.value(next_obs)
            if truncated.all():  # next-step autoreset: this step returns the next day's start
                next_obs, _, _, _, _ = env.step(np.zeros(n, np.int64))
                next_obs = torch.tensor(next_obs)
            obs = next_obs
        # Advantages: a day's last step bootstraps from the fleet after it (truncation).
        adv = torch.zeros_like(rew_buf)
        last = torch.zeros(n)
        for t in reversed(range(rollout_steps)):
            day_end = (t + 1) % steps == 0
            delta = rew_buf[t] + args.gamma * next_val_buf[t] - val_buf[t]
            last = delta + (0.0 if day_end else args.gamma * args.gae_lambda) * last
            adv[t] = last
        ret = adv + val_buf
        keep = obs_buf[..., plugged].reshape(-1) > 0.5  # away vehicles' actions do nothing
        b_obs, b_act = obs_buf.reshape(-1, obs_size)[keep], act_buf.reshape(-1)[keep]
        b_logp, b_adv, b_ret = logp_buf.reshape(-1)[keep], adv.reshape(-1)[keep], ret.reshape(-1)[keep]
        b_adv = (b_adv - b_adv.mean()) / (b_adv.std(unbiased=False) + 1e-8)
        size = b_obs.shape[0]
        mb = max(1, size // args.minibatches)
        for _ in range(args.update_epochs):
            order = torch.randperm(size)
            for i in range(0, size, mb):
                idx = order[i:i + mb]
                dist = torch.distributions.Categorical(logits=agent(b_obs[idx]))
                ratio = (dist.log_prob(b_act[idx]) - b_logp[idx]).exp()
                a = b_adv[idx]
                pg_loss = torch.max(-a * ratio, -a * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef)).mean()
                v_loss = 0.5 * (agent.value(b_obs[idx]) - b_ret[idx]).pow(2).mean()
                loss = pg_loss + args.vf_coef * v_loss - args.ent_coef * dist.entropy().mean()
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()
        done = (update + 1) * args.days_per_rollout
        print(f"update {update + 1}/{updates}: days {done}/{days}, money {money / args.days_per_rollout:.3f} "
              f"per vehicle-day (sampled policy), {n * steps * done / (time.time() - start):.0f} env-steps/s",
              flush=True)
    env.close()

    def greedy(observations):
        with torch.no_grad():
            return agent(torch.from_numpy(np.array(observations))).argmax(1).numpy()

    if args.save_model:
        torch.jit.script(agent.actor).save(args.save_model)
    # A tabular run of the same config on the same days gives `v2g eval` its trained state and
    # the held-out days after them; the greedy PPO policy is scored there as `external`.
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "ppo_run.h5")
        v2g.train(args.config, run, args=["--episodes", str(days), "--seed", str(args.seed)])
        result = v2g.evaluate(run, policy=greedy, days=args.eval_days)
    money = dict(zip(result["policies"], result["metrics"]["money_per_vehicle"]))
    met = dict(zip(result["policies"], result["metrics"]["departure_energy_met"]))
    print(f"held-out days {result['first_episode']}..{result['first_episode'] + result['days'] - 1}, "
          "money per vehicle-day (departure energy met):")
    for name in result["policies"]:
        print(f"  {name:18s} {money[name]:8.3f}  ({met[name]:.3f})")
    print(f"ppo score {100 * result['external_score']:.1f} % of the way from random to the LP oracle")
    return result


if __name__ == "__main__":
    main()
