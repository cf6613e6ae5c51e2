// SPDX-License-Identifier: MIT
#include <uringblk/control.hpp>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <uringblk/uring_cmd.hpp>

#include "uringblk/unique_fd.hpp"

namespace uringblk {

uringblk_power_cut power_cut_payload(PowerCutMode mode, std::uint64_t seed,
                                     std::uint32_t flags) noexcept {
  uringblk_power_cut p;
  std::memset(&p, 0, sizeof(p));
  p.mode = static_cast<std::uint32_t>(mode);
  p.flags = flags;
  p.seed = seed;
  return p;
}

std::vector<std::byte> power_cut_payload_bytes(const uringblk_power_cut &cut,
                                               std::span<const std::uint64_t> drop) {
  std::vector<std::byte> b(sizeof(cut) + drop.size_bytes());
  std::memcpy(b.data(), &cut, sizeof(cut));
  if (!drop.empty())
    std::memcpy(b.data() + sizeof(cut), drop.data(), drop.size_bytes());
  return b;
}

Result<PowerLog> decode_power_log(std::span<const std::byte> resp) {
  uringblk_power_log head;
  if (resp.size() < sizeof(head))
    return short_response(URINGBLK_UCMD_POWER_LOG, resp.size(), sizeof(head));
  std::memcpy(&head, resp.data(), sizeof(head));
  const std::size_t want = sizeof(head) + sizeof(PowerLogEntry) * std::size_t{head.nr_entries};
  if (resp.size() != want || head.nr_entries > head.nr_changes)
    return Error::from_errno(EPROTO, "POWER_LOG",
                             "response of " + std::to_string(resp.size()) + " bytes with " +
                                 std::to_string(head.nr_entries) + " entries of " +
                                 std::to_string(head.nr_changes) + " changes");
  PowerLog log{head.nr_changes, std::vector<PowerLogEntry>(head.nr_entries)};
  if (head.nr_entries)
    std::memcpy(log.entries.data(), resp.data() + sizeof(head),
                log.entries.size() * sizeof(PowerLogEntry));
  return log;
}

bool is_abi10_error(const Error &e) noexcept {
  return e.code.value() == EOPNOTSUPP && e.context == kAbi10Message;
}

bool is_abi11_error(const Error &e) noexcept {
  return e.code.value() == EOPNOTSUPP && e.context == kAbi11Message;
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
  // A 1.0 module does not know the 1.1 opcodes, a 1.1 module the 1.2 ones: each transport's
  // "not mine".
  if (opcode >= URINGBLK_UCMD_ADD_DEVICE && (res == -EOPNOTSUPP || res == -ENOTTY))
    return Error::from_errno(
        EOPNOTSUPP, command,
        std::string(opcode >= URINGBLK_UCMD_POWER_ON ? kAbi11Message : kAbi10Message));
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

// The answer of a command without a response (DEL_DEVICE, POWER_ON; run_payload()).
Result<void> no_response(const Result<std::size_t> &n) {
  if (!n)
    return n.error();
  return {};
}

// A command whose payload is one T and that has no response (SET_PARAMS, POWER_MARK,
// POWER_ARM).
template <class T>
Result<void> run_payload(Control &c, std::uint16_t opcode, std::uint32_t dev_id, T payload) {
  return no_response(c.execute(opcode, dev_id, std::as_writable_bytes(std::span(&payload, 1)),
                               sizeof(payload)));
}
} // namespace

Result<DevParams> Control::add_device(const DevParams &params, std::optional<std::uint32_t> id) {
  return run_fixed(*this, URINGBLK_UCMD_ADD_DEVICE, id.value_or(URINGBLK_DEV_ID_ANY), params,
                   sizeof(params));
}

Result<void> Control::delete_device(std::uint32_t id, bool force) {
  return no_response(execute(URINGBLK_UCMD_DEL_DEVICE, id, {}, 0, force ? URINGBLK_DEL_FORCE : 0));
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

Result<PowerCutResult> Control::power_cut(std::uint32_t id, const uringblk_power_cut &cut,
                                          std::span<const std::uint64_t> drop) {
  // The payload goes in, the answer comes back in the same buffer (room for the larger).
  std::vector<std::byte> buf = power_cut_payload_bytes(cut, drop);
  const auto payload_len = static_cast<std::uint32_t>(buf.size());
  buf.resize(std::max(buf.size(), sizeof(PowerCutResult)));
  auto n = execute(URINGBLK_UCMD_POWER_CUT, id, buf, payload_len);
  PowerCutResult r;
  std::memcpy(&r, buf.data(), sizeof(r));
  return fixed_response(URINGBLK_UCMD_POWER_CUT, n, r);
}

Result<void> Control::power_on(std::uint32_t id) {
  return no_response(execute(URINGBLK_UCMD_POWER_ON, id, {}));
}

Result<PowerLog> Control::power_log(std::uint32_t id) {
  // Room for the most the driver answers (like LIST_DEVICES: as many entries as fit).
  std::vector<std::byte> buf(sizeof(uringblk_power_log) +
                             kPowerLogMaxEntries * sizeof(PowerLogEntry));
  auto n = execute(URINGBLK_UCMD_POWER_LOG, id, buf);
  if (!n)
    return n.error();
  if (*n > buf.size())
    return Error::from_errno(EPROTO, "POWER_LOG",
                             "response of " + std::to_string(*n) + " bytes in a buffer of " +
                                 std::to_string(buf.size()));
  return decode_power_log(std::span(buf).first(*n));
}

Result<void> Control::power_mark(std::uint32_t id, std::uint64_t tag) {
  uringblk_power_mark m;
  m.tag = tag;
  return run_payload(*this, URINGBLK_UCMD_POWER_MARK, id, m);
}

Result<void> Control::power_arm(std::uint32_t id, const PowerArm &arm) {
  return run_payload(*this, URINGBLK_UCMD_POWER_ARM, id, arm);
}

Result<void> Control::set_params(std::uint32_t id, const SetParams &s) {
  return run_payload(*this, URINGBLK_UCMD_SET_PARAMS, id, s);
}

} // namespace uringblk
