// A JavaScript library (--js-library) of the threaded builds. It replaces Emscripten 3.1.6's
// emscripten_check_blocking_allowed (src/library_pthread.js), which musl's pthread_cond_timedwait and
// pthread_join call when the browser's main thread is about to wait, with the rule later Emscripten releases
// follow: warn only in a build with ASSERTIONS, abort only with ALLOW_BLOCKING_ON_MAIN_THREAD=0. 3.1.6 also
// prints "Blocking on the main thread is very dangerous" once in every release build (its condition includes
// !MINIMAL_RUNTIME), which here is every page that runs the threaded build on its main thread (proxy: false):
// the core's thread pool waits on a condition variable for its workers' share of a call, and dispose() joins them.
//
// What the warning is about, and why it does not apply to this module:
// - Deadlock: a pthread that needs the main thread (to start a Web Worker, or for a call proxied to it) while
//   the main thread waits for that pthread. The pool's workers are started before the module resolves
//   (PTHREAD_POOL_SIZE) and its threads are created when the instance is made, so nothing starts a Worker later;
//   the workers only compute and synchronise through atomics, mutexes and condition variables in shared memory
//   (no file system, no printing, none of the calls Emscripten proxies to the main thread); and were one ever
//   made, the main thread's wait is Emscripten's busy-wait, which runs the proxied-call queue as it spins
//   (system/lib/pthread/emscripten_futex_wait.c).
// - A busy main thread: true, and the same as for the single-threaded build, which computes a whole call on the
//   page's thread without any warning; the threaded build only makes the call shorter. Keeping calls off the
//   page's thread is the proxy's job, which is the default there (bindings/proxy/); proxy: false is the
//   caller's explicit choice to run on it (info().proxyReason says so).
// Blocking stays allowed (ALLOW_BLOCKING_ON_MAIN_THREAD=1, set in CMakeLists.txt, which 3.1.6 also defaults to).
mergeInto(LibraryManager.library, {
#if MINIMAL_RUNTIME
  emscripten_check_blocking_allowed__deps: ['$warnOnce'], // (the full runtime has warnOnce of its own)
#endif
  emscripten_check_blocking_allowed: function() {
#if ASSERTIONS || !ALLOW_BLOCKING_ON_MAIN_THREAD
#if ENVIRONMENT_MAY_BE_NODE
    if (ENVIRONMENT_IS_NODE) return;
#endif
    if (ENVIRONMENT_IS_WORKER) return; // blocking in a worker or pthread is fine
    warnOnce('Blocking on the main thread is very dangerous, see https://emscripten.org/docs/porting/pthreads.html#blocking-on-the-main-browser-thread');
#if !ALLOW_BLOCKING_ON_MAIN_THREAD
    abort('Blocking on the main thread is not allowed by default. See https://emscripten.org/docs/porting/pthreads.html#blocking-on-the-main-browser-thread');
#endif
#endif
  },
});
