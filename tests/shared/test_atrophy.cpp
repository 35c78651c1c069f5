// atrophy.h: percentiles, bands, a scan's summary, its sentence and chart against values worked out
// by hand (numpy's linear quantile: index (n - 1) q between the sorted values).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/atrophy.h"

using namespace alzscan;

namespace {

TissueMeasures tissue(double csf) {
    TissueMeasures t;
    t.found = true;
    t.brain_pixels = 100;
    t.csf_fraction = csf;
    return t;
}

// Classes "a" (5 people, median 0.3), "b" (2 people) and "c" (5 people, median 0.1), each person's
// fraction the same at every position.
AtrophyReference three_classes() {
    AtrophyReference ref;
    ref.classes = {"a", "b", "c"};
    ref.csf_fraction = {{0.1, 0.2, 0.3, 0.4, 0.5}, {0.2, 0.6}, {0.0, 0.05, 0.1, 0.15, 0.2}};
    std::vector<std::vector<std::vector<double>>> people(3);
    for (size_t c = 0; c < 3; ++c)
        for (const double v : ref.csf_fraction[c]) people[c].push_back(std::vector<double>(kPoseLevels, v));
    ref.by_position = atrophy_bands(people);
    ref.fitted_on = "12 people";
    return ref;
}

}  // namespace

TEST(Atrophy, PercentileAmongCountsBelowAndHalfTheTies) {
    const std::vector<double> v = {0.1, 0.2, 0.2, 0.3, 0.5};
    EXPECT_DOUBLE_EQ(percentile_among(v, 0.05), 0.0);
    EXPECT_DOUBLE_EQ(percentile_among(v, 0.2), 100.0 * (1 + 0.5 * 2) / 5);   // 40
    EXPECT_DOUBLE_EQ(percentile_among(v, 0.25), 60.0);
    EXPECT_DOUBLE_EQ(percentile_among(v, 0.9), 100.0);
    EXPECT_EQ(percentile_among({}, 0.3), -1);
}

TEST(Atrophy, BandsAreTheLinearQuantilesOfThePeopleWithASliceThere) {
    std::vector<std::vector<double>> people;
    for (const double v : {0.5, 0.1, 0.4, 0.2, 0.3}) people.push_back(std::vector<double>(kPoseLevels, v));
    people[0][1] = -1;   // person 0 (0.5) has no slice at position 1
    const auto bands = atrophy_bands({people});
    ASSERT_EQ(bands.size(), 1u);
    ASSERT_EQ(bands[0].size(), size_t(kPoseLevels));
    EXPECT_NEAR(bands[0][0].low, 0.14, 1e-12);      // index 0.4: 0.1 + 0.4 * 0.1
    EXPECT_NEAR(bands[0][0].median, 0.3, 1e-12);
    EXPECT_NEAR(bands[0][0].high, 0.46, 1e-12);     // index 3.6: 0.4 + 0.6 * 0.1
    EXPECT_EQ(bands[0][0].people, 5);
    EXPECT_NEAR(bands[0][1].low, 0.13, 1e-12);      // {0.1 .. 0.4}, index 0.3
    EXPECT_NEAR(bands[0][1].median, 0.25, 1e-12);
    EXPECT_NEAR(bands[0][1].high, 0.37, 1e-12);     // index 2.7: 0.3 + 0.7 * 0.1
    EXPECT_EQ(bands[0][1].people, 4);
}

TEST(Atrophy, ReferenceRoundTripsAndBadMembersAreNamed) {
    const AtrophyReference ref = three_classes();
    auto back = parse_atrophy_reference("{\"atrophy\": " + atrophy_reference_json(ref) + "}");
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->classes, ref.classes);
    EXPECT_EQ(back->csf_fraction, ref.csf_fraction);
    ASSERT_EQ(back->by_position.size(), 3u);
    EXPECT_DOUBLE_EQ(back->by_position[0][4].high, ref.by_position[0][4].high);
    EXPECT_EQ(back->by_position[1][0].people, 2);
    EXPECT_EQ(back->fitted_on, "12 people");

    auto unsorted = parse_atrophy_reference(R"({"atrophy": {"csf_fraction": {"a": [0.3, 0.1]}}})");
    ASSERT_TRUE(unsorted);
    EXPECT_EQ(unsorted->csf_fraction[0], (std::vector<double>{0.1, 0.3}));
    EXPECT_TRUE(unsorted->by_position[0].empty());   // a reference without bands is still a reference
    EXPECT_FALSE(parse_atrophy_reference("{}")->enabled());

    auto bad = parse_atrophy_reference(R"({"atrophy": {"csf_fraction": {"a": [0.3, 7]}}})");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("atrophy.csf_fraction.a must be a list of fractions"), std::string::npos) << bad.error();
    auto short_bands = parse_atrophy_reference(R"({"atrophy": {"csf_fraction": {"a": [0.3]}, "by_position": {"a": [[0.1, 0.2, 0.3, 4]]}}})");
    ASSERT_FALSE(short_bands);
    EXPECT_NE(short_bands.error().find("atrophy.by_position.a must list 8 positions"), std::string::npos) << short_bands.error();
}

TEST(Atrophy, PositionIsThePoseLevelElseTheIndexInAStack) {
    SlicePose pose;
    EXPECT_EQ(atrophy_position(pose, 0, 32), 0);
    EXPECT_EQ(atrophy_position(pose, 3, 32), 0);
    EXPECT_EQ(atrophy_position(pose, 4, 32), 1);
    EXPECT_EQ(atrophy_position(pose, 31, 32), 7);
    EXPECT_EQ(atrophy_position(pose, 2, 3), 5);     // 2 * 8 / 3
    EXPECT_EQ(atrophy_position(pose, 0, 1), -1);    // a lone slice without a pose: unknown
    pose.estimated = true;
    pose.level = 5;
    EXPECT_EQ(atrophy_position(pose, 0, 1), 5);
    EXPECT_EQ(atrophy_position(pose, 0, 32), 5);    // anatomy decides over the order of files
}

TEST(Atrophy, AStackPlacesEachSliceByItsPoseElseItsIndex) {
    const AtrophyReference ref = three_classes();
    SlicePose none, level6;
    level6.estimated = true, level6.level = 6;
    // 4 slices: index 0 -> 0 * 8 / 4 = 0, index 1 -> its pose's level 6, index 3 -> 3 * 8 / 4 = 6.
    const ScanAtrophy a = atrophy_of_stack({tissue(0.25), tissue(0.5), tissue(0.125), tissue(0.75)}, {none, level6, none, none}, ref);
    EXPECT_EQ(a.position, (std::vector<int>{0, 6, 4, 6}));
    EXPECT_EQ(a.by_position[6], 0.625);   // (0.5 + 0.75) / 2
    // A lone slice: its pose's level, or no position without one.
    EXPECT_EQ(atrophy_of_stack({tissue(0.25)}, {level6}, ref).position, std::vector<int>{6});
    EXPECT_EQ(atrophy_of_stack({tissue(0.25)}, {none}, ref).position, std::vector<int>{-1});
}

TEST(Atrophy, ScanSummaryPercentilesNeedEnoughPeople) {
    const AtrophyReference ref = three_classes();
    TissueMeasures none;
    const ScanAtrophy a = summarise_atrophy({tissue(0.25), tissue(0.375), none, tissue(0.3125)}, {0, 0, 1, -1}, ref);
    ASSERT_TRUE(a.found);
    EXPECT_EQ(a.csf_fraction, 0.3125);                       // (0.25 + 0.375 + 0.3125) / 3, exact in binary
    EXPECT_EQ(a.by_position[0], 0.3125);                     // (0.25 + 0.375) / 2
    EXPECT_EQ(a.by_position[1], -1);                         // its slice has no brain
    EXPECT_EQ(a.by_slice, (std::vector<double>{0.25, 0.375, -1, 0.3125}));
    ASSERT_EQ(a.percentile.size(), 3u);
    EXPECT_DOUBLE_EQ(a.percentile[0], 60.0);                 // 3 of 5 below
    EXPECT_EQ(a.percentile[1], -1);                          // 2 people: too few
    EXPECT_DOUBLE_EQ(a.percentile[2], 100.0);

    const nlohmann::json j = nlohmann::json::parse(scan_atrophy_json(a, ref));
    EXPECT_EQ(j["csf_fraction"].get<double>(), 0.3125);
    EXPECT_TRUE(j["by_slice"][2].is_null());
    EXPECT_EQ(j["position"], nlohmann::json({0, 0, 1, -1}));
    EXPECT_TRUE(j["percentile"]["b"].is_null());
    EXPECT_DOUBLE_EQ(j["percentile"]["a"].get<double>(), 60.0);

    // Least CSF first: c (median 0.1) before a (0.3); b has too few people to be named.
    EXPECT_EQ(atrophy_sentence(a, ref), "CSF 31.2 % of the brain: more than in 100 % of the training c people (5), 60 % of a (5)");
    const ScanAtrophy empty = summarise_atrophy({none}, {-1}, ref);
    EXPECT_FALSE(empty.found);
    EXPECT_TRUE(nlohmann::json::parse(scan_atrophy_json(empty, ref))["csf_fraction"].is_null());
    EXPECT_NE(atrophy_sentence(empty, ref).find("No brain"), std::string::npos);
}

TEST(Atrophy, ChartMapsBandsAndThePersonIntoItsRange) {
    AtrophyReference ref = three_classes();
    ref.classes[2] = "<c&>";   // names reach the SVG escaped
    const ScanAtrophy a = summarise_atrophy({tissue(0.62), tissue(0.3)}, {7, 0}, ref);
    const AtrophyChart chart = atrophy_chart(ref, &a);
    ASSERT_EQ(chart.classes.size(), 2u);   // b has 2 people
    EXPECT_EQ(chart.classes[0].label, "<c&> (5 people)");
    EXPECT_EQ(chart.classes[1].label, "a (5 people)");
    EXPECT_DOUBLE_EQ(chart.y_min, 0.0);    // c's low 0.02 less a margin, on the 0.05 grid
    EXPECT_NEAR(chart.y_max, 0.65, 1e-12); // the person's 0.62 plus a margin of 0.05 * 0.6
    const auto value = [&](double y) { return chart.y_min + y * (chart.y_max - chart.y_min); };
    ASSERT_EQ(chart.classes[1].median.size(), size_t(kPoseLevels));
    EXPECT_NEAR(value(chart.classes[1].median[3].y), 0.3, 1e-12);
    EXPECT_NEAR(value(chart.classes[1].high[3].y), 0.46, 1e-12);
    EXPECT_NEAR(chart.classes[1].median[3].x, 3.5 / 8, 1e-12);
    ASSERT_EQ(chart.person.size(), 2u);    // positions 0 and 7, left to right
    EXPECT_NEAR(chart.person[0].x, 0.5 / 8, 1e-12);
    EXPECT_NEAR(value(chart.person[0].y), 0.3, 1e-12);
    EXPECT_NEAR(value(chart.person[1].y), 0.62, 1e-12);
    EXPECT_EQ(chart.y_ticks.front(), 0.0);
    EXPECT_NEAR(chart.y_ticks.back(), 0.6, 1e-9);   // steps of 0.1 over a range above 0.4

    const std::string svg = atrophy_chart_svg(chart, 640, 360);
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_NE(svg.find("&lt;c&amp;&gt; (5 people)"), std::string::npos);
    EXPECT_EQ(svg.find("<c&>"), std::string::npos);
    size_t polygons = 0, circles = 0;
    for (size_t p = svg.find("<polygon"); p != std::string::npos; p = svg.find("<polygon", p + 1)) ++polygons;
    for (size_t p = svg.find("<circle"); p != std::string::npos; p = svg.find("<circle", p + 1)) ++circles;
    EXPECT_EQ(polygons, 2u);
    EXPECT_EQ(circles, 3u);   // the person's two points and the legend's

    // The caption wraps at words to the plot's width: (200 - 56 - 12) / 6 = 22 characters a line.
    AtrophyChart narrow = chart;
    narrow.caption = "one two three four five six seven eight", narrow.note = "n";
    const std::string small = atrophy_chart_svg(narrow, 200, 360);
    EXPECT_NE(small.find(">one two three four</text>"), std::string::npos);   // adding " five" makes 23
    EXPECT_NE(small.find(">five six seven eight</text>"), std::string::npos);
    EXPECT_NE(small.find(">n</text>"), std::string::npos);

    const AtrophyChart alone = atrophy_chart(ref, nullptr);
    EXPECT_TRUE(alone.person.empty());
    EXPECT_EQ(atrophy_chart_svg(alone, 640, 360).find("<circle"), std::string::npos);
}
