// alzscan/sha256.h: SHA-256 (FIPS 180-4) of a buffer, as 64 lowercase hex digits.
//
//   std::string h = alzscan::sha256_hex(bytes.data(), bytes.size());
//
// model.json records model.onnx's digest with it, so the trainer, the browser and the model card
// can tell which exact file they describe; the data test checks files against MANIFEST.tsv.
#pragma once

#include <cstddef>
#include <string>

namespace alzscan {

std::string sha256_hex(const void* data, size_t size);

}  // namespace alzscan
