// row_sort.h: a shared table's Q-update of one step by many lanes, through a stable counting
// sort of the span's vehicles by state (the CUDA fleet grid's update; the schedule runs it
// when Lanes::row_sort is set, schedule.h).
//
// Why: the updates of one step that depend on each other are those of the same row, which must
// stay in vehicle order (step.h learn_rows). Row owners that each scan the whole fleet's state
// array do that, but on a GPU 1024 owners reading 10^6 states one after another each step is
// ~5 ms of latency. Sorted, each live row is one lane's run of its own vehicles:
//
//   count   (tiles) each tile, a contiguous share of the vehicles, counts its vehicles per key
//   total   (keys)  each key's tile counts become the tiles' offsets in the key's run; its total
//   scan    (lane 0) the totals become each key's start in `order`
//   place   (tiles) each tile writes its vehicles, in vehicle order, at its offsets; and zeroes
//                   its counts for the next step
//   learn   (keys)  each key's run of vehicles is updated in the order of `order`
//
// Within a key, tiles are in vehicle order and so are the vehicles of a tile: the sort is
// stable, and every row's updates run in vehicle order: the bits of learn_vehicle over the
// vehicles in order. Keys are a step's states without their time bin (all of a step's states
// share it while learning.time_bins = steps per day, the condition learn_rows needs as well).
//
// Napkin math per vehicle-step: the 4-byte state read twice, `order` written and read (8 B), one
// counter incremented; per key and tile one counter read and written twice (16 B), with the
// tiles chosen so that keys x tiles <= vehicles: ~30-40 B per vehicle-step besides the rows
// themselves, against 1024 / 32 x 4 = 128 B of serial broadcast reads for the owners.
#pragma once
#include "env/step.h"

namespace v2g {

// The sort's scratch, owned by the backend; null pointers: not sorted (row owners instead).
struct RowSortScratch {
    int* tile_counts = nullptr;  // [tile][key]: the tile's vehicles of each key, then its offset
                                 // in the key's run; all 0 between steps (zeroed when allocated)
    int* key_start = nullptr;    // [key + 1]: where each key's run begins in `order`
    int* order = nullptr;        // [vehicle of the span]: the vehicles sorted by key (ids)
    int tiles = 1;               // contiguous shares of the span's vehicles
};

// The keys of a step's states: a state without its time bin.
V2G_HD int row_sort_keys(const EnvParams& p) { return num_states(p) / p.time_bins; }

V2G_HD int row_sort_key(const EnvParams& p, int state) {
    const int inner = num_states(p) / (p.soc_bins * p.time_bins);  // price, slack, outlook
    return state / (p.time_bins * inner) * inner + state % inner;
}

// The tiles for `vehicles`. A lane's serial work is a tile's vehicles (count, place) or a key's
// tiles (total), so about sqrt(vehicles) tiles balance the two (1,000 at 10^6 vehicles); and no
// more than vehicles / keys, so that keys x tiles counters cost no more than the vehicles do.
V2G_HD int row_sort_tiles(const EnvParams& p, int vehicles) {
    // A correctly rounded double sqrt of an int never rounds up to the next integer.
    const int root = static_cast<int>(sqrt(static_cast<double>(vehicles)));
    const int by_keys = vehicles / row_sort_keys(p);
    const int t = root < by_keys ? root : by_keys;
    return t < 1 ? 1 : t;
}

// Tile t's vehicles [*first, *last) of the span [v_begin, v_end).
V2G_HD void row_sort_tile(const RowSortScratch& s, int v_begin, int v_end, int t, int* first, int* last) {
    const int64_t n = v_end - v_begin;
    *first = v_begin + static_cast<int>(n * t / s.tiles);
    *last = v_begin + static_cast<int>(n * (t + 1) / s.tiles);
}

V2G_HD void row_sort_count(const EnvParams& p, const FleetView& f, const RowSortScratch& s, int v_begin, int v_end,
                           int t) {
    int first = 0, last = 0;
    row_sort_tile(s, v_begin, v_end, t, &first, &last);
    int* counts = s.tile_counts + static_cast<size_t>(t) * static_cast<size_t>(row_sort_keys(p));
    for (int v = first; v < last; ++v)
        if (f.state[v] >= 0) ++counts[row_sort_key(p, f.state[v])];
}

V2G_HD void row_sort_total(const EnvParams& p, const RowSortScratch& s, int k) {
    const size_t keys = static_cast<size_t>(row_sort_keys(p));
    int running = 0;
    for (int t = 0; t < s.tiles; ++t) {
        int* c = s.tile_counts + static_cast<size_t>(t) * keys + static_cast<size_t>(k);
        const int here = *c;
        *c = running;
        running += here;
    }
    s.key_start[k + 1] = running;
}

V2G_HD void row_sort_scan(const EnvParams& p, const RowSortScratch& s) {
    s.key_start[0] = 0;
    for (int k = 0; k < row_sort_keys(p); ++k) s.key_start[k + 1] += s.key_start[k];
}

V2G_HD void row_sort_place(const EnvParams& p, const FleetView& f, const RowSortScratch& s, int v_begin, int v_end,
                           int t) {
    int first = 0, last = 0;
    row_sort_tile(s, v_begin, v_end, t, &first, &last);
    int* counts = s.tile_counts + static_cast<size_t>(t) * static_cast<size_t>(row_sort_keys(p));
    for (int v = first; v < last; ++v) {
        if (f.state[v] < 0) continue;
        const int k = row_sort_key(p, f.state[v]);
        s.order[s.key_start[k] + counts[k]++] = v;
    }
    for (int k = 0; k < row_sort_keys(p); ++k) counts[k] = 0;  // row_sort_total set every key
}

V2G_HD void row_sort_learn(const EnvParams& p, const FleetView& f, const RowSortScratch& s, int k) {
    for (int i = s.key_start[k]; i < s.key_start[k + 1]; ++i) learn_vehicle(p, f, s.order[i]);
}

}  // namespace v2g
