// sdxl-gen entry point (placeholder until the CLI issue lands).
#include <iostream>
int main() {
  std::cerr << "sdxl-gen: not built yet\n";
  return 1;
}
