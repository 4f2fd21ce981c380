// Filesystem questions asked all over the program, answered once: what a path is, its folder, joining.
// None throws; callers raise their own error naming the field or file.
#pragma once
#include <string>
#include <vector>

namespace sdxl::io {

bool path_exists(const std::string& path);
bool is_dir(const std::string& path);
bool is_file(const std::string& path);  // a regular file (symlinks followed)
// "a/b.png" -> "a", "b.png" -> ".", "/b.png" -> "/".
std::string parent_dir(const std::string& path);
// `name` inside `dir` ("" or "." adds nothing: "x.png" stays relative as the user wrote it).
std::string join_path(const std::string& dir, const std::string& name);
// The entry names in `dir` (no "." and ".."), sorted; empty when it cannot be read.
std::vector<std::string> list_dir(const std::string& dir);
// The folder of the running executable (from /proc/self/exe); "" when it cannot be told. Bundled data is found
// beside it (the build folder) or under ../share/sdxl-gen (an install), never through a compiled-in source path.
std::string executable_dir();
// A folder we could create a file in: it exists and is writable (no file is created).
bool is_writable_dir(const std::string& dir);

}  // namespace sdxl::io
