// Greedy soup (Wortsman et al. 2022, "Model soups", Recipe 1): visit the snapshots from the best
// validation accuracy down; add each to the soup only if the soup's validation accuracy does not
// drop. Ties in accuracy are broken by NLL, then by position.
#pragma once
#include <vector>

#include "lib/report/subset_quality.h"

namespace swa {

struct SoupStep {
  int candidate = 0;
  SubsetQuality with;  // the soup with this candidate added
  bool kept = false;
};

struct GreedySoup {
  std::vector<int> members;  // sorted
  SubsetQuality quality;
  std::vector<SoupStep> steps;  // the first snapshot starts the soup and is always kept
};

// `individual` holds each snapshot's own validation quality (it sets the visiting order).
GreedySoup greedy_soup(const std::vector<SubsetQuality>& individual, const SubsetScoring& score);

}  // namespace swa
