// alzscan export on the C++ side: SHA-256 against FIPS 180-4 test vectors, model.json's
// contract, atomic files, and named errors for modules the exporter does not know.
// Numerical parity with LibTorch is proven by tests/node/parity.test.mjs (ONNX Runtime).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "export/onnx_export.h"
#include "export/sha256.h"

namespace fs = std::filesystem;

namespace {

alzscan::LoadedModel random_model(const std::string& arch, const std::string& head) {
    alzscan::LoadedModel m;
    m.model_config.arch = arch;
    m.model_config.head = head;
    m.net = alzscan::make_model(m.model_config);
    m.spec.height = m.spec.width = 64;
    m.spec.mean = 0.25f;
    m.spec.std = 0.5f;
    m.spec.class_names = alzscan::default_class_names();
    m.meta = {{"training", {{"split", "kaggle"}, {"epochs", 3}, {"seed", 7}}}};
    return m;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no error";
}

TEST(Sha256, FipsTestVectors) {
    EXPECT_EQ(alzscan::sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(alzscan::sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";   // 448 bits
    EXPECT_EQ(alzscan::sha256_hex(two_blocks.data(), two_blocks.size()),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million(1000000, 'a');
    EXPECT_EQ(alzscan::sha256_hex(million.data(), million.size()),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Export, WritesModelJsonPerTheContract) {
    const fs::path dir = fs::temp_directory_path() / ("alzscan_export_" + std::to_string(::getpid()));
    alzscan::LoadedModel m = random_model("small", "advanced");
    alzscan::ExportResult r = alzscan::export_model(m, dir.string());
    ASSERT_TRUE(fs::exists(dir / "model.onnx"));
    ASSERT_TRUE(fs::exists(dir / "model.json"));
    EXPECT_FALSE(fs::exists(dir / "model.onnx.tmp"));
    EXPECT_FALSE(fs::exists(dir / "model.json.tmp"));

    std::ifstream in(dir / "model.json");
    const nlohmann::json j = nlohmann::json::parse(in);
    EXPECT_EQ(j["format"], "alzscan-model/1");
    EXPECT_EQ(j["input"]["name"], "input");
    EXPECT_EQ(j["input"]["layout"], "NCHW");
    EXPECT_EQ(j["input"]["channels"], 1);
    EXPECT_EQ(j["input"]["height"], 64);
    EXPECT_EQ(j["input"]["width"], 64);
    EXPECT_DOUBLE_EQ(j["input"]["mean"].get<double>(), 0.25);
    EXPECT_DOUBLE_EQ(j["input"]["std"].get<double>(), 0.5);
    EXPECT_EQ(j["input"]["resize"], "area");
    EXPECT_EQ(j["outputs"]["logits"], "logits");
    EXPECT_EQ(j["outputs"]["probabilities"], "probabilities");
    EXPECT_EQ(j["classes"], nlohmann::json(alzscan::default_class_names()));
    EXPECT_EQ(j["model"]["arch"], "small");
    EXPECT_EQ(j["model"]["head"], "advanced");
    EXPECT_EQ(j["model"]["parameters"], alzscan::count_parameters(*m.net));
    EXPECT_EQ(j["training"]["split"], "kaggle");
    EXPECT_EQ(j["training"]["seed"], 7);
    // The digest is of the file on disk, and shared/ reads the spec back from model.json.
    EXPECT_EQ(j["onnx_sha256"], alzscan::sha256_file((dir / "model.onnx").string()));
    EXPECT_EQ(j["onnx_bytes"], static_cast<int64_t>(fs::file_size(dir / "model.onnx")));
    auto spec = alzscan::parse_preprocess_spec(j.dump());
    ASSERT_TRUE(spec.ok()) << spec.error();
    EXPECT_EQ(spec->height, 64);
    // float32 weights: at least 4 bytes per parameter (BN folded away, so not many more).
    const auto bytes = static_cast<int64_t>(fs::file_size(dir / "model.onnx"));
    EXPECT_GE(bytes, 4 * (alzscan::count_parameters(*m.net) - 20000));
    EXPECT_LE(bytes, 4 * alzscan::count_parameters(*m.net) + 200000);
    fs::remove_all(dir);
}

TEST(Export, FinalMetricsComeFromTheRunBesideBestPt) {
    const fs::path run = fs::temp_directory_path() / ("alzscan_run_" + std::to_string(::getpid()));
    fs::create_directories(run);
    std::ofstream(run / "metrics.jsonl")
        << "{\"epoch\": 1, \"val\": {\"accuracy\": 0.5}}\n"
        << "{\"final\": true, \"checkpoint\": \"best\", \"epoch\": 1, \"val\": {\"macro_f1\": 0.61},"
           " \"test\": {\"macro_f1\": 0.58}}\n";
    const nlohmann::json f = alzscan::final_metrics_beside((run / "best.pt").string());
    EXPECT_EQ(f["epoch"], 1);
    EXPECT_DOUBLE_EQ(f["test"]["macro_f1"].get<double>(), 0.58);
    EXPECT_DOUBLE_EQ(f["val"]["macro_f1"].get<double>(), 0.61);
    EXPECT_TRUE(alzscan::final_metrics_beside((run / "last.pt").string()).is_null());   // not the selected one
    EXPECT_TRUE(alzscan::final_metrics_beside("/nonexistent/best.pt").is_null());
    fs::remove_all(run);
}

TEST(Export, IsDeterministic) {
    torch::manual_seed(5);
    alzscan::LoadedModel m = random_model("efficientnet_b2", "enhanced");
    EXPECT_EQ(alzscan::build_onnx_bytes(m.net, m.spec), alzscan::build_onnx_bytes(m.net, m.spec));
}

TEST(Export, UnknownModulesAndMismatchesAreNamedErrors) {
    alzscan::LoadedModel m = random_model("small", "linear");
    // A module the exporter has never heard of, added to the head: must not vanish silently.
    m.net->head().register_module("extra", torch::nn::Linear(4, 4));
    std::string e = error_of([&] { alzscan::build_onnx_bytes(m.net, m.spec); });
    EXPECT_NE(e.find("head.extra"), std::string::npos) << e;

    // A parameter-free module is caught as well.
    alzscan::LoadedModel m2 = random_model("efficientnet_b2", "mlp");
    m2.net->backbone().register_module("gelu", torch::nn::GELU());
    e = error_of([&] { alzscan::build_onnx_bytes(m2.net, m2.spec); });
    EXPECT_NE(e.find("backbone.gelu"), std::string::npos) << e;

    alzscan::LoadedModel m3 = random_model("small", "mlp");
    m3.spec.class_names = {"a", "b", "c"};
    e = error_of([&] { alzscan::build_onnx_bytes(m3.net, m3.spec); });
    EXPECT_NE(e.find("3 classes"), std::string::npos) << e;

    alzscan::LoadedModel m4 = random_model("small", "linear");
    e = error_of([&] { alzscan::export_model(m4, "/proc/no_such_dir/x"); });
    EXPECT_NE(e.find("/proc/no_such_dir/x"), std::string::npos) << e;
}

TEST(Export, EveryArchAndHeadPassesTheOnnxChecker) {
    // build_onnx_bytes runs onnx::checker and strict shape inference; any error throws.
    for (const std::string& arch : alzscan::model_archs())
        for (const std::string& head : alzscan::model_heads()) {
            SCOPED_TRACE(arch + " + " + head);
            alzscan::LoadedModel m = random_model(arch, head);
            std::string bytes;
            ASSERT_NO_THROW(bytes = alzscan::build_onnx_bytes(m.net, m.spec));
            EXPECT_GT(bytes.size(), 4u * static_cast<size_t>(alzscan::count_parameters(*m.net)) / 2);
        }
}

}  // namespace
