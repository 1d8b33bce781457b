#include "lib/batchnorm/scripted_batchnorm_pass.h"

#include <chrono>

#include "formats/input_error.h"
#include "lib/batchnorm/rank_statistics.h"
#include "lib/models/scripted_normalisation.h"
#include "lib/runtime/progress.h"

namespace swa {
namespace {

// One layer's state during the pass: its buffers and, for a fixed momentum, the float64 average
// of the batch statistics so far.
struct LayerPass {
  ScriptedBatchNorm layer;
  BatchNormBuffers buffers;
  torch::Tensor mean_sum, var_sum;  // float64 averages (fixed momentum only)
};

void reset(LayerPass& l) {
  l.buffers.running_mean.zero_();
  l.buffers.running_var.fill_(1);
  l.buffers.num_batches_tracked.zero_();
}

// Before a batch: a fixed-momentum layer starts from zero, so it holds m times the batch's own
// statistics afterwards.
void before_batch(LayerPass& l) {
  if (!l.layer.momentum) return;
  l.buffers.running_mean.zero_();
  l.buffers.running_var.zero_();
}

// After the k-th batch (k from 1): the batch's statistics folded into the cumulative average.
void after_batch(LayerPass& l, int64_t k) {
  if (!l.layer.momentum) return;
  const double m = *l.layer.momentum;
  const torch::Tensor mean = l.buffers.running_mean.to(torch::kDouble).div_(m);
  const torch::Tensor var = l.buffers.running_var.to(torch::kDouble).div_(m);
  if (k == 1) {
    l.mean_sum = mean;
    l.var_sum = var;
    return;
  }
  const double f = 1.0 / static_cast<double>(k);
  l.mean_sum.add_(mean.sub_(l.mean_sum), f);
  l.var_sum.add_(var.sub_(l.var_sum), f);
}

// After the pass: the averages into the buffers (layers with momentum None already hold theirs).
void finish_layer(LayerPass& l) {
  if (!l.layer.momentum || !l.mean_sum.defined()) return;
  l.buffers.running_mean.copy_(l.mean_sum);
  l.buffers.running_var.copy_(l.var_sum);
}

// Whether a layer's statistics moved in the first batch from where before_batch left them.
bool moved(const LayerPass& l) {
  const torch::Tensor& mean = l.buffers.running_mean;
  const torch::Tensor& var = l.buffers.running_var;
  const double var_start = l.layer.momentum ? 0.0 : 1.0;
  return mean.ne(0).any().item<bool>() || var.ne(var_start).any().item<bool>();
}

std::vector<LayerPass> prepare_layers(const std::vector<ScriptedBatchNorm>& found,
                                      const std::string& model_path) {
  std::vector<LayerPass> layers;
  for (const auto& bn : found) {
    if (bn.momentum && !(*bn.momentum > 0)) {
      throw InputError(model_path, "BatchNorm '" + bn.name +
                                       "' has momentum 0: its running statistics never take a "
                                       "batch's, so they cannot be re-estimated");
    }
    layers.push_back({bn, {bn.running_mean(), bn.running_var(), bn.num_batches_tracked()}, {}, {}});
  }
  return layers;
}

}  // namespace

ScriptedBatchNormPass run_scripted_batchnorm_pass(ScriptedModel& model,
                                                  const ExampleSource& examples,
                                                  const BatchNormPassOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  if (options.layout) throw InputError("--layout", "applies to the built-in ResNets, not --model");
  if (options.augment && !examples.augments())
    throw InputError("--augment", "the data (" + examples.description() + ") has no augmentation");
  torch::NoGradGuard no_grad;
  model.module.to(options.device);
  const NormalisationLayers found = normalisation_layers(model.module);
  ScriptedBatchNormPass out;
  out.left_alone = found.left_alone;
  out.layers = static_cast<int64_t>(found.batchnorms.size());
  if (found.batchnorms.empty()) {
    model.module.eval();
    return out;
  }
  std::vector<LayerPass> layers = prepare_layers(found.batchnorms, model.path);
  for (auto& l : layers) reset(l);
  model.module.train();

  const Ranks& ranks = Ranks::of(options.ranks);
  const auto start = std::chrono::steady_clock::now();
  auto generator = at::detail::createCPUGenerator(options.seed);
  at::Generator* augment = options.augment ? &generator : nullptr;
  const int64_t n = examples.size();
  Progress progress("batchnorm", n, options.progress);
  const std::string data = examples.description();
  int64_t batches = 0;  // run here
  for (int64_t begin = 0, b = 0; begin < n; begin += options.batch_size, ++b) {
    const int64_t end = std::min(n, begin + options.batch_size);
    progress.advance(end - begin);
    if (!ranks.owns_batch(b)) {
      examples.skip(begin, end, augment);
      continue;
    }
    const torch::Tensor inputs = examples.batch(begin, end, augment).inputs.to(options.device);
    ++batches;
    for (auto& l : layers) before_batch(l);
    run_forward(model, inputs, data);
    if (batches == 1 && std::none_of(layers.begin(), layers.end(), moved)) {
      throw InputError(model.path,
                       "its BatchNorm statistics did not move in train mode: the file was traced "
                       "in eval mode (torch.jit.trace bakes the mode into every BatchNorm call); "
                       "save torch.jit.script(model) instead");
    }
    for (auto& l : layers) after_batch(l, batches);
  }
  for (auto& l : layers) finish_layer(l);
  if (ranks.grouped()) {  // a group of one too: its backend at work
    std::vector<BatchNormBuffers> buffers;
    for (const auto& l : layers) buffers.push_back(l.buffers);
    combine_rank_statistics(buffers, batches, ranks);
  } else {
    for (auto& l : layers) l.buffers.num_batches_tracked.fill_(batches);
  }
  if (options.device.is_cuda()) torch::cuda::synchronize();
  out.pass_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  progress.finish();
  model.module.eval();
  out.images = n;
  return out;
}

}  // namespace swa
