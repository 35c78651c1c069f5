// alzscan/atrophy.h: a scan's CSF fraction against the training people's, overall and by slice
// position, as numbers, one sentence and a chart: the evidence a person can check beside the verdict.
//
//   alzscan::AtrophyReference ref = *alzscan::parse_atrophy_reference(model_json);   // `alzscan calibrate`
//   alzscan::ScanAtrophy a = alzscan::atrophy_of_stack(tissues, poses, ref);         // tissue.h per slice
//   std::string line = alzscan::atrophy_sentence(a, ref);
//   alzscan::AtrophyChart chart = alzscan::atrophy_chart(ref, &a);                   // the app draws it
//   std::string svg = alzscan::atrophy_chart_svg(chart, 640, 360);                  // reports embed it
//
// Data contract:
//   person        a training person's CSF fraction is the mean csf_fraction (tissue.h) of their slices
//                 with a brain; by position, the mean over their slices at that position.
//   position      0 .. kPoseLevels - 1, inferior -> superior: a training slice's is
//                 slice_level(slice_rank, slices) (slice_pose.h); a scan slice's is the level its pose
//                 step matched (a 2-D file, anatomy decides) or slice_level(index, count) for the slices
//                 of a registered volume (count >= 2; they span the training stacks' heights, scan.h);
//                 -1: unknown (counted in the overall fraction only).
//   reference     AtrophyReference: per class, the training and validation people's fractions
//                 (ascending) and, per position, their 10th, 50th and 90th percentiles (numpy linear).
//   percentile    where a scan's fraction falls among a class's people, 0..100:
//                 100 * (#below + #equal / 2) / n; only for classes with >= kAtrophyMinPeople people.
//   chart         unit coordinates: x 0..1 left -> right = inferior -> superior (position k at
//                 (k + 0.5) / kPoseLevels), y 0..1 bottom -> top = y_min .. y_max CSF fraction.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "alzscan/expected.h"
#include "alzscan/slice_pose.h"
#include "alzscan/tissue.h"

namespace alzscan {

// Fewer people than this give no percentile or band: their 10-90 % range would be a guess.
inline constexpr int kAtrophyMinPeople = 5;

struct AtrophyBand {
    double low = 0, median = 0, high = 0;   // 10th, 50th, 90th percentile of the people's fractions
    int people = 0;                          // people with a slice at this position
};

struct AtrophyReference {
    std::vector<std::string> classes;
    std::vector<std::vector<double>> csf_fraction;          // per class, ascending
    std::vector<std::vector<AtrophyBand>> by_position;      // per class, kPoseLevels bands (or empty)
    std::string fitted_on;
    bool enabled() const { return !classes.empty(); }
};

// model.json "atrophy": {"csf_fraction": {class: [ascending values]},
// "by_position": {class: [[low, median, high, people] x kPoseLevels]}, "fitted_on": "..."}.
// Absent: a disabled reference; errors name the key.
Expected<AtrophyReference> parse_atrophy_reference(const std::string& model_json_text);
std::string atrophy_reference_json(const AtrophyReference& ref);

// The bands of per-person fractions: person_by_position[c] holds class c's people, each a
// kPoseLevels vector of their mean fraction at that position (negative: no slice there).
std::vector<std::vector<AtrophyBand>> atrophy_bands(const std::vector<std::vector<std::vector<double>>>& person_by_position);

// Where x falls among `sorted` (ascending), 0..100 (see percentile above); -1 when empty.
double percentile_among(const std::vector<double>& sorted, double x);

struct ScanAtrophy {
    bool found = false;                      // some slice has a brain
    double csf_fraction = 0;                 // mean over the slices with a brain
    std::vector<double> by_slice;            // each slice's csf_fraction; -1: no brain
    std::vector<int> position;               // each slice's position (see above), -1 unknown
    std::array<double, kPoseLevels> by_position{};   // mean at each position; -1: no slice there
    std::vector<double> percentile;          // per reference class; -1: none (too few people, no brain)
};

// Slice `index` of a scan of `count`: its pose's level when its pose step estimated one, else
// slice_level(index, count) when count >= 2, else -1 (see position above).
int atrophy_position(const SlicePose& pose, int index, int count);

ScanAtrophy summarise_atrophy(const std::vector<TissueMeasures>& slices, const std::vector<int>& positions,
                              const AtrophyReference& ref);

// A scan's slices in stack order, each at atrophy_position(poses[i], i, count): what `alzscan predict`
// and the app summarise (a lone file is a scan of one slice).
ScanAtrophy atrophy_of_stack(const std::vector<TissueMeasures>& slices, const std::vector<SlicePose>& poses,
                             const AtrophyReference& ref);

// {"csf_fraction", "by_slice": [.. or null], "position": [..], "percentile": {class: .. or null}}
// (percentile with an enabled reference only); csf_fraction null when no slice has a brain.
std::string scan_atrophy_json(const ScanAtrophy& a, const AtrophyReference& ref);

// One line, e.g. "CSF 27.1 % of the brain: more than in 85 % of the training Non_Demented people (100),
// 60 % of Very_Mild_Demented (45), 41 % of Mild_Demented (20)".
std::string atrophy_sentence(const ScanAtrophy& a, const AtrophyReference& ref);

struct ChartPoint {
    double x = 0, y = 0;
};

struct AtrophyChartSeries {
    std::string label;                      // "Non_Demented (100 people)"
    std::array<uint8_t, 3> rgb{};
    std::vector<ChartPoint> low, median, high;   // one point per position with enough people
};

struct AtrophyChart {
    double y_min = 0, y_max = 1;            // CSF fraction at y = 0 and y = 1
    std::vector<double> y_ticks;            // CSF fractions, inside [y_min, y_max]
    std::vector<AtrophyChartSeries> classes;     // classes with >= kAtrophyMinPeople people
    std::vector<ChartPoint> person;         // the scan's mean at each position it has (may be empty)
    std::string caption;                    // atrophy_sentence, or what the chart shows without a scan
    std::string note;                       // how to read the lines and bands
    std::string x_label, y_label;
};

// The chart's geometry; scan may be null (the reference alone, e.g. in the model card).
AtrophyChart atrophy_chart(const AtrophyReference& ref, const ScanAtrophy* scan);

// A standalone SVG document of the chart, width x height CSS pixels.
std::string atrophy_chart_svg(const AtrophyChart& chart, int width, int height);

}  // namespace alzscan
