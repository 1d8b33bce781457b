// update_bn (torch.optim.swa_utils) for any TorchScript module over any ExampleSource: every
// BatchNorm layer that tracks running statistics (lib/models/scripted_normalisation.h) reset,
// the whole model in train mode, one pass over the examples in order, and each layer's statistics
// the cumulative average of its per-batch statistics, in any layer order and nesting.
//
// A scripted BatchNorm's momentum is a compile-time constant of its graph, so it cannot be set to
// None as update_bn does. For a layer with momentum m, each batch starts from zeroed running
// statistics: after the forward they hold m times the batch's mean and (unbiased) variance, which
// are divided by m and averaged here in float64. Layers scripted with momentum=None average over
// num_batches_tracked themselves. A first batch that moves no statistic means the file was traced
// in eval mode (torch.jit.trace bakes the mode in): refused, saying to script the model.
#pragma once
#include <string>
#include <vector>

#include "lib/batchnorm/recompute_batchnorm.h"
#include "lib/data/example_source.h"
#include "lib/models/scripted_model.h"

namespace swa {

struct ScriptedBatchNormPass {
  int64_t images = 0;                   // seen by the pass
  int64_t layers = 0;                   // BatchNorm layers re-estimated (0: none, nothing done)
  std::vector<std::string> left_alone;  // other normalisations, unchanged
  double pass_seconds = 0;
};

// options.layout must be unset (the module runs as scripted). The model ends in eval mode.
// Throws InputError naming the model when its statistics do not move in train mode.
ScriptedBatchNormPass run_scripted_batchnorm_pass(ScriptedModel& model,
                                                  const ExampleSource& examples,
                                                  const BatchNormPassOptions& options);

}  // namespace swa
