% paper_loops.m: the paper's method written as its MATLAB is (Maghraby et al. 2025, sec. 2.2,
% Figs. 4-6): a loop deploying the smart contracts, then nested loops over episodes and vehicles
% (and, as v2g's paper run, the day's hourly steps), an epsilon-greedy choice among the five
% actions on a per-vehicle Q-table, the battery update, the reward, the one-step Q-update and,
% with the ledger on, one transaction record per energy transfer checked against its contract,
% each record hashed (SHA-256) and the episode's block hashed onto the chain. The baseline that
% v2g's paper run is set against per core (bench/octave_paper.py, docs/PERFORMANCE.md "Against
% the paper's loops in Octave"). It has no P2P clearing, ageing, grid limit or safety layer: less
% work per step than v2g's, so the ratio understates v2g's lead.
%
%   octave-cli --no-gui -q --eval "paper_loops(200, true)"     (from bench/)
%
% Prints one line: "paper_loops episodes=E ledger=L env_steps_per_s=R transactions=T".
function rate = paper_loops(episodes, ledger)
  % The paper's settings (sec. 3) and experiments/paper.toml's where the paper is silent.
  VEHICLES = 50; CONTRACTS = 100; HOURS = 24; ACTIONS = 5; SOC_BINS = 10;
  ALPHA = 0.2; GAMMA = 1.0; EPSILON = 0.8; EPSILON_DECAY = 0.995; Q_INIT = -3.0;
  SOC_MIN = 0.1; SOC_MAX = 0.9; INITIAL_SOC = 0.5;
  CAPACITY_KWH = 60.0; POWER_KW = 11.0; EFFICIENCY = 0.9; TRIP_KWH = 6.5; FEED_IN_RATIO = 0.5;
  CHARGE = 1; DISCHARGE = 2; IDLE = 3; SELL = 4; BUY = 5;   % the paper's order, 1-based

  % "Deploy Smart Contracts" (Fig. 5): one contract at a time onto the chain.
  contracts = struct('id', {}, 'max_wh', {}, 'min_price', {}, 'max_price', {});
  for k = 1:CONTRACTS
    contracts(k) = struct('id', k, 'max_wh', 1e6, 'min_price', -5.0, 'max_price', 10.0);
  end

  rand('seed', 1);
  q = Q_INIT * ones(VEHICLES, SOC_BINS * HOURS, ACTIONS);
  energy = INITIAL_SOC * CAPACITY_KWH * ones(VEHICLES, 1);
  hours = 0:HOURS - 1;
  retail = 0.15 + 0.1 * sin((hours - 6) / HOURS * 2 * pi);   % a day's price curve
  feed_in = FEED_IN_RATIO * retail;
  lo = SOC_MIN * CAPACITY_KWH; hi = SOC_MAX * CAPACITY_KWH;
  chain = repmat('0', 1, 64);
  transactions = 0;
  epsilon = EPSILON;

  tic;
  for e = 1:episodes                          % "Simulate EV Battery Optimization" (Fig. 6)
    leaves = {};
    for v = 1:VEHICLES
      arrival = randi([0 7]);                 % the day starts at noon: evening arrivals ...
      departure = randi([16 23]);             % ... and morning departures
      energy(v) = max(energy(v) - TRIP_KWH, lo);
      for t = arrival:departure - 1
        soc_bin = min(floor(energy(v) / CAPACITY_KWH * SOC_BINS), SOC_BINS - 1);
        s = soc_bin * HOURS + t + 1;
        if rand() < epsilon
          a = randi(ACTIONS);
        else
          [~, a] = max(q(v, s, :));
        end
        grid_kwh = 0;
        if a == CHARGE || a == BUY
          stored = min(POWER_KW * EFFICIENCY, hi - energy(v));
          grid_kwh = stored / EFFICIENCY;
          energy(v) = energy(v) + stored;
          reward = -retail(t + 1) * grid_kwh;
        elseif a == DISCHARGE || a == SELL
          taken = min(POWER_KW, max(energy(v) - lo, 0));
          grid_kwh = -taken * EFFICIENCY;
          energy(v) = energy(v) - taken;
          reward = -feed_in(t + 1) * grid_kwh;
        else
          reward = 0;
        end
        next_bin = min(floor(energy(v) / CAPACITY_KWH * SOC_BINS), SOC_BINS - 1);
        if t + 1 >= departure
          target = reward;
        else
          target = reward + GAMMA * max(q(v, next_bin * HOURS + t + 2, :));
        end
        q(v, s, a) = q(v, s, a) + ALPHA * (target - q(v, s, a));
        if ledger && grid_kwh ~= 0
          c = contracts(mod(v - 1, CONTRACTS) + 1);
          wh = round(grid_kwh * 1000);
          price = retail(t + 1);
          if abs(wh) <= c.max_wh && price >= c.min_price && price <= c.max_price
            tx = struct('episode', e, 'step', t, 'vehicle', v, 'action', a, 'contract', c.id, ...
                        'energy_wh', wh, 'price', price, 'amount', wh * price / 1000);
            record = sprintf('%d,%d,%d,%d,%d,%d,%.6f,%.6f', tx.episode, tx.step, tx.vehicle, tx.action, ...
                             tx.contract, tx.energy_wh, tx.price, tx.amount);
            leaves{end + 1} = hash('sha256', record);
          end
        end
      end
    end
    if ledger                                 % the episode's block onto the chain
      chain = hash('sha256', [chain, leaves{:}]);
      transactions = transactions + numel(leaves);
    end
    epsilon = epsilon * EPSILON_DECAY;
  end
  seconds = toc;
  rate = VEHICLES * HOURS * episodes / seconds;
  printf('paper_loops episodes=%d ledger=%d env_steps_per_s=%.6g transactions=%d\n', episodes, ledger, rate, ...
         transactions);
end
