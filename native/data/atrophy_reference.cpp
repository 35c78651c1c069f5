// The training people's CSF fractions by class (see atrophy_reference.h).
#include "data/atrophy_reference.h"

#include <algorithm>
#include <map>

namespace alzscan {

AtrophyReference measure_atrophy(const std::vector<const DatasetSplit*>& splits, const std::vector<std::string>& classes) {
    struct Person {
        double sum = 0;
        int slices = 0;
        int64_t label = 0;
    };
    std::map<std::string, Person> people;
    for (const DatasetSplit* split : splits)
        for (int64_t i = 0; i < split->size(); ++i) {
            const TissueMeasures t = measure_tissue(split_image(*split, i));
            if (!t.found || split->groups[i].empty()) continue;
            Person& p = people[split->groups[i]];
            p.sum += t.csf_fraction;
            ++p.slices;
            p.label = split->labels[i].item<int64_t>();
        }
    AtrophyReference ref;
    ref.classes = classes;
    ref.csf_fraction.assign(classes.size(), {});
    for (const auto& [id, p] : people)
        if (p.label >= 0 && p.label < static_cast<int64_t>(classes.size())) ref.csf_fraction[p.label].push_back(p.sum / p.slices);
    for (auto& v : ref.csf_fraction) std::sort(v.begin(), v.end());
    ref.fitted_on = std::to_string(people.size()) + " training and validation people";
    return ref;
}

}  // namespace alzscan
