// The attributes and string datasets of formats/ HDF5 files, each read only after its stored
// bytes were checked (formats/hdf5_stored_strings.h: HDF5 1.10 trusts what a corrupt file claims),
// and the snapshot's root attributes (formats/SNAPSHOT.md). Internal to formats/.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/hdf5_library.h"
#include "formats/hdf5_stored_strings.h"
#include "formats/snapshot_meta.h"

namespace swa {

class ReadableFile;

bool has_attr(hid_t obj, const char* name);
void write_string_attr(hid_t obj, const char* name, const std::string& value);
void write_int_attr(hid_t obj, const char* name, int64_t v);
void write_real_attr(hid_t obj, const char* name, double v);
// Where open object `obj`'s header lies, for reading an attribute's stored bytes ourselves.
// Throws InputError when HDF5 cannot tell (a header it cannot read is not read further).
ObjectHeaderPlace object_header_place(hid_t obj, const std::string& file);
// Checks, before HDF5 opens object `name` (a group or dataset), that its object header's blocks
// lie inside the file and are of a size HDF5 can allocate (check_object_header). False when there
// is no such object.
bool check_before_open(hid_t file, const std::string& name, const ReadableFile& bytes);
// A string attribute of `obj` in the open file `bytes` (its stored form checked first).
std::string read_string_attr(hid_t obj, const char* name, const ReadableFile& bytes);
// A JSON attribute (an empty object when there is none); InputError when it is not JSON.
nlohmann::json read_json_attr(hid_t obj, const char* name, const ReadableFile& bytes);
// A one-dimensional dataset of variable-length strings (its stored strings checked first).
std::vector<std::string> read_string_dataset(hid_t file_id, const char* name,
                                             const ReadableFile& bytes);
void write_string_dataset(hid_t loc, const char* name, const std::vector<std::string>& values);

// The root attributes, checked for the format name and version.
SnapshotMeta read_root_meta(hid_t root, const ReadableFile& bytes);
// The root attributes, one per SnapshotMeta field; JSON fields as strings.
void write_root_meta(hid_t root, const SnapshotMeta& meta);

}  // namespace swa
