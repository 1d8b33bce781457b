#include "formats/torch_checkpoint.h"

#include <algorithm>

#include "formats/input_error.h"

namespace swa {
namespace {

using Kind = PickleValue::Kind;

constexpr const char* kWrappers[] = {"state_dict", "model_state_dict", "model", "module", "net"};
constexpr const char* kPrefixes[] = {"module.", "_orig_mod.", "model."};
constexpr const char* kDroppedKeys[] = {"n_averaged"};  // AveragedModel's counter

bool holds_tensors(const PickleValue* v) {
  if (!v || v->kind != Kind::kDict || v->entries.empty()) return false;
  return std::any_of(v->entries.begin(), v->entries.end(),
                     [](const auto& e) { return e.second->kind == Kind::kTensor; });
}

bool all_tensors(const PickleValue* v) {
  return holds_tensors(v) && std::all_of(v->entries.begin(), v->entries.end(), [](const auto& e) {
           return e.first->kind == Kind::kString && e.second->kind == Kind::kTensor;
         });
}

std::string key_text(const PickleValue* k) {
  if (k->kind == Kind::kString) return k->text;
  if (k->kind == Kind::kInt) return std::to_string(k->integer);
  return "<" + k->describe() + ">";
}

std::string contents(const PickleValue& root) {
  if (root.kind != Kind::kDict) return root.describe();
  std::string s = "a dict with ";
  size_t shown = 0;
  for (const auto& [k, v] : root.entries) {
    if (shown == 12) {
      s += ", ...";
      break;
    }
    s += (shown++ ? ", " : "") + key_text(k) + " (" + v->describe() + ")";
  }
  return shown ? s : "an empty dict";
}

// The value a dotted path names; a key that itself holds dots is matched whole first.
const PickleValue* follow(const PickleValue* v, const std::string& path) {
  if (!v || v->kind != Kind::kDict) return nullptr;
  if (const PickleValue* whole = v->find(path)) return whole;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
    if (const PickleValue* head = v->find(path.substr(0, dot))) {
      if (const PickleValue* found = follow(head, path.substr(dot + 1))) return found;
    }
  }
  return nullptr;
}

int64_t integer_entry(const PickleValue& root, const char* key) {
  const PickleValue* v = root.find(key);
  return v && v->kind == Kind::kInt && !v->big_integer ? v->integer : -1;
}

}  // namespace

CheckpointStateDict find_state_dict(const PickleValue& root, const std::string& key_path,
                                    const std::string& file) {
  CheckpointStateDict out;
  const PickleValue* chosen = nullptr;
  if (!key_path.empty()) {
    chosen = follow(&root, key_path);
    if (!chosen)
      throw InputError(
          file, "--key " + key_path + " names nothing in this file, which holds " + contents(root));
    if (!holds_tensors(chosen)) {
      throw InputError(file, "--key " + key_path + " names a " + chosen->describe() +
                                 " without tensors, not a state dict");
    }
    out.origin.object = key_path;
  } else if (all_tensors(&root)) {
    chosen = &root;
    out.origin.object = "root";
  } else {
    for (const char* w : kWrappers) {
      if (holds_tensors(root.find(w))) {
        chosen = root.find(w);
        out.origin.object = w;
        break;
      }
    }
  }
  if (!chosen) {
    if (root.kind == Kind::kObject) {
      throw InputError(file, "holds a pickled " + root.text +
                                 " object (torch.save(model)), which a data-only reader "
                                 "never builds: save model.state_dict() instead");
    }
    throw InputError(file, "no state dict found: it holds " + contents(root) +
                               "; name the one to take with --key (e.g. --key state_dict_ema)");
  }
  if (chosen != &root && root.kind == Kind::kDict) {
    const std::string head = out.origin.object.substr(0, out.origin.object.find('.'));
    for (const auto& [k, v] : root.entries) {
      if (key_text(k) != head && key_text(k) != out.origin.object)
        out.origin.skipped.push_back(key_text(k) + " (" + v->describe() + ")");
    }
    out.epoch = integer_entry(root, "epoch");
    out.step = integer_entry(root, "global_step");
    if (out.step < 0) out.step = integer_entry(root, "step");
  }

  for (const auto& [k, v] : chosen->entries) {
    if (k->kind != Kind::kString) {
      throw InputError(file, "state dict '" + out.origin.object + "' has a " + k->describe() +
                                 " key, not a name");
    }
    if (std::find(std::begin(kDroppedKeys), std::end(kDroppedKeys), k->text) !=
        std::end(kDroppedKeys)) {
      out.origin.dropped.push_back(k->text);
      continue;
    }
    if (v->kind == Kind::kObject) {
      throw InputError(file, k->text,
                       "is a " + v->text +
                           " object, which this reader never builds (it runs no code "
                           "from a file); a state dict entry must be a tensor");
    }
    if (v->kind != Kind::kTensor) {
      throw InputError(file, k->text, "is a " + v->describe() + ", not a tensor");
    }
    out.tensors.push_back({k->text, v->tensor});
  }
  for (bool stripped = true; stripped && !out.tensors.empty();) {
    stripped = false;
    for (const char* prefix : kPrefixes) {
      const std::string p = prefix;
      const bool everywhere =
          std::all_of(out.tensors.begin(), out.tensors.end(), [&](const CheckpointTensor& t) {
            return t.key.size() > p.size() && t.key.compare(0, p.size(), p) == 0;
          });
      if (!everywhere) continue;
      for (auto& t : out.tensors) t.key.erase(0, p.size());
      out.origin.stripped_prefixes.push_back(p);
      stripped = true;
    }
  }
  return out;
}

}  // namespace swa
