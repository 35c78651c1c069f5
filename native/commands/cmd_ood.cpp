// alzscan ood: how well the out-of-distribution checks (shared/ood.h) separate what the model knows
// from what it must refuse: the held-out people's real slices against a corpus of real files from
// Debian packages (far: photos, other contrasts and planes, an animal, label maps, drawings) and
// transforms of those same real slices (near: rotated, upside down, inverted, cropped, noisy).
// Nothing here chooses a threshold: the checkpoint's own (set on validation people) are measured.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/image_decode.h"
#include "alzscan/metrics.h"
#include "cli/cli_args.h"
#include "commands/commands.h"
#include "commands/predictor.h"
#include "commands/run_dataset.h"
#include "commands/volume_file.h"
#include "rundir/files.h"

namespace alzscan::cmd {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Sample {
    double score = 0.0;   // the largest check score; +inf when the input was refused before the checks
    bool flagged = false;
    bool refused = false;  // undecodable, no brain to conform, or a volume refused by registration
    std::string reason;    // why, when refused
    std::map<std::string, double> checks;
};

Sample sample_of(const SliceResult& r) {
    Sample s;
    if (!r.error.empty()) {
        s.refused = s.flagged = true;
        s.score = std::numeric_limits<double>::infinity();
        s.reason = r.error;
        return s;
    }
    s.score = r.ood.score;
    s.flagged = r.ood.flag;
    for (const auto& [name, v] : r.ood.scores) s.checks[name] = v;
    return s;
}

// PATTERN with at most one '*' in its file name -> the matching files, sorted; throws naming it.
std::vector<std::string> expand(const std::string& pattern) {
    const fs::path p(pattern);
    const std::string name = p.filename().string();
    const size_t star = name.find('*');
    if (star == std::string::npos) {
        if (!fs::exists(p)) throw std::runtime_error(pattern + ": missing; hint: make setup installs the corpus's Debian packages");
        return {pattern};
    }
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(p.parent_path(), ec)) {
        const std::string f = e.path().filename().string();
        if (f.size() >= name.size() - 1 && f.compare(0, star, name, 0, star) == 0 &&
            f.compare(f.size() - (name.size() - star - 1), std::string::npos, name, star + 1) == 0)
            out.push_back(e.path().string());
    }
    if (out.empty()) throw std::runtime_error(pattern + ": matches no file; hint: make setup installs the corpus's Debian packages");
    std::sort(out.begin(), out.end());
    return out;
}

// A file's samples: one per image, or one per slab slice of a volume (plus the scan's verdict).
void score_file(const std::string& file, Predictor& p, std::vector<Sample>& slices, std::vector<Sample>& scans) {
    if (!is_volume_path(file)) {
        slices.push_back(sample_of(classify_file(file, p)));
        return;
    }
    std::string error;
    const std::optional<ScanSlices> scan = read_scan(file, p, error);
    if (!scan) {
        slices.push_back(sample_of(failed(error)));
        scans.push_back(slices.back());
        return;
    }
    std::vector<OodVerdict> verdicts;
    for (const GrayImage& img : scan->slab.images) {
        const SliceResult r = scan->registered ? classify_gray(img, p) : classify_slice(img, p);
        slices.push_back(sample_of(r));
        if (r.error.empty()) verdicts.push_back(r.ood);
    }
    if (verdicts.empty()) {   // no slice could be classified: refused, as predict and the app say
        scans.push_back(sample_of(failed("no slice could be classified")));
        return;
    }
    const OodVerdict v = assess_scan(verdicts);
    Sample s;
    s.score = v.score;
    s.flagged = v.flag;
    scans.push_back(s);
}

// ---- near: transforms of a real slice, before it is conformed (as a user's file would arrive).

GrayImage rotate90(const GrayImage& g) {
    GrayImage o{g.height, g.width, std::vector<uint8_t>(g.pixels.size())};
    for (int y = 0; y < o.height; ++y)
        for (int x = 0; x < o.width; ++x) o.pixels[static_cast<size_t>(y) * o.width + x] = g.pixels[static_cast<size_t>(x) * g.width + (g.width - 1 - y)];
    return o;
}

GrayImage upside_down(const GrayImage& g) {
    GrayImage o = g;
    for (int y = 0; y < g.height; ++y)
        std::copy_n(g.pixels.begin() + static_cast<std::ptrdiff_t>(y) * g.width, g.width,
                    o.pixels.begin() + static_cast<std::ptrdiff_t>(g.height - 1 - y) * g.width);
    return o;
}

GrayImage inverted(const GrayImage& g) {
    GrayImage o = g;
    for (uint8_t& v : o.pixels) v = static_cast<uint8_t>(255 - v);
    return o;
}

GrayImage cropped(const GrayImage& g) {   // the central half in each direction: a quarter of the slice
    const int w = g.width / 2, h = g.height / 2, x0 = g.width / 4, y0 = g.height / 4;
    GrayImage o{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h)};
    for (int y = 0; y < h; ++y)
        std::copy_n(g.pixels.begin() + static_cast<std::ptrdiff_t>(y0 + y) * g.width + x0, w,
                    o.pixels.begin() + static_cast<std::ptrdiff_t>(y) * w);
    return o;
}

GrayImage noisy(const GrayImage& g, uint64_t seed) {   // Gaussian, sigma 40 gray levels
    std::mt19937_64 rng(seed);
    auto uniform = [&] { return (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0; };
    GrayImage o = g;
    for (uint8_t& v : o.pixels) {
        const double n = std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * uniform());
        v = static_cast<uint8_t>(std::clamp(std::lround(v + 40 * n), 0L, 255L));
    }
    return o;
}

// ---- the numbers.

json stats(const std::vector<Sample>& ood, const std::vector<Sample>& id) {
    std::vector<double> scores;
    std::vector<int> positive;
    for (const Sample& s : id) scores.push_back(s.score), positive.push_back(0);
    for (const Sample& s : ood) scores.push_back(std::isinf(s.score) ? 1e300 : s.score), positive.push_back(1);
    const auto detected = std::count_if(ood.begin(), ood.end(), [](const Sample& s) { return s.flagged; });
    const auto refused = std::count_if(ood.begin(), ood.end(), [](const Sample& s) { return s.refused; });
    json j = {{"count", ood.size()}, {"detected", ood.empty() ? 0.0 : static_cast<double>(detected) / ood.size()},
              {"refused_before_checks", refused}, {"auroc", roc_auc(scores, positive)}};
    // Each check alone (refused inputs count as caught by every check).
    std::map<std::string, std::vector<double>> per;
    for (const Sample& s : id) for (const auto& [k, v] : s.checks) per[k].push_back(v);
    json checks = json::object();
    for (const auto& [name, id_values] : per) {
        std::vector<double> sc = id_values;
        std::vector<int> pos(id_values.size(), 0);
        for (const Sample& s : ood) {
            sc.push_back(s.refused ? 1e300 : (s.checks.count(name) ? s.checks.at(name) : 0.0));
            pos.push_back(1);
        }
        checks[name] = roc_auc(sc, pos);
    }
    j["auroc_per_check"] = checks;
    return j;
}

double flagged_rate(const std::vector<Sample>& v) {
    return v.empty() ? 0.0 : static_cast<double>(std::count_if(v.begin(), v.end(), [](const Sample& s) { return s.flagged; })) / v.size();
}

std::string row(const std::string& name, const json& s) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "| %s | %lld | %.3f | %.1f %% | %lld |\n", name.c_str(), s["count"].get<long long>(),
                  s["auroc"].get<double>(), 100 * s["detected"].get<double>(), s["refused_before_checks"].get<long long>());
    return buf;
}

std::string markdown(const json& r) {
    std::string md = "# Out-of-distribution checks: " + r["checkpoint"].get<std::string>() + "\n\n";
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "In distribution: %lld real slices of the %s held-out people; %.2f %% flagged (the thresholds were set "
                  "on validation people for %.0f %%, measured there at %.2f %%).\n\n",
                  r["in_distribution"]["count"].get<long long>(), r["in_distribution"]["people"].dump().c_str(),
                  100 * r["in_distribution"]["flagged"].get<double>(), 100 * r["target_rate"].get<double>(),
                  100 * r["validation_rate"].get<double>());
    md += buf;
    md += "AUROC: the largest check score, held-out slices against the group. Detected: flagged by the shipped "
          "thresholds (score > 1). Refused: undecodable, no brain found, or a volume refused by its registration (not a human head, not registered, not T1): never classified either; counted as detected.\n\n";
    for (const char* level : {"far", "near"}) {
        md += std::string("## ") + (std::string(level) == "far" ? "Far (real files, slices)" : "Near (the held-out slices, transformed)") +
              "\n\n| group | samples | AUROC | detected | refused |\n| --- | ---: | ---: | ---: | ---: |\n";
        for (const auto& [name, s] : r[level]["groups"].items()) md += row(name, s);
        md += row("**all**", r[level]["all"]) + "\n";
    }
    md += "## Scans (volumes, flagged when more than a quarter of their slices are, or refused before any slice)\n\n"
          "| file | flagged | score or reason |\n| --- | --- | --- |\n";
    for (const auto& s : r["scans"]) {
        const std::string reason = s.value("refused", "");
        std::snprintf(buf, sizeof buf, "%.2f", s["score"].get<double>());
        md += "| " + s["file"].get<std::string>() + " | " + (s["flagged"].get<bool>() ? "yes" : "no") + " | " +
              (reason.empty() ? std::string(buf) : "refused: " + reason) + " |\n";
    }
    md += "\n## Human T1 brains from other sources (not out of distribution)\n\n| file | slices flagged |\n| --- | ---: |\n";
    for (const auto& s : r["other_t1"]) {
        std::snprintf(buf, sizeof buf, "| %s | %.0f %% |\n", s["file"].get<std::string>().c_str(), 100 * s["flagged"].get<double>());
        md += buf;
    }
    return md;
}

}  // namespace

int ood(int argc, char** argv) {
    CliArgs args("alzscan ood", "measure the out-of-distribution checks of a calibrated checkpoint: AUROC and detection "
                                "on far (a corpus of real files) and near (transformed held-out slices) inputs");
    args.option("checkpoint", "", "a checkpoint calibrated by `alzscan calibrate` (its meta holds the checks)", true);
    args.option("run", "", "the run that trained it (its config.json names the held-out people)", true);
    args.option("corpus", "configs/ood_corpus.json", "the far corpus: {\"far\": {group: [files]}, \"other_t1\": [files]}");
    args.option("out", "", "directory for ood.json and summary.md", true);
    if (int rc = args.parse(argc, argv); rc >= 0) return rc;
    try {
        Predictor p = load_predictor(args.get("checkpoint"), "cpu");
        if (!p.ood.enabled) throw std::runtime_error(args.get("checkpoint") + ": no out-of-distribution checks; hint: alzscan calibrate it");
        torch::set_num_threads(2);
        std::string text;
        if (!read_text_file(args.get("corpus"), text)) throw std::runtime_error(args.get("corpus") + ": cannot read the corpus");
        const json corpus = json::parse(text);

        // In distribution: the held-out fold's real slices, as files (decoded here, then transformed).
        DatasetOptions opt = run_dataset_options(args.get("run"));
        opt.spec = p.model.spec;
        opt.load_train = false;
        const Dataset ds = load_dataset(opt);
        std::vector<Sample> id;
        std::map<std::string, std::vector<Sample>> near;
        const std::vector<std::pair<std::string, std::function<GrayImage(const GrayImage&, size_t)>>> transforms = {
            {"rotated_90", [](const GrayImage& g, size_t) { return rotate90(g); }},
            {"upside_down", [](const GrayImage& g, size_t) { return upside_down(g); }},
            {"inverted", [](const GrayImage& g, size_t) { return inverted(g); }},
            {"cropped_to_a_quarter", [](const GrayImage& g, size_t) { return cropped(g); }},
            {"noise_sigma_40", [](const GrayImage& g, size_t i) { return noisy(g, 1000 + i); }}};
        for (size_t i = 0; i < ds.test.paths.size(); ++i) {
            std::vector<uint8_t> bytes;
            std::string error;
            const std::string file = (fs::path(ds.dir) / ds.test.paths[i]).string();
            if (!read_file(file, bytes, error)) throw std::runtime_error(file + ": " + error);
            auto g = decode_gray(bytes.data(), bytes.size());
            if (!g) throw std::runtime_error(file + ": " + g.error());
            id.push_back(sample_of(classify_slice(*g, p)));   // as the files a person opens
            for (const auto& [name, t] : transforms) near[name].push_back(sample_of(classify_slice(t(*g, i), p)));
        }
        std::set<std::string> people(ds.test.groups.begin(), ds.test.groups.end());

        json result = {{"checkpoint", args.get("checkpoint")}, {"corpus", args.get("corpus")},
                       {"target_rate", p.ood.target_rate}, {"validation_rate", p.ood.validation_rate},
                       {"in_distribution", {{"count", id.size()}, {"people", people.size()}, {"flagged", flagged_rate(id)}}}};
        std::vector<Sample> all_far, all_near;
        json far_groups = json::object(), scans = json::array();
        for (const auto& [group, patterns] : corpus.at("far").items()) {
            std::vector<Sample> samples;
            for (const auto& pattern : patterns)
                for (const std::string& file : expand(pattern.get<std::string>())) {
                    std::vector<Sample> file_scans;
                    score_file(file, p, samples, file_scans);
                    for (const Sample& s : file_scans)
                        scans.push_back({{"file", fs::path(file).filename().string()}, {"group", group}, {"flagged", s.flagged},
                                         {"score", std::isinf(s.score) ? 1e300 : s.score}, {"refused", s.reason}});
                }
            far_groups[group] = stats(samples, id);
            all_far.insert(all_far.end(), samples.begin(), samples.end());
        }
        json near_groups = json::object();
        for (const auto& [name, samples] : near) {
            near_groups[name] = stats(samples, id);
            all_near.insert(all_near.end(), samples.begin(), samples.end());
        }
        result["far"] = {{"groups", far_groups}, {"all", stats(all_far, id)}};
        result["near"] = {{"groups", near_groups}, {"all", stats(all_near, id)}};
        result["scans"] = scans;
        json other = json::array();
        for (const auto& pattern : corpus.value("other_t1", json::array()))
            for (const std::string& file : expand(pattern.get<std::string>())) {
                std::vector<Sample> s, sc;
                score_file(file, p, s, sc);
                other.push_back({{"file", fs::path(file).filename().string()}, {"slices", s.size()}, {"flagged", flagged_rate(s)}});
            }
        result["other_t1"] = other;

        const fs::path out(args.get("out"));
        fs::create_directories(out);
        write_file_atomically((out / "ood.json").string(), result.dump(2) + "\n");
        const std::string md = markdown(result);
        write_file_atomically((out / "summary.md").string(), md);
        std::printf("%s\nwrote %s and %s\n", md.c_str(), (out / "ood.json").string().c_str(), (out / "summary.md").string().c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "alzscan ood: %s\n", e.what());
        return 1;
    }
}

}  // namespace alzscan::cmd
