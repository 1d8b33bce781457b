// How each element type is stored in HDF5, and what a file other tools wrote (h5py) stores
// (internal to formats/).
#pragma once
#include "formats/element_type.h"
#include "formats/hdf5_library.h"

namespace swa {

// The HDF5 type each element type is stored as. bfloat16 and bool have no HDF5 equivalent and
// are stored as their bit patterns (uint16, uint8); the dataset's "dtype" attribute says so.
Hid file_type_for(ElementType type);
// For files written by other tools (h5py): the element type implied by the HDF5 type alone.
bool element_type_from_hdf5_type(hid_t type, ElementType& out);

}  // namespace swa
