// native/train/autocast_scope.h: bfloat16 autocast for one forward pass, on CPU or CUDA.
//
//   {
//       alzscan::AutocastScope bf16(cfg.precision == "bf16", device);
//       logits = net->forward(x);          // convs / matmuls run in bf16 inside the scope
//   }
//   loss = loss_fn(logits.to(torch::kFloat), y);   // loss, backward's float32 master weights, optimizer
//
// Why only the forward: weights, gradients and the optimizer stay float32, so a bf16 run
// checkpoints, resumes and exports exactly like an fp32 one. Measured here (AVX512-BF16 EPYC,
// LibTorch 1.13, make bench-train, 128 px): `small` 1.73x its fp32 images/s, `efficientnet_b2` 0.86x.
// The scope restores the previous state (nesting-safe) and clears autocast's cast cache.
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

// LibTorch 2.4 replaced the per-device autocast calls by ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define ALZSCAN_AUTOCAST_BY_DEVICE_TYPE 1
#else
#define ALZSCAN_AUTOCAST_BY_DEVICE_TYPE 0
#endif

namespace alzscan {

class AutocastScope {
public:
    AutocastScope(bool enabled, torch::Device device) : enabled_(enabled), type_(device.type()) {
        if (!enabled_) return;
#if ALZSCAN_AUTOCAST_BY_DEVICE_TYPE
        previous_ = at::autocast::is_autocast_enabled(type_);
        at::autocast::set_autocast_dtype(type_, at::kBFloat16);
        at::autocast::set_autocast_enabled(type_, true);
#else
        if (type_ == torch::kCUDA) {
            previous_ = at::autocast::is_enabled();
            at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
            at::autocast::set_enabled(true);
        } else {
            previous_ = at::autocast::is_cpu_enabled();
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            at::autocast::set_cpu_enabled(true);
        }
#endif
    }
    ~AutocastScope() {
        if (!enabled_) return;
#if ALZSCAN_AUTOCAST_BY_DEVICE_TYPE
        at::autocast::set_autocast_enabled(type_, previous_);
#else
        if (type_ == torch::kCUDA)
            at::autocast::set_enabled(previous_);
        else
            at::autocast::set_cpu_enabled(previous_);
#endif
        at::autocast::clear_cache();
    }
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool enabled_;
    torch::DeviceType type_;
    bool previous_ = false;
};

}  // namespace alzscan
