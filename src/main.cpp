#include "cli/app.hpp"
#include "cli/context.hpp"
#include "cli/errors.hpp"

#include <cstring>

int main(int argc, char** argv) {
  using namespace practice::cli;
  Context ctx;
  CLI::App app{"", "practice"};
  build_cli(app, ctx, argc, argv);
  // Parse errors come before --json is known; look for it by hand.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      ctx.out.set_format(Format::json);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_parse_error(e, app, ctx.out);
  }
  ctx.out.set_format(ctx.global.json ? Format::json : ctx.global.csv ? Format::csv : Format::human);
  ctx.out.set_verbosity(ctx.global.quiet     ? Verbosity::quiet
                        : ctx.global.verbose ? Verbosity::verbose
                                             : Verbosity::normal);
  try {
    check_output_flags(app, ctx);
    // A clock given is checked even by commands that never read it.
    if (ctx.global.now) {
      ctx.now();
    }
    if (ctx.action) {
      ctx.action();
    }
  } catch (const practice::Error& e) {
    return report_error(e, ctx.out);
  } catch (const std::exception& e) {
    return report_unexpected(e, ctx.out);
  }
  return ctx.exit_code;
}
