// dvs: the command line of the Deployment & Versioning Service. See DESIGN.md's command-line
// contract; `dvs SUBCOMMAND --help` explains each command with an example.
#include <google/protobuf/stubs/logging.h>

#include <cstdlib>
#include <string_view>

#include "tools/cli/cli.h"
#include "tools/cli/suggest.h"

int main(int argc, char** argv) {
  using namespace dvs::cli;
  google::protobuf::LogSilencer quiet;  // malformed input is reported by our own errors
  Globals g;
  const char* env_ledger = std::getenv("DVS_LEDGER");
  g.ledger = env_ledger != nullptr && *env_ledger ? env_ledger : "./dvs-ledger";

  CLI::App app{
      "dvs: release bundles from a signed, hash-chained ledger.\n"
      "Package, approve, canary, ramp, promote and roll back; every step is a signed entry."};
  app.name("dvs");
  app.require_subcommand(1);
  // Fixed when the build was configured (tools/CMakeLists.txt).
  app.set_version_flag("--version", std::string("dvs ") + DVS_VERSION + " (commit " +
                                        DVS_GIT_COMMIT + ", " + DVS_BUILD_TYPE + " build)");
  app.fallthrough();
  app.add_option("--ledger", g.ledger,
                 "ledger directory (default: $DVS_LEDGER, else ./dvs-ledger)");
  // An explicit --ledger beats $DVS_SERVER (and $DVS_LEDGER); with an explicit --server it is a
  // contradiction, refused rather than silently resolved one way.
  bool ledger_flag = false, server_flag = false, min_seq_flag = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") break;
    ledger_flag = ledger_flag || a == "--ledger" || a.rfind("--ledger=", 0) == 0;
    server_flag = server_flag || a == "--server" || a.rfind("--server=", 0) == 0;
    min_seq_flag = min_seq_flag || a == "--min-seq" || a.rfind("--min-seq=", 0) == 0;
  }
  if (ledger_flag && server_flag) {
    return Usage("--ledger and --server name two different ledgers: give one of them");
  }
  const char* env_server = std::getenv("DVS_SERVER");
  if (min_seq_flag && !server_flag && (env_server == nullptr || ledger_flag)) {
    return Usage(
        "--min-seq is for reads through --server (a cluster node's replica may lag); a local "
        "ledger is read as it is");
  }
  if (env_server != nullptr && !ledger_flag) g.server = env_server;
  app.add_option("--server", g.server,
                 "talk to `dvs serve` at this URL (http://HOST:PORT) instead of a local ledger; "
                 "default $DVS_SERVER (an explicit --ledger overrides it). Same commands, same "
                 "output; requests are signed here");
  app.add_option("--min-seq", g.min_seq,
                 "with --server: every read the command makes (a write's lookups too) is answered "
                 "only by a server whose ledger holds entry SEQ (a receipt's seq), waiting up to "
                 "$DVS_TIMEOUT for a lagging cluster replica")
      ->option_text("SEQ")
      ->check(
          [](const std::string& v) -> std::string {
            if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
              return "'" + v + "' is not a seq (a whole number, as a receipt gives)";
            if (v.size() > 19) return "'" + v + "' is too large for a seq (at most 19 digits)";
            return "";
          },
          "SEQ");
  AddKeyCommands(app, g);
  AddReleaseCommands(app, g);
  AddReadCommands(app, g);
  AddLedgerCommands(app, g);
  AddServeCommand(app, g);
  AddAnalyzeCommand(app, g);
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough();

  // CLI11 reads a config file for the top-level command, so --config is `dvs`'s option; only
  // `serve` has keys to read from it. Refused before any command runs, not ignored.
  bool config = false, serve = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    config |= arg == "--config" || arg.rfind("--config=", 0) == 0;
    serve |= arg == "serve";
  }
  if (config && !serve) return Usage("--config is read by dvs serve only (its keys are serve's flags)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ConfigError& e) {
    return Usage(e.what());  // serve --config: names the file's bad key
  } catch (const CLI::ParseError& e) {
    // A mistyped command or option: name it and the closest known one, on one line.
    if (std::string unknown = UnknownName(app, argc, argv); !unknown.empty()) return Usage(unknown);
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      if (std::string missing = MissingArgument(app); !missing.empty()) return Usage(missing);
    }
    return Usage(Rephrased(app, e.what()));
  }
  return g.exit_code;
}
