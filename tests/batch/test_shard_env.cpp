// --shard auto: K and N from the schedulers' documented variables (Slurm job arrays: sbatch(1) "OUTPUT
// ENVIRONMENT VARIABLES"; Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX; the generic SHARD_INDEX/SHARD_COUNT).
#include <gtest/gtest.h>

#include <map>

#include "batch/shard_env.h"
#include "common/error.h"

namespace sdxl::batch {
namespace {

EnvLookup env(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

std::string usage_message(const std::string& spec, std::map<std::string, std::string> vars) {
  try {
    shard_from_environment(spec, env(std::move(vars)));
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::Usage);
    return e.what();
  }
  return "(no error)";
}

TEST(ShardEnv, SlurmArrayWithCount) {
  // sbatch --array=0-7: task 3 of 8.
  EXPECT_EQ(shard_from_environment("auto", env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "8"}})),
            std::make_pair(3, 8));
}

TEST(ShardEnv, SlurmArrayFromMinMaxAndStep) {
  // --array=1-8: ids 1..8 are shards 0..7; --array=10-40:10 (step 10): ids 10,20,30,40 are shards 0..3 of 4.
  EXPECT_EQ(shard_from_environment(
                "auto", env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "8"}})),
            std::make_pair(0, 8));
  EXPECT_EQ(shard_from_environment("auto", env({{"SLURM_ARRAY_TASK_ID", "30"},
                                                {"SLURM_ARRAY_TASK_MIN", "10"},
                                                {"SLURM_ARRAY_TASK_MAX", "40"},
                                                {"SLURM_ARRAY_TASK_STEP", "10"}})),
            std::make_pair(2, 4));
}

TEST(ShardEnv, KubernetesIndexNeedsTheCountOnTheCommandLine) {
  EXPECT_EQ(shard_from_environment("auto/4", env({{"JOB_COMPLETION_INDEX", "2"}})), std::make_pair(2, 4));
  const std::string m = usage_message("auto", {{"JOB_COMPLETION_INDEX", "2"}});
  EXPECT_NE(m.find("--shard auto/N"), std::string::npos) << m;
}

TEST(ShardEnv, GenericVariables) {
  EXPECT_EQ(shard_from_environment("auto", env({{"SHARD_INDEX", "0"}, {"SHARD_COUNT", "1"}})), std::make_pair(0, 1));
  EXPECT_NE(usage_message("auto", {{"SHARD_INDEX", "1"}}).find("SHARD_COUNT"), std::string::npos);
}

TEST(ShardEnv, MissingOrInconsistentEnvironmentNamesTheVariables) {
  const std::string none = usage_message("auto", {});
  for (const char* v : {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX", "SHARD_INDEX", "SHARD_COUNT"})
    EXPECT_NE(none.find(v), std::string::npos) << v << " in " << none;
  EXPECT_NE(usage_message("auto", {{"SLURM_ARRAY_TASK_ID", "3"}}).find("SLURM_ARRAY_TASK_COUNT"), std::string::npos);
  EXPECT_NE(usage_message("auto", {{"SLURM_ARRAY_TASK_ID", "8"}, {"SLURM_ARRAY_TASK_COUNT", "8"}}).find("not below"),
            std::string::npos);
  EXPECT_NE(usage_message("auto", {{"SLURM_ARRAY_TASK_ID", "x1"}, {"SLURM_ARRAY_TASK_COUNT", "8"}}).find("SLURM_ARRAY_TASK_ID='x1'"),
            std::string::npos);
  const std::string two = usage_message(
      "auto", {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}, {"SHARD_INDEX", "2"}, {"SHARD_COUNT", "4"}});
  EXPECT_NE(two.find("disagree"), std::string::npos) << two;
  EXPECT_NE(usage_message("auto/3", {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}).find("disagrees"),
            std::string::npos);
  EXPECT_NE(usage_message("auto/0", {{"JOB_COMPLETION_INDEX", "0"}}).find("auto/N"), std::string::npos);
}

}  // namespace
}  // namespace sdxl::batch
