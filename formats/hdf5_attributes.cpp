#include "formats/hdf5_attributes.h"

#include <cstring>

#include "formats/input_error.h"
#include "formats/readable_file.h"

namespace swa {

void write_string_attr(hid_t obj, const char* name, const std::string& value) {
  const Hid type = utf8_string_type();
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  Hid attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* ptr = value.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &ptr) < 0) {
    throw std::runtime_error(std::string("HDF5: cannot write attribute ") + name + ": " +
                             hdf5_error_text());
  }
}

namespace {

template <typename T>
void write_number_attr(hid_t obj, const char* name, T value, hid_t file_type, hid_t mem_type) {
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  Hid attr(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), mem_type, &value) < 0) {
    throw std::runtime_error(std::string("HDF5: cannot write attribute ") + name + ": " +
                             hdf5_error_text());
  }
}

}  // namespace

void write_int_attr(hid_t obj, const char* name, int64_t v) {
  write_number_attr(obj, name, v, H5T_STD_I64LE, H5T_NATIVE_INT64);
}
void write_real_attr(hid_t obj, const char* name, double v) {
  write_number_attr(obj, name, v, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}

bool has_attr(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

namespace {

// Every attribute we read holds one value: a longer one would overrun the value it is read into.
void require_one_value(hid_t attr, const char* name, const std::string& file) {
  Hid space(H5Aget_space(attr), H5Sclose);
  if (!space.valid() || H5Sget_simple_extent_npoints(space.get()) != 1) {
    throw InputError(file, std::string("attribute '") + name + "' does not hold exactly one value");
  }
}

// The superblock's terms for an object header at `address` in the file `in_file` belongs to.
ObjectHeaderPlace header_place(hid_t in_file, uint64_t address) {
  ObjectHeaderPlace place;
  place.address = address;
  Hid file(H5Iget_file_id(in_file), H5Fclose);
  Hid fcpl(file.valid() ? H5Fget_create_plist(file.get()) : -1, H5Pclose);
  size_t offset_size = 0, length_size = 0;
  hsize_t user_block = 0;
  if (fcpl.valid() && H5Pget_sizes(fcpl.get(), &offset_size, &length_size) >= 0 &&
      H5Pget_userblock(fcpl.get(), &user_block) >= 0) {
    place.base = user_block;
    place.offset_size = static_cast<unsigned>(offset_size);
    place.length_size = static_cast<unsigned>(length_size);
  }
  return place;
}

}  // namespace

// Where open object `obj`'s header lies, for reading an attribute's stored bytes ourselves.
// Throws InputError when HDF5 cannot tell (a header it cannot read is not read further).
ObjectHeaderPlace object_header_place(hid_t obj, const std::string& file) {
  H5O_info_t info;
  if (H5Oget_info2(obj, &info, H5O_INFO_BASIC) < 0 || info.addr == HADDR_UNDEF) {
    throw InputError(file, "an object header cannot be read (corrupt file): " + hdf5_error_text());
  }
  return header_place(obj, info.addr);
}

// Checks, before HDF5 opens object `name` (a group or dataset), that its object header's blocks
// lie in the file (check_object_header): HDF5 allocates what a header claims before reading it.
// False when there is no such object.
bool check_before_open(hid_t file, const std::string& name, const ReadableFile& bytes) {
  H5L_info_t link;
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0 ||
      H5Lget_info(file, name.c_str(), &link, H5P_DEFAULT) < 0) {
    return false;
  }
  if (link.type == H5L_TYPE_HARD) check_object_header(bytes, header_place(file, link.u.address));
  return true;
}

// Reads a string attribute of `obj` in the open file `bytes` (its stored form checked first).
std::string read_string_attr(hid_t obj, const char* name, const ReadableFile& bytes) {
  const std::string& file = bytes.path();
  Hid attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) throw InputError(file, std::string("cannot open attribute '") + name + "'");
  Hid ftype(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_STRING) {
    throw InputError(file, std::string("attribute '") + name + "' is not a string");
  }
  require_one_value(attr.get(), name, file);
  auto refuse_longer_than_file = [&](uint64_t size) {
    if (size > bytes.size()) {  // what a corrupt header may claim
      throw InputError(file, std::string("attribute '") + name + "' claims " +
                                 std::to_string(size) + " bytes, more than the file holds");
    }
  };
  if (H5Tis_variable_str(ftype.get()) > 0) {
    const ObjectHeaderPlace place = object_header_place(obj, file);
    if (const auto stored = find_stored_string(bytes, place, name)) {
      check_stored_strings(bytes, place, std::string("attribute '") + name + "'", {*stored});
    }
    Hid mtype(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mtype.get(), H5T_VARIABLE);
    H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get()));
    char* ptr = nullptr;
    if (H5Aread(attr.get(), mtype.get(), &ptr) < 0) {
      throw InputError(file,
                       std::string("cannot read attribute '") + name + "': " + hdf5_error_text());
    }
    std::string value = ptr ? ptr : "";
    H5free_memory(ptr);
    return value;
  }
  const size_t size = H5Tget_size(ftype.get());
  refuse_longer_than_file(size);
  std::string value(size, '\0');
  if (H5Aread(attr.get(), ftype.get(), value.data()) < 0) {
    throw InputError(file, std::string("cannot read attribute '") + name + "'");
  }
  value.resize(std::strlen(value.c_str()));
  return value;
}

namespace {

template <typename T>
void read_number_attr(hid_t obj, const char* name, hid_t mem_type, T& out,
                      const std::string& file) {
  if (!has_attr(obj, name)) return;
  Hid attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (attr.valid()) require_one_value(attr.get(), name, file);
  if (!attr.valid() || H5Aread(attr.get(), mem_type, &out) < 0) {
    throw InputError(file,
                     std::string("attribute '") + name + "' is not a number: " + hdf5_error_text());
  }
}

}  // namespace

nlohmann::json read_json_attr(hid_t obj, const char* name, const ReadableFile& bytes) {
  const std::string& file = bytes.path();
  if (!has_attr(obj, name)) return nlohmann::json::object();
  const std::string text = read_string_attr(obj, name, bytes);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file, std::string("attribute '") + name + "' is not valid JSON: " + e.what());
  }
}

std::vector<std::string> read_string_dataset(hid_t file_id, const char* name,
                                             const ReadableFile& bytes) {
  const std::string& file = bytes.path();
  if (!check_before_open(file_id, name, bytes)) {
    throw InputError(file, std::string("missing dataset '") + name + "'");
  }
  Hid ds(H5Dopen2(file_id, name, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) throw InputError(file, std::string("missing dataset '") + name + "'");
  Hid space(H5Dget_space(ds.get()), H5Sclose);
  Hid ftype(H5Dget_type(ds.get()), H5Tclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (H5Tget_class(ftype.get()) != H5T_STRING || H5Tis_variable_str(ftype.get()) <= 0 || n < 0) {
    throw InputError(file, std::string("'") + name + "' is not a list of strings");
  }
  // Checked before HDF5 reads it (formats/hdf5_stored_strings.h); a layout other than the
  // contiguous one libhdf5 and h5py write is left to HDF5.
  const haddr_t offset = H5Dget_offset(ds.get());
  if (n > 0 && offset != HADDR_UNDEF) {
    const ObjectHeaderPlace place = object_header_place(ds.get(), file);
    const uint64_t character_size = string_character_size(bytes, place).value_or(1);
    check_stored_strings(
        bytes, place, std::string("dataset '") + name + "'",
        read_stored_strings(bytes, place, offset, static_cast<uint64_t>(n), character_size));
  } else if (n > 0 && static_cast<uint64_t>(n) > bytes.size() / 16) {
    throw InputError(file, std::string("'") + name + "' claims more strings than the file holds");
  }
  const Hid mtype = utf8_string_type();
  std::vector<char*> ptrs(static_cast<size_t>(std::max<hssize_t>(n, 0)), nullptr);
  if (n > 0 && H5Dread(ds.get(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) {
    throw InputError(file, std::string("cannot read '") + name + "': " + hdf5_error_text());
  }
  std::vector<std::string> out;
  for (char* p : ptrs) {
    out.emplace_back(p ? p : "");
  }
  H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return out;
}

void write_string_dataset(hid_t loc, const char* name, const std::vector<std::string>& values) {
  const Hid type = utf8_string_type();
  hsize_t dims[1] = {values.size()};
  Hid space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Hid ds(H5Dcreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
         H5Dclose);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (!ds.valid() || (!ptrs.empty() && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                                ptrs.data()) < 0)) {
    throw std::runtime_error(std::string("HDF5: cannot write ") + name + ": " + hdf5_error_text());
  }
}

// The root attributes (formats/SNAPSHOT.md), checked for the format name and version.
SnapshotMeta read_root_meta(hid_t root, const ReadableFile& bytes) {
  const std::string& path = bytes.path();
  if (!has_attr(root, "format") || read_string_attr(root, "format", bytes) != kSnapshotFormatName) {
    throw InputError(path, std::string("not a swa snapshot: root attribute format=\"") +
                               kSnapshotFormatName + "\" is missing (see formats/SNAPSHOT.md)");
  }
  SnapshotMeta meta;
  for_each_meta_field(meta, [&](const char* name, auto& field) {
    using Field = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<Field, int64_t>) {
      read_number_attr(root, name, H5T_NATIVE_INT64, field, path);
    } else if constexpr (std::is_same_v<Field, double>) {
      read_number_attr(root, name, H5T_NATIVE_DOUBLE, field, path);
    } else if constexpr (std::is_same_v<Field, std::string>) {
      if (has_attr(root, name)) field = read_string_attr(root, name, bytes);
    } else {
      field = read_json_attr(root, name, bytes);
    }
    if (std::strcmp(name, "format_version") == 0 &&
        (meta.format_version > kSnapshotFormatVersion || meta.format_version < 1)) {
      throw InputError(path, "snapshot format_version " + std::to_string(meta.format_version) +
                                 " is not supported (this build reads versions 1.." +
                                 std::to_string(kSnapshotFormatVersion) + ")");
    }
  });
  return meta;
}

// The root attributes, one per SnapshotMeta field; JSON fields as strings.
void write_root_meta(hid_t root, const SnapshotMeta& meta) {
  write_string_attr(root, "format", kSnapshotFormatName);
  for_each_meta_field(meta, [&](const char* name, const auto& field) {
    using Field = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<Field, int64_t>) {
      write_int_attr(root, name,
                     std::strcmp(name, "format_version") == 0 ? kSnapshotFormatVersion : field);
    } else if constexpr (std::is_same_v<Field, double>) {
      write_real_attr(root, name, field);
    } else if constexpr (std::is_same_v<Field, std::string>) {
      write_string_attr(root, name, field);
    } else {
      write_string_attr(root, name, field.dump());
    }
  });
}

}  // namespace swa
