// `alzscan export`: checkpoint -> DIR/model.onnx + DIR/model.json (see onnx_export.h).
#include <cstdio>
#include <exception>
#include <string>

#include "checkpoint.h"
#include "cli_args.h"
#include "commands/commands.h"
#if ALZSCAN_HAVE_ONNX
#include "onnx_export.h"
#endif

namespace alzscan::cmd {

int export_model(int argc, char** argv) {
    CliArgs args("alzscan export", "write DIR/model.onnx and DIR/model.json (the browser's model) from a checkpoint");
    args.option("checkpoint", "", "checkpoint written by `alzscan train` (last.pt/best.pt) or save_model_checkpoint",
                /*required=*/true);
    args.option("out", "", "output directory (created if missing)", /*required=*/true);
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
        LoadedModel m = load_model(args.get("checkpoint"));
        // A run's best.pt: its final val/test metrics (metrics.jsonl) travel into model.json.
        const nlohmann::json final = final_metrics_beside(args.get("checkpoint"));
        if (!final.is_null()) {
            if (!m.meta.is_object()) m.meta = nlohmann::json::object();
            if (!m.meta.contains("training") || !m.meta["training"].is_object()) m.meta["training"] = nlohmann::json::object();
            m.meta["training"]["final"] = final;
        }
        ExportResult r = alzscan::export_model(m, args.get("out"));
        if (args.is_set("write-checkpoint")) {
            nlohmann::json extra = nlohmann::json::object();
            if (m.meta.is_object() && m.meta.contains("training")) extra["training"] = m.meta["training"];
            save_model_checkpoint(args.get("write-checkpoint"), m.net, m.spec, extra);
        }
        std::printf("exported %s + %s (%lld parameters) -> %s (%.2f MB, sha256 %s) and %s\n",
                    m.model_config.arch.c_str(), m.model_config.head.c_str(),
                    static_cast<long long>(r.model_json["model"]["parameters"].get<int64_t>()), r.onnx_path.c_str(),
                    static_cast<double>(r.onnx_bytes) / 1e6, r.onnx_sha256.c_str(), r.json_path.c_str());
        if (args.is_set("write-checkpoint")) std::printf("weights-only checkpoint -> %s\n", args.get("write-checkpoint").c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan export: %s\n", e.what());
        return 1;
    }
#endif
}

}  // namespace alzscan::cmd
