// A request in, a PNG out, with progress: the smallest front end on the sdxl library (sdxl/run.h).
//   build/sdxl_example_generate "a red fox in snow" fox.png [model]   (model default: tiny)
#include <sdxl/run.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " PROMPT OUT.png [MODEL]\n";
    return 2;
  }
  sdxl::RunSpec spec;
  spec.given = {{"prompt", argv[1]}, {"seed", 1}};  // request fields by their JSON names (request.h)
  spec.pipeline.model = argc > 3 ? argv[3] : "tiny";
  spec.output.out = argv[2];
  spec.output.overwrite = true;
  try {
    sdxl::Run run;
    for (const sdxl::RunNote& note : run.prepare(spec).notes) std::cerr << note.text << "\n";
    sdxl::RunEvents events;
    events.progress = [](const sdxl::RunItem&, const sdxl::Progress& p) {
      std::cerr << "\r" << p.stage << " " << p.step << "/" << p.total << std::flush;
    };
    events.image_written = [](const sdxl::ImageWritten& w) { std::cerr << "\nwrote " << w.path << "\n"; };
    events.item_failed = [](const sdxl::RunItem&, const std::exception& e) { std::cerr << "\nfailed: " << e.what() << "\n"; };
    const sdxl::RunSummary summary = run.execute(events);
    return summary.written == 1 ? 0 : 1;
  } catch (const sdxl::Error& e) {  // bad request or input: the field at fault and why
    std::cerr << (e.field().empty() ? "" : e.field() + ": ") << e.detail() << "\n";
    return e.category() == sdxl::ErrorCategory::Input ? 3 : 2;
  }
}
