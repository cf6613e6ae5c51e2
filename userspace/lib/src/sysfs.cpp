// SPDX-License-Identifier: MIT
#include <uringblk/sysfs.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <system_error>

#include "uringblk/unique_fd.hpp"

namespace fs = std::filesystem;

namespace uringblk {

namespace {

constexpr std::string_view kPrefix = "uringblk";

std::string_view trim(std::string_view s) noexcept {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

Error fs_error(const std::error_code &ec, std::string command, const fs::path &p) {
  return Error{ec, std::move(command), p.string()};
}

} // namespace

fs::path sysfs_root() {
  // secure_getenv: NULL in secure execution (setuid/setgid, file capabilities), so only an
  // unprivileged-as-started process (a test) can redirect sysfs.
  if (const char *env = ::secure_getenv("URINGBLK_SYSFS_ROOT"); env && *env)
    return fs::path(env);
  return fs::path("/sys");
}

Result<void> check_module(const fs::path &root, const fs::path &ctl) {
  std::error_code ec;
  const fs::path module = root / "module" / kModuleName;
  if (fs::exists(ctl, ec) || fs::exists(module, ec))
    return {};
  const std::string name(kModuleName);
  return Error::from_errno(ENOENT, "open",
                           "the uringblk module is not loaded (no " + ctl.string() + ", no " +
                               module.string() + "): load it with 'modprobe " + name +
                               "' or 'insmod /path/to/" + name + ".ko'");
}

Result<void> check_uringblk(std::string_view name, const fs::path &root) {
  std::error_code ec;
  if (name.empty() || !fs::is_directory(root / "block" / name / "uringblk", ec))
    return Error::from_errno(ENODEV, "open", "not a uringblk device");
  return {};
}

fs::path attr_path(std::string_view dev, std::string_view attr, const fs::path &root) {
  return root / "block" / dev / "uringblk" / attr;
}

Result<std::string> read_attr(std::string_view dev, std::string_view attr, const fs::path &root) {
  const fs::path p = attr_path(dev, attr, root);
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    return Error::from_errno(errno, "read_attr", "read " + p.string());
  std::string text;
  std::array<char, 4096> buf;
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::from_errno(errno, "read_attr", "read " + p.string());
    if (n == 0)
      break;
    text.append(buf.data(), static_cast<std::size_t>(n));
  }
  return std::string(trim(text));
}

std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
  text = trim(text);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty())
    return std::nullopt;
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || ptr != text.data() + text.size())
    return std::nullopt;
  return v;
}

Result<std::uint64_t> read_attr_u64(std::string_view dev, std::string_view attr,
                                    const fs::path &root) {
  auto text = read_attr(dev, attr, root);
  if (!text)
    return text.error();
  if (auto v = parse_u64(*text))
    return *v;
  return Error::from_errno(EPROTO, "read_attr", "parse " + attr_path(dev, attr, root).string());
}

Result<void> write_attr(std::string_view dev, std::string_view attr, std::string_view value,
                        const fs::path &root) {
  const fs::path p = attr_path(dev, attr, root);
  // No O_CREAT: sysfs attributes exist or the device has no such attribute.
  UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd)
    return Error::from_errno(errno, "write_attr", "write " + p.string());
  ssize_t n;
  do
    n = ::write(fd.get(), value.data(), value.size());
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return Error::from_errno(errno, "write_attr", "write " + p.string());
  if (static_cast<std::size_t>(n) != value.size())
    return Error::from_errno(EIO, "write_attr", "write " + p.string());
  return {};
}

Result<void> reset_stats(std::string_view dev, const fs::path &root) {
  auto r = write_attr(dev, "stats_reset", "1", root);
  if (!r)
    return Error{r.error().code, "reset_stats", r.error().context};
  return {};
}

std::optional<std::uint32_t> parse_device_name(std::string_view name) noexcept {
  if (!name.starts_with(kPrefix))
    return std::nullopt;
  name.remove_prefix(kPrefix.size());
  if (name.empty() || name.size() > 10 || (name.size() > 1 && name[0] == '0'))
    return std::nullopt;
  std::uint32_t v = 0;
  const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), v, 10);
  if (ec != std::errc() || ptr != name.data() + name.size())
    return std::nullopt;
  return v;
}

Result<std::string> device_name_from_path(std::string_view path, const fs::path &root) {
  const std::string p(path);
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0)
    return Error::from_errno(errno, "open");
  if (!S_ISBLK(st.st_mode))
    return Error::from_errno(ENOTBLK, "open");
  const fs::path link =
      root / "dev" / "block" /
      (std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)));
  std::error_code ec;
  const fs::path target = fs::read_symlink(link, ec);
  if (!ec && !target.filename().empty())
    return target.filename().string();
  // No sysfs: fall back to the name of the node itself.
  const fs::path canon = fs::canonical(p, ec);
  return (ec ? fs::path(p) : canon).filename().string();
}

Result<std::string> uringblk_name_from_path(std::string_view path, const fs::path &root) {
  auto name = device_name_from_path(path, root);
  if (!name)
    return name;
  if (auto ok = check_uringblk(*name, root); !ok)
    return ok.error();
  return name;
}

Result<std::vector<DeviceInfo>> list_devices(const fs::path &root) {
  std::vector<DeviceInfo> devs;
  std::error_code ec;
  const fs::path block = root / "block";
  fs::directory_iterator it(block, ec);
  if (ec)
    return fs_error(ec, "list_devices", block);
  for (const auto &entry : it) {
    const std::string name = entry.path().filename().string();
    const auto index = parse_device_name(name);
    if (!index)
      continue;
    DeviceInfo d;
    d.name = name;
    d.path = "/dev/" + name;
    d.dev_id = *index;
    if (auto v = read_attr_u64(name, "dev_id", root); v && *v <= UINT32_MAX)
      d.dev_id = static_cast<std::uint32_t>(*v);
    if (auto v = read_attr_u64(name, "capacity", root))
      d.capacity_bytes = *v;
    if (auto v = read_attr(name, "model", root))
      d.model = *v;
    if (auto v = read_attr(name, "serial", root))
      d.serial = *v;
    if (auto v = read_attr(name, "firmware_rev", root))
      d.firmware = *v;
    devs.push_back(std::move(d));
  }
  std::sort(devs.begin(), devs.end(), [](const DeviceInfo &a, const DeviceInfo &b) {
    const auto ia = parse_device_name(a.name).value_or(0);
    const auto ib = parse_device_name(b.name).value_or(0);
    return ia != ib ? ia < ib : a.name < b.name;
  });
  return devs;
}

} // namespace uringblk
