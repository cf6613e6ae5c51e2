// SPDX-License-Identifier: MIT
// Error injection: typed rules for /sys/block/uringblkN/uringblk/error_inject
// (spec section 8.3, docs/error-injection.md). Lines are parsed and formatted by the
// kernel's own grammar code (kmod/inject_rule.h, compiled into this library), so a rule
// this library accepts is one the driver accepts, and a listing round-trips exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <uringblk/result.hpp>
#include <uringblk/sysfs.hpp>

namespace uringblk {

enum class InjectKind {
  read,    ///< read,LBA,COUNT[,PCT]: reads touching LBA fail with -EIO
  write,   ///< write,LBA,COUNT[,PCT]: writes (and write zeroes) fail with -EIO
  nospc,   ///< nospc,LBA,COUNT[,PCT]: writes fail with -ENOSPC
  busy,    ///< busy,LBA,COUNT[,PCT]: dispatches refused (BLK_STS_RESOURCE) and requeued
  nomem,   ///< nomem,LBA,COUNT[,PCT]: writes allocate as if GFP_NOWAIT had failed
  timeout, ///< timeout,LBA,PCT: PCT % of the requests time out (-ETIMEDOUT)
  delay,   ///< delay,LBA,USEC[,PCT]: PCT % of the requests complete USEC microseconds late
};

/// "read", "write", "nospc", "busy", "nomem", "timeout", "delay".
std::string_view to_string(InjectKind k) noexcept;
std::optional<InjectKind> parse_inject_kind(std::string_view s) noexcept;

/// The driver's limits (kmod/inject_rule.h); all inclusive.
inline constexpr std::size_t kInjectMaxRules = 16;
inline constexpr std::uint32_t kInjectMaxCount = 1000000000;
inline constexpr std::uint32_t kInjectMaxUsec = 10000000; ///< 10 s
inline constexpr std::uint32_t kInjectMaxPct = 100;

struct InjectRule {
  InjectKind kind = InjectKind::read;
  /// Every request of the rule's class: "*". In timeout and delay rules LBA 0 means the
  /// same (the spec's "timeout,0,10"), so such a rule is listed with any = true.
  bool any = false;
  std::uint64_t lba = 0;   ///< logical block (of the device's logical_block_size); 0 if any
  std::uint32_t count = 0; ///< count rules (read/write/nospc/busy/nomem): COUNT (in a listing: what is left); else 0
  std::uint32_t pct = 100; ///< 1..100
  std::uint32_t usec = 0;  ///< delay: USEC; else 0

  /// read, write, nospc, busy and nomem rules carry a COUNT.
  bool is_count() const noexcept;
  /// The same rule with the unused fields zeroed and a timeout/delay LBA 0 as any, as
  /// parse_inject_rule() returns it. operator== compares canonical forms.
  InjectRule canonical() const noexcept;

  static InjectRule read(std::uint64_t lba, std::uint32_t count, std::uint32_t pct = 100);
  static InjectRule write(std::uint64_t lba, std::uint32_t count, std::uint32_t pct = 100);
  static InjectRule nospc(std::uint64_t lba, std::uint32_t count, std::uint32_t pct = 100);
  static InjectRule timeout(std::uint64_t lba, std::uint32_t pct);
  static InjectRule delay(std::uint64_t lba, std::uint32_t usec, std::uint32_t pct = 100);
  /// The same rule for every LBA.
  InjectRule any_lba() const noexcept;

  friend bool operator==(const InjectRule &a, const InjectRule &b) noexcept;
};

/// Why the driver would reject r ("COUNT 0 out of range (1-1000000000)"), or nullopt.
std::optional<std::string> inject_rule_problem(const InjectRule &r);

/// The line that creates r, in the canonical form the driver lists ("read,1000,5",
/// "nospc,*,1", "timeout,0,10", "delay,0,2000,50"), without a newline. EINVAL (the context
/// says why) when r is invalid.
Result<std::string> format_inject_rule(const InjectRule &r);

/// One line of the grammar ("read,1000,5", surrounding whitespace allowed). "clear" is a
/// command, not a rule: EINVAL, as is anything the driver would reject.
Result<InjectRule> parse_inject_rule(std::string_view line);

/// A listing: one rule per line, blank lines ignored. EINVAL naming the first bad line.
Result<std::vector<InjectRule>> parse_inject_list(std::string_view text);

/// Validate r and write it to DEV's error_inject (a new rule, or the replacement of the rule
/// with the same kind and LBA). Errors: EINVAL (invalid), ENOSPC (16 rules active),
/// ENOENT (no such device or attribute), EACCES/EPERM.
Result<void> inject_add(std::string_view dev, const InjectRule &r,
                        const std::filesystem::path &root = sysfs_root());

/// Remove every rule of DEV ("clear").
Result<void> inject_clear(std::string_view dev, const std::filesystem::path &root = sysfs_root());

/// The active rules of DEV, in evaluation order; count rules with their remaining COUNT.
/// EPROTO if the file does not parse.
Result<std::vector<InjectRule>> inject_list(std::string_view dev,
                                            const std::filesystem::path &root = sysfs_root());

} // namespace uringblk
