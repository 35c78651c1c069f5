// Test-only FNV-1a 64-bit, for short digests of tensors (native vs WebAssembly parity).
//   uint64_t d = alzscan::test::fnv1a64(t.data(), t.size() * sizeof(float));
// SHA-256 of files lives in shared/ (alzscan/sha256.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace alzscan {
namespace test {

uint64_t fnv1a64(const void* data, size_t size);

}  // namespace test
}  // namespace alzscan
