#include "lib/report/svg_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace swa {
namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) for about `count` ticks over `span`.
double tick_step(double span, int count) {
  if (span <= 0) return 1;
  const double raw = span / count;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

constexpr int kWidth = 760, kHeight = 380, kLeft = 70, kRight = 170, kTop = 40, kBottom = 100;

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string svg_bar_chart(const BarChart& c) {
  std::vector<double> all = c.values;
  for (const auto& l : c.lines) all.push_back(l.value);
  double lo = all.empty() ? 0 : *std::min_element(all.begin(), all.end());
  double hi = all.empty() ? 1 : *std::max_element(all.begin(), all.end());
  if (c.zero_based || lo < 0) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (hi - lo < 1e-12) hi = lo + 1;
  const double step = tick_step(hi - lo, 5);
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  if (!c.zero_based && !all.empty() && lo > 0 && lo == *std::min_element(all.begin(), all.end()))
    lo -= step;  // the lowest bar stays visible
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto y = [&](double v) { return kTop + plot_h * (hi - v) / (hi - lo); };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
    << "\" viewBox=\"0 0 " << kWidth << " " << kHeight
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << kWidth / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
    << xml_escape(c.title) << "</text>\n";
  for (double t = lo; t <= hi + step / 2; t += step) {
    s << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << y(t) << "\" y2=\""
      << y(t) << "\" stroke=\"#e0e0e0\"/>\n<text x=\"" << kLeft - 6 << "\" y=\"" << y(t) + 4
      << "\" text-anchor=\"end\">"
      << fmt(step < 0.1 ? "%.3g" : "%.4g", std::abs(t) < step * 1e-9 ? 0.0 : t) << "</text>\n";
  }
  s << "<text transform=\"translate(16," << kTop + plot_h / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(c.y_label) << "</text>\n";
  const size_t n = c.values.size();
  const double slot = n ? plot_w / static_cast<double>(n) : plot_w;
  const double base =
      y(std::clamp(0.0, lo, hi));  // bars grow from 0, or from the axis when 0 is below it
  for (size_t i = 0; i < n; ++i) {
    const double x = kLeft + slot * static_cast<double>(i) + slot * 0.15;
    const double top = std::min(y(c.values[i]), base), bottom = std::max(y(c.values[i]), base);
    const std::string color = i < c.colors.size() ? c.colors[i] : "#1f77b4";
    s << "<rect x=\"" << x << "\" y=\"" << top << "\" width=\"" << slot * 0.7 << "\" height=\""
      << std::max(1.0, bottom - top) << "\" fill=\"" << color << "\"><title>"
      << xml_escape(i < c.labels.size() ? c.labels[i] : "") << ": " << fmt("%.4g", c.values[i])
      << "</title></rect>\n";
    const double cx = x + slot * 0.35, ly = kTop + plot_h + 12;
    s << "<text transform=\"translate(" << cx << "," << ly
      << ") rotate(40)\" text-anchor=\"start\">"
      << xml_escape(i < c.labels.size() ? c.labels[i] : "") << "</text>\n";
  }
  s << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << kTop + plot_h
    << "\" y2=\"" << kTop + plot_h << "\" stroke=\"black\"/>\n";
  if (lo < 0) {
    s << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << base << "\" y2=\""
      << base << "\" stroke=\"black\"/>\n";
  }
  for (size_t k = 0; k < c.lines.size(); ++k) {
    const auto& l = c.lines[k];
    s << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << y(l.value)
      << "\" y2=\"" << y(l.value) << "\" stroke=\"" << l.color
      << "\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n";
    const double ly = kTop + 14 + 18 * static_cast<double>(k);
    s << "<line x1=\"" << kLeft + plot_w + 10 << "\" x2=\"" << kLeft + plot_w + 34 << "\" y1=\""
      << ly - 4 << "\" y2=\"" << ly - 4 << "\" stroke=\"" << l.color
      << "\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"
      << "<text x=\"" << kLeft + plot_w + 38 << "\" y=\"" << ly << "\">" << xml_escape(l.label)
      << " " << fmt("%.4g", l.value) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

std::string svg_heat_map(const HeatMap& m) {
  const size_t n = m.labels.size();
  const double cell = std::clamp(480.0 / std::max<size_t>(n, 1), 14.0, 60.0);
  const int left = 130, top = 50, bottom = 110;
  const int width = left + static_cast<int>(cell * n) + 90,
            height = top + static_cast<int>(cell * n) + bottom;
  double max = 0;
  for (const auto& row : m.values)
    for (double v : row) max = std::max(max, v);
  if (max <= 0) max = 1;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << " " << height
    << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">"
    << xml_escape(m.title) << "</text>\n";
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const double v = i < m.values.size() && j < m.values[i].size() ? m.values[i][j] : 0.0;
      const double t = std::clamp(v / max, 0.0, 1.0);
      const int r = static_cast<int>(255 - t * (255 - 8)),
                g = static_cast<int>(255 - t * (255 - 48)),
                b = static_cast<int>(255 - t * (255 - 107));
      s << "<rect x=\"" << left + cell * j << "\" y=\"" << top + cell * i << "\" width=\"" << cell
        << "\" height=\"" << cell << "\" fill=\"rgb(" << r << "," << g << "," << b
        << ")\" stroke=\"white\"><title>" << xml_escape(m.labels[i]) << " vs "
        << xml_escape(m.labels[j]) << ": " << fmt(m.value_format.c_str(), v) << "</title></rect>\n";
      if (cell >= 34) {
        s << "<text x=\"" << left + cell * (j + 0.5) << "\" y=\"" << top + cell * (i + 0.5) + 4
          << "\" text-anchor=\"middle\" fill=\"" << (t > 0.55 ? "white" : "black") << "\">"
          << fmt(m.value_format.c_str(), v) << "</text>\n";
      }
    }
    s << "<text x=\"" << left - 6 << "\" y=\"" << top + cell * (i + 0.5) + 4
      << "\" text-anchor=\"end\">" << xml_escape(m.labels[i]) << "</text>\n";
    s << "<text transform=\"translate(" << left + cell * (i + 0.5) << "," << top + cell * n + 8
      << ") rotate(40)\" text-anchor=\"start\">" << xml_escape(m.labels[i]) << "</text>\n";
  }
  const double lx = left + cell * n + 20;
  s << "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\"><stop offset=\"0\" "
       "stop-color=\"white\"/>"
       "<stop offset=\"1\" stop-color=\"rgb(8,48,107)\"/></linearGradient></defs>\n"
    << "<rect x=\"" << lx << "\" y=\"" << top << "\" width=\"14\" height=\"" << cell * n
    << "\" fill=\"url(#scale)\" stroke=\"#888\"/>\n"
    << "<text x=\"" << lx + 18 << "\" y=\"" << top + 10 << "\">" << fmt(m.value_format.c_str(), max)
    << "</text>\n"
    << "<text x=\"" << lx + 18 << "\" y=\"" << top + cell * n << "\">0</text>\n</svg>\n";
  return s.str();
}

}  // namespace swa
