// dvs-verify's one-line progress bar on a terminal: phase, count, percent, rate and ETA.
#ifndef DVS_TOOLS_VERIFY_PROGRESS_BAR_H_
#define DVS_TOOLS_VERIFY_PROGRESS_BAR_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace dvs {

class ProgressBar {
 public:
  // Redraws the bar on stderr at most every 0.1 s (and always at the end of a phase).
  void Update(const char* phase, uint64_t done, uint64_t total) {
    using namespace std::chrono;
    const double now = duration<double>(steady_clock::now().time_since_epoch()).count();
    const bool new_phase = phase != phase_;
    if (new_phase && !phase_.empty()) std::fputc('\n', stderr);
    std::string line = Frame(phase, done, total, now);
    if (line.empty()) return;
    std::fputs(("\r" + line).c_str(), stderr);
  }
  void Finish() {
    if (!phase_.empty()) std::fputc('\n', stderr);
  }

  // The frame to draw at time `now` (seconds on any steady clock), or "" when the last one is
  // less than 0.1 s old. The rate is measured from the phase's first frame: the entries done
  // since, over the time since; the first frame has no rate yet ("--/s").
  std::string Frame(const char* phase, uint64_t done, uint64_t total, double now) {
    if (phase != phase_) {
      phase_ = phase;
      first_time_ = now;
      first_done_ = done;
      last_ = -1;
    }
    if (last_ >= 0 && now - last_ < 0.1 && done < total) return "";
    last_ = now;
    const double elapsed = now - first_time_;
    const bool measured = elapsed > 0 && done > first_done_;
    const double rate = measured ? (done - first_done_) / elapsed : 0;
    const int width = 30;
    const int filled = total ? static_cast<int>(width * std::min(done, total) / total) : width;
    char text[256];
    if (measured) {
      std::snprintf(text, sizeof(text), "%-22s [%s%s] %llu/%llu %3.0f%%  %.0f/s  ETA %.0fs   ",
                    phase, std::string(filled, '#').c_str(),
                    std::string(width - filled, '.').c_str(), static_cast<unsigned long long>(done),
                    static_cast<unsigned long long>(total), total ? 100.0 * done / total : 100.0,
                    rate, total > done ? (total - done) / rate : 0.0);
    } else {
      std::snprintf(text, sizeof(text), "%-22s [%s%s] %llu/%llu %3.0f%%  --/s  ETA --   ", phase,
                    std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                    static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                    total ? 100.0 * done / total : 100.0);
    }
    return text;
  }

 private:
  std::string phase_;
  double first_time_ = 0, last_ = -1;
  uint64_t first_done_ = 0;
};

}  // namespace dvs

#endif  // DVS_TOOLS_VERIFY_PROGRESS_BAR_H_
