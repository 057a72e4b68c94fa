// The thread pool: every item runs once, on a thread index in range, never on two items at once under the
// same index (the index names a per-thread workspace), whatever the thread count, call after call: calls
// follow each other at once, so that workers still finishing one call, or waking late for it, meet the next
// (a worker joins a call only while its items are not all claimed, and the caller waits only for the
// workers that joined). And after stop_spinning() the workers sleep instead of spinning for the next call
// (a session of deformconv-wasm/onnx alternates with onnxruntime's threads on the same cores), yet the next
// call still wakes them. Spinning is told from sleeping by the pool's count of blocked workers, with a spin
// long enough (10 s) that a busy machine cannot blur the two.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
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

void expect_each_item_once(ThreadPool& pool, int64_t count) {
  std::vector<std::atomic<int>> runs(static_cast<size_t>(count));
  std::vector<std::atomic<int>> in_use(static_cast<size_t>(pool.threads()));
  std::atomic<int> bad_index{0}, shared_index{0};
  pool.parallel_for(count, [&](int64_t item, int thread) {
    if (thread < 0 || thread >= pool.threads()) {
      ++bad_index;
      return;
    }
    if (in_use[static_cast<size_t>(thread)].fetch_add(1) != 0) ++shared_index;
    runs[static_cast<size_t>(item)].fetch_add(1);
    in_use[static_cast<size_t>(thread)].fetch_sub(1);
  });
  EXPECT_EQ(bad_index.load(), 0);
  EXPECT_EQ(shared_index.load(), 0);
  for (int64_t i = 0; i < count; ++i) ASSERT_EQ(runs[static_cast<size_t>(i)].load(), 1) << "item " << i << " of " << count;
}

TEST(ThreadPool, EveryItemOnceCallAfterCall) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int call = 0; call < 2000; ++call) {
      const int64_t count = (call * 7919) % 37;  // 0 to 36 items: fewer and more than threads
      expect_each_item_once(pool, count);
    }
  }
}

TEST(ThreadPool, ItemsOfUnevenLength) {
  ThreadPool pool(3);
  for (int call = 0; call < 20; ++call) {
    std::atomic<int64_t> sum{0};
    pool.parallel_for(16, [&](int64_t item, int) {
      if (item % 5 == call % 5) std::this_thread::sleep_for(std::chrono::microseconds(200));
      sum += item;
    });
    ASSERT_EQ(sum.load(), 120);
  }
}

// Workers asleep on the condition variable (after their spin) still take part when woken, and a call that the
// caller finishes before they wake returns without them.
TEST(ThreadPool, CallsAfterTheWorkersSlept) {
  ThreadPool pool(4);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(std::chrono::microseconds(2 * ThreadPool::kSpinMicroseconds + 2000));
    expect_each_item_once(pool, 1);
    expect_each_item_once(pool, 3);
    expect_each_item_once(pool, 1000);
  }
}

// A pool used from several threads runs one call at a time, each complete.
TEST(ThreadPool, CallsFromSeveralThreads) {
  ThreadPool pool(3);
  std::vector<std::thread> callers;
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&pool] {
      for (int call = 0; call < 300; ++call) expect_each_item_once(pool, 1 + call % 13);
    });
  }
  for (std::thread& t : callers) t.join();
}

}  // namespace
}  // namespace dcn::testing
