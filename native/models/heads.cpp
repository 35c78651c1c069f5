// Classification heads (see heads.h for each head's exact structure).
#include "models/heads.h"

#include <stdexcept>

namespace alzscan {

namespace tnn = torch::nn;

namespace {

constexpr int64_t kDenseWidths[3] = {512, 256, 128};

double checked_dropout(double dropout, double fallback, const std::string& head) {
    const double d = dropout < 0 ? fallback : dropout;
    if (!(d >= 0.0 && d < 1.0))
        throw std::invalid_argument("head '" + head + "': dropout must be in [0, 1) (got " +
                                    std::to_string(d) + ")");
    return d;
}

void xavier_init(tnn::Module& module) {
    torch::NoGradGuard no_grad;
    for (auto& m : module.modules(/*include_self=*/false))
        if (auto* fc = m->as<tnn::Linear>()) {
            tnn::init::xavier_uniform_(fc->weight);
            if (fc->bias.defined()) tnn::init::zeros_(fc->bias);
        }
}

}  // namespace

LinearHeadImpl::LinearHeadImpl(int64_t features, int64_t classes) {
    fc = register_module("fc", tnn::Linear(features, classes));
}

torch::Tensor LinearHeadImpl::forward(torch::Tensor x) { return fc->forward(x); }

MlpHeadImpl::MlpHeadImpl(int64_t features, int64_t classes, double d) {
    fc1 = register_module("fc1", tnn::Linear(features, kHidden));
    dropout = register_module("dropout", tnn::Dropout(checked_dropout(d, 0.5, "mlp")));
    fc2 = register_module("fc2", tnn::Linear(kHidden, classes));
}

torch::Tensor MlpHeadImpl::forward(torch::Tensor x) {
    return fc2->forward(dropout->forward(torch::relu(fc1->forward(x))));
}

DenseBlockImpl::DenseBlockImpl(int64_t in, int64_t out, double d, bool with_residual)
    : residual(with_residual) {
    fc = register_module("fc", tnn::Linear(in, out));
    bn = register_module("bn", tnn::BatchNorm1d(out));
    dropout = register_module("dropout", tnn::Dropout(d));
    if (residual && in != out)
        shortcut = register_module("shortcut", tnn::Linear(tnn::LinearOptions(in, out).bias(false)));
}

torch::Tensor DenseBlockImpl::forward(torch::Tensor x) {
    torch::Tensor y = dropout->forward(torch::relu(bn->forward(fc->forward(x))));
    if (residual) y = y + (shortcut ? shortcut->forward(x) : x);
    return y;
}

AdvancedHeadImpl::AdvancedHeadImpl(int64_t features, int64_t classes, double d) {
    d = checked_dropout(d, 0.5, "advanced");
    const double rates[3] = {d, 0.8 * d, 0.6 * d};
    auto list = register_module("blocks", tnn::ModuleList());
    int64_t in = features;
    for (int k = 0; k < 3; ++k) {
        blocks.push_back(DenseBlock(in, kDenseWidths[k], rates[k], /*residual=*/true));
        list->push_back(blocks.back());
        in = kDenseWidths[k];
    }
    fc = register_module("fc", tnn::Linear(in, classes));
    xavier_init(*this);
}

torch::Tensor AdvancedHeadImpl::forward(torch::Tensor x) {
    for (auto& block : blocks) x = block->forward(x);
    return fc->forward(x);
}

ChannelAttentionImpl::ChannelAttentionImpl(int64_t features) {
    const int64_t squeeze = std::max<int64_t>(1, features / kReduction);
    fc1 = register_module("fc1", tnn::Linear(features, squeeze));
    fc2 = register_module("fc2", tnn::Linear(squeeze, features));
}

torch::Tensor ChannelAttentionImpl::forward(torch::Tensor x) {
    return x * torch::sigmoid(fc2->forward(torch::relu(fc1->forward(x))));
}

EnhancedHeadImpl::EnhancedHeadImpl(int64_t features, int64_t classes, double d) {
    d = checked_dropout(d, 0.4, "enhanced");
    attention = register_module("attention", ChannelAttention(features));
    auto list = register_module("blocks", tnn::ModuleList());
    int64_t in = features;
    for (int k = 0; k < 3; ++k) {
        blocks.push_back(DenseBlock(in, kDenseWidths[k], d, /*residual=*/false));
        list->push_back(blocks.back());
        in = kDenseWidths[k];
    }
    fc = register_module("fc", tnn::Linear(in, classes));
}

torch::Tensor EnhancedHeadImpl::forward(torch::Tensor x) {
    x = attention->forward(x);
    for (auto& block : blocks) x = block->forward(x);
    return fc->forward(x);
}

std::shared_ptr<HeadImpl> make_head(const std::string& name, int64_t features, int64_t classes,
                                    double dropout) {
    if (name == "linear") return std::make_shared<LinearHeadImpl>(features, classes);
    if (name == "mlp") return std::make_shared<MlpHeadImpl>(features, classes, dropout);
    if (name == "advanced") return std::make_shared<AdvancedHeadImpl>(features, classes, dropout);
    if (name == "enhanced") return std::make_shared<EnhancedHeadImpl>(features, classes, dropout);
    throw std::invalid_argument("unknown head '" + name + "' (choose linear, mlp, advanced or enhanced)");
}

}  // namespace alzscan
