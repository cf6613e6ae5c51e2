// SPDX-License-Identifier: MIT
#include <uringblk/admin/metrics.hpp>
#include <uringblk/admin/stats_fields.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <vector>

namespace uringblk::admin {

std::string escape_label_value(std::string_view v) {
  std::string s;
  s.reserve(v.size());
  for (char c : v) {
    switch (c) {
    case '\\':
      s += "\\\\";
      break;
    case '"':
      s += "\\\"";
      break;
    case '\n':
      s += "\\n";
      break;
    default:
      s += c;
    }
  }
  return s;
}

std::string latency_seconds(std::uint32_t us) {
  if (us == 0)
    return "NaN";
  std::string s = std::to_string(us / 1000000u);
  std::string frac = std::to_string(us % 1000000u);
  frac.insert(0, 6 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0')
    frac.pop_back();
  if (!frac.empty())
    s += "." + frac;
  return s;
}

namespace {

// One family with one sample per device. value() returns nullopt to leave a device out.
struct Family {
  std::string_view name;
  std::string_view type;
  std::string_view help;
  std::function<std::optional<std::string>(const DeviceMetrics &)> value;
};

std::optional<std::string> u64(std::uint64_t v) { return std::to_string(v); }
std::optional<std::string> opt(const std::optional<std::uint64_t> &v) {
  if (!v)
    return std::nullopt;
  return std::to_string(*v);
}

std::string device_label(const DeviceMetrics &d) {
  return "device=\"" + escape_label_value(d.info.name) + "\"";
}

void family_header(std::string &out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help; // constant text: no backslash or newline to escape
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// The capacity, the GET_STATS counters (stats_fields()), then the sysfs-only ones.
const std::vector<Family> &families() {
  static const std::vector<Family> f = [] {
    std::vector<Family> v{{"uringblk_capacity_bytes", "gauge", "Capacity of the device in bytes.",
                           [](const DeviceMetrics &d) { return u64(d.info.capacity_bytes); }}};
    for (const auto &x : stats_fields())
      if (!x.prom.empty())
        v.push_back({x.prom, "counter", x.help,
                     [get = x.get](const DeviceMetrics &d) { return u64(get(d.stats)); }});
    v.push_back({"uringblk_write_zeroes_ops_total", "counter",
                 "Write-zeroes requests completed successfully.",
                 [](const DeviceMetrics &d) { return opt(d.write_zeroes_ops); }});
    v.push_back({"uringblk_polled_completions_total", "counter",
                 "Requests completed through a poll queue (IORING_SETUP_IOPOLL).",
                 [](const DeviceMetrics &d) { return opt(d.polled_completions); }});
    v.push_back({"uringblk_memory_used_bytes", "gauge",
                 "Memory in data pages, in bytes (not reset by stats_reset).",
                 [](const DeviceMetrics &d) { return opt(d.mem_used_bytes); }});
    return v;
  }();
  return f;
}

// A latency summary: the quantiles GET_STATS gives.
void latency_family(std::string &out, std::span<const DeviceMetrics> devices, std::string_view name,
                    std::string_view help, std::uint32_t Stats::*p50, std::uint32_t Stats::*p99) {
  family_header(out, name, "summary", help);
  for (const auto &d : devices) {
    for (const auto &[q, v] : {std::pair{"0.5", d.stats.*p50}, std::pair{"0.99", d.stats.*p99}}) {
      out += name;
      out += '{' + device_label(d) + ",quantile=\"" + q + "\"} " + latency_seconds(v) + '\n';
    }
  }
}

} // namespace

std::span<const StatsField> stats_fields() noexcept {
#define UBK_STAT(name, prom, help)                                                              \
  StatsField { #name, [](const Stats &s) -> std::uint64_t { return s.name; }, prom, help }
  static const StatsField f[] = {
      UBK_STAT(read_ops, "uringblk_read_ops_total", "Read requests completed successfully."),
      UBK_STAT(write_ops, "uringblk_write_ops_total", "Write requests completed successfully."),
      UBK_STAT(flush_ops, "uringblk_flush_ops_total", "Flush requests completed successfully."),
      UBK_STAT(discard_ops, "uringblk_discard_ops_total",
               "Discard requests completed successfully."),
      UBK_STAT(read_sectors, "uringblk_read_sectors_total", "512-byte sectors read."),
      UBK_STAT(write_sectors, "uringblk_write_sectors_total", "512-byte sectors written."),
      UBK_STAT(read_bytes, "uringblk_read_bytes_total", "Bytes read."),
      UBK_STAT(write_bytes, "uringblk_write_bytes_total", "Bytes written."),
      UBK_STAT(queue_full_events, "uringblk_queue_full_events_total",
               "Dispatches refused for lack of memory (BLK_STS_RESOURCE; the request is "
               "requeued)."),
      UBK_STAT(media_errors, "uringblk_media_errors_total",
               "Requests failed with a media error (error injection)."),
      UBK_STAT(retries, "uringblk_retries_total", "Re-dispatches of requeued requests."),
      UBK_STAT(p50_read_latency_us, "", ""),
      UBK_STAT(p99_read_latency_us, "", ""),
      UBK_STAT(p50_write_latency_us, "", ""),
      UBK_STAT(p99_write_latency_us, "", ""),
  };
#undef UBK_STAT
  return f;
}

std::string metrics_text(std::span<const DeviceMetrics> devices,
                         std::span<const std::string> failed) {
  std::string out;
  family_header(out, "uringblk_devices", "gauge", "Number of uringblk devices in this report.");
  out += "uringblk_devices " + std::to_string(devices.size()) + '\n';
  if (!failed.empty()) {
    family_header(out, "uringblk_collect_error", "gauge",
                  "1 for a device that was listed or named but could not be read (it vanished, "
                  "or its admin command failed); it has no other sample in this report.");
    for (const auto &name : failed)
      out += "uringblk_collect_error{device=\"" + escape_label_value(name) + "\"} 1\n";
  }
  if (devices.empty())
    return out;

  family_header(out, "uringblk_device_info", "gauge",
                "Identity of a uringblk device; the value is always 1.");
  for (const auto &d : devices) {
    out += "uringblk_device_info{" + device_label(d) + ",model=\"" +
           escape_label_value(d.info.model) + "\",serial=\"" + escape_label_value(d.info.serial) +
           "\",firmware=\"" + escape_label_value(d.info.firmware) + "\"} 1\n";
  }

  for (const auto &f : families()) {
    std::string samples;
    for (const auto &d : devices) {
      if (auto v = f.value(d))
        samples += std::string(f.name) + '{' + device_label(d) + "} " + *v + '\n';
    }
    if (samples.empty())
      continue; // no device exposes it (an older driver): leave the family out
    family_header(out, f.name, f.type, f.help);
    out += samples;
  }

  latency_family(out, devices, "uringblk_read_latency_seconds",
                 "Read latency (dispatch to completion) quantiles since load or the last stats "
                 "reset: midpoints of the driver's histogram buckets (within 1.6 %).",
                 &Stats::p50_read_latency_us, &Stats::p99_read_latency_us);
  latency_family(out, devices, "uringblk_write_latency_seconds",
                 "Write latency (dispatch to completion) quantiles since load or the last stats "
                 "reset: midpoints of the driver's histogram buckets (within 1.6 %).",
                 &Stats::p50_write_latency_us, &Stats::p99_write_latency_us);
  return out;
}

Result<void> write_textfile(const std::filesystem::path &dir, std::string_view content,
                            std::string_view name) {
  const std::filesystem::path final_path = dir / std::string(name);
  const std::filesystem::path tmp =
      dir / ("." + std::string(name) + "." + std::to_string(::getpid()));
  auto fail = [&](int err, const std::string &step) -> Result<void> {
    ::unlink(tmp.c_str());
    return Error::from_errno(err, "write_textfile", step);
  };

  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return Error::from_errno(errno, "write_textfile", "open " + tmp.string());
  // The textfile collector may run as another user: readable by all whatever the umask.
  if (::fchmod(fd, 0644) != 0) {
    const int e = errno;
    ::close(fd);
    return fail(e, "chmod " + tmp.string());
  }
  const char *p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return fail(e, "write " + tmp.string());
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    return fail(e, "fsync " + tmp.string());
  }
  if (::close(fd) != 0)
    return fail(errno, "close " + tmp.string());
  if (::rename(tmp.c_str(), final_path.c_str()) != 0)
    return fail(errno, "rename " + tmp.string() + " to " + final_path.string());
  // Make the rename itself durable; failure here does not undo the update.
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

} // namespace uringblk::admin
