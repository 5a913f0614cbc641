// `dvs serve --config FILE`: a YAML mapping whose keys are serve's flags without the dashes
// (listen, controller-key, tick, router: [...], allow-remote: true, ...). A flag given on the
// command line overrides the file's key. An unknown key, or a value that is neither a scalar nor
// a list of scalars, is a usage error naming it.
#ifndef DVS_TOOLS_CLI_SERVE_CONFIG_H_
#define DVS_TOOLS_CLI_SERVE_CONFIG_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace dvs::cli {

// A CLI11 config reader whose items are `serve`'s options (CLI11 applies them to the options not
// given on the command line). Set on the top-level app: CLI11 reads config files only there.
class YamlServeConfig : public CLI::Config {
 public:
  // `serve` is the subcommand the keys belong to; it must outlive this reader.
  explicit YamlServeConfig(const CLI::App* serve) : serve_(serve) {}

  std::string to_config(const CLI::App*, bool, bool, std::string) const override { return ""; }
  std::vector<CLI::ConfigItem> from_config(std::istream& in) const override;

 private:
  const CLI::App* serve_;
};

}  // namespace dvs::cli

#endif  // DVS_TOOLS_CLI_SERVE_CONFIG_H_
