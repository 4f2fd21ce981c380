// --reproducible: the same request gives the same PNG file, byte for byte, with 1 and with 2 threads (the
// whole file: pixels and metadata), the mode is recorded in the PNG, and --from-png re-runs in it with another
// thread count to the same bytes. The tiny model at 256x256, so that oneDNN's 1x1 convolutions have enough
// work to split their input-channel sums across threads (what changes the bytes without the mode).
#include "cli_runner.h"
#include "io/png.h"

namespace sdxl::test {
namespace {

const std::string kRequest = "--model tiny --size 256x256 --steps 2 --quiet --prompt " + shell_quote("a lighthouse") +
                             " --seed 11 --dtype fp32 --vae-dtype fp32";

// The `runtime` object of the request a PNG records (its sdxl-gen chunk).
nlohmann::json recorded_runtime(const std::string& png) {
  io::PngText chunks;
  io::read_png(png, &chunks);
  for (const auto& [k, v] : chunks)
    if (k == "sdxl-gen") return nlohmann::json::parse(v).at("runtime");
  ADD_FAILURE() << png << " has no sdxl-gen chunk";
  return nlohmann::json::object();
}

TEST(CliReproducible, SameBytesAtOneAndTwoThreads) {
  const std::string dir = fresh_dir("repro");
  CliResult one = run_cli(kRequest + " --reproducible --threads 1 --out " + dir + "/t1.png");
  ASSERT_EQ(one.code, 0) << one.err;
  CliResult two = run_cli(kRequest + " --reproducible --threads 2 --out " + dir + "/t2.png");
  ASSERT_EQ(two.code, 0) << two.err;
  const std::string bytes = slurp(dir + "/t1.png");
  EXPECT_EQ(bytes, slurp(dir + "/t2.png")) << "1 and 2 threads gave different files";

  const auto runtime = recorded_runtime(dir + "/t1.png");
  EXPECT_EQ(runtime.at("reproducible").at("mkl_cbwr"), "AVX2,STRICT") << runtime.dump();
  EXPECT_EQ(runtime.at("reproducible").at("onednn"), "off") << runtime.dump();

  // --from-png with no flags keeps the mode (and fp32): the same file again, now with 2 threads.
  CliResult again = run_cli("--quiet --threads 2 --from-png " + dir + "/t1.png --out " + dir + "/again.png");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(bytes, slurp(dir + "/again.png"));
}

TEST(CliReproducible, Bf16SameBytesAtOneAndTwoThreadsAndVerifies) {
  // An explicit bf16 in the mode: products in fp32 on the upcast bf16 values (common/layers.h), the same file
  // at 1 and 2 threads, and `verify` re-runs the recorded request (mode and bf16 included) to the same bytes.
  const std::string dir = fresh_dir("repro_bf16");
  const std::string request = "--model tiny --size 128x128 --steps 2 --quiet --prompt " + shell_quote("a lighthouse") +
                              " --seed 5 --dtype bf16 --vae-dtype bf16 --reproducible";
  CliResult one = run_cli(request + " --threads 1 --out " + dir + "/goldens/t1.png");
  ASSERT_EQ(one.code, 0) << one.err;
  CliResult two = run_cli(request + " --threads 2 --out " + dir + "/t2.png");
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_EQ(slurp(dir + "/goldens/t1.png"), slurp(dir + "/t2.png")) << "1 and 2 threads gave different files";

  const auto runtime = recorded_runtime(dir + "/goldens/t1.png");
  EXPECT_EQ(runtime.at("dtype"), "bf16") << runtime.dump();
  EXPECT_TRUE(runtime.contains("reproducible")) << runtime.dump();

  CliResult v = run_cli("verify " + dir + "/goldens --threads 2 --out-dir " + dir + "/out");
  EXPECT_EQ(v.code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("1 passed, 0 failed"), std::string::npos) << v.out;
}

TEST(CliReproducible, DtypeAutoMeansFp32) {
  // On a BF16 CPU auto is bf16 elsewhere; in the mode it is fp32 on every CPU, so the default request is
  // portable: the same file as an explicit fp32 request.
  const std::string dir = fresh_dir("repro_auto");
  const std::string common = "--model tiny --size 64x64 --steps 2 --quiet --prompt x --seed 3 --reproducible";
  ASSERT_EQ(run_cli(common + " --out " + dir + "/auto.png").code, 0);
  ASSERT_EQ(run_cli(common + " --dtype fp32 --vae-dtype fp32 --out " + dir + "/fp32.png").code, 0);
  EXPECT_EQ(slurp(dir + "/auto.png"), slurp(dir + "/fp32.png"));
}

TEST(CliReproducible, RefusedOffTheCpu) {
  CliResult r = run_cli("--model tiny --size 64x64 --steps 1 --quiet --prompt x --reproducible --device cuda --out " +
                        fresh_dir("repro_cuda") + "/x.png");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--reproducible"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sdxl::test
