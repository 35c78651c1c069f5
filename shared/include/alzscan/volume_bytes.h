// alzscan/volume_bytes.h: a volume file's bytes, named by its file name, as a Volume: NIfTI
// (.nii, .nii.gz), FreeSurfer MGH (.mgh, .mgz) or an Analyze 7.5 pair (.hdr + .img). The one owner
// of "which decoder for which name" and of gzip: the CLI (native/commands/volume_file.h, files
// from disk) and the browser (wasm/app_exports.cpp, dropped files) pass bytes here, so both sides
// inflate with the same zlib, stop at the same limit and say the same thing.
//
//   auto vol = alzscan::decode_volume_file("brain.mgz", bytes.data(), bytes.size());
//   auto pair = alzscan::decode_volume_file("a.img", img.data(), img.size(), {"a.hdr", hdr.data(), hdr.size()});
//   if (!vol) show(vol.error());
//
// Data contract:
//   is_volume_name     true for names ending in .nii, .nii.gz, .mgh, .mgz, .hdr or .img (any case).
//   is_analyze_name    true for .hdr and .img (any case): such a file needs its partner.
//   gunzip             a whole gzip stream (several members allowed) inflated, at most `limit`
//                      bytes; `kind` (".nii.gz", ".mgz") names the file in errors: "the .mgz
//                      inflates to more than 1024 MiB: too large a volume", "the .nii.gz is
//                      damaged or truncated (zlib: invalid block type); re-export or re-download
//                      the volume", "not enough memory to inflate the .nii.gz (900 MiB so
//                      far): ...". The count is checked after every 1 MiB block; a stream whose
//                      gzip trailer claims more than the limit is first inflated into nothing but
//                      a count, so a bomb costs time (about 1 s per GiB), never memory.
//   decode_volume_file gzip bytes (magic 1f 8b) are inflated first, at most kMaxInflatedBytes;
//                      then by the name's extension: decode_nifti (nifti.h; also any other name),
//                      decode_mgh (mgh.h), decode_analyze (analyze.h) with `partner` the other file
//                      of the pair. An Analyze file without its partner: "no .img file beside this
//                      .hdr (an Analyze volume is a .hdr + .img pair with the same name)", the
//                      caller adds where to put it; an error found reading the pair's .hdr when the
//                      .img was named says so: "with its .hdr file a.hdr: not an Analyze header ...".
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "alzscan/expected.h"
#include "alzscan/nifti.h"

namespace alzscan {

// Enough for kMaxVoxels float64 voxels and any header: more inflated bytes are a bomb or a volume
// alzscan does not read.
constexpr size_t kMaxInflatedBytes = static_cast<size_t>(kMaxVoxels) * 8 + (size_t(64) << 10);

struct NamedBytes {
    std::string name;                 // a file name or path, for the extension and messages
    const uint8_t* data = nullptr;    // owned by the caller, alive for the call
    size_t size = 0;
};

bool is_volume_name(const std::string& name);
bool is_analyze_name(const std::string& name);
bool is_gzip(const uint8_t* data, size_t size);

// Inflated bytes in a malloc'd buffer: an allocation that fails is an error message, where a
// std::vector would abort the WebAssembly app (built without exceptions).
struct InflatedBytes {
    struct Free {
        void operator()(uint8_t* p) const { std::free(p); }
    };
    std::unique_ptr<uint8_t, Free> data;
    size_t size = 0;
};

Expected<InflatedBytes> gunzip(const uint8_t* data, size_t size, size_t limit, const std::string& kind);

Expected<Volume> decode_volume_file(const std::string& name, const uint8_t* data, size_t size,
                                    const NamedBytes& partner = {});

}  // namespace alzscan
