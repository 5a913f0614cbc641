#include "api/render/text_table.h"

#include <algorithm>

#include "ledger/assert.h"

namespace dvs {

namespace {

// Columns on a terminal: UTF-8 code points (continuation bytes take none).
size_t DisplayWidth(const std::string& s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string Pad(const std::string& s, size_t width, bool right) {
  const size_t n = DisplayWidth(s);
  if (n >= width) return s;
  return right ? std::string(width - n, ' ') + s : s + std::string(width - n, ' ');
}

// `text` cut at spaces into pieces of at most `room` columns (a longer word stays whole).
std::vector<std::string> Wrap(const std::string& text, size_t room) {
  std::vector<std::string> out;
  std::string line;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && DisplayWidth(line) + 1 + DisplayWidth(word) > room) {
      out.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  out.push_back(line);
  return out;
}

constexpr size_t kGap = 2;           // spaces between columns
constexpr size_t kMinWrapRoom = 20;  // narrower than this, the last column is left long

}  // namespace

TextTable::TextTable(std::vector<std::string> headers, std::vector<size_t> right)
    : headers_(std::move(headers)), right_(std::move(right)) {
  DVS_ASSERT(!headers_.empty());
}

void TextTable::Row(std::vector<std::string> cells) {
  DVS_ASSERT(cells.size() == headers_.size());
  lines_.push_back(Line{std::move(cells), ""});
}

void TextTable::Note(std::string text) { lines_.push_back(Line{{}, std::move(text)}); }

std::string TextTable::Render(size_t width) const {
  const size_t n = headers_.size();
  std::vector<size_t> widths(n);
  for (size_t c = 0; c < n; ++c) widths[c] = DisplayWidth(headers_[c]);
  for (const Line& l : lines_) {
    for (size_t c = 0; c + 1 < n && !l.cells.empty(); ++c)
      widths[c] = std::max(widths[c], DisplayWidth(l.cells[c]));
  }
  size_t last_start = 0;  // where the last column begins
  for (size_t c = 0; c + 1 < n; ++c) last_start += widths[c] + kGap;
  // On a narrow terminal the last column leaves its place: it goes under the row, indented to
  // the second column, and wraps there.
  const size_t under_indent = n > 1 ? widths[0] + kGap : 0;
  const bool fits = width == 0 || (width > last_start && width - last_start >= kMinWrapRoom);
  const size_t text_start = fits ? last_start : under_indent;
  const size_t room = width > text_start ? width - text_start : 0;

  auto wrapped = [&](const std::string& text) {
    return width > 0 && room >= kMinWrapRoom ? Wrap(text, room) : std::vector<std::string>{text};
  };
  auto row = [&](const std::vector<std::string>& cells) {
    std::string first;
    for (size_t c = 0; c + 1 < n; ++c) {
      const bool right = std::find(right_.begin(), right_.end(), c) != right_.end();
      first += Pad(cells[c], widths[c], right) + std::string(kGap, ' ');
    }
    std::vector<std::string> lines;
    if (!fits) lines.push_back(first);
    for (const std::string& piece : wrapped(cells[n - 1])) {
      if (piece.empty() && !fits) continue;
      lines.push_back(lines.empty() ? first + piece : std::string(text_start, ' ') + piece);
    }
    std::string out;
    for (std::string& line : lines) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  };

  std::string out = row(headers_);
  for (const Line& l : lines_) {
    if (!l.cells.empty()) {
      out += row(l.cells);
      continue;
    }
    for (const std::string& piece : wrapped(l.note))
      out += std::string(text_start, ' ') + piece + "\n";
  }
  return out;
}

}  // namespace dvs
