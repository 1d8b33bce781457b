// Outputs never replace inputs, whatever their spelling; inputs that change while read are noticed.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "formats/file_identity.h"
#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "scratch_folder.h"

namespace fs = std::filesystem;
using namespace swa;
using Scratch = swa::test::ScratchFolder;

TEST_CASE("a file output may not be an input, by any spelling or link", "[formats][output]") {
  Scratch s;
  const std::string input = s.file("a.h5", "snapshot bytes");
  fs::create_symlink(input, s.dir / "link.h5");
  fs::create_hard_link(input, s.dir / "hard.h5");
  const OutputGuard guard({input});
  for (const std::string& same : {input, (s.dir / "." / "a.h5").string(),
                                  (s.dir / "link.h5").string(), (s.dir / "hard.h5").string()}) {
    INFO(same);
    CHECK_THROWS_WITH(guard.check_file("-o", same),
                      Catch::Contains("-o " + same + ": is an input of this command"));
  }
  CHECK_NOTHROW(guard.check_file("-o", (s.dir / "new.h5").string()));
  CHECK_THROWS_WITH(guard.check_file("-o", (s.dir / "missing" / "x.h5").string()),
                    Catch::Contains("does not exist"));
  CHECK_THROWS_WITH(guard.check_file("-o", (s.dir / "out/").string()),
                    Catch::Contains("names a folder"));
  CHECK_THROWS_WITH(guard.check_file("-o", s.dir.string()), Catch::Contains("names a folder"));
}

TEST_CASE("a JSON output is stdout (-), a new file or a JSON file, nothing else",
          "[formats][output]") {
  Scratch s;
  const OutputGuard guard;
  CHECK_NOTHROW(guard.check_json("--json", "-"));
  CHECK_NOTHROW(guard.check_json("--json", (s.dir / "new.json").string()));
  CHECK_NOTHROW(guard.check_json("--json", s.file("old.json", "{\"a\": [1, 2]}\n")));
  CHECK_NOTHROW(guard.check_json("--json", s.file("empty.json", "")));
  const std::string snapshot = s.file("cycle-0001.h5", "\x89HDF\r\n\x1a\n and more");
  CHECK_THROWS_WITH(guard.check_json("--json", snapshot),
                    Catch::Contains("--json " + snapshot + ": exists and holds no JSON") &&
                        Catch::Contains("forgotten"));
  CHECK_THROWS_WITH(guard.check_json("--json", s.file("notes.txt", "{ not json")),
                    Catch::Contains("holds no JSON"));
  const OutputGuard reads_json({(s.dir / "old.json").string()});
  CHECK_THROWS_WITH(reads_json.check_json("--json", (s.dir / "old.json").string()),
                    Catch::Contains("is an input"));
}

TEST_CASE("a folder output is created if missing, and never holds an input it writes over",
          "[formats][output]") {
  Scratch s;
  fs::create_directories(s.dir / "run" / "snapshots");
  const std::string last = s.file("run/last.h5", "x"), cycle = s.file("run/snapshots/c.h5", "x");
  const std::string notes = s.file("run/notes.h5", "x");
  const std::vector<std::string> written = {"last.h5", "snapshots/"};
  CHECK_THROWS_WITH(OutputGuard({last}).check_folder("--out", (s.dir / "run").string(), written),
                    Catch::Contains("would replace " + last));
  CHECK_THROWS_WITH(OutputGuard({cycle}).check_folder("--out", (s.dir / "run").string(), written),
                    Catch::Contains("would replace " + cycle));
  CHECK_NOTHROW(OutputGuard({notes}).check_folder("--out", (s.dir / "run").string(), written));
  CHECK_NOTHROW(OutputGuard({last}).check_folder("-o", (s.dir / "a" / "b/").string(), written));
  CHECK_THROWS_WITH(
      OutputGuard().check_folder("-o", (s.dir / "run" / "last.h5" / "x/").string(), written),
      Catch::Contains("is a file, not a folder"));
  {
    NewFolder created((s.dir / "a" / "b/").string());
    CHECK(fs::is_directory(s.dir / "a" / "b"));
  }
  CHECK_FALSE(fs::exists(s.dir / "a"));  // removed with its parent: nothing was kept
  {
    NewFolder kept((s.dir / "k").string());
    kept.keep();
  }
  CHECK(fs::is_directory(s.dir / "k"));
}

TEST_CASE("an input replaced or written to after it was opened is noticed", "[formats][output]") {
  Scratch s;
  const std::string path = s.file("a.h5", "first bytes");
  const FileIdentity opened = *identity_of(path);
  CHECK_NOTHROW(require_unchanged(path, opened));
  SECTION("written in place") {
    std::ofstream(path, std::ios::binary | std::ios::app) << " and more";
    CHECK_THROWS_WITH(require_unchanged(path, opened),
                      Catch::Contains(path + ": changed while it was being read") &&
                          Catch::Contains("its size went from 11 to 20 bytes"));
  }
  SECTION("replaced by another file") {
    const std::string other = s.file("b.h5", "other bytes");
    fs::rename(other, path);
    CHECK_THROWS_WITH(require_unchanged(path, opened),
                      Catch::Contains("another file was put in its place"));
  }
  SECTION("removed") {
    fs::remove(path);
    CHECK_THROWS_WITH(require_unchanged(path, opened), Catch::Contains("it is gone"));
  }
}

TEST_CASE("the same file named twice is found, by any spelling", "[formats][output]") {
  Scratch s;
  const std::string a = s.file("a.h5", "x"), b = s.file("b.h5", "y");
  fs::create_symlink(a, s.dir / "link.h5");
  CHECK_NOTHROW(require_distinct_files({a, b}, "once"));
  CHECK_THROWS_WITH(require_distinct_files({a, b, (s.dir / "link.h5").string()}, "give it once"),
                    Catch::Contains("link.h5: names the same file as " + a + ": give it once"));
  CHECK_THROWS_WITH(require_distinct_files({a, (s.dir / "none.h5").string()}, ""),
                    Catch::Contains("none.h5: no such file"));
}
