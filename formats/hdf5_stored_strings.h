// Where a variable-length string attribute keeps its string, read from its object header before
// HDF5 reads the attribute, and checked. libhdf5 1.10 allocates and zeroes whatever length the
// attribute's stored 16-byte descriptor says before it looks for the string, so one corrupt number
// costs up to 4 GiB and many seconds; its attribute API has no transfer property list to bound
// that. A corrupt global heap then makes it copy past its buffers. Reading the descriptor and the
// heap with pread first lets the reader refuse both.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swa {

class ReadableFile;

// Where an object's header lies, in the terms of the file's superblock.
struct ObjectHeaderPlace {
  uint64_t address = 0;      // relative to the base address (H5Oget_info2's addr)
  uint64_t base = 0;         // the user block's size
  unsigned offset_size = 8;  // "size of offsets" (H5Pget_sizes)
  unsigned length_size = 8;  // "size of lengths"
};

// Throws InputError unless every block of the object header at `header` lies inside the file
// and they add up to at most 16 MiB over at most 256 blocks: HDF5 1.10 allocates what a header
// claims before it reads it (a root header claiming 7 EiB, found by fuzz_hdf5).
void check_object_header(const ReadableFile& file, const ObjectHeaderPlace& header);

// The root group's object header as the superblock (versions 0-3) places it; nullopt when the
// file has no HDF5 signature where HDF5 looks for one. Throws InputError for a corrupt
// superblock.
std::optional<ObjectHeaderPlace> root_object_header(const ReadableFile& file);

// Where the first element of a variable-length string attribute is stored: its length in bytes
// and the global heap object that holds it.
struct StoredString {
  uint64_t length = 0;
  uint64_t heap_address = 0;  // the collection, relative to the base address
  uint64_t heap_index = 0;
  uint64_t character_size = 1;  // the datatype's base size: 1 in any sound file
};

// The stored form of attribute `name`'s first element, when the attribute is a variable-length
// string kept in the object header (compact storage, object header version 1 or 2, as libhdf5
// and h5py write by default). nullopt when it is stored elsewhere (dense attribute storage, a
// shared datatype) or is not a variable-length string: the caller then relies on HDF5. Reads at
// most 16 MiB over at most 256 header blocks; throws InputError when a block lies outside the
// file.
std::optional<StoredString> find_stored_string(const ReadableFile& file,
                                               const ObjectHeaderPlace& header,
                                               const std::string& name);

// The stored forms of a variable-length string dataset of `count` strings kept contiguously at
// `address` (H5Dget_offset). Throws InputError when they would lie beyond the end of the file.
std::vector<StoredString> read_stored_strings(const ReadableFile& file,
                                              const ObjectHeaderPlace& header, uint64_t address,
                                              uint64_t count, uint64_t character_size);

// The character size (base type size) of the variable-length string datatype in the object
// header at `header` (a dataset's); nullopt when its datatype is not one or not found there.
std::optional<uint64_t> string_character_size(const ReadableFile& file,
                                              const ObjectHeaderPlace& header);

// Throws InputError naming the file and `what` ("attribute 'config'") unless HDF5 1.10 can read
// `strings` safely: one-byte characters, lengths the file can hold, global heap collections whose
// objects all fit inside them, and each string's object present with exactly the string's length
// (HDF5 copies the object's size into a buffer of the string's length).
void check_stored_strings(const ReadableFile& file, const ObjectHeaderPlace& header,
                          const std::string& what, const std::vector<StoredString>& strings);

}  // namespace swa
