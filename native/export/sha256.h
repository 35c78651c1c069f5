// native/export/sha256.h: SHA-256 (FIPS 180-4) of bytes or a file, as 64 lowercase hex digits.
//
//   std::string h = alzscan::sha256_hex(bytes.data(), bytes.size());
//   std::string f = alzscan::sha256_file("models/default/model.onnx");  // throws runtime_error
//
// model.json records the ONNX file's digest so the browser and the model card can tell which
// exact file they describe.
#pragma once

#include <string>

#include "alzscan/sha256.h"   // sha256_hex(data, size)

namespace alzscan {

std::string sha256_file(const std::string& path);

}  // namespace alzscan
