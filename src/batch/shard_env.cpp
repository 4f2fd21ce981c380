#include "batch/shard_env.h"

#include <optional>
#include <vector>

#include "common/error.h"

namespace sdxl::batch {
namespace {

const char* const kHelp =
    "set SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (or SLURM_ARRAY_TASK_MIN/MAX), "
    "JOB_COMPLETION_INDEX with --shard auto/N, or SHARD_INDEX and SHARD_COUNT";

// A whole non-negative decimal number; anything else names the variable.
std::optional<long> number(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  if (!v || !*v) return std::nullopt;
  const std::string s(v);
  if (s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9)
    throw usage_error("shard", std::string("--shard auto: ") + name + "='" + s + "' is not a non-negative integer");
  return std::stol(s);
}

struct Found {
  std::string scheme;  // which variables said so, for the messages
  long k = 0;
  std::optional<long> n;
};

std::optional<Found> from_slurm(const EnvLookup& env) {
  const auto id = number(env, "SLURM_ARRAY_TASK_ID");
  if (!id) return std::nullopt;
  const auto count = number(env, "SLURM_ARRAY_TASK_COUNT");
  const auto min = number(env, "SLURM_ARRAY_TASK_MIN");
  const auto max = number(env, "SLURM_ARRAY_TASK_MAX");
  const long step = number(env, "SLURM_ARRAY_TASK_STEP").value_or(1);
  Found f{"SLURM_ARRAY_TASK_ID=" + std::to_string(*id), 0, std::nullopt};
  const long first = min.value_or(0);
  if (*id < first || step < 1 || (*id - first) % step != 0)
    throw usage_error("shard", "--shard auto: SLURM_ARRAY_TASK_ID=" + std::to_string(*id) +
                                   " is not in the array SLURM_ARRAY_TASK_MIN=" + std::to_string(first) +
                                   " step " + std::to_string(step));
  f.k = (*id - first) / step;
  if (count) {
    f.n = *count;
    f.scheme += " SLURM_ARRAY_TASK_COUNT=" + std::to_string(*count);
  } else if (min && max) {
    f.n = (*max - *min) / step + 1;
    f.scheme += " SLURM_ARRAY_TASK_MIN/MAX=" + std::to_string(*min) + "/" + std::to_string(*max);
  } else {
    throw usage_error("shard", "--shard auto: SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_COUNT or "
                               "SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_MAX");
  }
  return f;
}

std::optional<Found> from_kubernetes(const EnvLookup& env) {
  const auto index = number(env, "JOB_COMPLETION_INDEX");
  if (!index) return std::nullopt;
  return Found{"JOB_COMPLETION_INDEX=" + std::to_string(*index), *index, std::nullopt};
}

std::optional<Found> from_generic(const EnvLookup& env) {
  const auto index = number(env, "SHARD_INDEX");
  const auto count = number(env, "SHARD_COUNT");
  if (!index && !count) return std::nullopt;
  if (!index || !count)
    throw usage_error("shard", std::string("--shard auto: ") + (index ? "SHARD_INDEX" : "SHARD_COUNT") +
                                   " is set without " + (index ? "SHARD_COUNT" : "SHARD_INDEX"));
  return Found{"SHARD_INDEX=" + std::to_string(*index) + " SHARD_COUNT=" + std::to_string(*count), *index, *count};
}

}  // namespace

std::pair<int, int> shard_from_environment(const std::string& spec, const EnvLookup& env) {
  std::optional<long> given_n;
  if (spec != "auto") {
    const std::string rest = spec.substr(0, 5) == "auto/" ? spec.substr(5) : "";
    if (rest.empty() || rest.find_first_not_of("0123456789") != std::string::npos || rest.size() > 9 || std::stol(rest) < 1)
      throw usage_error("shard", "expected K/N, auto or auto/N with N >= 1, got '" + spec + "'");
    given_n = std::stol(rest);
  }
  std::vector<Found> found;
  for (const auto& scheme : {from_slurm(env), from_kubernetes(env), from_generic(env)})
    if (scheme) found.push_back(*scheme);
  if (found.empty()) throw usage_error("shard", "--shard " + spec + ": no scheduler environment found; " + kHelp);
  Found f = found.front();
  for (const Found& other : found)
    if (other.k != f.k || (other.n && f.n && *other.n != *f.n))
      throw usage_error("shard", "--shard auto: " + f.scheme + " and " + other.scheme + " disagree");
  for (const Found& other : found)
    if (!f.n && other.n) f.n = other.n;
  if (given_n && f.n && *given_n != *f.n)
    throw usage_error("shard", "--shard " + spec + " disagrees with " + f.scheme + " (" + std::to_string(*f.n) +
                                   " shards)");
  if (!f.n) f.n = given_n;
  if (!f.n)
    throw usage_error("shard", "--shard auto: " + f.scheme +
                                   " gives the index but not the count (a Kubernetes pod does not see it): use "
                                   "--shard auto/N with N = the Job's completions");
  if (f.k >= *f.n)
    throw usage_error("shard", "--shard " + spec + ": index " + std::to_string(f.k) + " from " + f.scheme +
                                   " is not below the shard count " + std::to_string(*f.n));
  return {static_cast<int>(f.k), static_cast<int>(*f.n)};
}

}  // namespace sdxl::batch
