#include "lib/training/epoch_stats.h"

#include <cstdio>
#include <vector>

#include "formats/input_error.h"
#include "lib/data/image_batches.h"
#include "lib/evaluation/classification_metrics.h"
#include "lib/training/train_run.h"

namespace swa {

void PendingSums::add(const torch::Tensor& mean_loss, const torch::Tensor& logits,
                      const torch::Tensor& y) {
  const int64_t n = y.size(0);
  auto loss = mean_loss.detach().to(torch::kDouble) * static_cast<double>(n);
  auto hits = logits.detach().argmax(1).eq(y).sum();
  loss_sum = loss_sum.defined() ? loss_sum + loss : loss;
  correct = correct.defined() ? correct + hits : hits;
  seen += n;
  ++steps;
}

bool PendingSums::flush_into(EpochStats& stats, const Ranks& ranks, int& stop) {
  if (steps == 0 && !ranks.several()) return true;  // ranks read back at the same steps
  double loss = loss_sum.defined() ? loss_sum.item<double>() : 0.0;
  int64_t hits = correct.defined() ? correct.item<int64_t>() : 0, count = seen;
  if (ranks.several()) {
    std::vector<torch::Tensor> sums{torch::tensor(
        {loss, static_cast<double>(hits), static_cast<double>(count)}, torch::kDouble)};
    std::vector<torch::Tensor> signal{torch::tensor({static_cast<int64_t>(stop)}, torch::kLong)};
    ranks.sum(sums, "summing the training loss");
    ranks.maximum(signal, "agreeing to stop");
    loss = sums[0][0].item<double>();
    hits = static_cast<int64_t>(sums[0][1].item<double>());
    count = static_cast<int64_t>(sums[0][2].item<double>());
    stop = static_cast<int>(signal[0].item<int64_t>());
  }
  stats.loss_sum += loss;
  stats.correct += hits;
  stats.seen += count;
  *this = PendingSums{};
  return std::isfinite(loss);
}

Validation validate_epoch(ResNet& model, const ImageSet& val, const TrainConfig& c,
                          torch::Device device, const Ranks& ranks) {
  if (val.size() == 0) return {};
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<std::pair<int64_t, torch::Tensor>> outs;
  for (int64_t b = 0, k = 0; b < val.size(); b += c.eval_batch_size, ++k) {
    if (!ranks.owns_batch(k)) continue;
    auto x = normalize_cifar(
        val.images.slice(0, b, std::min(val.size(), b + c.eval_batch_size)).to(device));
    outs.emplace_back(b, model->forward(x));
  }
  model->train();
  const auto m = classification_metrics(
      ranks.assemble_rows(outs, val.size(), kCifarClasses, "validation"), val.labels);
  return {m.nll, m.top1};
}

// The rule of train_run.h: far above chance level is diverging, not learning slowly.
void stop_if_diverging(const EpochStats& stats, const Validation& v, int64_t epoch) {
  const double chance = std::log(static_cast<double>(kCifarClasses));
  char why[200] = "";
  if (stats.loss() > kDivergedTrainLossFactor * chance) {
    std::snprintf(why, sizeof why, "mean training loss %.3g is above %.0fx chance level (%.2f)",
                  stats.loss(), kDivergedTrainLossFactor, kDivergedTrainLossFactor * chance);
  } else if (!std::isnan(v.loss) && !std::isfinite(v.loss)) {
    std::snprintf(why, sizeof why, "validation loss is not finite");
  } else if (v.loss > kDivergedValLossFactor * chance && stats.loss() > chance) {
    std::snprintf(
        why, sizeof why,
        "validation loss %.3g is above %.0fx chance level (%.2f) and the training loss %.3g is "
        "not below chance level",
        v.loss, kDivergedValLossFactor, kDivergedValLossFactor * chance, stats.loss());
  }
  if (*why) {
    throw InputError("training is diverging in epoch " + std::to_string(epoch + 1) + ": " + why +
                     "; no snapshot of it is written. Lower --lr, or add --warmup-epochs");
  }
}

nlohmann::json epoch_log_line(int64_t epoch, int64_t step, double lr, const EpochStats& stats,
                              const Validation& v, const FitFlags& fit, double seconds) {
  return {{"epoch", epoch + 1},
          {"step", step},
          {"lr", lr},
          {"train_loss", stats.loss()},
          {"train_acc", stats.accuracy()},
          {"val_loss", std::isnan(v.loss) ? nlohmann::json() : nlohmann::json(v.loss)},
          {"val_acc", std::isnan(v.accuracy) ? nlohmann::json() : nlohmann::json(v.accuracy)},
          {"flags", fit.to_json()},
          {"seconds", seconds}};
}

void print_epoch_line(int64_t epoch, int64_t epochs, double lr, const EpochStats& stats,
                      const Validation& v, const FitFlags& fit) {
  std::fprintf(
      stderr,
      "epoch %lld/%lld  lr %.5f  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%%s%s\n",
      static_cast<long long>(epoch + 1), static_cast<long long>(epochs), lr, stats.loss(),
      stats.accuracy(), v.loss, v.accuracy, fit.overfitting ? "  [over-fitting]" : "",
      fit.underfitting ? "  [under-fitting]" : "");
}

}  // namespace swa
