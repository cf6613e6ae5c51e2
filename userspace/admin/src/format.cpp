// SPDX-License-Identifier: MIT
#include <uringblk/admin/format.hpp>
#include <uringblk/admin/stats_fields.hpp>

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

// ---- the fields of each result, described once --------------------------------------------
//
// One table per result type drives both renderings: the JSON value of each key and, for the
// human text, the same key with the value as text (by default the JSON value; a field may
// have its own text, or be JSON-only).

template <class T> struct FieldSpec {
  std::string_view key;
  Json (*json)(const T &);
  std::string (*text)(const T &) = nullptr; ///< nullptr: the JSON value as text
  bool in_text = true;
};

std::string json_text(const Json &v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

template <class T, std::size_t N>
std::string fields_text(const std::array<FieldSpec<T>, N> &specs, const T &v,
                        std::string_view what, std::string_view device) {
  std::vector<Field> f;
  for (const auto &s : specs)
    if (s.in_text)
      f.push_back({std::string(s.key), s.text ? s.text(v) : json_text(s.json(v))});
  return render_fields(title(what, device), f);
}

template <class T, std::size_t N>
Json fields_json(const std::array<FieldSpec<T>, N> &specs, const T &v, std::string_view device) {
  Json j = header(device);
  for (const auto &s : specs)
    j[std::string(s.key)] = s.json(v);
  return j;
}

#define UBK_FIELD(T, name) FieldSpec<T> { #name, [](const T &x) -> Json { return x.name; } }

std::string bytes_text(std::uint64_t b) { return num(b) + " (" + human_bytes(b) + ")"; }

const std::array<FieldSpec<Identify>, 17> kIdentify{{
    UBK_FIELD(Identify, model),
    UBK_FIELD(Identify, firmware),
    UBK_FIELD(Identify, logical_block_size),
    UBK_FIELD(Identify, physical_block_size),
    UBK_FIELD(Identify, capacity_sectors),
    {"capacity_bytes", [](const Identify &x) -> Json { return x.capacity_bytes(); },
     [](const Identify &x) { return bytes_text(x.capacity_bytes()); }},
    {"features_bitmap", [](const Identify &x) -> Json { return x.features.bitmap; }, nullptr,
     false},
    {"features", [](const Identify &x) -> Json { return x.features.names(); },
     [](const Identify &x) { return feature_summary(x.features); }},
    UBK_FIELD(Identify, queue_count),
    UBK_FIELD(Identify, queue_depth),
    UBK_FIELD(Identify, max_segments),
    UBK_FIELD(Identify, max_segment_size),
    UBK_FIELD(Identify, dma_alignment),
    UBK_FIELD(Identify, io_min),
    UBK_FIELD(Identify, io_opt),
    UBK_FIELD(Identify, discard_granularity),
    UBK_FIELD(Identify, discard_max_bytes),
}};

const std::array<FieldSpec<Limits>, 11> kLimits{{
    UBK_FIELD(Limits, max_hw_sectors_kb),
    UBK_FIELD(Limits, max_sectors_kb),
    UBK_FIELD(Limits, nr_hw_queues),
    UBK_FIELD(Limits, queue_depth),
    UBK_FIELD(Limits, max_segments),
    UBK_FIELD(Limits, max_segment_size),
    UBK_FIELD(Limits, dma_alignment),
    UBK_FIELD(Limits, io_min),
    UBK_FIELD(Limits, io_opt),
    UBK_FIELD(Limits, discard_granularity),
    UBK_FIELD(Limits, discard_max_bytes),
}};

const std::array<FieldSpec<Geometry>, 7> kGeometry{{
    UBK_FIELD(Geometry, capacity_sectors),
    {"capacity_bytes", [](const Geometry &x) -> Json { return x.capacity_bytes(); },
     [](const Geometry &x) { return bytes_text(x.capacity_bytes()); }},
    UBK_FIELD(Geometry, logical_block_size),
    UBK_FIELD(Geometry, physical_block_size),
    UBK_FIELD(Geometry, cylinders),
    UBK_FIELD(Geometry, heads),
    UBK_FIELD(Geometry, sectors_per_track),
}};

Json switch_json(std::uint8_t v) { return std::string(switch_name(v)); }

const std::array<FieldSpec<DevParams>, 17> kParams{{
    {"name", [](const DevParams &x) -> Json { return "uringblk" + std::to_string(x.dev_id); }},
    UBK_FIELD(DevParams, dev_id),
    {"runtime",
     [](const DevParams &x) -> Json { return (x.state & URINGBLK_DEV_S_RUNTIME) != 0; },
     [](const DevParams &x) -> std::string {
       return (x.state & URINGBLK_DEV_S_RUNTIME) ? "yes (created at run time)"
                                                 : "no (created at module load)";
     }},
    UBK_FIELD(DevParams, capacity_mb),
    {"capacity_bytes",
     [](const DevParams &x) -> Json { return std::uint64_t{x.capacity_mb} << 20; },
     [](const DevParams &x) { return bytes_text(std::uint64_t{x.capacity_mb} << 20); }},
    UBK_FIELD(DevParams, logical_block_size),
    UBK_FIELD(DevParams, nr_hw_queues),
    UBK_FIELD(DevParams, poll_queues),
    UBK_FIELD(DevParams, queue_depth),
    UBK_FIELD(DevParams, max_io_size_kb),
    UBK_FIELD(DevParams, io_timeout_ms),
    {"write_cache", [](const DevParams &x) { return switch_json(x.write_cache); }},
    {"discard", [](const DevParams &x) { return switch_json(x.discard); }},
    {"write_zeroes", [](const DevParams &x) { return switch_json(x.write_zeroes); }},
    {"poll", [](const DevParams &x) { return switch_json(x.poll); }},
    {"serial_suffix", [](const DevParams &x) -> Json { return serial_suffix(x); }},
    {"state", [](const DevParams &x) -> Json { return x.state; }, nullptr, false},
}};

#undef UBK_FIELD

} // namespace

std::string table_text(const std::vector<std::string> &head,
                       const std::vector<std::vector<std::string>> &rows) {
  std::vector<std::size_t> w(head.size());
  for (std::size_t c = 0; c < w.size(); ++c) {
    w[c] = head[c].size();
    for (const auto &r : rows)
      w[c] = std::max(w[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string> &cells) {
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
  std::vector<std::string> dashes;
  for (std::size_t c = 0; c < w.size(); ++c)
    dashes.emplace_back(w[c], '-');
  out += line(dashes);
  for (const auto &r : rows)
    out += line(r);
  return out;
}

// ---- human -----------------------------------------------------------------

std::string identify_text(const Identify &id, std::string_view device) {
  return fields_text(kIdentify, id, "Identify", device);
}
std::string limits_text(const Limits &l, std::string_view device) {
  return fields_text(kLimits, l, "Limits", device);
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
  return fields_text(kGeometry, g, "Geometry", device);
}
std::string stats_text(const Stats &s, std::string_view device) {
  std::vector<Field> f;
  for (const auto &x : stats_fields())
    f.push_back({std::string(x.key), num(x.get(s))});
  return render_fields(title("Statistics", device), f);
}

std::string list_text(std::span<const DeviceInfo> devices,
                      std::span<const std::optional<DevParams>> params) {
  const bool origin = !params.empty();
  std::vector<std::string> head{"Node", "Model", "Serial", "Capacity", "Firmware"};
  if (origin)
    head.emplace_back("Origin");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto &d = devices[i];
    rows.push_back({d.path, d.model, d.serial, human_bytes(d.capacity_bytes), d.firmware});
    if (origin)
      rows.back().emplace_back(i >= params.size() || !params[i] ? "?"
                               : (params[i]->state & URINGBLK_DEV_S_RUNTIME) ? "runtime"
                                                                              : "load");
  }
  return table_text(head, rows);
}

std::string reset_stats_text(std::string_view device) {
  return std::string(device) + ": statistics reset\n";
}

// ---- JSON ------------------------------------------------------------------

Json identify_json(const Identify &id, std::string_view device) {
  return fields_json(kIdentify, id, device);
}
Json limits_json(const Limits &l, std::string_view device) {
  return fields_json(kLimits, l, device);
}
Json features_json(const Features &f, std::string_view device) {
  Json j = header(device);
  j["features_bitmap"] = f.bitmap;
  j["features"] = f.names();
  return j;
}

Json geometry_json(const Geometry &g, std::string_view device) {
  return fields_json(kGeometry, g, device);
}
Json stats_json(const Stats &s, std::string_view device) {
  Json j = header(device);
  for (const auto &x : stats_fields())
    j[std::string(x.key)] = x.get(s);
  return j;
}

Json list_json(std::span<const DeviceInfo> devices,
               std::span<const std::optional<DevParams>> params) {
  Json j = versioned();
  Json arr = Json::array();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto &d = devices[i];
    Json e;
    e["name"] = d.name;
    e["path"] = d.path;
    e["dev_id"] = d.dev_id;
    e["capacity_bytes"] = d.capacity_bytes;
    e["capacity"] = d.capacity_bytes; // deprecated alias of "capacity_bytes" (version 1 only)
    e["model"] = d.model;
    e["serial"] = d.serial;
    e["firmware"] = d.firmware;
    if (!params.empty()) { // ABI 1.1
      const bool known = i < params.size() && params[i].has_value();
      e["runtime"] = known ? Json((params[i]->state & URINGBLK_DEV_S_RUNTIME) != 0) : Json();
      e["params"] = known ? params_fields_json(*params[i]) : Json();
    }
    arr.push_back(std::move(e));
  }
  j["devices"] = std::move(arr);
  return j;
}

// ---- device management -------------------------------------------------------

std::string device_node(std::uint32_t dev_id) { return "/dev/uringblk" + std::to_string(dev_id); }

std::string params_text(const DevParams &p, std::string_view title_what, std::string_view device) {
  return fields_text(kParams, p, title_what, device);
}

Json params_json(const DevParams &p, std::string_view device) {
  return fields_json(kParams, p, device);
}

Json params_fields_json(const DevParams &p) {
  Json j;
  for (const auto &s : kParams)
    j[std::string(s.key)] = s.json(p);
  return j;
}

std::string delete_text(std::string_view device, bool force) {
  return std::string(device) + ": deleted" + (force ? " (forced)" : "") + "\n";
}

Json delete_json(std::string_view device, bool force) {
  Json j = header(device);
  j["deleted"] = true;
  j["force"] = force;
  return j;
}

std::string set_text(const SetParams &s, std::string_view device) {
  std::string out;
  if (s.mask & URINGBLK_SET_WRITE_CACHE)
    out += std::string(device) + ": write_cache " + (s.write_cache ? "on" : "off") + "\n";
  if (s.mask & URINGBLK_SET_MAX_SECTORS_KB)
    out += std::string(device) + ": max_sectors_kb " + num(s.max_sectors_kb) + "\n";
  if (s.mask & URINGBLK_SET_INJECT_RESET)
    out += std::string(device) + ": error injection rules reset\n";
  return out;
}

Json set_json(const SetParams &s, std::string_view device) {
  Json j = header(device);
  if (s.mask & URINGBLK_SET_WRITE_CACHE)
    j["write_cache"] = s.write_cache ? "on" : "off";
  if (s.mask & URINGBLK_SET_MAX_SECTORS_KB)
    j["max_sectors_kb"] = s.max_sectors_kb;
  if (s.mask & URINGBLK_SET_INJECT_RESET)
    j["inject_reset"] = true;
  return j;
}

// ---- power-loss emulation ------------------------------------------------------

namespace {

template <std::size_t N>
std::string_view name_at(const std::array<std::string_view, N> &names, std::uint64_t i) {
  return i < N ? names[i] : std::string_view();
}

const std::array<std::string_view, 5> kCutModes{"all", "random", "torn", "prefix", "drop"};
const std::array<std::string_view, 5> kArmTriggers{"none", "change", "flush", "lba", "mark"};
const std::array<std::string_view, 4> kLogOps{"", "write", "discard", "write_zeroes"};

static_assert(URINGBLK_PL_ALL == 0 && URINGBLK_PL_RANDOM == 1 && URINGBLK_PL_TORN == 2 &&
              URINGBLK_PL_PREFIX == 3 && URINGBLK_PL_DROP == 4);
static_assert(URINGBLK_PL_ARM_NONE == 0 && URINGBLK_PL_ARM_CHANGE == 1 &&
              URINGBLK_PL_ARM_FLUSH == 2 && URINGBLK_PL_ARM_LBA == 3 && URINGBLK_PL_ARM_MARK == 4);
static_assert(URINGBLK_PL_OP_WRITE == 1 && URINGBLK_PL_OP_DISCARD == 2 &&
              URINGBLK_PL_OP_WRITE_ZEROES == 3);

std::string or_number(std::string_view name, std::uint64_t v) {
  return name.empty() ? "unknown(" + num(v) + ")" : std::string(name);
}

std::string joined(std::span<const std::uint64_t> v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + num(v[i]);
  return s;
}

// The cut of POWER_CUT and POWER_ARM as the user asked for it: "torn, seed 5, physical tear",
// "prefix, keep 10", "drop, changes 3,5".
std::string cut_text(std::uint32_t mode, std::uint32_t flags, std::uint64_t seed,
                     std::span<const std::uint64_t> drop) {
  std::string s = or_number(power_cut_mode_name(mode), mode);
  if (mode == URINGBLK_PL_RANDOM || mode == URINGBLK_PL_TORN)
    s += ", seed " + num(seed);
  else if (mode == URINGBLK_PL_PREFIX)
    s += ", keep " + num(seed);
  else if (mode == URINGBLK_PL_DROP)
    s += ", changes " + joined(drop);
  if (flags & URINGBLK_PL_CUT_TEAR_PHYSICAL)
    s += ", physical tear";
  return s;
}

// The same as JSON keys: "mode", then "seed" (random, torn), "keep" (prefix) or "drop" (drop),
// and "tear" (torn).
void cut_json(Json &j, std::uint32_t mode, std::uint32_t flags, std::uint64_t seed,
              std::span<const std::uint64_t> drop) {
  j["mode"] = or_number(power_cut_mode_name(mode), mode);
  if (mode == URINGBLK_PL_RANDOM || mode == URINGBLK_PL_TORN)
    j["seed"] = seed;
  else if (mode == URINGBLK_PL_PREFIX)
    j["keep"] = seed;
  else if (mode == URINGBLK_PL_DROP)
    j["drop"] = std::vector<std::uint64_t>(drop.begin(), drop.end());
  if (mode == URINGBLK_PL_TORN || (flags & URINGBLK_PL_CUT_TEAR_PHYSICAL))
    j["tear"] = (flags & URINGBLK_PL_CUT_TEAR_PHYSICAL) ? "physical" : "logical";
}

// "change 3", "flush 2", "lba 2048+8", "mark 42", "none".
std::string trigger_text(const PowerArm &a) {
  std::string s = or_number(power_arm_trigger_name(a.trigger), a.trigger);
  switch (a.trigger) {
  case URINGBLK_PL_ARM_CHANGE:
  case URINGBLK_PL_ARM_FLUSH:
    return s + " " + num(a.count);
  case URINGBLK_PL_ARM_LBA:
    return s + " " + num(a.sector) + "+" + num(a.nr_sectors);
  case URINGBLK_PL_ARM_MARK:
    return s + " " + num(a.sector);
  default:
    return s;
  }
}

} // namespace

std::string_view power_cut_mode_name(std::uint32_t mode) noexcept {
  return name_at(kCutModes, mode);
}
std::string_view power_arm_trigger_name(std::uint32_t trigger) noexcept {
  return name_at(kArmTriggers, trigger);
}
std::string_view power_log_op_name(std::uint8_t op) noexcept { return name_at(kLogOps, op); }

std::string power_cut_text(const PowerCutResult &r, const uringblk_power_cut &cut,
                           std::span<const std::uint64_t> drop, std::string_view device) {
  const bool resume = cut.flags & URINGBLK_PL_CUT_RESUME;
  return std::string(device) + ": power cut (" + cut_text(cut.mode, cut.flags, cut.seed, drop) +
         "): " + num(r.pending) + " non-durable changes, " + num(r.reverted) + " undone, " +
         num(r.torn) + " torn" +
         (r.pending ? "" : " (nothing to lose: all durable, or write-through)") +
         (resume
              ? "; the power is back on"
              : "; the device is off until 'uringblk-admin power-on " + std::string(device) + "'") +
         "\n";
}

Json power_cut_json(const PowerCutResult &r, const uringblk_power_cut &cut,
                    std::span<const std::uint64_t> drop, std::string_view device) {
  const bool resume = cut.flags & URINGBLK_PL_CUT_RESUME;
  Json j = header(device);
  cut_json(j, cut.mode, cut.flags, cut.seed, drop);
  j["resume"] = resume;
  j["pending"] = r.pending;
  j["reverted"] = r.reverted;
  j["torn"] = r.torn;
  j["changes"] = r.changes;
  j["power"] = resume ? "on" : "off";
  return j;
}

std::string power_log_text(const PowerLog &log, std::string_view device) {
  std::string out = title("Power-loss log", device) + "\n";
  std::uint64_t fua = 0;
  if (!log.entries.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto &e : log.entries) {
      const bool is_fua = e.flags & URINGBLK_PL_LOG_FUA;
      fua += is_fua;
      rows.push_back({num(e.seq), or_number(power_log_op_name(e.op), e.op), num(e.sector),
                      num(e.nr_sectors), is_fua ? "yes" : "no",
                      (e.flags & URINGBLK_PL_LOG_MARK) ? num(e.mark) : "-"});
    }
    out += table_text({"Seq", "Op", "Sector", "Sectors", "FUA", "Mark"}, rows);
  }
  const std::uint64_t listed = log.entries.size();
  if (fua && listed == log.nr_changes)
    out += num(log.nr_changes) + " changes: " + num(listed - fua) + " non-durable, " + num(fua) +
           " durable (FUA)";
  else
    out += num(log.nr_changes) + " non-durable changes";
  if (listed < log.nr_changes)
    out += " (the first " + num(listed) + " listed)";
  return out + "\n";
}

Json power_log_json(const PowerLog &log, std::string_view device) {
  Json j = header(device);
  j["nr_changes"] = log.nr_changes;
  Json changes = Json::array();
  for (const auto &e : log.entries) {
    Json c;
    c["seq"] = e.seq;
    c["op"] = or_number(power_log_op_name(e.op), e.op);
    c["sector"] = e.sector;
    c["nr_sectors"] = e.nr_sectors;
    c["fua"] = (e.flags & URINGBLK_PL_LOG_FUA) != 0;
    c["mark"] = (e.flags & URINGBLK_PL_LOG_MARK) ? Json(e.mark) : Json();
    changes.push_back(std::move(c));
  }
  j["changes"] = std::move(changes);
  return j;
}

std::string power_mark_text(std::uint64_t tag, std::string_view device) {
  return std::string(device) + ": mark " + num(tag) + "\n";
}

Json power_mark_json(std::uint64_t tag, std::string_view device) {
  Json j = header(device);
  j["mark"] = tag;
  return j;
}

std::string power_arm_text(const PowerArm &a, std::string_view device) {
  if (a.trigger == URINGBLK_PL_ARM_NONE)
    return std::string(device) + ": power cut disarmed\n";
  return std::string(device) + ": power cut (" + cut_text(a.mode, a.flags, a.seed, {}) +
         ") armed at " + trigger_text(a) + "\n";
}

Json power_arm_json(const PowerArm &a, std::string_view device) {
  Json j = header(device);
  j["armed"] = a.trigger != URINGBLK_PL_ARM_NONE;
  j["trigger"] = or_number(power_arm_trigger_name(a.trigger), a.trigger);
  switch (a.trigger) {
  case URINGBLK_PL_ARM_NONE:
    return j;
  case URINGBLK_PL_ARM_CHANGE:
  case URINGBLK_PL_ARM_FLUSH:
    j["count"] = a.count;
    break;
  case URINGBLK_PL_ARM_LBA:
    j["sector"] = a.sector;
    j["nr_sectors"] = a.nr_sectors;
    break;
  case URINGBLK_PL_ARM_MARK:
    j["tag"] = a.sector;
    break;
  default:
    break;
  }
  cut_json(j, a.mode, a.flags, a.seed, {});
  return j;
}

std::string power_on_text(std::string_view device) { return std::string(device) + ": power on\n"; }

Json power_on_json(std::string_view device) {
  Json j = header(device);
  j["power"] = "on";
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
