// SPDX-License-Identifier: MIT
#include <uringblk/device.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <uringblk/sysfs.hpp>
#include <uringblk/uring_cmd.hpp>

#include "uringblk/unique_fd.hpp"

namespace uringblk {

std::string_view to_string(Transport t) noexcept {
  switch (t) {
  case Transport::uring_cmd:
    return "uring";
  case Transport::ioctl:
    return "ioctl";
  case Transport::automatic:
    return "auto";
  }
  return "?";
}

std::optional<Transport> parse_transport(std::string_view s) noexcept {
  if (s == "uring" || s == "uring_cmd")
    return Transport::uring_cmd;
  if (s == "ioctl")
    return Transport::ioctl;
  if (s == "auto" || s == "automatic")
    return Transport::automatic;
  return std::nullopt;
}

struct Device::Impl {
  std::string path;
  std::string name;
  std::uint32_t dev_id = URINGBLK_DEV_ID_SELF;
  Transport requested = Transport::uring_cmd;
  Transport effective = Transport::uring_cmd;
  std::string ctl_path;
  std::string fallback_reason;
  UniqueFd ctl_fd;
  std::optional<UringCmdRing> ring;
  UniqueFd blk_fd;

  // Sets up URING_CMD on the control node. Errors name `command`.
  Result<void> setup_uring(const std::string &command) {
    if (auto ok = sysfs_ok(); !ok)
      return Error{ok.error().code, command, ok.error().context};
    auto admin_node = read_attr(name, "admin_node");
    ctl_path =
        "/dev/" + (admin_node && !admin_node->empty() && admin_node->find('/') == std::string::npos
                       ? *admin_node
                       : std::string(URINGBLK_CTL_NAME));
    if (auto id = read_attr_u64(name, "dev_id"); id && *id <= UINT32_MAX)
      dev_id = static_cast<std::uint32_t>(*id);
    else if (auto n = parse_device_name(name))
      dev_id = *n;
    else
      return Error::from_errno(ENODEV, command, "dev_id of " + name);

    UniqueFd fd(::open(ctl_path.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd)
      return Error::from_errno(errno, command, "open " + ctl_path);
    auto r = UringCmdRing::create();
    if (!r)
      return Error{r.error().code, command, r.error().context};
    ctl_fd = std::move(fd);
    ring.emplace(std::move(r).value());
    effective = Transport::uring_cmd;
    return {};
  }

  // The device must be a uringblk disk (have <sysfs>/block/<name>/uringblk). With
  // require_sysfs false, a missing <sysfs>/block/<name> (no sysfs mounted) is accepted.
  Result<void> sysfs_ok(bool require_sysfs = true) const {
    std::error_code ec;
    const auto disk = sysfs_root() / "block" / name;
    if (!require_sysfs && !std::filesystem::exists(disk, ec))
      return {};
    return check_uringblk(name);
  }

  Result<void> setup_ioctl(const std::string &command) {
    if (!blk_fd) {
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
      if (!fd)
        return Error::from_errno(errno, command, "open " + path);
      blk_fd = std::move(fd);
    }
    effective = Transport::ioctl;
    return {};
  }

  void drop_uring() {
    ring.reset();
    ctl_fd.reset();
  }
};

Device::Device(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Device::Device(Device &&) noexcept = default;
Device &Device::operator=(Device &&) noexcept = default;
Device::~Device() = default;

Result<Device> Device::open(std::string_view path, Transport transport) {
  auto name = device_name_from_path(path);
  if (!name)
    return name.error();
  auto impl = std::make_unique<Impl>();
  impl->path = std::string(path);
  impl->name = *name;
  impl->requested = transport;
  if (auto ok = impl->sysfs_ok(transport == Transport::uring_cmd); !ok)
    return ok.error();

  switch (transport) {
  case Transport::uring_cmd:
    if (auto r = impl->setup_uring("open"); !r)
      return r.error();
    break;
  case Transport::ioctl:
    if (auto r = impl->setup_ioctl("open"); !r)
      return r.error();
    break;
  case Transport::automatic:
    if (auto r = impl->setup_uring("open"); !r) {
      impl->drop_uring();
      impl->fallback_reason = r.error().detail();
      if (auto r2 = impl->setup_ioctl("open"); !r2)
        return r2.error();
    }
    break;
  }
  return Device(std::move(impl));
}

Result<Device> Device::open_index(std::uint32_t index, Transport transport) {
  return open("/dev/uringblk" + std::to_string(index), transport);
}

const std::string &Device::path() const noexcept { return impl_->path; }
const std::string &Device::name() const noexcept { return impl_->name; }
std::uint32_t Device::dev_id() const noexcept { return impl_->dev_id; }
const std::string &Device::ctl_path() const noexcept { return impl_->ctl_path; }
Transport Device::transport() const noexcept { return impl_->effective; }
const std::string &Device::fallback_reason() const noexcept { return impl_->fallback_reason; }

Result<std::size_t> Device::execute(std::uint16_t opcode, std::span<std::byte> response) {
  const std::string command(opcode_name(opcode));
  const std::uint32_t cmd_op = cmd_op_for(opcode);
  if (cmd_op == 0)
    return Error::from_errno(EINVAL, command, "unknown opcode " + std::to_string(opcode));

  if (impl_->effective == Transport::uring_cmd) {
    uringblk_cmd cmd = make_cmd(opcode, impl_->dev_id, response);
    const int res = run_admin_cmd(&*impl_->ring, impl_->ctl_fd.get(), cmd_op, cmd);
    if (res >= 0)
      return static_cast<std::size_t>(res);
    if (!(impl_->requested == Transport::automatic && res == -EOPNOTSUPP))
      return Error::from_errno(-res, command);
    // The control node does not take URING_CMD: use the ioctl from now on.
    impl_->fallback_reason = Error::from_errno(-res, command, "URING_CMD").detail();
    impl_->drop_uring();
    if (auto r = impl_->setup_ioctl(command); !r)
      return r.error();
  }

  uringblk_cmd cmd = make_cmd(opcode, URINGBLK_DEV_ID_SELF, response);
  const int res = run_admin_cmd(nullptr, impl_->blk_fd.get(), cmd_op, cmd);
  if (res < 0)
    return Error::from_errno(-res, command);
  return static_cast<std::size_t>(res);
}

namespace {

template <class Raw> Result<Raw> run(Device &dev, std::uint16_t opcode) {
  Raw raw;
  std::memset(&raw, 0, sizeof(raw));
  return fixed_response(opcode, dev.execute(opcode, std::as_writable_bytes(std::span(&raw, 1))),
                        raw);
}

} // namespace

Result<Identify> Device::identify() {
  auto r = run<uringblk_identify>(*this, URINGBLK_UCMD_IDENTIFY);
  if (!r)
    return r.error();
  return Identify::from_raw(*r);
}

Result<Limits> Device::limits() {
  auto r = run<uringblk_limits>(*this, URINGBLK_UCMD_GET_LIMITS);
  if (!r)
    return r.error();
  return Limits::from_raw(*r);
}

Result<Features> Device::features() {
  auto r = run<std::uint64_t>(*this, URINGBLK_UCMD_GET_FEATURES);
  if (!r)
    return r.error();
  return Features{*r};
}

Result<Geometry> Device::geometry() {
  auto r = run<uringblk_geometry>(*this, URINGBLK_UCMD_GET_GEOMETRY);
  if (!r)
    return r.error();
  return Geometry::from_raw(*r);
}

Result<Stats> Device::stats() {
  auto r = run<uringblk_stats>(*this, URINGBLK_UCMD_GET_STATS);
  if (!r)
    return r.error();
  return Stats::from_raw(*r);
}

Result<void> Device::reset_stats() { return uringblk::reset_stats(impl_->name); }

} // namespace uringblk
