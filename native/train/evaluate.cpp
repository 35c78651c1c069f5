#include "train/evaluate.h"

#include "alzscan/gray_image.h"
#include "alzscan/preprocess.h"

namespace alzscan {

torch::Tensor normalise_batch(const torch::Tensor& images, const PreprocessSpec& spec) {
    torch::Tensor src = images.contiguous();
    const int64_t n = src.size(0), h = src.size(2), w = src.size(3);
    torch::Tensor out = torch::empty({n, 1, h, w}, torch::kFloat32);
    const uint8_t* in = src.data_ptr<uint8_t>();
    float* dst = out.data_ptr<float>();
    GrayImage image{static_cast<int>(w), static_cast<int>(h), std::vector<uint8_t>(h * w)};
    for (int64_t i = 0; i < n; ++i) {
        std::copy(in + i * h * w, in + (i + 1) * h * w, image.pixels.begin());
        normalise_into(image, spec, dst + i * h * w);
    }
    return out;
}

EvalResult evaluate(Classifier& net, const DatasetSplit& split, const PreprocessSpec& spec,
                    torch::Device device, int64_t batch_size,
                    const std::function<void(int64_t)>& on_progress, double temperature) {
    const bool was_training = net->is_training();
    net->eval();
    torch::NoGradGuard no_grad;
    const int64_t n = split.size();
    const int num_classes = static_cast<int>(spec.class_names.size());
    EvalResult r;
    r.probabilities.reserve(static_cast<size_t>(n) * num_classes);
    double loss_sum = 0;
    for (int64_t start = 0; start < n; start += batch_size) {
        const int64_t end = std::min(n, start + batch_size);
        torch::Tensor x = normalise_batch(split.images.slice(0, start, end), spec).to(device);
        torch::Tensor y = split.labels.slice(0, start, end).to(device);
        torch::Tensor logits = net->forward(x).to(torch::kFloat32);
        loss_sum += torch::nn::functional::cross_entropy(
                        logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                        .item<double>();
        torch::Tensor p = torch::softmax(logits / temperature, 1).to(torch::kCPU).contiguous();
        r.probabilities.insert(r.probabilities.end(), p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
        if (on_progress) on_progress(end);
    }
    std::vector<int> labels(split.labels.data_ptr<int64_t>(), split.labels.data_ptr<int64_t>() + n);
    r.metrics = compute_metrics(labels, r.probabilities, num_classes);
    r.loss = n > 0 ? loss_sum / n : 0.0;
    if (was_training) net->train();
    return r;
}

torch::Device resolve_device(const std::string& name) {
    const bool cuda = torch::cuda::is_available();
    if (name == "cpu" || (name == "auto" && !cuda)) return torch::kCPU;
    if (name == "cuda" || name == "auto") {
        if (!cuda)
            throw std::invalid_argument("--device cuda: this LibTorch build has no CUDA or no GPU is visible; "
                                        "hint: use --device cpu or build against a CUDA LibTorch");
        return torch::kCUDA;
    }
    throw std::invalid_argument("--device " + name + ": expected auto, cpu or cuda");
}

nlohmann::json eval_json(const EvalResult& result, const std::vector<std::string>& class_names) {
    nlohmann::json j = nlohmann::json::parse(metrics_to_json(result.metrics, class_names));
    j["loss"] = result.loss;
    return j;
}

}  // namespace alzscan
