// native/data/batch_mixing.h: MixUp and CutMix on a training batch.
//
//   torch::manual_seed(step_seed);                      // draws come from LibTorch's CPU generator
//   alzscan::MixedBatch m = alzscan::mix_batch(x, y, /*mixup_alpha=*/0.2, /*cutmix_alpha=*/1.0);
//   loss = m.lambda * ce(net(m.x), m.y_a) + (1 - m.lambda) * ce(net(m.x), m.y_b);   // mixed_loss()
//
// x: N,C,H,W float32 (normalised), y: N int64 labels. The partner of image i is image i-1 (the
// batch rolled by one, as torchvision's reference RandomMixUp/RandomCutMix do). With both alphas
// > 0, each batch gets one of the two, chosen with probability 1/2.
//   MixUp:  lambda ~ Beta(a, a); x = lambda * x + (1 - lambda) * partner.
//   CutMix: lambda ~ Beta(a, a); a box of area (1 - lambda) * H * W, centred uniformly (clipped at the
//           border), is pasted from the partner; lambda = 1 - (pasted area) / (H * W) after clipping.
// Both alphas 0 (or N < 2): x is returned unchanged with lambda 1 and kind "none".
// Cross-entropy is linear in the target, so the mixed loss equals the loss on the mixed soft label.
#pragma once

#include <string>

#include <torch/torch.h>

namespace alzscan {

struct MixedBatch {
    torch::Tensor x;     // N,C,H,W: the mixed images (a new tensor; the input is not modified)
    torch::Tensor y_a;   // N: the images' own labels
    torch::Tensor y_b;   // N: their partners' labels
    double lambda = 1.0; // weight of y_a
    std::string kind = "none";   // none | mixup | cutmix
    int64_t box[4] = {0, 0, 0, 0};   // cutmix: y0, y1, x0, x1 (half-open) of the pasted region
};

MixedBatch mix_batch(const torch::Tensor& x, const torch::Tensor& y, double mixup_alpha, double cutmix_alpha);

// lambda * loss_fn(y_a) + (1 - lambda) * loss_fn(y_b), evaluating loss_fn once when lambda == 1.
template <typename LossFn>
torch::Tensor mixed_loss(const MixedBatch& m, LossFn&& loss_fn) {
    if (m.lambda >= 1.0) return loss_fn(m.y_a);
    return loss_fn(m.y_a) * m.lambda + loss_fn(m.y_b) * (1.0 - m.lambda);
}

}  // namespace alzscan
