// libFuzzer target: untrusted DICOM bytes through dicom/ (GDCM) as the CLI and the browser use it:
// list_dicom_series on the file, the series chosen by itself, read_dicom_series. Every answer is a
// volume or a message; a volume's size must match its dimensions. Built with ASan + UBSan by
// scripts/fuzz.sh (`make fuzz`), seeded with pydicom's test files.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "alzscan/dicom.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<alzscan::DicomInput> files = {{"fuzz.dcm", data, size}};
    const alzscan::DicomListing listing = alzscan::list_dicom_series(files);
    for (size_t i = 0; i < listing.series.size(); ++i) (void)alzscan::describe_dicom_series(listing, i);
    const auto pick = alzscan::choose_dicom_series(listing, 0);
    if (!pick) return 0;   // a clear error is a correct answer
    const auto vol = alzscan::read_dicom_series(files, listing.series[*pick]);
    if (!vol) return 0;
    if (vol->voxels.size() != size_t(vol->nx) * vol->ny * vol->nz || vol->voxels.empty()) std::abort();
    return 0;
}
