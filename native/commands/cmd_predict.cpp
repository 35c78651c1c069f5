// alzscan predict: classify image files with a checkpoint, exactly as the browser would.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "alzscan/preprocess.h"
#include "cli/common_options.h"
#include "commands/commands.h"
#include "models/checkpoint.h"
#include "train/evaluate.h"

namespace alzscan::cmd {
namespace {

bool read_file(const std::string& path, std::vector<uint8_t>& bytes, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::string("cannot open file (") + std::strerror(errno) + ")";
        return false;
    }
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

std::string format_probabilities(const std::vector<float>& p) {
    std::string s = "[";
    char buf[32];
    for (size_t i = 0; i < p.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(p[i]));
        s += (i ? "," : "") + std::string(buf);
    }
    return s + "]";
}

}  // namespace

int predict(int argc, char** argv) {
    CliArgs args("alzscan predict", "classify image files with a checkpoint (prints class and probabilities)");
    args.option("checkpoint", "", "checkpoint written by `alzscan train` (best.pt, last.pt) or models/default/checkpoint.pt", true);
    args.flag("json", "one JSON object per file and line: file, label, index, probabilities, classes");
    add_device_option(args, "cpu");
    args.positional("FILE", "image files (PNG, JPEG, BMP, GIF)", 1);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    const bool json = args.is_set("json");

    LoadedModel model;
    torch::Device device(torch::kCPU);
    try {
        model = load_model(args.get("checkpoint"));
        device = resolve_device(args.get("device"));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan predict: %s\n", e.what());
        return 1;
    }
    torch::set_num_threads(1);
    model.net->to(device);
    model.net->eval();
    torch::NoGradGuard no_grad;
    const std::vector<std::string>& classes = model.spec.class_names;
    const std::string classes_json = nlohmann::json(classes).dump();

    int failures = 0;
    for (const std::string& file : args.positionals()) {
        std::vector<uint8_t> bytes;
        std::string error;
        std::vector<float> input;
        if (read_file(file, bytes, error)) {
            auto pre = preprocess_bytes(bytes.data(), bytes.size(), model.spec);
            if (pre)
                input = std::move(pre).value();
            else
                error = pre.error();
        }
        if (!error.empty()) {
            ++failures;
            if (json)
                std::printf("{\"file\":%s,\"error\":%s}\n", nlohmann::json(file).dump().c_str(),
                            nlohmann::json(error).dump().c_str());
            else
                std::fprintf(stderr, "%s: %s\n", file.c_str(), error.c_str());
            std::fflush(stdout);
            continue;
        }
        torch::Tensor x = torch::from_blob(input.data(), {1, 1, model.spec.height, model.spec.width}, torch::kFloat32)
                              .to(device);
        torch::Tensor p = torch::softmax(model.net->forward(x).to(torch::kFloat32), 1).to(torch::kCPU).contiguous();
        std::vector<float> probs(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
        int best = 0;
        for (int c = 1; c < static_cast<int>(probs.size()); ++c)
            if (probs[c] > probs[best]) best = c;
        if (json) {
            std::printf("{\"file\":%s,\"label\":%s,\"index\":%d,\"probabilities\":%s,\"classes\":%s}\n",
                        nlohmann::json(file).dump().c_str(), nlohmann::json(classes[best]).dump().c_str(), best,
                        format_probabilities(probs).c_str(), classes_json.c_str());
        } else {
            std::printf("%s: %s (%.1f%%)", file.c_str(), classes[best].c_str(), 100.0 * probs[best]);
            for (size_t c = 0; c < probs.size(); ++c) std::printf("  %s %.4f", classes[c].c_str(), probs[c]);
            std::printf("\n");
        }
        std::fflush(stdout);
    }
    return failures ? 1 : 0;
}

}  // namespace alzscan::cmd
