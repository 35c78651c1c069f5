// A second implementation: bench/reference_small.py (the PyTorch mirror of `small` and
// efficientnet_b2, written from torchvision by another hand) run by Debian's python3-torch.
// Its state dict must load into our models with no unknown, missing or mis-shaped entry (same
// names, same shapes), and with random BatchNorm statistics both must compute the same logits.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "models/init_weights.h"
#include "models/model_zoo.h"

namespace fs = std::filesystem;

namespace {

c10::impl::GenericDict load_dict(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return torch::pickle_load(bytes).toGenericDict();
}

TEST(ModelsReference, PythonMirrorLoadsByNameAndComputesTheSameLogits) {
    const fs::path dir = fs::temp_directory_path() / ("alzscan_ref_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream py(dir / "ref.py");
    py << "import sys, torch\n"
          "sys.path.insert(0, sys.argv[1])\n"
          "from reference_small import make_model\n"
          "torch.manual_seed(0)\n"
          "for arch in ['small', 'efficientnet_b2']:\n"
          "    net = make_model(arch)\n"
          "    with torch.no_grad():\n"
          "        for m in net.modules():\n"
          "            if isinstance(m, torch.nn.BatchNorm2d):\n"
          "                m.running_mean.normal_(0, 0.1); m.running_var.uniform_(0.5, 2.0)\n"
          "                m.weight.uniform_(0.6, 1.4); m.bias.normal_(0, 0.1)\n"
          "    net.eval()\n"
          "    x = torch.randn(2, 1, 64, 64)\n"
          "    with torch.no_grad(): y = net(x)\n"
          "    torch.save(dict(net.state_dict()), f'" << dir.string() << "/{arch}.pt')\n"
          "    torch.save({'input': x, 'output': y}, f'" << dir.string() << "/{arch}_io.pt')\n";
    py.close();
    const std::string cmd = std::string(ALZSCAN_PYTHON " ") + (dir / "ref.py").string() + " " + ALZSCAN_SOURCE_DIR "/bench";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "needs python3-torch (scripts/setup.sh) and bench/reference_small.py";

    for (const std::string arch : {"small", "efficientnet_b2"}) {
        SCOPED_TRACE(arch);
        alzscan::ModelConfig c;
        c.arch = arch;
        alzscan::Classifier net = alzscan::make_model(c);
        alzscan::InitWeightsReport r = alzscan::load_init_weights(net, (dir / (arch + ".pt")).string());
        EXPECT_TRUE(r.clean()) << r.summary();
        EXPECT_EQ(r.loaded.size(), net->named_parameters().size() + net->named_buffers().size());
        auto io = load_dict(dir / (arch + "_io.pt"));
        torch::Tensor x = io.at("input").toTensor(), expected = io.at("output").toTensor();
        net->eval();
        torch::NoGradGuard no_grad;
        torch::Tensor y = net->forward(x);
        const double scale = std::max(1.0, expected.abs().max().item<double>());
        EXPECT_LE((y - expected).abs().max().item<double>(), 1e-4 * scale)
            << "ours " << y << "\nreference " << expected;
    }
    fs::remove_all(dir);
}

}  // namespace
