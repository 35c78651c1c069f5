// --init: a state dict written by real PyTorch (Debian's python3-torch, installed by
// scripts/setup.sh) with torchvision-style names loads by name into our models; the
// 3-channel first conv is summed; unknown names and wrong shapes are listed, not ignored.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "models/init_weights.h"
#include "models/model_zoo.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kPython = ALZSCAN_PYTHON;   // python3-torch (tests/native/CMakeLists.txt)

fs::path temp_dir() {
    fs::path d = fs::temp_directory_path() / ("alzscan_init_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

// Writes names and shapes of the model's backbone (torchvision names, no "backbone." prefix)
// for the Python script, which saves a dict with value k/1000 at every element of entry k
// (3 input channels for the first conv, a 1000-class "fc", one deliberately wrong shape).
void write_python_dict(alzscan::Classifier& net, const fs::path& dir, const std::string& first_conv,
                       const std::string& wrong) {
    std::ofstream names(dir / "names.txt");
    for (const auto& p : net->named_parameters())
        if (p.key().rfind("backbone.", 0) == 0) {
            names << p.key().substr(9);
            for (auto s : p.value().sizes()) names << ' ' << s;
            names << '\n';
        }
    names.close();
    std::ofstream py(dir / "make_dict.py");
    py << "import sys, torch\n"
          "d = {}\n"
          "for k, line in enumerate(open(sys.argv[1])):\n"
          "    name, *shape = line.split(); shape = [int(s) for s in shape]\n"
          "    if name == '" << first_conv << "': shape[1] = 3\n"
          "    if name == '" << wrong << "': shape[0] += 1\n"
          "    d[name] = torch.full(shape, k / 1000.0)\n"
          "    if name == '" << first_conv << "': d[name][:, 1] += 0.5; d[name][:, 2] += 1.0\n"
          "d['fc.weight'] = torch.zeros(1000, 7)\n"
          "torch.save(dict(d), sys.argv[2])\n";
    py.close();
    const std::string cmd = std::string(kPython) + " " + (dir / "make_dict.py").string() + " " +
                            (dir / "names.txt").string() + " " + (dir / "init.pt").string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "python3-torch is required (scripts/setup.sh installs it): " << cmd;
}

TEST(InitWeights, LoadsATorchSavedDictByTorchvisionNames) {
    alzscan::ModelConfig c;
    c.arch = "small";
    alzscan::Classifier net = alzscan::make_model(c);
    const fs::path dir = temp_dir();
    write_python_dict(net, dir, "stem.0.weight", "layer2.conv1.weight");
    const torch::Tensor head_before = net->named_parameters()["head.fc.weight"].clone();

    alzscan::InitWeightsReport r = alzscan::load_init_weights(net, (dir / "init.pt").string());
    EXPECT_FALSE(r.clean());
    ASSERT_EQ(r.summed_channels.size(), 1u);
    ASSERT_EQ(r.shape_mismatches.size(), 1u);
    EXPECT_NE(r.shape_mismatches[0].find("backbone.layer2.conv1.weight"), std::string::npos);
    ASSERT_EQ(r.unexpected.size(), 1u);
    EXPECT_NE(r.unexpected[0].find("fc.weight"), std::string::npos);
    // The file has parameters only: the 12 BatchNorms' running_mean, running_var and
    // num_batches_tracked are missing (stem 1 + layer1 2 + layer2..4 3 each).
    EXPECT_EQ(r.missing.size(), 12u * 3);

    // Entry k holds k/1000; the first conv's channels hold k/1000, +0.5, +1.0 -> summed 3k/1000 + 1.5.
    auto params = net->named_parameters();
    int k = 0;
    for (const auto& p : params) {
        if (p.key().rfind("backbone.", 0) != 0) continue;
        const std::string name = p.key();
        const float v = static_cast<float>(k) / 1000.0f;
        if (name == "backbone.stem.0.weight")
            EXPECT_TRUE(torch::allclose(p.value(), torch::full_like(p.value(), 3 * v + 1.5f))) << name;
        else if (name == "backbone.layer2.conv1.weight")
            EXPECT_FALSE(torch::allclose(p.value(), torch::full_like(p.value(), v))) << name;
        else
            EXPECT_TRUE(torch::allclose(p.value(), torch::full_like(p.value(), v))) << name;
        ++k;
    }
    EXPECT_TRUE(torch::equal(params["head.fc.weight"], head_before));
    EXPECT_NE(r.summary().find("backbone.layer2.conv1.weight: file"), std::string::npos);
    fs::remove_all(dir);
}

TEST(InitWeights, BadFilesAreOneLineErrors) {
    alzscan::Classifier net = alzscan::make_model(alzscan::ModelConfig{});
    const fs::path dir = temp_dir();
    auto error_of = [&](const std::string& path) {
        try {
            alzscan::load_init_weights(net, path);
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error_of((dir / "absent.pt").string()).find("cannot open"), std::string::npos);
    std::ofstream((dir / "text.pt").string()) << "not a zip";
    EXPECT_NE(error_of((dir / "text.pt").string()).find("text.pt"), std::string::npos);
    // An OrderedDict (torch.save(model.state_dict()) without dict()) gets the dict() hint.
    const std::string cmd = std::string(kPython) +
                            " -c \"import torch, collections; torch.save(collections.OrderedDict(a=torch.ones(1)), '" +
                            (dir / "ordered.pt").string() + "')\"";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_NE(error_of((dir / "ordered.pt").string()).find("dict("), std::string::npos);
    // A dict for another architecture: nothing matches.
    c10::impl::GenericDict other(c10::StringType::get(), c10::TensorType::get());
    other.insert("features.0.0.weight", torch::ones({32, 3, 3, 3}));
    std::vector<char> bytes = torch::pickle_save(other);
    std::ofstream((dir / "other.pt").string(), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_NE(error_of((dir / "other.pt").string()).find("no tensor matched"), std::string::npos);
    fs::remove_all(dir);
}

}  // namespace
