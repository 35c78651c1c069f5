// A scan's CSF fraction against the training people's: numbers, a sentence and a chart (see atrophy.h).
#include "alzscan/atrophy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "alzscan/aggregate.h"

namespace alzscan {
namespace {

constexpr int kBandValues = 4;   // low, median, high, people

Expected<std::vector<AtrophyBand>> parse_bands(const nlohmann::json& rows, const std::string& cls) {
    const std::string where = "model.json: atrophy.by_position." + cls;
    if (!rows.is_array() || rows.size() != size_t(kPoseLevels))
        return make_error(where + " must list " + std::to_string(kPoseLevels) + " positions");
    std::vector<AtrophyBand> bands;
    for (const nlohmann::json& r : rows) {
        bool ok = r.is_array() && r.size() == size_t(kBandValues);
        for (size_t i = 0; ok && i < r.size(); ++i) ok = r[i].is_number() && r[i].get<double>() >= 0;
        if (!ok || r[0].get<double>() > 1 || r[1].get<double>() > 1 || r[2].get<double>() > 1)
            return make_error(where + " must hold [low, median, high, people] rows with fractions 0..1");
        bands.push_back({r[0].get<double>(), r[1].get<double>(), r[2].get<double>(), r[3].get<int>()});
    }
    return bands;
}

// The reference's classes in ascending order of their people's median fraction (least CSF first).
std::vector<size_t> classes_by_median(const AtrophyReference& ref) {
    std::vector<size_t> order(ref.classes.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::vector<double> median(ref.classes.size(), 2.0);
    for (size_t c = 0; c < ref.classes.size(); ++c)
        if (!ref.csf_fraction[c].empty()) median[c] = quantile(ref.csf_fraction[c], 0.5);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return median[a] < median[b]; });
    return order;
}

bool enough_people(const AtrophyReference& ref, size_t c) {
    return ref.csf_fraction[c].size() >= size_t(kAtrophyMinPeople);
}

double chart_x(int position) { return (position + 0.5) / kPoseLevels; }

// The CSF range the chart shows: its bands and the scan's values with a margin, on a 0.05 grid.
void chart_range(AtrophyChart& chart, const std::vector<double>& values) {
    double lo = 1, hi = 0;
    for (const double v : values) lo = std::min(lo, v), hi = std::max(hi, v);
    if (hi < lo) lo = 0, hi = 1;
    const double pad = 0.05 * std::max(hi - lo, 0.05);
    chart.y_min = std::max(0.0, std::floor((lo - pad) / 0.05 + 1e-9) * 0.05);
    chart.y_max = std::min(1.0, std::ceil((hi + pad) / 0.05 - 1e-9) * 0.05);
    if (chart.y_max <= chart.y_min) chart.y_max = std::min(1.0, chart.y_min + 0.05);
    const double step = chart.y_max - chart.y_min > 0.4 ? 0.1 : 0.05;
    for (double t = std::ceil(chart.y_min / step - 1e-9) * step; t <= chart.y_max + 1e-9; t += step) chart.y_ticks.push_back(t);
}

std::string xml_escape(const std::string& text) {
    std::string out;
    for (const char ch : text) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += ch;
        }
    }
    return out;
}

std::string rgb_css(const std::array<uint8_t, 3>& c) {
    char s[32];
    std::snprintf(s, sizeof s, "rgb(%d,%d,%d)", c[0], c[1], c[2]);
    return s;
}

}  // namespace

Expected<AtrophyReference> parse_atrophy_reference(const std::string& model_json_text) {
    const auto root = nlohmann::json::parse(model_json_text, nullptr, /*allow_exceptions=*/false);
    AtrophyReference ref;
    if (!root.is_object() || !root.contains("atrophy")) return ref;
    const nlohmann::json& a = root["atrophy"];
    if (!a.is_object() || !a.contains("csf_fraction") || !a["csf_fraction"].is_object())
        return make_error("model.json: atrophy.csf_fraction must be an object {class: [values]}");
    const bool has_bands = a.contains("by_position");
    if (has_bands && !a["by_position"].is_object())
        return make_error("model.json: atrophy.by_position must be an object {class: [[low, median, high, people], ...]}");
    for (const auto& [cls, values] : a["csf_fraction"].items()) {
        std::vector<double> v;
        bool ok = values.is_array();
        for (size_t i = 0; ok && i < values.size(); ++i) {
            ok = values[i].is_number() && values[i].get<double>() >= 0 && values[i].get<double>() <= 1;
            if (ok) v.push_back(values[i].get<double>());
        }
        if (!ok) return make_error("model.json: atrophy.csf_fraction." + cls + " must be a list of fractions 0..1");
        std::sort(v.begin(), v.end());
        std::vector<AtrophyBand> bands;
        if (has_bands && a["by_position"].contains(cls)) {
            auto parsed = parse_bands(a["by_position"][cls], cls);
            if (!parsed) return make_error(parsed.error());
            bands = std::move(parsed).value();
        }
        ref.classes.push_back(cls);
        ref.csf_fraction.push_back(std::move(v));
        ref.by_position.push_back(std::move(bands));
    }
    if (a.contains("fitted_on") && a["fitted_on"].is_string()) ref.fitted_on = a["fitted_on"].get<std::string>();
    return ref;
}

std::string atrophy_reference_json(const AtrophyReference& ref) {
    nlohmann::ordered_json j, per, bands;
    for (size_t c = 0; c < ref.classes.size(); ++c) {
        per[ref.classes[c]] = ref.csf_fraction[c];
        if (c >= ref.by_position.size() || ref.by_position[c].empty()) continue;
        nlohmann::json rows = nlohmann::json::array();
        for (const AtrophyBand& b : ref.by_position[c]) rows.push_back({b.low, b.median, b.high, b.people});
        bands[ref.classes[c]] = rows;
    }
    j["csf_fraction"] = per;
    if (!bands.empty()) j["by_position"] = bands;
    j["fitted_on"] = ref.fitted_on;
    return j.dump();
}

std::vector<std::vector<AtrophyBand>> atrophy_bands(const std::vector<std::vector<std::vector<double>>>& person_by_position) {
    std::vector<std::vector<AtrophyBand>> out;
    for (const auto& people : person_by_position) {
        std::vector<AtrophyBand> bands(kPoseLevels);
        for (int k = 0; k < kPoseLevels; ++k) {
            std::vector<double> v;
            for (const auto& p : people)
                if (k < int(p.size()) && p[k] >= 0) v.push_back(p[k]);
            if (v.empty()) continue;
            bands[k] = {quantile(v, 0.1), quantile(v, 0.5), quantile(v, 0.9), int(v.size())};
        }
        out.push_back(std::move(bands));
    }
    return out;
}

double percentile_among(const std::vector<double>& sorted, double x) {
    if (sorted.empty()) return -1;
    const auto lo = std::lower_bound(sorted.begin(), sorted.end(), x), hi = std::upper_bound(sorted.begin(), sorted.end(), x);
    const double below = double(lo - sorted.begin()), equal = double(hi - lo);
    return 100.0 * (below + 0.5 * equal) / double(sorted.size());
}

int atrophy_position(const SlicePose& pose, int index, int count) {
    if (pose.estimated) return pose.level;
    return count >= 2 ? slice_level(index, count) : -1;
}

ScanAtrophy summarise_atrophy(const std::vector<TissueMeasures>& slices, const std::vector<int>& positions,
                              const AtrophyReference& ref) {
    ScanAtrophy a;
    std::array<double, kPoseLevels> sum{};
    std::array<int, kPoseLevels> n{};
    double total = 0;
    int found = 0;
    for (size_t i = 0; i < slices.size(); ++i) {
        const int k = i < positions.size() && positions[i] >= 0 && positions[i] < kPoseLevels ? positions[i] : -1;
        a.position.push_back(k);
        a.by_slice.push_back(slices[i].found ? slices[i].csf_fraction : -1.0);
        if (!slices[i].found) continue;
        total += slices[i].csf_fraction, ++found;
        if (k >= 0) sum[k] += slices[i].csf_fraction, ++n[k];
    }
    for (int k = 0; k < kPoseLevels; ++k) a.by_position[k] = n[k] ? sum[k] / n[k] : -1.0;
    a.found = found > 0;
    if (a.found) a.csf_fraction = total / found;
    for (size_t c = 0; c < ref.classes.size(); ++c)
        a.percentile.push_back(a.found && enough_people(ref, c) ? percentile_among(ref.csf_fraction[c], a.csf_fraction) : -1.0);
    return a;
}

ScanAtrophy atrophy_of_stack(const std::vector<TissueMeasures>& slices, const std::vector<SlicePose>& poses,
                             const AtrophyReference& ref) {
    std::vector<int> positions;
    for (size_t i = 0; i < poses.size(); ++i) positions.push_back(atrophy_position(poses[i], int(i), int(poses.size())));
    return summarise_atrophy(slices, positions, ref);
}

std::string scan_atrophy_json(const ScanAtrophy& a, const AtrophyReference& ref) {
    const auto number_or_null = [](double v) { return v < 0 ? nlohmann::json() : nlohmann::json(v); };
    nlohmann::ordered_json j;
    j["csf_fraction"] = a.found ? nlohmann::json(a.csf_fraction) : nlohmann::json();
    nlohmann::json by_slice = nlohmann::json::array(), by_position = nlohmann::json::array();
    for (const double v : a.by_slice) by_slice.push_back(number_or_null(v));
    for (const double v : a.by_position) by_position.push_back(number_or_null(v));
    j["by_slice"] = by_slice;
    j["position"] = a.position;
    j["by_position"] = by_position;
    if (ref.enabled()) {
        nlohmann::ordered_json per;
        for (size_t c = 0; c < ref.classes.size(); ++c) per[ref.classes[c]] = number_or_null(c < a.percentile.size() ? a.percentile[c] : -1);
        j["percentile"] = per;
    }
    return j.dump();
}

std::string atrophy_sentence(const ScanAtrophy& a, const AtrophyReference& ref) {
    if (!a.found) return "No brain was found in its slices, so there is no CSF fraction.";
    char buf[160];
    std::snprintf(buf, sizeof buf, "CSF %.1f %% of the brain", 100 * a.csf_fraction);
    std::string s = buf;
    const char* lead = ": more than in ";
    for (const size_t c : classes_by_median(ref)) {
        if (c >= a.percentile.size() || a.percentile[c] < 0) continue;
        const bool first = *lead == ':';
        std::snprintf(buf, sizeof buf, "%s%.0f %% of %s%s%s (%zu)", lead, a.percentile[c], first ? "the training " : "",
                      ref.classes[c].c_str(), first ? " people" : "", ref.csf_fraction[c].size());
        s += buf;
        lead = ", ";
    }
    return s;
}

AtrophyChart atrophy_chart(const AtrophyReference& ref, const ScanAtrophy* scan) {
    // Okabe-Ito colours, told apart with colour-blindness; the person in blue.
    static const std::array<std::array<uint8_t, 3>, 4> palette{{{0, 158, 115}, {230, 159, 0}, {213, 94, 0}, {204, 121, 167}}};
    AtrophyChart chart;
    chart.x_label = "slice position, inferior to superior (the training stacks' 32 slices in 8 groups)";
    chart.y_label = "CSF fraction of the brain";
    std::vector<double> values;
    for (const size_t c : classes_by_median(ref)) {
        if (!enough_people(ref, c) || c >= ref.by_position.size() || ref.by_position[c].empty()) continue;
        AtrophyChartSeries s;
        s.label = ref.classes[c] + " (" + std::to_string(ref.csf_fraction[c].size()) + " people)";
        s.rgb = palette[chart.classes.size() % palette.size()];
        for (int k = 0; k < kPoseLevels; ++k) {
            const AtrophyBand& b = ref.by_position[c][k];
            if (b.people < kAtrophyMinPeople) continue;
            s.low.push_back({chart_x(k), b.low});
            s.median.push_back({chart_x(k), b.median});
            s.high.push_back({chart_x(k), b.high});
            values.insert(values.end(), {b.low, b.high});
        }
        chart.classes.push_back(std::move(s));
    }
    if (scan)
        for (int k = 0; k < kPoseLevels; ++k)
            if (scan->by_position[k] >= 0) chart.person.push_back({chart_x(k), scan->by_position[k]}), values.push_back(scan->by_position[k]);
    chart_range(chart, values);
    const auto to_unit = [&](std::vector<ChartPoint>& pts) {
        for (ChartPoint& p : pts) p.y = (p.y - chart.y_min) / (chart.y_max - chart.y_min);
    };
    for (AtrophyChartSeries& s : chart.classes) to_unit(s.low), to_unit(s.median), to_unit(s.high);
    to_unit(chart.person);
    chart.note = "Lines: each class's median person; bands: 10-90 % of its people; classes with under " +
                 std::to_string(kAtrophyMinPeople) + " people are left out.";
    chart.caption = scan ? atrophy_sentence(*scan, ref) : "The training people's CSF fraction by slice position.";
    return chart;
}

namespace {

// Greedy word wrap: lines of at most `columns` characters (a longer word gets a line of its own).
std::vector<std::string> wrap_words(const std::string& text, size_t columns) {
    std::vector<std::string> lines;
    std::string line, word;
    std::istringstream in(text);
    while (in >> word) {
        if (!line.empty() && line.size() + 1 + word.size() > columns) lines.push_back(line), line.clear();
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) lines.push_back(line);
    return lines;
}

}  // namespace

std::string atrophy_chart_svg(const AtrophyChart& chart, int width, int height) {
    const double ml = 56, mr = 12, mt = 12;
    // The caption and the note wrap at words to the plot's width (about 6 px per character at 11 px).
    std::vector<std::string> texts = wrap_words(chart.caption, size_t(std::max(20.0, (width - ml - mr) / 6.0)));
    for (std::string& t : wrap_words(chart.note, size_t(std::max(20.0, (width - ml - mr) / 6.0)))) texts.push_back(std::move(t));
    const double mb = 54 + 14.0 * double(texts.size());
    const double pw = std::max(1.0, width - ml - mr), ph = std::max(1.0, height - mt - mb);
    const auto px = [&](const ChartPoint& p) {
        char s[48];
        std::snprintf(s, sizeof s, "%.1f,%.1f ", ml + p.x * pw, mt + (1 - p.y) * ph);
        return std::string(s);
    };
    const auto line = [&](const std::vector<ChartPoint>& pts) {
        std::string s;
        for (const ChartPoint& p : pts) s += px(p);
        return s;
    };
    char buf[512];
    std::string svg;
    std::snprintf(buf, sizeof buf,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                  "font-family=\"sans-serif\" font-size=\"11\">\n<desc>%s</desc>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                  width, height, width, height, xml_escape(chart.caption).c_str());
    svg += buf;
    for (const double t : chart.y_ticks) {
        const double y = mt + (1 - (t - chart.y_min) / (chart.y_max - chart.y_min)) * ph;
        std::snprintf(buf, sizeof buf,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n",
                      ml, y, ml + pw, y, ml - 4, y + 4, t);
        svg += buf;
    }
    for (const AtrophyChartSeries& s : chart.classes) {
        std::vector<ChartPoint> ring = s.high;
        ring.insert(ring.end(), s.low.rbegin(), s.low.rend());
        svg += "<polygon points=\"" + line(ring) + "\" fill=\"" + rgb_css(s.rgb) + "\" fill-opacity=\"0.18\"/>\n";
        svg += "<polyline points=\"" + line(s.median) + "\" fill=\"none\" stroke=\"" + rgb_css(s.rgb) + "\" stroke-width=\"2\"/>\n";
    }
    if (!chart.person.empty()) {
        svg += "<polyline points=\"" + line(chart.person) + "\" fill=\"none\" stroke=\"rgb(0,114,178)\" stroke-width=\"2.5\"/>\n";
        for (const ChartPoint& p : chart.person) {
            std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"rgb(0,114,178)\"/>\n", ml + p.x * pw, mt + (1 - p.y) * ph);
            svg += buf;
        }
    }
    std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n", ml, mt, pw, ph);
    svg += buf;
    for (int k = 0; k < kPoseLevels; ++k) {   // positions numbered 1..8 at their x
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%d</text>\n",
                      ml + chart_x(k) * pw, mt + ph + 13, k + 1);
        svg += buf;
    }
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", ml + pw / 2, mt + ph + 26);
    svg += buf + xml_escape(chart.x_label) + "</text>\n";
    std::snprintf(buf, sizeof buf, "<text transform=\"translate(14,%.1f) rotate(-90)\" text-anchor=\"middle\">", mt + ph / 2);
    svg += buf + xml_escape(chart.y_label) + "</text>\n";
    double x = ml;
    for (const AtrophyChartSeries& s : chart.classes) {
        std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"8\" fill=\"%s\"/>", x, mt + ph + 34, rgb_css(s.rgb).c_str());
        svg += buf;
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\">", x + 18, mt + ph + 42);
        svg += buf + xml_escape(s.label) + "</text>\n";
        x += 26 + 6.2 * s.label.size();
    }
    if (!chart.person.empty()) {
        std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"rgb(0,114,178)\"/><text x=\"%.1f\" y=\"%.1f\">this scan</text>\n",
                      x + 7, mt + ph + 38, x + 18, mt + ph + 42);
        svg += buf;
    }
    for (size_t i = 0; i < texts.size(); ++i) {
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\">", ml, mt + ph + 60 + 14.0 * double(i));
        svg += buf + xml_escape(texts[i]) + "</text>\n";
    }
    return svg + "</svg>\n";
}

}  // namespace alzscan
