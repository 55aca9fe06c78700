/* glibc_compat.c: linked only into the GPU bundle's binaries (V2G_STATIC_DEPS), whose libstdc++
 * is static. Debian 12's libstdc++.a calls arc4random (glibc 2.36) for std::random_device; this
 * definition over getrandom (glibc 2.25) takes its place, so that the bundle needs no glibc newer
 * than 2.35 (Ubuntu 22.04), which its unwinder's _dl_find_object needs anyway. `scripts/gpu-check
 * pack` prints what each binary needs. */
#include <stdint.h>
#include <sys/random.h>

uint32_t arc4random(void) {
    uint32_t x = 0;
    while (getrandom(&x, sizeof x, 0) != (ssize_t)sizeof x) {
    }
    return x;
}
