// Out-of-distribution checks (contract in ood.h).
#include "alzscan/ood.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "alzscan/aggregate.h"
#include "alzscan/conform.h"
#include "nlohmann/json.hpp"

namespace alzscan {
namespace {

using json = nlohmann::json;

double check_score(const OodCheck& c, double value) {
    const double span = c.threshold - c.median;
    if (span == 0) return value == c.median ? 0.0 : (c.above == (value > c.median) ? 2.0 : 0.0);
    return (value - c.median) / span;
}

double symmetry_of(const GrayImage& g) {
    const size_t n = g.pixels.size();
    if (n == 0) return 0.0;
    double mean = 0;
    for (uint8_t p : g.pixels) mean += p;
    mean /= static_cast<double>(n);
    double cov = 0, var = 0;
    for (int y = 0; y < g.height; ++y)
        for (int x = 0; x < g.width; ++x) {
            const double a = g.pixels[static_cast<size_t>(y) * g.width + x] - mean;
            const double b = g.pixels[static_cast<size_t>(y) * g.width + (g.width - 1 - x)] - mean;
            cov += a * b;
            var += a * a;
        }
    return var > 0 ? cov / var : 0.0;   // the mirror has the same variance
}

// Flagged fraction of the samples when every check sits at the tail-q quantiles.
double union_rate(std::vector<OodCheck>& checks, const std::vector<std::vector<double>>& values, double q) {
    const size_t n = values.empty() ? 0 : values.front().size();
    for (size_t k = 0; k < checks.size(); ++k) {
        checks[k].median = quantile(values[k], 0.5);
        checks[k].threshold = quantile(values[k], checks[k].above ? 1 - q : q);
    }
    size_t flagged = 0;
    for (size_t i = 0; i < n; ++i) {
        bool any = false;
        for (size_t k = 0; k < checks.size() && !any; ++k) any = check_score(checks[k], values[k][i]) > 1;
        flagged += any;
    }
    return n ? static_cast<double>(flagged) / static_cast<double>(n) : 0.0;
}

Expected<std::vector<double>> read_numbers(const json& j, const std::string& path, size_t size) {
    if (!j.is_array()) return make_error(path + ": expected an array of numbers");
    std::vector<double> out;
    for (const auto& v : j) {
        if (!v.is_number() || !std::isfinite(v.get<double>())) return make_error(path + ": expected finite numbers");
        out.push_back(v.get<double>());
    }
    if (size && out.size() != size)
        return make_error(path + ": expected " + std::to_string(size) + " numbers, got " + std::to_string(out.size()));
    return out;
}

Expected<OodCheck> read_check(const json& j, const std::string& path) {
    if (!j.is_object()) return make_error(path + ": expected an object");
    OodCheck c;
    const std::vector<OodCheck> known = default_checks(true);
    if (!j.contains("name") || !j["name"].is_string()) return make_error(path + ".name: expected a check name");
    const std::string name = j["name"].get<std::string>();
    const auto it = std::find_if(known.begin(), known.end(), [&](const OodCheck& k) { return k.name == name; });
    if (it == known.end()) return make_error(path + ".name: unknown check '" + name + "'");
    c = *it;
    for (const char* key : {"median", "threshold"})
        if (!j.contains(key) || !j[key].is_number() || !std::isfinite(j[key].get<double>()))
            return make_error(path + "." + key + ": expected a finite number");
    c.median = j["median"].get<double>();
    c.threshold = j["threshold"].get<double>();
    if (c.above ? c.threshold < c.median : c.threshold > c.median)
        return make_error(path + ": threshold on the wrong side of the median for '" + name + "'");
    return c;
}

}  // namespace

std::vector<double> level_histogram(const GrayImage& g) {
    std::vector<double> h(kProfileBins, 0.0);
    const int t = foreground_threshold(g.pixels.data(), g.pixels.size());
    double n = 0;
    for (uint8_t p : g.pixels)
        if (p >= t) {
            h[p / (256 / kProfileBins)] += 1;
            n += 1;
        }
    if (n > 0)
        for (double& v : h) v /= n;
    return h;
}

std::vector<double> template_grid(const GrayImage& g) {
    std::vector<double> grid(kTemplateSide * kTemplateSide, 0.0);
    if (g.width < kTemplateSide || g.height < kTemplateSide) return grid;
    for (int by = 0; by < kTemplateSide; ++by)
        for (int bx = 0; bx < kTemplateSide; ++bx) {
            const int y0 = by * g.height / kTemplateSide, y1 = (by + 1) * g.height / kTemplateSide;
            const int x0 = bx * g.width / kTemplateSide, x1 = (bx + 1) * g.width / kTemplateSide;
            double sum = 0;
            for (int y = y0; y < y1; ++y)
                for (int x = x0; x < x1; ++x) sum += g.pixels[static_cast<size_t>(y) * g.width + x];
            grid[static_cast<size_t>(by) * kTemplateSide + bx] = sum / ((y1 - y0) * (x1 - x0));
        }
    return grid;
}

static double pearson(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size() || a.empty()) return 0.0;
    double ma = 0, mb = 0;
    for (size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
    ma /= a.size();
    mb /= b.size();
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        ab += (a[i] - ma) * (b[i] - mb);
        aa += (a[i] - ma) * (a[i] - ma);
        bb += (b[i] - mb) * (b[i] - mb);
    }
    return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

InputMeasures measure_input(const GrayImage& g, const OodSpec& spec) {
    const std::vector<double>& reference = spec.reference_histogram;
    InputMeasures m;
    const size_t n = g.pixels.size();
    if (n == 0) return m;
    const int t = foreground_threshold(g.pixels.data(), n);
    m.foreground = static_cast<double>(std::count_if(g.pixels.begin(), g.pixels.end(),
                                                     [t](uint8_t p) { return p >= t; })) / static_cast<double>(n);
    m.symmetry = symmetry_of(g);
    const std::vector<double> h = level_histogram(g);
    for (size_t b = 0; b < h.size(); ++b) m.profile += std::fabs(h[b] - (b < reference.size() ? reference[b] : 0.0));
    m.template_match = pearson(template_grid(g), spec.reference_template);
    return m;
}

double feature_distance(const OodSpec& spec, const float* f, size_t d) {
    if (spec.class_means.empty() || spec.variance.size() != d || !f) return -1.0;
    double best = -1;
    for (const auto& mean : spec.class_means) {
        if (mean.size() != d) return -1.0;
        double s = 0;
        for (size_t k = 0; k < d; ++k) {
            const double e = f[k] - mean[k];
            s += e * e / std::max(spec.variance[k], 1e-12);
        }
        s /= static_cast<double>(d);
        if (best < 0 || s < best) best = s;
    }
    return best;
}

double check_value(const OodCheck& c, const InputMeasures& m, double distance) {
    if (c.name == "foreground_low" || c.name == "foreground_high") return m.foreground;
    if (c.name == "symmetry") return m.symmetry;
    if (c.name == "profile") return m.profile;
    if (c.name == "template") return m.template_match;
    return distance;   // "features"
}

OodVerdict assess_slice(const OodSpec& spec, const InputMeasures& m, const float* features, size_t n_features) {
    OodVerdict v;
    if (!spec.enabled) return v;
    const double distance = feature_distance(spec, features, n_features);
    bool first = true;
    for (const OodCheck& c : spec.checks) {
        if (c.name == "features" && distance < 0) continue;   // no features given: that check is skipped
        if (c.name == "template" && spec.reference_template.empty()) continue;
        const double s = check_score(c, check_value(c, m, distance));
        v.scores.emplace_back(c.name, s);
        if (first || s > v.score) {
            v.score = s;
            v.check = c.name;
            v.reason = c.reason;
            first = false;
        }
    }
    v.flag = v.score > 1;
    if (!v.flag) v.reason.clear();
    return v;
}

OodVerdict assess_scan(const std::vector<OodVerdict>& slices) {
    OodVerdict v;
    if (slices.empty()) return v;
    std::vector<double> scores;
    std::map<std::string, int> reasons;
    std::map<std::string, std::string> check_of;
    for (const OodVerdict& s : slices) {
        scores.push_back(s.score);
        if (s.flag) {
            ++reasons[s.reason];
            check_of[s.reason] = s.check;
        }
    }
    v.score = quantile(scores, 0.75);
    v.flag = v.score > 1;
    if (v.flag && !reasons.empty()) {
        auto top = std::max_element(reasons.begin(), reasons.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
        v.reason = top->first;
        v.check = check_of[top->first];
    }
    return v;
}

std::vector<OodCheck> default_checks(bool with_features) {
    std::vector<OodCheck> c = {
        {"foreground_low", false, 0, 0, "too little bright tissue for a brain slice"},
        {"foreground_high", true, 0, 0,
         "the bright area fills the frame: not a brain slice on a dark background (a photo, or inverted?)"},
        {"symmetry", false, 0, 0,
         "not left/right symmetric like an axial brain slice (another plane, rotated, or not a brain?)"},
        {"profile", true, 0, 0,
         "its gray levels are unlike the training slices' (another contrast, modality, scanner or processing?)"},
        {"template", false, 0, 0,
         "its layout is unlike the training slices' (not an axial slice with the front at the top, or cropped?)"},
    };
    if (with_features)
        c.push_back({"features", true, 0, 0,
                     "unlike the training slices to the model (its features are far from every class)"});
    return c;
}

double fit_thresholds(std::vector<OodCheck>& checks, const std::vector<std::vector<double>>& values, double target,
                      double* flagged_rate) {
    double lo = 0, hi = target;
    for (int i = 0; i < 60; ++i) {
        const double mid = (lo + hi) / 2;
        if (union_rate(checks, values, mid) <= target) lo = mid;
        else hi = mid;
    }
    const double rate = union_rate(checks, values, lo);
    if (flagged_rate) *flagged_rate = rate;
    return lo;
}

std::string ood_verdict_json(const OodVerdict& v) {
    json j = {{"flag", v.flag}, {"score", v.score}, {"check", v.check}, {"reason", v.reason}};
    if (!v.scores.empty()) {
        j["scores"] = json::object();
        for (const auto& [name, score] : v.scores) j["scores"][name] = score;
    }
    return j.dump();
}

std::string ood_spec_to_json(const OodSpec& spec) {
    json checks = json::array();
    for (const OodCheck& c : spec.checks)
        checks.push_back({{"name", c.name}, {"direction", c.above ? "above" : "below"}, {"median", c.median},
                          {"threshold", c.threshold}, {"reason", c.reason}});
    json j = {{"checks", checks}, {"reference_histogram", spec.reference_histogram},
              {"reference_template", spec.reference_template},
              {"target_rate", spec.target_rate}, {"validation_rate", spec.validation_rate}};
    if (!spec.class_means.empty()) j["features"] = {{"class_means", spec.class_means}, {"variance", spec.variance}};
    return j.dump();
}

Expected<OodSpec> parse_ood_spec(const std::string& text) {
    const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return make_error("model.json: not a JSON object");
    OodSpec spec;
    if (!doc.contains("ood") || doc["ood"].is_null()) return spec;
    const json& j = doc["ood"];
    if (!j.is_object() || !j.contains("checks") || !j["checks"].is_array())
        return make_error("model.json ood.checks: expected an array of checks");
    for (size_t i = 0; i < j["checks"].size(); ++i) {
        auto c = read_check(j["checks"][i], "model.json ood.checks[" + std::to_string(i) + "]");
        if (!c) return make_error(c.error());
        spec.checks.push_back(*c);
    }
    auto h = read_numbers(j.contains("reference_histogram") ? j["reference_histogram"] : json(),
                          "model.json ood.reference_histogram", kProfileBins);
    if (!h) return make_error(h.error());
    spec.reference_histogram = *h;
    if (j.contains("reference_template")) {
        auto tpl = read_numbers(j["reference_template"], "model.json ood.reference_template", kTemplateSide * kTemplateSide);
        if (!tpl) return make_error(tpl.error());
        spec.reference_template = *tpl;
    }
    if (j.contains("features")) {
        const json& f = j["features"];
        if (!f.is_object()) return make_error("model.json ood.features: expected an object");
        auto var = read_numbers(f.contains("variance") ? f["variance"] : json(), "model.json ood.features.variance", 0);
        if (!var) return make_error(var.error());
        spec.variance = *var;
        const json means = f.contains("class_means") ? f["class_means"] : json();
        if (!means.is_array() || means.empty()) return make_error("model.json ood.features.class_means: expected rows");
        for (size_t c = 0; c < means.size(); ++c) {
            auto row = read_numbers(means[c], "model.json ood.features.class_means[" + std::to_string(c) + "]",
                                    spec.variance.size());
            if (!row) return make_error(row.error());
            spec.class_means.push_back(*row);
        }
    }
    for (const char* key : {"target_rate", "validation_rate"})
        if (j.contains(key) && !j[key].is_number())
            return make_error(std::string("model.json ood.") + key + ": expected a number");
    spec.target_rate = j.value("target_rate", 0.01);
    spec.validation_rate = j.value("validation_rate", 0.0);
    spec.enabled = true;
    return spec;
}

}  // namespace alzscan
