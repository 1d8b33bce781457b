#include "lib/evaluation/evaluate_snapshot.h"

#include <chrono>

#include "formats/input_error.h"
#include "lib/data/open_example_source.h"
#include "lib/models/load_model.h"

namespace swa {

std::string averaged_statistics_warning(const std::string& checkpoint) {
  return "BatchNorm statistics of this checkpoint are averaged, not recomputed: accuracy is "
         "usually far too low. Run: swa-bn " +
         checkpoint + " --data DIR -o FIXED";
}

Evaluation evaluate_snapshot(const EvaluationRequest& req) {
  if (!req.model.empty()) return evaluate_scripted_snapshot(req);
  if (names_tensor_file(req.data.dir)) {
    throw InputError("--data " + req.data.dir,
                     "a tensor file is read with --model (a TorchScript file of the architecture); "
                     "the built-in ResNets read CIFAR-10 folders");
  }
  const auto start = std::chrono::steady_clock::now();
  LoadedModel loaded = load_model(req.checkpoint, req.arch_override, req.state_dict_key);
  require_cifar10_outputs(loaded.model->num_classes(), req.checkpoint);
  const ImageSet images = load_cifar10(req.data, req.split);
  Evaluation out;
  out.checkpoint = req.checkpoint;
  out.arch = loaded.meta.arch;
  out.bn_state = loaded.meta.bn_state;
  out.split = split_name(req.split);
  out.device = req.predict.device.str();
  out.class_names = cifar10_class_names(req.data.dir);
  if (loaded.meta.bn_state == bn_state::kAveraged)
    out.warnings.push_back(averaged_statistics_warning(req.checkpoint));
  const Prediction prediction = predict(loaded.model, images.images, req.predict);
  out.engine = engine_name(prediction.engine);
  out.engine_source = prediction.engine_source;
  out.engine_timing = prediction.timing;
  out.setup_seconds = prediction.setup_seconds;
  out.forward_seconds = prediction.pass_seconds;
  out.metrics = classification_metrics(prediction.logits, images.labels);
  out.images_per_second =
      out.forward_seconds > 0 ? static_cast<double>(images.size()) / out.forward_seconds : 0.0;
  if (req.predict.precision != torch::kFloat) {  // the same model, already prepared
    PredictOptions full = req.predict;
    full.precision = torch::kFloat;
    full.engine = InferenceEngine::kReference;
    full.progress = false;
    const Prediction reference = predict(loaded.model, images.images, full);
    out.float32 = Evaluation::Float32Pass{
        classification_metrics(reference.logits, images.labels),
        reference.pass_seconds > 0 ? static_cast<double>(images.size()) / reference.pass_seconds
                                   : 0.0};
  }
  out.total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace swa
