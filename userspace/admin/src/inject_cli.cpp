// SPDX-License-Identifier: MIT
#include <uringblk/admin/inject_cli.hpp>

#include <ostream>

#include <CLI/CLI.hpp>

#include <uringblk/admin/cli.hpp>
#include <uringblk/inject.hpp>
#include <uringblk/sysfs.hpp>

namespace uringblk::admin {

InjectCommand::InjectCommand(CLI::App &app, const std::function<void(CLI::App *)> &add_common) {
  inject_ = app.add_subcommand(
      "inject", "Error injection: add, list or clear rules (sysfs error_inject, root)");
  inject_->require_subcommand(1);
  add_common(inject_);
  add_ = inject_->add_subcommand(
      "add", "Add rules (each replaces an active rule of the same kind and LBA)");
  list_ = inject_->add_subcommand("list", "List the active rules, count rules with what is left");
  clear_ = inject_->add_subcommand("clear", "Remove every rule");
  for (CLI::App *sub : {add_, list_, clear_}) {
    add_common(sub);
    add_device_operand(sub, device_);
  }
  add_->add_option("rules", rules_,
                   "Rules: read|write|nospc|busy|nomem,LBA,COUNT[,PCT]  timeout,LBA,PCT  "
                   "delay,LBA,USEC[,PCT]  (LBA: logical block or *)")
      ->required();
}

bool InjectCommand::parsed() const { return inject_->parsed(); }

int InjectCommand::run(OutputFormat format, std::ostream &out, std::ostream &err) const {
  const CLI::App *sub = add_->parsed() ? add_ : list_->parsed() ? list_ : clear_;
  const std::string subcommand = "inject " + sub->get_name();
  const std::string device = device_path_from_arg(device_);
  const Reply reply{format, subcommand, device, out, err};

  // Rules are checked against the driver's grammar before anything is written.
  std::vector<InjectRule> rules;
  for (const auto &text : rules_) {
    auto r = parse_inject_rule(text);
    if (!r) // bad input: nothing is written
      return reply.usage(r.error().context);
    rules.push_back(*r);
  }
  auto name = with_module_check(uringblk_name_from_path(device));
  if (!name)
    return reply.fail(name.error());

  if (sub == add_) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (auto r = inject_add(*name, rules[i]); !r) {
        // Report what was written before the failure, in either format.
        const auto written = std::span(rules).first(i);
        err << format_error(subcommand, device, r.error());
        if (format == OutputFormat::json) {
          Json j = inject_add_json(written, device);
          j["error"] = error_json(subcommand, device, r.error())["error"];
          out << render_json(j);
        } else {
          out << inject_add_text(written, device);
        }
        return static_cast<int>(kExitFailed);
      }
    }
    reply.emit(inject_add_json(rules, device), inject_add_text(rules, device));
    return kExitOk;
  }
  if (sub == clear_) {
    if (auto r = inject_clear(*name); !r)
      return reply.fail(r.error());
    reply.emit(inject_clear_json(device), inject_clear_text(device));
    return kExitOk;
  }
  auto listed = inject_list(*name);
  if (!listed)
    return reply.fail(listed.error());
  reply.emit(inject_list_json(*listed, device), inject_list_text(*listed, device));
  return kExitOk;
}

} // namespace uringblk::admin
