//! The `pantau` binary: parses the command line and hands over to the library.

/// mimalloc instead of glibc's allocator: the survey server allocates and frees many small
/// buffers per request on two worker threads at once (see BENCHMARKS.md, "Survey server load").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    pantau::cli::main()
}
