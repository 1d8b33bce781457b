#include "formats/hdf5_element_types.h"

namespace swa {
namespace {

Hid half_float_type() {
  // IEEE binary16, as h5py and numpy's float16 define it.
  Hid t(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  H5Tset_fields(t.get(), 15, 10, 5, 0, 10);
  H5Tset_size(t.get(), 2);
  H5Tset_ebias(t.get(), 15);
  return t;
}

}  // namespace

Hid file_type_for(ElementType type) {
  auto copy = [](hid_t t) { return Hid(H5Tcopy(t), H5Tclose); };
  switch (type) {
    case ElementType::kFloat32:
      return copy(H5T_IEEE_F32LE);
    case ElementType::kFloat64:
      return copy(H5T_IEEE_F64LE);
    case ElementType::kFloat16:
      return half_float_type();
    case ElementType::kBFloat16:
      return copy(H5T_STD_U16LE);
    case ElementType::kInt64:
      return copy(H5T_STD_I64LE);
    case ElementType::kInt32:
      return copy(H5T_STD_I32LE);
    case ElementType::kInt16:
      return copy(H5T_STD_I16LE);
    case ElementType::kInt8:
      return copy(H5T_STD_I8LE);
    case ElementType::kUInt8:
      return copy(H5T_STD_U8LE);
    case ElementType::kBool:
      return copy(H5T_STD_U8LE);
  }
  throw std::logic_error("unknown element type");
}

bool element_type_from_hdf5_type(hid_t type, ElementType& out) {
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      if (size == 4)
        out = ElementType::kFloat32;
      else if (size == 8)
        out = ElementType::kFloat64;
      else if (size == 2)
        out = ElementType::kFloat16;
      else
        return false;
      return true;
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      if (size == 8 && is_signed)
        out = ElementType::kInt64;
      else if (size == 4 && is_signed)
        out = ElementType::kInt32;
      else if (size == 2 && is_signed)
        out = ElementType::kInt16;
      else if (size == 1)
        out = is_signed ? ElementType::kInt8 : ElementType::kUInt8;
      else
        return false;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace swa
