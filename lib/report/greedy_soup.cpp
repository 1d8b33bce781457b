#include "lib/report/greedy_soup.h"

#include <algorithm>
#include <numeric>

namespace swa {

GreedySoup greedy_soup(const std::vector<SubsetQuality>& individual, const SubsetScoring& score) {
  GreedySoup soup;
  if (individual.empty()) return soup;
  std::vector<int> order(individual.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return better_quality(individual[static_cast<size_t>(a)], individual[static_cast<size_t>(b)]);
  });
  soup.members = {order.front()};
  soup.quality = score(soup.members);
  soup.steps.push_back({order.front(), soup.quality, true});
  for (size_t i = 1; i < order.size(); ++i) {
    std::vector<int> trial = soup.members;
    trial.push_back(order[i]);
    std::sort(trial.begin(), trial.end());
    const SubsetQuality q = score(trial);
    const bool keep = q.top1 >= soup.quality.top1;
    soup.steps.push_back({order[i], q, keep});
    if (keep) {
      soup.members = trial;
      soup.quality = q;
    }
  }
  return soup;
}

}  // namespace swa
