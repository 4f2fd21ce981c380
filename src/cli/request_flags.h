// Generation flags -> request fields. Every flag is stored as given and converted to the request's JSON
// form, so CLI flags, prompt-file lines and PNG metadata share one parser (request_from_json).
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace sdxl::cli {

class RequestFlags {
 public:
  // Registers --prompt, --size, --steps, ... on `app`.
  void add_to(CLI::App& app);
  // The request fields the user gave explicitly (typed JSON), for request_from_json.
  nlohmann::json given() const;

 private:
  enum class Kind { String, Int, UInt, Double, Bool, Size, Pair };
  struct Flag {
    std::string field;
    Kind kind;
    std::string value;
    bool flag_set = false;
    CLI::Option* option = nullptr;
  };
  static nlohmann::json convert(const std::string& field, const std::string& value, Kind kind);
  void add(CLI::App& app, const std::string& name, const std::string& field, Kind kind, const std::string& help);
  std::map<std::string, Flag> flags_;  // by flag name
};

}  // namespace sdxl::cli
