// Test-only SHA-256 (FIPS 180-4), to check dataset files against MANIFEST.tsv.
//   std::string hex = alzscan::test::sha256_hex(bytes.data(), bytes.size());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace alzscan {
namespace test {

std::string sha256_hex(const uint8_t* data, size_t size);
// FNV-1a 64-bit, for short digests of tensors.
uint64_t fnv1a64(const void* data, size_t size);

}  // namespace test
}  // namespace alzscan
