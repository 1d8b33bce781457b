// swa-report's job for one folder of snapshots: which snapshots help, decided on the validation
// split, with the test split reported only for the final candidates. Returns typed results
// (lib/report/report.h); report_json.h writes them as report.json.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/data/cifar10.h"
#include "lib/data/tensor_file_examples.h"
#include "lib/report/candidate_scorer.h"
#include "lib/report/report.h"

namespace swa {

struct ReportRequest {
  std::string source;                  // the folder (or file list) the snapshots came from
  std::string state_dict_key;          // --key: PyTorch snapshots' state dict
  std::vector<std::string> snapshots;  // in epoch order
  CifarSource data;
  // A TorchScript file: candidates run in it instead of a built-in ResNet, on `data` (a CIFAR-10
  // folder, or a folder with train.*, val.*, test.* tensor files) or on the files below.
  std::string model;
  std::string bn_data, val_data, test_data;  // tensor files (lib/data/tensor_file_examples.h)
  TensorFileDataOptions tensors;
  int64_t bn_samples = 10000;  // training images for each BatchNorm re-estimation (CIFAR-10)
  uint64_t bn_seed = 0;
  double cpis_top_percent = 50;
  bool evaluate_test = true;
  ScoringOptions scoring;
  std::string log_prefix;  // a line per step on stderr after this prefix; empty: none
};

// Throws InputError (naming the file) for unreadable or incompatible snapshots or data.
Report build_report(const ReportRequest& request);

// The scoring model and its data for a request (lib/report/report_data.cpp): a built-in ResNet on
// CIFAR-10, or the request's TorchScript model on its data sources. Throws InputError naming the
// file when the data cannot be read or has no validation split.
std::unique_ptr<CandidateModel> report_candidate_model(const ReportRequest& request,
                                                       const SnapshotCollection& snapshots,
                                                       ComputeLedger& ledger);

// A shell-safe command line for `swa-average` + `swa-bn` on the given files, with the report's
// BatchNorm images (the same seeded subset and augmentation), so it writes the model scored.
std::string average_command(const std::vector<std::string>& files, const ReportRequest& request);

}  // namespace swa
