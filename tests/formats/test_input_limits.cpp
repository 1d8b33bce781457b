// Files that claim absurd sizes are refused quickly, before anything of that size is allocated.
#include <hdf5.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "formats/cifar_batch_file.h"
#include "formats/input_error.h"
#include "formats/restricted_unpickler.h"
#include "formats/snapshot_meta.h"
#include "formats/state_dict_pickle.h"
#include "formats/tensor_file.h"
#include "formats/zip_writer.h"
#include "scratch_folder.h"

namespace fs = std::filesystem;
using namespace swa;

namespace {

using Scratch = swa::test::ScratchFolder;

std::string safetensors_bytes(const nlohmann::json& header, size_t data_bytes) {
  const std::string text = header.dump();
  const uint64_t n = text.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  return out + text + std::string(data_bytes, '\0');
}

// Runs `open` and expects an InputError containing `what`: the claim is refused from the
// header alone (no timing assertion: the tests run on machines of any speed).
template <typename F>
void refused(F open, const std::string& what) {
  CHECK_THROWS_WITH(open(), Catch::Contains(what));
}

}  // namespace

TEST_CASE("safetensors headers claiming overflowing, negative or petabyte shapes are refused",
          "[formats][limits]") {
  Scratch s;
  const auto overflow =
      s.file("overflow.safetensors",
             safetensors_bytes({{"w",
                                 {{"dtype", "F32"},
                                  {"shape", {int64_t{1} << 40, int64_t{1} << 40, int64_t{1} << 40}},
                                  {"data_offsets", {0, 4}}}}},
                               4));
  refused([&] { open_tensor_file(overflow); }, "impossible shape");
  const auto negative =
      s.file("negative.safetensors",
             safetensors_bytes(
                 {{"w", {{"dtype", "F32"}, {"shape", {-4, -1}}, {"data_offsets", {0, 16}}}}}, 16));
  refused([&] { open_tensor_file(negative); }, "impossible shape");
  const int64_t peta = int64_t{1} << 48;
  const auto petabytes =
      s.file("peta.safetensors",
             safetensors_bytes(
                 {{"w", {{"dtype", "U8"}, {"shape", {peta}}, {"data_offsets", {0, peta}}}}}, 16));
  refused([&] { open_tensor_file(petabytes); }, "more than the file can hold");
  std::string huge_header(8, '\xff');
  huge_header[7] = '\x0f';  // a header length of about 1 EiB
  const auto header = s.file("header.safetensors", huge_header + "{}");
  refused([&] { open_tensor_file(header); }, "header");
}

TEST_CASE("an HDF5 snapshot whose dataset claims petabytes it never stored is refused",
          "[formats][limits]") {
  Scratch s;
  // A real snapshot, then one of its datasets replaced by a chunked one of 2^47 floats with no
  // chunk written (HDF5 would read them as zeros).
  const std::string path = s.file("claims.h5");
  {
    StoredLayout layout = {{"w", ElementType::kFloat32, {4}}};
    auto writer = create_tensor_file(path, layout);
    const float values[4] = {1, 2, 3, 4};
    writer->write(0, values);
    SnapshotMeta meta;
    meta.arch = "resnet18-cifar-w4";
    meta.num_classes = 10;
    writer->commit(meta);
  }
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  REQUIRE(f >= 0);
  REQUIRE(H5Ldelete(f, "/tensors/w", H5P_DEFAULT) >= 0);
  const hsize_t dims[2] = {hsize_t{1} << 24, hsize_t{1} << 23}, chunk[2] = {1, 1024};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  const hid_t ds =
      H5Dcreate2(f, "/tensors/w", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  REQUIRE(ds >= 0);
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Fclose(f);
  refused([&] { open_tensor_file(path); }, "more than the file can hold");
}

TEST_CASE("a .pt whose pickle claims a tensor far larger than its storage entry is refused",
          "[formats][limits]") {
  Scratch s;
  const int64_t side = int64_t{1} << 25;
  const StoredLayout claimed = {{"w", ElementType::kFloat32, {side, side}}};  // 4 PiB
  const std::string path = s.file("claims.pt");  // the writer fills a file that exists
  {
    ZipWriter zip(path, path);
    zip.add("archive/data.pkl", state_dict_pickle(claimed));
    zip.add("archive/byteorder", "little");
    zip.add("archive/data/0", std::string(16, '\0'));
    zip.add("archive/version", "3\n");
    zip.finish();
  }
  refused([&] { open_tensor_file(path); }, "claims.pt");
}

TEST_CASE("a pickle nested a million levels deep is refused with bounded memory",
          "[formats][limits]") {
  std::string deep = "\x80\x02";
  deep.append(1000000, ']');  // EMPTY_LIST, a million times: each would nest in the next
  for (int i = 0; i < 999999; ++i) deep += 'a';  // APPEND
  deep += '.';
  PickleDocument doc;
  refused([&] { unpickle(deep.data(), deep.size(), doc, "deep.pkl", "data.pkl"); }, "deep.pkl");
}

TEST_CASE("a CIFAR batch file of 10 GB is refused by its size, without reading it",
          "[formats][limits]") {
  Scratch s;
  const std::string path = s.file("data_batch_1.bin");
  fs::resize_file(path, uintmax_t{10} << 30);  // sparse: costs no disk
  std::vector<uint8_t> batch(static_cast<size_t>(kCifarBatchBytes));
  refused([&] { read_cifar_batch(path, batch.data(), "get the real one"); },
          "is 10737418240 bytes, expected 30730000");
  std::vector<uint8_t> cifar100(static_cast<size_t>(kCifarBatchBytes), 0);
  cifar100[3 * kCifarRecordBytes] = 57;
  CHECK_THROWS_WITH(check_cifar_batch(cifar100.data(), cifar100.size(), "x.bin"),
                    Catch::Contains("record 3 has label 57"));
}
