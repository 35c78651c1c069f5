#include "gl_texture.h"

#include <GLES3/gl3.h>

#include <vector>

namespace alzscan::web {

uint32_t upload_gray_texture(const GrayImage& image) {
    if (image.empty()) return 0;
    std::vector<uint8_t> rgba(static_cast<size_t>(image.width) * image.height * 4);
    for (size_t i = 0, n = image.pixels.size(); i < n; ++i) {
        uint8_t v = image.pixels[i];
        rgba[4 * i + 0] = v;
        rgba[4 * i + 1] = v;
        rgba[4 * i + 2] = v;
        rgba[4 * i + 3] = 255;
    }
    return upload_rgba_texture(rgba.data(), image.width, image.height);
}

uint32_t upload_rgba_texture(const uint8_t* rgba, int width, int height) {
    if (!rgba || width <= 0 || height <= 0) return 0;
    GLuint texture = 0;
    glGenTextures(1, &texture);
    glBindTexture(GL_TEXTURE_2D, texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    return texture;
}

void delete_texture(uint32_t texture) {
    if (texture == 0) return;
    GLuint t = texture;
    glDeleteTextures(1, &t);
}

}  // namespace alzscan::web
