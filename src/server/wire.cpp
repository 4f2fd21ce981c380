#include "server/wire.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/strings.h"
#include "io/image_file.h"
#include "io/jpeg.h"
#include "io/webui_resize.h"
#include "io/png_codec.h"

namespace sdxl::server {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string type_name(const nlohmann::json& v) { return v.type_name(); }

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= uint8_t(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text, const std::string& field) {
  // Clients send images as data URLs or bare base64 (the web UI accepts both).
  if (starts_with(std::string(text.substr(0, 5)), "data:")) {
    const auto comma = text.find(',');
    if (comma == std::string_view::npos || text.substr(0, comma).find(";base64") == std::string_view::npos)
      throw WireError(400, field, "a data URL must be base64 (data:image/png;base64,...)");
    text.remove_prefix(comma + 1);
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  for (unsigned char c : text) {
    if (is_ascii_space(static_cast<char>(c))) continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    const int v = sextet(c);
    if (v < 0 || pad) throw WireError(400, field, "is not valid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (pad > 2 || bits >= 6) throw WireError(400, field, "is not valid base64 (truncated)");
  if (out.empty()) throw WireError(400, field, "is empty");
  return out;
}

io::Image decode_image(const std::string& bytes, const std::string& field) {
  try {
    return io::decode_image(bytes, field);
  } catch (const Error& e) {
    throw WireError(400, field, std::string("is not a PNG or JPEG image that can be read (") + e.detail() + ")");
  }
}

std::optional<io::Image> alpha_mask(const std::string& png, const std::string& field) {
  decode_image(png, field);  // structure checks and bounds before the decoder sees it
  if (io::looks_like_jpeg(png)) return std::nullopt;  // a JPEG has no alpha channel
  int w = 0, h = 0;
  bool has_alpha = false;
  std::vector<uint8_t> alpha;
  std::string error;
  if (!io::png_codec::decode_alpha(png, &w, &h, &alpha, &has_alpha, &error))
    throw WireError(400, field, "is not a PNG image that can be read (" + error + ")");
  if (!has_alpha) return std::nullopt;
  io::Image mask{w, h, std::vector<uint8_t>(alpha.size() * 3)};
  for (size_t i = 0; i < alpha.size(); ++i) mask.rgb[i * 3] = mask.rgb[i * 3 + 1] = mask.rgb[i * 3 + 2] = alpha[i] == 0 ? 255 : 0;
  return mask;
}

io::Image resize_image(const io::Image& im, int width, int height, int mode) {
  return io::webui_resize(im, width, height, static_cast<io::WebUiResize>(mode));
}

void attach_upload(GenerationRequest& r, std::optional<std::string>& slot, const std::string& field, const io::Image& image) {
  slot = "upload:" + field;
  r.input_images[*slot] = std::make_shared<const std::string>(io::encode_png(image));
}

nlohmann::json parse_json_object(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) throw WireError(400, "", "the body is not valid JSON");
  if (!j.is_object()) throw WireError(400, "", std::string("the body must be a JSON object, got ") + j.type_name());
  return j;
}

std::optional<std::string> opt_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw WireError(422, key, "expected a string, got " + type_name(*it));
  return it->get<std::string>();
}

std::optional<long long> opt_int(const nlohmann::json& j, const char* key, long long lo, long long hi) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  long long v = 0;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<unsigned long long>() > static_cast<unsigned long long>(hi))
      throw WireError(422, key, "must be at most " + std::to_string(hi));
    v = it->get<long long>();
  } else if (it->is_number_float() && std::isfinite(it->get<double>()) && it->get<double>() == std::floor(it->get<double>()) &&
             std::fabs(it->get<double>()) < 9e15) {
    v = static_cast<long long>(it->get<double>());
  } else {
    throw WireError(422, key, "expected an integer, got " + (it->is_number() ? it->dump() : type_name(*it)));
  }
  if (v < lo || v > hi)
    throw WireError(422, key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + std::to_string(v));
  return v;
}

std::optional<double> opt_number(const nlohmann::json& j, const char* key, double lo, double hi) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) throw WireError(422, key, "expected a number, got " + type_name(*it));
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi)
    throw WireError(422, key, "must be in " + nlohmann::json(lo).dump() + ".." + nlohmann::json(hi).dump() + ", got " + it->dump());
  return v;
}

std::optional<bool> opt_bool(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw WireError(422, key, "expected true or false, got " + type_name(*it));
  return it->get<bool>();
}

void check_lora_tags(const std::string& prompt, const std::string& field) {
  for (size_t at = prompt.find("<lora:"); at != std::string::npos; at = prompt.find("<lora:", at + 1)) {
    const size_t start = at + 6, end = prompt.find_first_of(":>", start);
    const std::string name = prompt.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos ||
        name.find("..") != std::string::npos || name.find('\0') != std::string::npos)
      throw WireError(422, field, "LoRA name '" + name + "' must be a file name inside --lora-dir (no path)");
  }
}

}  // namespace sdxl::server
