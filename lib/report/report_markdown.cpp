#include "lib/report/report_markdown.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "lib/report/markdown_cell.h"

namespace swa {
namespace {

using json = nlohmann::json;

std::string num(const json& v, const char* format = "%.2f") { return markdown_cell(v, format); }

std::string signed_num(const json& v, const char* format = "%+.2f") { return num(v, format); }

std::string joined(const json& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n.get<std::string>();
  return s;
}

std::string metric_cells(const json& m) {
  if (!m.is_object()) return "– | – | –";
  return num(m["top1"]) + " | " + num(m["nll"], "%.4f") + " | " + num(m["ece"], "%.4f");
}

std::string flags(const json& f) {
  std::string s;
  if (f.value("overfitting", false)) s += "over-fitting ";
  if (f.value("underfitting", false)) s += "under-fitting ";
  return s.empty() ? "–" : s.substr(0, s.size() - 1);
}

std::string matrix_table(const json& names, const json& matrix, const char* format) {
  std::ostringstream t;
  t << "|  |";
  for (const auto& n : names) t << " " << n.get<std::string>() << " |";
  t << "\n|---|";
  for (size_t i = 0; i < names.size(); ++i) t << "---|";
  t << "\n";
  for (size_t i = 0; i < names.size(); ++i) {
    t << "| " << names[i].get<std::string>() << " |";
    for (const auto& v : matrix[i]) t << " " << num(v, format) << " |";
    t << "\n";
  }
  return t.str();
}

}  // namespace

std::string report_markdown(const json& r) {
  std::ostringstream md;
  const auto& rec = r["recommendation"];
  md << "# SWA report: " << r["source"].get<std::string>() << "\n\n"
     << r["snapshots"].size() << " snapshots of `" << r["arch"].get<std::string>()
     << "`; selection on " << r["data"]["validation_images"]
     << " validation images (held out of the training files), BatchNorm "
     << "re-estimated on " << r["data"]["bn_samples"]
     << " training images for every average; the test split ("
     << (r["data"]["test_images"].is_null() ? std::string("not evaluated")
                                            : r["data"]["test_images"].dump() + " images")
     << ") only for the final candidates. Made by " << r["producer"].get<std::string>() << " at "
     << r["created_utc"].get<std::string>() << "; compute "
     << num(r["compute"]["total_seconds"], "%.0f") << " s on "
     << r["compute"]["device"].get<std::string>() << " (" << r["compute"]["threads"] << " threads, "
     << num(r["compute"]["wall_seconds"], "%.0f") << " s wall).\n\n";
  for (const auto& w : r["warnings"]) md << "> **Warning:** " << w.get<std::string>() << "\n\n";

  md << "## Recommendation\n\n**" << rec["name"].get<std::string>()
     << "**: " << joined(rec["members"]) << ".\n\n"
     << rec["reason"].get<std::string>() << ".\n\n```sh\n"
     << rec["command"].get<std::string>() << "\n```\n\n";
  md << "| candidate | snapshots | val top-1 % | val NLL | val ECE | test top-1 % | test NLL | "
        "test ECE |\n"
     << "|---|---|---|---|---|---|---|---|\n";
  auto row = [&](const std::string& label, const json& c) {
    md << "| " << label << " | " << c["members"].size() << " | " << metric_cells(c["validation"])
       << " | " << metric_cells(c["test"]) << " |\n";
  };
  row("recommended (" + rec["name"].get<std::string>() + ")", rec);
  row("uniform average of all (SWA)", r["uniform_average"]);
  row("uniform average of all, BatchNorm averaged", r["uniform_average_bn_averaged"]);
  row("greedy soup", r["greedy_soup"]);
  row("best single snapshot (" + r["best_single"]["name"].get<std::string>() + ")",
      r["best_single"]);
  const double shortfall = r["swa_vs_best_single"]["shortfall_points"].get<double>();
  md << "\nSWA (the uniform average of all, BatchNorm re-estimated) is "
     << num(json(std::abs(shortfall))) << " validation points "
     << (shortfall > 0   ? "below"
         : shortfall < 0 ? "above"
                         : "level with")
     << " the best single snapshot.\n\n";
  if (!r["tail_averages"].empty()) {
    md << "Tail averages (the last k snapshots, BatchNorm re-estimated), on validation:\n\n"
       << "| last k | val top-1 % | val NLL | val ECE |\n|---|---|---|---|\n";
    for (const auto& t : r["tail_averages"]) {
      md << "| " << t["last"] << " | " << metric_cells(t["validation"]) << " |\n";
    }
    md << "\n";
  }

  md << "## Snapshots\n\n![validation accuracy per snapshot](accuracy.svg)\n\n"
     << "| snapshot | epoch | cycle | lr | stored train loss | stored train acc % | stored val "
        "loss | stored val acc % "
        "| val top-1 % | val NLL | val ECE | flags "
        "|\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& s : r["snapshots"]) {
    const auto& st = s["stored"];
    md << "| " << s["name"].get<std::string>() << " | " << s["epoch"] << " | " << s["cycle"]
       << " | " << num(s["lr"], "%.5g") << " | " << num(st["train_loss"], "%.4f") << " | "
       << num(st["train_acc"]) << " | " << num(st["val_loss"], "%.4f") << " | "
       << num(st["val_acc"]) << " | " << metric_cells(s["validation"]) << " | "
       << flags(s["fit_flags"]) << " |\n";
  }

  md << "\n## Leave-one-out\n\nThe uniform average without each snapshot (BatchNorm re-estimated), "
        "against the "
        "average of all: "
     << num(r["uniform_average"]["validation"]["top1"]) << " % top-1, NLL "
     << num(r["uniform_average"]["validation"]["nll"], "%.4f") << ".\n\n";
  if (r["leave_one_out"].empty()) {
    md << "Not applicable to a single snapshot.\n";
  } else {
    md << "![leave-one-out](leave-one-out.svg)\n\n| dropped | val top-1 % without | change | val "
          "NLL without | "
          "change | verdict |\n|---|---|---|---|---|---|\n";
    for (const auto& e : r["leave_one_out"]) {
      md << "| " << e["dropped"].get<std::string>() << " | " << num(e["validation_without"]["top1"])
         << " | " << signed_num(e["delta_top1"]) << " | "
         << num(e["validation_without"]["nll"], "%.4f") << " | "
         << signed_num(e["delta_nll"], "%+.4f") << " | "
         << (e["harmful"].get<bool>() ? "**hurts the average**" : "helps or neutral") << " |\n";
    }
  }

  md << "\n## Greedy soup\n\nSnapshots visited from the best validation accuracy down; each is "
        "kept only if the "
        "soup's validation accuracy does not drop (Wortsman et al. 2022).\n\n"
     << "| step | snapshot | own val top-1 % | soup val top-1 % with it | soup NLL | kept "
        "|\n|---|---|---|---|---|---|\n";
  int step = 1;
  for (const auto& s : r["greedy_soup"]["steps"]) {
    md << "| " << step++ << " | " << s["candidate"].get<std::string>() << " | "
       << num(s["individual_top1"]) << " | " << num(s["soup_top1"]) << " | "
       << num(s["soup_nll"], "%.4f") << " | " << (s["kept"].get<bool>() ? "yes" : "no") << " |\n";
  }
  md << "\nSoup: " << joined(r["greedy_soup"]["members"]) << ".\n";

  const auto& ens = r["ensemble"];
  md << "\n## Prediction ensemble vs weight average (validation)\n\n"
     << "| model | val top-1 % | val NLL | val ECE | forward passes per image | s per 1000 images "
        "|\n|---|---|---|---|---|---|\n"
     << "| weight average (SWA, all) | " << metric_cells(r["uniform_average"]["validation"])
     << " | 1 | " << num(r["uniform_average"]["seconds_per_1000_images"]) << " |\n"
     << "| ensemble of all (mean softmax) | " << metric_cells(ens["validation"]) << " | "
     << ens["forwards_per_image"] << " | " << num(ens["seconds_per_1000_images"]) << " |\n\n"
     << "The ensemble keeps " << ens["parameters_kept"] << " copies of the weights and costs "
     << ens["forwards_per_image"]
     << " forward passes per image; its accuracy differs from the average's by "
     << signed_num(ens["compared_with_uniform_average"]["delta_top1"]) << " points.\n";

  const auto& cov = r["output_covariance"];
  md << "\n## Output covariance\n\nCovariance of the snapshots' validation softmax outputs (one "
        "variable per "
        "snapshot). A snapshot's importance is the share of the leading components' variance it "
        "carries; "
     << cov["leading_components"]
     << " leading component(s): those with an eigenvalue above the mean (Kaiser).\n\n"
     << "![spectrum](spectrum.svg)\n\n| component | eigenvalue | share of variance "
        "|\n|---|---|---|\n";
  for (size_t k = 0; k < cov["eigenvalues"].size(); ++k) {
    md << "| " << k + 1 << " | " << num(cov["eigenvalues"][k], "%.4g") << " | "
       << num(cov["explained"][k], "%.4f") << " |\n";
  }
  md << "\n| snapshot | importance |\n|---|---|\n";
  for (const auto& e : cov["importance"])
    md << "| " << e["name"].get<std::string>() << " | " << num(e["importance"], "%.4f") << " |\n";
  md << "\nTop " << num(cov["top_percent"], "%.0f")
     << " %: " << joined(cov["top_subset"]["members"]) << "; their average scores "
     << metric_cells(cov["top_subset"]["validation"]) << " (val top-1 %, NLL, ECE).\n";

  const auto& pw = r["pairwise"];
  md << "\n## Pairwise\n\n![prediction disagreement](disagreement.svg)\n\nShare of validation "
        "images on which two "
        "snapshots predict different classes:\n\n"
     << matrix_table(pw["names"], pw["disagreement"], "%.3f")
     << "\nL2 distance between trained weights (norms: ";
  for (size_t i = 0; i < pw["weight_norm"].size(); ++i)
    md << (i ? ", " : "") << num(pw["weight_norm"][i], "%.1f");
  md << "):\n\n" << matrix_table(pw["names"], pw["weight_distance"], "%.2f");

  md << "\n## Compute\n\n| stage | seconds | images | passes |\n|---|---|---|---|\n";
  for (const auto& [stage, e] : r["compute"]["stages"].items()) {
    md << "| " << stage << " | " << num(e["seconds"], "%.1f") << " | " << e["images"] << " | "
       << e["passes"] << " |\n";
  }
  md << "| **total** | " << num(r["compute"]["total_seconds"], "%.1f") << " |  |  |\n";
  return md.str();
}

}  // namespace swa
