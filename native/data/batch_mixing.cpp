#include "data/batch_mixing.h"

#include <algorithm>
#include <cmath>

namespace alzscan {

namespace {

// Beta(a, a) from LibTorch's generator: the first coordinate of a Dirichlet(a, a) draw.
double sample_beta(double alpha) {
    torch::Tensor concentration = torch::full({2}, alpha, torch::kFloat64);
    return at::_sample_dirichlet(concentration)[0].item<double>();
}

}  // namespace

MixedBatch mix_batch(const torch::Tensor& x, const torch::Tensor& y, double mixup_alpha, double cutmix_alpha) {
    MixedBatch m;
    m.x = x;
    m.y_a = y;
    m.y_b = y;
    const bool mixup = mixup_alpha > 0, cutmix = cutmix_alpha > 0;
    if ((!mixup && !cutmix) || x.size(0) < 2) return m;
    const bool use_cutmix = mixup && cutmix ? torch::rand({1}, torch::kFloat64).item<double>() < 0.5 : cutmix;
    const torch::Tensor partner = x.roll(1, 0);
    m.y_b = y.roll(1, 0);
    const double lambda = sample_beta(use_cutmix ? cutmix_alpha : mixup_alpha);
    if (!use_cutmix) {
        m.kind = "mixup";
        m.lambda = lambda;
        m.x = x * lambda + partner * (1.0 - lambda);
        return m;
    }
    m.kind = "cutmix";
    const int64_t h = x.size(2), w = x.size(3);
    const torch::Tensor centre = torch::rand({2}, torch::kFloat64);
    const double cy = centre[0].item<double>() * h, cx = centre[1].item<double>() * w;
    const double side = std::sqrt(1.0 - lambda);   // box side as a fraction of the image side
    const auto clip = [](double v, int64_t hi) { return std::clamp<int64_t>(std::llround(v), 0, hi); };
    const int64_t y0 = clip(cy - side * h / 2, h), y1 = clip(cy + side * h / 2, h);
    const int64_t x0 = clip(cx - side * w / 2, w), x1 = clip(cx + side * w / 2, w);
    m.x = x.clone();
    if (y1 > y0 && x1 > x0)
        m.x.slice(2, y0, y1).slice(3, x0, x1).copy_(partner.slice(2, y0, y1).slice(3, x0, x1));
    m.lambda = 1.0 - static_cast<double>((y1 - y0) * (x1 - x0)) / static_cast<double>(h * w);
    m.box[0] = y0; m.box[1] = y1; m.box[2] = x0; m.box[3] = x1;
    return m;
}

}  // namespace alzscan
