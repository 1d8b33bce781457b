#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "formats/restricted_unpickler.h"
#include "formats/torch_checkpoint.h"
#include "formats/zip_archive.h"
#include "formats/zip_writer.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A byte string literal, embedded zeros included.
template <size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

PickleValue* unpickle_text(const std::string& bytes, PickleDocument& doc) {
  return unpickle(bytes.data(), bytes.size(), doc, "test.pkl", "data.pkl").value;
}

}  // namespace

TEST_CASE(".pt snapshot round-trips tensors bit for bit, in order, with metadata",
          "[formats][pt]") {
  TempDir dir;
  const auto state = tiny_state(2);
  save_snapshot(dir.file("a.pt"), tiny_meta(4), state);
  auto r = open_snapshot(dir.file("a.pt"));
  REQUIRE(r->layout().size() == state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    CHECK(r->layout()[i].key == state[i].first);
    CHECK(bit_equal(r->read(state[i].first), state[i].second));
  }
  CHECK(r->meta().arch == kTinyArch);
  CHECK(r->meta().epoch == 4);
}

TEST_CASE(
    ".pt written twice from the same tensors and metadata is the same bytes, data 64-byte "
    "aligned",
    "[formats][pt]") {
  TempDir dir;
  const auto state = tiny_state(3);
  save_snapshot(dir.file("a.pt"), tiny_meta(1), state);
  save_snapshot(dir.file("b.pt"), tiny_meta(1), state);
  CHECK(read_all(dir.file("a.pt")) == read_all(dir.file("b.pt")));
  ZipArchive zip(dir.file("a.pt"));
  int tensors = 0;
  for (const auto& e : zip.entries()) {
    CHECK(e.stored);
    if (e.name.rfind("archive/data/", 0) == 0) {
      CHECK(e.data_offset % kZipDataAlignment == 0);
      ++tensors;
    }
  }
  CHECK(tensors == static_cast<int>(state.size()));
}

TEST_CASE(".pt written by LibTorch's own pickle_save is read, with unknown metadata",
          "[formats][pt]") {
  TempDir dir;
  c10::Dict<std::string, at::Tensor> d;
  d.insert("module.fc.weight", torch::randn({3, 2}));
  d.insert("module.fc.bias", torch::randn({3}));
  const auto path = dir.file("ddp.pt");
  write_bytes(path, torch::pickle_save(d));
  auto r = open_snapshot(path);
  REQUIRE(r->layout().size() == 2);
  CHECK(r->layout()[0].key == "fc.weight");  // DDP / AveragedModel "module." prefix removed
  CHECK(bit_equal(r->read("fc.bias"), d.at("module.fc.bias")));
  CHECK(r->meta().arch.empty());
  CHECK(r->meta().epoch == -1);
  REQUIRE(r->file().state_dict_origin());
  CHECK(r->file().state_dict_origin()->stripped_prefixes == std::vector<std::string>{"module."});
}

TEST_CASE("wrapped state dicts ({\"state_dict\": ...}) are unwrapped, the checkpoint's epoch kept",
          "[formats][pt]") {
  TempDir dir;
  c10::impl::GenericDict outer(c10::StringType::get(), c10::AnyType::get());
  c10::Dict<std::string, at::Tensor> inner;
  inner.insert("fc.weight", torch::ones({2, 2}));
  outer.insert(std::string("state_dict"), inner);
  outer.insert(std::string("epoch"), int64_t{3});
  const auto path = dir.file("wrapped.pt");
  write_bytes(path, torch::pickle_save(outer));
  auto r = open_snapshot(path);
  REQUIRE(r->layout().size() == 1);
  CHECK(r->read("fc.weight").sum().item<float>() == 4.0f);
  CHECK(r->meta().epoch == 3);
  CHECK(r->file().state_dict_origin()->object == "state_dict");
}

TEST_CASE("a flipped byte in a .pt tensor fails its CRC-32, naming the file and the tensor",
          "[formats][pt]") {
  TempDir dir;
  StateDict s = {{"wide.weight", torch::randn({300, 200})}, {"wide.bias", torch::randn({300})}};
  const auto path = dir.file("a.pt");
  save_snapshot(path, tiny_meta(1), s);
  const ZipEntry* entry = nullptr;
  ZipArchive zip(path);
  entry = zip.find("archive/data/0");
  REQUIRE(entry);
  flip_byte(path, static_cast<std::streamoff>(entry->data_offset + 1000));
  auto r = open_snapshot(path);
  CHECK_THROWS_WITH(r->read("wide.weight"), Catch::Contains(path) &&
                                                Catch::Contains("wide.weight") &&
                                                Catch::Contains("CRC-32"));
  CHECK(bit_equal(r->read("wide.bias"), s[1].second));
}

TEST_CASE("an untyped storage with _rebuild_tensor_v3's dtype gives that dtype's tensor",
          "[formats][pt]") {
  PickleDocument doc;
  // {"w": _rebuild_tensor_v3(storage(UntypedStorage, "0", 12 bytes), 0, (3, 2), (2, 1), False,
  //  OrderedDict(), torch.bfloat16)}, protocol 2, as PyTorch 2.x writes dtypes without a typed
  //  storage.
  const std::string pkl = bytes(
      "\x80\x02}(X\x01\x00\x00\x00w"
      "ctorch._utils\n_rebuild_tensor_v3\n"
      "((X\x07\x00\x00\x00storage"
      "ctorch\nUntypedStorage\n"
      "X\x01\x00\x00\x00"
      "0X\x03\x00\x00\x00"
      "cpuK\x0ctQK\x00K\x03K\x02\x86K\x02K\x01\x86\x89"
      "ccollections\nOrderedDict\n)R"
      "ctorch\nbfloat16\ntRu.");
  const PickleValue* root = unpickle_text(pkl, doc);
  const CheckpointStateDict sd = find_state_dict(*root, "", "test.pt");
  REQUIRE(sd.tensors.size() == 1);
  const TensorRef& t = *sd.tensors[0].tensor;
  CHECK(sd.tensors[0].key == "w");
  CHECK(t.type == ElementType::kBFloat16);
  CHECK(t.shape == std::vector<int64_t>{3, 2});
  CHECK(t.stride == std::vector<int64_t>{2, 1});
  CHECK(t.storage->untyped);
  CHECK(t.storage->numel == 12);
}

TEST_CASE("the unpickler builds a placeholder for any other global and never calls it",
          "[formats][pt]") {
  PickleDocument doc;
  // {"state_dict": {}, "hook": posix.system("touch x")} written by hand, protocol 2.
  const std::string pkl = bytes("\x80\x02}(X\x0a\x00\x00\x00state_dict}X\x04\x00\x00\x00hook") +
                          bytes("cposix\nsystem\nX\x07\x00\x00\x00touch x\x85R") + "u.";
  PickleValue* root = unpickle_text(pkl, doc);
  REQUIRE(root->kind == PickleValue::Kind::kDict);
  const PickleValue* hook = root->find("hook");
  REQUIRE(hook);
  CHECK(hook->kind == PickleValue::Kind::kObject);
  CHECK(hook->text == "posix.system");
}

TEST_CASE("the unpickler refuses deep nesting, huge lengths and truncation quickly",
          "[formats][pt]") {
  PickleDocument doc;
  std::string deep = "\x80\x02";
  for (int i = 0; i < 100000; ++i) deep += "]";
  for (int i = 0; i < 99999; ++i) deep += "a";
  deep += ".";
  CHECK_THROWS_WITH(unpickle_text(deep, doc), Catch::Contains("nests deeper than"));
  std::string pushes = "\x80\x02";
  for (int i = 0; i < 300000; ++i) pushes += "N";
  CHECK_THROWS_WITH(unpickle_text(pushes + ".", doc), Catch::Contains("values at once"));
  const std::string huge = bytes("\x80\x02X\xff\xff\xff\x7f") + "abc.";
  CHECK_THROWS_WITH(unpickle_text(huge, doc), Catch::Contains("runs past the end"));
  CHECK_THROWS_WITH(unpickle_text(bytes("\x80\x02}(X\x01\x00\x00\x00"), doc),
                    Catch::Contains("truncated"));
  const std::string self = bytes(
      "\x80\x02]q\x00h\x00"
      "a.");  // a list appended to itself
  CHECK_THROWS_WITH(unpickle_text(self, doc), Catch::Contains("inside itself"));
}

TEST_CASE("legacy, truncated and non-PyTorch .pt files get an actionable error", "[formats][pt]") {
  TempDir dir;
  const auto bogus = dir.file("bogus.pt");
  std::ofstream(bogus, std::ios::binary) << "\x80\x02\x8a\x0alegacy pickle";
  CHECK_THROWS_WITH(open_snapshot(bogus), Catch::Contains(bogus));

  const auto path = write_tiny(dir, "t.pt", 1, 1);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 200);
  CHECK_THROWS_AS(open_snapshot(path), InputError);

  const auto h5 = write_tiny(dir, "t.h5", 1, 1);
  std::filesystem::copy_file(h5, dir.file("named-wrong.pt"));
  CHECK_THROWS_WITH(
      open_snapshot(dir.file("named-wrong.pt")),
      Catch::Contains("bytes are a hdf5 file") && Catch::Contains("rename it to .h5"));
}
