// int8 per-output-channel weight quantization (see weight_quantization.h).
#include "export/weight_quantization.h"

#include <stdexcept>
#include <string>

namespace alzscan {

QuantizedWeight quantize_per_channel_int8(const torch::Tensor& weight) {
    if (weight.dim() < 2)
        throw std::invalid_argument("int8 quantization needs a [C_out, ...] weight, got " +
                                    std::to_string(weight.dim()) + " dimension(s)");
    torch::NoGradGuard no_grad;
    const torch::Tensor w = weight.detach().to(torch::kCPU, torch::kFloat).contiguous();
    const torch::Tensor rows = w.view({w.size(0), -1});
    const torch::Tensor max_abs = std::get<0>(rows.abs().max(1));
    const torch::Tensor scale = torch::where(max_abs > 0, max_abs / 127.0f, torch::ones_like(max_abs));
    const torch::Tensor q = torch::round(rows / scale.unsqueeze(1)).clamp(-127, 127).to(torch::kInt8);
    return {q.view(w.sizes()).contiguous(), scale.contiguous()};
}

torch::Tensor dequantize(const QuantizedWeight& w) {
    std::vector<int64_t> shape(static_cast<size_t>(w.q.dim()), 1);
    shape[0] = w.q.size(0);
    return w.q.to(torch::kFloat) * w.scale.view(shape);
}

int64_t quantize_weights_int8(torch::nn::Module& net) {
    torch::NoGradGuard no_grad;
    int64_t changed = 0;
    for (auto& p : net.named_parameters()) {
        const std::string& name = p.key();
        const bool is_weight = name.size() >= 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
        if (!is_weight || p.value().dim() < 2) continue;
        torch::Tensor& t = p.value();
        t.copy_(dequantize(quantize_per_channel_int8(t)).to(t.device(), t.scalar_type()));
        ++changed;
    }
    return changed;
}

}  // namespace alzscan
