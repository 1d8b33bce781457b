#include "lib/report/report_charts.h"

#include "lib/report/svg_charts.h"

namespace swa {

std::map<std::string, std::string> report_charts(const nlohmann::json& r) {
  std::map<std::string, std::string> out;
  BarChart acc;
  acc.title = "Validation accuracy per snapshot (own BatchNorm)";
  acc.y_label = "top-1 %";
  for (const auto& s : r.at("snapshots")) {
    acc.labels.push_back(s.at("name").get<std::string>());
    acc.values.push_back(s.at("validation").at("top1").get<double>());
    acc.colors.push_back(s.at("name") == r.at("best_single").at("name") ? "#2ca02c" : "#1f77b4");
  }
  acc.lines.push_back(
      {"SWA (all)", r.at("uniform_average").at("validation").at("top1").get<double>(), "#d62728"});
  acc.lines.push_back(
      {"greedy soup", r.at("greedy_soup").at("validation").at("top1").get<double>(), "#ff7f0e"});
  acc.lines.push_back(
      {"ensemble", r.at("ensemble").at("validation").at("top1").get<double>(), "#9467bd"});
  out["accuracy.svg"] = svg_bar_chart(acc);

  BarChart loo;
  loo.title = "Leave-one-out: validation accuracy change when dropped";
  loo.y_label = "points (positive: dropping helps)";
  loo.zero_based = true;
  for (const auto& e : r.at("leave_one_out")) {
    loo.labels.push_back(e.at("dropped").get<std::string>());
    loo.values.push_back(e.at("delta_top1").get<double>());
    loo.colors.push_back(e.at("harmful").get<bool>() ? "#d62728" : "#7f7f7f");
  }
  out["leave-one-out.svg"] = svg_bar_chart(loo);

  HeatMap dis;
  dis.title = "Prediction disagreement (share of validation images)";
  for (const auto& n : r.at("pairwise").at("names")) dis.labels.push_back(n.get<std::string>());
  dis.values = r.at("pairwise").at("disagreement").get<std::vector<std::vector<double>>>();
  out["disagreement.svg"] = svg_heat_map(dis);

  BarChart spectrum;
  spectrum.title = "Output covariance spectrum";
  spectrum.y_label = "share of variance";
  spectrum.zero_based = true;
  int k = 1;
  for (const auto& e : r.at("output_covariance").at("explained")) {
    spectrum.labels.push_back("component " + std::to_string(k));
    spectrum.colors.push_back(
        k <= r.at("output_covariance").at("leading_components").get<int>() ? "#1f77b4" : "#c7c7c7");
    spectrum.values.push_back(e.get<double>());
    ++k;
  }
  out["spectrum.svg"] = svg_bar_chart(spectrum);
  return out;
}

}  // namespace swa
