// sdxl-gen: thin command line over the sdxl library. Parses flags, dispatches to a subcommand, and maps
// errors to one line on stderr plus a documented exit code (cli/exit_codes.h).
#include <iostream>

#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "common/error.h"

int main(int argc, char** argv) {
  using namespace sdxl::cli;
  CLI::App app{
      "sdxl-gen: Stable Diffusion XL 1.0 text-to-image on libtorch.\n"
      "Defaults follow the reference SDXL pipeline: 1024x1024, Euler, 30 steps, CFG 5.0.\n"
      "Exit codes: 0 ok, 1 failed, 2 bad flag/value, 3 bad input file, 4 batch partly failed, 130 interrupted."};
  app.require_subcommand(0, 1);
  std::vector<Command> commands = {add_generate(app),  add_check_weights(app), add_tokenize(app),
                                   add_encode(app),    add_compare(app),       add_info(app),
                                   add_bench(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "sdxl-gen: " << e.what() << " (see --help)\n";
    return kUsage;
  }
  try {
    for (size_t i = 1; i < commands.size(); ++i)
      if (commands[i].app->parsed()) return commands[i].run();
    return commands[0].run();
  } catch (const UsageError& e) {
    std::cerr << "sdxl-gen: " << e.what() << "\n";
    return kUsage;
  } catch (const sdxl::Error& e) {
    std::cerr << "sdxl-gen: " << e.what() << "\n";
    return kInput;
  } catch (const std::exception& e) {
    // Out of memory outside a batch item (e.g. loading the models): no request to name.
    const auto oom = as_out_of_memory(e);
    std::cerr << "sdxl-gen: " << (oom ? out_of_memory_message(*oom, nullptr, false) : one_line(e)) << "\n";
    return kFailed;
  }
}
