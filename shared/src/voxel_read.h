// voxel_read.h (internal to shared/src): raw voxel values and header fields from a volume file's
// bytes, shared by the NIfTI, MGH and Analyze decoders.
//
//   detail::Reader r{data, size, detail::host_is_big_endian() != file_is_big_endian};
//   const detail::VoxelType* t = detail::voxel_type(16);             // NIfTI/Analyze code: float32
//   double x = detail::raw_value(r, t->code, offset + n * t->bytes);
//   detail::read_volume_voxels(r, *t, offset, volume);             // dims + affine set first
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

#include "alzscan/nifti.h"

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

// A volume of more than kBinAboveVoxels voxels is read averaged in blocks: each axis longer than
// kBinTarget by f = ceil(n / kBinTarget) (512 -> 2), so a 512^3 volume becomes 256^3 as it is
// read, without a full-size copy of doubles (1 GiB for 512^3). alzscan works at about 1 mm: the
// registration's finest level is 2 mm and the model's slices are 1.4 mm pixels.
constexpr int64_t kBinAboveVoxels = int64_t(256) * 256 * 256;
constexpr int kBinTarget = 256;

// Fills v.voxels with v's voxels averaged in blocks (v.nx, ny, nz, affine and spacing as stored;
// the rule above), value(n) giving stored voxel n (i fastest); dims, affine (voxel centres move to
// the blocks' centres), spacing and notes follow. Every reader and average_large_volume (nifti.h)
// sums in this one order, so a volume binned as it is read equals one binned after decoding.
template <typename Value>
void fill_voxels(Volume& v, Value value) {
    const int n[3] = {v.nx, v.ny, v.nz};
    int f[3] = {1, 1, 1}, m[3] = {v.nx, v.ny, v.nz};
    if (int64_t(v.nx) * v.ny * v.nz > kBinAboveVoxels)
        for (int a = 0; a < 3; ++a)
            if (n[a] > kBinTarget) f[a] = (n[a] + kBinTarget - 1) / kBinTarget, m[a] = n[a] / f[a];
    std::vector<double> out;
    if (f[0] * f[1] * f[2] == 1) {   // written once, never zeroed first
        out.reserve(size_t(m[0]) * m[1] * m[2]);
        for (size_t i = 0; i < out.capacity(); ++i) out.push_back(value(i));
        v.voxels = std::move(out);
        return;
    }
    out.assign(size_t(m[0]) * m[1] * m[2], 0.0);
    for (int k = 0; k < m[2] * f[2]; ++k)
        for (int j = 0; j < m[1] * f[1]; ++j) {
            double* row = out.data() + size_t(m[0]) * (j / f[1] + size_t(m[1]) * (k / f[2]));
            const size_t at = size_t(n[0]) * (j + size_t(n[1]) * k);
            for (int i = 0; i < m[0] * f[0]; ++i) row[i / f[0]] += value(at + size_t(i));
        }
    const double mean = 1.0 / (f[0] * f[1] * f[2]);
    for (double& x : out) x *= mean;
    v.voxels = std::move(out);
    for (int row = 0; row < 3; ++row) {
        for (int a = 0; a < 3; ++a) v.affine[row][3] += v.affine[row][a] * (f[a] - 1) / 2.0;
        for (int a = 0; a < 3; ++a) v.affine[row][a] *= f[a];
    }
    for (int a = 0; a < 3; ++a) v.spacing[a] *= f[a];
    auto dims = [](const int* d) { return std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" + std::to_string(d[2]); };
    v.notes.push_back(dims(n) + " voxels averaged in " + dims(f) + " blocks to " + dims(m) +
                      " (alzscan works at about 1 mm; this bounds memory)");
    v.nx = m[0], v.ny = m[1], v.nz = m[2];
}

// v.voxels from the voxel block at `offset`: raw * slope + inter when `scaled`; a large volume is
// averaged in blocks as it is read (fill_voxels), never held at full size as doubles.
inline void read_volume_voxels(const Reader& r, const VoxelType& t, size_t offset, Volume& v, bool scaled = false,
                               double slope = 1, double inter = 0) {
    // One loop per stored type (raw_value's values, its switch taken once, not per voxel).
    const uint8_t* at = r.data + offset;
    auto typed = [&](auto zero) {
        using T = decltype(zero);
        if (sizeof(T) == 1 || !r.swap) {
            fill_voxels(v, [&](size_t n) {
                T x;
                std::memcpy(&x, at + n * sizeof(T), sizeof(T));
                return static_cast<double>(x);
            });
        } else {
            fill_voxels(v, [&](size_t n) { return static_cast<double>(r.get<T>(offset + n * sizeof(T))); });
        }
    };
    switch (t.code) {
        case 2: typed(uint8_t{}); break;
        case 256: typed(int8_t{}); break;
        case 4: typed(int16_t{}); break;
        case 512: typed(uint16_t{}); break;
        case 8: typed(int32_t{}); break;
        case 768: typed(uint32_t{}); break;
        case 16: typed(float{}); break;
        default: typed(double{}); break;
    }
    if (scaled)
        for (double& x : v.voxels) x = x * slope + inter;
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
