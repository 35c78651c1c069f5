// native/export/weight_quantization.h: int8 weights, symmetric, one scale per output channel.
//
//   alzscan::QuantizedWeight q = alzscan::quantize_per_channel_int8(conv->weight);
//   torch::Tensor w = alzscan::dequantize(q);            // what ONNX DequantizeLinear computes
//   alzscan::quantize_weights_int8(*net);                // every Conv/Linear weight := dequantize(quantize(w))
//
// Contract: w is float [C_out, ...]; scale[c] = max|w[c]| / 127 (1 for an all-zero channel),
// q = round-half-even(w / scale) clamped to [-127, 127] (int8, w's shape), dequantize = float(q) * scale.
// Why quantize the torch model too: `alzscan export --weights int8` writes q + scale with a
// DequantizeLinear node (a model file 4x smaller, for the browser's cold load), and its
// --write-checkpoint copy must compute what the browser computes. Re-quantizing a quantized
// channel after BatchNorm folding multiplied it by any non-zero factor returns the same integers
// (|q| = 127 stays the channel's maximum), so folding after this step loses nothing more.
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace alzscan {

struct QuantizedWeight {
    torch::Tensor q;       // int8, the weight's shape
    torch::Tensor scale;   // float32 [C_out]
};

QuantizedWeight quantize_per_channel_int8(const torch::Tensor& weight);
torch::Tensor dequantize(const QuantizedWeight& w);

// Replaces every parameter named "*.weight" with 2 or more dimensions (Conv, Linear) by its
// int8 round trip, in place. Returns how many tensors it changed.
int64_t quantize_weights_int8(torch::nn::Module& net);

}  // namespace alzscan
