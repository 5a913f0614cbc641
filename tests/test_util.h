// Helpers shared by tests: temporary directories and deterministic keys.
#ifndef DVS_TESTS_TEST_UTIL_H_
#define DVS_TESTS_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "ledger/keys.h"

namespace dvs::test {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dvs-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A key derived from a small number, so that failures reproduce.
inline SecretKey KeyFromNumber(int n) {
  std::string seed(32, '\0');
  seed[0] = static_cast<char>(n);
  seed[1] = static_cast<char>(n >> 8);
  seed[31] = 'k';
  return SecretKey::FromSeed(seed).value();
}

}  // namespace dvs::test

#endif  // DVS_TESTS_TEST_UTIL_H_
