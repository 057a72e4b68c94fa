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
    // Join the open call, if there still is one. (A worker that read an older generation may join a newer
    // call here: it runs that call's items, which is just as right; it then joins once more and finds
    // none left.) The spin epoch is read before joining: a stop_spinning() after the parallel_for returns
    // comes after every worker that joined read it, so the spin below sees it. A worker that finds the call
    // closed may wake after the call returned and a stop_spinning() followed: it takes the epoch of the
    // call's start, so it spins for the next call unless a stop_spinning() came after that start.
    const uint64_t current_epoch = spin_epoch_.load(std::memory_order_acquire);
    uint32_t state = joined_.load(std::memory_order_acquire);
    bool joined = false;
    while ((state & kOpen) && !joined) {
      joined = joined_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel, std::memory_order_acquire);
    }
    if (!joined) {  // the caller claimed every item already
      epoch = call_epoch_.load(std::memory_order_acquire);
      continue;
    }
    epoch = current_epoch;
    run_items(thread_index);
    if (joined_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // The last worker out of a closed call. Under the mutex, so that a caller between its check and its
      // wait cannot miss the notification.
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
    joined_.store(kOpen, std::memory_order_release);  // no worker is in: the previous call waited for them
    call_epoch_.store(spin_epoch_.load(std::memory_order_acquire), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  work_ready_.notify_all();
  run_items(0);
  // Every item is claimed: close the call, then wait for the workers that joined it to finish theirs.
  if (joined_.fetch_and(~kOpen, std::memory_order_acq_rel) != kOpen &&
      !spin_until([&] { return joined_.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, [&] { return joined_.load() == 0; });
  }
  task_ = nullptr;
}

}  // namespace dcn
