// SPDX-License-Identifier: MIT
#include <uringblk/control.hpp>

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include <uringblk/uring_cmd.hpp>

#include "uringblk/unique_fd.hpp"

namespace uringblk {

bool is_abi10_error(const Error &e) noexcept {
  return e.code.value() == EOPNOTSUPP && e.context == kAbi10Message;
}

struct Control::Impl {
  std::string path;
  Transport requested = Transport::automatic;
  UniqueFd fd;
  std::optional<UringCmdRing> ring; // empty: ioctl on fd
};

Control::Control(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Control::Control(Control &&) noexcept = default;
Control &Control::operator=(Control &&) noexcept = default;
Control::~Control() = default;

Result<Control> Control::open(Transport transport, std::string_view path) {
  auto impl = std::make_unique<Impl>();
  impl->path = std::string(path);
  impl->requested = transport;
  impl->fd = UniqueFd(::open(impl->path.c_str(), O_RDWR | O_CLOEXEC));
  if (!impl->fd)
    return Error::from_errno(errno, "open", "open " + impl->path);
  if (transport != Transport::ioctl) {
    auto r = UringCmdRing::create();
    if (r)
      impl->ring.emplace(std::move(r).value());
    else if (transport == Transport::uring_cmd)
      return Error{r.error().code, "open", r.error().context};
  }
  return Control(std::move(impl));
}

const std::string &Control::path() const noexcept { return impl_->path; }
Transport Control::transport() const noexcept {
  return impl_->ring ? Transport::uring_cmd : Transport::ioctl;
}

Result<std::size_t> Control::execute(std::uint16_t opcode, std::uint32_t dev_id,
                                     std::span<std::byte> buf, std::uint32_t payload_len,
                                     std::uint16_t flags) {
  const std::string command(opcode_name(opcode));
  const std::uint32_t cmd_op = cmd_op_for(opcode);
  if (cmd_op == 0)
    return Error::from_errno(EINVAL, command, "unknown opcode " + std::to_string(opcode));
  uringblk_cmd cmd = make_cmd(opcode, dev_id, buf, flags, payload_len);
  int res = run_admin_cmd(impl_->ring ? &*impl_->ring : nullptr, impl_->fd.get(), cmd_op, cmd);
  if (res == -EOPNOTSUPP && impl_->ring && impl_->requested == Transport::automatic) {
    // No URING_CMD on this node (or an unknown opcode): the ioctl decides, and is kept.
    impl_->ring.reset();
    res = run_admin_cmd(nullptr, impl_->fd.get(), cmd_op, cmd);
  }
  if (res >= 0)
    return static_cast<std::size_t>(res);
  // A 1.0 module does not know the 1.1 opcodes: each transport's "not mine".
  if (opcode >= URINGBLK_UCMD_ADD_DEVICE && (res == -EOPNOTSUPP || res == -ENOTTY))
    return Error::from_errno(EOPNOTSUPP, command, std::string(kAbi10Message));
  return Error::from_errno(-res, command);
}

namespace {
// One command whose response is exactly one T, read back into `v` (which holds the payload, if
// payload_len is not 0). A shorter answer is EPROTO.
template <class T>
Result<T> run_fixed(Control &c, std::uint16_t opcode, std::uint32_t dev_id, T v,
                    std::uint32_t payload_len = 0) {
  auto n = c.execute(opcode, dev_id, std::as_writable_bytes(std::span(&v, 1)), payload_len);
  return fixed_response(opcode, n, v);
}
} // namespace

Result<DevParams> Control::add_device(const DevParams &params, std::optional<std::uint32_t> id) {
  return run_fixed(*this, URINGBLK_UCMD_ADD_DEVICE, id.value_or(URINGBLK_DEV_ID_ANY), params,
                   sizeof(params));
}

Result<void> Control::delete_device(std::uint32_t id, bool force) {
  auto n = execute(URINGBLK_UCMD_DEL_DEVICE, id, {}, 0, force ? URINGBLK_DEL_FORCE : 0);
  if (!n)
    return n.error();
  return {};
}

Result<DeviceList> Control::list_devices() {
  // Header + one id per possible device (max_devices is 64; a bigger answer is re-asked).
  std::vector<std::uint32_t> buf(sizeof(uringblk_dev_list) / 4 + 64);
  for (;;) {
    auto bytes = std::as_writable_bytes(std::span(buf));
    auto n = execute(URINGBLK_UCMD_LIST_DEVICES, URINGBLK_DEV_ID_ANY, bytes);
    if (!n)
      return n.error();
    uringblk_dev_list head;
    if (*n < sizeof(head))
      return short_response(URINGBLK_UCMD_LIST_DEVICES, *n, sizeof(head));
    std::memcpy(&head, buf.data(), sizeof(head));
    const std::size_t cap = buf.size() - sizeof(head) / 4;
    if (head.nr_ids > cap || *n != sizeof(head) + 4 * std::size_t{head.nr_ids})
      return Error::from_errno(EPROTO, "LIST_DEVICES",
                               "response of " + std::to_string(*n) + " bytes with " +
                                   std::to_string(head.nr_ids) + " ids");
    if (head.nr_devices > head.nr_ids && head.nr_ids == cap && cap < 65536) {
      buf.resize(sizeof(head) / 4 + head.nr_devices + 16);
      continue;
    }
    DeviceList l{head.abi_major, head.abi_minor, head.nr_devices, head.max_devices, {}};
    const auto *first = buf.data() + sizeof(head) / 4;
    l.ids.assign(first, first + head.nr_ids);
    return l;
  }
}

Result<DevParams> Control::get_params(std::uint32_t id) {
  return run_fixed(*this, URINGBLK_UCMD_GET_PARAMS, id, default_dev_params());
}

Result<PowerCutResult> Control::power_cut(std::uint32_t id, PowerCutMode mode,
                                         std::uint64_t seed) {
  // The payload goes in, the (larger) answer comes back in the same buffer.
  union {
    uringblk_power_cut in;
    PowerCutResult out;
  } buf;
  std::memset(&buf, 0, sizeof(buf));
  buf.in.mode = static_cast<std::uint32_t>(mode);
  buf.in.seed = seed;
  auto n = execute(URINGBLK_UCMD_POWER_CUT, id, std::as_writable_bytes(std::span(&buf, 1)),
                   sizeof(buf.in));
  return fixed_response(URINGBLK_UCMD_POWER_CUT, n, buf.out);
}

Result<void> Control::set_params(std::uint32_t id, const SetParams &s) {
  SetParams copy = s;
  auto n = execute(URINGBLK_UCMD_SET_PARAMS, id, std::as_writable_bytes(std::span(&copy, 1)),
                   sizeof(copy));
  if (!n)
    return n.error();
  return {};
}

} // namespace uringblk
