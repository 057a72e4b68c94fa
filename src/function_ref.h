// A non-owning reference to a callable, for the thread pool's work items. std::function may allocate (a
// lambda that captures more than a few references does not fit its small buffer), and in WebAssembly built
// without exceptions a failed allocation aborts the whole module; FunctionRef never allocates, so a call
// that ran out of memory earlier can still hand work to the pool and report the failure.
#pragma once

#include <type_traits>
#include <utility>

namespace dcn {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  // The callable must outlive the FunctionRef: pass a lambda straight to the function that calls it.
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): converts like std::function does
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace dcn
