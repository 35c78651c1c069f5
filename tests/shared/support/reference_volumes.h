// Test support: Colin27 (Debian's mricron-data, ALZSCAN_REFERENCE_DIR) as shared/ volumes and the
// registration reference built from them, read once per process; gzip inflated with zlib.
//
//   const alzscan::test::Colin27& c = alzscan::test::colin27();   // fails the test when missing
//   alzscan::register_affine(c.head, c.reference);
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "alzscan/affine.h"
#include "alzscan/nifti.h"
#include "alzscan/registration.h"

namespace alzscan::test {

struct Colin27 {
    Volume head, brain;   // ch2.nii.gz, ch2bet.nii.gz as decoded
    Reference reference;  // make_reference(head, brain)
    std::string error;    // non-empty when the files are missing or unreadable
};

const Colin27& colin27();

// A .nii or .nii.gz file's bytes (inflated); empty + error when unreadable.
std::vector<uint8_t> read_volume_bytes(const std::string& path, std::string& error);

// The same volume with its voxel -> world map moved by `world` (its voxels untouched): as if the
// head had been turned, scaled and shifted in the scanner by `world`.
Volume moved(const Volume& v, const Affine& world);

// Rotation about x, then y, then z (degrees), isotropic scale, then translation (mm).
Affine rigid_scale(double rx, double ry, double rz, double scale, const Vec3& shift);

}  // namespace alzscan::test
