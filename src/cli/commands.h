// The sdxl-gen subcommands. Each registers its flags on a CLI11 (sub)app and runs when selected;
// run functions return an ExitCode and let sdxl::Error escape (main turns it into one stderr line).
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <memory>

namespace sdxl::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_generate(CLI::App& app);  // the default command: flags live on the main app
Command add_check_weights(CLI::App& app);
Command add_tokenize(CLI::App& app);
Command add_encode(CLI::App& app);
Command add_compare(CLI::App& app);
Command add_info(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_batch_status(CLI::App& app);
Command add_verify(CLI::App& app);
Command add_preprocess(CLI::App& app);  // control preprocessors (canny)
Command add_serve(CLI::App& app);  // sdxl-gen serve (src/server/)

}  // namespace sdxl::cli
