// The browser's DICOM reader: the dicom/ library (GDCM, decision 0014) as a WebAssembly module of
// its own, alzscan_dicom_reader.js + .wasm, which the page (web/dicom.js) loads only when DICOM
// files arrive, so the app's cold load does not carry GDCM. The page hands it the files, shows the
// series table, and passes the chosen series to the app as NIfTI-2 bytes (nifti.h encode_nifti2:
// the same voxels, affine and datatype the CLI's Volume has), where it is a volume like any other.
//
//   Reader* r = dicom_reader_new();
//   uint8_t* p = dicom_reader_add(r, "IM0001", size);     // the page writes the file's bytes at p
//   const char* listing = dicom_reader_list(r);           // JSON: the series table
//   const char* volume = dicom_reader_volume(r, index);   // JSON; bytes at dicom_reader_volume_data
//   dicom_reader_delete(r);
//
// Data contract:
//   dicom_reader_add     room for one file of `size` bytes (nullptr when memory runs out); names
//                        are for messages only.
//   dicom_reader_list    {"series": [{"line", "description", "study", "modality", "number",
//                        "frames", "rows", "columns", "spacing": [row, column] mm}], "skipped",
//                        "skip_reason", "chosen": index or -1, "choose_error"}: dicom.h's listing
//                        and choose_dicom_series(listing, 0) (the only series, or the one T1).
//   dicom_reader_volume  series `index` (0-based) read: {"bytes": n, "notes": [...], "nx", "ny",
//                        "nz"} with the NIfTI-2 at dicom_reader_volume_data, or {"error"}. The
//                        files' bytes are released first: the volume is the only copy kept.
//   No patient identifier reaches a field or a message (dicom.h).
#include <emscripten.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alzscan/dicom.h"

namespace {

struct Reader {
    std::vector<std::string> names;
    std::vector<std::unique_ptr<uint8_t[]>> files;
    std::vector<size_t> sizes;
    alzscan::DicomListing listing;
    std::vector<uint8_t> nifti;
    std::string json;

    std::vector<alzscan::DicomInput> inputs() const {
        std::vector<alzscan::DicomInput> in;
        for (size_t i = 0; i < files.size(); ++i) in.push_back({names[i], files[i].get(), sizes[i]});
        return in;
    }
};

const char* keep(Reader& r, const nlohmann::json& j) {
    r.json = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r.json.c_str();
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE Reader* dicom_reader_new() { return new Reader(); }
EMSCRIPTEN_KEEPALIVE void dicom_reader_delete(Reader* r) { delete r; }

EMSCRIPTEN_KEEPALIVE uint8_t* dicom_reader_add(Reader* r, const char* name, int size) {
    std::unique_ptr<uint8_t[]> bytes(new (std::nothrow) uint8_t[size > 0 ? size : 1]);
    if (!bytes) return nullptr;
    r->names.push_back(name ? name : "");
    r->sizes.push_back(static_cast<size_t>(size > 0 ? size : 0));
    r->files.push_back(std::move(bytes));
    return r->files.back().get();
}

EMSCRIPTEN_KEEPALIVE const char* dicom_reader_list(Reader* r) {
    r->listing = alzscan::list_dicom_series(r->inputs());
    nlohmann::json series = nlohmann::json::array();
    for (size_t i = 0; i < r->listing.series.size(); ++i) {
        const alzscan::DicomSeries& s = r->listing.series[i];
        series.push_back({{"line", alzscan::describe_dicom_series(r->listing, i)}, {"description", s.description},
                          {"study", s.study_description}, {"modality", s.modality}, {"number", s.number},
                          {"frames", s.frames}, {"rows", s.rows}, {"columns", s.columns},
                          {"spacing", s.pixel_spacing}});
    }
    const auto pick = alzscan::choose_dicom_series(r->listing, 0);
    return keep(*r, {{"series", series}, {"skipped", r->listing.skipped}, {"skip_reason", r->listing.first_skip_reason},
                     {"chosen", pick ? static_cast<int>(*pick) : -1}, {"choose_error", pick ? "" : pick.error()}});
}

EMSCRIPTEN_KEEPALIVE const char* dicom_reader_volume(Reader* r, int index) {
    if (index < 0 || index >= static_cast<int>(r->listing.series.size()))
        return keep(*r, {{"error", "no series " + std::to_string(index + 1) + " in these files"}});
    auto vol = alzscan::read_dicom_series(r->inputs(), r->listing.series[index]);
    r->files.clear();
    r->sizes.clear();
    r->names.clear();
    if (!vol) return keep(*r, {{"error", vol.error()}});
    r->nifti = alzscan::encode_nifti2(*vol);
    return keep(*r, {{"bytes", r->nifti.size()}, {"notes", vol->notes}, {"nx", vol->nx}, {"ny", vol->ny}, {"nz", vol->nz}});
}

EMSCRIPTEN_KEEPALIVE uint8_t* dicom_reader_volume_data(Reader* r) { return r->nifti.data(); }

}  // extern "C"
