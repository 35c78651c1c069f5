// PreprocessSpec <-> JSON with nlohmann/json, used so that nothing can throw: parse with
// allow_exceptions = false (a SAX pass first, only to learn where a syntax error is), check
// every member's type before get<>(), and dump with the "replace" UTF-8 handler.
// In WebAssembly a thrown exception would abort the page.
#include "alzscan/preprocess_spec.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>

#include "nlohmann/json.hpp"

namespace alzscan {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr int kMaxSide = 8192;
// Every message below starts with kSource; parse_preprocess_spec puts the caller's name there.
const std::string kSource = "model.json";

Error spec_error(const std::string& what) { return make_error(kSource + ": " + what); }

// Records where a syntax error is; accepts everything else.
struct SyntaxErrorFinder : nlohmann::json_sax<json> {
    bool failed = false;
    size_t position = 0;
    std::string token;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t pos, const std::string& last_token,
                     const nlohmann::detail::exception&) override {
        failed = true;
        position = pos;
        token = last_token;
        return false;
    }
};

std::string shorten(const std::string& s, size_t n = 40) {
    return s.size() <= n ? s : s.substr(0, n) + "...";
}

// Reads an integer member in [lo, hi]. Missing: error unless fallback is given.
Expected<int> read_int(const json& obj, const char* key, const std::string& path, int lo, int hi,
                       const int* fallback) {
    auto it = obj.find(key);
    if (it == obj.end()) {
        if (fallback) return *fallback;
        return spec_error("missing key \"" + path + "\" (an integer " + std::to_string(lo) + ".." +
                          std::to_string(hi) + ")");
    }
    int64_t v = 0;
    if (it->is_number_unsigned()) {
        uint64_t u = it->get<uint64_t>();
        v = u > uint64_t(hi) ? int64_t(hi) + 1 : int64_t(u);
    } else if (it->is_number_integer()) {
        v = it->get<int64_t>();
    } else {
        return spec_error(path + " must be an integer (got " + std::string(it->type_name()) + " " +
                          shorten(it->dump(-1, ' ', false, json::error_handler_t::replace)) + ")");
    }
    if (v < lo || v > hi)
        return spec_error(path + " must be " + std::to_string(lo) + ".." + std::to_string(hi) +
                          " (got " + it->dump() + ")");
    return static_cast<int>(v);
}

// A number member, as written (a double).
Expected<double> read_double(const json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end()) return spec_error("missing key \"" + path + "\" (a number)");
    if (!it->is_number())
        return spec_error(path + " must be a number (got " + std::string(it->type_name()) + " " +
                          shorten(it->dump(-1, ' ', false, json::error_handler_t::replace)) + ")");
    return it->get<double>();
}

Expected<float> read_number(const json& obj, const char* key, const std::string& path) {
    auto d = read_double(obj, key, path);
    if (!d) return make_error(d.error());
    const float f = static_cast<float>(*d);
    if (!std::isfinite(*d) || !std::isfinite(f))
        return spec_error(path + " must be a finite number (got " + obj.find(key)->dump() + ")");
    return f;
}

Expected<std::string> read_string(const json& obj, const char* key, const std::string& path,
                                  const char* fallback) {
    auto it = obj.find(key);
    if (it == obj.end()) {
        if (fallback) return std::string(fallback);
        return spec_error("missing key \"" + path + "\" (a string)");
    }
    if (!it->is_string())
        return spec_error(path + " must be a string (got " + std::string(it->type_name()) + " " +
                          shorten(it->dump(-1, ' ', false, json::error_handler_t::replace)) + ")");
    return it->get<std::string>();
}

// A number member in [lo, hi], kept as a double (the conform fractions round-trip exactly).
Expected<double> read_fraction(const json& obj, const char* key, const std::string& path, double lo, double hi) {
    auto d = read_double(obj, key, path);
    if (!d) return d;
    if (!(*d >= lo && *d <= hi))
        return spec_error(path + " must be " + std::to_string(lo).substr(0, 4) + ".." + std::to_string(hi).substr(0, 4) +
                          " (got " + obj.find(key)->dump() + ")");
    return d;
}

// input.conform (optional): {"box_width", "box_height", "centre_x", "centre_y", "low", "high"[, "levels"]}.
Expected<ConformSpec> read_conform(const json& conform) {
    if (!conform.is_object())
        return spec_error("input.conform must be an object (got " + std::string(conform.type_name()) + ")");
    ConformSpec c;
    c.enabled = true;
    for (auto [key, out, lo, hi] : {std::tuple<const char*, double*, double, double>{"box_width", &c.box_width, 0.01, 1.0},
                                    {"box_height", &c.box_height, 0.01, 1.0},
                                    {"centre_x", &c.centre_x, 0.0, 1.0},
                                    {"centre_y", &c.centre_y, 0.0, 1.0}}) {
        auto v = read_fraction(conform, key, std::string("input.conform.") + key, lo, hi);
        if (!v) return make_error(v.error());
        *out = *v;
    }
    auto low = read_int(conform, "low", "input.conform.low", 0, 254, nullptr);
    if (!low) return make_error(low.error());
    auto high = read_int(conform, "high", "input.conform.high", 1, 255, nullptr);
    if (!high) return make_error(high.error());
    if (*high <= *low)
        return spec_error("input.conform.high must be above input.conform.low (got " + std::to_string(*low) + " and " +
                          std::to_string(*high) + ")");
    c.low = *low, c.high = *high;
    if (auto it = conform.find("levels"); it != conform.end()) {
        bool ok = it->is_array() && it->size() == size_t(kLevelCount);
        for (size_t q = 0; ok && q < it->size(); ++q) {
            const json& v = (*it)[q];
            ok = v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= 255 &&
                 (q == 0 || v.get<int64_t>() >= (*it)[q - 1].get<int64_t>());
            if (ok) c.levels.push_back(v.get<int>());
        }
        if (!ok)
            return spec_error("input.conform.levels must be " + std::to_string(kLevelCount) +
                              " ascending gray levels 0..255 (got " + shorten(it->dump(-1, ' ', false, json::error_handler_t::replace)) + ")");
    }
    return c;
}

// A list of `count` finite numbers in [lo, hi] at `path`; empty optional-style error otherwise.
Expected<std::vector<double>> read_numbers(const json& v, const std::string& path, size_t count, double lo, double hi) {
    bool ok = v.is_array() && v.size() == count;
    std::vector<double> out;
    for (size_t i = 0; ok && i < v.size(); ++i) {
        ok = v[i].is_number() && v[i].get<double>() >= lo && v[i].get<double>() <= hi;
        if (ok) out.push_back(v[i].get<double>());
    }
    if (!ok)
        return spec_error(path + " must be " + std::to_string(count) + " numbers in " + shorten(json(lo).dump()) + ".." +
                          shorten(json(hi).dump()) + " (got " + shorten(v.dump(-1, ' ', false, json::error_handler_t::replace)) + ")");
    return out;
}

// An image of `count` whole gray levels written as 2 hex digits each (row-major).
Expected<std::vector<double>> read_gray_hex(const json& v, const std::string& path, size_t count) {
    auto digit = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
    const std::string text = v.is_string() ? v.get<std::string>() : std::string();
    std::vector<double> out;
    for (size_t i = 0; text.size() == 2 * count && i < count; ++i) {
        const int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) break;
        out.push_back(hi * 16 + lo);
    }
    if (out.size() != count)
        return spec_error(path + " must be " + std::to_string(count) + " gray levels as " + std::to_string(2 * count) +
                          " lowercase hex digits (got " + shorten(v.dump(-1, ' ', false, json::error_handler_t::replace)) + ")");
    return out;
}

// input.pose (optional, with conform): {"templates": [kPoseLevels x kPoseSide^2], "low": [6],
// "high": [6], "ncc_min", "fitted_on"} (slice_pose.h).
Expected<PoseSpec> read_pose(const json& pose) {
    if (!pose.is_object()) return spec_error("input.pose must be an object (got " + std::string(pose.type_name()) + ")");
    PoseSpec p;
    const auto t = pose.find("templates");
    if (t == pose.end() || !t->is_array() || t->size() != size_t(kPoseLevels))
        return spec_error("input.pose.templates must be " + std::to_string(kPoseLevels) + " images of " +
                          std::to_string(kPoseSide * kPoseSide) + " gray levels (hex strings)");
    for (size_t k = 0; k < t->size(); ++k) {
        auto img = read_gray_hex((*t)[k], "input.pose.templates[" + std::to_string(k) + "]", size_t(kPoseSide) * kPoseSide);
        if (!img) return make_error(img.error());
        p.templates.push_back(std::move(img).value());
    }
    for (auto [key, out] : {std::pair<const char*, std::array<double, kPoseParams>*>{"low", &p.low}, {"high", &p.high}}) {
        const auto it = pose.find(key);
        auto v = read_numbers(it == pose.end() ? json() : *it, std::string("input.pose.") + key, kPoseParams, -1e3, 1e3);
        if (!v) return make_error(v.error());
        std::copy(v->begin(), v->end(), out->begin());
    }
    for (int k = 0; k < kPoseParams; ++k)
        if (!(p.low[k] <= p.high[k]))
            return spec_error("input.pose.low[" + std::to_string(k) + "] must not be above input.pose.high[" + std::to_string(k) + "]");
    auto ncc = read_fraction(pose, "ncc_min", "input.pose.ncc_min", -1.0, 1.0);
    if (!ncc) return make_error(ncc.error());
    p.ncc_min = *ncc;
    auto on = read_string(pose, "fitted_on", "input.pose.fitted_on", "");
    if (!on) return make_error(on.error());
    p.fitted_on = *on;
    return p;
}

}  // namespace

std::vector<std::string> default_class_names() {
    return {"Mild_Demented", "Moderate_Demented", "Non_Demented", "Very_Mild_Demented"};
}

namespace {

Expected<PreprocessSpec> parse_spec(const std::string& json_text) {
    if (json_text.find_first_not_of(" \t\r\n") == std::string::npos)
        return make_error("model.json is empty: expected {\"input\": {...}, \"classes\": [...]}");
    SyntaxErrorFinder finder;
    json::sax_parse(json_text, &finder);
    if (finder.failed)
        return make_error("model.json is not valid JSON: syntax error at byte " +
                          std::to_string(finder.position) + " near '" + shorten(finder.token, 20) +
                          "'");
    const json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded())
        return make_error("model.json is not valid JSON");
    if (!root.is_object())
        return spec_error("expected a JSON object at the top level (got " +
                          std::string(root.type_name()) + ")");

    auto input_it = root.find("input");
    if (input_it == root.end())
        return spec_error("missing key \"input\" (an object with height, width, mean, std)");
    if (!input_it->is_object())
        return spec_error("input must be an object (got " + std::string(input_it->type_name()) + ")");
    const json& input = *input_it;

    PreprocessSpec spec;
    auto name = read_string(input, "name", "input.name", "input");
    if (!name) return make_error(name.error());
    if (name->empty()) return spec_error("input.name must not be empty");
    spec.input_name = *name;

    auto layout = read_string(input, "layout", "input.layout", "NCHW");
    if (!layout) return make_error(layout.error());
    if (*layout != "NCHW")
        return spec_error("input.layout must be \"NCHW\" (got \"" + shorten(*layout) + "\")");

    const int one = 1;
    auto channels = read_int(input, "channels", "input.channels", 1, 1, &one);
    if (!channels) return make_error(channels.error());
    spec.channels = *channels;

    auto height = read_int(input, "height", "input.height", 1, kMaxSide, nullptr);
    if (!height) return make_error(height.error());
    spec.height = *height;
    auto width = read_int(input, "width", "input.width", 1, kMaxSide, nullptr);
    if (!width) return make_error(width.error());
    spec.width = *width;

    auto mean = read_number(input, "mean", "input.mean");
    if (!mean) return make_error(mean.error());
    spec.mean = *mean;
    auto std_dev = read_number(input, "std", "input.std");
    if (!std_dev) return make_error(std_dev.error());
    if (!(*std_dev > 0.0f))
        return spec_error("input.std must be > 0 (got " + input.find("std")->dump() + ")");
    spec.std = *std_dev;

    auto resize = read_string(input, "resize", "input.resize", "area");
    if (!resize) return make_error(resize.error());
    if (*resize != "area")
        return spec_error("input.resize must be \"area\" (got \"" + shorten(*resize) + "\")");
    spec.resize = *resize;

    if (auto it = input.find("conform"); it != input.end()) {
        auto conform = read_conform(*it);
        if (!conform) return make_error(conform.error());
        spec.conform = *conform;
    }
    if (auto it = input.find("pose"); it != input.end()) {
        if (!spec.conform.enabled) return spec_error("input.pose needs input.conform (the pose is fitted on conformed slices)");
        auto pose = read_pose(*it);
        if (!pose) return make_error(pose.error());
        spec.pose = std::move(pose).value();
    }

    auto classes_it = root.find("classes");
    if (classes_it == root.end())
        return spec_error("missing key \"classes\" (a list of at least 2 class names)");
    if (!classes_it->is_array())
        return spec_error("classes must be a list of class names (got " +
                          std::string(classes_it->type_name()) + ")");
    if (classes_it->size() < 2)
        return spec_error("classes must name at least 2 classes (got " +
                          std::to_string(classes_it->size()) + ")");
    std::set<std::string> seen;
    for (size_t i = 0; i < classes_it->size(); ++i) {
        const json& c = (*classes_it)[i];
        const std::string path = "classes[" + std::to_string(i) + "]";
        if (!c.is_string())
            return spec_error(path + " must be a string (got " + std::string(c.type_name()) + ")");
        std::string s = c.get<std::string>();
        if (s.empty()) return spec_error(path + " must not be empty");
        if (!seen.insert(s).second)
            return spec_error(path + " repeats the class name \"" + shorten(s) + "\"");
        spec.class_names.push_back(std::move(s));
    }
    return spec;
}

}  // namespace

Expected<PreprocessSpec> parse_preprocess_spec(const std::string& json_text, const std::string& source) {
    auto spec = parse_spec(json_text);
    if (spec || source == kSource) return spec;
    return make_error(source + spec.error().substr(kSource.size()));
}

std::string preprocess_spec_to_json(const PreprocessSpec& spec) {
    ordered_json input;
    input["name"] = spec.input_name;
    input["layout"] = "NCHW";
    input["channels"] = spec.channels;
    input["height"] = spec.height;
    input["width"] = spec.width;
    // float -> double is exact, and nlohmann prints doubles round-trippably.
    input["mean"] = static_cast<double>(spec.mean);
    input["std"] = static_cast<double>(spec.std);
    input["resize"] = spec.resize;
    if (spec.conform.enabled) {
        const ConformSpec& c = spec.conform;
        input["conform"] = {{"box_width", c.box_width}, {"box_height", c.box_height}, {"centre_x", c.centre_x},
                            {"centre_y", c.centre_y}, {"low", c.low}, {"high", c.high}};
        if (!c.levels.empty()) input["conform"]["levels"] = c.levels;
    }
    if (spec.conform.enabled && spec.pose.enabled()) {
        const PoseSpec& p = spec.pose;
        std::vector<std::string> hex;
        for (const std::vector<double>& t : p.templates) {
            std::string h;
            for (double v : t) {
                const int g = static_cast<int>(std::clamp<long>(std::lround(v), 0, 255));
                h += "0123456789abcdef"[g / 16];
                h += "0123456789abcdef"[g % 16];
            }
            hex.push_back(std::move(h));
        }
        input["pose"] = {{"templates", hex}, {"low", p.low}, {"high", p.high}, {"ncc_min", p.ncc_min},
                         {"fitted_on", p.fitted_on}};
    }
    ordered_json root;
    root["input"] = std::move(input);
    root["classes"] = ordered_json::array();
    for (const auto& c : spec.class_names) root["classes"].push_back(c);
    return root.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace alzscan
