#include "formats/file_digest.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include "formats/readable_file.h"

namespace swa {

std::string sha256_file(const std::string& path) {
  const ReadableFile file(path);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
  }
  constexpr size_t kBlockBytes = 128 << 10;  // hashed while still in the core's cache
  std::vector<unsigned char> block(kBlockBytes);
  for (uint64_t offset = 0; offset < file.size(); offset += kBlockBytes) {
    const uint64_t n = std::min<uint64_t>(kBlockBytes, file.size() - offset);
    file.read_exact(block.data(), n, offset, "bytes to hash");
    EVP_DigestUpdate(ctx.get(), block.data(), static_cast<size_t>(n));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &digest_len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < digest_len; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace swa
