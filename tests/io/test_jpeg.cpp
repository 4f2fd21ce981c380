// JPEG input images: the pixels of committed JPEG files equal Pillow's decode of the same files bit for bit
// (goldens from tests/io/data/make_jpeg_goldens.py: Debian's libjpeg-turbo and Pillow's agree on the default
// islow IDCT and fancy upsampling), the magic-byte dispatch of io/image_file.h, and damaged files refused.
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/image_file.h"
#include "io/jpeg.h"
#include "io/png.h"

namespace sdxl {
namespace {

const std::string kData = std::string(SDXL_SOURCE_DIR) + "/tests/io/data/";

std::string error_of(const std::string& bytes, const std::string& name) {
  try {
    io::decode_image(bytes, name);
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Input) << e.what();
    return e.what();
  }
  return "";
}

TEST(Jpeg, PixelsEqualPillowsDecode) {
  for (const char* name : {"photo_420", "photo_444", "progressive", "grey", "odd_422"}) {
    const std::string path = kData + name + ".jpg";
    const io::Image golden = io::read_png(path + ".png");
    const io::Image ours = io::read_image(path);
    ASSERT_EQ(ours.width, golden.width) << name;
    ASSERT_EQ(ours.height, golden.height) << name;
    size_t differ = 0;
    for (size_t i = 0; i < ours.rgb.size(); ++i) differ += ours.rgb[i] != golden.rgb[i];
    EXPECT_EQ(differ, 0u) << name << ": " << differ << " of " << ours.rgb.size() << " values differ from Pillow's";
  }
}

TEST(Jpeg, DispatchByContentNotName) {
  // A JPEG named .png and a PNG named .jpg: the first bytes decide.
  const std::string jpeg = io::read_file(kData + "photo_420.jpg"), png = io::read_file(kData + "photo_420.jpg.png");
  EXPECT_EQ(io::decode_image(jpeg, "x.png"), io::read_png(kData + "photo_420.jpg.png"));
  EXPECT_EQ(io::decode_image(png, "x.jpg"), io::read_png(kData + "photo_420.jpg.png"));
  for (const std::string& bytes : {std::string(), std::string("GIF89a......"), std::string("\xFF\xD8", 2), std::string("BM")})
    EXPECT_NE(error_of(bytes, "upload").find("upload: not a PNG or JPEG image"), std::string::npos) << error_of(bytes, "upload");
}

TEST(Jpeg, DamagedFilesAreRefusedNamingTheFile) {
  const std::string jpeg = io::read_file(kData + "photo_420.jpg");
  // Truncated in the entropy-coded data or in the headers, nothing but the SOI and EOI markers.
  for (const std::string& bytes : {jpeg.substr(0, jpeg.size() / 2), jpeg.substr(0, 40), std::string("\xFF\xD8\xFF\xD9", 4)}) {
    const std::string err = error_of(bytes, "upload.jpg");
    EXPECT_NE(err.find("upload.jpg: "), std::string::npos) << err;
  }
  EXPECT_NE(error_of(io::read_file(kData + "cmyk.jpg"), "cmyk.jpg").find("CMYK"), std::string::npos);
}

}  // namespace
}  // namespace sdxl
