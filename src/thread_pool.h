// A small fixed thread pool: the caller plus (threads - 1) workers started once, fed one flattened range of
// work items per call. std::thread natively; Emscripten maps it to Web Workers (pthreads), which the JS
// loader pre-starts so that creating them never has to wait for the browser's event loop.
// A forward call runs several parallel_for in a row (weight packing, tiles; the JS copy-in before them), and
// waking a blocked Web Worker takes tens of microseconds, so a worker that has finished an item range spins
// for a short while (kSpinIterations reads of an atomic) watching for the next call before it blocks on the
// condition variable; the caller likewise spins briefly before it blocks waiting for the workers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "function_ref.h"

namespace dcn {

class ThreadPool {
 public:
  // threads: total threads doing work, the calling thread included (at least 1).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(item, thread_index) for every item in [0, count), items handed out one at a time so that
  // uneven items still keep every thread busy; thread_index is in [0, threads()) and names a per-thread
  // workspace. Returns when all items are done. Calls from several threads are serialised. Allocates
  // nothing, so it works when memory is exhausted.
  void parallel_for(int64_t count, FunctionRef<void(int64_t, int)> task);

 private:
  void worker_loop(int thread_index);
  void run_items(int thread_index);

  // About 100 microseconds of spinning in WebAssembly and natively.
  static constexpr int kSpinIterations = 1 << 16;

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  std::atomic<uint64_t> generation_{0};  // bumped (under mutex_) for each parallel_for; workers wait for it to change
  std::atomic<bool> stopping_{false};
  std::atomic<int> busy_workers_{0};     // workers still running the current call's items
  const std::function<void(int64_t, int)>* task_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_item_{0};
};

}  // namespace dcn
