// BatchNorm2d with statistics summed across processes (see batch_norm.h).
#include "models/batch_norm.h"

#include <utility>

namespace alzscan {
namespace {

BatchNormSync& sync_function() {
    static BatchNormSync f;
    return f;
}

torch::Tensor channel_view(const torch::Tensor& v) { return v.view({1, -1, 1, 1}); }

// y = x_hat * weight + bias with x_hat = (x - mean) * invstd; mean and invstd are the global
// statistics, computed outside (no gradient) and accounted for in backward.
class SyncBatchNorm : public torch::autograd::Function<SyncBatchNorm> {
public:
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, torch::Tensor weight,
                                 torch::Tensor bias, torch::Tensor mean, torch::Tensor invstd, double count) {
        const torch::Tensor x_hat = (x - channel_view(mean)) * channel_view(invstd);
        ctx->save_for_backward({x_hat, weight, invstd});
        ctx->saved_data["count"] = count;
        return x_hat * channel_view(weight) + channel_view(bias);
    }

    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::tensor_list grads) {
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor &x_hat = saved[0], &weight = saved[1], &invstd = saved[2];
        const double count = ctx->saved_data["count"].toDouble();
        const torch::Tensor dy = grads[0];
        const torch::Tensor sum_dy = dy.sum({0, 2, 3});
        const torch::Tensor sum_dy_xhat = (dy * x_hat).sum({0, 2, 3});
        torch::Tensor global = torch::cat({sum_dy, sum_dy_xhat}).to(torch::kDouble);
        sync_function()(global);
        const int64_t C = sum_dy.size(0);
        const torch::Tensor g_dy = global.slice(0, 0, C).to(dy.scalar_type());
        const torch::Tensor g_dy_xhat = global.slice(0, C, 2 * C).to(dy.scalar_type());
        const torch::Tensor dx = channel_view(weight * invstd) *
                                 (dy - channel_view(g_dy) / count - x_hat * channel_view(g_dy_xhat) / count);
        return {dx, sum_dy_xhat, sum_dy, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

void set_batch_norm_sync(BatchNormSync sync) { sync_function() = std::move(sync); }
bool batch_norm_synced() { return static_cast<bool>(sync_function()); }

torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
    if (!sync_function() || !bn.is_training()) return bn.forward(x);
    torch::Tensor mean, invstd;
    double count = 0;
    {
        torch::NoGradGuard no_grad;
        const torch::Tensor xd = x.to(torch::kDouble);
        torch::Tensor stats = torch::cat({xd.sum({0, 2, 3}), (xd * xd).sum({0, 2, 3}),
                                          torch::full({1}, static_cast<double>(x.size(0) * x.size(2) * x.size(3)),
                                                      xd.options())});
        sync_function()(stats);
        const int64_t C = x.size(1);
        count = stats[2 * C].item<double>();
        const torch::Tensor m = stats.slice(0, 0, C) / count;
        const torch::Tensor var = (stats.slice(0, C, 2 * C) / count - m * m).clamp_min(0);
        mean = m.to(x.scalar_type());
        invstd = (var + bn.options.eps()).rsqrt().to(x.scalar_type());
        const double momentum = bn.options.momentum().value_or(0.1);
        bn.running_mean.mul_(1 - momentum).add_(m.to(bn.running_mean.scalar_type()), momentum);
        bn.running_var.mul_(1 - momentum)
            .add_((var * (count / std::max(1.0, count - 1))).to(bn.running_var.scalar_type()), momentum);
        bn.num_batches_tracked.add_(1);
    }
    return SyncBatchNorm::apply(x, bn.weight, bn.bias, mean, invstd, count);
}

}  // namespace alzscan
