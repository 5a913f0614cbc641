#include "tools/cli/serve_config.h"

#include <yaml-cpp/yaml.h>

#include "tools/cli/suggest.h"

namespace dvs::cli {

namespace {

[[noreturn]] void Bad(const std::string& message) {
  throw CLI::ConfigError("serve --config: " + message);
}

}  // namespace

std::vector<CLI::ConfigItem> YamlServeConfig::from_config(std::istream& in) const {
  YAML::Node doc;
  try {
    doc = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    Bad(std::string("not YAML: ") + e.what());
  }
  if (doc.IsNull()) return {};
  if (!doc.IsMap()) Bad("expected a mapping of serve's flags (without --) to values");
  std::vector<std::string> known;
  for (const CLI::Option* o : serve_->get_options()) {
    for (const std::string& n : o->get_lnames()) {
      if (n != "help" && n != "config") known.push_back(n);
    }
  }
  std::vector<CLI::ConfigItem> items;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      const std::string best = ClosestMatch(key, known);
      Bad("unknown key '" + key + "'" + (best.empty() ? "" : "; did you mean '" + best + "'?"));
    }
    CLI::ConfigItem item;
    item.parents = {serve_->get_name()};
    item.name = key;
    const YAML::Node value = it->second;
    if (value.IsScalar()) {
      item.inputs.push_back(value.Scalar());
    } else if (value.IsSequence()) {
      for (size_t i = 0; i < value.size(); ++i) {
        const YAML::Node v = value[i];
        if (!v.IsScalar()) Bad("'" + key + "': a list of plain values is expected");
        item.inputs.push_back(v.Scalar());
      }
    } else {
      Bad("'" + key + "': a value or a list of values is expected");
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace dvs::cli
