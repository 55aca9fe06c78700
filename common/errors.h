// errors.h: the two ways a run fails. InputError: the user's input (config, CSV, flag) is at
// fault; the CLI prints its one-line message and exits with status 2. Anything else that
// escapes is a failed check or an internal error: exit status 1.
#pragma once
#include <stdexcept>
#include <string>

namespace v2g {

struct InputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

constexpr int kExitBadInput = 2;
constexpr int kExitFailure = 1;

}  // namespace v2g
