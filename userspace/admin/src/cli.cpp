// SPDX-License-Identifier: MIT
#include <uringblk/admin/cli.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <cerrno>
#include <ostream>
#include <vector>

#include <CLI/CLI.hpp>

#include <uringblk/admin/devices_cli.hpp>
#include <uringblk/admin/format.hpp>
#include <uringblk/admin/inject_cli.hpp>
#include <uringblk/admin/metrics.hpp>
#include <uringblk/admin/power_cli.hpp>
#include <uringblk/control.hpp>
#include <uringblk/device.hpp>
#include <uringblk/sysfs.hpp>

#ifndef URINGBLK_VERSION
#define URINGBLK_VERSION "unknown"
#endif

namespace uringblk::admin {

std::string device_path_from_arg(std::string_view arg) {
  if (!arg.empty() &&
      std::all_of(arg.begin(), arg.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "/dev/uringblk" + std::string(arg);
  if (arg.find('/') == std::string_view::npos && !arg.empty())
    return "/dev/" + std::string(arg);
  return std::string(arg);
}

namespace {
// "uringblk-admin: identify: device: device '' is empty: ..." rather than a nameless ENOENT.
std::function<std::string(const std::string &)> device_arg_check() {
  return [](const std::string &s) -> std::string {
    if (s.empty())
      return "device '' is empty: name one as /dev/uringblkN, uringblkN or N";
    return {};
  };
}
} // namespace

void add_device_operand(CLI::App *sub, std::string &device) {
  sub->add_option("device", device, "Block device: /dev/uringblkN, uringblkN or N")
      ->required()
      ->check(device_arg_check());
}

int Reply::fail(const Error &e) const {
  err << format_error(subcommand, device, e);
  if (format == OutputFormat::json)
    out << render_json(error_json(subcommand, device, e));
  return kExitFailed;
}

int Reply::usage(std::string_view what) const {
  err << kProgram << ": " << subcommand << ": " << what << '\n' << kUsageFooter << '\n';
  return kExitUsage;
}

int Reply::emit(const Json &j, const std::string &text) const {
  if (format == OutputFormat::json)
    out << render_json(j);
  else
    out << text;
  return kExitOk;
}

namespace {

struct Context {
  std::string_view subcommand;
  OutputFormat format = OutputFormat::normal;
  Transport transport = Transport::uring_cmd;
  std::string device; // as a path
  std::ostream &out;
  std::ostream &err;
  std::vector<std::string> devices; // metrics: as paths (empty: every device)
  std::string textfile_dir;         // metrics --textfile

  int fail(const Error &e) const {
    return Reply{format, std::string(subcommand), device, out, err}.fail(e);
  }
};

// Open the device, run one command, print its result.
template <class Fetch, class Text, class ToJson>
int device_command(const Context &ctx, Fetch fetch, Text text, ToJson to_json) {
  auto dev = with_module_check(Device::open(ctx.device, ctx.transport));
  if (!dev)
    return ctx.fail(dev.error());
  auto r = fetch(*dev);
  if (!r)
    return ctx.fail(r.error());
  if (ctx.format == OutputFormat::json)
    ctx.out << render_json(to_json(*r, ctx.device));
  else
    ctx.out << text(*r, ctx.device);
  return kExitOk;
}

// ABI 1.1: the devices LIST_DEVICES names, with their GET_PARAMS answer (empty when the module
// speaks 1.0, or the control node cannot be used: then sysfs alone, as before).
struct Listing {
  std::vector<DeviceInfo> devices;
  std::vector<std::optional<DevParams>> params;
};

std::optional<Listing> list_over_control(Transport transport,
                                         const std::vector<DeviceInfo> &sysfs) {
  auto ctl = Control::open(transport);
  if (!ctl)
    return std::nullopt;
  auto ids = ctl->list_devices();
  if (!ids)
    return std::nullopt;
  Listing l;
  for (const std::uint32_t id : ids->ids) {
    auto it = std::find_if(sysfs.begin(), sysfs.end(),
                           [&](const DeviceInfo &d) { return d.dev_id == id; });
    DeviceInfo info;
    if (it != sysfs.end())
      info = *it;
    else { // created a moment ago, or its disk is not in sysfs (yet)
      info.name = "uringblk" + std::to_string(id);
      info.path = device_node(id);
      info.dev_id = id;
    }
    l.devices.push_back(std::move(info));
    auto p = ctl->get_params(id);
    l.params.push_back(p ? std::optional<DevParams>(*p) : std::nullopt);
  }
  return l;
}

int cmd_list(const Context &ctx) {
  if (auto m = check_module(); !m) // not an empty list
    return ctx.fail(m.error());
  auto devs = list_devices();
  if (!devs)
    return ctx.fail(devs.error());
  if (auto l = list_over_control(ctx.transport, *devs)) {
    if (ctx.format == OutputFormat::json)
      ctx.out << render_json(list_json(l->devices, l->params));
    else
      ctx.out << list_text(l->devices, l->params);
    return kExitOk;
  }
  if (ctx.format == OutputFormat::json)
    ctx.out << render_json(list_json(*devs));
  else
    ctx.out << list_text(*devs);
  return kExitOk;
}

int cmd_identify(const Context &ctx) {
  return device_command(
      ctx, [](Device &d) { return d.identify(); }, identify_text, identify_json);
}
int cmd_limits(const Context &ctx) {
  return device_command(
      ctx, [](Device &d) { return d.limits(); }, limits_text, limits_json);
}
int cmd_features(const Context &ctx) {
  return device_command(
      ctx, [](Device &d) { return d.features(); }, features_text, features_json);
}
int cmd_geometry(const Context &ctx) {
  return device_command(
      ctx, [](Device &d) { return d.geometry(); }, geometry_text, geometry_json);
}
int cmd_stats(const Context &ctx) {
  return device_command(
      ctx, [](Device &d) { return d.stats(); }, stats_text, stats_json);
}

// sysfs only: needs no admin transport.
int cmd_reset_stats(const Context &ctx) {
  auto name = with_module_check(uringblk_name_from_path(ctx.device));
  if (!name)
    return ctx.fail(name.error());
  if (auto r = reset_stats(*name); !r)
    return ctx.fail(r.error());
  if (ctx.format == OutputFormat::json)
    ctx.out << render_json(reset_stats_json(ctx.device));
  else
    ctx.out << reset_stats_text(ctx.device);
  return kExitOk;
}

// GET_STATS plus the sysfs-only counters of one device, in the Prometheus text format (all
// devices, or the ones named). Output goes to stdout, or atomically to DIR/uringblk.prom.
int cmd_metrics(const Context &ctx) {
  if (ctx.format == OutputFormat::json) {
    return Reply{ctx.format, "metrics", {}, ctx.out, ctx.err}.usage(
        "only the Prometheus text format is available (no -o json)");
  }
  auto all = list_devices();
  if (!all)
    return ctx.fail(all.error());

  std::vector<DeviceMetrics> ms;
  std::vector<std::string> failed; // device labels of the devices that could not be read
  auto collect = [&](const std::string &path, const DeviceInfo *known) -> int {
    Context c = ctx;
    c.device = path;
    std::string label = known ? known->name : path;
    struct Failed {
      const Context &c;
      std::vector<std::string> &failed;
      std::string &label;
      int operator()(const Error &e) const {
        c.err << format_error(c.subcommand, c.device, e);
        failed.push_back(label);
        return kExitFailed;
      }
    } fail_dev{c, failed, label};
    auto dev = Device::open(path, ctx.transport);
    if (!dev)
      return fail_dev(dev.error());
    DeviceInfo info;
    if (known) {
      info = *known;
    } else {
      auto name = device_name_from_path(path);
      if (!name)
        return fail_dev(name.error());
      auto it = std::find_if(all->begin(), all->end(),
                             [&](const DeviceInfo &d) { return d.name == *name; });
      if (it == all->end())
        return fail_dev(Error::from_errno(ENODEV, "list_devices", "no /sys/block/" + *name));
      info = *it;
      label = info.name;
    }
    // The same disk named twice (uringblk0, /dev/disk/by-id/...) is reported once.
    for (const auto &m : ms)
      if (m.info.name == info.name)
        return kExitOk;
    auto st = dev->stats();
    if (!st)
      return fail_dev(st.error());
    DeviceMetrics m{info, *st, {}, {}, {}};
    auto sysfs_u64 = [&](std::string_view attr) -> std::optional<std::uint64_t> {
      auto v = read_attr_u64(info.name, attr);
      return v ? std::optional<std::uint64_t>(*v) : std::nullopt;
    };
    m.write_zeroes_ops = sysfs_u64("write_zeroes_ops");
    m.polled_completions = sysfs_u64("polled_completions");
    m.mem_used_bytes = sysfs_u64("mem_used_bytes");
    ms.push_back(std::move(m));
    return kExitOk;
  };
  // A device that cannot be read (it vanished, its command failed) does not stop the others:
  // its failure is a sample of uringblk_collect_error, as exporters report a failed scrape.
  if (ctx.devices.empty()) {
    for (const auto &d : *all)
      collect(d.path, &d);
  } else {
    for (const auto &path : ctx.devices)
      collect(path, nullptr);
  }

  const std::string text = metrics_text(ms, failed);
  const int rc = failed.empty() ? kExitOk : kExitFailed;
  if (ctx.textfile_dir.empty()) {
    ctx.out << text;
    return rc;
  }
  if (auto r = write_textfile(ctx.textfile_dir, text); !r) {
    Context c = ctx;
    c.device = ctx.textfile_dir;
    return c.fail(r.error());
  }
  return rc;
}

enum class Operand { none, device, devices };

struct Command {
  std::string_view name;
  std::string_view help;
  Operand operand;
  int (*run)(const Context &);
};

constexpr std::array<Command, 8> kCommands{{
    {"list",
     "List uringblk devices (LIST_DEVICES and GET_PARAMS with a 1.1 module, else from sysfs)",
     Operand::none, cmd_list},
    {"identify", "Send IDENTIFY: model, firmware, capacity, features, queues", Operand::device,
     cmd_identify},
    {"limits", "Send GET_LIMITS: queue and I/O limits", Operand::device, cmd_limits},
    {"features", "Send GET_FEATURES: feature bitmap, decoded", Operand::device, cmd_features},
    {"geometry", "Send GET_GEOMETRY: capacity and emulated CHS geometry", Operand::device,
     cmd_geometry},
    {"stats", "Send GET_STATS: I/O counters and p50/p99 latencies", Operand::device, cmd_stats},
    {"reset-stats", "Reset the statistics (writes 1 to sysfs stats_reset)", Operand::device,
     cmd_reset_stats},
    {"metrics",
     "Print every counter and the latency quantiles of all (or the given) devices in the "
     "Prometheus text format",
     Operand::devices, cmd_metrics},
}};

std::string failure_message(const CLI::App *, const CLI::Error &e) {
  return std::string(kProgram) + ": " + e.what() + "\n" + std::string(kUsageFooter) + "\n";
}

} // namespace

int run(int argc, const char *const *argv, std::ostream &out, std::ostream &err) {
  CLI::App app{"Administer uringblk block devices (admin commands over io_uring URING_CMD).",
               std::string(kProgram)};
  app.require_subcommand(1);
  app.failure_message(failure_message);
  app.set_version_flag("--version", std::string(kProgram) + " " + URINGBLK_VERSION);
  app.footer(std::string(kExitStatusHelp));

  std::string format = "normal";
  std::string transport = "uring";
  std::string device;
  std::vector<std::string> devices;
  std::string textfile_dir;

  auto add_common = [&](CLI::App *a) {
    a->add_option("-o,--output-format", format, "Output format: normal|json")
        ->check(CLI::IsMember({"normal", "json"}))
        ->default_str("normal");
    a->add_option("--transport", transport,
                  "Admin transport: uring (URING_CMD on the control node), ioctl (on the block "
                  "device), auto (uring, falling back to ioctl)")
        ->check(CLI::IsMember({"uring", "ioctl", "auto"}))
        ->default_str("uring");
  };
  add_common(&app);

  std::vector<std::pair<CLI::App *, const Command *>> subs;
  for (const auto &c : kCommands) {
    CLI::App *sub = app.add_subcommand(std::string(c.name), std::string(c.help));
    add_common(sub);
    if (c.operand == Operand::device)
      add_device_operand(sub, device);
    if (c.operand == Operand::devices) {
      sub->add_option("devices", devices,
                      "Block devices: /dev/uringblkN, uringblkN or N (default: every device)")
          ->check(device_arg_check());
      sub->add_option("--textfile", textfile_dir,
                      "Write DIR/uringblk.prom atomically (for node_exporter's textfile "
                      "collector) instead of printing")
          ->type_name("DIR");
    }
    subs.emplace_back(sub, &c);
  }
  const InjectCommand inject(app, add_common);
  const DevicesCommand devices_cmd(app, add_common);
  const PowerCommand power_cmd(app, add_common);

  try {
    app.parse(argc, argv);
  } catch (const CLI::RequiredError &e) {
    // "uringblk-admin foo", "uringblk-admin inject foo": CLI11 reports a missing subcommand;
    // name the unknown word instead.
    const CLI::App *deepest = &app;
    while (!deepest->get_subcommands().empty())
      deepest = deepest->get_subcommands().front();
    if (deepest->remaining().empty() || deepest->get_require_subcommand_min() == 0)
      return app.exit(e, out, err) == 0 ? kExitOk : kExitUsage;
    err << kProgram << ": " << (deepest == &app ? "" : deepest->get_name() + ": ")
        << "unknown subcommand: " << deepest->remaining().front() << '\n'
        << kUsageFooter << '\n';
    return kExitUsage;
  } catch (const CLI::ParseError &e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (inject.parsed())
    return inject.run(parse_output_format(format).value_or(OutputFormat::normal), out, err);
  if (devices_cmd.parsed())
    return devices_cmd.run(parse_output_format(format).value_or(OutputFormat::normal),
                           parse_transport(transport).value_or(Transport::uring_cmd), out, err);
  if (power_cmd.parsed())
    return power_cmd.run(parse_output_format(format).value_or(OutputFormat::normal),
                         parse_transport(transport).value_or(Transport::uring_cmd), out, err);
  for (const auto &[sub, cmd] : subs) {
    if (!sub->parsed())
      continue;
    Context ctx{cmd->name,
                parse_output_format(format).value_or(OutputFormat::normal),
                parse_transport(transport).value_or(Transport::uring_cmd),
                cmd->operand == Operand::device ? device_path_from_arg(device) : std::string(),
                out,
                err,
                {},
                textfile_dir};
    for (const auto &d : devices)
      ctx.devices.push_back(device_path_from_arg(d));
    return cmd->run(ctx);
  }
  return kExitUsage; // unreachable: require_subcommand(1)
}

} // namespace uringblk::admin
