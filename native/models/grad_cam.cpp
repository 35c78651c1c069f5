// Grad-CAM with autograd (see grad_cam.h).
#include "models/grad_cam.h"

#include "alzscan/cam.h"

namespace alzscan {

GradCam grad_cam(Classifier& net, const torch::Tensor& x) {
    const bool was_training = net->is_training();
    net->eval();
    torch::AutoGradMode grad_on(true);
    torch::Tensor maps = net->feature_maps(x);
    const torch::Tensor pooled = net->pool(maps);
    const torch::Tensor logits = net->logits_of(pooled)[0];
    GradCam g;
    g.classes = logits.size(0);
    g.height = maps.size(2);
    g.width = maps.size(3);
    const torch::Tensor l = logits.detach().to(torch::kFloat32).cpu().contiguous();
    g.logits.assign(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
    const torch::Tensor f = pooled.detach()[0].to(torch::kFloat32).cpu().contiguous();
    g.features.assign(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    for (int64_t c = 0; c < g.classes; ++c) {
        const torch::Tensor grad =
            torch::autograd::grad({logits[c]}, {maps}, /*grad_outputs=*/{}, /*retain_graph=*/true)[0];
        const torch::Tensor alpha = grad.mean({2, 3}, /*keepdim=*/true);
        const torch::Tensor cam = (alpha * maps).sum(1)[0].detach().to(torch::kFloat32).cpu().contiguous();
        const std::vector<float> m = normalise_cam(cam.data_ptr<float>(), static_cast<size_t>(cam.numel()));
        g.maps.insert(g.maps.end(), m.begin(), m.end());
    }
    if (was_training) net->train();
    return g;
}

}  // namespace alzscan
