// SPDX-License-Identifier: MIT
#include <uringblk/admin/format.hpp>

#include <algorithm>
#include <array>
#include <cstdio>

namespace uringblk::admin {

std::optional<OutputFormat> parse_output_format(std::string_view s) noexcept {
  if (s == "normal")
    return OutputFormat::normal;
  if (s == "json")
    return OutputFormat::json;
  return std::nullopt;
}

std::string hex(std::uint64_t v) {
  std::array<char, 24> buf{};
  std::snprintf(buf.data(), buf.size(), "0x%llx", static_cast<unsigned long long>(v));
  return buf.data();
}

std::string human_bytes(std::uint64_t v) {
  static constexpr std::array<const char *, 7> units{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (v < 1024)
    return std::to_string(v) + " B";
  double d = static_cast<double>(v);
  std::size_t u = 0;
  while (d >= 1024.0 && u + 1 < units.size()) {
    d /= 1024.0;
    ++u;
  }
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.2f %s", d, units[u]);
  return buf.data();
}

std::string render_fields(std::string_view title, std::span<const Field> fields) {
  std::size_t width = 0;
  for (const auto &f : fields)
    width = std::max(width, f.key.size());
  std::string out;
  if (!title.empty()) {
    out += title;
    out += '\n';
  }
  for (const auto &f : fields) {
    out += f.key;
    out.append(width - f.key.size(), ' ');
    out += " : ";
    out += f.value;
    out += '\n';
  }
  return out;
}

namespace {

template <class T> std::string num(T v) { return std::to_string(v); }

std::string title(std::string_view what, std::string_view device) {
  return "uringblk " + std::string(what) + " (" + std::string(device) + "):";
}

std::string feature_summary(const Features &f) {
  std::string s = hex(f.bitmap);
  const auto names = f.names();
  if (!names.empty()) {
    s += " [";
    for (std::size_t i = 0; i < names.size(); ++i)
      s += (i ? " " : "") + names[i];
    s += "]";
  }
  return s;
}

// "version", the JSON schema version, is the first key of every tool's JSON (uringblk-bench
// too), so a consumer checks one key whatever produced the document.
Json versioned() {
  Json j;
  j["version"] = kJsonVersion;
  return j;
}

Json header(std::string_view device) {
  Json j = versioned();
  j["device"] = std::string(device);
  return j;
}

} // namespace

// ---- human -----------------------------------------------------------------

std::string identify_text(const Identify &id, std::string_view device) {
  const std::vector<Field> f{
      {"model", id.model},
      {"firmware", id.firmware},
      {"logical_block_size", num(id.logical_block_size)},
      {"physical_block_size", num(id.physical_block_size)},
      {"capacity_sectors", num(id.capacity_sectors)},
      {"capacity_bytes", num(id.capacity_bytes()) + " (" + human_bytes(id.capacity_bytes()) + ")"},
      {"features", feature_summary(id.features)},
      {"queue_count", num(id.queue_count)},
      {"queue_depth", num(id.queue_depth)},
      {"max_segments", num(id.max_segments)},
      {"max_segment_size", num(id.max_segment_size)},
      {"dma_alignment", num(id.dma_alignment)},
      {"io_min", num(id.io_min)},
      {"io_opt", num(id.io_opt)},
      {"discard_granularity", num(id.discard_granularity)},
      {"discard_max_bytes", num(id.discard_max_bytes)},
  };
  return render_fields(title("Identify", device), f);
}

std::string limits_text(const Limits &l, std::string_view device) {
  const std::vector<Field> f{
      {"max_hw_sectors_kb", num(l.max_hw_sectors_kb)},
      {"max_sectors_kb", num(l.max_sectors_kb)},
      {"nr_hw_queues", num(l.nr_hw_queues)},
      {"queue_depth", num(l.queue_depth)},
      {"max_segments", num(l.max_segments)},
      {"max_segment_size", num(l.max_segment_size)},
      {"dma_alignment", num(l.dma_alignment)},
      {"io_min", num(l.io_min)},
      {"io_opt", num(l.io_opt)},
      {"discard_granularity", num(l.discard_granularity)},
      {"discard_max_bytes", num(l.discard_max_bytes)},
  };
  return render_fields(title("Limits", device), f);
}

std::string features_text(const Features &feat, std::string_view device) {
  std::vector<Field> f{{"features_bitmap", hex(feat.bitmap)}};
  std::uint64_t known = 0;
  for (const auto &info : known_features()) {
    known |= info.mask;
    f.push_back({std::string(info.name), std::string(feat.has(info.mask) ? "yes" : "no") + " (" +
                                             std::string(info.description) + ")"});
  }
  for (unsigned bit = 0; bit < 64; ++bit) {
    const std::uint64_t mask = std::uint64_t{1} << bit;
    if ((feat.bitmap & mask) && !(known & mask))
      f.push_back({"bit" + std::to_string(bit), "yes (unknown feature)"});
  }
  return render_fields(title("Features", device), f);
}

std::string geometry_text(const Geometry &g, std::string_view device) {
  const std::vector<Field> f{
      {"capacity_sectors", num(g.capacity_sectors)},
      {"capacity_bytes", num(g.capacity_bytes()) + " (" + human_bytes(g.capacity_bytes()) + ")"},
      {"logical_block_size", num(g.logical_block_size)},
      {"physical_block_size", num(g.physical_block_size)},
      {"cylinders", num(g.cylinders)},
      {"heads", num(g.heads)},
      {"sectors_per_track", num(g.sectors_per_track)},
  };
  return render_fields(title("Geometry", device), f);
}

std::string stats_text(const Stats &s, std::string_view device) {
  const std::vector<Field> f{
      {"read_ops", num(s.read_ops)},
      {"write_ops", num(s.write_ops)},
      {"flush_ops", num(s.flush_ops)},
      {"discard_ops", num(s.discard_ops)},
      {"read_sectors", num(s.read_sectors)},
      {"write_sectors", num(s.write_sectors)},
      {"read_bytes", num(s.read_bytes)},
      {"write_bytes", num(s.write_bytes)},
      {"queue_full_events", num(s.queue_full_events)},
      {"media_errors", num(s.media_errors)},
      {"retries", num(s.retries)},
      {"p50_read_latency_us", num(s.p50_read_latency_us)},
      {"p99_read_latency_us", num(s.p99_read_latency_us)},
      {"p50_write_latency_us", num(s.p50_write_latency_us)},
      {"p99_write_latency_us", num(s.p99_write_latency_us)},
  };
  return render_fields(title("Statistics", device), f);
}

std::string list_text(std::span<const DeviceInfo> devices) {
  const std::array<std::string, 5> head{"Node", "Model", "Serial", "Capacity", "Firmware"};
  std::vector<std::array<std::string, 5>> rows;
  for (const auto &d : devices)
    rows.push_back({d.path, d.model, d.serial, human_bytes(d.capacity_bytes), d.firmware});
  std::array<std::size_t, 5> w{};
  for (std::size_t c = 0; c < w.size(); ++c) {
    w[c] = head[c].size();
    for (const auto &r : rows)
      w[c] = std::max(w[c], r[c].size());
  }
  auto line = [&](const std::array<std::string, 5> &cells) {
    std::string s;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c)
        s += ' ';
      s += cells[c];
      if (c + 1 < cells.size())
        s.append(w[c] - cells[c].size(), ' ');
    }
    return s + '\n';
  };
  std::string out = line(head);
  std::array<std::string, 5> dashes;
  for (std::size_t c = 0; c < w.size(); ++c)
    dashes[c] = std::string(w[c], '-');
  out += line(dashes);
  for (const auto &r : rows)
    out += line(r);
  return out;
}

std::string reset_stats_text(std::string_view device) {
  return std::string(device) + ": statistics reset\n";
}

// ---- JSON ------------------------------------------------------------------

Json identify_json(const Identify &id, std::string_view device) {
  Json j = header(device);
  j["model"] = id.model;
  j["firmware"] = id.firmware;
  j["logical_block_size"] = id.logical_block_size;
  j["physical_block_size"] = id.physical_block_size;
  j["capacity_sectors"] = id.capacity_sectors;
  j["capacity_bytes"] = id.capacity_bytes();
  j["features_bitmap"] = id.features.bitmap;
  j["features"] = id.features.names();
  j["queue_count"] = id.queue_count;
  j["queue_depth"] = id.queue_depth;
  j["max_segments"] = id.max_segments;
  j["max_segment_size"] = id.max_segment_size;
  j["dma_alignment"] = id.dma_alignment;
  j["io_min"] = id.io_min;
  j["io_opt"] = id.io_opt;
  j["discard_granularity"] = id.discard_granularity;
  j["discard_max_bytes"] = id.discard_max_bytes;
  return j;
}

Json limits_json(const Limits &l, std::string_view device) {
  Json j = header(device);
  j["max_hw_sectors_kb"] = l.max_hw_sectors_kb;
  j["max_sectors_kb"] = l.max_sectors_kb;
  j["nr_hw_queues"] = l.nr_hw_queues;
  j["queue_depth"] = l.queue_depth;
  j["max_segments"] = l.max_segments;
  j["max_segment_size"] = l.max_segment_size;
  j["dma_alignment"] = l.dma_alignment;
  j["io_min"] = l.io_min;
  j["io_opt"] = l.io_opt;
  j["discard_granularity"] = l.discard_granularity;
  j["discard_max_bytes"] = l.discard_max_bytes;
  return j;
}

Json features_json(const Features &f, std::string_view device) {
  Json j = header(device);
  j["features_bitmap"] = f.bitmap;
  j["features"] = f.names();
  return j;
}

Json geometry_json(const Geometry &g, std::string_view device) {
  Json j = header(device);
  j["capacity_sectors"] = g.capacity_sectors;
  j["capacity_bytes"] = g.capacity_bytes();
  j["logical_block_size"] = g.logical_block_size;
  j["physical_block_size"] = g.physical_block_size;
  j["cylinders"] = g.cylinders;
  j["heads"] = g.heads;
  j["sectors_per_track"] = g.sectors_per_track;
  return j;
}

Json stats_json(const Stats &s, std::string_view device) {
  Json j = header(device);
  j["read_ops"] = s.read_ops;
  j["write_ops"] = s.write_ops;
  j["flush_ops"] = s.flush_ops;
  j["discard_ops"] = s.discard_ops;
  j["read_sectors"] = s.read_sectors;
  j["write_sectors"] = s.write_sectors;
  j["read_bytes"] = s.read_bytes;
  j["write_bytes"] = s.write_bytes;
  j["queue_full_events"] = s.queue_full_events;
  j["media_errors"] = s.media_errors;
  j["retries"] = s.retries;
  j["p50_read_latency_us"] = s.p50_read_latency_us;
  j["p99_read_latency_us"] = s.p99_read_latency_us;
  j["p50_write_latency_us"] = s.p50_write_latency_us;
  j["p99_write_latency_us"] = s.p99_write_latency_us;
  return j;
}

Json list_json(std::span<const DeviceInfo> devices) {
  Json j = versioned();
  Json arr = Json::array();
  for (const auto &d : devices) {
    Json e;
    e["name"] = d.name;
    e["path"] = d.path;
    e["dev_id"] = d.dev_id;
    e["capacity_bytes"] = d.capacity_bytes;
    e["capacity"] = d.capacity_bytes; // deprecated alias of "capacity_bytes" (version 1 only)
    e["model"] = d.model;
    e["serial"] = d.serial;
    e["firmware"] = d.firmware;
    arr.push_back(std::move(e));
  }
  j["devices"] = std::move(arr);
  return j;
}

Json reset_stats_json(std::string_view device) {
  Json j = header(device);
  j["stats_reset"] = true;
  return j;
}

// ---- error injection --------------------------------------------------------

namespace {
std::string rule_line(const InjectRule &r) {
  auto line = format_inject_rule(r);
  return line ? *line : "?";
}
} // namespace

std::string inject_list_text(std::span<const InjectRule> rules, std::string_view device) {
  std::string out = title("Error injection", device) + "\n";
  if (rules.empty())
    out += "(no rules)\n";
  for (const auto &r : rules)
    out += rule_line(r) + "\n";
  return out;
}

std::string inject_add_text(std::span<const InjectRule> added, std::string_view device) {
  std::string out;
  for (const auto &r : added)
    out += std::string(device) + ": added " + rule_line(r) + "\n";
  return out;
}

std::string inject_clear_text(std::string_view device) {
  return std::string(device) + ": error injection rules cleared\n";
}

Json inject_rule_json(const InjectRule &r) {
  Json j;
  j["rule"] = rule_line(r);
  j["kind"] = std::string(to_string(r.kind));
  j["any"] = r.any;
  j["lba"] = r.lba;
  j["count"] = r.count;
  j["pct"] = r.pct;
  j["usec"] = r.usec;
  return j;
}

Json inject_list_json(std::span<const InjectRule> rules, std::string_view device) {
  Json j = header(device);
  Json arr = Json::array();
  for (const auto &r : rules)
    arr.push_back(inject_rule_json(r));
  j["rules"] = std::move(arr);
  return j;
}

Json inject_add_json(std::span<const InjectRule> added, std::string_view device) {
  Json j = header(device);
  Json arr = Json::array();
  for (const auto &r : added)
    arr.push_back(inject_rule_json(r));
  j["added"] = std::move(arr);
  return j;
}

Json inject_clear_json(std::string_view device) {
  Json j = header(device);
  j["cleared"] = true;
  return j;
}

Json error_json(std::string_view subcommand, std::string_view device, const Error &e) {
  Json j = versioned();
  Json err;
  err["command"] = std::string(subcommand);
  err["device"] = std::string(device);
  err["errno"] = e.code.value();
  err["errno_name"] = errno_name(e.code.value());
  err["message"] = e.detail();
  j["error"] = std::move(err);
  return j;
}

std::string render_json(const Json &j) {
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string format_error(std::string_view subcommand, std::string_view device, const Error &e) {
  std::string s(kProgram);
  s += ": ";
  s += subcommand;
  if (!device.empty()) {
    s += ' ';
    s += device;
  }
  s += ": " + e.detail() + "\n";
  return s;
}

} // namespace uringblk::admin
