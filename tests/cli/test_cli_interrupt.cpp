// SIGINT during a batch: the current image is abandoned (no partial file), finished ones stay intact, the
// exit code says "interrupted", and --resume finishes the rest. SIGTERM is the same interrupt.

#include "cli_runner.h"
#include "io/png.h"

namespace sdxl::test {
namespace {

TEST(CliInterrupt, SigintKeepsFinishedImagesAndResumeCompletes) {
  const std::string dir = fresh_dir("sigint");
  std::ofstream(dir + "/p.txt") << "one\ntwo\nthree\nfour\nfive\nsix\n";
  const std::string args = "--model tiny --size 128x128 --steps 12 --quiet --seed 4 --prompt-file " + dir +
                           "/p.txt --out-dir " + dir + "/out";
  // Interrupt as soon as the first image is on disk.
  interrupt_cli(args, dir, "INT", [&] { return count_files(dir + "/out") >= 1; });
  EXPECT_EQ(std::stoi(slurp(dir + "/rc")), 130) << slurp(dir + "/err");
  const int written = count_files(dir + "/out");
  // The last line says so even with --quiet: how many written, how many left, and how to continue.
  std::string err = slurp(dir + "/err");
  while (!err.empty() && err.back() == '\n') err.pop_back();
  const std::string last = err.substr(err.rfind('\n') == std::string::npos ? 0 : err.rfind('\n') + 1);
  EXPECT_EQ(last.rfind("sdxl-gen: interrupted: " + std::to_string(written) + " image(s) written, " +
                           std::to_string(6 - written) + " item(s) left; to continue: sdxl-gen ", 0), 0u) << last;
  EXPECT_NE(last.find(" --prompt-file " + dir + "/p.txt"), std::string::npos) << last;
  EXPECT_TRUE(last.size() >= 9 && last.substr(last.size() - 9) == " --resume") << last;
  EXPECT_GE(written, 1);
  EXPECT_LT(written, 6) << "the interrupt came too late to test anything";
  // Besides the PNGs only the batch manifest (manifest-0-of-1.jsonl, one line per written image).
  EXPECT_EQ(count_files(dir + "/out", "") - count_files(dir + "/out", ".jsonl"), written)
      << "a temporary or partial file was left behind";
  // Every PNG that exists is complete and decodes.
  FILE* listing = popen(("ls " + dir + "/out/*.png").c_str(), "r");
  char buf[4096];
  while (listing && fgets(buf, sizeof buf, listing)) {
    std::string path(buf);
    path.pop_back();
    EXPECT_NO_THROW(io::read_png(path)) << path;
  }
  if (listing) pclose(listing);
  CliResult resumed = run_cli(args + " --resume");
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(count_files(dir + "/out"), 6);
}

// SIGTERM (what a cluster scheduler or `kill` sends) is an interrupt like SIGINT (README: exit 130): the image is
// abandoned, nothing is written, and the last line says where things stand.
TEST(CliInterrupt, SigtermIsAnInterruptToo) {
  const std::string dir = fresh_dir("sigterm");
  interrupt_cli("--model tiny --size 64x64 --steps 1000 --seed 1 --prompt x --out " + dir + "/a.png", dir, "TERM",
                [&] { return err_contains(dir, "base step"); });
  const std::string err = slurp(dir + "/err");
  EXPECT_EQ(std::stoi(slurp(dir + "/rc")), 130) << err;
  EXPECT_NE(err.find("sdxl-gen: interrupted: 0 image(s) written, 1 item(s) left"), std::string::npos) << err;
  EXPECT_EQ(count_files(dir, ""), 3) << "besides err, pid and rc, a file was written";
}

}  // namespace
}  // namespace sdxl::test
