#include "lib/report/prediction_ensemble.h"

namespace swa {

torch::Tensor ensemble_log_probabilities(const std::vector<torch::Tensor>& member_logits) {
  TORCH_CHECK(!member_logits.empty(), "an ensemble needs at least one member");
  torch::Tensor sum = torch::zeros_like(member_logits.front(), torch::kDouble);
  for (const auto& logits : member_logits) sum += torch::softmax(logits.to(torch::kDouble), 1);
  return (sum / static_cast<double>(member_logits.size())).log().to(torch::kFloat);
}

}  // namespace swa
