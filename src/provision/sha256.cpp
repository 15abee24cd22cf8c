// SPDX-License-Identifier: Apache-2.0
/// \file SHA-256 of the wheels the cache keeps (OpenSSL's EVP digest), so that a corrupt download is noticed.
#include <fmt/format.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "provision/wheels.h"

namespace cuconform::provision {
namespace {

/// Feeds chunks to one EVP SHA-256 context and returns the lower-case hex digest.
class Digest {
public:
    Digest() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
            throw StackError("OpenSSL could not start a SHA-256 digest");
        }
    }
    void update(const char* data, std::size_t size) { EVP_DigestUpdate(ctx_.get(), data, size); }
    std::string hex() {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        EVP_DigestFinal_ex(ctx_.get(), out, &size);
        std::string text;
        for (unsigned int i = 0; i < size; ++i) text += fmt::format("{:02x}", out[i]);
        return text;
    }

private:
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

}  // namespace

std::string sha256_hex(const std::string& bytes) {
    Digest d;
    d.update(bytes.data(), bytes.size());
    return d.hex();
}

std::string sha256_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw StackError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    Digest d;
    std::string buf(1 << 20, '\0');
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        d.update(buf.data(), static_cast<std::size_t>(in.gcount()));
    }
    return d.hex();
}

}  // namespace cuconform::provision
