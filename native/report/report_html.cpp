// The offline HTML page: inline CSS + inline SVG, no script, no external resource.
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "report/report.h"
#include "report/report_format.h"
#include "report/report_tables.h"
#include "report/svg_charts.h"

namespace alzscan::report {

using nlohmann::json;

namespace {

const char* kStyle = R"CSS(
:root{--bg:#f4f5f7;--card:#fff;--ink:#1d2733;--muted:#667085;--line:#e4e7ec;--accent:#1f5f99;
--best:#e7f4ea;--best-ink:#17603a;}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{background:#15202b;color:#fff;padding:18px 28px 14px}
header.top h1{margin:0;font-size:20px;font-weight:600;letter-spacing:.2px}
header.top .sub{color:#b8c4d0;margin-top:4px;font-size:13px}
nav{position:sticky;top:0;z-index:5;background:#1c2a38;padding:0 24px;display:flex;flex-wrap:wrap}
nav a{color:#d5dde5;text-decoration:none;padding:9px 12px;font-size:13px}
nav a:hover{color:#fff;background:#26384a}
main{max-width:1280px;margin:0 auto;padding:18px 24px 40px}
section{margin:0 0 26px}
h2{font-size:17px;margin:18px 0 10px;font-weight:600}
h3{font-size:14px;margin:0 0 8px;font-weight:600}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;
box-shadow:0 1px 2px rgba(16,24,40,.04)}
.note{color:var(--muted);font-size:13px;margin:0 0 10px}
.callout{background:#fff8e6;border:1px solid #f3d99b;border-radius:8px;padding:8px 12px;margin:0 0 14px;
font-size:13px}
.grid{display:grid;gap:14px}
.g3{grid-template-columns:repeat(auto-fit,minmax(320px,1fr))}
.g2{grid-template-columns:repeat(auto-fit,minmax(440px,1fr))}
.gcm{grid-template-columns:repeat(auto-fill,minmax(300px,1fr))}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 9px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{background:#f8f9fb;color:#475467;font-weight:600;white-space:normal;vertical-align:bottom;min-width:64px}
tbody tr:nth-child(even){background:#fbfcfd}
tbody tr:hover{background:#f1f6fb}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th.num{text-align:right}
td.best{background:var(--best);color:var(--best-ink);font-weight:700}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:4px 0 10px;font-size:13px}
.legend span.sw{display:inline-block;width:14px;height:4px;border-radius:2px;margin-right:6px;
vertical-align:middle}
.legend span.sw.dash{background:repeating-linear-gradient(90deg,currentColor 0 5px,transparent 5px 9px)!important}
.chart-title{font-size:13px;font-weight:600;margin:0 0 2px;color:#344054}
svg text{font-family:inherit}
svg .tick{font-size:11px;fill:#667085}
svg .axis-label{font-size:11px;fill:#475467}
svg .grid{stroke:#eef0f3;stroke-width:1}
svg .axis{stroke:#98a2b3;stroke-width:1}
svg .marker{stroke:#98a2b3;stroke-width:1.2;stroke-dasharray:2 3}
svg .cm-count{font-size:15px;font-weight:600}
svg .cm-frac{font-size:10px;opacity:.85}
svg .muted{fill:#98a2b3}
svg .small{font-size:10px}
footer{color:var(--muted);font-size:12px;max-width:1280px;margin:0 auto;padding:0 24px 30px}
@media print{nav{display:none}.card{box-shadow:none}}
)CSS";

const json& member(const json& j, const char* key) {
    static const json empty = json::object();
    if (!j.is_object()) return empty;
    auto it = j.find(key);
    return it == j.end() ? empty : *it;
}

std::string table_html(const Table& t) {
    std::ostringstream o;
    o << "<div class=\"card\"><h3>" << html_escape(t.title) << "</h3>";
    if (!t.note.empty()) o << "<p class=\"note\">" << html_escape(t.note) << "</p>";
    std::vector<bool> numeric(t.header.size(), false);
    for (const auto& row : t.rows)
        for (size_t i = 0; i < row.size() && i < numeric.size(); ++i) numeric[i] = numeric[i] || row[i].numeric;
    o << "<div class=\"scroll\"><table class=\"metrics\" id=\"table-" << t.id << "\"><thead><tr>";
    for (size_t i = 0; i < t.header.size(); ++i)
        o << "<th" << (numeric[i] ? " class=\"num\"" : "") << ">" << html_escape(t.header[i]) << "</th>";
    o << "</tr></thead><tbody>";
    for (const auto& row : t.rows) {
        o << "<tr>";
        for (const Cell& c : row) {
            std::string cls = std::string(c.numeric ? "num" : "") + (c.best ? " best" : "");
            o << "<td" << (cls.empty() ? "" : " class=\"" + cls + "\"") << ">" << html_escape(c.text) << "</td>";
        }
        o << "</tr>";
    }
    o << "</tbody></table></div></div>";
    return o.str();
}

struct Legend {
    std::string name, color;
    bool dashed = false;
};

std::string legend_html(const std::vector<Legend>& items) {
    std::ostringstream o;
    o << "<div class=\"legend\">";
    for (const Legend& l : items)
        o << "<span style=\"color:" << l.color << "\"><span class=\"sw" << (l.dashed ? " dash" : "")
          << "\" style=\"background:" << l.color << "\"></span><span style=\"color:var(--ink)\">"
          << html_escape(l.name) << "</span></span>";
    o << "</div>";
    return o.str();
}

Series epoch_series(const RunData& run, const char* split, const char* key, std::string name,
                    std::string color, bool dashed) {
    Series s{std::move(name), std::move(color), {}, {}, dashed};
    for (const json& e : run.epochs) {
        s.x.push_back(number_or_nan(e, "epoch"));
        s.y.push_back(number_or_nan(member(e, split), key));
    }
    return s;
}

std::string figure(const std::string& title, const std::string& svg) {
    return "<div><p class=\"chart-title\">" + html_escape(title) + "</p>" + svg + "</div>";
}

struct MetricSpec {
    const char* key;
    const char* title;
    bool unit;
};
const MetricSpec kCurveMetrics[] = {
    {"loss", "Loss", false}, {"accuracy", "Accuracy", true}, {"macro_f1", "Macro F1", true}};

const char* kTrainColor = "#4e79a7";
const char* kValColor = "#59a14f";
const char* kTestColor = "#e15759";

std::string per_run_curves(const RunData& run) {
    std::ostringstream o;
    o << "<div class=\"card\"><h3>" << html_escape(run.label()) << "</h3>";
    const json& seed = member(member(run.config, "experiment"), "seed_conclusion");
    if (seed.is_string()) o << "<p class=\"note\">The seed concluded: " << html_escape(seed.get<std::string>()) << "</p>";
    double selected = number_or_nan(run.final_metrics, "epoch");
    o << legend_html({{"train", kTrainColor, true}, {"val", kValColor, false}, {"test", kTestColor, false}});
    o << "<div class=\"grid g3\">";
    for (const MetricSpec& m : kCurveMetrics) {
        LineChart c;
        c.y_label = m.key == std::string("macro_f1") ? "macro F1" : m.key;
        c.unit_interval = m.unit;
        c.marker_x = std::isfinite(selected) ? selected : -1;
        c.series = {epoch_series(run, "train", m.key, "train", kTrainColor, true),
                    epoch_series(run, "val", m.key, "val", kValColor, false),
                    epoch_series(run, "test", m.key, "test", kTestColor, false)};
        o << figure(m.title, render_line_chart(c));
    }
    o << "</div></div>";
    return o.str();
}

std::string overlay_section(const std::vector<RunData>& runs) {
    std::ostringstream o;
    std::vector<Legend> legend;
    for (size_t i = 0; i < runs.size(); ++i) legend.push_back({runs[i].label(), series_color(i), false});
    o << "<div class=\"card\">" << legend_html(legend) << "<div class=\"grid g3\">";
    for (const MetricSpec& m : kCurveMetrics) {
        LineChart c;
        c.y_label = std::string("test ") + (m.key == std::string("macro_f1") ? "macro F1" : m.key);
        c.unit_interval = m.unit;
        for (size_t i = 0; i < runs.size(); ++i)
            c.series.push_back(epoch_series(runs[i], "test", m.key, runs[i].label(), series_color(i), false));
        o << figure(std::string("Test ") + m.title, render_line_chart(c));
    }
    o << "</div></div>";
    return o.str();
}

std::string train_vs_test_loss(const std::vector<RunData>& runs) {
    LineChart c;
    c.y_label = "loss";
    c.width = 1200;
    c.height = 330;
    for (size_t i = 0; i < runs.size(); ++i) {
        c.series.push_back(epoch_series(runs[i], "train", "loss", runs[i].label() + " train", series_color(i), true));
        c.series.push_back(epoch_series(runs[i], "test", "loss", runs[i].label() + " test", series_color(i), false));
    }
    std::vector<Legend> legend = {{"train (dashed)", "#667085", true}, {"test (solid)", "#667085", false}};
    return "<div class=\"card\"><h3>Train vs test loss, all runs</h3>" + legend_html(legend) +
           render_line_chart(c) + "</div>";
}

std::vector<std::string> union_classes(const std::vector<RunData>& runs) {
    std::vector<std::string> classes;
    std::set<std::string> seen;
    for (const RunData& r : runs)
        for (const std::string& c : r.classes)
            if (seen.insert(c).second) classes.push_back(c);
    return classes;
}

std::string per_class_bars(const std::vector<RunData>& runs) {
    std::vector<std::string> classes = union_classes(runs);
    std::ostringstream o;
    std::vector<Legend> legend;
    for (size_t i = 0; i < runs.size(); ++i) legend.push_back({runs[i].label(), series_color(i), false});
    o << "<div class=\"card\">" << legend_html(legend) << "<div class=\"grid g3\">";
    for (const char* key : {"precision", "recall", "f1"}) {
        BarChart b;
        for (const std::string& c : classes) b.groups.push_back(short_class_name(c));
        b.y_label = key == std::string("f1") ? "F1" : key;
        for (size_t i = 0; i < runs.size(); ++i) {
            b.series_names.push_back(runs[i].label());
            b.colors.push_back(series_color(i));
            std::vector<double> v;
            for (const std::string& c : classes)
                v.push_back(number_or_nan(member(member(member(runs[i].final_metrics, "test"), "per_class"), c.c_str()), key));
            b.values.push_back(std::move(v));
        }
        std::string title = std::string("Test ") + (key == std::string("f1") ? "F1" : key) + " by class";
        title[5] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[5])));
        o << figure(title, render_bar_chart(b));
    }
    o << "</div></div>";
    return o.str();
}

std::string overall_bars(const std::vector<RunData>& runs) {
    BarChart b;
    const std::pair<const char*, const char*> metrics[] = {{"accuracy", "Accuracy"},
                                                           {"balanced_accuracy", "Balanced acc."},
                                                           {"macro_precision", "Macro precision"},
                                                           {"macro_recall", "Macro recall"},
                                                           {"macro_f1", "Macro F1"}};
    for (const auto& m : metrics) b.groups.push_back(m.second);
    b.y_label = "test";
    b.width = 1200;
    b.height = 280;
    for (size_t i = 0; i < runs.size(); ++i) {
        b.series_names.push_back(runs[i].label());
        b.colors.push_back(series_color(i));
        std::vector<double> v;
        for (const auto& m : metrics) v.push_back(number_or_nan(member(runs[i].final_metrics, "test"), m.first));
        b.values.push_back(std::move(v));
    }
    return render_bar_chart(b);
}

std::string confusion_cards(const std::vector<RunData>& runs) {
    std::ostringstream o;
    o << "<div class=\"grid gcm\">";
    for (const RunData& run : runs) {
        const json& cm = member(member(run.final_metrics, "test"), "confusion");
        o << "<div class=\"card\"><h3>" << html_escape(run.label()) << "</h3>";
        std::vector<std::vector<double>> m;
        if (cm.is_array())
            for (const json& row : cm) {
                std::vector<double> r;
                if (row.is_array())
                    for (const json& v : row) r.push_back(v.is_number() ? v.get<double>() : NAN);
                m.push_back(std::move(r));
            }
        if (m.empty()) o << "<p class=\"note\">no confusion matrix in metrics.jsonl</p>";
        else o << render_confusion_matrix(m, run.classes);
        o << "</div>";
    }
    o << "</div>";
    return o.str();
}

std::string subtitle(const std::vector<RunData>& runs, const ReportOptions& options) {
    std::set<std::string> splits, profiles;
    for (const RunData& r : runs) {
        const json& split = member(member(r.config, "data"), "split");
        if (split.is_string()) splits.insert(split.get<std::string>());
        const json& profile = member(r.config, "profile");
        if (profile.is_string()) profiles.insert(profile.get<std::string>());
    }
    auto join = [](const std::set<std::string>& s) {
        std::string out;
        for (const std::string& v : s) out += (out.empty() ? "" : ", ") + v;
        return out;
    };
    std::string sub = std::to_string(runs.size()) + (runs.size() == 1 ? " run" : " runs");
    if (!splits.empty()) sub += " · split: " + join(splits);
    if (!profiles.empty()) sub += " · profile: " + join(profiles);
    if (!options.generated_at.empty()) sub += " · generated " + options.generated_at;
    return sub;
}

}  // namespace

namespace {

std::string fixed(double v, int digits = 3) {
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}


}  // namespace

ReliabilitySeries reliability_series(const nlohmann::json& stats, const std::string& name, const std::string& color) {
    ReliabilitySeries s;
    s.name = name;
    s.color = color;
    for (const auto& b : stats.at("bins")) {
        s.confidence.push_back(b.at("confidence").get<double>());
        s.accuracy.push_back(b.at("accuracy").get<double>());
        s.count.push_back(b.at("count").get<long long>());
    }
    return s;
}

std::string cross_validation_html(const CrossValidation& x) {
    const nlohmann::json& model = x.cv.at("model");
    const nlohmann::json& people = model.at("people");
    std::ostringstream o;
    o << "<div class=\"card\"><h3>" << html_escape(x.dir) << ": " << people.value("count", 0) << " people, out of fold</h3>"
      << "<table><tr><th>person level</th><th>value</th><th>95 % interval (bootstrap over people)</th></tr>";
    for (const char* metric : {"balanced_accuracy", "balanced_accuracy_3", "dementia_auc", "macro_f1"}) {
        if (!people.contains(metric)) continue;
        o << "<tr><td>" << metric << "</td><td>" << fixed(people[metric].get<double>()) << "</td><td>";
        if (people.contains("intervals") && people["intervals"].contains(metric))
            o << fixed(people["intervals"][metric][0].get<double>()) << "–" << fixed(people["intervals"][metric][1].get<double>());
        o << "</td></tr>";
    }
    o << "</table>";
    if (model.contains("calibration")) {
        const nlohmann::json& c = model["calibration"];
        o << "<h3>Calibration (" << html_escape(c.value("method", "")) << ")</h3><table><tr><th>level</th><th>ECE before</th>"
             "<th>ECE after</th><th>Brier before</th><th>Brier after</th><th>NLL before</th><th>NLL after</th></tr>";
        for (const char* level : {"slices", "people"}) {
            const nlohmann::json& b = c[level]["before"];
            const nlohmann::json& a = c[level]["after"];
            o << "<tr><td>" << level << "</td><td>" << fixed(b["ece"].get<double>()) << "</td><td>" << fixed(a["ece"].get<double>())
              << "</td><td>" << fixed(b["brier"].get<double>()) << "</td><td>" << fixed(a["brier"].get<double>()) << "</td><td>"
              << fixed(b["nll"].get<double>()) << "</td><td>" << fixed(a["nll"].get<double>()) << "</td></tr>";
        }
        o << "</table><div style=\"display:flex;gap:18px;flex-wrap:wrap\">";
        for (const char* level : {"slices", "people"}) {
            o << "<div style=\"width:340px\">" << figure(std::string("Reliability, ") + level + " (gray: before, blue: after)",
                        render_reliability_diagram({reliability_series(c[level]["before"], "before", "#98a2b3"),
                                                    reliability_series(c[level]["after"], "after", series_color(0))}))
              << "</div>";
        }
        o << "</div>";
    }
    o << "</div>";
    return o.str();
}

std::string render_html(const std::vector<RunData>& runs, const ReportOptions& options) {
    std::vector<Table> tables = build_tables(runs);
    std::map<std::string, const Table*> by_id;
    for (const Table& t : tables) by_id[t.id] = &t;
    bool any_hf = false;
    for (const RunData& r : runs) any_hf = any_hf || member(member(r.config, "data"), "split") == "hf";

    std::ostringstream o;
    o << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:\">"
      << "<title>" << html_escape(options.title) << "</title><style>" << kStyle << "</style></head><body>";
    o << "<header class=\"top\"><h1>" << html_escape(options.title) << "</h1><div class=\"sub\">"
      << html_escape(subtitle(runs, options)) << "</div></header>";
    o << "<nav><a href=\"#summary\">Summary</a><a href=\"#overlay\">Compared curves</a>"
         "<a href=\"#per-class\">Per class</a><a href=\"#confusion\">Confusion</a>"
         "<a href=\"#loss\">Loss</a><a href=\"#curves\">Each run</a><a href=\"#runs\">Runs</a></nav><main>";

    for (size_t i = 0; i < options.cross_validations.size(); ++i)
        o << "<section id=\"cv-" << i << "\"><h2>Cross-validation by person</h2>"
          << cross_validation_html(options.cross_validations[i]) << "</section>";
    if (!options.atrophy_svg.empty())
        o << "<section id=\"atrophy\"><h2>Atrophy evidence</h2><p>" << html_escape(options.atrophy_note) << "</p>"
          << options.atrophy_svg << "</section>";
    o << "<section id=\"summary\"><h2>Summary</h2><p class=\"callout\">" << html_escape(final_description(runs));
    o << " Best value per column highlighted.";
    if (any_hf)
        o << " On the HF split neighbouring slices of the same subject sit in train and test "
             "(image-level leakage): read its numbers as an upper bound.";
    o << "</p>" << table_html(*by_id["comparison"]);
    o << "<div class=\"card\" style=\"margin-top:14px\"><h3>Overall test metrics</h3>";
    std::vector<Legend> legend;
    for (size_t i = 0; i < runs.size(); ++i) legend.push_back({runs[i].label(), series_color(i), false});
    o << legend_html(legend) << overall_bars(runs) << "</div></section>";

    o << "<section id=\"overlay\"><h2>Test curves, runs overlaid</h2>" << overlay_section(runs) << "</section>";
    o << "<section id=\"per-class\"><h2>Per class</h2>" << per_class_bars(runs)
      << "<div style=\"margin-top:14px\">" << table_html(*by_id["per_class"]) << "</div></section>";
    o << "<section id=\"confusion\"><h2>Confusion matrices (test, selected checkpoint)</h2>"
      << confusion_cards(runs) << "</section>";
    o << "<section id=\"loss\"><h2>Loss</h2>" << table_html(*by_id["loss"])
      << "<div style=\"margin-top:14px\">" << train_vs_test_loss(runs) << "</div></section>";
    o << "<section id=\"curves\"><h2>Train, val and test curves per run</h2>"
         "<p class=\"note\">Dotted vertical line: the selected epoch.</p><div class=\"grid\">";
    for (const RunData& run : runs) o << per_run_curves(run);
    o << "</div></section>";
    o << "<section id=\"runs\"><h2>Runs</h2>" << table_html(*by_id["runs"]) << "</section>";
    o << "</main><footer>Written by " << html_escape(options.generator)
      << " from each run's config.json and metrics.jsonl. Offline page: no script, no network. "
         "Metrics are image-level (slices), not patient-level.</footer></body></html>\n";
    return o.str();
}

}  // namespace alzscan::report
