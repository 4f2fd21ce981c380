// Output file names for batches, from a template such as "{index:05d}-{seed}-{prompt:.40}".
// Names are built so they can never leave the output directory: every field value is slugified, the
// template's own text may not hold '/', '\' or control characters, and the result is a plain file name.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace sdxl::io {

constexpr size_t kMaxOutputNameBytes = 200;  // well under NAME_MAX (255) on every common file system

struct NameFields {
  int64_t index = 0;  // the item's position in its prompt file
  int64_t image = 0;  // the image within the item (num_images > 1)
  uint64_t seed = 0;
  std::string prompt;
  int steps = 0;
  std::string sampler;
  double cfg = 0.0;
  int width = 0, height = 0;
  std::string model;
};

// Lowercase ASCII letters, digits, '-', '_' and the letters of other scripts ("café", "宇宙") only: other
// characters (uppercase ASCII letters are lowered) become '_', runs of '_' collapse to one, '_' and '-' are
// trimmed from both ends (also after cutting to `max_len` bytes at a character boundary, which counts as 1
// when 0); an empty result is "_". "../../etc/passwd" -> "etc_passwd".
std::string slugify(const std::string& text, size_t max_len = kMaxOutputNameBytes);

// Fields: {index} {image} {seed} {steps} {width} {height} (integers; spec "d" or "0Nd", N <= 20, e.g. {index:05d}),
// {prompt} {sampler} {model} (spec ".N" keeps the first N characters of the slug, e.g. {prompt:.40}),
// {cfg} (shortest form, e.g. 7.5 -> "7_5"; spec ".Nf" for N <= 6 decimals). "{{" and "}}" are literal braces.
// The result ends in ".png" (appended when the template lacks it), is at most kMaxOutputNameBytes bytes,
// and has no '/' and no leading '.'. Unknown fields, bad specs, unbalanced braces, or template text
// with '/', '\', control characters or invalid UTF-8 throw sdxl::Error naming the template.
std::string render_name(const std::string& tmpl, const NameFields& fields);

// Throws exactly when render_name would throw for this template (for checking a flag up front).
void check_name_template(const std::string& tmpl);

}  // namespace sdxl::io
