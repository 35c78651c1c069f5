// native/models/backbone.h: what a backbone gives the classifier: N,C_in,H,W -> N,C,h,w maps.
//
//   std::shared_ptr<alzscan::BackboneImpl> b = std::make_shared<alzscan::SmallNetImpl>(1);
//   torch::Tensor maps = b->feature_maps(x);          // N, b->num_features(), h, w
//
// Global average pooling and the head live in ClassifierImpl (model_zoo.h).
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace alzscan {

class BackboneImpl : public torch::nn::Module {
public:
    virtual ~BackboneImpl() = default;
    virtual torch::Tensor feature_maps(torch::Tensor x) = 0;
    virtual int64_t num_features() const = 0;
};

}  // namespace alzscan
