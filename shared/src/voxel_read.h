// voxel_read.h (internal to shared/src): raw voxel values and header fields from a volume file's
// bytes, shared by the NIfTI, MGH and Analyze decoders.
//
//   detail::Reader r{data, size, detail::host_is_big_endian() != file_is_big_endian};
//   const detail::VoxelType* t = detail::voxel_type(16);             // NIfTI/Analyze code: float32
//   double x = detail::raw_value(r, t->code, offset + n * t->bytes);
//   detail::read_voxels(r, *t, offset, volume.voxels);              // volume.voxels sized first
//
// Data contract: Reader::get<T>(offset) reads sizeof(T) bytes at `offset` (the caller has checked
// offset + sizeof(T) <= size), byte-swapped when `swap`. Type codes are NIfTI-1's (Analyze 7.5
// shares the ones it has; MGH's own codes are mapped to these by its decoder). number() is
// printf's %g with "nan" for every NaN; megabytes() is "N bytes" under 1 MB, else whole "N MB";
// truncated_message() is the one-line "the <KIND> file is truncated: ..." every decoder gives.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

namespace alzscan::detail {

struct Reader {
    const uint8_t* data;
    size_t size;
    bool swap;   // the file's byte order differs from the host's

    template <typename T>
    T get(size_t offset) const {
        uint8_t b[sizeof(T)];
        std::memcpy(b, data + offset, sizeof(T));
        if (swap) std::reverse(b, b + sizeof(T));
        T v;
        std::memcpy(&v, b, sizeof(T));
        return v;
    }
};

inline bool host_is_big_endian() {
    const uint16_t one = 1;
    uint8_t first;
    std::memcpy(&first, &one, 1);
    return first == 0;
}

struct VoxelType {
    int code;           // NIfTI-1 datatype code
    const char* name;   // Volume::datatype
    int bytes;
};

inline constexpr VoxelType kVoxelTypes[] = {{2, "uint8", 1},   {256, "int8", 1},   {4, "int16", 2},    {512, "uint16", 2},
                                            {8, "int32", 4},   {768, "uint32", 4}, {16, "float32", 4}, {64, "float64", 8}};

// The type of a NIfTI-1 code; nullptr for a code not in kVoxelTypes.
inline const VoxelType* voxel_type(int code) {
    for (const VoxelType& t : kVoxelTypes)
        if (t.code == code) return &t;
    return nullptr;
}

inline double raw_value(const Reader& r, int code, size_t offset) {
    switch (code) {
        case 2: return r.data[offset];
        case 256: return static_cast<int8_t>(r.data[offset]);
        case 4: return r.get<int16_t>(offset);
        case 512: return r.get<uint16_t>(offset);
        case 8: return r.get<int32_t>(offset);
        case 768: return r.get<uint32_t>(offset);
        case 16: return r.get<float>(offset);
        default: return r.get<double>(offset);
    }
}

// out.size() values of type `t` from `offset` on, i fastest (the caller has checked they fit).
inline void read_voxels(const Reader& r, const VoxelType& t, size_t offset, std::vector<double>& out) {
    for (size_t n = 0; n < out.size(); ++n) out[n] = raw_value(r, t.code, offset + n * t.bytes);
}

// printf's %g ("1e+30", "inf"), with "nan" for every NaN: glibc writes "-nan" for a negative one.
inline std::string number(double x) {
    if (std::isnan(x)) return "nan";
    char b[32];
    std::snprintf(b, sizeof b, "%g", x);
    return b;
}

inline std::string megabytes(uint64_t bytes) {
    return bytes < 1000000 ? std::to_string(bytes) + " bytes" : std::to_string(bytes / 1000000) + " MB";
}

// "the NIfTI file is truncated: the header says 2 MB of voxels from byte 352 but the file has
// 1 MB": whole MB when they tell the two sizes apart, else exact bytes for both.
inline std::string truncated_message(const std::string& kind, uint64_t need, uint64_t offset, uint64_t have) {
    std::string said = megabytes(need), there = megabytes(have);
    if (said == there) said = std::to_string(need) + " bytes", there = std::to_string(have) + " bytes";
    return "the " + kind + " file is truncated: the header says " + said + " of voxels from byte " +
           std::to_string(offset) + " but the file has " + there;
}

}  // namespace alzscan::detail
