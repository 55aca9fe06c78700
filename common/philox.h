// philox.h: counter-based Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
// 1, 2, 3", SC'11), bit-identical to cuRAND's curand_Philox4x32_10 but usable on the host too.
//
// Every random number in v2g is a pure function of (seed, vehicle, episode, step, purpose):
// the counter holds (vehicle, episode, step, purpose) and the key holds the seed. No generator
// state is carried, so results do not depend on thread count, launch shape or backend, and a
// resumed run draws exactly what an uninterrupted one would.
#pragma once
#include "common/hd.h"

namespace v2g {

struct Philox4 {
    uint32_t v[4];
};

// Round constants from the Random123 reference implementation (Salmon et al. 2011).
constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1

V2G_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
    const uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
    *hi = static_cast<uint32_t>(p >> 32);
    *lo = static_cast<uint32_t>(p);
}

V2G_HD Philox4 philox4x32_10(Philox4 ctr, uint32_t key0, uint32_t key1) {
    for (int round = 0; round < 10; ++round) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo32(kPhiloxM0, ctr.v[0], &hi0, &lo0);
        mulhilo32(kPhiloxM1, ctr.v[2], &hi1, &lo1);
        Philox4 next;
        next.v[0] = hi1 ^ ctr.v[1] ^ key0;
        next.v[1] = lo1;
        next.v[2] = hi0 ^ ctr.v[3] ^ key1;
        next.v[3] = lo0;
        ctr = next;
        key0 += kPhiloxW0;
        key1 += kPhiloxW1;
    }
    return ctr;
}

// What a random draw is for; part of the counter so that draws for different purposes
// at the same (vehicle, episode, step) are independent.
enum class RngPurpose : uint32_t {
    kExplore = 1,      // epsilon test and random action
    kSession = 2,      // arrival, duration, energy demand of the day's session
    kFleetModel = 3,   // which EV model a vehicle is
    kSignals = 4,      // synthetic prices, load, PV (host side)
    kFault = 5,        // which vehicles a fault scenario removes (evaluation)
    kTest = 99,        // reserved for tests
};

// Four independent 32-bit words for (seed, stream, episode, step, purpose).
V2G_HD Philox4 random4(uint64_t seed, uint32_t stream, uint32_t episode, uint32_t step,
                       RngPurpose purpose) {
    Philox4 ctr;
    ctr.v[0] = stream;
    ctr.v[1] = episode;
    ctr.v[2] = step;
    ctr.v[3] = static_cast<uint32_t>(purpose);
    return philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Uniform in [0, 1) with 24 random bits: exact in float, so identical on every device.
V2G_HD float uniform01(uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }

}  // namespace v2g
