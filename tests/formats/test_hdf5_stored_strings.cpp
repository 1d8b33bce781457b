// Where a variable-length string attribute keeps its string is read from the object header, in
// the layouts libhdf5 and h5py write, and checked, so that a corrupt length or heap is refused
// before HDF5 allocates or copies by it.
#include <hdf5.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "formats/hdf5_stored_strings.h"
#include "formats/readable_file.h"
#include "formats/tensor_file.h"
#include "scratch_folder.h"

namespace fs = std::filesystem;
using namespace swa;

namespace {

using Scratch = swa::test::ScratchFolder;

void write_string(hid_t obj, const std::string& name, const std::string& value) {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attr = H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  const char* p = value.c_str();
  REQUIRE(H5Awrite(attr, type, &p) >= 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
}

// A file whose root group has `count` string attributes "a0".."aN", attribute "aK" holding K+1
// letters; `latest` writes version 2 object headers (and dense storage past 8 attributes).
std::string file_with_attributes(const Scratch& s, int count, bool latest) {
  const std::string path =
      (s.dir / ("attrs-" + std::to_string(count) + (latest ? "-latest" : "") + ".h5")).string();
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (latest) H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  REQUIRE(f >= 0);
  for (int i = 0; i < count; ++i) {
    write_string(f, "a" + std::to_string(i), std::string(static_cast<size_t>(i + 1), 'x'));
  }
  H5Fclose(f);
  H5Pclose(fapl);
  return path;
}

std::optional<uint64_t> claimed_length(const std::string& path, const std::string& name) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  H5O_info_t info;
  REQUIRE(H5Oget_info2(f, &info, H5O_INFO_BASIC) >= 0);
  H5Fclose(f);
  ObjectHeaderPlace place;
  place.address = info.addr;
  const ReadableFile file(path);
  const auto stored = find_stored_string(file, place, name);
  if (!stored) return std::nullopt;
  check_stored_strings(file, place, name, {*stored});  // a healthy heap passes
  return stored->length;
}

}  // namespace

TEST_CASE("a string attribute's stored length is found in a version 1 object header",
          "[formats][hdf5]") {
  Scratch s;
  const std::string path = file_with_attributes(s, 12, false);
  for (int i : {0, 5, 11}) {
    INFO("attribute a" << i);
    CHECK(claimed_length(path, "a" + std::to_string(i)) == std::optional<uint64_t>(i + 1));
  }
  CHECK_FALSE(claimed_length(path, "missing").has_value());
}

TEST_CASE("a string attribute's stored length is found in a version 2 object header",
          "[formats][hdf5]") {
  Scratch s;
  const std::string path = file_with_attributes(s, 3, true);
  CHECK(claimed_length(path, "a2") == std::optional<uint64_t>(3));
}

TEST_CASE("attributes in dense storage are left to HDF5 (no length found, nothing thrown)",
          "[formats][hdf5]") {
  Scratch s;
  const std::string path = file_with_attributes(s, 12, true);  // more than 8: dense
  CHECK_FALSE(claimed_length(path, "a11").has_value());
}

TEST_CASE("a string attribute claiming 4 GiB is refused before HDF5 reads it", "[formats][hdf5]") {
  // Found by fuzz_hdf5: libhdf5 allocated and zeroed the 4 GiB first (13 s, 4.2 GB).
  const std::string path = std::string(SWA_SOURCE_DIR) +
                           "/tests/fuzz/regressions/fuzz_hdf5/"
                           "vlen-string-attribute-claims-4GB.h5";
  CHECK_THROWS_WITH(open_tensor_file(path),
                    Catch::Contains("attribute 'provenance' claims 4294967295 bytes"));
}

TEST_CASE("a string whose global heap object claims more than its collection is refused",
          "[formats][hdf5]") {
  // Found by fuzz_hdf5: libhdf5 copied the object's claimed size past both buffers.
  const std::string path = std::string(SWA_SOURCE_DIR) +
                           "/tests/fuzz/regressions/fuzz_hdf5/"
                           "vlen-string-heap-object-overruns-collection.h5";
  CHECK_THROWS_WITH(open_tensor_file(path), Catch::Contains("is stored in a corrupt global heap"));
}

TEST_CASE("an attribute holding more than one value is refused, not read past its end",
          "[formats][hdf5]") {
  Scratch s;
  const std::string path = (s.dir / "two.h5").string();
  {
    StoredLayout layout = {{"w", ElementType::kFloat32, {1}}};
    auto writer = create_tensor_file(path, layout);
    const float one = 1;
    writer->write(0, &one);
    SnapshotMeta meta;
    meta.arch = "resnet18-cifar-w4";
    writer->commit(meta);
  }
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(H5Adelete(f, "epoch") >= 0);
  const hsize_t two = 2;
  const hid_t space = H5Screate_simple(1, &two, nullptr);
  const hid_t attr = H5Acreate2(f, "epoch", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
  const int64_t values[2] = {1, 2};
  REQUIRE(H5Awrite(attr, H5T_NATIVE_INT64, values) >= 0);
  H5Aclose(attr);
  H5Sclose(space);
  H5Fclose(f);
  CHECK_THROWS_WITH(open_tensor_file(path),
                    Catch::Contains("attribute 'epoch' does not hold exactly one value"));
}
