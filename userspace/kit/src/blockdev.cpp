// SPDX-License-Identifier: MIT
#include <uringblk/kit/blockdev.hpp>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <uringblk/kit/errors.hpp>

namespace uringblk::kit {

Target open_target(const std::string &path, const OpenSpec &spec) {
  Target t;
  t.path = path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw UsageError(cat(path, ": ", std::strerror(errno)));
  t.is_block = S_ISBLK(st.st_mode);
  if (!t.is_block && !(spec.allow_file && S_ISREG(st.st_mode)))
    throw UsageError(cat(path, " is not a block device", spec.allow_file ? " or a regular file" : ""));
  int flags = (spec.write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  if (spec.direct)
    flags |= O_DIRECT;
  // O_EXCL on a block device is an exclusive claim: EBUSY when the disk or a partition is
  // mounted, used by device-mapper/md/swap, or opened O_EXCL elsewhere.
  if (t.is_block && spec.write && spec.exclusive)
    flags |= O_EXCL;
  t.direct = spec.direct;
  t.fd = UniqueFd(::open(path.c_str(), flags));
  if (!t.fd && !t.is_block && spec.direct && spec.buffered_fallback && errno == EINVAL) {
    t.fd = UniqueFd(::open(path.c_str(), flags & ~O_DIRECT)); // e.g. tmpfs
    t.direct = false;
  }
  if (!t.fd) {
    const int err = errno;
    if (err == EBUSY && (flags & O_EXCL))
      throw UsageError(cat(path, " is in use (mounted, or a partition is mounted or claimed): "
                                 "refusing to overwrite it"));
    throw UsageError(cat("open ", path, spec.direct ? " (O_DIRECT)" : "", ": ",
                         std::strerror(err)));
  }
  if (t.is_block) {
    int lbs = 0;
    if (::ioctl(t.fd.get(), BLKGETSIZE64, &t.size) != 0 || ::ioctl(t.fd.get(), BLKSSZGET, &lbs) != 0)
      throw UsageError(cat(path, ": BLKGETSIZE64/BLKSSZGET: ", std::strerror(errno)));
    t.lbs = static_cast<unsigned>(lbs);
  } else {
    t.size = static_cast<std::uint64_t>(st.st_size);
    t.lbs = 512;
  }
  return t;
}

} // namespace uringblk::kit
