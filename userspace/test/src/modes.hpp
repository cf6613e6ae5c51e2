// SPDX-License-Identifier: MIT
// The test modes of uringblk_test (docs/uringblk_test.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "util.hpp"

namespace ubt {

struct Options {
  std::optional<std::uint64_t> io_size; ///< --io-size
  unsigned duration = 0;                ///< --duration (seconds)
  unsigned concurrent = 4;              ///< --concurrent
  std::uint64_t seed = 0;               ///< --seed (random when not given)
  bool corrupt_expected = false;        ///< --corrupt-expected (self-check of --basic)
};

/// What an O_DIRECT READ or WRITE of len bytes from a buffer addr_off bytes past an aligned
/// address returns: -EINVAL when addr_off breaks the device's queue/dma_alignment (a mask, such
/// as 511), else len: newer kernels take any address that meets the mask (a 6.18 loop device
/// reads and writes from +1). Without the attribute (nullopt) the mask is the block layer's
/// default, 511, so +1 stays -EINVAL as before.
int misaligned_buffer_res(std::uint64_t addr_off, std::optional<std::uint64_t> dma_alignment,
                          std::size_t len);

/// The answer to accept for that READ or WRITE, given what the kernel answered (got): want, or
/// len where want is -EINVAL. Kernels from 6.18 check a direct I/O's buffer per segment once the
/// request is built ("block: simplify direct io validity check"), so a buffer that breaks
/// dma_alignment may still be taken whole; the data must then be right. Any other answer (a
/// short transfer, another errno) is wrong.
int misaligned_buffer_accept(int want, int got, std::size_t len);

/// Each mode throws Failure on the first failed check and Skip when it does not apply.
void mode_basic(Target &t, const Options &o);
void mode_io_size(Target &t, const Options &o);
void mode_error_tests(Target &t, const Options &o);
void mode_poll(Target &t, const Options &o);
void mode_fixed_buffers(Target &t, const Options &o);
void mode_admin_commands(Target &t, const Options &o);
void mode_sync_tests(Target &t, const Options &o);
void mode_stress(Target &t, const Options &o);
void mode_queue_stress(Target &t, const Options &o);
void mode_memory_pressure(Target &t, const Options &o);

} // namespace ubt
