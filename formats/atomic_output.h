// An output file that appears under its final name complete or not at all.
// Requires: the destination folder exists and is writable (checked in the constructor).
// Ensures: data goes to a unique temporary file (created empty) in the same folder; commit()
// flushes it to disk and renames it over the final name; destruction without commit() removes the
// temporary file.
#pragma once
#include <string>

namespace swa {

class AtomicOutput {
 public:
  explicit AtomicOutput(const std::string& final_path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // fsync the temporary file, then rename it to the final name.
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

// Throws InputError unless `path`'s folder exists and is writable.
void require_writable_folder(const std::string& path);

}  // namespace swa

namespace swa {

// Writes `text` to `path` through an AtomicOutput. Throws InputError naming the file on failure.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace swa
