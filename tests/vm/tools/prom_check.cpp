// SPDX-License-Identifier: MIT
// prom_check [FILE]: checks a Prometheus text exposition (FILE or stdin) with the strict parser
// of the unit tests (tests/unit/prom_text.hpp). Prints one line per family
// ("name type samples") and exits 0, or prints the violation and exits 1.
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "../../unit/prom_text.hpp"

int main(int argc, char **argv) {
  std::string text;
  if (argc > 1) {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
      std::cerr << "prom_check: cannot open " << argv[1] << '\n';
      return 2;
    }
    text.assign(std::istreambuf_iterator<char>(in), {});
  } else {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  }
  try {
    const auto ex = prom_text::parse(text);
    for (const auto &f : ex.families)
      std::cout << f.name << ' ' << f.type << ' ' << f.samples.size() << '\n';
    return 0;
  } catch (const prom_text::ParseError &e) {
    std::cerr << "prom_check: " << e.what() << '\n';
    return 1;
  }
}
