#include "thread_pool.h"

namespace dcn {

ThreadPool::ThreadPool(int threads, int64_t spin_microseconds) : spin_microseconds_(spin_microseconds) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  work_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_items(int thread_index) {
  for (int64_t item = next_item_.fetch_add(1); item < count_; item = next_item_.fetch_add(1)) {
    (*task_)(item, thread_index);
  }
}

void ThreadPool::worker_loop(int thread_index) {
  uint64_t seen = 0;
  uint64_t epoch = spin_epoch_.load(std::memory_order_acquire);
  for (;;) {
    // Spin first: the next call usually follows soon (unless stop_spinning() says otherwise).
    spin_until([&] {
      return generation_.load(std::memory_order_acquire) != seen || stopping_.load() ||
             spin_epoch_.load(std::memory_order_acquire) != epoch;
    });
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleeping_workers_.fetch_add(1);
      work_ready_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
      sleeping_workers_.fetch_sub(1);
    }
    if (stopping_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    // Read before this worker reports its items done: a stop_spinning() after the parallel_for returns
    // comes later, so the spin below sees it.
    epoch = spin_epoch_.load(std::memory_order_acquire);
    run_items(thread_index);
    if (busy_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex, so that a caller between its check and its wait cannot miss the notification.
      std::lock_guard<std::mutex> lock(mutex_);
      work_done_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(int64_t count, FunctionRef<void(int64_t, int)> task) {
  if (count <= 0) return;
  std::lock_guard<std::mutex> call_lock(call_mutex_);
  if (workers_.empty() || count == 1) {
    for (int64_t i = 0; i < count; ++i) task(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    count_ = count;
    next_item_.store(0);
    busy_workers_.store(static_cast<int>(workers_.size()));
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  work_ready_.notify_all();
  run_items(0);
  if (!spin_until([&] { return busy_workers_.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, [&] { return busy_workers_.load() == 0; });
  }
  task_ = nullptr;
}

}  // namespace dcn
