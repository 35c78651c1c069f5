// native/models/heads.h: classification heads on pooled features (N,F -> N,num_classes).
//
//   auto head = alzscan::make_head("enhanced", /*features=*/1408, /*classes=*/4, /*dropout=*/-1);
//   torch::Tensor logits = head->forward(pooled);   // pooled: N,F float32
//
// linear    fc = Linear(F, C)
// mlp       the seed's baseline: fc1 = Linear(F, 512) -> ReLU -> Dropout(0.5) -> fc2 = Linear(512, C)
// advanced  the seed's experiment 4: three residual dense blocks F->512->256->128, each
//           y = Dropout_k(ReLU(BN1d(Linear(x)))) + shortcut(x) (shortcut = Linear without bias
//           where the width changes), progressive dropout d, 0.8 d, 0.6 d (d = 0.5 by default:
//           higher in early layers), then fc = Linear(128, C); Xavier-uniform weights, zero biases.
//           Names: blocks.k.{fc,bn,shortcut}, fc.
// enhanced  the seed's experiment 8: channel attention on the vector (SE-style:
//           x * sigmoid(fc2(ReLU(fc1(x)))), F -> F/16 -> F), then three dense blocks
//           Linear -> BN1d -> ReLU -> Dropout(d) (F->512->256->128, d = 0.4 by default),
//           then fc = Linear(128, C). Names: attention.{fc1,fc2}, blocks.k.{fc,bn}, fc.
// BatchNorm1d eps 1e-5, momentum 0.1. dropout < 0 selects the head's default.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace alzscan {

class HeadImpl : public torch::nn::Module {
public:
    virtual ~HeadImpl() = default;
    virtual torch::Tensor forward(torch::Tensor pooled) = 0;
};

class LinearHeadImpl : public HeadImpl {
public:
    LinearHeadImpl(int64_t features, int64_t classes);
    torch::Tensor forward(torch::Tensor x) override;
    torch::nn::Linear fc{nullptr};
};

class MlpHeadImpl : public HeadImpl {
public:
    static constexpr int64_t kHidden = 512;
    MlpHeadImpl(int64_t features, int64_t classes, double dropout);
    torch::Tensor forward(torch::Tensor x) override;
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
    torch::nn::Dropout dropout{nullptr};
};

// Linear -> BN1d -> ReLU -> Dropout, plus an optional residual shortcut.
class DenseBlockImpl : public torch::nn::Module {
public:
    DenseBlockImpl(int64_t in, int64_t out, double dropout, bool residual);
    torch::Tensor forward(torch::Tensor x);
    torch::nn::Linear fc{nullptr};
    torch::nn::BatchNorm1d bn{nullptr};
    torch::nn::Dropout dropout{nullptr};
    bool residual = false;
    torch::nn::Linear shortcut{nullptr};   // null: identity (when residual and in == out)
};
TORCH_MODULE(DenseBlock);

class AdvancedHeadImpl : public HeadImpl {
public:
    AdvancedHeadImpl(int64_t features, int64_t classes, double dropout);
    torch::Tensor forward(torch::Tensor x) override;
    std::vector<DenseBlock> blocks;
    torch::nn::Linear fc{nullptr};
};

// SE on a feature vector: x * sigmoid(fc2(relu(fc1(x)))).
class ChannelAttentionImpl : public torch::nn::Module {
public:
    static constexpr int64_t kReduction = 16;
    explicit ChannelAttentionImpl(int64_t features);
    torch::Tensor forward(torch::Tensor x);
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(ChannelAttention);

class EnhancedHeadImpl : public HeadImpl {
public:
    EnhancedHeadImpl(int64_t features, int64_t classes, double dropout);
    torch::Tensor forward(torch::Tensor x) override;
    ChannelAttention attention{nullptr};
    std::vector<DenseBlock> blocks;
    torch::nn::Linear fc{nullptr};
};

// Throws std::invalid_argument naming the head for an unknown name or a dropout outside [0, 1).
std::shared_ptr<HeadImpl> make_head(const std::string& name, int64_t features, int64_t classes,
                                    double dropout);

}  // namespace alzscan
