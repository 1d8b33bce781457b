#include "lib/evaluation/evaluate_snapshot.h"

#include <chrono>

#include "lib/evaluation/classification_metrics.h"
#include "lib/models/load_model.h"

namespace swa {

nlohmann::json evaluate_snapshot(const EvaluationRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  LoadedModel loaded = load_model(req.checkpoint, req.arch_override);
  const ImageSet images = load_cifar10(req.data, req.split);
  const auto names = cifar10_class_names(req.data.dir);
  nlohmann::json warnings = nlohmann::json::array();
  if (loaded.meta.bn_state == bn_state::kAveraged) {
    warnings.push_back(
        "BatchNorm statistics of this checkpoint are averaged, not recomputed: "
        "accuracy is usually far too low. Run: swa-bn " +
        req.checkpoint + " --data DIR -o FIXED");
  }
  const auto pass_start = std::chrono::steady_clock::now();
  const torch::Tensor logits = predict_logits(loaded.model, images.images, req.predict);
  const double pass_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - pass_start).count();
  const auto metrics = classification_metrics(logits, images.labels);
  return {{"checkpoint", req.checkpoint},
          {"arch", loaded.meta.arch},
          {"bn_state", loaded.meta.bn_state},
          {"split", split_name(req.split)},
          {"device", req.predict.device.str()},
          {"metrics", metrics_to_json(metrics, names)},
          {"forward_seconds", pass_s},
          {"images_per_second", pass_s > 0 ? images.size() / pass_s : 0.0},
          {"total_seconds",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()},
          {"warnings", warnings}};
}

}  // namespace swa
