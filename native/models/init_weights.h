// native/models/init_weights.h: `--init FILE`, start from a torchvision-named state dict.
//
//   // Python side (torchvision installed there):
//   //   torch.save(dict(torchvision.models.resnet50(weights="DEFAULT").state_dict()), "r50.pt")
//   alzscan::InitWeightsReport r = alzscan::load_init_weights(net, "r50.pt");  // throws runtime_error
//   std::fprintf(stderr, "%s\n", r.summary().c_str());
//
// File: what torch.save(dict(...)) writes (zip format, a plain dict of name -> tensor). A bare
// OrderedDict (torch.save(model.state_dict())) is refused with a hint to wrap it in dict().
// Names: torchvision's ("conv1.weight", "features.0.0.weight", ...) map to "backbone.<name>";
// names already starting with "backbone." or "head." are used as they are; a "module." prefix
// (DataParallel) is dropped. A 3-channel first conv loading into a 1-channel model is summed
// over its input channels (a gray image is R = G = B, so the summed filter gives the same
// response as the RGB filter on the replicated image). Every file entry that does not load
// (unknown name, shape mismatch) and every backbone tensor the file lacks is listed.
#pragma once

#include <string>
#include <vector>

#include "models/model_zoo.h"

namespace alzscan {

struct InitWeightsReport {
    std::vector<std::string> loaded;            // model names that were overwritten
    std::vector<std::string> summed_channels;   // "backbone.conv1.weight: 3 -> 1 input channels"
    std::vector<std::string> unexpected;        // file names with no model counterpart
    std::vector<std::string> shape_mismatches;  // "name: file [..] vs model [..]"
    std::vector<std::string> missing;           // backbone tensors the file did not provide
    // Multi-line text: counts, then every listed name (the trainer prints it).
    std::string summary() const;
    bool clean() const { return unexpected.empty() && shape_mismatches.empty() && missing.empty(); }
};

// Loads parameters and buffers by name. Errors (runtime_error, one line with the path and a
// hint): unreadable file, not a torch.save zip, not a dict of tensors, nothing loaded at all.
InitWeightsReport load_init_weights(Classifier& net, const std::string& path);

}  // namespace alzscan
