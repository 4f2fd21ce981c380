#include "server/job_queue.h"

#include <algorithm>

#include "common/error.h"

namespace sdxl::server {
struct JobQueue::Ticket {
  Job job;
  long admitted = 0;
  bool done = false;
  JobResult result;
  std::exception_ptr error;
  std::condition_variable finished;
};

JobQueue::JobQueue(Engine& engine, int max_queue) : engine_(engine), max_queue_(max_queue) {
  worker_ = std::thread([this] { work(); });
}

JobQueue::~JobQueue() {
  shutdown();
  if (worker_.joinable()) worker_.join();
}

std::shared_ptr<JobQueue::Ticket> JobQueue::submit(Job job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || static_cast<int>(waiting_.size()) >= max_queue_) {
    ++metrics_.rejected_full;
    return nullptr;
  }
  auto t = std::make_shared<Ticket>();
  t->job = std::move(job);
  t->admitted = ++admitted_;
  waiting_.push_back(t);
  wake_.notify_all();
  return t;
}

std::optional<JobResult> JobQueue::wait(const std::shared_ptr<Ticket>& t, const std::function<bool()>& client_gone) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!t->done) {
    if (!client_gone) {
      t->finished.wait(lock);
      continue;
    }
    t->finished.wait_for(lock, std::chrono::milliseconds(250));
    if (t->done) break;
    const auto queued = std::find(waiting_.begin(), waiting_.end(), t);
    if (queued == waiting_.end()) continue;  // running: it finishes
    lock.unlock();
    const bool gone = client_gone();  // a system call: not under the lock
    lock.lock();
    if (!gone) continue;
    const auto still = std::find(waiting_.begin(), waiting_.end(), t);
    if (still == waiting_.end()) continue;  // it started meanwhile
    waiting_.erase(still);
    ++metrics_.jobs_dropped;
    return std::nullopt;
  }
  if (t->error) std::rethrow_exception(t->error);
  return t->result;
}

void JobQueue::open() {
  std::lock_guard<std::mutex> lock(mutex_);
  open_ = true;
  wake_.notify_all();
}

ProgressSnapshot JobQueue::progress() const {
  std::lock_guard<std::mutex> lock(mutex_);
  ProgressSnapshot s = state_;
  if (s.busy && s.progress > 0) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - job_start_).count();
    s.eta_relative = std::max(0.0, elapsed / s.progress - elapsed);
  }
  return s;
}

void JobQueue::interrupt() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.busy) interrupt_ = state_.interrupted = true;
}

void JobQueue::skip() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.busy) skip_ = state_.skipped = true;
}

QueueMetrics JobQueue::metrics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  QueueMetrics m = metrics_;
  m.depth = static_cast<int>(waiting_.size());
  return m;
}

bool JobQueue::shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  for (auto& t : waiting_) {
    t->error = std::make_exception_ptr(Error(ErrorCategory::Resource, "", "the server is shutting down"));
    t->done = true;
    t->finished.notify_all();
  }
  waiting_.clear();
  if (state_.busy) interrupt_ = true;
  wake_.notify_all();
  return state_.busy;
}

void JobQueue::work() {
  for (;;) {
    std::shared_ptr<Ticket> t;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || (open_ && !waiting_.empty()); });
      if (stopping_ && waiting_.empty()) return;
      t = waiting_.front();
      waiting_.pop_front();
      state_ = ProgressSnapshot{};
      state_.busy = true;
      state_.job_count = t->job.count;
      state_.sampling_steps = t->job.request.sampling.steps;
      state_.job_id = t->admitted;
      interrupt_ = skip_ = false;
      job_start_ = last_step_ = std::chrono::steady_clock::now();
      t->result.admitted = t->admitted;
      t->result.started = ++started_;
    }
    JobResult& result = t->result;
    result.warnings = t->job.notes;
    try {
      engine_.switch_to(t->job.checkpoint);
      for (int i = 0; i < t->job.count; ++i) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (interrupt_) break;
          skip_ = state_.skipped = false;
          state_.job_no = i;
          state_.sampling_step = 0;
        }
        const auto abandon = [&] {  // asked at every step: skip leaves this image, interrupt the job
          std::lock_guard<std::mutex> lock(mutex_);
          return interrupt_ || skip_;
        };
        std::optional<JobImage> image = engine_.generate(
            t->job, i,
            [&](const Progress& p) {
              std::lock_guard<std::mutex> lock(mutex_);
              const auto now = std::chrono::steady_clock::now();
              if (p.stage != "encode" && p.stage != "decode") {
                if (p.stage == state_.stage && p.step > state_.sampling_step)
                  metrics_.seconds_per_step = std::chrono::duration<double>(now - last_step_).count() /
                                              (p.step - state_.sampling_step);
                last_step_ = now;
                state_.stage = p.stage;
                state_.sampling_step = p.step;
                state_.sampling_steps = p.total;
                metrics_.current_step = p.step;
                const double image_part = p.total > 0 ? static_cast<double>(p.step) / p.total : 0.0;
                // Over the whole job; a later stage (hires, refiner) restarts its step count, so the figure
                // is kept from going back.
                state_.progress = std::max(state_.progress, (i + image_part) / std::max(1, t->job.count));
              }
              if (p.preview.defined()) state_.current_image = io::encode_png(io::from_tensor(p.preview));
            },
            abandon);
        std::lock_guard<std::mutex> lock(mutex_);
        if (image) {
          ++metrics_.images;
          for (const auto& w : image->warnings)
            if (std::find(result.warnings.begin(), result.warnings.end(), w) == result.warnings.end()) result.warnings.push_back(w);
          result.images.push_back(std::move(*image));
        } else if (interrupt_) {
          result.interrupted = true;
          break;
        } else {
          ++result.skipped;
        }
      }
      std::lock_guard<std::mutex> lock(mutex_);
      ++metrics_.jobs_done;
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++metrics_.jobs_failed;
      t->error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    state_.busy = false;
    state_.progress = 0;
    state_.job_no = state_.sampling_step = 0;
    metrics_.current_step = 0;
    t->done = true;
    t->finished.notify_all();
  }
}

}  // namespace sdxl::server
