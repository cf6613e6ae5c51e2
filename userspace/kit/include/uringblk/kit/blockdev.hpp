// SPDX-License-Identifier: MIT
// Opening the device a tool reads or writes, and asking it its size and logical block size.
#pragma once

#include <cstdint>
#include <string>

#include <uringblk/unique_fd.hpp>

namespace uringblk::kit {

struct OpenSpec {
  bool write = true;      ///< O_RDWR, else O_RDONLY
  bool exclusive = true;  ///< block device only: O_EXCL, refused (EBUSY) when mounted/claimed
  bool direct = true;     ///< O_DIRECT
  bool allow_file = false; ///< a regular file is accepted (else UsageError)
  bool buffered_fallback = false; ///< a file whose filesystem refuses O_DIRECT: open buffered
};

struct Target {
  std::string path;
  UniqueFd fd;
  bool is_block = false;
  bool direct = true;      ///< opened with O_DIRECT
  std::uint64_t size = 0;  ///< bytes (BLKGETSIZE64 or st_size)
  unsigned lbs = 512;      ///< logical block size (BLKSSZGET; 512 for a file)
};

/// Opens path as spec says. Throws UsageError when it is not a block device (or, with
/// allow_file, a regular file), when a write open of a block device finds it in use
/// ("... is in use (mounted, or a partition is mounted or claimed): refusing to overwrite
/// it"), and when open/ioctl fail.
Target open_target(const std::string &path, const OpenSpec &spec);

} // namespace uringblk::kit
