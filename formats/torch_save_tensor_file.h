// PyTorch's torch.save files (.pt, .pth, .ckpt, .bin), read and written without LibTorch.
// Reading: the zip container (PyTorch >= 1.6) through formats/zip_archive.h and the legacy
// pickle stream (older PyTorch, or _use_new_zipfile_serialization=False); data.pkl through the
// restricted unpickler, which runs nothing; the state dict chosen by formats/torch_checkpoint.h.
// Tensors are read with pread where they lie in the file and, where a tensor is a whole zip
// entry, checked against the entry's CRC-32 on the way; views, shared and compressed storages
// are copied out (and checked) when the file is opened.
// Writing: a plain dict of tensors that torch.load reads with and without weights_only=True,
// streamed entry by entry (formats/zip_writer.h), plus a record swa_meta.json that torch.load
// ignores, holding the snapshot's metadata.
#pragma once
#include <memory>
#include <string>

#include "formats/tensor_file.h"

namespace swa {

// `state_dict_key`: ReadOptions::state_dict_key (formats/tensor_file.h).
std::unique_ptr<TensorFileReader> open_torch_save_tensor_file(const std::string& path,
                                                              const std::string& state_dict_key);
std::unique_ptr<TensorFileWriter> create_torch_save_tensor_file(const std::string& path,
                                                                const StoredLayout& layout);

}  // namespace swa
