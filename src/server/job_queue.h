// One generation at a time, in arrival order: HTTP threads submit jobs and wait for them, a single worker
// thread runs them on the engine. Also the state the web UI's progress/interrupt/skip endpoints read and
// set, and the figures /metrics reports.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/engine.h"

namespace sdxl::server {

struct JobResult {
  std::vector<JobImage> images;  // the images finished (all of them unless interrupted or skipped)
  bool interrupted = false;
  int skipped = 0;
  std::vector<std::string> warnings;
  long admitted = 0, started = 0;  // admission and start numbers (equal order: the queue is FIFO)
};

// /sdapi/v1/progress, as the web UI's ProgressResponse.
struct ProgressSnapshot {
  double progress = 0, eta_relative = 0;
  int job_count = 0, job_no = 0, sampling_step = 0, sampling_steps = 0;
  bool busy = false, interrupted = false, skipped = false;
  std::string stage;
  std::string current_image;  // PNG of the latest preview ("" = none yet)
  long job_id = 0;
};

struct QueueMetrics {
  long images = 0, jobs_done = 0, jobs_failed = 0, rejected_full = 0;
  long jobs_dropped = 0;  // their client left while they waited: never run
  int depth = 0;
  int current_step = 0;
  double seconds_per_step = 0;
};

class JobQueue {
 public:
  struct Ticket;
  // The worker takes no job before open() (the models load first; requests queue meanwhile).
  JobQueue(Engine& engine, int max_queue);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Queues `job`; nullptr when `max_queue` jobs are already waiting (or the queue is shutting down).
  std::shared_ptr<Ticket> submit(Job job);
  // Blocks until the job ran; rethrows its error (sdxl::Error from the engine). `client_gone` is asked a few
  // times a second while the job waits: when it says so, the job leaves the queue without running and the
  // answer is nullopt. (Once running, a job finishes; its images are dropped with the connection.)
  std::optional<JobResult> wait(const std::shared_ptr<Ticket>& ticket, const std::function<bool()>& client_gone = {});
  void open();  // the models are loaded: start running jobs

  ProgressSnapshot progress() const;
  void interrupt();  // stop the running job after its current step; it returns what it finished
  void skip();       // abandon the running job's current image, go on with its next
  QueueMetrics metrics() const;
  // Stops taking jobs: queued ones fail with a Resource error, the running one is interrupted. Returns
  // whether a job was running (the CLI then exits as interrupted).
  bool shutdown();

 private:
  void work();
  Engine& engine_;
  const int max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Ticket>> waiting_;
  bool stopping_ = false, open_ = false;
  long admitted_ = 0, started_ = 0;
  ProgressSnapshot state_;
  QueueMetrics metrics_;
  bool interrupt_ = false, skip_ = false;
  std::chrono::steady_clock::time_point job_start_, last_step_;
  std::thread worker_;
};

}  // namespace sdxl::server
