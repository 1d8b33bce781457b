#include "lib/inference/frozen_resnet.h"

#include <sstream>

#include "lib/models/state_dict.h"

namespace swa {
namespace {

// TorchScript attribute names cannot hold dots: "layer1.0.conv1.weight" -> "layer1_0_conv1_weight".
std::string attribute_name(const std::string& key) {
  std::string out = key;
  for (char& c : out) {
    if (c == '.') c = '_';
  }
  return out;
}

// Writes the forward pass of torchvision's ResNet (v1.5) over the weights `state` holds.
class ForwardWriter {
 public:
  ForwardWriter(const ResNetSpec& spec, const std::map<std::string, torch::Tensor>& state)
      : spec_(spec), state_(state) {}

  std::string write() {
    out_ << "def forward(self, x: Tensor) -> Tensor:\n";
    const bool cifar = spec_.stem == Stem::kCifar;
    conv_bn("x", "x", "conv1", "bn1", cifar ? 1 : 2, true);
    if (!cifar) line("x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], False)");
    const auto blocks = spec_.blocks_per_stage();
    for (size_t stage = 0; stage < blocks.size(); ++stage) {
      for (int b = 0; b < blocks[stage]; ++b) {
        const std::string prefix = "layer" + std::to_string(stage + 1) + "." + std::to_string(b);
        block(prefix, stage > 0 && b == 0 ? 2 : 1);
      }
    }
    line("x = torch.adaptive_avg_pool2d(x, [1, 1])");
    line("x = torch.flatten(x, 1)");
    line("return torch.linear(x, self.fc_weight, self.fc_bias)");
    return out_.str();
  }

 private:
  void line(const std::string& text) { out_ << "    " << text << "\n"; }

  std::string self(const std::string& key) { return "self." + attribute_name(key); }

  // out = [relu](bn(conv(in))) with the convolution's padding from its kernel size.
  void conv_bn(const std::string& out, const std::string& in, const std::string& conv,
               const std::string& bn, int stride, bool relu) {
    const int64_t kernel = state_.at(conv + ".weight").size(-1);
    const std::string s = std::to_string(stride), p = std::to_string(kernel / 2);
    line(out + " = torch.conv2d(" + in + ", " + self(conv + ".weight") + ", None, [" + s + ", " +
         s + "], [" + p + ", " + p + "], [1, 1], 1)");
    line(out + " = torch.batch_norm(" + out + ", " + self(bn + ".weight") + ", " +
         self(bn + ".bias") + ", " + self(bn + ".running_mean") + ", " + self(bn + ".running_var") +
         ", False, 0.1, 1e-05, True)");
    if (relu) line(out + " = torch.relu(" + out + ")");
  }

  void block(const std::string& prefix, int stride) {
    const bool bottleneck = spec_.block() == BlockKind::kBottleneck;
    if (bottleneck) {  // v1.5: the stride sits on the 3x3 convolution
      conv_bn("out", "x", prefix + ".conv1", prefix + ".bn1", 1, true);
      conv_bn("out", "out", prefix + ".conv2", prefix + ".bn2", stride, true);
      conv_bn("out", "out", prefix + ".conv3", prefix + ".bn3", 1, false);
    } else {
      conv_bn("out", "x", prefix + ".conv1", prefix + ".bn1", stride, true);
      conv_bn("out", "out", prefix + ".conv2", prefix + ".bn2", 1, false);
    }
    if (state_.count(prefix + ".downsample.0.weight")) {
      conv_bn("shortcut", "x", prefix + ".downsample.0", prefix + ".downsample.1", stride, false);
      line("x = torch.relu(out + shortcut)");
    } else {
      line("x = torch.relu(out + x)");
    }
  }

  const ResNetSpec& spec_;
  const std::map<std::string, torch::Tensor>& state_;
  std::ostringstream out_;
};

}  // namespace

FrozenResNet::FrozenResNet(ResNetImpl& model) : module_("FrozenResNet") {
  TORCH_CHECK(!model.folded(), "FrozenResNet: give it the model before BatchNorm folding");
  std::map<std::string, torch::Tensor> state;
  for (const auto& [key, t] : state_dict(model)) {
    state[key] = t.detach().clone().contiguous();  // on the model's device
  }
  for (const auto& [key, t] : state) {
    if (!t.is_floating_point()) continue;  // num_batches_tracked: not used by inference
    module_.register_buffer(attribute_name(key), t);
  }
  module_.register_attribute("training", c10::BoolType::get(), false);
  source_ = ForwardWriter(model.spec(), state).write();
  module_.define(source_);
  module_.eval();
  torch::jit::Module frozen = torch::jit::freeze(module_);
  module_ = torch::jit::optimize_for_inference(frozen);
}

torch::Tensor FrozenResNet::forward(const torch::Tensor& x) {
  c10::InferenceMode inference;
  return module_.forward({x.contiguous()}).toTensor();
}

}  // namespace swa
