// sdxl::Error: the one exception type the library throws for bad input or a failed generation. It carries
// what the library knows in its own terms: a category (what kind of problem, so a front end can choose an
// exit code or an HTTP status) and, when one request or option field is at fault, that field's name
// ("init_image", "strength", "device"). Front ends spell the field their own way (the CLI as a flag, a
// prompt file or the server as a JSON key); the library never writes flag names.
#pragma once
#include <stdexcept>
#include <string>
#include <utility>

namespace sdxl {

enum class ErrorCategory {
  Usage,       // a request or option value that is invalid in itself or in combination
  Input,       // an input file (model, image, prompt file, PNG metadata) is missing, unreadable or invalid
  Output,      // an output cannot be written (folder not creatable, existing file, colliding names)
  Resource,    // the machine lacks something (memory, a CUDA device)
  Generation,  // generation failed for another reason
};

struct Error : std::runtime_error {
  // Every throw states its category and its field ("" when no single field is at fault): there is no
  // one-argument form, so no error silently becomes an input error.
  Error(ErrorCategory category, std::string field, const std::string& message)
      : std::runtime_error(field.empty() ? message : field + ": " + message),  // what() still names the field
        category_(category),
        field_(std::move(field)),
        detail_(message) {}

  ErrorCategory category() const { return category_; }
  const std::string& field() const { return field_; }    // request/option field at fault, or ""
  const std::string& detail() const { return detail_; }  // the message without the field prefix

 private:
  ErrorCategory category_;
  std::string field_, detail_;
};

// Shorthands for the common cases.
inline Error usage_error(const std::string& field, const std::string& message) {
  return Error(ErrorCategory::Usage, field, message);
}
inline Error input_error(const std::string& field, const std::string& message) {
  return Error(ErrorCategory::Input, field, message);
}
inline Error output_error(const std::string& field, const std::string& message) {
  return Error(ErrorCategory::Output, field, message);
}

}  // namespace sdxl
