// SPDX-License-Identifier: MIT
// A strict parser of the Prometheus text exposition format 0.0.4, for tests: it accepts what
// the format allows and that uringblk-admin's exporter policy requires, and throws
// prom_text::ParseError("line N: ...") on anything else. Used by
// tests/unit/test_admin_metrics.cpp and by the VM tool tests/vm/tools/prom_check.cpp.
//
// Checked (format): UTF-8 text ending in "\n"; metric names [a-zA-Z_:][a-zA-Z0-9_:]*; label
// names [a-zA-Z_][a-zA-Z0-9_]* not starting with "__", no label twice in a sample; label values
// in double quotes with only \\, \" and \n as escapes; values that Go's ParseFloat accepts
// (decimal, exponent, NaN, +Inf, -Inf); an optional integer timestamp; at most one HELP and one
// TYPE per family, TYPE before its first sample, TYPE one of counter, gauge, histogram,
// summary, untyped; the lines of a family contiguous; no series (name + label set) twice;
// summaries: quantile label in [0, 1] on the base name only; histograms: le label on _bucket
// only, cumulative non-decreasing buckets in increasing le order ending with +Inf equal to
// _count.
// Checked (policy, Options): every family has HELP and TYPE before its samples (no untyped
// samples); counter names end in _total and counter values are >= 0; no timestamps
// (node_exporter's textfile collector rejects them).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prom_text {

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Labels = std::vector<std::pair<std::string, std::string>>; // in the order written

struct Sample {
  std::string name; ///< as written ("x_bucket", "x_sum", ...)
  Labels labels;
  double value = 0;
  std::optional<long long> timestamp_ms;

  std::optional<std::string> label(std::string_view key) const {
    for (const auto &[k, v] : labels)
      if (k == key)
        return v;
    return std::nullopt;
  }
};

struct Family {
  std::string name;
  std::string type = "untyped";
  std::optional<std::string> help; ///< unescaped
  bool has_type = false;
  std::vector<Sample> samples;
};

struct Exposition {
  std::vector<Family> families; ///< in order of first appearance

  const Family *find(std::string_view name) const {
    for (const auto &f : families)
      if (f.name == name)
        return &f;
    return nullptr;
  }
  /// The value of the one sample `name` whose labels include all of `want`; throws if there is
  /// not exactly one.
  double value(std::string_view name, const Labels &want = {}) const {
    const Sample *hit = nullptr;
    for (const auto &f : families)
      for (const auto &s : f.samples) {
        if (s.name != name)
          continue;
        bool all = true;
        for (const auto &[k, v] : want)
          all = all && s.label(k) == v;
        if (!all)
          continue;
        if (hit)
          throw ParseError("more than one sample " + std::string(name) + " matches");
        hit = &s;
      }
    if (!hit)
      throw ParseError("no sample " + std::string(name) + " matches");
    return hit->value;
  }
};

struct Options {
  bool require_help_and_type = true;
  bool counters_end_in_total = true;
  bool allow_timestamps = false;
};

namespace detail {

inline bool is_metric_name(std::string_view s) {
  static const std::regex re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(s.begin(), s.end(), re);
}
inline bool is_label_name(std::string_view s) {
  static const std::regex re("[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_match(s.begin(), s.end(), re) && s.substr(0, 2) != "__";
}

// Go strconv.ParseFloat accepts more spellings; these are the ones the format documents and
// exporters write.
inline std::optional<double> parse_float(std::string_view s) {
  if (s == "NaN")
    return std::nan("");
  if (s == "+Inf" || s == "Inf")
    return HUGE_VAL;
  if (s == "-Inf")
    return -HUGE_VAL;
  static const std::regex re("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  if (!std::regex_match(s.begin(), s.end(), re))
    return std::nullopt;
  const std::string t(s);
  char *end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size())
    return std::nullopt;
  return v;
}

inline std::string family_of(const std::map<std::string, std::string> &types,
                             const std::string &sample) {
  if (types.count(sample))
    return sample;
  for (const char *suffix : {"_sum", "_count", "_bucket"}) {
    const std::string_view sv(suffix);
    if (sample.size() > sv.size() &&
        sample.compare(sample.size() - sv.size(), sv.size(), sv) == 0) {
      const std::string base = sample.substr(0, sample.size() - sv.size());
      auto it = types.find(base);
      if (it != types.end() &&
          (it->second == "histogram" || (it->second == "summary" && sv != "_bucket")))
        return base;
    }
  }
  return sample;
}

inline std::string unescape_help(std::string_view s, const std::string &where) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size())
      throw ParseError(where + ": HELP ends in a lone backslash");
    if (s[i] == '\\')
      out += '\\';
    else if (s[i] == 'n')
      out += '\n';
    else
      throw ParseError(where + ": bad escape \\" + std::string(1, s[i]) + " in HELP");
  }
  return out;
}

inline std::string series_key(const Sample &s) {
  auto sorted = s.labels;
  std::sort(sorted.begin(), sorted.end());
  std::string k = s.name + "{";
  for (const auto &[n, v] : sorted)
    k += n + "=" + v + "\x1f";
  return k + "}";
}

} // namespace detail

inline Exposition parse(std::string_view text, const Options &opt = {}) {
  using detail::is_label_name;
  using detail::is_metric_name;
  Exposition ex;
  if (text.empty())
    return ex;
  if (text.back() != '\n')
    throw ParseError("the last line does not end with a newline");

  std::map<std::string, std::string> types; // family -> type
  std::map<std::string, std::size_t> index; // family -> position in ex.families
  std::set<std::string> closed;             // families whose block has ended
  std::set<std::string> series;
  std::string current; // family of the previous HELP/TYPE/sample line

  auto family = [&](const std::string &name, const std::string &where) -> Family & {
    if (name != current) {
      if (closed.count(name))
        throw ParseError(where + ": lines of " + name + " are not contiguous");
      if (!current.empty())
        closed.insert(current);
      current = name;
    }
    auto it = index.find(name);
    if (it == index.end()) {
      index[name] = ex.families.size();
      ex.families.push_back(Family{name, "untyped", std::nullopt, false, {}});
      return ex.families.back();
    }
    return ex.families[it->second];
  };

  std::size_t lineno = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    const std::string where = "line " + std::to_string(lineno);
    if (line.empty())
      continue;
    for (unsigned char c : line)
      if (c < 0x20 && c != '\t')
        throw ParseError(where + ": control character");

    if (line[0] == '#') {
      // "# HELP name text" / "# TYPE name type"; other comments are allowed.
      std::string_view rest = line.substr(1);
      if (rest.empty() || rest[0] != ' ')
        continue;
      rest.remove_prefix(1);
      const bool help = rest.substr(0, 5) == "HELP ";
      const bool type = rest.substr(0, 5) == "TYPE ";
      if (!help && !type)
        continue;
      rest.remove_prefix(5);
      const std::size_t sp = rest.find(' ');
      const std::string name(rest.substr(0, sp));
      if (!is_metric_name(name))
        throw ParseError(where + ": bad metric name '" + name + "'");
      const std::string_view arg = sp == std::string_view::npos ? "" : rest.substr(sp + 1);
      Family &f = family(name, where);
      if (help) {
        if (f.help)
          throw ParseError(where + ": second HELP for " + name);
        f.help = detail::unescape_help(arg, where);
      } else {
        if (f.has_type)
          throw ParseError(where + ": second TYPE for " + name);
        if (!f.samples.empty())
          throw ParseError(where + ": TYPE for " + name + " after its samples");
        static const std::set<std::string> kTypes{"counter", "gauge", "histogram", "summary",
                                                  "untyped"};
        if (!kTypes.count(std::string(arg)))
          throw ParseError(where + ": bad type '" + std::string(arg) + "'");
        f.type = std::string(arg);
        f.has_type = true;
        types[name] = f.type;
        if (opt.counters_end_in_total && f.type == "counter" &&
            (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0))
          throw ParseError(where + ": counter " + name + " does not end in _total");
      }
      continue;
    }

    // A sample: name[{labels}] value [timestamp]
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t')
      ++i;
    s.name = std::string(line.substr(0, i));
    if (!is_metric_name(s.name))
      throw ParseError(where + ": bad metric name '" + s.name + "'");
    if (i < line.size() && line[i] == '{') {
      ++i;
      std::set<std::string> seen;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          if (!s.labels.empty())
            throw ParseError(where + ": trailing comma in labels");
          ++i;
          break;
        }
        const std::size_t eq = line.find('=', i);
        if (eq == std::string_view::npos)
          throw ParseError(where + ": label without '='");
        const std::string lname(line.substr(i, eq - i));
        if (!is_label_name(lname))
          throw ParseError(where + ": bad label name '" + lname + "'");
        if (!seen.insert(lname).second)
          throw ParseError(where + ": label " + lname + " twice");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"')
          throw ParseError(where + ": label value of " + lname + " not quoted");
        ++i;
        std::string v;
        bool closed_quote = false;
        while (i < line.size()) {
          const char c = line[i++];
          if (c == '"') {
            closed_quote = true;
            break;
          }
          if (c != '\\') {
            v += c;
            continue;
          }
          if (i >= line.size())
            break;
          const char e = line[i++];
          if (e == '\\')
            v += '\\';
          else if (e == '"')
            v += '"';
          else if (e == 'n')
            v += '\n';
          else
            throw ParseError(where + ": bad escape \\" + std::string(1, e) + " in label value");
        }
        if (!closed_quote)
          throw ParseError(where + ": unterminated label value");
        s.labels.emplace_back(lname, v);
        if (i < line.size() && line[i] == ',') {
          ++i;
          if (i < line.size() && line[i] == '}')
            throw ParseError(where + ": trailing comma in labels");
          continue;
        }
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        throw ParseError(where + ": expected ',' or '}' after a label");
      }
    }
    if (i >= line.size() || (line[i] != ' ' && line[i] != '\t'))
      throw ParseError(where + ": expected a blank before the value");
    std::vector<std::string_view> fields;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
        ++i;
      const std::size_t b = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t')
        ++i;
      if (i > b)
        fields.push_back(line.substr(b, i - b));
    }
    if (fields.empty() || fields.size() > 2)
      throw ParseError(where + ": expected a value and an optional timestamp");
    const auto v = detail::parse_float(fields[0]);
    if (!v)
      throw ParseError(where + ": bad value '" + std::string(fields[0]) + "'");
    s.value = *v;
    if (fields.size() == 2) {
      if (!opt.allow_timestamps)
        throw ParseError(where + ": timestamp not allowed");
      static const std::regex ts("-?[0-9]+");
      if (!std::regex_match(fields[1].begin(), fields[1].end(), ts))
        throw ParseError(where + ": bad timestamp");
      s.timestamp_ms = std::stoll(std::string(fields[1]));
    }

    const std::string fname = detail::family_of(types, s.name);
    Family &f = family(fname, where);
    if (opt.require_help_and_type && (!f.has_type || !f.help))
      throw ParseError(where + ": sample of " + fname + " before its HELP and TYPE");
    if (!series.insert(detail::series_key(s)).second)
      throw ParseError(where + ": duplicate series " + s.name);
    if (f.type == "counter" && !(s.value >= 0))
      throw ParseError(where + ": counter " + s.name + " is negative or NaN");
    if (f.type == "summary") {
      const bool base = s.name == fname;
      const auto q = s.label("quantile");
      if (base != q.has_value())
        throw ParseError(where + ": summary sample " + s.name + (base ? " without" : " with") +
                         " a quantile label");
      if (q) {
        const auto qv = detail::parse_float(*q);
        if (!qv || !(*qv >= 0 && *qv <= 1))
          throw ParseError(where + ": bad quantile '" + *q + "'");
      }
    }
    if (f.type == "histogram") {
      const bool bucket = s.name == fname + "_bucket";
      const auto le = s.label("le");
      if (s.name == fname)
        throw ParseError(where + ": histogram sample without a suffix");
      if (bucket != le.has_value())
        throw ParseError(where + ": histogram sample " + s.name + (bucket ? " without" : " with") +
                         " an le label");
      if (le && !detail::parse_float(*le))
        throw ParseError(where + ": bad le '" + *le + "'");
    }
    f.samples.push_back(std::move(s));
  }

  // Histogram buckets: per label set (without le), increasing le, cumulative, +Inf == _count.
  for (const auto &f : ex.families) {
    if (f.type != "histogram")
      continue;
    std::map<std::string, std::vector<std::pair<double, double>>> buckets;
    std::map<std::string, double> counts;
    for (const auto &s : f.samples) {
      Sample key = s;
      std::erase_if(key.labels, [](const auto &l) { return l.first == "le"; });
      key.name.clear();
      const std::string k = detail::series_key(key);
      if (s.name == f.name + "_bucket")
        buckets[k].emplace_back(*detail::parse_float(*s.label("le")), s.value);
      else if (s.name == f.name + "_count")
        counts[k] = s.value;
    }
    for (const auto &[k, b] : buckets) {
      for (std::size_t j = 1; j < b.size(); ++j)
        if (!(b[j].first > b[j - 1].first) || b[j].second < b[j - 1].second)
          throw ParseError("histogram " + f.name + ": buckets not increasing and cumulative");
      if (b.empty() || !std::isinf(b.back().first))
        throw ParseError("histogram " + f.name + ": no le=\"+Inf\" bucket");
      auto c = counts.find(k);
      if (c == counts.end() || c->second != b.back().second)
        throw ParseError("histogram " + f.name + ": +Inf bucket differs from _count");
    }
  }
  return ex;
}

} // namespace prom_text
