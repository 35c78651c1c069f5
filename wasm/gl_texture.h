// wasm/gl_texture.h: a gray image on the GPU, for ImGui::Image.
//
//   GLuint tex = alzscan::web::upload_gray_texture(img);   // RGBA8, linear filtering
//   ImGui::Image((ImTextureID)(intptr_t)tex, size);
//   alzscan::web::delete_texture(tex);
//
// WebGL2 has no texture swizzle, so gray is expanded to RGBA on upload.
#pragma once

#include <cstdint>

#include "alzscan/gray_image.h"

namespace alzscan::web {

uint32_t upload_gray_texture(const GrayImage& image);
// width x height RGBA8, row-major (the activation map overlay).
uint32_t upload_rgba_texture(const uint8_t* rgba, int width, int height);
void delete_texture(uint32_t texture);

}  // namespace alzscan::web
