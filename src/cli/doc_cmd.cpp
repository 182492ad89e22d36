#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/error.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

using json = nlohmann::ordered_json;

struct DocOptions {
  std::string name;
  bool client_can_view = false;
  std::optional<std::string> visibility;
  std::string account;
  std::optional<std::string> account_filter;
  std::string file;
  std::optional<std::string> folder;
  std::optional<std::string> description;
  int64_t id = 0;
  std::string to;
};

json folder_json(const approvals::Folder& f) {
  return {{"id", f.id}, {"name", f.name}, {"client_can_view", f.client_can_view}, {"created_at", time_json(f.created_at)}};
}

} // namespace

json document_json(const approvals::Document& d) {
  json j = json::object();
  j["id"] = d.id;
  j["account_id"] = d.account_id;
  j["account"] = d.account_name;
  j["folder"] = opt_json(d.folder_name);
  j["client_can_view"] = d.client_can_view;
  j["name"] = d.name;
  j["description"] = opt_json(d.description);
  j["sha256"] = d.sha256;
  j["size"] = d.size;
  put_person(j, "uploaded_by", d.uploaded_by);
  j["uploaded_at"] = time_json(d.uploaded_at);
  j["removed_at"] = d.removed_at ? time_json(*d.removed_at) : json(nullptr);
  return j;
}

void register_doc_commands(CLI::App& app, Context& ctx) {
  auto* folder = app.add_subcommand("folder", "Document folders, and whether clients can view them");
  folder->require_subcommand(1);
  {
    auto o = std::make_shared<DocOptions>();
    auto* c = folder->add_subcommand("add", "Add a folder");
    c->add_option("name", o->name, "Name")->required();
    c->add_flag("--client-can-view", o->client_can_view, "Clients see the documents in it");
    on_run(c, ctx, [o, &ctx] {
      const auto f = ctx.write([&](accounts::Session& s) { return approvals::add_folder(s, o->name, o->client_can_view); });
      if (ctx.out.json()) {
        ctx.out.print_json(folder_json(f));
      } else {
        ctx.out.print_line(fmt::format("Added folder {}: {}{}", f.id, f.name, f.client_can_view ? " (client can view)" : ""));
      }
    });
  }
  {
    auto* c = folder->add_subcommand("list", "List folders");
    add_csv_flag(c, ctx);
    on_run(c, ctx, [&ctx] {
      const auto list = ctx.read([](storage::Database& db) { return approvals::list_folders(db); });
      if (ctx.out.machine()) {
        ctx.out.print_json_array(list, folder_json);
        return;
      }
      if (list.empty()) {
        ctx.out.note("no folders");
        return;
      }
      TextTable t;
      t.add_column("ID", Align::right);
      t.add_column("NAME");
      t.add_column("CLIENT CAN VIEW");
      for (const auto& f : list) {
        t.add_row({std::to_string(f.id), f.name, on_off(f.client_can_view)});
      }
      ctx.out.print_table(t);
    });
  }
  {
    auto o = std::make_shared<DocOptions>();
    auto* c = folder->add_subcommand("edit", "Change a folder");
    c->add_option("name", o->name, "Name or id")->required()->type_name("FOLDER");
    c->add_option("--client-can-view", o->visibility, "on or off")->required()->type_name("on|off");
    on_run(c, ctx, [o, &ctx] {
      const bool v = parse_on_off("--client-can-view", *o->visibility);
      const auto f = ctx.write([&](accounts::Session& s) { return approvals::edit_folder(s, o->name, v); });
      if (ctx.out.json()) {
        ctx.out.print_json(folder_json(f));
      } else {
        ctx.out.print_line(fmt::format("Folder {}: client can view: {}", f.name, on_off(f.client_can_view)));
      }
    });
  }
  auto* doc = app.add_subcommand("doc", "Documents the firm keeps for a client");
  doc->require_subcommand(1);
  {
    auto o = std::make_shared<DocOptions>();
    auto* c = doc->add_subcommand("add", "Add a document (copied into the store)");
    c->add_option("--account", o->account, "Account")->required()->type_name("ACCOUNT");
    c->add_option("file", o->file, "The file")->required()->type_name("FILE");
    c->add_option("--folder", o->folder, "Folder");
    c->add_option("--description", o->description, "Description");
    on_run(c, ctx, [o, &ctx] {
      const auto env = ctx.request_env();
      const auto d = ctx.write([&](accounts::Session& s) {
        return approvals::add_document(s, env, o->account, o->file, o->folder, o->description);
      });
      if (ctx.out.json()) {
        ctx.out.print_json(document_json(d));
      } else {
        ctx.out.print_line(fmt::format("Added document {}: {} ({} bytes) for {}", d.id, d.name, d.size, d.account_name));
      }
    });
  }
  {
    auto o = std::make_shared<DocOptions>();
    auto* c = doc->add_subcommand("list", "List documents");
    c->add_option("--account", o->account_filter, "Only this account's")->type_name("ACCOUNT");
    c->add_option("--folder", o->folder, "Only this folder's");
    add_csv_flag(c, ctx);
    on_run(c, ctx, [o, &ctx] {
      const auto list = ctx.read([&](storage::Database& db) {
        std::optional<int64_t> account;
        std::optional<int64_t> folder_id;
        if (o->account_filter) {
          account = accounts::resolve_account(db, *o->account_filter);
        }
        if (o->folder) {
          folder_id = approvals::get_folder(db, *o->folder).id;
        }
        return approvals::list_documents(db, account, folder_id);
      });
      if (ctx.out.machine()) {
        ctx.out.print_json_array(list, document_json);
        return;
      }
      if (list.empty()) {
        ctx.out.note("no documents");
        return;
      }
      TextTable t;
      t.add_column("ID", Align::right);
      t.add_column("ACCOUNT");
      t.add_column("NAME");
      t.add_column("FOLDER");
      t.add_column("SIZE", Align::right);
      t.add_column("UPLOADED");
      t.add_column("BY");
      for (const auto& d : list) {
        t.add_row({std::to_string(d.id), d.account_name, d.name, d.folder_name.value_or("-"), std::to_string(d.size),
                   time_text(d.uploaded_at), person_text(d.uploaded_by)});
      }
      ctx.out.print_table(t);
    });
  }
  {
    auto o = std::make_shared<DocOptions>();
    auto* c = doc->add_subcommand("show", "Show a document");
    c->add_option("document", o->id, "Document id")->required()->transform(decimal());
    on_run(c, ctx, [o, &ctx] {
      const auto d = ctx.read([&](storage::Database& db) { return approvals::get_document(db, o->id); });
      if (ctx.out.json()) {
        ctx.out.print_json(document_json(d));
        return;
      }
      ctx.out.print_fields({{"id", std::to_string(d.id)},
                            {"account", fmt::format("{} ({})", d.account_name, d.account_id)},
                            {"name", d.name},
                            {"folder", d.folder_name ? fmt::format("{} (client can view: {})", *d.folder_name,
                                                                   on_off(d.client_can_view))
                                                     : std::string("-")},
                            {"description", d.description.value_or("-")},
                            {"size", std::to_string(d.size)},
                            {"sha256", d.sha256},
                            {"uploaded", fmt::format("{} by {}", time_text(d.uploaded_at), person_text(d.uploaded_by))}});
    });
  }
  {
    auto o = std::make_shared<DocOptions>();
    auto* c = doc->add_subcommand("edit", "Move a document to a folder or change its description");
    c->add_option("document", o->id, "Document id")->required()->transform(decimal());
    c->add_option("--folder", o->folder, "The folder (\"\" takes it out of its folder)");
    c->add_option("--description", o->description, "The description (\"\" clears it)");
    on_run(c, ctx, [o, &ctx] {
      if (!o->folder && !o->description) {
        throw UsageError("nothing to change", "give --folder or --description");
      }
      const auto d = ctx.write([&](accounts::Session& s) {
        return approvals::edit_document(s, o->id, {o->folder, o->description});
      });
      if (ctx.out.json()) {
        ctx.out.print_json(document_json(d));
      } else {
        ctx.out.print_line(fmt::format("Saved document {}: {} in {}", d.id, d.name,
                                       d.folder_name ? fmt::format("folder {}", *d.folder_name) : "no folder"));
      }
    });
  }
  {
    auto o = std::make_shared<DocOptions>();
    auto* c = doc->add_subcommand("remove", "Remove a document from lists and from clients (kept in records)");
    c->add_option("document", o->id, "Document id")->required()->transform(decimal());
    on_run(c, ctx, [o, &ctx] {
      const auto d = ctx.write([&](accounts::Session& s) { return approvals::remove_document(s, o->id); });
      if (ctx.out.json()) {
        ctx.out.print_json(document_json(d));
      } else {
        ctx.out.print_line(fmt::format("Removed document {}: {} of {}", d.id, d.name, d.account_name));
      }
    });
  }
  {
    auto o = std::make_shared<DocOptions>();
    auto* c = doc->add_subcommand("export", "Copy a document out of the store");
    c->add_option("document", o->id, "Document id")->required()->transform(decimal());
    c->add_option("--to", o->to, "The file to write")->required()->type_name("PATH");
    on_run(c, ctx, [o, &ctx] {
      const auto env = ctx.request_env();
      const auto d = ctx.read([&](storage::Database& db) { return approvals::get_document(db, o->id); });
      const auto size = approvals::export_document(ctx.database(), env, d, o->to);
      if (ctx.out.json()) {
        ctx.out.print_json({{"path", o->to}, {"size", size}, {"sha256", d.sha256}});
      } else {
        ctx.out.print_line(fmt::format("Wrote {} ({} bytes)", o->to, size));
      }
    });
  }
}

} // namespace practice::cli
