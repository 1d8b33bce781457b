#include "lib/averaging/weighting.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "formats/input_error.h"

namespace swa {
namespace {

double parse_real(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    throw InputError(what + ": '" + text + "' is not a number");
  }
}

// w / sum(w), the sum taken after scaling by the largest weight: 1e308 twice overflows no sum.
std::vector<double> normalised(std::vector<double> w, const std::string& what) {
  const double largest = *std::max_element(w.begin(), w.end());
  if (!(largest > 0)) throw InputError(what + ": the weights sum to zero");
  double sum = 0;
  for (double& v : w) sum += (v /= largest);
  for (double& v : w) v /= sum;
  return w;
}

}  // namespace

std::string WeightingSpec::describe() const {
  std::ostringstream s;
  switch (kind) {
    case Kind::kUniform:
      return "uniform";
    case Kind::kExplicit:
      return "explicit";
    case Kind::kSoftmax:
      s << "softmax:" << (negate ? "-" : "") << metric << ":" << temperature;
      return s.str();
    case Kind::kEma:
      s << "ema:" << decay;
      return s.str();
  }
  return "unknown";
}

WeightingSpec parse_weighting(const std::string& weights_csv, const std::string& softmax_spec,
                              std::optional<double> ema_decay) {
  const int set = !weights_csv.empty() + !softmax_spec.empty() + ema_decay.has_value();
  if (set > 1) throw InputError("--weights, --weighting and --ema exclude each other: give one");
  WeightingSpec spec;
  if (!weights_csv.empty()) {
    spec.kind = WeightingSpec::Kind::kExplicit;
    std::stringstream ss(weights_csv);
    std::string item;
    while (std::getline(ss, item, ',')) {
      const double w = parse_real(item, "--weights");
      if (!(w >= 0) || !std::isfinite(w)) {
        throw InputError("--weights: '" + item + "' must be a finite, non-negative number");
      }
      spec.weights.push_back(w);
    }
  } else if (!softmax_spec.empty()) {
    // softmax:METRIC[:T]
    spec.kind = WeightingSpec::Kind::kSoftmax;
    std::vector<std::string> parts;
    std::stringstream ss(softmax_spec);
    std::string item;
    while (std::getline(ss, item, ':')) parts.push_back(item);
    if (parts.size() < 2 || parts.size() > 3 || parts[0] != "softmax" || parts[1].empty()) {
      throw InputError("--weighting: expected softmax:METRIC[:T], e.g. softmax:val_acc:0.5, got '" +
                       softmax_spec + "'");
    }
    spec.metric = parts[1];
    if (spec.metric[0] == '-') {
      spec.negate = true;
      spec.metric = spec.metric.substr(1);
    }
    meta_number(SnapshotMeta{}, spec.metric);  // rejects unknown field names now
    if (parts.size() == 3) spec.temperature = parse_real(parts[2], "--weighting temperature");
    if (!(spec.temperature > 0) || !std::isfinite(spec.temperature)) {
      throw InputError("--weighting: the temperature must be a positive number");
    }
  } else if (ema_decay) {
    if (!(*ema_decay >= 0 && *ema_decay < 1)) {
      std::ostringstream got;
      got << *ema_decay;
      throw InputError("--ema: DECAY must be a number in [0, 1), got " + got.str());
    }
    spec.kind = WeightingSpec::Kind::kEma;
    spec.decay = *ema_decay;
  }
  return spec;
}

std::vector<double> compute_weights(const WeightingSpec& spec,
                                    const std::vector<SnapshotMeta>& metas,
                                    const std::vector<std::string>& paths) {
  const size_t n = metas.size();
  switch (spec.kind) {
    case WeightingSpec::Kind::kUniform:
      return std::vector<double>(n, 1.0 / static_cast<double>(n));
    case WeightingSpec::Kind::kExplicit: {
      if (spec.weights.size() != n) {
        throw InputError("--weights: " + std::to_string(spec.weights.size()) + " weights for " +
                         std::to_string(n) + " selected snapshots");
      }
      return normalised(spec.weights, "--weights");
    }
    case WeightingSpec::Kind::kSoftmax: {
      std::vector<double> scores;
      for (size_t i = 0; i < n; ++i) {
        const double v = meta_number(metas[i], spec.metric);
        if (!std::isfinite(v)) {
          throw InputError(paths[i], "metadata has no value for '" + spec.metric +
                                         "', which --weighting " + spec.describe() + " needs");
        }
        scores.push_back((spec.negate ? -v : v) / spec.temperature);
      }
      const double top = *std::max_element(scores.begin(), scores.end());
      std::vector<double> w;
      for (double s : scores) w.push_back(std::exp(s - top));  // shifted: no overflow
      return normalised(w, "--weighting " + spec.describe());
    }
    case WeightingSpec::Kind::kEma: {
      std::vector<double> w(n);
      for (size_t k = 0; k < n; ++k) {
        const double tail = std::pow(spec.decay, static_cast<double>(n - 1 - k));
        w[k] = k == 0 ? tail : (1.0 - spec.decay) * tail;
      }
      return normalised(w, "--ema");
    }
  }
  return {};
}

}  // namespace swa
