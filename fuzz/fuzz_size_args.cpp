// Fuzz target: size/pair flags (src/io/size_parse.h), the micro-conditioning time ids built from them
// (src/unet/micro_conditioning.h) and output file names (src/io/output_naming.h).
// The input is split at '\n' into fields:
//   0 image size "WxH"   1 crop "TOP,LEFT"   2 original size "WxH"   3 name template   4 prompt   5 cfg
// Parsed values must be in range, time ids must hold exactly those values, and a rendered name must be
// a plain file name (no '/', no leading '.', ends ".png" in any case, <= 200 bytes) whatever the prompt holds.
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "fuzz_util.h"
#include "io/output_naming.h"
#include "io/size_parse.h"
#include "io/utf8.h"
#include "unet/micro_conditioning.h"

namespace {

using sdxl::io::kMaxImageSide;

std::optional<sdxl::io::WidthHeight> size_or_none(const std::string& text, int multiple_of) {
  try {
    auto s = sdxl::io::parse_size(text, multiple_of);
    FUZZ_CHECK(s.width >= 1 && s.width <= kMaxImageSide && s.width % multiple_of == 0, text);
    FUZZ_CHECK(s.height >= 1 && s.height <= kMaxImageSide && s.height % multiple_of == 0, text);
    return s;
  } catch (const sdxl::Error&) {
    return std::nullopt;
  }
}

void check_row(const at::Tensor& row, const std::vector<double>& want, const char* what) {
  FUZZ_CHECK(row.dim() == 2 && row.size(0) == 1 && row.size(1) == int64_t(want.size()), what);
  FUZZ_CHECK(row.scalar_type() == at::kFloat, what);
  for (size_t i = 0; i < want.size(); ++i)
    FUZZ_CHECK(row[0][int64_t(i)].item<double>() == double(float(want[i])), what);
}

void time_ids(const std::vector<std::string>& f) {
  const auto image = size_or_none(f[0], 8);
  if (!image) return;
  const sdxl::PixelSize px{image->height, image->width};
  sdxl::MicroConditioning mc;
  std::optional<std::pair<int, int>> crop;
  try {
    crop = sdxl::io::parse_pair(f[1]);
    FUZZ_CHECK(crop->first >= 0 && crop->first <= kMaxImageSide && crop->second >= 0 && crop->second <= kMaxImageSide,
               f[1]);
    mc.crop_top_left = sdxl::CropTopLeft{crop->first, crop->second};
  } catch (const sdxl::Error&) {
  }
  if (auto orig = size_or_none(f[2], 1)) mc.original_size = sdxl::PixelSize{orig->height, orig->width};
  const auto orig = mc.original_size.value_or(px);
  const auto c = mc.crop_top_left.value_or(sdxl::CropTopLeft{});
  auto base = sdxl::base_time_ids(mc, px);
  const std::vector<double> want{double(orig.height), double(orig.width), double(c.top), double(c.left),
                                 double(px.height),   double(px.width)};
  check_row(base.positive, want, "base positive");
  check_row(base.negative, want, "base negative equals positive");
  auto refiner = sdxl::refiner_time_ids(mc, px);
  check_row(refiner.positive, {want[0], want[1], want[2], want[3], sdxl::kDefaultAestheticScore}, "refiner positive");
  check_row(refiner.negative, {want[0], want[1], 0, 0, sdxl::kDefaultNegativeAestheticScore}, "refiner negative");
  sdxl::micro_conditioning_warnings(mc, sdxl::TimeIdLayout::kBase);
  sdxl::micro_conditioning_warnings(mc, sdxl::TimeIdLayout::kRefiner);
}

void check_name(const std::string& name, const std::string& what) {
  FUZZ_CHECK(!name.empty() && name.size() <= sdxl::io::kMaxOutputNameBytes, what);
  // ".png" in any case (a template's own ".PNG" is kept as written).
  std::string ext = name.size() >= 4 ? name.substr(name.size() - 4) : "";
  for (auto& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  FUZZ_CHECK(ext == ".png", what + " -> " + name);
  FUZZ_CHECK(name.find('/') == std::string::npos && name.find('\\') == std::string::npos, what + " -> " + name);
  FUZZ_CHECK(name[0] != '.', what + " -> " + name);
  for (unsigned char ch : name) FUZZ_CHECK(ch >= 0x20 && ch != 0x7f, what + " -> control character");
  FUZZ_CHECK(sdxl::io::is_valid_utf8(name), what);
}

void names(const std::vector<std::string>& f, size_t size) {
  sdxl::io::NameFields fields;
  fields.index = int64_t(size) * 7919 - 50000;  // some negative, some positive
  fields.seed = ~uint64_t(0) - size;
  fields.prompt = f[4];
  fields.sampler = f[3];
  fields.model = f[4];
  fields.steps = int(size);
  const char* cfg_text = f[5].c_str();
  char* end = nullptr;
  fields.cfg = std::strtod(cfg_text, &end);  // may be nan, inf, 1e308, ...
  if (end == cfg_text) fields.cfg = 7.5;
  fields.width = 1024;
  fields.height = 768;

  // The prompt as a field value: every field kind and spec.
  for (const char* tmpl : {"{index:05d}-{seed}-{prompt:.40}", "{prompt}", "{model}.png", "{sampler:.3}-{cfg}",
                           "{cfg:.2f}_{steps:020d}", "{prompt:.1}"})
    check_name(sdxl::io::render_name(tmpl, fields), tmpl);
  // The input as a template: check_name_template throws exactly when render_name does.
  bool template_ok = true;
  try {
    sdxl::io::check_name_template(f[3]);
  } catch (const sdxl::Error&) {
    template_ok = false;
  }
  try {
    const std::string name = sdxl::io::render_name(f[3], fields);
    FUZZ_CHECK(template_ok, "check_name_template rejected a template render_name accepts");
    check_name(name, "template");
  } catch (const sdxl::Error&) {
    FUZZ_CHECK(!template_ok, "render_name rejected a template check_name_template accepts");
  }
  const std::string slug = sdxl::io::slugify(f[4], 1 + size % 64);
  FUZZ_CHECK(!slug.empty() && slug.size() <= 1 + size % 64, "slug length");
  // ASCII bytes from the slug alphabet; other scripts' letters are kept (output_naming.h), as whole UTF-8
  // characters: the cut at max_len must not split one.
  FUZZ_CHECK(sdxl::io::is_valid_utf8(slug), "slug is valid UTF-8");
  for (unsigned char ch : slug)
    FUZZ_CHECK(ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_',
               "slug alphabet");
  FUZZ_CHECK(slug == "_" || (slug.front() != '_' && slug.front() != '-' && slug.back() != '_' && slug.back() != '-'),
             "slug trimmed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> f(6);
  size_t field = 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n' && field + 1 < f.size()) {
      ++field;
      continue;
    }
    f[field].push_back(static_cast<char>(data[i]));
  }
  time_ids(f);
  names(f, size);
  return 0;
}
