// native/models/batch_norm.h: every BatchNorm2d of the model zoo goes through batch_norm(), so
// training can synchronise its statistics across processes (--sync-bn).
//
//   alzscan::set_batch_norm_sync([&](torch::Tensor& t) { allreduce_sum(t); });   // or {} to turn off
//   torch::Tensor y = alzscan::batch_norm(*bn, x);   // x: N,C,H,W
//
// Contract: without a sync function, or in eval mode, this is bn.forward(x). With one, in training
// mode, the batch statistics are the sums over every process (the function sums a tensor in place
// across them; identity in one process): mean and biased variance over N*H*W of all processes, the
// running statistics updated with the unbiased variance as BatchNorm2d does, and the backward pass
// sums d/dy and d/dy * x_hat across processes too (the input gradient of the whole batch). The
// weight and bias gradients stay per process: the gradient all-reduce after backward sums them.
#pragma once

#include <functional>

#include <torch/torch.h>

namespace alzscan {

using BatchNormSync = std::function<void(torch::Tensor&)>;
void set_batch_norm_sync(BatchNormSync sync);
bool batch_norm_synced();

torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x);

}  // namespace alzscan
