// `alzscan export`: checkpoint -> DIR/model.onnx + DIR/model.json (see onnx_export.h).
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "alzscan/atrophy.h"

#include "cli/cli_args.h"
#include "commands/commands.h"
#include "models/checkpoint.h"
#if ALZSCAN_HAVE_ONNX
#include "export/onnx_export.h"
#endif
#include "export/weight_quantization.h"
#include "rundir/files.h"

namespace alzscan::cmd {
#if ALZSCAN_HAVE_ONNX
namespace {

// DIR/atrophy.svg: the training people's CSF fraction by slice position and class (shared/ atrophy.h),
// the picture the model card shows; nothing when the model has no atrophy reference.
void write_atrophy_picture(const nlohmann::json& model_json, const std::string& dir) {
    auto ref = parse_atrophy_reference(model_json.dump());
    if (!ref) throw std::runtime_error(dir + "/model.json: " + ref.error());
    if (!ref->enabled()) return;
    const std::string path = (std::filesystem::path(dir) / "atrophy.svg").string();
    write_file_atomically(path, atrophy_chart_svg(atrophy_chart(*ref, nullptr), 720, 380));
    std::printf("atrophy reference picture -> %s\n", path.c_str());
}

}  // namespace
#endif

int export_model(int argc, char** argv) {
    CliArgs args("alzscan export", "write DIR/model.onnx and DIR/model.json (the browser's model) from a checkpoint");
    args.option("checkpoint", "", "checkpoint written by `alzscan train` (last.pt/best.pt) or save_model_checkpoint",
                /*required=*/true);
    args.option("out", "", "output directory (created if missing)", /*required=*/true);
    args.option("weights", "float32",
                "float32 | int8: int8 stores Conv/Gemm weights as int8 + a scale per output channel (4x smaller "
                "file; the torch model is quantized the same way first, so --write-checkpoint matches the ONNX)");
    args.option("cam", "on", "on | off: the \"cam\" output (class activation maps, linear head only); off measures "
                             "what it costs (make bench-cam)");
    args.option("eval-json", "",
                "an `alzscan eval --out` file measured on the exported weights (the --write-checkpoint copy): its "
                "test metrics replace the training run's in model.json, which describe the float32 weights");
    args.option("write-checkpoint", "",
                "also write a weights-only copy of the exported model here (e.g. DIR/checkpoint.pt), so "
                "`alzscan predict/eval` reproduce the browser's numbers");
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
#if !ALZSCAN_HAVE_ONNX
    std::fprintf(stderr, "alzscan export: this alzscan was built with -DALZSCAN_ONNX=OFF (no libonnx here); "
                         "hint: copy %s to a machine with libonnx-dev (make setup) and export there\n",
                 args.get("checkpoint").c_str());
    return 1;
#else
    try {
        const WeightFormat weights = parse_weight_format(args.get("weights"));
        LoadedModel m = load_model(args.get("checkpoint"));
        if (weights == WeightFormat::kInt8) {
            const int64_t n = quantize_weights_int8(*m.net);
            std::printf("int8 weights: %lld Conv/Linear weight tensors quantized per output channel\n",
                        static_cast<long long>(n));
        }
        // m.meta["training"], made an object if it is missing: model.json's "training".
        auto training_meta = [&m]() -> nlohmann::json& {
            if (!m.meta.is_object()) m.meta = nlohmann::json::object();
            nlohmann::json& training = m.meta["training"];
            if (!training.is_object()) training = nlohmann::json::object();
            return training;
        };
        // A run's best.pt: its final val/test metrics (metrics.jsonl) travel into model.json.
        const nlohmann::json final = final_metrics_beside(args.get("checkpoint"));
        if (!final.is_null()) training_meta()["final"] = final;
        if (args.is_set("eval-json")) {
            const std::string path = args.get("eval-json");
            std::string text;
            if (!read_text_file(path, text))
                throw std::runtime_error(path + ": cannot be read (check the --eval-json path)");
            const nlohmann::json eval = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
            if (!eval.is_object() || !eval.contains("test") || !eval["test"].is_object())
                throw std::runtime_error(path + ": not an `alzscan eval --out` file (no \"test\" object); "
                                         "hint: alzscan eval --checkpoint <the --write-checkpoint file> ... --out " + path);
            nlohmann::json& final_metrics = training_meta()["final"];
            if (!final_metrics.is_object()) final_metrics = nlohmann::json::object();
            final_metrics["test"] = eval["test"];
            final_metrics.erase("val");   // measured on the float32 weights during training
            final_metrics["measured_by"] = "alzscan eval on the exported (" + args.get("weights") + ") weights";
        }
        if (args.get("cam") != "on" && args.get("cam") != "off")
            throw std::invalid_argument("--cam " + args.get("cam") + ": expected on or off");
        ExportResult r = alzscan::export_model(m, args.get("out"), weights, args.get("cam") == "on");
        if (args.is_set("write-checkpoint")) {
            nlohmann::json extra = nlohmann::json::object();
            for (const char* key : {"training", "calibration", "ood", "atrophy"})   // what model.json carries too
                if (m.meta.is_object() && m.meta.contains(key)) extra[key] = m.meta[key];
            save_model_checkpoint(args.get("write-checkpoint"), m.net, m.spec, extra);
        }
        std::printf("exported %s + %s (%lld parameters) -> %s (%.2f MB, sha256 %s) and %s\n",
                    m.model_config.arch.c_str(), m.model_config.head.c_str(),
                    static_cast<long long>(r.model_json["model"]["parameters"].get<int64_t>()), r.onnx_path.c_str(),
                    static_cast<double>(r.onnx_bytes) / 1e6, r.onnx_sha256.c_str(), r.json_path.c_str());
        if (args.is_set("write-checkpoint")) std::printf("weights-only checkpoint -> %s\n", args.get("write-checkpoint").c_str());
        write_atrophy_picture(r.model_json, args.get("out"));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan export: %s\n", e.what());
        return 1;
    }
#endif
}

}  // namespace alzscan::cmd
