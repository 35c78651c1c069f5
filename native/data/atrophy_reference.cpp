// The training people's CSF fractions by class and slice position (see atrophy_reference.h).
#include "data/atrophy_reference.h"

#include <array>
#include <map>

#include "data/pose_reference.h"

namespace alzscan {

AtrophyReference measure_atrophy(const std::string& ranks_file, const std::vector<const DatasetSplit*>& splits,
                                 const std::vector<std::string>& classes) {
    struct Person {
        double sum = 0;
        int slices = 0;
        std::array<double, kPoseLevels> sum_at{};
        std::array<int, kPoseLevels> n_at{};
        int64_t label = 0;
    };
    const SliceLevels levels(ranks_file);
    std::map<std::string, Person> people;
    for (const DatasetSplit* split : splits)
        for (int64_t i = 0; i < split->size(); ++i) {
            const TissueMeasures t = measure_tissue(split_image(*split, i));
            if (!t.found || split->groups[i].empty()) continue;
            const int k = levels.of(split->paths[i]);
            Person& p = people[split->groups[i]];
            p.sum += t.csf_fraction;
            ++p.slices;
            if (k >= 0) p.sum_at[k] += t.csf_fraction, ++p.n_at[k];   // an unranked slice has no position
            p.label = split->labels[i].item<int64_t>();
        }
    AtrophyReference ref;
    ref.classes = classes;
    ref.csf_fraction.assign(classes.size(), {});
    std::vector<std::vector<std::vector<double>>> by_position(classes.size());
    for (const auto& [id, p] : people) {
        if (p.label < 0 || p.label >= static_cast<int64_t>(classes.size())) continue;
        ref.csf_fraction[p.label].push_back(p.sum / p.slices);
        std::vector<double> at(kPoseLevels, -1.0);
        for (int k = 0; k < kPoseLevels; ++k)
            if (p.n_at[k]) at[k] = p.sum_at[k] / p.n_at[k];
        by_position[p.label].push_back(std::move(at));
    }
    for (auto& v : ref.csf_fraction) std::sort(v.begin(), v.end());
    ref.by_position = atrophy_bands(by_position);
    ref.fitted_on = std::to_string(people.size()) + " training and validation people";
    return ref;
}

}  // namespace alzscan
