// A small fixed thread pool: the caller plus (threads - 1) workers started once, fed one flattened range of
// work items per call. std::thread natively; Emscripten maps it to Web Workers (pthreads), which the JS
// loader pre-starts so that creating them never has to wait for the browser's event loop.
// A forward call runs several parallel_for in a row (the JS copy-in, weight packing, tiles), and a caller
// running one layer after another comes back within a millisecond or two, while waking a blocked thread
// costs tens of microseconds and, in a virtual machine, can cost milliseconds (an idle virtual CPU is
// descheduled by the host and the first milliseconds after it wakes run slowly; measured here: a 2-thread
// call after 30 ms of idleness took 1.7x as long as one right after the previous call). So a worker that
// has finished its items spins for up to kSpinMicroseconds watching for the next call before it blocks on
// the condition variable; the caller likewise spins before it blocks waiting for the workers.
// stop_spinning() cuts the wait for the next call short: a caller that knows its next call is far off, or
// that other threads need the cores meanwhile (another library's thread pool running the layers between
// ours), sends the workers to sleep as soon as the call is done.
// A worker takes part in a call only if it joins while the call is open, i.e. before the caller has claimed
// the last item: the caller then waits for the workers that joined (to finish their items), never for one
// that has not woken yet. So a worker that the operating system (or, in a virtual machine, the host) has not
// scheduled, or that is still waking from its sleep, costs the call nothing: the caller does its share. A
// call of small items (weight packing, copies) used to wait for every worker to wake and find nothing left.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "function_ref.h"

namespace dcn {

class ThreadPool {
 public:
  // threads: total threads doing work, the calling thread included (at least 1). spin_microseconds: how long
  // a thread spins before it blocks (tests lengthen it to tell spinning from sleeping on a busy machine).
  explicit ThreadPool(int threads, int64_t spin_microseconds = kSpinMicroseconds);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(item, thread_index) for every item in [0, count), items handed out one at a time so that
  // uneven items still keep every thread busy; thread_index is in [0, threads()) and names a per-thread
  // workspace. Returns when all items are done. Calls from several threads are serialised. Allocates
  // nothing, so it works when memory is exhausted.
  void parallel_for(int64_t count, FunctionRef<void(int64_t, int)> task);

  // Workers spinning while they wait for the next parallel_for block at once instead. Call it after a
  // parallel_for has returned; the next parallel_for wakes them as usual.
  void stop_spinning() { spin_epoch_.fetch_add(1, std::memory_order_release); }

  // Workers blocked on the condition variable right now (for tests).
  int sleeping_workers() const { return sleeping_workers_.load(); }

  static constexpr int64_t kSpinMicroseconds = 2000;

 private:
  void worker_loop(int thread_index);
  void run_items(int thread_index);

  // Spins until done() or spin_microseconds_ have passed; true if done() became true.
  template <typename Done>
  bool spin_until(Done done) const;

  const int64_t spin_microseconds_;

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  std::atomic<uint64_t> generation_{0};  // bumped (under mutex_) for each parallel_for; workers wait for it to change
  std::atomic<bool> stopping_{false};
  // kOpen while the call's items are not all claimed, plus the number of workers that joined the call and
  // have not finished their items. A worker joins only while kOpen is set (compare-and-swap).
  static constexpr uint32_t kOpen = 1u << 31;
  std::atomic<uint32_t> joined_{0};
  std::atomic<uint64_t> spin_epoch_{0};  // bumped by stop_spinning(); a worker spins only while it is unchanged
  std::atomic<uint64_t> call_epoch_{0};  // spin_epoch_ when the latest call began
  std::atomic<int> sleeping_workers_{0};
  const FunctionRef<void(int64_t, int)>* task_ = nullptr;
  int64_t count_ = 0;
  std::atomic<int64_t> next_item_{0};
};

template <typename Done>
bool ThreadPool::spin_until(Done done) const {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    for (int i = 0; i < 256; ++i) {  // the clock costs more than an atomic load, notably in WebAssembly
      if (done()) return true;
    }
    const auto spent = std::chrono::steady_clock::now() - start;
    if (std::chrono::duration_cast<std::chrono::microseconds>(spent).count() >= spin_microseconds_) return done();
  }
}

}  // namespace dcn
