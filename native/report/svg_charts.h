// native/report/svg_charts.h: small inline-SVG charts for the offline report (no library, no
// script: the page must render with the network off and JavaScript disabled).
//
//   alzscan::report::LineChart c;
//   c.y_label = "loss";
//   c.series.push_back({"train", "#1f77b4", {1, 2, 3}, {0.9, 0.6, 0.5}, /*dashed=*/true});
//   std::string svg = alzscan::report::render_line_chart(c);   // "<svg ...>...</svg>"
//
// Coordinates are in user units; the SVG scales to its container (viewBox, width 100 %).
// Every data point carries a <title> tooltip with its exact value. NaN points are skipped.
#pragma once

#include <string>
#include <vector>

namespace alzscan::report {

// A colour per run, Tableau-10 order, cycling.
const char* series_color(size_t index);

struct Series {
    std::string name;
    std::string color;
    std::vector<double> x;
    std::vector<double> y;
    bool dashed = false;
};

struct LineChart {
    std::string y_label;
    std::vector<Series> series;
    double marker_x = -1;       // a dotted vertical line at this x (the selected epoch); < 0: none
    bool unit_interval = false; // values are fractions: the axis stays within [0, 1]
    int width = 360;            // about its on-screen size in a three-column grid: text stays legible
    int height = 210;
};
std::string render_line_chart(const LineChart& chart);

struct BarChart {
    std::vector<std::string> groups;        // x-axis group labels, shown as given
    std::vector<std::string> series_names;  // one bar per series in each group (runs)
    std::vector<std::string> colors;        // per series
    std::vector<std::vector<double>> values;  // [series][group], fractions in [0, 1]
    std::string y_label;
    int width = 360;
    int height = 230;
};
std::string render_bar_chart(const BarChart& chart);

// confusion[true][predicted] counts; cells are shaded by the row fraction (recall view).
std::string render_confusion_matrix(const std::vector<std::vector<double>>& confusion,
                                    const std::vector<std::string>& classes);

// A reliability diagram: accuracy against mean confidence per confidence bin (points sized by the
// bin's share of samples, empty bins left out), the diagonal is perfect calibration.
struct ReliabilitySeries {
    std::string name;
    std::string color;
    std::vector<double> confidence, accuracy;
    std::vector<long long> count;
};
std::string render_reliability_diagram(const std::vector<ReliabilitySeries>& series, int size = 300);

// A chart as a file of its own (an image in Markdown): its classes styled inside it, a white
// background, `title` as its <title>, 360 x 360.
std::string standalone_svg(const std::string& svg, const std::string& title);

// "Very_Mild_Demented" -> "Very mild": axis labels that fit.
std::string short_class_name(const std::string& name);

// Round tick values covering [lo, hi] with about `target` ticks.
std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace alzscan::report
