//! The `simpark` binary: parse arguments, call the library, map the outcome to an exit code.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    let code = match cli::main_with(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            cli::exit::USAGE
        }
    };
    std::process::exit(code);
}
