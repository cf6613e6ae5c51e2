// SPDX-License-Identifier: MIT
#include <uringblk/admin/devices_cli.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ostream>

#include <CLI/CLI.hpp>

#include <uringblk/admin/cli.hpp>
#include <uringblk/control.hpp>
#include <uringblk/kit/parse.hpp>
#include <uringblk/sysfs.hpp>

namespace uringblk::admin {

namespace {
// The payload: what was given, 0 / URINGBLK_DEV_DEFAULT (the module's value) for the rest.
// With `stand_in`, the rest is the smallest valid value instead (max_io_size_kb 4 is a multiple
// of every block size in KiB; poll follows poll_queues), so that only the given values can
// break a rule.
DevParams params_of(const CreateOptions &o, bool stand_in) {
  const bool poll_on = o.poll ? *o.poll == URINGBLK_DEV_ON : o.poll_queues.value_or(0) > 0;
  const std::uint8_t sw = stand_in ? URINGBLK_DEV_ON : URINGBLK_DEV_DEFAULT;
  auto v = [stand_in](std::uint32_t x) { return stand_in ? x : 0U; };
  DevParams p = default_dev_params();
  p.capacity_mb = o.capacity_mb.value_or(v(1));
  p.logical_block_size = o.logical_block_size.value_or(v(512));
  p.nr_hw_queues = o.nr_hw_queues.value_or(v(1));
  p.poll_queues = o.poll_queues.value_or(v(poll_on ? 1 : 0));
  p.queue_depth = o.queue_depth.value_or(v(32));
  p.max_io_size_kb = o.max_io_size_kb.value_or(v(4));
  p.io_timeout_ms = o.io_timeout_ms.value_or(v(10));
  p.write_cache = o.write_cache.value_or(sw);
  p.discard = o.discard.value_or(sw);
  p.write_zeroes = o.write_zeroes.value_or(sw);
  p.poll = o.poll.value_or(stand_in ? (poll_on ? URINGBLK_DEV_ON : URINGBLK_DEV_OFF)
                                    : URINGBLK_DEV_DEFAULT);
  return p;
}
} // namespace

Result<DevParams> create_params(const CreateOptions &o) {
  DevParams p = params_of(o, false);
  DevParams checked = params_of(o, true);
  if (o.serial_suffix) {
    for (DevParams *x : {&p, &checked})
      if (auto r = set_serial_suffix(*x, *o.serial_suffix); !r)
        return Error{r.error().code, "create", r.error().context};
  }
  if (auto e = check_dev_params(checked))
    return e->error("create");
  return p;
}

Result<std::uint32_t> device_index_from_arg(std::string_view arg) {
  const std::string path = device_path_from_arg(arg);
  const auto slash = path.rfind('/');
  if (auto n = parse_device_name(slash == std::string::npos ? path : path.substr(slash + 1)))
    return *n;
  // A symlink (/dev/disk/by-id/...): the kernel name behind it.
  auto name = device_name_from_path(path);
  if (!name)
    return name.error();
  if (auto n = parse_device_name(*name))
    return *n;
  return Error::from_errno(ENODEV, "device", "not a uringblk device");
}

namespace {

void add_switch(CLI::App *sub, const std::string &name, std::optional<std::uint8_t> &var,
                const std::string &help) {
  sub->add_option_function<std::string>(
         name, [&var](const std::string &s) { var = parse_switch(s); }, help)
      ->check(CLI::IsMember({"on", "off"}))
      ->type_name("on|off");
}

// A number in the driver's range [lo, hi]: the help shows "lo..hi", and a value outside it is
// refused naming the range (also one beyond 64 bits). The syntax is kit::cli::uint's.
CLI::Validator in_range(std::uint32_t lo, std::uint32_t hi) {
  const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  const CLI::Validator number = kit::cli::uint(0, kit::kU64Max);
  return CLI::Validator(
      [=](std::string &value) -> std::string {
        if (const std::string e = number(value); e.empty()) { // value is now plain decimal
          const std::uint64_t v = std::stoull(value);
          if (v >= lo && v <= hi)
            return {};
        } else if (!std::all_of(value.begin(), value.end(),
                                [](char c) { return c >= '0' && c <= '9'; }) ||
                   value.empty()) {
          return e; // not a number at all
        }
        return "'" + value + "' is out of range (" + range + ")";
      },
      range);
}

void add_u32(CLI::App *sub, const std::string &name, std::optional<std::uint32_t> &var,
             const std::string &help, const CLI::Validator &range) {
  sub->add_option_function<std::uint32_t>(
         name, [&var](const std::uint32_t &v) { var = v; }, help)
      ->transform(range)
      ->type_name("N");
}

// A create option that sets the parameter `param` (its module parameter's name), with the
// range of the driver's rule (kmod/dev_params.h) in its help and in its out-of-range error.
// zero_ok: 0 is accepted too (poll_queues: 0 with polling off).
void add_param(CLI::App *sub, const std::string &name, std::string_view param,
               std::optional<std::uint32_t> &var, std::string help, bool zero_ok = false) {
  const ParamRule rule = dev_param_rule(param).value();
  if (!rule.what.empty())
    help += ": " + rule.what;
  add_u32(sub, name, var, help, in_range(zero_ok ? 0 : rule.lo, rule.hi));
}

// --id: an index of the driver's range; URINGBLK_DEV_ID_ANY, which means "the lowest free" in
// the ABI, is refused with what to do instead.
CLI::Validator dev_id_validator() {
  const ParamRule rule = dev_id_rule();
  const CLI::Validator range = in_range(rule.lo, rule.hi);
  const CLI::Validator number = kit::cli::uint(0, kit::kU64Max);
  return CLI::Validator(
      [range, number](std::string &value) -> std::string {
        if (!number(value).empty()) // not a number: the range's message says so
          return range(value);
        if (value == std::to_string(URINGBLK_DEV_ID_ANY))
          return "'" + value + "' is URINGBLK_DEV_ID_ANY, not an index: omit --id for the "
                               "lowest free index";
        return range(value);
      },
      range.get_description());
}

} // namespace

DevicesCommand::DevicesCommand(CLI::App &app, const std::function<void(CLI::App *)> &add_common) {
  create_ = app.add_subcommand(
      "create", "Create a device at run time (ADD_DEVICE, ABI 1.1); options not given take the "
                "module's load-time values");
  delete_ = app.add_subcommand("delete", "Delete a device (DEL_DEVICE, ABI 1.1)");
  set_ = app.add_subcommand("set", "Change a device's parameters (SET_PARAMS, ABI 1.1)");
  params_ = app.add_subcommand("params", "Show a device's parameters (GET_PARAMS, ABI 1.1)");
  for (CLI::App *sub : {create_, delete_, set_, params_})
    add_common(sub);

  add_param(create_, "--capacity-mb", "capacity_mb", opts_.capacity_mb, "Capacity in MiB");
  add_param(create_, "--logical-block-size", "logical_block_size", opts_.logical_block_size,
            "Logical block size");
  add_param(create_, "--nr-hw-queues", "nr_hw_queues", opts_.nr_hw_queues, "Hardware queues");
  add_param(create_, "--poll-queues", "poll_queues", opts_.poll_queues,
            "Poll queues (turns polling on; 0 with --poll off)", true);
  add_param(create_, "--queue-depth", "queue_depth", opts_.queue_depth, "Queue depth");
  add_param(create_, "--max-io-size-kb", "max_io_size_kb", opts_.max_io_size_kb,
            "Largest I/O in KiB (a multiple of the block size)");
  add_param(create_, "--io-timeout-ms", "io_timeout_ms", opts_.io_timeout_ms,
            "I/O timeout in ms");
  add_switch(create_, "--write-cache", opts_.write_cache, "Volatile write cache");
  add_switch(create_, "--discard", opts_.discard, "Discard support");
  add_switch(create_, "--write-zeroes", opts_.write_zeroes, "Write-zeroes support");
  add_switch(create_, "--poll", opts_.poll, "Poll queues (IORING_SETUP_IOPOLL)");
  create_->add_option_function<std::string>(
      "--serial-suffix", [this](const std::string &s) { opts_.serial_suffix = s; },
      "Appended to the serial after a '-': up to 8 of [A-Za-z0-9_.-]");
  add_u32(create_, "--id", id_, "The index N of /dev/uringblkN wanted (omit it for the lowest free)",
          dev_id_validator());
  create_->add_flag("--json", json_, "JSON output (as -o json)");
  create_->add_flag("--dry-run", dry_run_,
                    "Check the options only (as uringblk-load check does); create nothing");

  for (CLI::App *sub : {delete_, set_, params_})
    add_device_operand(sub, device_);
  delete_->add_flag("--force", force_,
                    "Delete even while the device is open: its outstanding and new I/O fails");
  add_switch(set_, "--write-cache", set_write_cache_, "Write back (on) or write through (off)");
  const ParamRule max_sectors = max_sectors_kb_rule();
  add_u32(set_, "--max-sectors-kb", max_sectors_kb_,
          "queue/max_sectors_kb: up to the device's max_io_size_kb, a multiple of the block "
          "size in KiB",
          in_range(max_sectors.lo, max_sectors.hi));
  set_->add_flag("--inject-reset", inject_reset_, "Drop every error-injection rule");
}

bool DevicesCommand::parsed() const {
  return create_->parsed() || delete_->parsed() || set_->parsed() || params_->parsed();
}

int DevicesCommand::run(OutputFormat format, Transport transport, std::ostream &out,
                        std::ostream &err) const {
  const CLI::App *sub = create_->parsed()   ? create_
                        : delete_->parsed() ? delete_
                        : set_->parsed()    ? set_
                                            : params_;
  const std::string subcommand = sub->get_name();
  if (json_)
    format = OutputFormat::json;
  Reply reply{format, subcommand,
              sub == create_ ? std::string() : device_path_from_arg(device_), out, err};

  // Everything that can be checked here is, before the control node is opened.
  std::optional<DevParams> payload;
  std::uint32_t index = URINGBLK_DEV_ID_ANY;
  SetParams set;
  std::memset(&set, 0, sizeof(set));
  if (sub == create_) {
    auto p = create_params(opts_); // a broken rule is bad input, like a bad option value
    if (!p)
      return reply.usage(p.error().context);
    payload = *p;
    if (dry_run_) {
      Json j = Json::object();
      j["version"] = kJsonVersion;
      j["valid"] = true;
      return reply.emit(j, "create: options valid (nothing created)\n");
    }
  } else {
    auto n = device_index_from_arg(device_);
    if (!n)
      return reply.fail(n.error());
    index = *n;
  }
  if (sub == set_) {
    if (set_write_cache_) {
      set.mask |= URINGBLK_SET_WRITE_CACHE;
      set.write_cache = *set_write_cache_ == URINGBLK_DEV_ON ? 1 : 0;
    }
    if (max_sectors_kb_) {
      set.mask |= URINGBLK_SET_MAX_SECTORS_KB;
      set.max_sectors_kb = *max_sectors_kb_;
    }
    if (inject_reset_)
      set.mask |= URINGBLK_SET_INJECT_RESET;
    if (!set.mask)
      return reply.usage(
          "nothing to change: give --write-cache, --max-sectors-kb or --inject-reset");
  }

  auto ctl = with_module_check(Control::open(transport));
  if (!ctl)
    return reply.fail(ctl.error());

  if (sub == create_) {
    auto r = ctl->add_device(*payload, id_);
    if (!r)
      return reply.fail(r.error());
    reply.device = device_node(r->dev_id);
    return reply.emit(params_json(*r, reply.device),
                      params_text(*r, "device created", reply.device));
  }
  if (sub == delete_) {
    if (auto r = ctl->delete_device(index, force_); !r) {
      Error e = r.error();
      if (e.value() == EBUSY)
        e.context = "the device is open (right after create, udev may still be probing it: "
                    "run 'udevadm settle' first); --force deletes it anyway and its I/O fails";
      return reply.fail(e);
    }
    return reply.emit(delete_json(reply.device, force_), delete_text(reply.device, force_));
  }
  auto params = ctl->get_params(index);
  if (!params)
    return reply.fail(params.error());
  if (sub == params_) {
    return reply.emit(params_json(*params, reply.device),
                      params_text(*params, "Parameters", reply.device));
  }
  if (auto e = check_set_params(set, *params)) // this device's rule: bad input all the same
    return reply.usage(e->message());
  if (auto r = ctl->set_params(index, set); !r)
    return reply.fail(r.error());
  return reply.emit(set_json(set, reply.device), set_text(set, reply.device));
}

} // namespace uringblk::admin
