// `--shard auto` and `--shard auto/N`: the shard K of N from a scheduler's environment, so that an array job
// passes the same command line to every task.
//  - Slurm job arrays: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or with SLURM_ARRAY_TASK_MIN and
//    SLURM_ARRAY_TASK_MAX (K = (ID - MIN) / STEP, STEP = SLURM_ARRAY_TASK_STEP or 1; N = COUNT or the range's size).
//  - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX is K; the pod does not see the completion count, so N
//    comes from `auto/N`.
//  - Anything else: SHARD_INDEX and SHARD_COUNT.
// No scheduler's variables, a malformed value, K outside 0..N-1, or two schedulers (or `auto/N`) disagreeing
// is a usage error naming the variables.
#pragma once
#include <functional>
#include <string>
#include <utility>

namespace sdxl::batch {

using EnvLookup = std::function<const char*(const char* name)>;  // getenv's contract: nullptr when unset

// `spec` is "auto" or "auto/N". Returns {K, N}.
std::pair<int, int> shard_from_environment(const std::string& spec, const EnvLookup& env);

}  // namespace sdxl::batch
