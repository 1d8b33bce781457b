// The data a report scores on, and the model it runs (report_candidate_model, build_report.h).
#include <filesystem>

#include "formats/input_error.h"
#include "lib/data/cifar10_examples.h"
#include "lib/data/image_batches.h"
#include "lib/data/open_example_source.h"
#include "lib/report/build_report.h"

namespace swa {
namespace {

std::unique_ptr<CandidateModel> builtin_model(const ReportRequest& req,
                                              const SnapshotCollection& snaps) {
  if (names_tensor_file(req.data.dir) || !req.bn_data.empty() || !req.val_data.empty()) {
    throw InputError("--data",
                     "tensor files are read with --model (a TorchScript file of the "
                     "architecture); the built-in ResNets read CIFAR-10 folders");
  }
  const ImageSet train = load_cifar10(req.data, Split::kTrain);
  ImageSet validation = load_cifar10(req.data, Split::kValidation);
  ImageSet test;
  if (req.evaluate_test) test = load_cifar10(req.data, Split::kTest);
  if (validation.size() == 0) {
    throw InputError(req.data.dir,
                     "the report needs a validation split: --val-size must be positive");
  }
  ImageSet batchnorm = train.subset(seeded_subset(train.size(), req.bn_samples, req.bn_seed));
  return builtin_candidate_model(snaps.arch(), snaps.num_classes(), std::move(batchnorm),
                                 std::move(validation), std::move(test),
                                 cifar10_class_names(req.data.dir), req.scoring.device);
}

// `dir`/`stem`.{safetensors,h5,pt}, if one exists.
std::string split_file(const std::string& dir, const std::string& stem) {
  for (const char* ext : {".safetensors", ".h5", ".pt"}) {
    const auto path = std::filesystem::path(dir) / (stem + ext);
    if (std::filesystem::is_regular_file(path)) return path.string();
  }
  return "";
}

// --bn-data, --val-data, --test-data, or a folder's train.*, val.*, test.*.
ReportRequest with_split_files(ReportRequest req) {
  if (!req.bn_data.empty() || !req.val_data.empty()) return req;
  if (req.data.dir.empty() || !std::filesystem::is_directory(req.data.dir) ||
      split_file(req.data.dir, "val").empty()) {
    return req;
  }
  req.bn_data = split_file(req.data.dir, "train");
  req.val_data = split_file(req.data.dir, "val");
  req.test_data = split_file(req.data.dir, "test");
  return req;
}

std::unique_ptr<ExampleSource> tensor_split(const std::string& path, const ReportRequest& req,
                                            bool labels_required, const char* flag) {
  if (path.empty()) throw InputError(flag, "required with --model and tensor files");
  TensorFileDataOptions options = req.tensors;
  options.labels_required = labels_required;
  return open_tensor_file_examples(path, options);
}

}  // namespace

std::unique_ptr<CandidateModel> report_candidate_model(const ReportRequest& request,
                                                       const SnapshotCollection& snaps,
                                                       ComputeLedger& ledger) {
  StageTimer t(ledger, "reading data");
  if (request.model.empty()) return builtin_model(request, snaps);
  const ReportRequest req = with_split_files(request);
  if (req.bn_data.empty() && req.val_data.empty()) {  // a CIFAR-10 folder
    const CifarSource& cifar = req.data;
    if (cifar.validation_size == 0) {
      throw InputError(cifar.dir,
                       "the report needs a validation split: --val-size must be positive");
    }
    return scripted_candidate_model(
        req.model, open_cifar10_examples(cifar, Split::kTrain, req.bn_samples, req.bn_seed),
        open_cifar10_examples(cifar, Split::kValidation),
        req.evaluate_test ? open_cifar10_examples(cifar, Split::kTest) : nullptr);
  }
  return scripted_candidate_model(req.model, tensor_split(req.bn_data, req, false, "--bn-data"),
                                  tensor_split(req.val_data, req, true, "--val-data"),
                                  req.evaluate_test && !req.test_data.empty()
                                      ? tensor_split(req.test_data, req, true, "--test-data")
                                      : nullptr);
}

}  // namespace swa
