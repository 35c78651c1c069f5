// native/models/grad_cam.h: Grad-CAM (Selvaraju et al. 2017) for any classifier and head, with
// LibTorch autograd: each class's map is ReLU(sum_k alpha_k A_k), alpha_k = the mean over the map of
// d logit_c / d A_k, on the last feature maps A (N must be 1).
//
//   alzscan::GradCam g = alzscan::grad_cam(net, x);   // x: 1,1,H,W normalised
//   // g.maps: classes x h x w row-major, each class's map scaled to max 1 (shared/cam.h normalise_cam)
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "models/model_zoo.h"

namespace alzscan {

struct GradCam {
    int64_t classes = 0, height = 0, width = 0;
    std::vector<float> maps;
    std::vector<float> logits;     // the forward pass's logits (C)
    std::vector<float> features;   // its pooled feature maps (F)
};

// Eval mode (the caller's mode is restored); gradients are enabled inside, whatever the caller's guard.
GradCam grad_cam(Classifier& net, const torch::Tensor& x);

}  // namespace alzscan
