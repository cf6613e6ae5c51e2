// SPDX-License-Identifier: MIT
// Result<T>: a value or an Error naming the failed command (C++20 has no std::expected).
#pragma once

#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace uringblk {

/// Symbolic name of an errno value ("EPERM"), or "errno N" if unknown.
std::string errno_name(int err);

/// A failed operation: the errno (std::system_category) and what failed.
struct Error {
  std::error_code code;
  /// The operation the caller asked for: an admin command ("IDENTIFY", "GET_STATS", ...) or a
  /// library operation ("open", "list_devices", "reset_stats", ...).
  std::string command;
  /// The failing step when it is not the command itself (e.g. "open /dev/uringblk-ctl",
  /// "io_uring_queue_init"); empty otherwise.
  std::string context;

  static Error from_errno(int err, std::string command, std::string context = {});

  int value() const noexcept { return code.value(); }
  /// "[context: ]Operation not permitted (EPERM)"
  std::string detail() const;
  /// "command: [context: ]Operation not permitted (EPERM)"
  std::string message() const;
};

/// Thrown by Result<T>::value() when the result holds an Error.
class BadResultAccess : public std::system_error {
public:
  explicit BadResultAccess(const Error &e) : std::system_error(e.code, e.message()), error_(e) {}
  const Error &error() const noexcept { return error_; }

private:
  Error error_;
};

template <class T> class [[nodiscard]] Result {
public:
  Result(const T &v) : v_(std::in_place_index<0>, v) {}
  Result(T &&v) : v_(std::in_place_index<0>, std::move(v)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T &value() & {
    check();
    return std::get<0>(v_);
  }
  const T &value() const & {
    check();
    return std::get<0>(v_);
  }
  T &&value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T &&operator*() && { return std::move(*this).value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  /// Precondition: !has_value() (throws std::bad_variant_access otherwise).
  const Error &error() const & { return std::get<1>(v_); }
  Error &&error() && { return std::get<1>(std::move(v_)); }

private:
  void check() const {
    if (!has_value())
      throw BadResultAccess(std::get<1>(v_));
  }
  std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error e) : err_(std::move(e)) {}

  bool has_value() const noexcept { return !err_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (err_)
      throw BadResultAccess(*err_);
  }
  /// Precondition: !has_value() (throws std::bad_optional_access otherwise).
  const Error &error() const & { return err_.value(); }

private:
  std::optional<Error> err_;
};

} // namespace uringblk
