#include "lib/models/batchnorm_folding.h"

namespace swa {

void fold_batchnorm_into_conv(torch::nn::Conv2dImpl& conv, const torch::nn::BatchNorm2dImpl& bn) {
  torch::NoGradGuard no_grad;
  const auto dtype = conv.weight.scalar_type();
  auto scale = bn.weight.to(torch::kDouble) /
               torch::sqrt(bn.running_var.to(torch::kDouble) + bn.options.eps());
  auto bias = conv.bias.defined() ? conv.bias.to(torch::kDouble)
                                  : torch::zeros_like(bn.running_mean, torch::kDouble);
  auto folded_bias =
      bn.bias.to(torch::kDouble) + (bias - bn.running_mean.to(torch::kDouble)) * scale;
  auto folded_weight = conv.weight.to(torch::kDouble) * scale.view({-1, 1, 1, 1});
  conv.weight.set_data(folded_weight.to(dtype).contiguous(conv.weight.suggest_memory_format()));
  // Not registered as a parameter: a folded model is for inference and is never saved.
  conv.bias = folded_bias.to(dtype);
}

}  // namespace swa
