// SHA-256 against the FIPS 180-4 / NIST example vectors, and the file hashes against those of the data.
#include <gtest/gtest.h>

#include <fstream>

#include "io/sha256.h"
#include "test_util.h"

namespace sdxl::test {
namespace {

TEST(Sha256, NistExamples) {
  EXPECT_EQ(io::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(io::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(io::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(io::sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// The data hash skips the 8-byte length and the header: it equals the hash of the bytes after them.
TEST(Sha256, FileAndSafetensorsDataHashes) {
  const std::string header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  file += header + "abc";
  const std::string path = temp_path("hash.safetensors");
  std::ofstream(path, std::ios::binary) << file;
  const io::FileHashes h = io::hash_file(path, true);
  EXPECT_EQ(h.file, io::sha256_hex(file));
  EXPECT_EQ(h.data, io::sha256_hex("abc"));
  EXPECT_TRUE(io::hash_file(path, false).data.empty());
  EXPECT_NE(error_of([&] { io::hash_file(temp_path("no_such_file"), true); }).find("no_such_file"), std::string::npos);
}

}  // namespace
}  // namespace sdxl::test
