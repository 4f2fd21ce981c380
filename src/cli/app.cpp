// sdxl-gen: thin command line over the sdxl library. Parses flags, dispatches to a subcommand, and maps
// errors to one line on stderr plus a documented exit code (cli/exit_codes.h).
#include <iostream>

#include "cli/app.h"
#include "cli/version.h"

#include "cli/commands.h"
#include "cli/error_report.h"
#include "cli/exit_codes.h"
#include "common/error.h"

namespace sdxl::cli {
namespace {

std::string g_invocation;
std::vector<std::string> g_args;

// Shell-safe words stay bare; others get single quotes (the --resume hint must paste back as typed).
std::string shell_word(const std::string& w) {
  const bool plain = !w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                        "0123456789-_./=:,+@%") == std::string::npos;
  if (plain) return w;
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

void set_invocation(int argc, char** argv) {
  g_invocation = "sdxl-gen";
  g_args.assign(argv, argv + argc);
  for (int i = 1; i < argc; ++i) g_invocation += " " + shell_word(argv[i]);
}

std::string invocation() { return g_invocation; }

const std::vector<std::string>& invocation_args() { return g_args; }

int run_app(int argc, char** argv) {
  set_invocation(argc, argv);
  CLI::App app{
      "sdxl-gen: Stable Diffusion XL 1.0 text-to-image on libtorch.\n"
      "Defaults follow the reference SDXL pipeline: 1024x1024, Euler, 30 steps, CFG 5.0.\n"
      "Exit codes: 0 ok, 1 failed, 2 bad flag/value or output, 3 bad input file, 4 batch partly failed, 130 interrupted."};
  app.set_version_flag("--version", [] { return version_report(); }, "Print version, commit, libtorch and CPU/CUDA features");
  app.require_subcommand(0, 1);
  std::vector<Command> commands = {add_generate(app),  add_check_weights(app), add_tokenize(app),
                                   add_encode(app),    add_compare(app),       add_info(app),
                                   add_bench(app),     add_batch_status(app),
                                   add_verify(app),    add_preprocess(app),    add_serve(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "sdxl-gen: " << e.what() << " (see --help)\n";
    return kUsage;
  } catch (const sdxl::Error& e) {  // a typed flag's value (--device, --dtype) parsed as it is read
    std::cerr << "sdxl-gen: " << flag_message(e) << "\n";
    return exit_code(e.category());
  }
  try {
    for (size_t i = 1; i < commands.size(); ++i)
      if (commands[i].app->parsed()) return commands[i].run();
    return commands[0].run();
  } catch (const sdxl::Error& e) {
    std::cerr << "sdxl-gen: " << flag_message(e) << "\n";
    return exit_code(e.category());
  } catch (const std::exception& e) {
    // Out of memory outside a batch item (e.g. loading the models): no request to name.
    const auto oom = as_out_of_memory(e);
    std::cerr << "sdxl-gen: " << (oom ? out_of_memory_message(*oom, nullptr, false) : one_line(e)) << "\n";
    return kFailed;
  }
}

}  // namespace sdxl::cli
