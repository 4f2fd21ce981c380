// Out of memory during a batch item: the item is reported on one line with its size, batch and a hint,
// it counts as failed, and the batch goes on. One test provokes a real allocation failure (an address
// space limit on the CLI process, and the test CLI told that memory is plentiful, so the item gets past the
// up-front estimate check); the other simulates libtorch's CUDA OOM error (no GPU here).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "cli_runner.h"
#include "io/png.h"

#if defined(__SANITIZE_ADDRESS__)
#define SDXL_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SDXL_TEST_ASAN 1
#endif
#endif

namespace sdxl::test {
namespace {

// The memory the test CLI counts on (SDXL_GEN_AVAILABLE_MEMORY): 1 TiB, so that no item is refused up front.
const std::string kPlentifulMemory = "SDXL_GEN_AVAILABLE_MEMORY=1099511627776";

// Runs `sh -c "ENV exec TEST-CLI args"` in a child process limited to `address_space` bytes (0: no limit),
// calling `poll(pid)` every 10 ms while it runs. Returns the exit status. `args` may redirect stdout and stderr.
int spawn_cli(const std::string& args, uint64_t address_space, const std::function<void(pid_t)>& poll) {
  const std::string cmd = kPlentifulMemory + " exec " + shell_quote(test_cli_path()) + " " + args;
  const pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls until exec: the test process has libtorch threads
    const rlimit limit{address_space, address_space};
    if (address_space && setrlimit(RLIMIT_AS, &limit) != 0) _exit(126);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    poll(pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// VmPeak of a process in bytes (0 once it has exited).
uint64_t vm_peak_bytes(pid_t pid) {
  std::istringstream status(try_slurp("/proc/" + std::to_string(pid) + "/status").value_or(""));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmPeak:", 0) == 0) return std::stoull(line.substr(7)) * 1024;  // "VmPeak:  123 kB"
  return 0;
}

// Exit code `code`, and `line` as one whole line of stderr (no libtorch backtrace after it).
void expect_exit_and_line(const CliResult& r, int code, const std::string& line) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_NE(r.err.find(line + "\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Exception raised from"), std::string::npos) << r.err;
}

TEST(CliOutOfMemory, RealAllocationFailureFailsOnlyThatItem) {
#ifdef SDXL_TEST_ASAN
  GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space: an RLIMIT_AS cannot be applied";
#endif
  const std::string dir = fresh_dir("oom_real");
  const std::string small_one = R"({"prompt": "small one", "seed": 1})";
  const std::string small_two = R"({"prompt": "small two", "seed": 2})";
  // 64 images of 16384x16384 with shared noise: the first allocation of the item is the initial noise,
  // one 4 GiB tensor (64 x 4 x 2048 x 2048 floats), so nothing is touched before it fails. (Its estimate, over
  // 250 GB, would refuse it before loading on any machine: here the CLI counts on 1 TiB, kPlentifulMemory.)
  const std::string huge = R"({"prompt": "huge", "seed": 3, "size": "16384x16384", "num_images": 64, )"
                           R"("batch_noise": "shared"})";
  std::ofstream(dir + "/small.jsonl") << small_one << "\n" << small_two << "\n";
  std::ofstream(dir + "/batch.jsonl") << small_one << "\n" << huge << "\n" << small_two << "\n";
  // CPU and a fixed thread count: the address space of both runs is then the same apart from the huge item.
  // {image}: the huge item's 64 images need distinct names, or the run is refused up front.
  const std::string flags = tiny_flags() + " --device cpu --threads 2 --name '{prompt}-{image}'";

  // The address space the small items need: libtorch maps a lot (measured: VmPeak 2.7 GiB with the
  // CUDA build of libtorch 2.11 and 2 threads, while the resident set stays near 0.4 GiB).
  uint64_t peak = 0;
  const int calibration =
      spawn_cli(flags + " --prompt-file " + dir + "/small.jsonl --out-dir " + dir + "/small >/dev/null 2>&1", 0,
                [&](pid_t pid) { peak = std::max(peak, vm_peak_bytes(pid)); });
  ASSERT_EQ(calibration, 0);
  ASSERT_GT(peak, 0u);

  // 2 GiB above that footprint: the small items fit with a wide margin, the 4 GiB noise cannot.
  const uint64_t limit = peak + (2ull << 30);
  CliResult r;
  r.code = spawn_cli(flags + " --prompt-file " + dir + "/batch.jsonl --out-dir " + dir + "/batch >/dev/null 2>" + dir +
                         "/batch.err",
                     limit, [](pid_t) {});
  r.err = slurp(dir + "/batch.err");
  SCOPED_TRACE("VmPeak of the small items " + std::to_string(peak) + " bytes, limit " + std::to_string(limit));
  expect_exit_and_line(r, 4,
                       "sdxl-gen: item 1 (line 2): out of memory at 16384x16384 (batch 64): could not allocate 4.0 "
                       "GiB on the CPU; try a smaller --size, fewer --num-images, --vae-tiling or --low-memory");
  // The items around the failed one are complete and identical to a run without it.
  EXPECT_EQ(count_files(dir + "/batch"), 2);
  for (const char* name : {"/small_one-0.png", "/small_two-0.png"}) {
    const io::Image want = io::read_png(dir + "/small" + name);
    const io::Image got = io::read_png(dir + "/batch" + name);
    EXPECT_EQ(got.width, 64) << name;
    EXPECT_EQ(got.height, 64) << name;
    EXPECT_EQ(got.rgb, want.rgb) << name;
  }
}

// SDXL_GEN_FAIL_ITEM=N:oom (test build of the CLI) throws c10::OutOfMemoryError with the text of a CUDA OOM at step 1 of item N.
TEST(CliOutOfMemory, SimulatedGpuOutOfMemoryFailsOnlyThatItem) {
  const std::string dir = fresh_dir("oom_hook");
  std::ofstream(dir + "/p.txt") << "a\nb\nc\n";
  CliResult r = run_cli(tiny_flags() + " --seed 3 --prompt-file " + dir + "/p.txt --out-dir " + dir + "/out",
                        "SDXL_GEN_FAIL_ITEM=1:oom", test_cli_path());
  expect_exit_and_line(r, 4,
                       "sdxl-gen: item 1 (line 2): out of memory at 64x64 (batch 1): could not allocate 2.0 GiB on "
                       "the GPU; try a smaller --size, --vae-tiling or --low-memory");
  EXPECT_EQ(count_files(dir + "/out"), 2);
  for (const char* name : {"/00000-3-a.png", "/00002-3-c.png"}) EXPECT_EQ(io::read_png(dir + "/out" + name).width, 64);

  // A single request: exit 1, and the hint leaves out what the request already does.
  CliResult single = run_cli(tiny_flags() + " --prompt x --num-images 2 --vae-tiling --low-memory --out " + dir +
                                 "/x.png",
                             "SDXL_GEN_FAIL_ITEM=0:oom", test_cli_path());
  expect_exit_and_line(single, 1,
                       "sdxl-gen: item 0: out of memory at 64x64 (batch 2): could not allocate 2.0 GiB on the GPU; "
                       "try a smaller --size or fewer --num-images");
  EXPECT_EQ(count_files(dir), 0);
}

}  // namespace
}  // namespace sdxl::test
