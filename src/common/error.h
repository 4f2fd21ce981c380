// The one exception type sdxl-gen throws for bad input or a failed generation. It carries what the
// library knows in its own terms: a category (what kind of problem, so a front end can choose an exit
// code) and, when one request or option field is at fault, that field's name ("init_image", "strength",
// "device"). Front ends spell the field their own way (the CLI as a flag, a prompt file as a JSON key);
// the library never writes flag names.
#pragma once
#include <stdexcept>
#include <string>

namespace sdxl {

enum class ErrorCategory {
  Usage,       // a request or option value that is invalid in itself or in combination
  Input,       // an input file (model, image, prompt file, PNG metadata) is missing, unreadable or invalid
  Output,      // an output cannot be written (folder not creatable, existing file, colliding names)
  Resource,    // the machine lacks something (memory, a CUDA device)
  Generation,  // generation failed for another reason
};

struct Error : std::runtime_error {
  // Input category, no field: the historical meaning of a plain sdxl::Error (a bad input file).
  explicit Error(const std::string& message) : Error(ErrorCategory::Input, "", message) {}
  Error(ErrorCategory category, const std::string& message) : Error(category, "", message) {}
  // what() is "field: message", so callers that only print what() still name the field.
  Error(ErrorCategory category, std::string field, const std::string& message)
      : std::runtime_error(field.empty() ? message : field + ": " + message),
        category_(category),
        field_(std::move(field)),
        detail_(message) {}

  ErrorCategory category() const { return category_; }
  const std::string& field() const { return field_; }  // request/option field at fault, or ""
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

}  // namespace sdxl
