#include "lib/report/candidate_options.h"

namespace swa {

BatchNormPassOptions batchnorm_pass_options(const ScoringOptions& options) {
  BatchNormPassOptions pass;
  pass.batch_size = options.batch_size;
  pass.augment = options.bn_augment;
  pass.seed = options.bn_seed;
  pass.device = options.device;
  pass.progress = options.progress;
  return pass;
}

PredictOptions predict_options(const ScoringOptions& options) {
  PredictOptions predict;
  predict.batch_size = options.batch_size;
  predict.device = options.device;
  predict.progress = options.progress;
  return predict;
}

}  // namespace swa
