// SPDX-License-Identifier: MIT
#include <uringblk/admin/power_cli.hpp>

#include <cerrno>
#include <cstring>
#include <ostream>

#include <CLI/CLI.hpp>

#include <uringblk/admin/cli.hpp>
#include <uringblk/admin/devices_cli.hpp>
#include <uringblk/kit/parse.hpp>

namespace uringblk::admin {

namespace {

// A usage error: the message is the context (the caller prints it and exits 2).
Error usage(std::string what) { return Error::from_errno(EINVAL, "usage", std::move(what)); }

// The URINGBLK_PL_* of a mode name, among the first `count` modes.
std::optional<std::uint32_t> mode_of(std::string_view name, std::uint32_t count) {
  for (std::uint32_t m = 0; m < count; ++m)
    if (power_cut_mode_name(m) == name)
      return m;
  return std::nullopt;
}

} // namespace

Result<std::vector<std::uint64_t>> parse_drop_list(std::string_view s) {
  std::vector<std::uint64_t> v;
  try {
    for (std::size_t pos = 0;;) {
      const auto comma = s.find(',', pos);
      const std::uint64_t n = kit::parse_uint(s.substr(pos, comma - pos), "--drop");
      if (n == 0)
        return usage("--drop: change numbers start at 1");
      v.push_back(n);
      if (comma == std::string_view::npos)
        break;
      pos = comma + 1;
    }
  } catch (const kit::UsageError &e) {
    return usage(e.what());
  }
  if (v.size() > URINGBLK_PL_MAX_DROP)
    return usage("--drop: at most " + std::to_string(URINGBLK_PL_MAX_DROP) + " changes (" +
                 std::to_string(v.size()) + " given)");
  return v;
}

Result<CutSpec> cut_spec(const CutOptions &o, bool arm) {
  const std::string name = o.mode.value_or("all");
  const auto mode = mode_of(name, arm ? URINGBLK_PL_DROP : URINGBLK_PL_DROP + 1);
  if (!mode)
    return usage("--mode " + name + ": not one of all, random, torn, prefix" +
                 (arm ? "" : ", drop"));
  const bool seeded = *mode == URINGBLK_PL_RANDOM || *mode == URINGBLK_PL_TORN;
  if (seeded != o.seed.has_value())
    return usage(o.seed ? "--seed is for --mode random or torn"
                        : "--mode " + name + " needs --seed N");
  if ((*mode == URINGBLK_PL_PREFIX) != o.keep.has_value())
    return usage(o.keep ? "--keep is for --mode prefix" : "--mode prefix needs --keep K");
  if ((*mode == URINGBLK_PL_DROP) != o.drop.has_value())
    return usage(o.drop ? "--drop is for --mode drop" : "--mode drop needs --drop N,N,...");
  if (o.tear && *mode != URINGBLK_PL_TORN)
    return usage("--tear is for --mode torn");
  if (o.tear && *o.tear != "logical" && *o.tear != "physical")
    return usage("--tear " + *o.tear + ": not one of logical, physical");
  if (arm && o.resume)
    return usage("--resume is for power-cut");

  CutSpec c;
  if (o.drop) {
    auto d = parse_drop_list(*o.drop);
    if (!d)
      return d.error();
    c.drop = std::move(*d);
  }
  const std::uint32_t flags = (o.resume ? URINGBLK_PL_CUT_RESUME : 0) |
                              (o.tear == "physical" ? URINGBLK_PL_CUT_TEAR_PHYSICAL : 0);
  const std::uint64_t seed = o.seed ? *o.seed : o.keep ? *o.keep : c.drop.size();
  c.payload = power_cut_payload(static_cast<PowerCutMode>(*mode), seed, flags);
  return c;
}

Result<PowerArm> parse_arm_trigger(std::string_view at) {
  const auto colon = at.find(':');
  const std::string_view name = at.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? "" : at.substr(colon + 1);
  const Error bad = usage("--at '" + std::string(at) +
                          "': give change:N, flush:N, lba:SECTOR+NR, mark:TAG or none");
  PowerArm a;
  std::memset(&a, 0, sizeof(a));
  std::optional<std::uint32_t> trigger;
  for (std::uint32_t t = URINGBLK_PL_ARM_NONE; t <= URINGBLK_PL_ARM_MARK; ++t)
    if (power_arm_trigger_name(t) == name)
      trigger = t;
  if (!trigger || (*trigger == URINGBLK_PL_ARM_NONE) != (colon == std::string_view::npos))
    return bad;
  a.trigger = *trigger;
  const std::string what = "--at " + std::string(name);
  auto number = [&](std::string_view s) { return kit::parse_uint(s, what, kit::kU64Max, true); };
  try {
    switch (a.trigger) {
    case URINGBLK_PL_ARM_CHANGE:
    case URINGBLK_PL_ARM_FLUSH:
      a.count = number(arg);
      if (a.count == 0)
        return usage(what + ": N starts at 1 (the first " + std::string(name) + " from now)");
      break;
    case URINGBLK_PL_ARM_LBA: {
      const auto plus = arg.find('+');
      if (plus == std::string_view::npos)
        return bad;
      a.sector = number(arg.substr(0, plus));
      a.nr_sectors = number(arg.substr(plus + 1));
      if (a.nr_sectors == 0)
        return usage(what + ": NR must be at least 1 sector");
      break;
    }
    case URINGBLK_PL_ARM_MARK:
      a.sector = number(arg);
      break;
    default:
      break;
    }
  } catch (const kit::UsageError &e) {
    return usage(e.what());
  }
  return a;
}

namespace {

void add_cut_options(CLI::App *sub, CutOptions &o, bool arm) {
  const std::vector<std::string> modes =
      arm ? std::vector<std::string>{"all", "random", "torn", "prefix"}
          : std::vector<std::string>{"all", "random", "torn", "prefix", "drop"};
  sub->add_option_function<std::string>(
         "--mode", [&o](const std::string &s) { o.mode = s; },
         std::string("all (the default): lose every non-durable change; random: each with "
                     "probability 1/2; torn: as random, and a lost multi-block change may keep "
                     "some blocks; prefix: changes 1..K survive, the later ones are lost") +
             (arm ? "" : "; drop: exactly the changes listed are lost"))
      ->check(CLI::IsMember(modes))
      ->type_name(arm ? "all|random|torn|prefix" : "all|random|torn|prefix|drop");
  sub->add_option_function<std::uint64_t>(
         "--seed", [&o](const std::uint64_t &v) { o.seed = v; },
         "Seed of random and torn (the same seed over the same writes: the same result)")
      ->transform(kit::cli::uint(0, UINT64_MAX))
      ->type_name("N");
  sub->add_option_function<std::uint64_t>(
         "--keep", [&o](const std::uint64_t &v) { o.keep = v; },
         "prefix: the changes numbered 1..K survive (the numbers of power-log)")
      ->transform(kit::cli::uint(0, UINT64_MAX))
      ->type_name("K");
  sub->add_option_function<std::string>(
         "--tear", [&o](const std::string &s) { o.tear = s; },
         "torn: tear a lost change at logical blocks (the default) or at physical blocks")
      ->check(CLI::IsMember({"logical", "physical"}))
      ->type_name("logical|physical");
}

// The hints of the errors a power command can meet on a device that is there.
Error with_hint(Error e, std::uint32_t index) {
  const std::string attr = "/sys/block/uringblk" + std::to_string(index) + "/uringblk/power_loss";
  if (e.value() == ENODATA)
    e.context = "the device does not track non-durable writes: echo 1 > " + attr + " first";
  else if (e.value() == EIO)
    e.context = "the power-loss log is broken (a change could not be tracked): echo 0, then 1, "
                "to " +
                attr;
  return e;
}

} // namespace

PowerCommand::PowerCommand(CLI::App &app, const std::function<void(CLI::App *)> &add_common) {
  cut_ = app.add_subcommand(
      "power-cut", "Cut the power: undo the device's non-durable writes (POWER_CUT, ABI 1.1; "
                   "needs uringblk/power_loss = 1, docs/power-loss.md); the device stays off "
                   "until power-on (ABI 1.2) unless --resume");
  on_ = app.add_subcommand("power-on",
                           "Power a device on again after a power cut (POWER_ON, ABI 1.2)");
  log_ = app.add_subcommand(
      "power-log", "List the changes a power cut could undo now, oldest first, with the numbers "
                   "of --keep and --drop (POWER_LOG, ABI 1.2)");
  mark_ = app.add_subcommand(
      "power-mark", "Set a mark: later changes are listed with its tag, and a cut armed at it "
                    "fires (POWER_MARK, ABI 1.2)");
  arm_ = app.add_subcommand(
      "power-arm", "Arm a power cut that fires in the data path when the trigger is met: the "
                   "triggering request fails and the device is off (POWER_ARM, ABI 1.2)");
  for (CLI::App *sub : {cut_, on_, log_, mark_, arm_}) {
    add_common(sub);
    add_device_operand(sub, device_);
  }
  add_cut_options(cut_, cut_opts_, false);
  cut_->add_option_function<std::string>(
          "--drop", [this](const std::string &s) { cut_opts_.drop = s; },
          "drop: the numbers of the changes lost (1 to 64, comma-separated)")
      ->type_name("N,N,...");
  cut_->add_flag("--resume", cut_opts_.resume,
                 "Power on again at once (ABI 1.2); without it the device is off, every "
                 "request failing with EIO, until power-on");
  mark_->add_option("tag", tag_, "The mark's tag: a 64-bit number, decimal or 0x hex")
      ->required()
      ->transform(kit::cli::uint(0, UINT64_MAX, true))
      ->type_name("TAG");
  arm_->add_option("--at", at_,
                   "change:N (the N-th change from now), flush:N (the N-th FLUSH), "
                   "lba:SECTOR+NR (a change touching those 512-byte sectors), mark:TAG "
                   "(power-mark TAG), none (disarm)")
      ->required()
      ->type_name("TRIGGER");
  add_cut_options(arm_, cut_opts_, true);
}

bool PowerCommand::parsed() const {
  return cut_->parsed() || on_->parsed() || log_->parsed() || mark_->parsed() || arm_->parsed();
}

int PowerCommand::run(OutputFormat format, Transport transport, std::ostream &out,
                      std::ostream &err) const {
  const CLI::App *sub = cut_->parsed()    ? cut_
                        : on_->parsed()   ? on_
                        : log_->parsed()  ? log_
                        : mark_->parsed() ? mark_
                                          : arm_;
  const Reply reply{format, sub->get_name(), device_path_from_arg(device_), out, err};

  // Everything that can be checked here is, before the control node is opened.
  CutSpec cut{};
  PowerArm arm;
  std::memset(&arm, 0, sizeof(arm));
  if (sub == arm_) {
    auto a = parse_arm_trigger(at_);
    if (!a)
      return reply.usage(a.error().context);
    arm = *a;
    const CutOptions &o = cut_opts_;
    if (arm.trigger == URINGBLK_PL_ARM_NONE && (o.mode || o.seed || o.keep || o.tear))
      return reply.usage("--at none disarms: it takes no --mode, --seed, --keep or --tear");
  }
  if (sub == cut_ || sub == arm_) {
    auto c = cut_spec(cut_opts_, sub == arm_);
    if (!c)
      return reply.usage(c.error().context);
    cut = std::move(*c);
    if (arm.trigger != URINGBLK_PL_ARM_NONE) {
      arm.mode = cut.payload.mode;
      arm.flags = cut.payload.flags;
      arm.seed = cut.payload.seed;
    }
  }
  auto index = device_index_from_arg(device_);
  if (!index)
    return reply.fail(index.error());

  auto ctl = with_module_check(Control::open(transport));
  if (!ctl)
    return reply.fail(ctl.error());

  if (sub == cut_) {
    auto r = ctl->power_cut(*index, cut.payload, cut.drop);
    if (!r) {
      Error e = with_hint(r.error(), *index);
      // A 1.1 module knows neither the 1.2 modes nor any flag: say so rather than EINVAL.
      const bool new_cut = cut.payload.mode > URINGBLK_PL_TORN || cut.payload.flags != 0;
      if (new_cut && e.value() == EINVAL) {
        if (auto l = ctl->list_devices(); l && l->abi_major == 1 && l->abi_minor < 2)
          e.context = "the loaded module speaks ABI 1." + std::to_string(l->abi_minor) +
                      "; --mode prefix and drop, --tear physical and --resume need 1.2";
      }
      return reply.fail(e);
    }
    return reply.emit(power_cut_json(*r, cut.payload, cut.drop, reply.device),
                      power_cut_text(*r, cut.payload, cut.drop, reply.device));
  }
  if (sub == on_) {
    if (auto r = ctl->power_on(*index); !r)
      return reply.fail(r.error());
    return reply.emit(power_on_json(reply.device), power_on_text(reply.device));
  }
  if (sub == log_) {
    auto r = ctl->power_log(*index);
    if (!r)
      return reply.fail(r.error());
    return reply.emit(power_log_json(*r, reply.device), power_log_text(*r, reply.device));
  }
  if (sub == mark_) {
    if (auto r = ctl->power_mark(*index, tag_); !r)
      return reply.fail(with_hint(r.error(), *index));
    return reply.emit(power_mark_json(tag_, reply.device), power_mark_text(tag_, reply.device));
  }
  if (auto r = ctl->power_arm(*index, arm); !r)
    return reply.fail(with_hint(r.error(), *index));
  return reply.emit(power_arm_json(arm, reply.device), power_arm_text(arm, reply.device));
}

} // namespace uringblk::admin
