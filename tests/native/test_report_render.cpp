// The report's tables, number formatting, charts and files, checked against the fixture runs'
// JSON read independently here (not through run_data.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report/report.h"
#include "report/report_format.h"
#include "report/report_tables.h"
#include "report/svg_charts.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace alzscan::report;

namespace {

const std::string kFixtures = ALZSCAN_FIXTURES_DIR "/runs";
const char* kRunNames[] = {"exp0-baseline", "exp2-balanced", "interrupted-small"};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The line the report must call "final": the "final": true line, else the last line.
json expected_final(const std::string& run) {
    std::ifstream in(fs::path(kFixtures) / run / "metrics.jsonl");
    std::string line;
    json last, fin;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        json j = json::parse(line);
        last = j;
        if (j.contains("final")) fin = j;
    }
    return fin.is_null() ? last : fin;
}

std::string fmt4(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.4f", v);
    return b;
}

std::vector<RunData> fixture_runs() {
    std::vector<RunData> runs;
    for (const char* name : kRunNames) {
        auto r = load_run(kFixtures + "/" + name);
        EXPECT_TRUE(r) << r.error();
        runs.push_back(std::move(r).value());
    }
    return runs;
}

const Table& find_table(const std::vector<Table>& tables, const std::string& id) {
    for (const Table& t : tables)
        if (t.id == id) return t;
    throw std::runtime_error("no table " + id);
}

size_t column(const Table& t, const std::string& header) {
    for (size_t i = 0; i < t.header.size(); ++i)
        if (t.header[i] == header) return i;
    throw std::runtime_error("no column " + header);
}

}  // namespace

TEST(ReportFormat, Numbers) {
    EXPECT_EQ(format_metric(0.91234), "0.9123");
    EXPECT_EQ(format_metric(0.91236), "0.9124");
    EXPECT_EQ(format_metric(1.0), "1.0000");
    EXPECT_EQ(format_metric(NAN), kMissing);
    EXPECT_EQ(format_interval(0.1381, 0.60944), "0.1381 – 0.6094");
    EXPECT_EQ(format_count(179.0), "179");
    EXPECT_EQ(html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    EXPECT_EQ(markdown_escape("a|b\nc"), "a\\|b c");
    EXPECT_TRUE(std::isnan(number_or_nan(json{{"a", "text"}}, "a")));
    EXPECT_TRUE(std::isnan(number_or_nan(json{{"a", 1}}, "b")));
    EXPECT_DOUBLE_EQ(number_or_nan(json{{"a", 0.25}}, "a"), 0.25);
}

TEST(ReportCharts, NiceTicksAndNames) {
    EXPECT_EQ(nice_ticks(0, 1, 6), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
    std::vector<double> t = nice_ticks(0.43, 1.41, 5);   // step 0.25 covers it in 4 ticks
    ASSERT_EQ(t.size(), 4u);
    EXPECT_DOUBLE_EQ(t.front(), 0.5);
    EXPECT_DOUBLE_EQ(t.back(), 1.25);
    EXPECT_EQ(short_class_name("Very_Mild_Demented"), "Very mild");
    EXPECT_EQ(short_class_name("Moderate_Demented"), "Moderate");
    EXPECT_EQ(short_class_name("Non_Demented"), "Non");
}

TEST(ReportCharts, ConfusionMatrixShowsEveryCount) {
    std::string svg = render_confusion_matrix({{7, 2}, {3, 30}}, {"Mild_Demented", "Non_Demented"});
    // Row fractions: 7/9, 2/9, 3/33, 30/33.
    for (const char* s : {">7<", ">2<", ">3<", ">30<", ">78%<", ">22%<", ">9%<", ">91%<", ">Mild<", ">Non<"})
        EXPECT_NE(svg.find(s), std::string::npos) << s;
}

TEST(ReportCharts, LineChartSkipsNaNAndLabelsPoints) {
    LineChart c;
    c.y_label = "loss";
    c.series.push_back({"test", "#000000", {1, 2, 3}, {0.5, NAN, 0.25}, false});
    std::string svg = render_line_chart(c);
    EXPECT_NE(svg.find("test, epoch 1: 0.5000"), std::string::npos);
    EXPECT_NE(svg.find("test, epoch 3: 0.2500"), std::string::npos);
    EXPECT_EQ(svg.find("epoch 2:"), std::string::npos);
}

TEST(ReportCharts, ReliabilityDiagramHasAPointPerNonEmptyBin) {
    ReliabilitySeries s{"after", "#1f77b4", {0.3, 0.5, 0.9}, {0.25, 0.5, 0.95}, {10, 0, 30}};
    const std::string svg = render_reliability_diagram({s});
    size_t circles = 0;
    for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++circles;
    EXPECT_EQ(circles, 2u);   // the empty bin is left out
    EXPECT_NE(svg.find("after: confidence 0.900, accuracy 0.950, 30 samples"), std::string::npos) << svg;
    EXPECT_NE(svg.find("perfect calibration"), std::string::npos);
}

TEST(ReportTables, ComparisonTableEqualsMetricsJsonl) {
    std::vector<RunData> runs = fixture_runs();
    std::vector<Table> tables = build_tables(runs);
    const Table& t = find_table(tables, "comparison");
    ASSERT_EQ(t.rows.size(), 3u);
    const std::pair<const char*, const char*> cols[] = {
        {"Accuracy", "accuracy"}, {"Macro precision", "macro_precision"}, {"Macro recall", "macro_recall"},
        {"Macro F1", "macro_f1"}, {"Balanced accuracy", "balanced_accuracy"}, {"Test loss", "loss"}};
    for (size_t r = 0; r < 3; ++r) {
        json fin = expected_final(kRunNames[r]);
        const json& test = fin["test"];
        for (const auto& [header, key] : cols)
            EXPECT_EQ(t.rows[r][column(t, header)].text, fmt4(test[key].get<double>())) << kRunNames[r] << " " << header;
        const json& moderate = test["per_class"]["Moderate_Demented"];
        EXPECT_EQ(t.rows[r][column(t, "Moderate recall")].text, fmt4(moderate["recall"].get<double>()));
        EXPECT_EQ(t.rows[r][column(t, "Moderate recall 95% CI")].text,
                  fmt4(moderate["recall_ci"][0].get<double>()) + " – " + fmt4(moderate["recall_ci"][1].get<double>()));
    }
    EXPECT_EQ(t.rows[0][column(t, "Epoch")].text, "4 (best)");
    EXPECT_EQ(t.rows[2][column(t, "Epoch")].text, "5 (last)");
    // Exactly one best cell per metric column (the fixtures have no ties), and it is the max
    // (min for the loss).
    for (const auto& [header, key] : cols) {
        size_t c = column(t, header);
        int best = 0;
        double best_value = std::string(key) == "loss" ? INFINITY : -INFINITY;
        size_t best_row = 0;
        for (size_t r = 0; r < 3; ++r) {
            best += t.rows[r][c].best ? 1 : 0;
            double v = expected_final(kRunNames[r])["test"][key].get<double>();
            if (std::string(key) == "loss" ? v < best_value : v > best_value) { best_value = v; best_row = r; }
        }
        EXPECT_EQ(best, 1) << header;
        EXPECT_TRUE(t.rows[best_row][c].best) << header;
    }
}

TEST(ReportTables, PerClassAndLossTables) {
    std::vector<RunData> runs = fixture_runs();
    std::vector<Table> tables = build_tables(runs);
    const Table& pc = find_table(tables, "per_class");
    ASSERT_EQ(pc.rows.size(), 12u);
    for (size_t r = 0; r < 12; ++r) {
        json fin = expected_final(kRunNames[r / 4]);
        const std::string cls = pc.rows[r][column(pc, "Class")].text;
        const json& m = fin["test"]["per_class"][cls];
        ASSERT_TRUE(m.is_object()) << cls;
        EXPECT_EQ(pc.rows[r][column(pc, "Precision")].text, fmt4(m["precision"].get<double>()));
        EXPECT_EQ(pc.rows[r][column(pc, "Recall")].text, fmt4(m["recall"].get<double>()));
        EXPECT_EQ(pc.rows[r][column(pc, "F1")].text, fmt4(m["f1"].get<double>()));
        EXPECT_EQ(pc.rows[r][column(pc, "Support")].text, std::to_string(m["support"].get<int>()));
        EXPECT_EQ(pc.rows[r][column(pc, "Predicted")].text, std::to_string(m["predicted"].get<int>()));
    }
    const Table& loss = find_table(tables, "loss");
    ASSERT_EQ(loss.rows.size(), 3u);
    // exp2: selected epoch 4 of 6. Train loss comes from epoch 4's line, the last-epoch columns
    // from epoch 6's.
    std::ifstream in(fs::path(kFixtures) / "exp2-balanced" / "metrics.jsonl");
    std::vector<json> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(json::parse(l));
    EXPECT_EQ(loss.rows[1][column(loss, "Selected epoch")].text, "4");
    EXPECT_EQ(loss.rows[1][column(loss, "Train loss")].text, fmt4(lines[3]["train"]["loss"].get<double>()));
    EXPECT_EQ(loss.rows[1][column(loss, "Val loss")].text, fmt4(lines[6]["val"]["loss"].get<double>()));
    EXPECT_EQ(loss.rows[1][column(loss, "Last epoch")].text, "6");
    EXPECT_EQ(loss.rows[1][column(loss, "Last train loss")].text, fmt4(lines[5]["train"]["loss"].get<double>()));
    EXPECT_EQ(loss.rows[1][column(loss, "Last test loss")].text, fmt4(lines[5]["test"]["loss"].get<double>()));
}

TEST(ReportTables, FinalDescriptionSaysWhichLineWasUsed) {
    std::vector<RunData> runs = fixture_runs();
    std::string d = final_description(runs);
    EXPECT_NE(d.find("\"final\": true"), std::string::npos) << d;
    EXPECT_NE(d.find("last epoch line for interrupted-small"), std::string::npos) << d;
    runs.pop_back();
    EXPECT_NE(final_description(runs).find("for all 2 runs"), std::string::npos);
}

TEST(ReportFiles, WritesOfflinePageAndMarkdownAtomically) {
    fs::path out = fs::temp_directory_path() / ("alzscan_report_out_" + std::to_string(::getpid()));
    fs::remove_all(out);
    std::vector<RunData> runs = fixture_runs();
    ReportOptions opt;
    opt.title = "Fixture <ladder>";
    ASSERT_EQ(write_report(runs, (out / "nested").string(), opt), "");
    std::string html = slurp(out / "nested" / "index.html");
    std::string md = slurp(out / "nested" / "summary.md");
    EXPECT_FALSE(fs::exists(out / "nested" / "index.html.tmp"));
    EXPECT_FALSE(fs::exists(out / "nested" / "summary.md.tmp"));
    EXPECT_NE(html.find("<title>Fixture &lt;ladder&gt;</title>"), std::string::npos);
    // Offline: no script, no stylesheet link, no URL other than the SVG namespace.
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_EQ(html.find("src="), std::string::npos);
    size_t pos = 0, urls = 0;
    while ((pos = html.find("://", pos)) != std::string::npos) {
        ASSERT_GE(pos, 11u);
        EXPECT_EQ(html.compare(pos - 11, 33, "xmlns=\"http://www.w3.org/2000/svg"), 0) << html.substr(pos - 11, 60);
        pos += 3;
        ++urls;
    }
    EXPECT_GT(urls, 10u);   // one per chart
    for (const char* id : {"table-comparison", "table-per_class", "table-loss", "table-runs"})
        EXPECT_NE(html.find(id), std::string::npos) << id;
    // summary.md holds the comparison row of the first run with the same numbers.
    json fin = expected_final("exp0-baseline");
    EXPECT_NE(md.find("| 0 · Baseline: ResNet50 + MLP head | 4 (best) | " + fmt4(fin["test"]["accuracy"].get<double>())),
              std::string::npos) << md.substr(0, 800);
    // Rewriting over existing files works (rename replaces).
    ASSERT_EQ(write_report(runs, (out / "nested").string(), opt), "");
    fs::remove_all(out);
}

TEST(ReportFiles, AtrophySectionOnlyWithAModel) {
    fs::path out = fs::temp_directory_path() / ("alzscan_report_atrophy_" + std::to_string(::getpid()));
    fs::remove_all(out);
    std::vector<RunData> runs = fixture_runs();
    ReportOptions opt;
    ASSERT_EQ(write_report(runs, (out / "plain").string(), opt), "");
    EXPECT_EQ(slurp(out / "plain" / "index.html").find("id=\"atrophy\""), std::string::npos);
    opt.atrophy_svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><desc>bands</desc></svg>";
    opt.atrophy_note = "Measured on 5 people (a<b).";
    ASSERT_EQ(write_report(runs, (out / "model").string(), opt), "");
    const std::string html = slurp(out / "model" / "index.html");
    const size_t section = html.find("<section id=\"atrophy\"><h2>Atrophy evidence</h2>");
    ASSERT_NE(section, std::string::npos);
    EXPECT_NE(html.find("Measured on 5 people (a&lt;b).", section), std::string::npos);   // the note is escaped,
    EXPECT_NE(html.find(opt.atrophy_svg, section), std::string::npos);                    // the picture inlined as is
    fs::remove_all(out);
}

TEST(ReportFiles, UnwritableOutputIsAnError) {
    std::vector<RunData> runs = fixture_runs();
    std::string err = write_report(runs, "/proc/alzscan-cannot-write-here", ReportOptions{});
    EXPECT_NE(err.find("/proc/alzscan-cannot-write-here"), std::string::npos) << err;
}
