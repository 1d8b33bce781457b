// Small self-contained SVG charts (no scripts, no external styles): they render on GitHub, in a
// browser and in CI artefact viewers.
#pragma once
#include <string>
#include <vector>

namespace swa {

struct ReferenceLine {
  std::string label;
  double value = 0;
  std::string color = "#d62728";
};

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> labels;
  std::vector<double> values;
  std::vector<std::string> colors;  // per bar; empty: one colour
  std::vector<ReferenceLine> lines;
  bool zero_based = false;  // y axis from 0 (else fitted to the data)
};

struct HeatMap {
  std::string title;
  std::vector<std::string> labels;          // rows and columns
  std::vector<std::vector<double>> values;  // square, values in [0, max]
  std::string value_format = "%.3f";
};

std::string svg_bar_chart(const BarChart& chart);
std::string svg_heat_map(const HeatMap& map);

// Escapes &, <, >, " for SVG and XML text.
std::string xml_escape(const std::string& text);

}  // namespace swa
