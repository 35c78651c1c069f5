#include "report/svg_charts.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report/report_format.h"

namespace alzscan::report {

namespace {

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string tick_label(double v, double step) {
    char buf[32];
    int decimals = step >= 1 ? 0 : std::min(4, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string open_svg(int w, int h, const std::string& aria) {
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << w << ' ' << h
      << "\" width=\"100%\" role=\"img\" aria-label=\"" << html_escape(aria)
      << "\" preserveAspectRatio=\"xMidYMid meet\">";
    return o.str();
}

// Linear blend of two #rrggbb colours.
std::string blend(const char* a, const char* b, double t) {
    unsigned ra, ga, ba, rb, gb, bb;
    std::sscanf(a + 1, "%02x%02x%02x", &ra, &ga, &ba);
    std::sscanf(b + 1, "%02x%02x%02x", &rb, &gb, &bb);
    t = std::clamp(t, 0.0, 1.0);
    char out[8];
    std::snprintf(out, sizeof out, "#%02x%02x%02x", static_cast<unsigned>(ra + (rb - (double)ra) * t + 0.5),
                  static_cast<unsigned>(ga + (gb - (double)ga) * t + 0.5),
                  static_cast<unsigned>(ba + (bb - (double)ba) * t + 0.5));
    return out;
}

}  // namespace

const char* series_color(size_t index) {
    static const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    return kColors[index % 10];
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    if (!(hi > lo)) hi = lo + 1;
    double raw = (hi - lo) / std::max(1, target - 1);
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        step = m * mag;
        if (step >= raw) break;
    }
    std::vector<double> ticks;
    for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
        ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    return ticks;
}

std::string short_class_name(const std::string& name) {
    std::string s = name;
    const std::string suffix = "_Demented";
    if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0)
        s.resize(s.size() - suffix.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '_') s[i] = ' ';
        else if (i > 0) s[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    }
    return s;
}

std::string render_line_chart(const LineChart& chart) {
    const double W = chart.width, H = chart.height;
    const double left = 48, right = 14, top = 12, bottom = 36;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (const Series& s : chart.series)
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
            xmin = std::min(xmin, s.x[i]); xmax = std::max(xmax, s.x[i]);
            ymin = std::min(ymin, s.y[i]); ymax = std::max(ymax, s.y[i]);
        }
    std::ostringstream o;
    o << open_svg(chart.width, chart.height, chart.y_label + " by epoch");
    if (!std::isfinite(xmin)) {
        o << "<text x=\"" << W / 2 << "\" y=\"" << H / 2
          << "\" text-anchor=\"middle\" class=\"muted\">no data</text></svg>";
        return o.str();
    }
    if (xmax - xmin < 1) { xmin -= 0.5; xmax += 0.5; }
    double pad = (ymax - ymin) * 0.08;
    if (pad <= 0) pad = std::max(0.02, std::abs(ymax) * 0.05);
    ymin -= pad; ymax += pad;
    if (chart.unit_interval) { ymin = std::max(0.0, ymin); ymax = std::min(1.0, ymax); }
    else if (ymin < 0 && ymin + pad >= 0) ymin = 0;
    std::vector<double> yt = nice_ticks(ymin, ymax, 5);
    ymin = std::min(ymin, yt.front());
    ymax = std::max(ymax, yt.back());
    const double pw = W - left - right, ph = H - top - bottom;
    auto X = [&](double x) { return left + (x - xmin) / (xmax - xmin) * pw; };
    auto Y = [&](double y) { return top + (1 - (y - ymin) / (ymax - ymin)) * ph; };

    // Grid and axes.
    double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
    for (double v : yt) {
        if (v < ymin - 1e-12 || v > ymax + 1e-12) continue;
        o << "<line class=\"grid\" x1=\"" << num(left) << "\" x2=\"" << num(W - right) << "\" y1=\""
          << num(Y(v)) << "\" y2=\"" << num(Y(v)) << "\"/>"
          << "<text class=\"tick\" x=\"" << num(left - 6) << "\" y=\"" << num(Y(v) + 4)
          << "\" text-anchor=\"end\">" << tick_label(v, ystep) << "</text>";
    }
    std::vector<double> xt = nice_ticks(std::ceil(xmin), std::floor(xmax), 8);
    double xstep = xt.size() > 1 ? std::max(1.0, xt[1] - xt[0]) : 1;
    for (double v = std::ceil(xmin); v <= xmax + 1e-9; v += xstep)
        o << "<text class=\"tick\" x=\"" << num(X(v)) << "\" y=\"" << num(H - bottom + 16)
          << "\" text-anchor=\"middle\">" << tick_label(v, 1) << "</text>";
    o << "<line class=\"axis\" x1=\"" << num(left) << "\" x2=\"" << num(W - right) << "\" y1=\""
      << num(H - bottom) << "\" y2=\"" << num(H - bottom) << "\"/>";
    o << "<text class=\"axis-label\" x=\"" << num(left + pw / 2) << "\" y=\"" << num(H - 4)
      << "\" text-anchor=\"middle\">epoch</text>";
    o << "<text class=\"axis-label\" transform=\"translate(12 " << num(top + ph / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">" << html_escape(chart.y_label) << "</text>";
    if (chart.marker_x >= 0 && chart.marker_x >= xmin && chart.marker_x <= xmax)
        o << "<line class=\"marker\" x1=\"" << num(X(chart.marker_x)) << "\" x2=\""
          << num(X(chart.marker_x)) << "\" y1=\"" << num(top) << "\" y2=\"" << num(H - bottom)
          << "\"><title>selected checkpoint: epoch " << tick_label(chart.marker_x, 1)
          << "</title></line>";

    for (const Series& s : chart.series) {
        std::ostringstream path;
        bool pen_down = false;
        std::ostringstream dots;
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) { pen_down = false; continue; }
            path << (pen_down ? " L" : " M") << num(X(s.x[i])) << ' ' << num(Y(s.y[i]));
            pen_down = true;
            dots << "<circle cx=\"" << num(X(s.x[i])) << "\" cy=\"" << num(Y(s.y[i]))
                 << "\" r=\"2.6\" fill=\"" << s.color << "\"><title>" << html_escape(s.name)
                 << ", epoch " << tick_label(s.x[i], 1) << ": " << format_metric(s.y[i])
                 << "</title></circle>";
        }
        o << "<path d=\"" << path.str() << "\" fill=\"none\" stroke=\"" << s.color
          << "\" stroke-width=\"2\" stroke-linejoin=\"round\""
          << (s.dashed ? " stroke-dasharray=\"5 4\"" : "") << "/>" << dots.str();
    }
    o << "</svg>";
    return o.str();
}

std::string render_bar_chart(const BarChart& chart) {
    const double W = chart.width, H = chart.height;
    const double left = 44, right = 10, top = 10, bottom = 30;
    const double pw = W - left - right, ph = H - top - bottom;
    auto Y = [&](double y) { return top + (1 - std::clamp(y, 0.0, 1.0)) * ph; };
    std::ostringstream o;
    o << open_svg(chart.width, chart.height, chart.y_label + " per class");
    for (double v : nice_ticks(0, 1, 6))
        o << "<line class=\"grid\" x1=\"" << num(left) << "\" x2=\"" << num(W - right) << "\" y1=\""
          << num(Y(v)) << "\" y2=\"" << num(Y(v)) << "\"/><text class=\"tick\" x=\"" << num(left - 6)
          << "\" y=\"" << num(Y(v) + 4) << "\" text-anchor=\"end\">" << tick_label(v, 0.2) << "</text>";
    o << "<text class=\"axis-label\" transform=\"translate(12 " << num(top + ph / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">" << html_escape(chart.y_label) << "</text>";
    const size_t groups = chart.groups.size(), series = chart.series_names.size();
    if (groups == 0 || series == 0) return o.str() + "</svg>";
    const double gw = pw / groups;
    const double inner = gw * 0.82;
    const double bw = inner / series;
    for (size_t g = 0; g < groups; ++g) {
        double gx = left + g * gw + (gw - inner) / 2;
        for (size_t s = 0; s < series; ++s) {
            double v = s < chart.values.size() && g < chart.values[s].size() ? chart.values[s][g] : NAN;
            if (!std::isfinite(v)) continue;
            double y = Y(v);
            o << "<rect x=\"" << num(gx + s * bw + 0.5) << "\" y=\"" << num(y) << "\" width=\""
              << num(std::max(1.0, bw - 1)) << "\" height=\"" << num(std::max(0.0, H - bottom - y))
              << "\" rx=\"1.5\" fill=\"" << chart.colors[s % chart.colors.size()] << "\"><title>"
              << html_escape(chart.series_names[s]) << " · " << html_escape(chart.groups[g]) << ": "
              << format_metric(v) << "</title></rect>";
        }
        o << "<text class=\"tick\" x=\"" << num(left + g * gw + gw / 2) << "\" y=\""
          << num(H - bottom + 18) << "\" text-anchor=\"middle\">"
          << html_escape(chart.groups[g]) << "</text>";
    }
    o << "<line class=\"axis\" x1=\"" << num(left) << "\" x2=\"" << num(W - right) << "\" y1=\""
      << num(H - bottom) << "\" y2=\"" << num(H - bottom) << "\"/></svg>";
    return o.str();
}

std::string render_confusion_matrix(const std::vector<std::vector<double>>& confusion,
                                    const std::vector<std::string>& classes) {
    const size_t n = confusion.size();
    const double cell = 58, left = 86, top = 40, right = 8, bottom = 8;
    const double W = left + n * cell + right, H = top + n * cell + bottom + 18;
    std::ostringstream o;
    o << open_svg(static_cast<int>(W), static_cast<int>(H), "confusion matrix");
    o << "<text class=\"axis-label\" x=\"" << num(left + n * cell / 2) << "\" y=\"12\" "
         "text-anchor=\"middle\">predicted</text>";
    o << "<text class=\"axis-label\" transform=\"translate(10 " << num(top + n * cell / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">true</text>";
    for (size_t i = 0; i < n; ++i) {
        std::string name = i < classes.size() ? short_class_name(classes[i]) : std::to_string(i);
        o << "<text class=\"tick\" x=\"" << num(left + i * cell + cell / 2) << "\" y=\""
          << num(top - 8) << "\" text-anchor=\"middle\">" << html_escape(name) << "</text>";
        o << "<text class=\"tick\" x=\"" << num(left - 6) << "\" y=\""
          << num(top + i * cell + cell / 2 + 4) << "\" text-anchor=\"end\">" << html_escape(name)
          << "</text>";
    }
    for (size_t t = 0; t < n; ++t) {
        double row = 0;
        for (double v : confusion[t]) row += v;
        for (size_t p = 0; p < confusion[t].size() && p < n; ++p) {
            double v = confusion[t][p];
            double frac = row > 0 ? v / row : 0;
            double x = left + p * cell, y = top + t * cell;
            char pct[32];
            std::snprintf(pct, sizeof pct, "%.0f%%", frac * 100);
            std::string fill = t == p ? blend("#f4f8fb", "#1f5f99", frac) : blend("#fbf7f4", "#b5472a", frac);
            const char* ink = frac > 0.55 ? "#ffffff" : "#1d2733";
            o << "<g><rect x=\"" << num(x + 1) << "\" y=\"" << num(y + 1) << "\" width=\""
              << num(cell - 2) << "\" height=\"" << num(cell - 2) << "\" rx=\"3\" fill=\"" << fill
              << "\"/><text class=\"cm-count\" x=\"" << num(x + cell / 2) << "\" y=\""
              << num(y + cell / 2 + 1) << "\" text-anchor=\"middle\" fill=\"" << ink << "\">"
              << format_count(v) << "</text><text class=\"cm-frac\" x=\"" << num(x + cell / 2)
              << "\" y=\"" << num(y + cell / 2 + 15) << "\" text-anchor=\"middle\" fill=\"" << ink
              << "\">" << pct << "</text><title>true "
              << html_escape(t < classes.size() ? classes[t] : std::to_string(t)) << ", predicted "
              << html_escape(p < classes.size() ? classes[p] : std::to_string(p)) << ": "
              << format_count(v) << " (" << pct << " of the row)</title></g>";
        }
    }
    o << "<text class=\"muted small\" x=\"" << num(left) << "\" y=\"" << num(H - 4)
      << "\">cells: count and % of the true class</text></svg>";
    return o.str();
}

std::string render_reliability_diagram(const std::vector<ReliabilitySeries>& series, int size) {
    const double W = size, H = size, left = 44, right = 12, top = 12, bottom = 38;
    const double pw = W - left - right, ph = H - top - bottom;
    auto X = [&](double x) { return left + x * pw; };
    auto Y = [&](double y) { return top + (1 - y) * ph; };
    std::ostringstream o;
    o << open_svg(size, size, "reliability diagram: accuracy against confidence");
    for (int i = 0; i <= 5; ++i) {
        const double v = i / 5.0;
        o << "<line class=\"grid\" x1=\"" << num(left) << "\" x2=\"" << num(W - right) << "\" y1=\"" << num(Y(v))
          << "\" y2=\"" << num(Y(v)) << "\"/><text class=\"tick\" x=\"" << num(left - 6) << "\" y=\"" << num(Y(v) + 4)
          << "\" text-anchor=\"end\">" << tick_label(v, 0.2) << "</text><text class=\"tick\" x=\"" << num(X(v))
          << "\" y=\"" << num(H - bottom + 16) << "\" text-anchor=\"middle\">" << tick_label(v, 0.2) << "</text>";
    }
    o << "<line class=\"marker\" x1=\"" << num(X(0)) << "\" y1=\"" << num(Y(0)) << "\" x2=\"" << num(X(1)) << "\" y2=\""
      << num(Y(1)) << "\"><title>perfect calibration</title></line>";
    o << "<text class=\"axis-label\" x=\"" << num(left + pw / 2) << "\" y=\"" << num(H - 4)
      << "\" text-anchor=\"middle\">confidence (largest probability)</text><text class=\"axis-label\" transform=\"translate(12 "
      << num(top + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\">accuracy</text>";
    for (const ReliabilitySeries& s : series) {
        long long total = 0;
        for (long long c : s.count) total += c;
        std::ostringstream line;
        for (size_t i = 0; i < s.confidence.size() && i < s.accuracy.size() && i < s.count.size(); ++i) {
            if (s.count[i] <= 0) continue;
            line << (line.tellp() > 0 ? " " : "") << num(X(s.confidence[i])) << "," << num(Y(s.accuracy[i]));
        }
        o << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"1.5\" points=\"" << line.str() << "\"/>";
        for (size_t i = 0; i < s.confidence.size() && i < s.accuracy.size() && i < s.count.size(); ++i) {
            if (s.count[i] <= 0) continue;
            const double r = 2 + 8 * std::sqrt(static_cast<double>(s.count[i]) / std::max(1LL, total));
            char tip[160];
            std::snprintf(tip, sizeof tip, ": confidence %.3f, accuracy %.3f, %lld samples", s.confidence[i], s.accuracy[i], s.count[i]);
            o << "<circle cx=\"" << num(X(s.confidence[i])) << "\" cy=\"" << num(Y(s.accuracy[i])) << "\" r=\"" << num(r)
              << "\" fill=\"" << s.color << "\" fill-opacity=\"0.55\"><title>" << html_escape(s.name) << tip << "</title></circle>";
        }
    }
    o << "</svg>";
    return o.str();
}

std::string standalone_svg(const std::string& svg, const std::string& title) {
    const size_t open_end = svg.find('>');
    if (open_end == std::string::npos) return svg;
    const std::string style =
        "<style>text{font-family:DejaVu Sans,Arial,sans-serif}.tick{font-size:11px;fill:#667085}"
        ".axis-label{font-size:11px;fill:#475467}.grid{stroke:#eef0f3;stroke-width:1}.axis{stroke:#98a2b3;stroke-width:1}"
        ".marker{stroke:#98a2b3;stroke-width:1.2;stroke-dasharray:2 3}.muted{fill:#98a2b3}.title{font-size:12px;font-weight:600;fill:#344054}</style>"
        "<title>" + html_escape(title) + "</title><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>";
    std::string out = svg.substr(0, open_end + 1) + style + svg.substr(open_end + 1);
    // A fixed size instead of 100 %: a file has no container to fill.
    const size_t w = out.find("width=\"100%\"");
    if (w != std::string::npos && w < open_end) out.replace(w, 12, "width=\"360\" height=\"360\"");
    return out;
}

}  // namespace alzscan::report
