// PNG writer/reader: exact round trips with text metadata, CRCs, colour-type conversion, the golden
// fixture PNGs, and hostile files (every one an sdxl::Error naming the file, never a crash).
#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/crc32.h"
#include "io/png.h"
#include "io/png_chunks.h"
#include "io/png_codec.h"
#include "png_builder.h"
#include "test_util.h"

namespace sdxl {
namespace {

using io::Image;
using io::PngText;
using test::chunk;
using test::ihdr;
using test::make_png;
using test::unfiltered;
using namespace std::string_literals;

Image random_image(int width, int height, uint32_t seed) {
  std::mt19937 rng(seed);
  Image im{width, height, std::vector<uint8_t>(size_t(width) * height * 3)};
  for (auto& v : im.rgb) v = uint8_t(rng());
  return im;
}

using test::temp_path;

// The decode error message, or "" when the bytes decode.
std::string decode_error(const std::string& bytes, const std::string& name = "hostile.png") {
  try {
    io::decode_png(bytes, name);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Chunk types of a PNG in file order (trusting the structure).
std::vector<std::string> chunk_types(const std::string& png) {
  std::vector<std::string> out;
  for (size_t pos = 8; pos + 12 <= png.size();) {
    const uint32_t len = test::read_be32(png, pos);
    out.push_back(png.substr(pos + 4, 4));
    pos += 12 + len;
  }
  return out;
}

// Bit-by-bit CRC-32, independent of the table-driven one under test.
uint32_t crc32_bitwise(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// Recomputes every chunk's CRC (so mutated files get past the CRC check into deeper validation).
void fix_crcs(std::string& png) {
  for (size_t pos = 8; pos + 12 <= png.size();) {
    const uint32_t len = test::read_be32(png, pos);
    if (len > png.size() - pos - 12) return;
    const uint32_t crc = io::crc32(png.data() + pos + 4, 4 + len);
    for (int i = 0; i < 4; ++i) png[pos + 8 + len + i] = char((crc >> (24 - 8 * i)) & 0xFF);
    pos += 12 + len;
  }
}

// ---------------------------------------------------------------------------------------------------
// Writing and round trips

TEST(PngCrc, MatchesStandardCheckValues) {
  EXPECT_EQ(io::crc32("123456789", 9), 0xCBF43926u);  // the CRC-32 check value
  EXPECT_EQ(io::crc32("", 0), 0u);
  EXPECT_EQ(io::crc32("IEND", 4), 0xAE426082u);  // the CRC every PNG ends with
  const std::string a = "hello ", b = "world";
  EXPECT_EQ(io::crc32(b.data(), b.size(), io::crc32(a.data(), a.size())), io::crc32("hello world", 11));
  std::mt19937 rng(5);
  std::string blob(1000, '\0');
  for (auto& c : blob) c = char(rng());
  EXPECT_EQ(io::crc32(blob.data(), blob.size()), crc32_bitwise(blob));
}

TEST(PngWrite, RoundTripKeepsPixelsAndTextExactly) {
  const Image im = random_image(37, 23, 1);
  const PngText text = {{"parameters", "a photo of a cat\nNegative prompt: blurry\nSteps: 30, Seed: 42"},
                        {"sdxl-gen", R"({"prompt":"a photo of a cat","seed":42})"},
                        {"Comment", "caf\xC3\xA9 \xC2\xB1 1"},  // Latin-1 representable -> tEXt
                        {"prompt", "\xE5\xAE\x87\xE5\xAE\x99 \xF0\x9F\x9A\x80 astronaut"}};  // CJK + emoji -> iTXt
  const std::string png = io::encode_png(im, text);

  PngText got_text;
  const Image got = io::decode_png(png, "roundtrip.png", &got_text);
  EXPECT_EQ(got.width, 37);
  EXPECT_EQ(got.height, 23);
  EXPECT_TRUE(got == im) << "pixels changed in the round trip";
  EXPECT_EQ(got_text, text);

  // Text sits right after IHDR; Latin-1-representable values are tEXt (stored as Latin-1), others iTXt.
  EXPECT_EQ(chunk_types(png), (std::vector<std::string>{"IHDR", "tEXt", "tEXt", "tEXt", "iTXt", "IDAT", "IEND"}));
  EXPECT_NE(png.find("Comment\0caf\xE9 \xB1 1"s), std::string::npos) << "tEXt is not Latin-1";
}

TEST(PngWrite, EveryChunkCrcIsCorrectAndStbDecodesTheFile) {
  const Image im = random_image(16, 8, 2);
  const std::string png = io::encode_png(im, {{"parameters", "x"}, {"title", "\xE2\x82\xAC"}});
  size_t checked = 0;
  for (size_t pos = 8; pos + 12 <= png.size(); ++checked) {
    const uint32_t len = test::read_be32(png, pos);
    const uint32_t stored = test::read_be32(png, pos + 8 + len);
    EXPECT_EQ(stored, crc32_bitwise(png.substr(pos + 4, 4 + len))) << "chunk " << png.substr(pos + 4, 4);
    pos += 12 + len;
  }
  EXPECT_EQ(checked, 5u);
  // Our validator accepts it, and stb alone (no validation) decodes the same pixels.
  const io::PngStructure s = io::parse_png_structure(png, "crc.png");
  EXPECT_EQ(s.header.width, 16u);
  EXPECT_EQ(s.header.height, 8u);
  EXPECT_EQ(s.text.size(), 2u);
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;
  std::string reason;
  ASSERT_TRUE(io::png_codec::decode_rgb(png, &w, &h, &rgb, &reason)) << reason;
  EXPECT_EQ(rgb, im.rgb);
}

// Files in `dir` (POSIX calls: libtorch.so exports its own std::filesystem::remove_all, which crashes
// when it binds in place of libstdc++'s).
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
    closedir(d);
  }
  return out;
}

TEST(PngWrite, WritesAtomicallyAndReadsBack) {
  std::string dir = temp_path("png_write_XXXXXX");
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/out.png";
  const Image im = random_image(8, 16, 3);
  io::write_png(path, im, {{"parameters", "p"}});
  io::write_png(path, im, {{"parameters", "q"}});  // overwrite in place
  PngText text;
  EXPECT_TRUE(io::read_png(path, &text) == im);
  EXPECT_EQ(text, (PngText{{"parameters", "q"}}));
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"out.png"}) << "a temporary file was left behind";

  try {
    io::write_png(dir + "/missing/sub/out.png", im);
    ADD_FAILURE() << "writing into a missing directory succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing/sub/out.png"), std::string::npos) << e.what();
  }
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(PngWrite, RejectsBadImagesAndText) {
  const Image im = random_image(4, 4, 4);
  auto encode_error = [](const Image& image, const PngText& text) -> std::string {
    try {
      io::encode_png(image, text);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(encode_error(Image{0, 0, {}}, {}), "");
  EXPECT_NE(encode_error(Image{4, 4, std::vector<uint8_t>(47)}, {}).find("needs 48"), std::string::npos);
  EXPECT_NE(encode_error(Image{16385, 1, std::vector<uint8_t>(16385 * 3)}, {}).find("16384"), std::string::npos);
  const std::string long_key(80, 'k');
  for (const std::string& key : {std::string(""), long_key, std::string(" lead"), std::string("trail "),
                                 std::string("two  spaces"), std::string("tab\tkey"),
                                 std::string("\xE3\x82\xAD\xE3\x83\xBC") /* not Latin-1 */,
                                 std::string("bad\xFFutf8")}) {
    EXPECT_NE(encode_error(im, {{key, "v"}}).find("keyword"), std::string::npos) << "keyword accepted: " << key;
  }
  EXPECT_EQ(encode_error(im, {{std::string(79, 'k'), "v"}}), "");
  EXPECT_EQ(encode_error(im, {{"Caf\xC3\xA9", "v"}}), "");  // Latin-1 keyword
  EXPECT_NE(encode_error(im, {{"k", "nul\0inside"s}}).find("NUL"), std::string::npos);
  EXPECT_NE(encode_error(im, {{"k", "bad \xC3"}}).find("UTF-8"), std::string::npos);
}

TEST(PngTensor, ConvertsHwcUint8BothWays) {
  const Image im = random_image(5, 3, 6);
  const at::Tensor t = io::to_tensor(im);
  EXPECT_EQ(t.sizes().vec(), (std::vector<int64_t>{3, 5, 3}));
  EXPECT_EQ(t.scalar_type(), at::kByte);
  EXPECT_EQ(t[1][2][0].item<int>(), im.rgb[(1 * 5 + 2) * 3 + 0]);
  EXPECT_TRUE(io::from_tensor(t) == im);
  // Non-contiguous views are fine (e.g. a CHW tensor permuted to HWC).
  const at::Tensor chw = t.permute({2, 0, 1}).contiguous();
  EXPECT_TRUE(io::from_tensor(chw.permute({1, 2, 0})) == im);
  EXPECT_THROW(io::from_tensor(chw), Error);                // [3, H, W]
  EXPECT_THROW(io::from_tensor(t.to(at::kFloat)), Error);  // float
  EXPECT_THROW(io::from_tensor(at::Tensor()), Error);
}

// ---------------------------------------------------------------------------------------------------
// The golden fixtures

TEST(PngFixtures, PipelineGoldensAre64WideAnd96HighRgb) {
  size_t count = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::fixture("pipeline_golden"))) {
    if (e.path().extension() != ".png") continue;
    const io::PngStructure s = io::parse_png_structure(io::read_file(e.path().string()), e.path().string());
    EXPECT_EQ(s.header.color_type, 2) << e.path();  // truecolour
    EXPECT_EQ(s.header.bit_depth, 8) << e.path();
    PngText text;
    const Image im = io::read_png(e.path().string(), &text);
    EXPECT_EQ(im.width, 64) << e.path();
    EXPECT_EQ(im.height, 96) << e.path();
    EXPECT_TRUE(text.empty()) << e.path();
    ++count;
  }
  EXPECT_EQ(count, 26u);
}

// Each golden PNG is the golden VAE output `image` [B,3,H,W] in [-1,1] (`refiner.image` for the ensemble
// case) quantised like diffusers: round((x / 2 + 0.5).clamp(0, 1) * 255). README-models.md allows +-1.
TEST(PngFixtures, PixelsMatchTheGoldenImageTensors) {
  size_t compared = 0;
  double worst = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::fixture("pipeline_golden"))) {
    if (e.path().extension() != ".json") continue;
    const std::string name = e.path().stem().string();
    const auto info = nlohmann::json::parse(io::read_file(e.path().string()));
    const auto golden = test::load_golden("pipeline_golden/" + name + ".safetensors");
    const at::Tensor image = golden.count("image") ? golden.at("image") : golden.at("refiner.image");
    const auto& pngs = info.at("derived").at("png");
    ASSERT_EQ(int64_t(pngs.size()), image.size(0)) << name;
    for (size_t b = 0; b < pngs.size(); ++b) {
      const std::string png = pngs[b].get<std::string>();
      const at::Tensor want =
          ((image[b].to(at::kFloat) / 2 + 0.5).clamp(0, 1) * 255).round().permute({1, 2, 0}).to(at::kInt);
      const at::Tensor got = io::to_tensor(io::read_png(test::fixture("pipeline_golden/" + png))).to(at::kInt);
      EXPECT_TRUE(test::AllClose(png, got, want, 1.0));
      worst = std::max(worst, test::max_abs_diff(got, want));
      ++compared;
    }
  }
  EXPECT_EQ(compared, 25u);  // every listed PNG (the 26th file, the refiner input, is base_euler_8_cfg5.png)
  RecordProperty("max_abs_diff", std::to_string(worst));
}

// ---------------------------------------------------------------------------------------------------
// Colour types and bit depths are converted to 8-bit RGB

TEST(PngRead, ConvertsEveryColourTypeToRgb8) {
  struct Case {
    const char* what;
    std::string png;
    std::vector<uint8_t> want;  // RGB of a 2x1 image
  };
  const std::string plte = chunk("PLTE", "\x10\x20\x30\xA0\xB0\xC0"s);
  const std::vector<Case> cases = {
      {"grey 8", make_png(ihdr(2, 1, 8, 0), unfiltered({"\x00\xFF"s})), {0, 0, 0, 255, 255, 255}},
      {"grey 16", make_png(ihdr(2, 1, 16, 0), unfiltered({"\x12\x34\xAB\xCD"})), {0x12, 0x12, 0x12, 0xAB, 0xAB, 0xAB}},
      {"grey 1", make_png(ihdr(2, 1, 1, 0), unfiltered({"\x40"})), {0, 0, 0, 255, 255, 255}},
      {"grey+alpha 8", make_png(ihdr(2, 1, 8, 4), unfiltered({"\x80\x00\x40\xFF"s})), {128, 128, 128, 64, 64, 64}},
      {"rgba 8", make_png(ihdr(2, 1, 8, 6), unfiltered({"\x01\x02\x03\x00\x04\x05\x06\xFF"s})), {1, 2, 3, 4, 5, 6}},
      {"rgb 16", make_png(ihdr(2, 1, 16, 2), unfiltered({"\x01\x99\x02\x99\x03\x99\x04\x00\x05\x00\x06\x00"s})),
       {1, 2, 3, 4, 5, 6}},
      {"palette 2-bit", make_png(ihdr(2, 1, 2, 3), unfiltered({"\x40"}), plte), {0xA0, 0xB0, 0xC0, 0x10, 0x20, 0x30}},
      {"palette + tRNS", make_png(ihdr(2, 1, 8, 3), unfiltered({"\x01\x00"s}), plte + chunk("tRNS", "\x00"s)),
       {0xA0, 0xB0, 0xC0, 0x10, 0x20, 0x30}},
      {"palette index past PLTE is black", make_png(ihdr(2, 1, 8, 3), unfiltered({"\x01\xC8"}), plte),
       {0xA0, 0xB0, 0xC0, 0, 0, 0}},
  };
  for (const auto& c : cases) {
    try {
      const Image im = io::decode_png(c.png, c.what);
      EXPECT_EQ(im.width, 2) << c.what;
      EXPECT_EQ(im.height, 1) << c.what;
      EXPECT_EQ(im.rgb, c.want) << c.what;
    } catch (const Error& e) {
      ADD_FAILURE() << c.what << ": " << e.what();
    }
  }
}

TEST(PngRead, DecodesAdam7Interlacing) {
  const int w = 5, h = 5;
  const Image im = random_image(w, h, 7);
  static const int x0[7] = {0, 4, 0, 2, 0, 1, 0}, y0[7] = {0, 0, 4, 0, 2, 0, 1};
  static const int dx[7] = {8, 8, 4, 4, 2, 2, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
  std::string raw;
  for (int p = 0; p < 7; ++p)
    for (int y = y0[p]; y < h; y += dy[p]) {
      std::string row;
      for (int x = x0[p]; x < w; x += dx[p]) row.append(reinterpret_cast<const char*>(&im.rgb[(y * w + x) * 3]), 3);
      if (!row.empty()) raw += '\0' + row;
    }
  const Image got = io::decode_png(make_png(ihdr(w, h, 8, 2, 1), raw), "adam7.png");
  EXPECT_TRUE(got == im);
}

TEST(PngRead, DecodesAllTextChunkKinds) {
  const std::string ztxt = "Title\0\0"s + test::zlib_stored("caf\xE9");
  const std::string itxt_z = "prompt\0\1\0en\0Prompt\0"s + test::zlib_stored("\xE2\x82\xAC 5");
  const std::string png = make_png(ihdr(1, 1, 8, 0), unfiltered({"\x7F"}),
                                   chunk("tEXt", "Author\0J\xF6rg"s) + chunk("zTXt", ztxt) +
                                       chunk("iTXt", itxt_z) + chunk("prIV", "ancillary chunks are skipped"));
  PngText text;
  io::decode_png(png, "text.png", &text);
  EXPECT_EQ(text, (PngText{{"Author", "J\xC3\xB6rg"}, {"Title", "caf\xC3\xA9"}, {"prompt", "\xE2\x82\xAC 5"}}));
}

// ---------------------------------------------------------------------------------------------------
// Hostile input: clean errors naming the file

TEST(PngHostile, NotAPngFile) {
  for (const std::string& bytes : {std::string(), std::string("hello"), std::string("\xFF\xD8\xFF\xE0 JFIF"),
                                   std::string("\x89PNG\r\n\x1a"), std::string("GIF89a......")}) {
    const std::string err = decode_error(bytes, "photo.png");
    EXPECT_NE(err.find("photo.png: not a PNG file"), std::string::npos) << err;
  }
  EXPECT_THROW(io::read_png(temp_path("does_not_exist.png")), Error);
}

TEST(PngHostile, EveryTruncationIsAnError) {
  const std::string png = io::encode_png(random_image(3, 2, 8), {{"parameters", "truncate me"}});
  ASSERT_EQ(decode_error(png), "");
  for (size_t n = 0; n < png.size(); ++n) {
    const std::string err = decode_error(png.substr(0, n), "cut.png");
    EXPECT_EQ(err.rfind("cut.png: ", 0), 0u) << "prefix of " << n << " bytes: '" << err << "'";
  }
}

TEST(PngHostile, EveryCorruptedByteIsAnError) {
  const std::string png = io::encode_png(random_image(3, 2, 9), {{"parameters", "flip me"}});
  for (size_t i = 8; i < png.size(); ++i) {
    std::string bad = png;
    bad[i] = char(bad[i] ^ 0x5A);
    EXPECT_NE(decode_error(bad), "") << "corrupted byte " << i << " went unnoticed";
  }
  std::string bad_crc = png;
  bad_crc[8 + 4 + 4 + 13] ^= 1;  // IHDR's CRC
  EXPECT_NE(decode_error(bad_crc).find("chunk 'IHDR' at offset 8 has a bad CRC"), std::string::npos);
}

TEST(PngHostile, OversizedOrEmptyDimensions) {
  const std::string raw = unfiltered({"\x00\x00\x00"s});
  for (auto [w, h] : {std::pair<uint32_t, uint32_t>{100000, 100000}, {16385, 1}, {1, 16385}, {0xFFFFFFFF, 1}})
    EXPECT_NE(decode_error(make_png(ihdr(w, h, 8, 2), raw)).find("exceeds the limit of 16384"), std::string::npos)
        << w << "x" << h;
  EXPECT_NE(decode_error(make_png(ihdr(0, 5, 8, 2), raw)).find("empty image"), std::string::npos);
  // The largest allowed header with almost no data fails on the data, without decoding 805 MB.
  EXPECT_NE(decode_error(make_png(ihdr(16384, 16384, 8, 2), raw)).find("image data"), std::string::npos);
  // 16384^2 at 16-bit RGBA would inflate to 2 GiB: rejected from the header alone.
  EXPECT_NE(decode_error(make_png(ihdr(16384, 16384, 16, 6), raw)).find("would inflate to"), std::string::npos);
}

TEST(PngHostile, ImageDataOfTheWrongSize) {
  // 8x8 RGB header, data for 8x4 rows only.
  const std::string short_raw = unfiltered(std::vector<std::string>(4, std::string(24, '\x11')));
  EXPECT_NE(decode_error(make_png(ihdr(8, 8, 8, 2), short_raw)).find("truncated"), std::string::npos);
  // Zip bomb: a 1x1 header whose IDAT inflates to ~3 MB (a real compressed stream from the encoder).
  const std::string big = io::png_codec::encode_rgb(std::vector<uint8_t>(1024 * 1024 * 3).data(), 1024, 1024);
  const io::PngStructure s = io::parse_png_structure(big, "big");
  const std::string bomb = test::kSignature + ihdr(1, 1, 8, 2) + chunk("IDAT", s.idat) + chunk("IEND", "");
  ASSERT_LT(bomb.size(), 64u * 1024);
  EXPECT_NE(decode_error(bomb).find("inflates past"), std::string::npos);
  // Not a zlib stream at all.
  const std::string junk = test::kSignature + ihdr(1, 1, 8, 2) + chunk("IDAT", "junk") + chunk("IEND", "");
  EXPECT_NE(decode_error(junk).find("corrupt"), std::string::npos);
}

TEST(PngHostile, ChunkStructureViolations) {
  const std::string raw1 = unfiltered({"\x00\x00\x00"s});
  const std::string idat = chunk("IDAT", test::zlib_stored(raw1));
  const std::string iend = chunk("IEND", "");
  const std::string head = test::kSignature + ihdr(1, 1, 8, 2);
  const std::string plte = chunk("PLTE", "\x01\x02\x03");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {test::kSignature + idat + ihdr(1, 1, 8, 2) + iend, "first chunk must be IHDR"},
      {head + ihdr(1, 1, 8, 2) + idat + iend, "duplicate IHDR"},
      {test::kSignature + chunk("IHDR", "short") + idat + iend, "IHDR must be 13 bytes"},
      {head + chunk("ABCD", "") + idat + iend, "unknown critical chunk"},
      {head + chunk("a1b2", "") + idat + iend, "invalid type"},
      {head + idat + iend.substr(0, 8), "truncated"},
      {head + idat, "no IEND"},
      {head + iend, "no image data"},
      {head + idat + chunk("tEXt", "k\0v"s) + idat + iend, "consecutive"},
      {head + idat + chunk("IEND", "x"), "IEND must be empty"},
      {test::kSignature + ihdr(1, 1, 4, 2) + idat + iend, "bit depth 4 is not allowed"},
      {test::kSignature + ihdr(1, 1, 8, 5) + idat + iend, "invalid colour type 5"},
      {test::kSignature + ihdr(1, 1, 8, 2, 2) + idat + iend, "interlace"},
      {test::kSignature + ihdr(1, 1, 8, 3) + idat + iend, "without a PLTE"},
      {test::kSignature + ihdr(1, 1, 1, 3) + chunk("PLTE", std::string(9, 'p')) + idat + iend, "more entries"},
      {head + chunk("PLTE", "\x01\x02") + idat + iend, "PLTE has an invalid length"},
      {test::kSignature + ihdr(1, 1, 8, 0) + plte + idat + iend, "greyscale"},
      {test::kSignature + ihdr(1, 1, 8, 3) + plte + chunk("tRNS", "\x01\x02") + idat + iend, "tRNS"},
      {head + idat + plte + iend, "PLTE must appear once, before the image data"},
      {head + chunk("tEXt", "no separator") + idat + iend, "keyword is not NUL-terminated"},
      {head + chunk("tEXt", "\0v"s) + idat + iend, "keyword must be 1-79 bytes"},
      {head + chunk("zTXt", "k\0\0junk"s) + idat + iend, "compressed text is corrupt"},
      {head + chunk("zTXt", "k\0\1"s) + idat + iend, "unknown compression method"},
      {head + chunk("iTXt", "k\0\0\0\0\0\xC3"s) + idat + iend, "not valid UTF-8"},
      {head + chunk("iTXt", "k\0\0\0"s) + idat + iend, "language tag is not NUL-terminated"},
      {head + chunk("iTXt", "k\0\2\0\0\0v"s) + idat + iend, "compression flag"},
  };
  for (const auto& [png, want] : cases) {
    const std::string err = decode_error(png, "case.png");
    EXPECT_EQ(err.rfind("case.png: ", 0), 0u) << "want '" << want << "', got '" << err << "'";
    EXPECT_NE(err.find(want), std::string::npos) << "want '" << want << "', got '" << err << "'";
  }
  // A chunk whose length points past the end of the file.
  std::string past_end = head + idat + iend;
  past_end[33 + 3] = '\x7F';  // IDAT length low byte
  EXPECT_NE(decode_error(past_end).find("past the end of the file"), std::string::npos);
  std::string huge_len = head + idat + iend;
  huge_len[33] = '\xFF';  // IDAT length > 2^31
  EXPECT_NE(decode_error(huge_len).find("past the end of the file"), std::string::npos);
}

// Random mutations (with and without repaired CRCs, so they also reach the IHDR checks, the inflater
// and stb): every result is an image or an sdxl::Error. A crash or another exception fails the test.
TEST(PngHostile, RandomMutationsNeverCrash) {
  const std::vector<std::string> seeds = {
      io::encode_png(random_image(6, 5, 10), {{"parameters", "seed one"}, {"prompt", "\xE2\x82\xAC"}}),
      make_png(ihdr(2, 1, 2, 3), unfiltered({"\x40"}), chunk("PLTE", "\x10\x20\x30\xA0\xB0\xC0") + chunk("tRNS", "\x00"s)),
      make_png(ihdr(3, 3, 16, 6, 1), std::string(78, '\x01')),  // 78 = Adam7 raw size of 3x3 RGBA16
  };
  std::mt19937 rng(1234);
  int decoded = 0, rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string png = seeds[iter % seeds.size()];
    const int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = 8 + rng() % (png.size() - 8);
      switch (rng() % 4) {
        case 0: png[at] = char(rng()); break;
        case 1: png[at] = char(png[at] ^ (1 << (rng() % 8))); break;
        case 2: png.erase(at, 1 + rng() % 8); break;
        default: png.insert(at, std::string(1 + rng() % 8, char(rng()))); break;
      }
      if (png.size() <= 8) png = seeds[0];
    }
    if (iter % 2 == 0) fix_crcs(png);
    try {
      const Image im = io::decode_png(png, "mutant.png");
      EXPECT_EQ(im.rgb.size(), size_t(im.width) * im.height * 3);
      ++decoded;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("mutant.png: ", 0), 0u) << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(decoded, 0);  // some mutants stay valid (e.g. changed pixel bytes with repaired CRCs)
}

}  // namespace
}  // namespace sdxl
