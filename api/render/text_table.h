// The human tables of the CLI (status, routes, log, history, audit, key list, state): a header
// row, columns as wide as their widest cell, and a last column of free text that wraps to the
// terminal's width. Cells must already be terminal-safe (TerminalSafe).
#ifndef DVS_API_RENDER_TEXT_TABLE_H_
#define DVS_API_RENDER_TEXT_TABLE_H_

#include <string>
#include <vector>

namespace dvs {

class TextTable {
 public:
  // `headers` name the columns; `right` lists the columns aligned right (numbers).
  explicit TextTable(std::vector<std::string> headers, std::vector<size_t> right = {});

  // A row of as many cells as there are headers.
  void Row(std::vector<std::string> cells);
  // A line of text under the last row, indented to the second column (evidence of a decision).
  void Note(std::string text);

  // The table, every line ending in '\n'. `width` is the terminal's (0: no limit); the last
  // column wraps at spaces to fit it when at least 20 columns are left for it, and is never cut.
  std::string Render(size_t width = 0) const;

 private:
  struct Line {
    std::vector<std::string> cells;  // empty for a note
    std::string note;
  };
  std::vector<std::string> headers_;
  std::vector<size_t> right_;
  std::vector<Line> lines_;
};

}  // namespace dvs

#endif  // DVS_API_RENDER_TEXT_TABLE_H_
