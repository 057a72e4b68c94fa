// Status: how the core reports a rejected call without exceptions.
//
// The core is compiled without exceptions for WebAssembly, so every public entry point returns a Status.
// The kind tells the JavaScript layer which Error class to raise: kRange for shapes, sizes and parameters
// (RangeError), kType for wrong kinds of value (TypeError), kInternal for failures inside the backend such
// as running out of memory (Error).
#pragma once

#include <string>
#include <utility>

namespace dcn {

enum class ErrorKind { kNone, kType, kRange, kInternal };

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status RangeError(std::string message) { return Status(ErrorKind::kRange, std::move(message)); }
  static Status TypeError(std::string message) { return Status(ErrorKind::kType, std::move(message)); }
  static Status Internal(std::string message) { return Status(ErrorKind::kInternal, std::move(message)); }

  bool ok() const { return kind_ == ErrorKind::kNone; }
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // "RangeError", "TypeError", "Error" or "" (ok): the JavaScript class this status maps to.
  const char* kind_name() const {
    switch (kind_) {
      case ErrorKind::kType: return "TypeError";
      case ErrorKind::kRange: return "RangeError";
      case ErrorKind::kInternal: return "Error";
      default: return "";
    }
  }

 private:
  Status(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  ErrorKind kind_ = ErrorKind::kNone;
  std::string message_;
};

}  // namespace dcn
