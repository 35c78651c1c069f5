// make_random_checkpoint: a weights-only checkpoint of any arch + head with random weights
// AND random BatchNorm statistics (so that folding BN into convolutions is really exercised),
// for tests/node/parity.test.mjs.
//
//   make_random_checkpoint --arch resnet50 --head enhanced --size 64 --seed 3 --out /tmp/r.pt
//
// The last Linear layer is rescaled so that the logits of a random batch have a standard
// deviation of about 1.5: probabilities then stay well inside (0, 1), where a 1e-5 parity
// bound means something (saturated softmax outputs would hide any error).
#include <cstdio>
#include <exception>

#include <torch/torch.h>

#include "models/checkpoint.h"
#include "cli/cli_args.h"
#include "models/model_zoo.h"

int main(int argc, char** argv) {
    alzscan::CliArgs args("make_random_checkpoint", "random-weight checkpoint for the export parity test");
    args.option("arch", "small", "small | resnet50 | efficientnet_b2");
    args.option("head", "linear", "linear | mlp | advanced | enhanced");
    args.option("size", "64", "input height and width in pixels");
    args.option("seed", "1", "random seed");
    args.option("out", "", "checkpoint path", /*required=*/true);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    try {
        torch::manual_seed(static_cast<uint64_t>(args.get_int("seed")));
        alzscan::ModelConfig config;
        config.arch = args.get("arch");
        config.head = args.get("head");
        alzscan::Classifier net = alzscan::make_model(config);
        {
            torch::NoGradGuard no_grad;
            for (auto& m : net->modules(/*include_self=*/false)) {
                torch::Tensor w, b, mean, var;
                if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
                    w = bn->weight, b = bn->bias, mean = bn->running_mean, var = bn->running_var;
                } else if (auto* bn1 = m->as<torch::nn::BatchNorm1d>()) {
                    w = bn1->weight, b = bn1->bias, mean = bn1->running_mean, var = bn1->running_var;
                } else {
                    continue;
                }
                w.uniform_(0.6, 1.4);
                b.normal_(0.0, 0.1);
                mean.normal_(0.0, 0.1);
                var.uniform_(0.5, 2.0);
            }
            for (auto& p : net->named_parameters())
                if (p.key().find(".bias") != std::string::npos && p.value().abs().sum().item<double>() == 0.0)
                    p.value().normal_(0.0, 0.05);   // torchvision zero-inits conv biases: make them count
            net->eval();
            const int64_t size = args.get_int("size");
            torch::Tensor logits = net->forward(torch::randn({8, 1, size, size}));
            const double stddev = logits.std().item<double>();
            torch::Tensor last_w, last_b;
            for (auto& p : net->head().named_parameters()) {
                if (p.key().find("weight") != std::string::npos) last_w = p.value();
                if (p.key().find("bias") != std::string::npos) last_b = p.value();
            }
            if (stddev > 0) {
                last_w.mul_(1.5 / stddev);
                last_b.mul_(1.5 / stddev);
            }
        }
        alzscan::PreprocessSpec spec;
        spec.height = spec.width = static_cast<int>(args.get_int("size"));
        spec.class_names = alzscan::default_class_names();
        alzscan::save_model_checkpoint(args.get("out"), net, spec,
                                       {{"training", {{"note", "random weights for the export parity test"}}}});
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_random_checkpoint: %s\n", e.what());
        return 1;
    }
}
