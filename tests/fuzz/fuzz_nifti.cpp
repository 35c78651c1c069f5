// libFuzzer target: untrusted .nii bytes through shared/'s volume path (decode_nifti ->
// to_training_orientation -> axial_slab -> conform_slice). Built with ASan + UBSan by
// scripts/fuzz.sh (`make fuzz`); tests/sanitize replays its corpus.
#include <cstdint>
#include <cstdlib>

#include "alzscan/conform.h"
#include "alzscan/nifti.h"
#include "alzscan/scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto vol = alzscan::decode_nifti(data, size);
    if (!vol) return 0;   // a clear error is a correct answer
    if (vol->voxels.size() != size_t(vol->nx) * vol->ny * vol->nz) std::abort();
    const alzscan::Volume lps = alzscan::to_training_orientation(*vol);
    if (lps.voxels.size() != vol->voxels.size()) std::abort();
    auto slab = alzscan::axial_slab(lps);
    if (!slab) return 0;
    if (slab->images.size() != slab->slices.size() || slab->images.empty()) std::abort();
    alzscan::ConformSpec spec;
    spec.enabled = true;
    for (const auto& img : slab->images) (void)alzscan::conform_slice(img, spec, 64, 64);
    return 0;
}
