#include "lib/models/resnet.h"

#include "lib/distributed/sync_batchnorm.h"
#include "lib/models/batchnorm_folding.h"

namespace swa {
namespace {

constexpr int64_t kBottleneckExpansion = 4;

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

using Settings = std::shared_ptr<const ForwardSettings>;

// Every convolution here pads by half its kernel (conv() above).
std::vector<int64_t> padding_of(const torch::nn::Conv2dImpl& conv) {
  const torch::IntArrayRef kernel = conv.options.kernel_size();
  return {kernel[0] / 2, kernel[1] / 2};
}

// An input in oneDNN's layout meets its prepacked weights; any other goes through the module.
torch::Tensor convolve(torch::nn::Conv2dImpl& conv, const torch::Tensor& x,
                       const ForwardSettings& settings) {
  if (!x.is_mkldnn()) return conv.forward(x);
  const auto packed = settings.onednn_weights.find(&conv);
  TORCH_CHECK(packed != settings.onednn_weights.end(),
              "a oneDNN-layout input needs the model's prepack_for_onednn() first");
  return at::mkldnn_convolution(x, packed->second, conv.bias, padding_of(conv),
                                conv.options.stride(), conv.options.dilation(),
                                conv.options.groups());
}

torch::Tensor batchnorm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                        const ForwardSettings& settings) {
  if (settings.ranks && bn.is_training()) return sync_batchnorm_forward(bn, x, *settings.ranks);
  return bn.forward(x);
}

torch::Tensor conv_bn(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn, const torch::Tensor& x,
                      bool folded, const Settings& settings) {
  const torch::Tensor y = convolve(*conv, x, *settings);
  return folded ? y : batchnorm(*bn, y, *settings);
}

// The projection shortcut is Sequential(conv, bn), as in torchvision; identity when null.
torch::Tensor shortcut(torch::nn::Sequential& downsample, const torch::Tensor& x, bool folded,
                       const Settings& settings) {
  if (downsample.is_empty()) return x;
  const torch::Tensor projected = convolve(*downsample[0]->as<torch::nn::Conv2d>(), x, *settings);
  if (folded) return projected;
  return batchnorm(*downsample[1]->as<torch::nn::BatchNorm2d>(), projected, *settings);
}

void fold_shortcut(torch::nn::Sequential& downsample) {
  if (downsample.is_empty()) return;
  fold_batchnorm_into_conv(*downsample[0]->as<torch::nn::Conv2d>(),
                           *downsample[1]->as<torch::nn::BatchNorm2d>());
}

// Registered in torchvision's order: conv1, bn1, conv2, bn2, downsample. ReLU and the residual
// add run in place, as torchvision's (inplace=True, out += identity): less memory traffic.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, torch::nn::Sequential downsample,
                 Settings settings)
      : settings(std::move(settings)),
        conv1(register_module("conv1", conv(inplanes, planes, /*kernel=*/3, stride))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(planes))),
        conv2(register_module("conv2", conv(planes, planes, /*kernel=*/3, /*stride=*/1))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(planes))),
        downsample(downsample) {
    if (!downsample.is_empty()) register_module("downsample", downsample);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto out = conv_bn(conv1, bn1, x, folded, settings).relu_();
    out = conv_bn(conv2, bn2, out, folded, settings);
    return out.add_(shortcut(downsample, x, folded, settings)).relu_();
  }

  void fold() {
    fold_batchnorm_into_conv(*conv1, *bn1);
    fold_batchnorm_into_conv(*conv2, *bn2);
    fold_shortcut(downsample);
    folded = true;
  }

  bool folded = false;
  Settings settings;

  // Declared in registration order: members are initialised, and so registered, in this order.
  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  torch::nn::Sequential downsample;
};
TORCH_MODULE(BasicBlock);

// torchvision's ResNet v1.5: the stride sits on the 3x3 convolution.
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, torch::nn::Sequential downsample,
                 Settings settings)
      : settings(std::move(settings)),
        conv1(register_module("conv1", conv(inplanes, planes, /*kernel=*/1, /*stride=*/1))),
        bn1(register_module("bn1", torch::nn::BatchNorm2d(planes))),
        conv2(register_module("conv2", conv(planes, planes, /*kernel=*/3, stride))),
        bn2(register_module("bn2", torch::nn::BatchNorm2d(planes))),
        conv3(
            register_module("conv3", conv(planes, planes * kBottleneckExpansion, /*kernel=*/1, 1))),
        bn3(register_module("bn3", torch::nn::BatchNorm2d(planes * kBottleneckExpansion))),
        downsample(downsample) {
    if (!downsample.is_empty()) register_module("downsample", downsample);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto out = conv_bn(conv1, bn1, x, folded, settings).relu_();
    out = conv_bn(conv2, bn2, out, folded, settings).relu_();
    out = conv_bn(conv3, bn3, out, folded, settings);
    return out.add_(shortcut(downsample, x, folded, settings)).relu_();
  }

  void fold() {
    fold_batchnorm_into_conv(*conv1, *bn1);
    fold_batchnorm_into_conv(*conv2, *bn2);
    fold_batchnorm_into_conv(*conv3, *bn3);
    fold_shortcut(downsample);
    folded = true;
  }

  bool folded = false;
  Settings settings;

  torch::nn::Conv2d conv1;
  torch::nn::BatchNorm2d bn1;
  torch::nn::Conv2d conv2;
  torch::nn::BatchNorm2d bn2;
  torch::nn::Conv2d conv3;
  torch::nn::BatchNorm2d bn3;
  torch::nn::Sequential downsample;
};
TORCH_MODULE(Bottleneck);

}  // namespace

ResNetImpl::ResNetImpl(const ResNetSpec& spec, int64_t num_classes)
    : spec_(spec), num_classes_(num_classes), inplanes_(spec.width) {
  TORCH_CHECK(num_classes > 0, "num_classes must be positive");
  const bool cifar = spec.stem == Stem::kCifar;
  conv1 = register_module("conv1", cifar ? conv(3, inplanes_, /*kernel=*/3, /*stride=*/1)
                                         : conv(3, inplanes_, /*kernel=*/7, /*stride=*/2));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(inplanes_));
  const auto blocks = spec.blocks_per_stage();
  const int64_t w = spec.width;
  layer1 = register_module("layer1", make_stage(w, blocks[0], 1));
  layer2 = register_module("layer2", make_stage(2 * w, blocks[1], 2));
  layer3 = register_module("layer3", make_stage(4 * w, blocks[2], 2));
  layer4 = register_module("layer4", make_stage(8 * w, blocks[3], 2));
  fc = register_module("fc", torch::nn::Linear(inplanes_, num_classes));

  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, /*a=*/0, torch::kFanOut, torch::kReLU);
    } else if (auto* b = m->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(b->weight);
      torch::nn::init::zeros_(b->bias);
    }
  }
}

torch::nn::Sequential ResNetImpl::make_stage(int64_t planes, int blocks, int64_t stride) {
  const bool bottleneck = spec_.block() == BlockKind::kBottleneck;
  const int64_t expansion = bottleneck ? kBottleneckExpansion : 1;
  torch::nn::Sequential stage;
  for (int i = 0; i < blocks; ++i) {
    const int64_t s = i == 0 ? stride : 1;
    torch::nn::Sequential downsample{nullptr};  // null: no shortcut projection
    if (i == 0 && (s != 1 || inplanes_ != planes * expansion)) {
      downsample = torch::nn::Sequential(conv(inplanes_, planes * expansion, /*kernel=*/1, s),
                                         torch::nn::BatchNorm2d(planes * expansion));
    }
    if (bottleneck) {
      stage->push_back(Bottleneck(inplanes_, planes, s, downsample, settings_));
    } else {
      stage->push_back(BasicBlock(inplanes_, planes, s, downsample, settings_));
    }
    inplanes_ = planes * expansion;
  }
  return stage;
}

void ResNetImpl::fold_batchnorm() {
  if (folded_) return;
  fold_batchnorm_into_conv(*conv1, *bn1);
  for (auto* stage : {&layer1, &layer2, &layer3, &layer4}) {
    for (auto& block : *(*stage)) {
      if (auto* b = block.ptr()->as<BasicBlock>()) b->fold();
      if (auto* b = block.ptr()->as<Bottleneck>()) b->fold();
    }
  }
  folded_ = true;
}

torch::Tensor ResNetImpl::forward(torch::Tensor x) {
  x = conv_bn(conv1, bn1, x, folded_, settings_).relu_();
  if (spec_.stem == Stem::kImagenet) {
    x = torch::max_pool2d(x, /*kernel_size=*/3, /*stride=*/2, /*padding=*/1);
  }
  x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
  x = torch::adaptive_avg_pool2d(x, {1, 1});
  if (x.is_mkldnn()) x = x.to_dense();
  return fc(x.flatten(1));
}

void ResNetImpl::prepack_for_onednn() {
  TORCH_CHECK(!folded_, "prepack_for_onednn: give it the model before BatchNorm folding");
  torch::NoGradGuard no_grad;
  settings_->onednn_weights.clear();
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<torch::nn::Conv2d>()) {
      TORCH_CHECK(conv->weight.device().is_cpu(), "oneDNN weights are for the CPU");
      settings_->onednn_weights[conv] = at::mkldnn_reorder_conv2d_weight(
          conv->weight.contiguous().to_mkldnn(), padding_of(*conv), conv->options.stride(),
          conv->options.dilation(), conv->options.groups());
    }
  }
}

ResNet make_resnet(const std::string& arch, int64_t num_classes) {
  return ResNet(parse_architecture(arch), num_classes);
}

void use_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

}  // namespace swa
