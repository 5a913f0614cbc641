#include "tools/cli/suggest.h"

#include <algorithm>
#include <cctype>

namespace dvs::cli {

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and transpositions
// of neighbours ("stauts" is one edit from "status").
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

std::string WithSuggestion(const std::string& what, const std::string& word,
                           const std::vector<std::string>& known, const std::string& help) {
  std::string out = "unknown " + what + " " + Quoted(word);
  const std::string best = ClosestMatch(word, known);
  return out +
         (best.empty() ? " (" + help + " lists them)" : "; did you mean " + Quoted(best) + "?");
}

// The option named `name` (as typed, "--json" or "-h") of `app` or, since every subcommand falls
// through to its parents, of one of them.
const CLI::Option* FindOption(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* o = app->get_option_no_throw(name)) return o;
  }
  return nullptr;
}

std::vector<std::string> OptionNames(const CLI::App* app) {
  std::vector<std::string> out;
  for (; app != nullptr; app = app->get_parent()) {
    for (const CLI::Option* o : app->get_options()) {
      for (const std::string& n : o->get_lnames()) out.push_back("--" + n);
      for (const std::string& n : o->get_snames()) out.push_back("-" + n);
    }
  }
  return out;
}

std::string CommandPath(const CLI::App* app) {
  std::string out;
  for (; app != nullptr && app->get_parent() != nullptr; app = app->get_parent())
    out = app->get_name() + (out.empty() ? "" : " " + out);
  return out;
}

// "dvs status --help": `root` is the program (dvs, dvs-verify).
std::string HelpCommand(const CLI::App& root, const std::string& path) {
  return root.get_name() + " " + (path.empty() ? "" : path + " ") + "--help";
}

}  // namespace

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  // A third of the word (at least one edit): closer than that is a typo, farther a different word.
  size_t limit = std::max<size_t>(1, word.size() / 3);
  std::string best;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d <= limit && (best.empty() || d < limit)) {
      best = c;
      limit = d;
    }
  }
  if (!best.empty() || word.size() < 3) return best;
  // Else an abbreviation: the one candidate that starts with the word ("--canary" for
  // "--canary-pct"); none when several do.
  for (const std::string& c : candidates) {
    if (c.rfind(word, 0) != 0) continue;
    if (!best.empty()) return "";
    best = c;
  }
  return best;
}

std::string UnknownName(const CLI::App& app, int argc, const char* const* argv) {
  const CLI::App* cur = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9')) {
      const std::string name = arg.substr(0, arg.find('='));
      const CLI::Option* opt = FindOption(cur, name);
      if (opt == nullptr) {
        const std::string where = CommandPath(cur);
        return (where.empty() ? "" : where + ": ") +
               WithSuggestion("option", name, OptionNames(cur), HelpCommand(app, where));
      }
      if (opt->get_expected_min() > 0 && name == arg) ++i;  // its value
      continue;
    }
    const auto subs = cur->get_subcommands([](const CLI::App*) { return true; });
    auto it = std::find_if(subs.begin(), subs.end(),
                           [&](const CLI::App* s) { return s->check_name(arg); });
    if (it != subs.end()) {
      cur = *it;
      continue;
    }
    // A word where only a subcommand can stand: a command with subcommands and no arguments.
    if (!subs.empty() &&
        cur->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) {
      std::vector<std::string> names;
      for (const CLI::App* s : subs) names.push_back(s->get_name());
      const std::string where = CommandPath(cur);
      return (where.empty() ? "" : where + ": ") +
             WithSuggestion("command", arg, names, HelpCommand(app, where));
    }
  }
  return "";
}

namespace {
const CLI::App* Deepest(const CLI::App& app) {
  const CLI::App* cur = &app;
  while (!cur->get_subcommands().empty()) cur = cur->get_subcommands().front();
  return cur;
}
}  // namespace

std::string Rephrased(const CLI::App& app, const std::string& message) {
  const std::string where = CommandPath(Deepest(app));
  return (where.empty() ? "" : where + ": ") + message + "; " + HelpCommand(app, where) +
         " shows the options";
}

std::string MissingArgument(const CLI::App& app) {
  const CLI::App* cur = Deepest(app);
  const std::string where = CommandPath(cur);
  const std::string prefix = where.empty() ? "" : where + ": ";
  if (cur->get_require_subcommand_min() > 0) {
    std::string names;
    for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; }))
      names += (names.empty() ? "" : ", ") + s->get_name();
    return prefix + "a command is needed" +
           (where.empty() ? " (" + HelpCommand(app, where) + " lists them)" : ": " + names);
  }
  for (const CLI::Option* o : cur->get_options()) {
    if (!o->get_required() || o->count() > 0) continue;
    std::string name = o->get_name();
    if (o->get_positional()) {
      std::transform(name.begin(), name.end(), name.begin(), ::toupper);
    }
    return prefix + name + " is missing (" + o->get_description() + "); " +
           HelpCommand(app, where) + " shows an example";
  }
  return "";
}

}  // namespace dvs::cli
