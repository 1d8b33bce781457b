#include "lib/report/report_markdown.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "lib/report/markdown_cell.h"
#include "lib/runtime/plural.h"

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
  return num(m.at("top1")) + " | " + num(m.at("nll"), "%.4f") + " | " + num(m.at("ece"), "%.4f");
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

// The opening paragraph: what was compared, on which images, and the warnings.
void write_summary(std::ostringstream& md, const json& r) {
  md << "# SWA report: " << r.at("source").get<std::string>() << "\n\n"
     << count_of(r.at("snapshots").size(), "snapshot") << " of `" << r.at("arch").get<std::string>()
     << "`; selection on " << r.at("data").at("validation_images")
     << " validation images (held out of the training files), BatchNorm "
     << "re-estimated on " << r.at("data").at("bn_samples")
     << " training images for every average; the test split ("
     << (r.at("data").at("test_images").is_null()
             ? std::string("not evaluated")
             : r.at("data").at("test_images").dump() + " images")
     << ") only for the final candidates. Made by " << r.at("producer").get<std::string>() << " at "
     << r.at("created_utc").get<std::string>() << "; compute "
     << num(r.at("compute").at("total_seconds"), "%.0f") << " s on "
     << r.at("compute").at("device").get<std::string>() << " (" << r.at("compute").at("threads")
     << " threads, " << num(r.at("compute").at("wall_seconds"), "%.0f") << " s wall).\n\n";
  for (const auto& w : r.at("warnings")) md << "> **Warning:** " << w.get<std::string>() << "\n\n";
}

// The recommendation, its command, and every candidate against the best single snapshot.
void write_recommendation(std::ostringstream& md, const json& r) {
  const auto& rec = r.at("recommendation");
  md << "## Recommendation\n\n**" << rec.at("name").get<std::string>()
     << "**: " << joined(rec.at("members")) << ".\n\n"
     << rec.at("reason").get<std::string>() << ".\n\n```sh\n"
     << rec.at("command").get<std::string>() << "\n```\n\n";
  md << "| candidate | snapshots | val top-1 % | val NLL | val ECE | test top-1 % | test NLL | "
        "test ECE |\n"
     << "|---|---|---|---|---|---|---|---|\n";
  auto row = [&](const std::string& label, const json& c) {
    md << "| " << label << " | " << c.at("members").size() << " | "
       << metric_cells(c.at("validation")) << " | " << metric_cells(c.at("test")) << " |\n";
  };
  row("recommended (" + rec.at("name").get<std::string>() + ")", rec);
  row("uniform average of all (SWA)", r.at("uniform_average"));
  row("uniform average of all, BatchNorm averaged", r.at("uniform_average_bn_averaged"));
  row("greedy soup", r.at("greedy_soup"));
  row("best single snapshot (" + r.at("best_single").at("name").get<std::string>() + ")",
      r.at("best_single"));
  const double shortfall = r.at("swa_vs_best_single").at("shortfall_points").get<double>();
  md << "\nSWA (the uniform average of all, BatchNorm re-estimated) is "
     << num(json(std::abs(shortfall))) << " validation points "
     << (shortfall > 0   ? "below"
         : shortfall < 0 ? "above"
                         : "level with")
     << " the best single snapshot.\n\n";
  if (!r.at("tail_averages").empty()) {
    md << "Tail averages (the last k snapshots, BatchNorm re-estimated), on validation:\n\n"
       << "| last k | val top-1 % | val NLL | val ECE |\n|---|---|---|---|\n";
    for (const auto& t : r.at("tail_averages")) {
      md << "| " << t.at("last") << " | " << metric_cells(t.at("validation")) << " |\n";
    }
    md << "\n";
  }
}

// Each snapshot: what its file says and its own validation score.
void write_snapshots(std::ostringstream& md, const json& r) {
  md << "## Snapshots\n\n![validation accuracy per snapshot](accuracy.svg)\n\n"
     << "| snapshot | epoch | cycle | lr | stored train loss | stored train acc % | stored val "
        "loss | stored val acc % "
        "| val top-1 % | val NLL | val ECE | flags "
        "|\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& s : r.at("snapshots")) {
    const auto& st = s.at("stored");
    md << "| " << s.at("name").get<std::string>() << " | " << s.at("epoch") << " | "
       << s.at("cycle") << " | " << num(s.at("lr"), "%.5g") << " | "
       << num(st.at("train_loss"), "%.4f") << " | " << num(st.at("train_acc")) << " | "
       << num(st.at("val_loss"), "%.4f") << " | " << num(st.at("val_acc")) << " | "
       << metric_cells(s.at("validation")) << " | " << flags(s.at("fit_flags")) << " |\n";
  }
}

// The uniform average without each snapshot.
void write_leave_one_out(std::ostringstream& md, const json& r) {
  md << "\n## Leave-one-out\n\nThe uniform average without each snapshot (BatchNorm re-estimated), "
        "against the "
        "average of all: "
     << num(r.at("uniform_average").at("validation").at("top1")) << " % top-1, NLL "
     << num(r.at("uniform_average").at("validation").at("nll"), "%.4f") << ".\n\n";
  if (r.at("leave_one_out").empty()) {
    md << "Not applicable to a single snapshot.\n";
  } else {
    md << "![leave-one-out](leave-one-out.svg)\n\n| dropped | val top-1 % without | change | val "
          "NLL without | "
          "change | verdict |\n|---|---|---|---|---|---|\n";
    for (const auto& e : r.at("leave_one_out")) {
      md << "| " << e.at("dropped").get<std::string>() << " | "
         << num(e.at("validation_without").at("top1")) << " | " << signed_num(e.at("delta_top1"))
         << " | " << num(e.at("validation_without").at("nll"), "%.4f") << " | "
         << signed_num(e.at("delta_nll"), "%+.4f") << " | "
         << (e.at("harmful").get<bool>() ? "**hurts the average**" : "helps or neutral") << " |\n";
    }
  }
}

// The greedy soup, step by step.
void write_greedy_soup(std::ostringstream& md, const json& r) {
  md << "\n## Greedy soup\n\nSnapshots visited from the best validation accuracy down; each is "
        "kept only if the "
        "soup's validation accuracy does not drop (Wortsman et al. 2022).\n\n"
     << "| step | snapshot | own val top-1 % | soup val top-1 % with it | soup NLL | kept "
        "|\n|---|---|---|---|---|---|\n";
  int step = 1;
  for (const auto& s : r.at("greedy_soup").at("steps")) {
    md << "| " << step++ << " | " << s.at("candidate").get<std::string>() << " | "
       << num(s.at("individual_top1")) << " | " << num(s.at("soup_top1")) << " | "
       << num(s.at("soup_nll"), "%.4f") << " | " << (s.at("kept").get<bool>() ? "yes" : "no")
       << " |\n";
  }
  md << "\nSoup: " << joined(r.at("greedy_soup").at("members")) << ".\n";
}

// The prediction ensemble against the weight average.
void write_ensemble(std::ostringstream& md, const json& r) {
  const auto& ens = r.at("ensemble");
  md << "\n## Prediction ensemble vs weight average (validation)\n\n"
     << "| model | val top-1 % | val NLL | val ECE | forward passes per image | s per 1000 images "
        "|\n|---|---|---|---|---|---|\n"
     << "| weight average (SWA, all) | " << metric_cells(r.at("uniform_average").at("validation"))
     << " | 1 | " << num(r.at("uniform_average").at("seconds_per_1000_images")) << " |\n"
     << "| ensemble of all (mean softmax) | " << metric_cells(ens.at("validation")) << " | "
     << ens.at("forwards_per_image") << " | " << num(ens.at("seconds_per_1000_images")) << " |\n\n"
     << "The ensemble keeps " << ens.at("parameters_kept") << " copies of the weights and costs "
     << ens.at("forwards_per_image")
     << " forward passes per image; its accuracy differs from the average's by "
     << signed_num(ens.at("compared_with_uniform_average").at("delta_top1")) << " points.\n";
}

// The spectrum of the snapshots' output covariance and their importance.
void write_covariance(std::ostringstream& md, const json& r) {
  const auto& cov = r.at("output_covariance");
  md << "\n## Output covariance\n\nCovariance of the snapshots' validation softmax outputs (one "
        "variable per "
        "snapshot). A snapshot's importance is the share of the leading components' variance it "
        "carries; "
     << cov.at("leading_components")
     << " leading component(s): those with an eigenvalue above the mean (Kaiser).\n\n"
     << "![spectrum](spectrum.svg)\n\n| component | eigenvalue | share of variance "
        "|\n|---|---|---|\n";
  for (size_t k = 0; k < cov.at("eigenvalues").size(); ++k) {
    md << "| " << k + 1 << " | " << num(cov.at("eigenvalues").at(k), "%.4g") << " | "
       << num(cov.at("explained").at(k), "%.4f") << " |\n";
  }
  md << "\n| snapshot | importance |\n|---|---|\n";
  for (const auto& e : cov.at("importance"))
    md << "| " << e.at("name").get<std::string>() << " | " << num(e.at("importance"), "%.4f")
       << " |\n";
  md << "\nTop " << num(cov.at("top_percent"), "%.0f")
     << " %: " << joined(cov.at("top_subset").at("members")) << "; their average scores "
     << metric_cells(cov.at("top_subset").at("validation")) << " (val top-1 %, NLL, ECE).\n";
}

// Prediction disagreement and weight distance between snapshots.
void write_pairwise(std::ostringstream& md, const json& r) {
  const auto& pw = r.at("pairwise");
  md << "\n## Pairwise\n\n![prediction disagreement](disagreement.svg)\n\nShare of validation "
        "images on which two "
        "snapshots predict different classes:\n\n"
     << matrix_table(pw.at("names"), pw.at("disagreement"), "%.3f")
     << "\nL2 distance between trained weights (norms: ";
  for (size_t i = 0; i < pw.at("weight_norm").size(); ++i)
    md << (i ? ", " : "") << num(pw.at("weight_norm").at(i), "%.1f");
  md << "):\n\n" << matrix_table(pw.at("names"), pw.at("weight_distance"), "%.2f");
}

// Where the time went.
void write_compute(std::ostringstream& md, const json& r) {
  md << "\n## Compute\n\n| stage | seconds | images | passes |\n|---|---|---|---|\n";
  for (const auto& [stage, e] : r.at("compute").at("stages").items()) {
    md << "| " << stage << " | " << num(e.at("seconds"), "%.1f") << " | " << e.at("images") << " | "
       << e.at("passes") << " |\n";
  }
  md << "| **total** | " << num(r.at("compute").at("total_seconds"), "%.1f") << " |  |  |\n";
}

}  // namespace

std::string report_markdown(const json& r) {
  std::ostringstream md;
  write_summary(md, r);
  write_recommendation(md, r);
  write_snapshots(md, r);
  write_leave_one_out(md, r);
  write_greedy_soup(md, r);
  write_ensemble(md, r);
  write_covariance(md, r);
  write_pairwise(md, r);
  write_compute(md, r);
  return md.str();
}
}  // namespace swa
