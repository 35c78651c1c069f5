// Colin27 from mricron-data for the registration tests (see reference_volumes.h).
#include "reference_volumes.h"

#include <cmath>
#include <fstream>
#include <iterator>

#include <zlib.h>

namespace alzscan::test {

std::vector<uint8_t> read_volume_bytes(const std::string& path, std::string& error) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        error = path + " is missing (make setup installs mricron-data)";
        return {};
    }
    std::vector<uint8_t> raw{std::istreambuf_iterator<char>(f), {}};
    if (raw.size() < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) return error = "zlib init failed", std::vector<uint8_t>{};
    std::vector<uint8_t> out;
    uint8_t buf[1 << 16];
    z.next_in = raw.data();
    z.avail_in = static_cast<uInt>(raw.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = buf;
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.insert(out.end(), buf, buf + (sizeof buf - z.avail_out));
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) return error = path + ": gzip error", std::vector<uint8_t>{};
    return out;
}

namespace {

Colin27 load() {
    Colin27 c;
    const std::string dir = ALZSCAN_REFERENCE_DIR;
    std::vector<uint8_t> head = read_volume_bytes(dir + "/ch2.nii.gz", c.error);
    std::vector<uint8_t> brain = read_volume_bytes(dir + "/ch2bet.nii.gz", c.error);
    if (!c.error.empty()) return c;
    auto h = decode_nifti(head.data(), head.size());
    auto b = decode_nifti(brain.data(), brain.size());
    if (!h || !b) return c.error = "Colin27 does not decode: " + h.error() + b.error(), c;
    c.head = std::move(h).value();
    c.brain = std::move(b).value();
    auto ref = make_reference(c.head, c.brain);
    if (!ref) return c.error = ref.error(), c;
    c.reference = std::move(ref).value();
    return c;
}

}  // namespace

const Colin27& colin27() {
    static const Colin27 c = load();
    return c;
}

Volume moved(const Volume& v, const Affine& world) {
    Volume out = v;
    const Affine a = compose(world, affine_from(v.affine));
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c) out.affine[r][c] = a.m[r][c];
    return out;
}

Affine rigid_scale(double rx, double ry, double rz, double scale, const Vec3& shift) {
    const double d = 3.14159265358979323846 / 180;
    const double cx = std::cos(rx * d), sx = std::sin(rx * d), cy = std::cos(ry * d), sy = std::sin(ry * d);
    const double cz = std::cos(rz * d), sz = std::sin(rz * d);
    const Affine x{{{{1, 0, 0, 0}, {0, cx, -sx, 0}, {0, sx, cx, 0}}}};
    const Affine y{{{{cy, 0, sy, 0}, {0, 1, 0, 0}, {-sy, 0, cy, 0}}}};
    const Affine z{{{{cz * scale, -sz * scale, 0, shift[0]}, {sz * scale, cz * scale, 0, shift[1]}, {0, 0, scale, shift[2]}}}};
    return compose(z, compose(y, x));
}

}  // namespace alzscan::test
