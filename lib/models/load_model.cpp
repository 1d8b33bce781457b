#include "lib/models/load_model.h"

#include "formats/input_error.h"
#include "lib/models/state_dict.h"

namespace swa {

LoadedModel load_model(const std::string& path, const std::string& arch_override,
                       const std::string& state_dict_key) {
  auto reader = open_snapshot(path, state_dict_key);
  LoadedModel loaded;
  loaded.meta = reader->meta();
  const std::string arch = arch_override.empty() ? snapshot_architecture(*reader) : arch_override;
  loaded.meta.num_classes = snapshot_num_classes(*reader);
  try {
    loaded.model = ResNet(parse_architecture(arch), loaded.meta.num_classes);
  } catch (const InputError& e) {
    throw InputError(path, e.what());
  }
  loaded.meta.arch = loaded.model->spec().name();
  load_state_dict(*loaded.model, read_state_dict(*reader), path);
  reader->file().check_unchanged();
  return loaded;
}

int64_t snapshot_num_classes(const SnapshotReader& reader) {
  const StoredTensor* fc = reader.find("fc.weight");
  if (!fc || fc->shape.size() != 2)
    throw InputError(reader.path(), "fc.weight", "missing: not a ResNet snapshot");
  return reader.meta().num_classes > 0 ? reader.meta().num_classes : fc->shape[0];
}

std::string snapshot_architecture(const SnapshotReader& reader) {
  if (!reader.meta().arch.empty()) return reader.meta().arch;
  std::string why;
  if (const auto spec = architecture_from_layout(reader.layout(), why)) return spec->name();
  throw InputError(reader.path(),
                   "has no architecture in its metadata, and its tensors fit none "
                   "of the ResNets (" +
                       why + "); pass --arch (e.g. --arch resnet50)");
}

}  // namespace swa
