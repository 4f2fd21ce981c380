// The sdxl-gen command line as a function, so the product executable (src/cli/main.cpp) and the test
// executable with fault injection (tests/cli/fault/) share everything but main().
#pragma once
#include <string>
#include <vector>

namespace sdxl::cli {

int run_app(int argc, char** argv);

// The command line as typed (shell-quoted where needed), for messages such as the --resume hint.
void set_invocation(int argc, char** argv);
std::string invocation();
// The arguments exactly as given (argv[0] included), to re-execute this process (--reproducible).
const std::vector<std::string>& invocation_args();

}  // namespace sdxl::cli
