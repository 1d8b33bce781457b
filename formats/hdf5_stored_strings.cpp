// The object header layout is HDF5's file format specification, version 3.0: section IV.A
// (object headers, versions 1 and 2), IV.A.2.m (attribute message), IV.A.2.d (datatype) and
// III.E (the global heap ID a variable-length element stores: length, collection address, index).
#include "formats/hdf5_stored_strings.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

#include "formats/input_error.h"
#include "formats/readable_file.h"

namespace swa {
namespace {

constexpr uint64_t kMaxHeaderBytes = uint64_t{16} << 20;
constexpr size_t kMaxHeaderBlocks = 256;
constexpr unsigned kContinuationMessage = 0x10;
constexpr unsigned kAttributeMessage = 0x0C;
constexpr unsigned kDatatypeMessage = 0x03;
constexpr unsigned kVariableLengthClass = 9;
constexpr unsigned kStringSequence = 1;
constexpr unsigned kSharedDatatype = 0x01;       // attribute message flags
constexpr unsigned kSharedMessage = 0x02;        // header message flags
constexpr unsigned kStoresCreationOrder = 0x04;  // version 2 header flags
constexpr unsigned kStoresAttributePhaseChange = 0x10;
constexpr unsigned kStoresTimes = 0x20;

// A little-endian unsigned number of `size` bytes at `at`; nullopt past the end of `bytes`.
std::optional<uint64_t> number_at(const std::vector<uint8_t>& bytes, size_t at, unsigned size) {
  if (size > 8 || at > bytes.size() || bytes.size() - at < size) return std::nullopt;
  uint64_t value = 0;
  for (unsigned i = 0; i < size; ++i) value |= uint64_t{bytes[at + i]} << (8 * i);
  return value;
}

size_t padded_to_8(size_t n) { return (n + 7) / 8 * 8; }

// What an attribute message says about attribute `name`: not this attribute, or this attribute
// with where its first variable-length string is stored (nullopt inside when it is not one).
struct AttributeMatch {
  bool is_named = false;
  std::optional<StoredString> stored;
};

AttributeMatch read_attribute_message(const std::vector<uint8_t>& m, const std::string& name,
                                      unsigned offset_size) {
  AttributeMatch out;
  const auto version = number_at(m, 0, 1);
  const auto flags = number_at(m, 1, 1);
  const auto name_size = number_at(m, 2, 2);
  const auto type_size = number_at(m, 4, 2);
  const auto space_size = number_at(m, 6, 2);
  if (!version || !flags || !name_size || !type_size || !space_size) return out;
  const bool padded = *version == 1;
  size_t at = *version == 3 ? 9 : 8;  // version 3 adds the name's character set
  if (*version < 1 || *version > 3 || at + *name_size > m.size()) return out;
  std::string stored(reinterpret_cast<const char*>(m.data() + at), *name_size);
  stored.resize(std::strlen(stored.c_str()));
  if (name.empty() || stored != name) return out;
  out.is_named = true;
  at += padded ? padded_to_8(*name_size) : *name_size;
  const auto type_class = number_at(m, at, 1);
  const auto type_bits = number_at(m, at + 1, 1);
  if ((*version > 1 && (*flags & kSharedDatatype)) || !type_class || !type_bits ||
      (*type_class & 0x0F) != kVariableLengthClass || (*type_bits & 0x0F) != kStringSequence) {
    return out;
  }
  const auto character_size = number_at(m, at + 12, 4);  // the base type's size
  at += padded ? padded_to_8(*type_size) : *type_size;
  at += padded ? padded_to_8(*space_size) : *space_size;
  // The first element: its length, then its global heap ID (collection address, index).
  const auto length = number_at(m, at, 4);
  const auto address = number_at(m, at + 4, offset_size);
  const auto index = number_at(m, at + 4 + offset_size, 4);
  if (length && address && index && character_size) {
    out.stored = StoredString{*length, *address, *index, *character_size};
  }
  return out;
}

// What is wrong with attribute message `m`, or "" when its parts fit in it: a name that ends
// inside it, a datatype and dataspace inside it, and values (elements times the datatype's size)
// inside it. HDF5 1.10 decodes these trusting the sizes (strdup of the name, memcpy of the values).
std::string attribute_message_problem(const std::vector<uint8_t>& m, unsigned length_size) {
  const auto version = number_at(m, 0, 1);
  const auto name_size = number_at(m, 2, 2);
  const auto type_size = number_at(m, 4, 2);
  const auto space_size = number_at(m, 6, 2);
  if (!version || !name_size || !type_size || !space_size) return "shorter than its header";
  if (*version < 1 || *version > 3) return "unknown version " + std::to_string(*version);
  const bool padded = *version == 1;
  auto part = [&](uint64_t n) { return padded ? padded_to_8(n) : n; };
  const uint64_t name_at = *version == 3 ? 9 : 8;
  const uint64_t type_at = name_at + part(*name_size);
  const uint64_t space_at = type_at + part(*type_size);
  const uint64_t data_at = space_at + part(*space_size);
  if (data_at > m.size()) return "its name, datatype and dataspace overrun it";
  if (*name_size == 0 || std::memchr(m.data() + name_at, 0, *name_size) == nullptr) {
    return "its name does not end inside it";
  }
  // The dataspace: version, rank, flags, then (version 1) 5 reserved bytes or (version 2) its
  // kind, then the dimensions; a null dataspace (version 2, kind 2) holds nothing.
  const auto space_version = number_at(m, space_at, 1);
  const auto rank = number_at(m, space_at + 1, 1);
  const auto kind = number_at(m, space_at + 3, 1);
  if (!space_version || !rank || !kind || *rank > 32) return "its dataspace is corrupt";
  uint64_t elements = (*space_version >= 2 && *kind == 2) ? 0 : 1;
  const uint64_t dims_at = space_at + (*space_version == 1 ? 8 : 4);
  for (uint64_t d = 0; d < *rank; ++d) {
    const auto dim = number_at(m, dims_at + d * length_size, length_size);
    if (!dim || dims_at + (d + 1) * length_size > data_at) return "its dataspace is corrupt";
    if (*dim != 0 && elements > m.size() / *dim) return "its values overrun it";
    elements *= *dim;
  }
  const auto element_size = number_at(m, type_at + 4, 4);
  if (!element_size) return "its datatype is corrupt";
  if (elements != 0 && *element_size > (m.size() - data_at) / elements) {
    return "its values overrun it";
  }
  return "";
}

// Walks an object header's blocks: the first, then those its continuation messages name.
class HeaderWalk {
 public:
  HeaderWalk(const ReadableFile& file, const ObjectHeaderPlace& place)
      : file_(file), place_(place) {}

  // Calls visit(type, flags, message bytes) for every message until it returns true.
  template <typename Visit>
  void walk(Visit visit) {
    if (!read_first_block()) return;
    while (!blocks_.empty()) {
      const Block block = std::move(blocks_.front());
      blocks_.pop_front();
      const std::vector<uint8_t>& bytes = block.bytes;
      const size_t end = block.end;
      const size_t header = version_ == 1 ? 8 : (header_flags_ & kStoresCreationOrder ? 6 : 4);
      size_t at = version_ == 1 ? 0 : 4;  // version 2 blocks after the first begin with "OCHK"
      while (at + header <= end) {
        const unsigned type = *number_at(bytes, at, version_ == 1 ? 2 : 1);
        const size_t size = *number_at(bytes, at + (version_ == 1 ? 2 : 1), 2);
        const unsigned flags = *number_at(bytes, at + (version_ == 1 ? 4 : 3), 1);
        const size_t data = at + header;
        if (data + size > end) break;
        const std::vector<uint8_t> message(bytes.begin() + data, bytes.begin() + data + size);
        if (type == kContinuationMessage) {
          const auto address = number_at(message, 0, place_.offset_size);
          const auto length = number_at(message, place_.offset_size, place_.length_size);
          if (address && length) queue_block(*address, *length, version_ == 1 ? 0 : 4);
        } else if (visit(type, flags, message)) {
          return;
        }
        at = data + size;
      }
    }
  }

 private:
  std::vector<uint8_t> read_block(uint64_t address, uint64_t length) {
    total_ += length;
    if (total_ > kMaxHeaderBytes || ++blocks_read_ > kMaxHeaderBlocks) {
      throw InputError(file_.path(),
                       "an object header is larger than " + std::to_string(kMaxHeaderBytes >> 20) +
                           " MiB or has more than " + std::to_string(kMaxHeaderBlocks) + " blocks");
    }
    if (address > file_.size() || length > file_.size() - address) {
      throw InputError(file_.path(), "an object header block lies beyond the end of the file");
    }
    std::vector<uint8_t> bytes(length);
    file_.read_exact(bytes.data(), length, address, "object header");
    return bytes;
  }

  // A continuation block; version 2 blocks end with a 4-byte checksum.
  void queue_block(uint64_t address, uint64_t length, size_t checksum) {
    if (length < checksum) return;
    blocks_.push_back({read_block(place_.base + address, length), length - checksum});
  }

  bool read_first_block() {
    const uint64_t start = place_.base + place_.address;
    if (start >= file_.size()) return false;
    const uint64_t prefix_max = std::min<uint64_t>(file_.size() - start, 40);
    std::vector<uint8_t> prefix(prefix_max);
    file_.read_exact(prefix.data(), prefix.size(), start, "object header");
    if (prefix.size() >= 16 && prefix[0] == 1) {  // version 1: a 16-byte prefix
      version_ = 1;
      const auto size = number_at(prefix, 8, 4);
      blocks_.push_back({read_block(start + 16, *size), *size});
      return true;
    }
    if (prefix.size() < 6 || std::memcmp(prefix.data(), "OHDR", 4) != 0 || prefix[4] != 2) {
      return false;
    }
    version_ = 2;
    header_flags_ = prefix[5];
    size_t at = 6;
    if (header_flags_ & kStoresTimes) at += 16;
    if (header_flags_ & kStoresAttributePhaseChange) at += 4;
    const unsigned width = 1u << (header_flags_ & 0x03);
    const auto size = number_at(prefix, at, width);
    if (!size) return false;
    // The first block's messages, read as if preceded by the 4 bytes every later block's
    // signature takes, so that all blocks are walked alike.
    std::vector<uint8_t> bytes = read_block(start + at + width - 4, *size + 4);
    blocks_.push_back({std::move(bytes), *size + 4});
    return true;
  }

  struct Block {
    std::vector<uint8_t> bytes;
    size_t end;  // where the messages end (before a checksum)
  };
  const ReadableFile& file_;
  ObjectHeaderPlace place_;
  std::deque<Block> blocks_;
  unsigned version_ = 0;
  unsigned header_flags_ = 0;
  uint64_t total_ = 0;
  size_t blocks_read_ = 0;
};

}  // namespace

bool valid_sizes(const ObjectHeaderPlace& header) {
  return header.offset_size > 0 && header.offset_size <= 8 && header.length_size > 0 &&
         header.length_size <= 8;
}

void check_object_header(const ReadableFile& file, const ObjectHeaderPlace& header) {
  if (!valid_sizes(header)) {
    throw InputError(file.path(), "the superblock's sizes of offsets and lengths are corrupt");
  }
  HeaderWalk(file, header).walk([&](unsigned type, unsigned flags, const auto& m) {
    if (type == kAttributeMessage && !(flags & kSharedMessage)) {
      const std::string why = attribute_message_problem(m, header.length_size);
      if (!why.empty()) throw InputError(file.path(), "an attribute message is corrupt: " + why);
    }
    return false;
  });
}

std::optional<uint64_t> string_character_size(const ReadableFile& file,
                                              const ObjectHeaderPlace& header) {
  std::optional<uint64_t> out;
  if (!valid_sizes(header)) return out;
  HeaderWalk(file, header).walk([&](unsigned type, unsigned flags, const auto& m) {
    if (type != kDatatypeMessage || (flags & kSharedMessage)) return false;
    const auto type_class = number_at(m, 0, 1);
    const auto type_bits = number_at(m, 1, 1);
    if (type_class && type_bits && (*type_class & 0x0F) == kVariableLengthClass &&
        (*type_bits & 0x0F) == kStringSequence) {
      out = number_at(m, 12, 4);
    }
    return true;
  });
  return out;
}

std::optional<ObjectHeaderPlace> root_object_header(const ReadableFile& file) {
  // The superblock lies at 0, 512, 1024, 2048, ... (after a user block).
  static const uint8_t kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (uint64_t at = 0; at < file.size(); at = at == 0 ? 512 : at * 2) {
    std::vector<uint8_t> b(static_cast<size_t>(std::min<uint64_t>(file.size() - at, 96)));
    file.read_exact(b.data(), b.size(), at, "superblock");
    if (b.size() < 16 || std::memcmp(b.data(), kSignature, 8) != 0) continue;
    ObjectHeaderPlace place;
    const unsigned version = b[8];
    size_t root;  // where the root group's object header address is stored
    if (version <= 1) {
      place.offset_size = b[13];
      place.length_size = b[14];
      root = (version == 0 ? 24 : 28) + 5 * size_t{place.offset_size};
    } else {
      place.offset_size = b[9];
      place.length_size = b[10];
      root = 12 + 3 * size_t{place.offset_size};
    }
    const auto base = number_at(b, version <= 1 ? (version == 0 ? 24 : 28) : 12, place.offset_size);
    const auto address = number_at(b, root, place.offset_size);
    if (place.offset_size == 0 || place.offset_size > 8 || place.length_size == 0 ||
        place.length_size > 8 || !base || !address) {
      throw InputError(file.path(), "the HDF5 superblock is corrupt");
    }
    place.base = *base;
    place.address = *address;
    return place;
  }
  return std::nullopt;
}

std::optional<StoredString> find_stored_string(const ReadableFile& file,
                                               const ObjectHeaderPlace& header,
                                               const std::string& name) {
  std::optional<StoredString> out;
  if (!valid_sizes(header)) return out;
  HeaderWalk(file, header).walk([&](unsigned type, unsigned flags, const auto& m) {
    if (type != kAttributeMessage || (flags & kSharedMessage)) return false;
    const AttributeMatch match = read_attribute_message(m, name, header.offset_size);
    if (match.is_named) out = match.stored;
    return match.is_named;
  });
  return out;
}

std::vector<StoredString> read_stored_strings(const ReadableFile& file,
                                              const ObjectHeaderPlace& header, uint64_t address,
                                              uint64_t count, uint64_t character_size) {
  const uint64_t each = 8 + header.offset_size;
  const uint64_t start = header.base + address;
  if (count > file.size() / each || start > file.size() || file.size() - start < count * each) {
    throw InputError(file.path(), "a string dataset claims more strings than the file holds");
  }
  std::vector<uint8_t> bytes(count * each);
  file.read_exact(bytes.data(), bytes.size(), start, "string dataset");
  std::vector<StoredString> out;
  out.reserve(count);
  for (uint64_t at = 0; at < bytes.size(); at += each) {
    out.push_back({*number_at(bytes, at, 4), *number_at(bytes, at + 4, header.offset_size),
                   *number_at(bytes, at + 4 + header.offset_size, 4), character_size});
  }
  return out;
}

namespace {

// The objects of one global heap collection, index to size, after checking that every one lies
// inside it. The collection: "GCOL", version 1, 3 reserved bytes, its size (header included);
// then objects of index (2), reference count (2), reserved (4), size, data padded to 8 bytes;
// index 0 is free space, its size counting its header. HDF5 1.10 walks it trusting every size
// and copies the object it finds by index into a buffer of the element's length.
std::map<uint64_t, uint64_t> read_heap_collection(const ReadableFile& file,
                                                  const ObjectHeaderPlace& header, uint64_t address,
                                                  const std::string& what) {
  const unsigned L = header.length_size;
  const uint64_t start = header.base + address;
  const uint64_t prefix_size = 8 + L;
  auto corrupt = [&](const std::string& why) {
    return InputError(file.path(), what + " is stored in a corrupt global heap: " + why);
  };
  if (start > file.size() || file.size() - start < prefix_size) {
    throw corrupt("its collection lies beyond the end of the file");
  }
  std::vector<uint8_t> prefix(prefix_size);
  file.read_exact(prefix.data(), prefix.size(), start, "global heap");
  const uint64_t size = *number_at(prefix, 8, L);
  if (std::memcmp(prefix.data(), "GCOL", 4) != 0 || size < prefix_size ||
      size > file.size() - start || size > kMaxHeaderBytes) {
    throw corrupt("no collection of a plausible size at its address");
  }
  std::vector<uint8_t> heap(size);
  file.read_exact(heap.data(), heap.size(), start, "global heap");
  const uint64_t object_header = 8 + L;
  std::map<uint64_t, uint64_t> objects;
  for (uint64_t at = prefix_size; size - at >= object_header;) {  // a smaller rest is free space
    const uint64_t index = *number_at(heap, at, 2);
    const uint64_t object_size = *number_at(heap, at + 8, L);
    const uint64_t room = size - at;
    if (object_size > room || (index == 0 ? object_size < object_header
                                          : object_header + padded_to_8(object_size) > room)) {
      throw corrupt("object " + std::to_string(index) + " claims more than its collection holds");
    }
    if (index != 0) objects[index] = object_size;
    at += index == 0 ? object_size : object_header + padded_to_8(object_size);
  }
  return objects;
}

}  // namespace

void check_stored_strings(const ReadableFile& file, const ObjectHeaderPlace& header,
                          const std::string& what, const std::vector<StoredString>& strings) {
  std::map<uint64_t, std::map<uint64_t, uint64_t>> collections;
  for (const StoredString& s : strings) {
    if (s.character_size != 1) {  // HDF5 would allocate length times this
      throw InputError(file.path(), what + " has a corrupt datatype: characters of " +
                                        std::to_string(s.character_size) + " bytes");
    }
    if (s.length > file.size()) {
      throw InputError(file.path(), what + " claims " + std::to_string(s.length) +
                                        " bytes, more than the file holds");
    }
    if (s.heap_address == 0) continue;  // a nil string: HDF5 reads nothing
    // Otherwise HDF5 reads the heap object, even for a length of 0.
    auto found = collections.find(s.heap_address);
    if (found == collections.end()) {
      found = collections
                  .emplace(s.heap_address, read_heap_collection(file, header, s.heap_address, what))
                  .first;
    }
    const auto object = found->second.find(s.heap_index);
    if (object == found->second.end() || object->second != s.length) {
      throw InputError(file.path(),
                       what + " is stored in a corrupt global heap: object " +
                           std::to_string(s.heap_index) +
                           (object == found->second.end()
                                ? " is missing"
                                : " is " + std::to_string(object->second) + " bytes, its string " +
                                      std::to_string(s.length)));
    }
  }
}

}  // namespace swa
