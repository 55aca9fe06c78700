// dqn_stub.cpp: the DQN entry points of dqn.h in a build without LibTorch (V2G_TORCH=OFF or
// no libtorch-dev): the tabular engine builds and runs without torch, and asking for a DQN
// says why it is not there.
#include "dqn/dqn.h"
#include "common/errors.h"

namespace v2g {

void require_dqn(const std::string& what) {
    throw InputError(what + ": this build has no LibTorch (install libtorch-dev, rebuild with -DV2G_TORCH=ON)");
}

std::unique_ptr<Backend> make_dqn_backend(const Config&, Problem) {
    require_dqn("learning.policy = 'dqn'");
    return nullptr;  // not reached
}

void export_dqn_model(Backend&, const std::string&) {
    throw InputError("--model-out: this build has no LibTorch");
}

std::vector<float> dqn_q_values(Backend&, const std::vector<float>&) {
    throw InputError("dqn: this build has no LibTorch");
}

float dqn_price_scale(Backend&) { throw InputError("dqn: this build has no LibTorch"); }

ActionChooser load_script_policy(const std::string& path) {
    throw InputError("--policy " + path + ": this build has no LibTorch (install libtorch-dev, rebuild with -DV2G_TORCH=ON)");
}

}  // namespace v2g
