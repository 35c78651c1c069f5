// Checkpoint round trip: a saved and reloaded model gives bit-identical outputs; a file whose
// weights do not fit its config is rejected with every mismatch listed.
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/checkpoint.h"

namespace fs = std::filesystem;
using namespace alzscan;

namespace {

fs::path temp_dir(const std::string& name) {
    fs::path dir = fs::temp_directory_path() / ("alzscan_test_ckpt_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

PreprocessSpec tiny_spec() {
    PreprocessSpec spec;
    spec.height = 32;
    spec.width = 32;
    spec.mean = 0.25f;
    spec.std = 0.75f;
    spec.class_names = default_class_names();
    return spec;
}

}  // namespace

TEST(TrainerCheckpoint, RoundTripGivesIdenticalOutputs) {
    fs::path dir = temp_dir("roundtrip");
    torch::manual_seed(7);
    ModelConfig config;
    config.arch = "small";
    config.head = "linear";
    Classifier net = make_model(config);
    // Train mode for one forward so BatchNorm running stats move away from their init values:
    // the round trip must carry buffers, not only parameters.
    net->train();
    net->forward(torch::randn({4, 1, 32, 32}));
    net->eval();
    torch::Tensor x = torch::randn({3, 1, 32, 32});
    torch::Tensor before = net->forward(x);

    std::string path = (dir / "model.pt").string();
    save_model_checkpoint(path, net, tiny_spec(), {{"training", {{"epoch", 3}}}});
    EXPECT_FALSE(fs::exists(path + ".tmp"));

    LoadedModel loaded = load_model(path);
    EXPECT_EQ(loaded.model_config.arch, "small");
    EXPECT_EQ(loaded.spec.height, 32);
    EXPECT_FLOAT_EQ(loaded.spec.mean, 0.25f);
    EXPECT_EQ(loaded.spec.class_names, default_class_names());
    EXPECT_EQ(loaded.meta["training"]["epoch"], 3);
    EXPECT_EQ(loaded.meta["format"], kCheckpointFormat);
    torch::Tensor after = loaded.net->forward(x);
    EXPECT_TRUE(torch::equal(before, after));
    // On disk every tensor is plain contiguous, though the model holds channels-last weights.
    c10::IValue state;
    ASSERT_TRUE(open_checkpoint_archive(path).try_read("state_dict", state));
    int64_t four_d = 0;
    for (const auto& item : state.toGenericDict()) {
        const torch::Tensor t = item.value().toTensor();
        EXPECT_TRUE(t.is_contiguous()) << item.key().toStringRef();
        four_d += t.dim() == 4;
    }
    EXPECT_GT(four_d, 5);
    fs::remove_all(dir);
}

TEST(TrainerCheckpoint, MismatchedWeightsAreListed) {
    fs::path dir = temp_dir("mismatch");
    ModelConfig config;
    Classifier net = make_model(config);
    // Same arch, different class count: the head's shapes differ. Store meta saying 4 classes
    // but weights from a 3-class model by rewriting the archive by hand.
    ModelConfig three = config;
    three.num_classes = 3;
    Classifier net3 = make_model(three);
    c10::Dict<std::string, at::Tensor> state;
    for (const auto& p : net3->named_parameters()) state.insert(p.key(), p.value());
    for (const auto& b : net3->named_buffers()) state.insert(b.key(), b.value());
    state.insert("extra.weight", torch::zeros({1}));
    nlohmann::json meta = nlohmann::json::parse(preprocess_spec_to_json(tiny_spec()));
    meta["format"] = kCheckpointFormat;
    meta["model"] = model_config_to_json(config);
    torch::serialize::OutputArchive archive;
    archive.write("alzscan_meta", c10::IValue(meta.dump()));
    archive.write("state_dict", c10::IValue(state));
    std::string path = (dir / "bad.pt").string();
    save_archive_atomically(archive, path);

    try {
        load_model(path);
        FAIL() << "load_model accepted mismatched weights";
    } catch (const std::runtime_error& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find("unexpected [extra.weight]"), std::string::npos) << msg;
        EXPECT_NE(msg.find("shape mismatch"), std::string::npos) << msg;
        // The first tensor whose shape depends on the class count must be named with its shape.
        std::string first_mismatch;
        auto params4 = net->named_parameters();
        for (const auto& p : net3->named_parameters())
            if (first_mismatch.empty() && p.value().sizes() != params4[p.key()].sizes())
                first_mismatch = p.key() + " [3";
        ASSERT_FALSE(first_mismatch.empty());
        EXPECT_NE(msg.find(first_mismatch), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << "error must be one line: " << msg;
    }
    fs::remove_all(dir);
}

TEST(TrainerCheckpoint, MissingAndForeignFilesAreOneLineErrors) {
    fs::path dir = temp_dir("foreign");
    std::string missing = (dir / "nope.pt").string();
    try {
        load_model(missing);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("no such checkpoint"), std::string::npos) << e.what();
    }
    std::string junk = (dir / "junk.pt").string();
    std::FILE* f = std::fopen(junk.c_str(), "wb");
    std::fputs("not a zip archive", f);
    std::fclose(f);
    try {
        load_model(junk);
        FAIL();
    } catch (const std::runtime_error& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("not a LibTorch archive"), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
    fs::remove_all(dir);
}

TEST(TrainerCheckpoint, ModelConfigJsonRoundTripAndErrors) {
    ModelConfig c;
    c.arch = "efficientnet_b2";
    c.head = "enhanced";
    c.dropout = 0.3;
    c.stochastic_depth = 0.1;
    ModelConfig back = model_config_from_json(model_config_to_json(c));
    EXPECT_EQ(back.arch, c.arch);
    EXPECT_EQ(back.head, c.head);
    EXPECT_DOUBLE_EQ(back.dropout, 0.3);
    EXPECT_DOUBLE_EQ(back.stochastic_depth, 0.1);
    EXPECT_EQ(back.num_classes, 4);
    EXPECT_THROW(model_config_from_json(nlohmann::json{{"arch", 3}}), std::invalid_argument);
    EXPECT_THROW(model_config_from_json(nlohmann::json{{"num_classes", 0}}), std::invalid_argument);
    EXPECT_THROW(model_config_from_json(nlohmann::json::array()), std::invalid_argument);
}

TEST(TrainerCheckpoint, MetaWhoseInputSizeDiffersFromTrainingIsRejected) {
    fs::path dir = temp_dir("input_size");
    ModelConfig config;
    Classifier net = make_model(config);
    const std::string path = (dir / "edited.pt").string();
    // The meta says 32x32 input, the training options say the weights were trained at 64.
    save_model_checkpoint(path, net, tiny_spec(), {{"training", {{"options", {{"image_size", 64}}}}}});
    try {
        load_model(path);
        FAIL() << "accepted a 32x32 meta for weights trained at 64x64";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(path + ": checkpoint meta says input 32x32 but the model was trained at 64x64", 0), 0u) << what;
    }
    // The same weights with a matching size load.
    save_model_checkpoint(path, net, tiny_spec(), {{"training", {{"options", {{"image_size", 32}}}}}});
    EXPECT_EQ(load_model(path).spec.height, 32);
    fs::remove_all(dir);
}

TEST(TrainerCheckpoint, ABadSpecInTheMetaNamesTheCheckpointNotModelJson) {
    fs::path dir = temp_dir("bad_spec");
    ModelConfig config;
    Classifier net = make_model(config);
    const std::string path = (dir / "bad.pt").string();
    // "input" replaced by a string: the meta's preprocessing spec is invalid.
    save_model_checkpoint(path, net, tiny_spec(), {{"input", "not an object"}});
    try {
        load_model(path);
        FAIL() << "accepted a checkpoint whose meta has no valid input spec";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(path + ": checkpoint meta: input must be an object", 0), 0u) << what;
        EXPECT_EQ(what.find("model.json"), std::string::npos) << what;
    }
    fs::remove_all(dir);
}
