// Snapshot metadata is declared once (for_each_meta_field) and every container carries all of it.
#include <catch2/catch.hpp>

#include <type_traits>

#include "formats/snapshot.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

namespace {

// A value for every field that differs from its default: the i-th field gets i in some form.
SnapshotMeta meta_with_every_field_set() {
  SnapshotMeta m;
  int i = 0;
  for_each_meta_field(m, [&](const char* name, auto& field) {
    using Field = std::decay_t<decltype(field)>;
    ++i;
    if constexpr (std::is_same_v<Field, int64_t>) {
      field = std::string(name) == "format_version" ? kSnapshotFormatVersion : 100 + i;
    } else if constexpr (std::is_same_v<Field, double>) {
      field = i + 0.25;
    } else if constexpr (std::is_same_v<Field, std::string>) {
      field = std::string(name) == "arch" ? std::string(kTinyArch) : "value " + std::to_string(i);
    } else {
      field = {{"field", name}, {"i", i}};
    }
  });
  return m;
}

}  // namespace

TEST_CASE("every metadata field survives a round trip through every container and JSON",
          "[formats]") {
  TempDir dir;
  const SnapshotMeta written = meta_with_every_field_set();
  for (const std::string name : {"meta.h5", "meta.pt", "meta.safetensors", "json"}) {
    SnapshotMeta read;
    if (name == "json") {
      read = meta_from_json(meta_to_json(written), "(json)");
    } else {
      save_snapshot(dir.file(name), written, tiny_state(1));
      read = open_snapshot(dir.file(name))->meta();
    }
    std::vector<std::string> names;
    for_each_meta_field(written, [&](const char* field, const auto&) { names.push_back(field); });
    size_t k = 0;
    for_each_meta_field(read, [&](const char* field, const auto& value) {
      INFO(name << ": field " << field);
      CHECK(field == names[k]);
      size_t j = 0;
      for_each_meta_field(written, [&](const char*, const auto& expected) {
        if constexpr (std::is_same_v<std::decay_t<decltype(expected)>,
                                     std::decay_t<decltype(value)>>) {
          if (j == k) CHECK(value == expected);
        }
        ++j;
      });
      ++k;
    });
    CHECK(k == names.size());
  }
}
