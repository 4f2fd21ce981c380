// Shared pieces of the HTTP mappings: the error a request field causes (with its HTTP status), base64,
// images in requests, and typed reads of JSON fields where null means absent (the web UI's clients send
// nulls for fields they do not use).
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "io/png.h"
#include "sdxl/request.h"

namespace sdxl::server {

// A request the server refuses: status 400 (unreadable body, base64, image) or 422 (a field's value),
// naming the field.
struct WireError : std::runtime_error {
  WireError(int status, std::string field, const std::string& message)
      : std::runtime_error(field.empty() ? message : field + ": " + message), status(status), field(std::move(field)) {}
  int status;
  std::string field;
};

std::string base64_encode(std::string_view bytes);
// Standard alphabet, padding optional, ASCII whitespace ignored; a "data:...;base64," prefix is dropped.
// Throws WireError 400 naming `field` for anything else.
std::string base64_decode(std::string_view text, const std::string& field);

// A PNG or JPEG (bytes) as 8-bit RGB; 400 naming `field` when it is not one that can be read.
io::Image decode_image(const std::string& bytes, const std::string& field);
// The PNG's alpha channel as a mask: transparent (alpha 0) -> 255 (repaint), opaque -> 0 (OpenAI's mask
// convention). nullopt when the PNG has no alpha channel, or the image is a JPEG.
std::optional<io::Image> alpha_mask(const std::string& png_bytes, const std::string& field);
// The image resized to width x height the web UI's way (resize_mode 0 just resize, 1 crop and resize,
// 2 resize and fill: io/webui_resize.h).
io::Image resize_image(const io::Image& image, int width, int height, int resize_mode);
// A decoded upload handed to the run layer in memory (GenerationRequest::input_images), never as a file:
// `slot` (the request's init_image or mask) names it "upload:FIELD" and the image's PNG is kept under that
// name, which the PNG metadata then records.
void attach_upload(GenerationRequest& r, std::optional<std::string>& slot, const std::string& field, const io::Image& image);

// JSON body -> object; 400 when it is not a JSON object.
nlohmann::json parse_json_object(const std::string& body);

// Field readers: absent or null -> nullopt; a wrong type or a value outside [lo, hi] -> WireError 422.
std::optional<std::string> opt_string(const nlohmann::json& j, const char* key);
std::optional<long long> opt_int(const nlohmann::json& j, const char* key, long long lo, long long hi);
std::optional<double> opt_number(const nlohmann::json& j, const char* key, double lo, double hi);
std::optional<bool> opt_bool(const nlohmann::json& j, const char* key);

// Every <lora:NAME:...> tag of `prompt` names a file inside --lora-dir: NAME may not climb out of it
// (no '/', '\\', "..", NUL). 422 naming `field` otherwise.
void check_lora_tags(const std::string& prompt, const std::string& field);

}  // namespace sdxl::server
