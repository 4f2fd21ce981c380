// Runs the real sdxl-gen executable for end-to-end tests: exit code, stdout and stderr of one invocation.
#pragma once
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "test_util.h"

namespace sdxl::test {

struct CliResult {
  int code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The whole file, or nullopt when it cannot be opened (a process's /proc file after it exited).
inline std::optional<std::string> try_slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The whole file; a file that cannot be read fails the test (and reads as a text naming it, so two missing
// files never compare equal).
inline std::string slurp(const std::string& path) {
  std::optional<std::string> text = try_slurp(path);
  if (!text) {
    ADD_FAILURE() << "cannot read " << path;
    return "<unreadable " + path + ">";
  }
  return *text;
}

// The test build of the CLI: the same command line plus failure injection (SDXL_GEN_FAIL_ITEM).
inline std::string test_cli_path() { return SDXL_CLI_TEST_PATH; }

// `args` is appended to the executable verbatim (quote values with shell_quote); `env` prefixes it.
inline CliResult run_cli(const std::string& args, const std::string& env = "", const std::string& exe = SDXL_CLI_PATH) {
  static int counter = 0;
  const std::string base = ::testing::TempDir() + "/cli_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  const std::string cmd = env + " " + shell_quote(exe) + " " + args + " >" + base + ".out 2>" + base + ".err";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

// Runs sdxl-gen with `args` in the background (stdout to /dev/null, stderr to DIR/err, its pid in DIR/pid, its
// exit status in DIR/rc), polls every 20 ms until `ready()` (or `timeout`: the signal is sent anyway and the test
// fails on what it finds), waits `settle`, sends `signal` ("INT", "TERM") and waits for the process to end.
// Returns when the signal was sent, for latency checks.
inline std::chrono::steady_clock::time_point interrupt_cli(const std::string& args, const std::string& dir,
                                                           const std::string& signal, const std::function<bool()>& ready,
                                                           std::chrono::seconds timeout = std::chrono::seconds(120),
                                                           std::chrono::milliseconds settle = std::chrono::milliseconds(0)) {
  const std::string cmd = shell_quote(SDXL_CLI_PATH) + " " + args + " >/dev/null 2>" + dir + "/err & echo $! > " + dir +
                          "/pid; wait $!; echo $? > " + dir + "/rc";
  std::thread runner([&] { std::system(("bash -c " + shell_quote(cmd)).c_str()); });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(settle);
  const auto sent = std::chrono::steady_clock::now();
  std::system(("kill -" + signal + " $(cat " + dir + "/pid)").c_str());
  runner.join();
  return sent;
}

// Whether the run's stderr (DIR/err, created by the shell when the command starts) contains `text` yet.
inline bool err_contains(const std::string& dir, const std::string& text) {
  return try_slurp(dir + "/err").value_or("").find(text) != std::string::npos;
}

inline bool file_exists(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0;
}

// A fresh empty folder for one test.
inline std::string fresh_dir(const std::string& name) {
  const std::string d = ::testing::TempDir() + "/" + name + "_" + std::to_string(getpid());
  std::system(("rm -rf " + shell_quote(d) + " && mkdir -p " + shell_quote(d)).c_str());
  return d;
}

inline int count_files(const std::string& dir, const std::string& suffix = ".png") {
  int n = 0;
  std::string cmd = "ls " + shell_quote(dir) + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (p && fgets(buf, sizeof buf, p)) {
    std::string s(buf);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) ++n;
  }
  if (p) pclose(p);
  return n;
}

// Flags for a fast generation with the bundled tiny model (tiny_base: without --size).
inline std::string tiny_base() { return "--model tiny --steps 2 --quiet"; }
inline std::string tiny_flags() { return tiny_base() + " --size 64x64"; }

}  // namespace sdxl::test
