// The thread pool: every item runs once, whatever the thread count; and after stop_spinning() the workers
// sleep instead of spinning for the next call (a session of deformconv-wasm/onnx alternates with
// onnxruntime's threads on the same cores), yet the next call still wakes them. Spinning is told from
// sleeping by the pool's count of blocked workers, with a spin long enough (10 s) that a busy machine
// cannot blur the two.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "thread_pool.h"

namespace dcn::testing {
namespace {

void expect_every_item_once(ThreadPool& pool, int64_t count) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
  pool.parallel_for(count, [&](int64_t item, int thread) {
    ASSERT_GE(thread, 0);
    ASSERT_LT(thread, pool.threads());
    hits[static_cast<size_t>(item)].fetch_add(1);
  });
  for (int64_t i = 0; i < count; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "item " << i;
}

// Waits up to `seconds` for every worker to block; true if they did.
bool all_asleep(const ThreadPool& pool, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pool.sleeping_workers() == pool.threads() - 1) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pool.sleeping_workers() == pool.threads() - 1;
}

TEST(ThreadPool, RunsEveryItemOnce) {
  for (int threads : {1, 2, 5}) {
    ThreadPool pool(threads);
    for (int64_t count : {1, 2, 7, 1000}) expect_every_item_once(pool, count);
  }
}

TEST(ThreadPool, StopSpinningSendsWaitingWorkersToSleep) {
  constexpr int64_t kLongSpin = 10'000'000;  // 10 s
  ThreadPool pool(3, kLongSpin);
  for (int call = 0; call < 3; ++call) {
    expect_every_item_once(pool, 64);
    // Without stop_spinning() the workers keep spinning, waiting for the next call.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(pool.sleeping_workers(), 0) << "call " << call;
    pool.stop_spinning();
    EXPECT_TRUE(all_asleep(pool, 5.0)) << "call " << call << ": " << pool.sleeping_workers() << " of 2 workers asleep";
  }
  // The next call wakes them as usual.
  expect_every_item_once(pool, 1000);
  pool.stop_spinning();
}

TEST(ThreadPool, DefaultSpinEndsInSleepByItself) {
  ThreadPool pool(3);
  expect_every_item_once(pool, 64);
  EXPECT_TRUE(all_asleep(pool, 5.0));
}

}  // namespace
}  // namespace dcn::testing
