#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

int main(int argc, char** argv) {
  // Tests must not write digests into the user's cache; the cache has its own test.
  setenv("SWA_DIGEST_CACHE", "0", 1);
  return Catch::Session().run(argc, argv);
}
